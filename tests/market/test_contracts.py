"""Contract filing, the service clock, extensions, deliverables and acceptance (RULES.md §1
"Contract, delivery, acceptance"), driven through the pages as the owner and the agency
would; the sweepers for late delivery and overdue acceptance run twice."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from core import scheduler
from core.audit import AuditEntry
from core.calendar import add_working_days, deadline
from core.notifications import Notification
from credit.models import CreditRecord, CreditSubject
from credit.rules import RecordKind
from market import job_queries
from market.models import (
    Bid,
    Contract,
    ContractStatus,
    Deliverable,
    DeliverableStatus,
    Evaluation,
    ExtensionStatus,
    Job,
    JobStatus,
    SelectionMethod,
)
from market.operations import contracts as ops
from market.rules import local_today
from tests.clients import english_client
from tests.factories import make_agency, make_department, make_user
from tests.market.job_builders import make_awarded_job, make_owner, owner_user

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING).astimezone(UTC)


def pdf(name="contract.pdf"):
    return io.BytesIO(PDF), name


def file_storage(content=PDF, name="contract.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(content), name)


def start_service(awarded, amount="10000.00"):
    """File (agency) and confirm (owner) through the operations: the job is in service."""
    contract = ops.file_contract(awarded.job, awarded.agency.organisation, amount, None,
                                 file_storage())
    ops.confirm_contract(contract, awarded.owner.organisation)
    return contract


def fresh(db_session, model, row_id):
    db_session.expire_all()
    return db_session.get(model, row_id)


def zh(message: str, **values) -> str:
    """A notification text as stored: in Chinese, the platform's language."""
    with force_locale("zh_CN"):
        return gettext(message, **values)


def notes_for(db_session, organisation_id) -> list[str]:
    return list(db_session.scalars(select(Notification.title).where(
        Notification.organisation_id == organisation_id).order_by(Notification.id)))


# --- Filing and confirming ------------------------------------------------------------------

def test_agency_files_the_owner_confirms_and_the_service_starts(app, db_session):
    a = make_awarded_job(service_days=10)
    db_session.commit()
    agency = english_client(app, a.agency_user)

    page = agency.get(f"/jobs/{a.job.id}/contract").get_data(as_text=True)
    assert "File the contract" in page and "10000.00" in page
    response = agency.post(f"/jobs/{a.job.id}/contract",
                           data={"amount": "10000.00", "file": pdf()})
    assert response.status_code == 302
    contract = job_queries.contract_for(fresh(db_session, Job, a.job.id))
    assert contract.status == ContractStatus.UPLOADED
    assert contract.uploaded_by_org_id == a.agency.organisation_id
    assert zh("Confirm the contract of job %(number)s", number=a.job.number) in notes_for(
        db_session, a.owner.organisation_id)
    # The side that filed cannot confirm its own contract.
    assert agency.post(f"/jobs/{a.job.id}/contract/confirm").status_code == 403

    owner = english_client(app, a.owner_user)
    assert "Confirm the contract and start the service" in owner.get(
        f"/jobs/{a.job.id}/contract").get_data(as_text=True)
    response = owner.post(f"/jobs/{a.job.id}/contract/confirm")
    assert response.status_code == 302

    job = fresh(db_session, Job, a.job.id)
    contract = fresh(db_session, Contract, contract.id)
    assert job.status == JobStatus.IN_SERVICE
    assert contract.status == ContractStatus.CONFIRMED and contract.confirmed_at is not None
    assert contract.service_due_on == add_working_days(local_today(), 10)
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "contract.confirm")
                               ).one()
    assert entry.before["job_status"] == "awarded" and entry.after["job_status"] == "in_service"
    page = owner.get(f"/jobs/{a.job.id}/contract").get_data(as_text=True)
    assert contract.service_due_on.isoformat() in page


def test_the_owner_may_file_and_the_agency_confirms(app, db_session):
    a = make_awarded_job()
    db_session.commit()
    owner = english_client(app, a.owner_user)
    assert owner.post(f"/jobs/{a.job.id}/contract",
                      data={"amount": "10000", "file": pdf()}).status_code == 302
    agency = english_client(app, a.agency_user)
    assert agency.post(f"/jobs/{a.job.id}/contract/confirm").status_code == 302
    assert fresh(db_session, Job, a.job.id).status == JobStatus.IN_SERVICE


def test_an_amount_other_than_the_winning_price_needs_a_reason(app, db_session):
    a = make_awarded_job(price="10000.00")
    db_session.commit()
    agency = english_client(app, a.agency_user)

    response = agency.post(f"/jobs/{a.job.id}/contract",
                           data={"amount": "9500.00", "file": pdf()})
    assert response.status_code == 400
    assert "The amount differs from the winning price" in response.get_data(as_text=True)
    assert job_queries.contract_for(fresh(db_session, Job, a.job.id)) is None

    response = agency.post(f"/jobs/{a.job.id}/contract", data={
        "amount": "9500.00", "amount_reason": "业主删减了第三阶段的工作内容", "file": pdf()})
    assert response.status_code == 302
    contract = job_queries.contract_for(fresh(db_session, Job, a.job.id))
    assert contract.amount == Decimal("9500.00")
    assert contract.amount_reason == "业主删减了第三阶段的工作内容"


def test_the_winning_price_of_a_random_draw_is_the_fixed_price(db_session):
    a = make_awarded_job(price=None, method=SelectionMethod.RANDOM,
                         fixed_price=Decimal("8000.00"))
    assert ops.winning_price(a.job, a.bid) == Decimal("8000.00")
    with pytest.raises(ops.FieldConflict):
        ops.file_contract(a.job, a.agency.organisation, "10000", None, file_storage())
    contract = ops.file_contract(a.job, a.agency.organisation, "8000", None, file_storage())
    assert contract.amount == Decimal("8000.00")


def test_amount_rule_is_exact_to_the_fen():
    assert not ops.amount_needs_reason(Decimal("100.00"), Decimal("100"))
    assert ops.amount_needs_reason(Decimal("100.01"), Decimal("100"))
    assert not ops.amount_needs_reason(Decimal("123.45"), None)  # no price set (credit best)


def test_a_contract_must_be_a_pdf(app, db_session):
    a = make_awarded_job()
    db_session.commit()
    agency = english_client(app, a.agency_user)
    response = agency.post(f"/jobs/{a.job.id}/contract",
                           data={"amount": "10000.00", "file": (io.BytesIO(PNG), "c.pdf")})
    assert response.status_code == 400
    assert "The file must be one of PDF" in response.get_data(as_text=True)


def test_the_service_is_due_in_working_days_across_a_holiday(app, db_session):
    # Confirmed on Tuesday 30 September 2025; 1–8 October is the National Day holiday, so
    # two working days later is Friday 10 October, not Thursday 2 October.
    with time_machine.travel(beijing(2025, 9, 30, 10), tick=False):
        a = make_awarded_job(service_days=2)
        contract = start_service(a)
    assert contract.service_due_on.isoformat() == "2025-10-10"


def test_a_late_confirmation_is_accepted_while_the_job_is_still_awarded(db_session):
    a = make_awarded_job()
    contract = ops.file_contract(a.job, a.agency.organisation, "10000", None, file_storage())
    with time_machine.travel(a.job.contract_due_at + timedelta(days=2), tick=False):
        ops.confirm_contract(contract, a.owner.organisation)
    assert a.job.status == JobStatus.IN_SERVICE


def test_a_confirmation_loses_to_the_contract_sweeper(db_session):
    """The contract sweeper (J3) gave the award to the next bidder first: the status-guarded
    confirmation is refused and nothing changes."""
    a = make_awarded_job()
    contract = ops.file_contract(a.job, a.agency.organisation, "10000", None, file_storage())
    a.job.status = JobStatus.SELECTED  # what the sweeper does when the winner defaults
    db_session.flush()
    with pytest.raises(ops.Conflict):
        ops.confirm_contract(contract, a.owner.organisation)
    assert contract.status == ContractStatus.UPLOADED and a.job.status == JobStatus.SELECTED


def test_a_contract_of_an_earlier_winner_cannot_be_confirmed(db_session):
    """The next-ranked bidder took the award: the old winner's contract is stale."""
    a = make_awarded_job()
    contract = ops.file_contract(a.job, a.agency.organisation, "10000", None, file_storage())
    runner_up = Bid(job_id=a.job.id, agency_id=make_agency().id, rank=2,
                    price=Decimal("10500.00"))
    db_session.add(runner_up)
    db_session.flush()
    a.job.winner_bid_id = runner_up.id
    db_session.flush()
    with pytest.raises(ops.Conflict, match="earlier winner"):
        ops.confirm_contract(contract, a.owner.organisation)
    # The present winner files anew; the row is reused for its bid.
    refiled = ops.file_contract(a.job, a.owner.organisation, "10500", None, file_storage())
    assert refiled.id == contract.id and refiled.bid_id == a.job.winner_bid_id


# --- Extensions -----------------------------------------------------------------------------

def test_the_owner_approves_then_refuses_an_extension(app, db_session):
    a = make_awarded_job(service_days=10)
    contract = start_service(a)
    due = contract.service_due_on
    db_session.commit()
    agency, owner = english_client(app, a.agency_user), english_client(app, a.owner_user)

    response = agency.post(f"/jobs/{a.job.id}/extensions",
                           data={"working_days": "5", "reason": "外业受连续降雨影响"})
    assert response.status_code == 302
    extension = job_queries.pending_extension(fresh(db_session, Contract, contract.id))
    assert extension.working_days == 5
    # One request at a time.
    again = agency.post(f"/jobs/{a.job.id}/extensions",
                        data={"working_days": "3", "reason": "再次申请"})
    assert again.status_code == 400
    assert "already waiting for the owner" in again.get_data(as_text=True)

    assert owner.post(f"/jobs/{a.job.id}/extensions/{extension.id}",
                      data={"approve": "Approve"}).status_code == 302
    contract = fresh(db_session, Contract, contract.id)
    assert contract.service_due_on == add_working_days(due, 5)
    assert fresh(db_session, type(extension), extension.id).status == ExtensionStatus.APPROVED

    agency.post(f"/jobs/{a.job.id}/extensions", data={"working_days": "20", "reason": "人手不足"})
    second = job_queries.pending_extension(fresh(db_session, Contract, contract.id))
    refused = owner.post(f"/jobs/{a.job.id}/extensions/{second.id}", data={"refuse": "Refuse"})
    assert refused.status_code == 400 and "Give the reason for refusing" in \
        refused.get_data(as_text=True)
    assert owner.post(f"/jobs/{a.job.id}/extensions/{second.id}",
                      data={"refuse": "Refuse", "decision_note": "工期不能再延"}
                      ).status_code == 302
    assert fresh(db_session, type(second), second.id).status == ExtensionStatus.REFUSED
    assert fresh(db_session, Contract, contract.id).service_due_on == add_working_days(due, 5)
    titles = notes_for(db_session, a.agency.organisation_id)
    assert zh("Job %(number)s: extension approved", number=a.job.number) in titles
    assert zh("Job %(number)s: extension refused", number=a.job.number) in titles


# --- Deliverables and acceptance ----------------------------------------------------------

def test_deliverables_returned_then_accepted_open_the_evaluation(app, db_session):
    a = make_awarded_job()
    start_service(a)
    db_session.commit()
    agency, owner = english_client(app, a.agency_user), english_client(app, a.owner_user)

    response = agency.post(f"/jobs/{a.job.id}/deliverables", data={
        "file": (io.BytesIO(PNG), "成果图.png"), "note": "第一版成果"})
    assert response.status_code == 302
    assert fresh(db_session, Job, a.job.id).status == JobStatus.DELIVERED
    first = job_queries.deliverables_of(a.job)[0]
    assert first.original_name == "成果图.png"
    assert "Acceptance is due by" in owner.get(f"/jobs/{a.job.id}/contract").get_data(True)

    missing_reason = owner.post(f"/jobs/{a.job.id}/deliverables/{first.id}/return", data={})
    assert missing_reason.status_code == 400
    assert owner.post(f"/jobs/{a.job.id}/deliverables/{first.id}/return",
                      data={"reason": "缺少界址点坐标表"}).status_code == 302
    assert fresh(db_session, Job, a.job.id).status == JobStatus.IN_SERVICE
    first = fresh(db_session, Deliverable, first.id)
    assert first.status == DeliverableStatus.RETURNED and first.owner_note == "缺少界址点坐标表"

    agency.post(f"/jobs/{a.job.id}/deliverables", data={"file": pdf("成果.pdf"), "note": "补正"})
    second = job_queries.deliverables_of(a.job)[-1]
    response = owner.post(f"/jobs/{a.job.id}/deliverables/{second.id}/accept", data={})
    assert response.status_code == 302 and response.location.endswith(
        f"/jobs/{a.job.id}/evaluation")

    job = fresh(db_session, Job, a.job.id)
    assert job.status == JobStatus.ACCEPTED
    assert fresh(db_session, Deliverable, second.id).status == DeliverableStatus.ACCEPTED
    assert job.evaluation_due_at == deadline(fresh(db_session, Deliverable, second.id)
                                             .decided_at, 3)
    evaluation = db_session.scalars(select(Evaluation).where(Evaluation.job_id == job.id)).one()
    assert evaluation.agency_id == a.agency.id and evaluation.owner_rated_at is None
    assert notes_for(db_session, a.department.id) == [
        zh("Job %(number)s: rate the deliverables", number=a.job.number)]
    # The file is served to the sides only.
    assert owner.get(f"/jobs/{a.job.id}/deliverables/{second.id}/file").status_code == 200


def test_nothing_is_delivered_before_the_contract_is_confirmed(app, db_session):
    a = make_awarded_job()
    db_session.commit()
    agency = english_client(app, a.agency_user)
    response = agency.post(f"/jobs/{a.job.id}/deliverables", data={"file": pdf()})
    assert response.status_code == 400
    assert "while the service runs" in response.get_data(as_text=True)


# --- Sweepers -------------------------------------------------------------------------------

def late_records(db_session, uscc) -> int:
    return db_session.scalar(select(func.count()).select_from(CreditRecord).join(CreditSubject)
                             .where(CreditSubject.uscc == uscc,
                                    CreditRecord.kind == RecordKind.LATE_DELIVERY))


def test_late_delivery_is_recorded_once_per_contract(app, db_session):
    late, on_time = make_awarded_job(service_days=2), make_awarded_job(service_days=2)
    late_contract = start_service(late)
    start_service(on_time)
    ops.submit_deliverable(on_time.job, on_time.agency.organisation, file_storage(), "")
    uscc, due = late.agency.uscc, late_contract.service_due_on
    contract_id, on_time_uscc = late_contract.id, on_time.agency.uscc
    score_before = db_session.scalar(select(CreditSubject.score)
                                     .where(CreditSubject.uscc == uscc))
    db_session.commit()

    with time_machine.travel(datetime.combine(due, datetime.min.time(), BEIJING)
                             + timedelta(hours=12), tick=False):
        assert scheduler.run_sweeper("market.record_late_deliveries") == 0  # due today: fine
    with time_machine.travel(datetime.combine(due + timedelta(days=1), datetime.min.time(),
                                              BEIJING) + timedelta(hours=1), tick=False):
        assert scheduler.run_sweeper("market.record_late_deliveries") == 1
        assert scheduler.run_sweeper("market.record_late_deliveries") == 0

    assert late_records(db_session, uscc) == 1
    assert late_records(db_session, on_time_uscc) == 0
    assert db_session.get(Contract, contract_id).overdue_recorded_at is not None
    score_after = db_session.scalar(select(CreditSubject.score).where(CreditSubject.uscc == uscc))
    assert score_after < score_before  # behaviour part: late delivery deducts 2


def test_a_delivery_after_the_due_day_is_late_even_before_the_sweeper_runs(db_session):
    a = make_awarded_job(service_days=1)
    contract = start_service(a)
    after_due = datetime.combine(contract.service_due_on + timedelta(days=1),
                                 datetime.min.time(), BEIJING) + timedelta(minutes=5)
    with time_machine.travel(after_due, tick=False):
        ops.submit_deliverable(a.job, a.agency.organisation, file_storage(), "")
        assert ops.record_late_deliveries(local_today()) == 0
    assert late_records(db_session, a.agency.uscc) == 1
    assert contract.overdue_recorded_at is not None


def test_an_overdue_acceptance_is_flagged_once(app, db_session):
    a = make_awarded_job()
    start_service(a)
    deliverable = ops.submit_deliverable(a.job, a.agency.organisation, file_storage(), "")
    deliverable_id, department_id, number = deliverable.id, a.department.id, a.job.number
    submitted = deliverable.submitted_at
    db_session.commit()

    with time_machine.travel(submitted + timedelta(days=150), tick=False):
        assert scheduler.run_sweeper("market.flag_overdue_acceptances") == 0
    with time_machine.travel(submitted + timedelta(days=182), tick=False):
        assert scheduler.run_sweeper("market.flag_overdue_acceptances") == 1
        assert scheduler.run_sweeper("market.flag_overdue_acceptances") == 0
    assert db_session.get(Deliverable, deliverable_id).acceptance_overdue_at is not None
    assert notes_for(db_session, department_id) == [
        zh("Job %(number)s: acceptance overdue", number=number)]


# --- Permissions ----------------------------------------------------------------------------

def in_service_job(db_session):
    a = make_awarded_job()
    start_service(a)
    ops.request_extension(job_queries.contract_for(a.job), a.agency.organisation, 3, "雨天")
    deliverable = ops.submit_deliverable(a.job, a.agency.organisation, file_storage(), "")
    db_session.commit()
    return a, job_queries.pending_extension(job_queries.contract_for(a.job)), deliverable


@pytest.mark.parametrize("method, path, allowed", [
    ("get", "/jobs/{job}/contract", {"owner", "agency", "regulator"}),
    ("get", "/jobs/{job}/contract/file", {"owner", "agency", "regulator"}),
    ("post", "/jobs/{job}/contract", {"owner", "agency"}),
    ("post", "/jobs/{job}/contract/confirm", {"owner", "agency"}),
    ("post", "/jobs/{job}/extensions", {"agency"}),
    ("post", "/jobs/{job}/extensions/{extension}", {"owner"}),
    ("post", "/jobs/{job}/deliverables", {"agency"}),
    ("get", "/jobs/{job}/deliverables/{deliverable}/file", {"owner", "agency", "regulator"}),
    ("post", "/jobs/{job}/deliverables/{deliverable}/accept", {"owner"}),
    ("post", "/jobs/{job}/deliverables/{deliverable}/return", {"owner"}),
    ("get", "/jobs/{job}/evaluation", {"owner", "agency", "regulator"}),
    ("post", "/jobs/{job}/evaluation/owner", {"owner"}),
    ("post", "/jobs/{job}/evaluation/regulator", {"regulator"}),
])
def test_each_action_is_for_its_side_only(app, db_session, method, path, allowed):
    a, extension, deliverable = in_service_job(db_session)
    url = path.format(job=a.job.id, extension=extension.id, deliverable=deliverable.id)
    outsiders = {
        "other owner": owner_user(make_owner()),
        "other agency": make_agency().organisation.users[0],
        "other department": make_user(organisation=make_department()),
    }
    sides = {"owner": a.owner_user, "agency": a.agency_user, "regulator": a.regulator}
    db_session.commit()

    for name, user in {**outsiders, **{k: v for k, v in sides.items() if k not in allowed}
                       }.items():
        response = getattr(english_client(app, user), method)(url)
        assert response.status_code == 403, (name, response.status_code)
    anonymous = getattr(english_client(app), method)(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    if method == "get":
        for name in allowed:
            assert english_client(app, sides[name]).get(url).status_code == 200, name
