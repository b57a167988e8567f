"""Credit repair through the browser's eyes (RULES.md §2 "Disclosure and repair"): the
subject applies once the minimum display period has passed, with a new public commitment;
the deciding department approves (the record leaves public view, the score comes back) or
refuses with a reason; evidence stays private."""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from core.audit import history
from core.auth.models import Role
from core.extensions import db
from core.notifications import Notification
from credit.models import Commitment, RepairApplication, RepairStatus
from credit.operations import repair as operations
from credit.rules import Severity
from tests.clients import english_client
from tests.credit.builders_repair import (
    PDF_BYTES,
    add_penalty,
    csrf_token,
    evidence_upload,
    list_subject,
    make_subject_org,
    repair_form,
    sign_in,
)
from tests.factories import PASSWORD, make_department, make_user

BEIJING = ZoneInfo("Asia/Shanghai")
PENALTY_DAY = date(2025, 1, 6)  # general penalty: repairable from 2025-04-06, public to 2026-01-06


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


@pytest.fixture
def client(app):
    return english_client(app)  # messages are asserted in their English msgid form


@pytest.fixture
def world(db_session):
    """A department with a regulator, and an agency with a general penalty of 2025-01-06."""
    with time_machine.travel(beijing(2025, 1, 6, 10), tick=False):
        department = make_department("自然资源和规划局")
        regulator = make_user(Role.STAFF, department)
        org, user, subject = make_subject_org()
        record = add_penalty(subject, department, PENALTY_DAY, title="违规出具测绘成果")
    return {"department": department, "regulator": regulator, "org": org, "user": user,
            "subject": subject, "record": record}


def _apply_url(record) -> str:
    return f"/credit/repair/records/{record.id}/apply"


def _applications() -> list[RepairApplication]:
    return list(db.session.scalars(select(RepairApplication)))


def _submit(client, world, **form) -> RepairApplication:
    sign_in(client, world["user"])
    response = client.post(_apply_url(world["record"]), data=repair_form(**form),
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    application_id = int(re.search(r"/credit/repair/(\d+)$", response.location)[1])
    return db.session.get(RepairApplication, application_id)


def _public_page(app, subject) -> str:
    response = english_client(app).get(f"/credit/subjects/{subject.uscc}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _shown_score(page: str) -> str:
    return re.search(r'data-testid="score" data-score="([\d.]+)"', page)[1]


# --- Minimum period -------------------------------------------------------------------------

def test_a_general_penalty_cannot_be_repaired_within_its_three_months(client, world):
    with time_machine.travel(beijing(2025, 4, 5, 23, 30), tick=False):
        sign_in(client, world["user"])
        page = client.get("/credit/repair").get_data(as_text=True)
        assert "Nothing can be repaired at the moment." in page
        assert "repairable from 2025-04-06" in page

        form = client.get(_apply_url(world["record"]))
        assert form.status_code == 409
        assert "can be repaired from 2025-04-06" in form.get_data(as_text=True)

        posted = client.post(_apply_url(world["record"]), data=repair_form())
        assert posted.status_code == 409
        assert "can be repaired from 2025-04-06" in posted.get_data(as_text=True)
    assert _applications() == []


def test_after_three_months_the_subject_applies_with_a_new_public_commitment(client, world):
    with time_machine.travel(beijing(2025, 4, 7, 9), tick=False):
        sign_in(client, world["user"])
        page = client.get("/credit/repair").get_data(as_text=True)
        assert f'href="{_apply_url(world["record"])}"' in page

        form = client.get(_apply_url(world["record"])).get_data(as_text=True)
        shown = operations.commitment_text(world["subject"].name)
        assert shown in form

        application = _submit(client, world)

    assert application.status == RepairStatus.SUBMITTED
    assert application.record_id == world["record"].id
    assert application.obligations_statement == repair_form()["obligations_statement"]
    # Qingming fell on 4 April; 5 working days after Monday 7 April end on Monday 14 April.
    assert application.decide_by == beijing(2025, 4, 14, 23, 59, 59).astimezone(UTC)
    commitment = db.session.get(Commitment, application.commitment_id)
    assert commitment.subject_id == world["subject"].id
    assert commitment.context == f"repair:{application.id}"
    assert commitment.text == shown
    assert [e.action for e in history("credit_repair", application.id)] == [
        "credit.repair.submit"]


def test_the_commitment_must_be_accepted(client, world):
    with time_machine.travel(beijing(2025, 4, 7, 9), tick=False):
        sign_in(client, world["user"])
        response = client.post(_apply_url(world["record"]),
                               data=repair_form(accept_commitment=None))
    assert response.status_code == 200
    assert "A repair needs a new public credit commitment" in response.get_data(as_text=True)
    assert _applications() == []


def test_only_one_open_application_per_record(client, world):
    with time_machine.travel(beijing(2025, 4, 7, 9), tick=False):
        _submit(client, world)
        again = client.post(_apply_url(world["record"]), data=repair_form())
        assert again.status_code == 409
        assert "already open" in again.get_data(as_text=True)
        page = client.get("/credit/repair").get_data(as_text=True)
    assert f'href="{_apply_url(world["record"])}"' not in page
    assert "an application is awaiting decision" in page
    assert len(_applications()) == 1


def test_without_csrf_token_nothing_is_submitted(client, world, csrf_enforced):
    with time_machine.travel(beijing(2025, 4, 7, 9), tick=False):
        signed_in = client.post("/login", data={"username": world["user"].username,
                                                "password": PASSWORD,
                                                "csrf_token": csrf_token(client, "/login")})
        assert signed_in.status_code == 302
        assert client.get(_apply_url(world["record"])).status_code == 200
        response = client.post(_apply_url(world["record"]), data=repair_form())
    assert response.status_code == 400
    assert _applications() == []


# --- Decision -------------------------------------------------------------------------------

def test_approval_hides_the_penalty_and_gives_the_points_back(app, client, world):
    with time_machine.travel(beijing(2025, 4, 8, 9), tick=False):
        before = _public_page(app, world["subject"])
        assert "违规出具测绘成果" in before
        assert _shown_score(before) == "74.00"  # 40 + 24 + 20 − 10 for the general penalty
        application = _submit(client, world)

        sign_in(client, world["regulator"])
        queue = client.get("/credit/repair/queue").get_data(as_text=True)
        assert f'data-application-id="{application.id}"' in queue
        response = client.post(f"/credit/repair/{application.id}/decide",
                               data={"decision": "approve", "note": "罚款已核实"})
        assert response.status_code == 302
        after = _public_page(app, world["subject"])

    assert application.status == RepairStatus.APPROVED
    assert application.decided_by_id == world["regulator"].id
    assert world["record"].repaired_on == date(2025, 4, 8)
    assert "违规出具测绘成果" not in after
    assert _shown_score(after) == "84.00"
    assert world["subject"].score == 84
    notices = db.session.scalars(select(Notification).where(
        Notification.organisation_id == world["org"].id,
        Notification.link == f"/credit/repair/{application.id}")).all()
    assert len(notices) == 1
    assert [e.action for e in history("credit_repair", application.id)] == [
        "credit.repair.submit", "credit.repair.approve"]
    with time_machine.travel(beijing(2025, 4, 8, 10), tick=False):
        assert f'data-application-id="{application.id}"' not in client.get(
            "/credit/repair/queue").get_data(as_text=True)


def test_refusal_needs_a_reason_keeps_the_record_and_allows_a_new_application(app, client,
                                                                                  world):
    with time_machine.travel(beijing(2025, 4, 8, 9), tick=False):
        application = _submit(client, world)
        sign_in(client, world["regulator"])
        blank = client.post(f"/credit/repair/{application.id}/decide",
                            data={"decision": "refuse", "note": "  "})
        assert blank.status_code == 200
        assert "A refusal needs a reason" in blank.get_data(as_text=True)
        assert application.status == RepairStatus.SUBMITTED

        client.post(f"/credit/repair/{application.id}/decide",
                    data={"decision": "refuse", "note": "未提供缴款凭证"})
        public = _public_page(app, world["subject"])

        sign_in(client, world["user"])
        detail = client.get(f"/credit/repair/{application.id}").get_data(as_text=True)
        again = client.get(_apply_url(world["record"]))

    assert application.status == RepairStatus.REFUSED
    assert application.decision_note == "未提供缴款凭证"
    assert world["record"].repaired_on is None
    assert "违规出具测绘成果" in public and _shown_score(public) == "74.00"
    assert "未提供缴款凭证" in detail
    assert again.status_code == 200
    assert [e.action for e in history("credit_repair", application.id)] == [
        "credit.repair.submit", "credit.repair.refuse"]


def test_a_decided_application_cannot_be_decided_again(client, world):
    with time_machine.travel(beijing(2025, 4, 8, 9), tick=False):
        application = _submit(client, world)
        sign_in(client, world["regulator"])
        client.post(f"/credit/repair/{application.id}/decide", data={"decision": "approve"})
        response = client.post(f"/credit/repair/{application.id}/decide",
                               data={"decision": "refuse", "note": "改变主意"})
    assert response.status_code == 409
    assert "already been decided" in response.get_data(as_text=True)
    assert application.status == RepairStatus.APPROVED


# --- Permissions ----------------------------------------------------------------------------

def test_another_organisation_cannot_apply_for_the_subject(client, world):
    _, stranger, _ = make_subject_org()
    with time_machine.travel(beijing(2025, 4, 8, 9), tick=False):
        sign_in(client, stranger)
        assert client.get(_apply_url(world["record"])).status_code == 403
        assert client.post(_apply_url(world["record"]), data=repair_form()).status_code == 403
        sign_in(client, world["regulator"])
        assert client.post(_apply_url(world["record"]), data=repair_form()).status_code == 403
    assert _applications() == []


def test_only_regulators_of_the_deciding_department_decide(client, world):
    other_department = make_department("市场监督管理局")
    outsider_regulator = make_user(Role.STAFF, other_department)
    inspector = make_user(Role.INSPECTOR, world["department"])
    with time_machine.travel(beijing(2025, 4, 8, 9), tick=False):
        application = _submit(client, world)
        url = f"/credit/repair/{application.id}/decide"
        for user in (world["user"], outsider_regulator, inspector):
            sign_in(client, user)
            assert client.post(url, data={"decision": "approve"}).status_code == 403
        sign_in(client, world["user"])
        assert client.get("/credit/repair/queue").status_code == 403
    assert application.status == RepairStatus.SUBMITTED


def test_evidence_file_is_served_only_to_the_subject_and_regulators(app, client, world):
    _, stranger, _ = make_subject_org()
    with time_machine.travel(beijing(2025, 4, 8, 9), tick=False):
        application = _submit(client, world, evidence_file=evidence_upload())
        url = f"/credit/repair/{application.id}/evidence"
        own = client.get(url)
        assert own.status_code == 200 and own.data == PDF_BYTES
        assert own.mimetype == "application/pdf"
        sign_in(client, world["regulator"])
        assert client.get(url).data == PDF_BYTES
        sign_in(client, stranger)
        assert client.get(url).status_code == 403
        assert client.get(f"/credit/repair/{application.id}").status_code == 403
        assert english_client(app).get(url).status_code == 302  # to the sign-in page


def test_evidence_must_be_a_pdf_or_image_by_content(client, world):
    with time_machine.travel(beijing(2025, 4, 8, 9), tick=False):
        sign_in(client, world["user"])
        response = client.post(
            _apply_url(world["record"]),
            data=repair_form(evidence_file=evidence_upload(b"MZ\x90\x00 not a pdf", "a.pdf")),
            content_type="multipart/form-data")
    assert response.status_code == 200
    assert "The file must be one of JPG, PDF, PNG" in response.get_data(as_text=True)
    assert _applications() == []


# --- The panel on the credit page -----------------------------------------------------------

def test_the_credit_page_offers_repair_to_the_subject_only(app, client, world):
    with time_machine.travel(beijing(2025, 4, 8, 9), tick=False):
        sign_in(client, world["user"])
        own = client.get(f"/credit/subjects/{world['subject'].uscc}").get_data(as_text=True)
        public = _public_page(app, world["subject"])
    assert f'href="{_apply_url(world["record"])}"' in own
    assert 'id="repair"' not in public


def test_a_penalty_out_of_display_is_never_offered(client, world):
    with time_machine.travel(beijing(2026, 1, 6, 9), tick=False):  # display ended today
        sign_in(client, world["user"])
        page = client.get("/credit/repair").get_data(as_text=True)
        response = client.get(_apply_url(world["record"]))
    assert "Nothing can be repaired at the moment." in page
    assert "违规出具测绘成果" not in page
    assert response.status_code == 409
    assert "no longer publicly displayed" in response.get_data(as_text=True)


def test_a_minor_penalty_is_repairable_at_once(client, world):
    with time_machine.travel(beijing(2025, 5, 6, 9), tick=False):
        minor = add_penalty(world["subject"], world["department"], date(2025, 5, 6),
                            Severity.MINOR, title="未按时报送年度报告")
        sign_in(client, world["user"])
        page = client.get("/credit/repair").get_data(as_text=True)
    assert f'href="{_apply_url(minor)}"' in page


# --- Severe dishonesty list: early removal by repair ---------------------------------------

def test_a_listing_ends_early_by_repair_after_a_year_on_the_list(client, world):
    with time_machine.travel(beijing(2025, 1, 10, 9), tick=False):
        listing = list_subject(world["subject"], world["department"], beijing(2025, 1, 10, 9))
    assert listing.status == "listed" and world["subject"].level == "D"
    url = f"/credit/repair/listings/{listing.id}/apply"
    with time_machine.travel(beijing(2025, 12, 1, 9), tick=False):
        sign_in(client, world["user"])
        assert client.get(url).status_code == 409
    with time_machine.travel(beijing(2026, 1, 20, 9), tick=False):
        sign_in(client, world["user"])
        assert f'href="{url}"' in client.get("/credit/repair").get_data(as_text=True)
        response = client.post(url, data=repair_form())
        assert response.status_code == 302
        application = _applications()[0]
        sign_in(client, world["regulator"])
        client.post(f"/credit/repair/{application.id}/decide", data={"decision": "approve"})
    assert application.status == RepairStatus.APPROVED
    assert listing.status == "removed" and listing.removed_on == date(2026, 1, 20)
    assert world["subject"].level != "D"
