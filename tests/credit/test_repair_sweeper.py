"""Credit repair: the overdue sweeper (5 working days, RULES.md §2), the transition table
and the eligibility rules, below the HTTP layer."""

import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from core import scheduler
from core.audit import history
from core.auth.models import Role
from core.errors import Conflict
from core.extensions import db
from core.notifications import Notification
from credit.models import RepairApplication, RepairStatus
from credit.operations import repair as operations
from credit.operations import subjects as subject_ops
from credit.queries import repair as queries
from credit.rules import RecordKind, Severity
from tests.clients import english_client
from tests.credit.builders_repair import add_penalty, make_subject_org, sign_in
from tests.factories import make_department, make_user

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def _request(text: str = "罚款已缴清") -> operations.RepairRequest:
    return operations.RepairRequest(obligations_statement=text, evidence="缴款书",
                                    commitment_text="本单位承诺……", commitment_accepted=True)


@pytest.fixture
def national_day(db_session):
    """A minor penalty (repairable at once) applied for on Monday 29 September 2025, just
    before the National Day holiday (1–8 October; Saturday 11 October is a working day)."""
    submitted = beijing(2025, 9, 29, 10)
    with time_machine.travel(submitted, tick=False):
        department = make_department("住房和城乡建设局")
        org, user, subject = make_subject_org()
        record = add_penalty(subject, department, date(2025, 9, 29), Severity.MINOR)
        application = operations.submit_application(subject, _request(), record=record)
    return {"department": department, "org": org, "user": user, "subject": subject,
            "record": record, "application": application}


def _department_notices(department_id: int) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.organisation_id == department_id)))


def test_the_decision_is_due_five_working_days_later_across_the_holiday(national_day):
    # 30 Sep, 9 Oct, 10 Oct, Saturday 11 Oct (调休), 13 Oct.
    assert national_day["application"].decide_by == \
        beijing(2025, 10, 13, 23, 59, 59).astimezone(UTC)


def test_the_sweeper_flags_once_after_five_working_days(national_day):
    application, department = national_day["application"], national_day["department"]
    application_id, department_id = application.id, department.id  # the sweeper's commit
    sweep = scheduler.SWEEPERS["credit.repair_overdue"]  # detaches what this test loaded
    assert sweep.trigger == {"trigger": "interval", "minutes": 30}

    with time_machine.travel(beijing(2025, 10, 13, 23, 59), tick=False):
        assert sweep.func() == 0  # a calendar count would have flagged it on 4 October
    assert application.overdue_flagged_at is None

    flagged_at = beijing(2025, 10, 14, 0, 1)
    with time_machine.travel(flagged_at, tick=False):
        assert scheduler.run_sweeper("credit.repair_overdue") == 1  # commits like production
    application = db.session.get(RepairApplication, application_id)
    assert application.overdue_flagged_at == flagged_at.astimezone(UTC)
    assert application.status == RepairStatus.SUBMITTED  # flagged, still to be decided
    notices = _department_notices(department_id)
    assert len(notices) == 1 and notices[0].link == f"/credit/repair/{application_id}"

    with time_machine.travel(beijing(2025, 10, 15, 9), tick=False):
        assert sweep.func() == 0
    db.session.refresh(application)
    assert application.overdue_flagged_at == flagged_at.astimezone(UTC)
    assert len(_department_notices(department_id)) == 1
    assert [e.action for e in history("credit_repair", application_id)] == [
        "credit.repair.submit", "credit.repair.overdue"]


def test_the_queue_highlights_overdue_applications(app, national_day):
    regulator = make_user(Role.STAFF, national_day["department"])
    client = english_client(app)
    with time_machine.travel(beijing(2025, 10, 14, 9), tick=False):
        sign_in(client, regulator)
        page = client.get("/credit/repair/queue").get_data(as_text=True)
    application_id = national_day["application"].id
    assert f'data-application-id="{application_id}" data-overdue="1"' in page


def test_decided_applications_are_not_flagged(national_day):
    regulator = make_user(Role.STAFF, national_day["department"])
    with time_machine.travel(beijing(2025, 10, 9, 9), tick=False):
        operations.refuse(national_day["application"], regulator, "证据不足")
    with time_machine.travel(beijing(2025, 10, 20, 9), tick=False):
        assert operations.flag_overdue() == 0
    assert national_day["application"].overdue_flagged_at is None


def test_an_overdue_application_without_department_is_logged(db_session, caplog):
    with time_machine.travel(beijing(2025, 9, 29, 10), tick=False):
        _, _, subject = make_subject_org()
        record = subject_ops.add_record(subject.uscc, RecordKind.PENALTY, "平台记录",
                                        "网上中介服务超市", severity=Severity.MINOR)
        application = operations.submit_application(subject, _request(), record=record)
    with time_machine.travel(beijing(2025, 10, 14, 9), tick=False), \
            caplog.at_level(logging.WARNING, logger="credit.operations.repair"):
        assert operations.flag_overdue() == 1
    assert f"repair application {application.id} is overdue" in caplog.text


# --- Transition table -----------------------------------------------------------------------

def test_open_statuses_are_those_the_table_moves_on_from():
    assert set(queries.OPEN_STATUSES) == {
        status for status, targets in operations.TRANSITIONS.items() if targets}
    assert set(operations.TRANSITIONS) == set(RepairStatus)


def test_a_decision_is_final(national_day):
    regulator = make_user(Role.STAFF, national_day["department"])
    application = national_day["application"]
    with time_machine.travel(beijing(2025, 9, 30, 9), tick=False):
        operations.approve(application, regulator, "已核实")
        with pytest.raises(Conflict):
            operations.refuse(application, regulator, "改判")
    assert application.status == RepairStatus.APPROVED
    assert national_day["record"].repaired_on == date(2025, 9, 30)


def test_a_refused_record_can_be_applied_for_again(national_day):
    regulator = make_user(Role.STAFF, national_day["department"])
    with time_machine.travel(beijing(2025, 9, 30, 9), tick=False):
        operations.refuse(national_day["application"], regulator, "证据不足")
        again = operations.submit_application(national_day["subject"], _request("补充凭证"),
                                              record=national_day["record"])
    assert again.status == RepairStatus.SUBMITTED and again.id != national_day["application"].id


# --- Eligibility ----------------------------------------------------------------------------

def test_serious_penalties_wait_a_year_and_commendations_are_never_repairable(db_session):
    department = make_department()
    with time_machine.travel(beijing(2025, 3, 3, 9), tick=False):
        _, _, subject = make_subject_org()
        serious = add_penalty(subject, department, date(2025, 3, 3), Severity.SERIOUS)
        commendation = subject_ops.add_record(subject.uscc, RecordKind.COMMENDATION, "守信表彰",
                                              department.name)
    assert queries.repairable_from(serious) == date(2026, 3, 3)
    assert "2026-03-03" in queries.record_refusal(serious, date(2026, 3, 2))
    assert queries.record_refusal(serious, date(2026, 3, 3)) is None
    assert queries.record_refusal(commendation, date(2025, 7, 1)) is not None
    with time_machine.travel(beijing(2026, 3, 3, 9), tick=False):
        assert queries.repairable_records(subject, date(2026, 3, 3)) == [serious]


def test_an_application_needs_its_commitment_accepted(national_day):
    request = _request()
    request.commitment_accepted = False
    with time_machine.travel(beijing(2025, 10, 9, 9), tick=False):
        operations.refuse(national_day["application"], make_user(
            Role.STAFF, national_day["department"]), "证据不足")
        with pytest.raises(operations.FieldConflict) as refused:
            operations.submit_application(national_day["subject"], request,
                                          record=national_day["record"])
    assert refused.value.field == "accept_commitment"
