"""Dashboards: the owner's jobs by state with the next action, the agency's won jobs with
what is due and its bids, the regulator's queue (objections, complaints, ratings)."""

import re

from core.auth.models import Role
from core.calendar import deadline
from core.db import utcnow
from market.models import JobStatus, Objection, ObjectionStatus, SelectionMethod
from market.operations import complaints as complaint_ops
from market.operations import contracts as ops
from tests.clients import english_client
from tests.factories import make_admin, make_department, make_user
from tests.market.job_builders import make_awarded_job, make_job, make_owner, owner_user
from tests.market.test_contracts import file_storage, start_service


def rows(html: str, attribute: str) -> dict[str, str]:
    """{value of data-<attribute>: the row's html}."""
    return dict(re.findall(rf'<tr data-{attribute}="([^"]+)">(.*?)</tr>', html, re.S))


def section(html: str, name: str) -> str:
    return re.search(rf'<section[^>]*(?:id|data-status)="{name}".*?</section>', html, re.S)[0]


def test_the_owner_sees_jobs_by_state_with_the_next_action(app, db_session):
    owner = make_owner()
    awarded = make_awarded_job(owner=owner)
    delivered = make_awarded_job(owner=owner)
    start_service(delivered)
    ops.submit_deliverable(delivered.job, delivered.agency.organisation, file_storage(), "")
    draft = make_job(owner)
    objected = make_awarded_job(owner=owner)
    objected.job.status = JobStatus.PUBLICITY
    objection = Objection(job_id=objected.job.id, bid_id=objected.bid.id, reasons="评审不公",
                          answer_due_at=deadline(utcnow(), 3))
    picking = make_awarded_job(owner=owner, method=SelectionMethod.CREDIT_BEST, price=None)
    picking.job.status, picking.job.winner_bid_id = JobStatus.CLOSED, None
    db_session.add(objection)
    someone_elses = make_awarded_job()
    db_session.commit()

    html = english_client(app, owner_user(owner)).get("/dashboard").get_data(as_text=True)
    assert rows(section(html, "awarded"), "job")[awarded.job.number].count(
        "File or confirm the contract") == 1
    assert "Accept or return the deliverables" in rows(section(html, "delivered"),
                                                       "job")[delivered.job.number]
    assert "Complete and publish" in rows(section(html, "draft"), "job")[draft.number]
    assert f'href="/objections/{objection.id}"' in rows(section(html, "publicity"),
                                                         "job")[objected.job.number]
    assert "Pick the winner" in rows(section(html, "closed"), "job")[picking.job.number]
    assert someone_elses.job.number not in html
    assert 'href="/dashboard"' in html  # the navbar entry


def test_once_the_owner_filed_the_contract_nothing_waits_for_it(app, db_session):
    a = make_awarded_job()
    ops.file_contract(a.job, a.owner.organisation, "10000", None, file_storage())
    db_session.commit()
    owner_page = english_client(app, a.owner_user).get("/dashboard").get_data(as_text=True)
    assert "File or confirm the contract" not in owner_page
    agency_page = english_client(app, a.agency_user).get("/dashboard").get_data(as_text=True)
    assert "File or confirm the contract" in rows(agency_page, "job")[a.job.number]


def test_the_agency_sees_what_is_due(app, db_session):
    awarded = make_awarded_job()
    serving = make_awarded_job(agency=awarded.agency)
    contract = start_service(serving)
    db_session.commit()

    html = english_client(app, awarded.agency_user).get("/dashboard").get_data(as_text=True)
    work = rows(section(html, "work"), "job")
    assert "File or confirm the contract" in work[awarded.job.number]
    assert "Upload the deliverables" in work[serving.job.number]
    assert contract.service_due_on.isoformat() in work[serving.job.number]
    bids = section(html, "bids")
    assert awarded.job.number in bids and serving.job.number in bids


def test_the_regulator_queue(app, db_session):
    department = make_department()
    mine = make_awarded_job(department=department)
    start_service(mine)
    deliverable = ops.submit_deliverable(mine.job, mine.agency.organisation, file_storage(), "")
    ops.accept_deliverable(deliverable, mine.owner.organisation)
    objected = make_awarded_job(department=department)
    elsewhere = make_awarded_job()
    for a in (objected, elsewhere):
        db_session.add(Objection(job_id=a.job.id, bid_id=a.bid.id, reasons="评审不公",
                                 status=ObjectionStatus.RAISED,
                                 answer_due_at=deadline(utcnow(), 3)))
    decided = make_awarded_job(department=department)
    db_session.add(Objection(job_id=decided.job.id, bid_id=decided.bid.id, reasons="已处理",
                             status=ObjectionStatus.REJECTED, answer_due_at=utcnow()))
    complaint = complaint_ops.submit_complaint(elsewhere.agency, "张三", "123", "收费不合理")
    db_session.commit()

    html = english_client(app, make_user(Role.STAFF, department)).get("/dashboard").get_data(True)
    objections = section(html, "objections")
    assert objected.job.number in objections
    assert elsewhere.job.number not in objections and decided.job.number not in objections
    assert f'data-complaint="{complaint.id}"' in section(html, "complaints")
    assert mine.job.number in rows(section(html, "evaluations"), "job")


def test_who_has_no_dashboard(app, db_session):
    department = make_department()
    inspector, admin = make_user(Role.INSPECTOR, department), make_admin()
    db_session.commit()
    for user in (inspector, admin):
        assert english_client(app, user).get("/dashboard").status_code == 403
        assert 'href="/dashboard"' not in english_client(app, user).get("/").get_data(True)
    anonymous = english_client(app).get("/dashboard")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
