"""Complaints (投诉举报, RULES.md §1 "Complaints"): anyone complains with evidence, no sign-in;
a regulator rules; substantiated → credit record; the third within 12 months starts the exit
(RULES.md §2 "Exit")."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from core.auth.models import Role
from core.db import utcnow
from core.notifications import Notification
from credit.models import CreditRecord, CreditSubject
from credit.queries.lists import is_delisted
from credit.rules import RecordKind
from market.models import Complaint, ComplaintStatus
from market.operations import complaints as ops
from market.operations.agencies import FieldConflict
from tests.clients import english_client
from tests.factories import make_department, make_service_item, make_user
from tests.market.job_builders import make_awarded_job, make_bidder, make_owner, owner_user
from tests.market.test_contracts import PDF

COMPLAINT = {"name": "王先生", "contact": "13805641234",
             "content": "该机构在测绘服务中擅自提高收费标准。"}


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


@pytest.fixture
def department(db_session):
    return make_department()


@pytest.fixture
def agency(department):
    """An agency offering one item of `department` (the competent department)."""
    return make_bidder([make_service_item(department)])


def complaint_about(agency, content="收费不合理") -> Complaint:
    return ops.submit_complaint(agency, "李女士", "lina@example.com", content)


def substantiated(db_session, uscc) -> int:
    return db_session.scalar(select(func.count()).select_from(CreditRecord).join(CreditSubject)
                             .where(CreditSubject.uscc == uscc,
                                    CreditRecord.kind == RecordKind.COMPLAINT_SUBSTANTIATED))


def test_anyone_complains_without_signing_in(app, db_session, agency, department,
                                            csrf_enforced):
    db_session.commit()
    browser = english_client(app)
    page = browser.get(f"/agencies/{agency.id}/complain").get_data(as_text=True)
    assert "Complain about" in page
    response = browser.post(f"/agencies/{agency.id}/complain", data={
        **COMPLAINT, "evidence": (io.BytesIO(PDF), "收费单.pdf"),
        "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert response.location.endswith(f"/agencies/{agency.id}")

    complaint = db_session.scalars(select(Complaint).where(Complaint.agency_id == agency.id)
                                   ).one()
    assert complaint.status == ComplaintStatus.SUBMITTED
    assert complaint.complainant_user_id is None and complaint.evidence_file
    agency_note = db_session.scalars(select(Notification).where(
        Notification.organisation_id == agency.organisation_id)).one()
    assert COMPLAINT["content"] in agency_note.body and "王先生" not in agency_note.body
    assert db_session.scalar(select(Notification.link).where(
        Notification.organisation_id == department.id)) == \
        f"/complaints/{complaint.id}"


def test_name_contact_and_content_are_required(app, db_session, agency):
    db_session.commit()
    browser = english_client(app)
    for missing in ("name", "contact", "content"):
        data = {k: v for k, v in COMPLAINT.items() if k != missing}
        assert browser.post(f"/agencies/{agency.id}/complain", data=data).status_code == 400
    with pytest.raises(FieldConflict):
        ops.submit_complaint(agency, " ", "x", "y")
    assert db_session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_a_named_job_must_be_one_the_agency_won(app, db_session):
    a = make_awarded_job()
    other = make_awarded_job()
    db_session.commit()
    browser = english_client(app)
    response = browser.post(f"/agencies/{a.agency.id}/complain",
                            data={**COMPLAINT, "job_number": other.job.number})
    assert response.status_code == 400
    assert "No job with this number was awarded to this agency." in response.get_data(True)
    response = browser.post(f"/agencies/{a.agency.id}/complain",
                            data={**COMPLAINT, "job_number": a.job.number})
    assert response.status_code == 302
    complaint = db_session.scalars(select(Complaint)).one()
    assert complaint.job_id == a.job.id
    # The job's item's department is the one asked to rule.
    assert db_session.scalar(select(Notification.link).where(
        Notification.organisation_id == a.department.id)) == f"/complaints/{complaint.id}"


def test_a_signed_in_complainant_hears_the_ruling(app, db_session, agency, department):
    owner = owner_user(make_owner())
    regulator = make_user(Role.STAFF, department)
    db_session.commit()
    english_client(app, owner).post(f"/agencies/{agency.id}/complain", data=COMPLAINT)
    complaint = db_session.scalars(select(Complaint)).one()
    assert complaint.complainant_user_id == owner.id

    browser = english_client(app, regulator)
    assert "王先生" in browser.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    response = browser.post(f"/complaints/{complaint.id}/rule", data={
        "outcome": "substantiated", "ruling": "经查属实，责令退还多收费用。"})
    assert response.status_code == 302
    db_session.expire_all()
    complaint = db_session.get(Complaint, complaint.id)
    assert complaint.status == ComplaintStatus.SUBSTANTIATED
    assert complaint.department_id == department.id and complaint.ruled_at
    assert substantiated(db_session, agency.uscc) == 1
    assert db_session.scalar(select(Notification.body).where(
        Notification.user_id == owner.id)) == "经查属实，责令退还多收费用。"
    # A second ruling is refused.
    again = browser.post(f"/complaints/{complaint.id}/rule",
                         data={"outcome": "unsubstantiated", "ruling": "改判"})
    assert again.status_code == 400
    assert "ruled on already" in again.get_data(as_text=True)


def test_an_unsubstantiated_complaint_leaves_no_record(db_session, agency, department):
    complaint = complaint_about(agency)
    ops.rule_complaint(complaint, department, False, "证据不足")
    assert complaint.status == ComplaintStatus.UNSUBSTANTIATED
    assert substantiated(db_session, agency.uscc) == 0
    assert not is_delisted(agency.uscc)


def test_the_third_substantiated_within_twelve_months_delists(db_session, agency,
                                                              department):
    with time_machine.travel(utcnow() - timedelta(days=400), tick=False):
        ops.rule_complaint(complaint_about(agency), department, True, "属实")
    for _n in range(2):
        ops.rule_complaint(complaint_about(agency), department, True, "属实")
    assert substantiated(db_session, agency.uscc) == 3
    assert not is_delisted(agency.uscc), "the oldest is more than 12 months old"

    ops.rule_complaint(complaint_about(agency), department, True, "属实")
    assert is_delisted(agency.uscc)


@pytest.mark.parametrize("path", ["/complaints", "/complaints/{id}", "/complaints/{id}/evidence"])
def test_only_regulators_see_complaints(app, db_session, agency, department, path):
    complaint = ops.submit_complaint(agency, "李女士", "lina@example.com", "收费不合理",
                                     evidence=FileStorage(io.BytesIO(PDF), "evidence.pdf"))
    url = path.format(id=complaint.id)
    others = [agency.organisation.users[0], owner_user(make_owner()),
              make_user(Role.INSPECTOR, department)]
    regulator = make_user(Role.STAFF, make_department())  # any department may rule
    db_session.commit()
    for user in others:
        assert english_client(app, user).get(url).status_code == 403, user.username
    anonymous = english_client(app).get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert english_client(app, regulator).get(url).status_code == 200
    ruling = english_client(app, others[0]).post(f"/complaints/{complaint.id}/rule", data={
        "outcome": "unsubstantiated", "ruling": "自己裁决"})
    assert ruling.status_code == 403
