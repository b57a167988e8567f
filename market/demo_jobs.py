"""Demo jobs: the data of market/data/demo_jobs.py driven through the real operations of the
job lifecycle (post, bid, close, select, publicity and objection, award, contract,
extension, delivery, acceptance, evaluation, complaints), so every row is validated and
audited like any other (ARCHITECTURE.md "Conventions"). Called at the end of
market/demo.py `load()`; never commits: the `seed-demo` command does.

Time. Steps up to the award take `now=`, so they are dated in the past, relative to the
day of loading (Asia/Shanghai): deadlines and publicity have really passed. The steps after
the award (file_contract, confirm_contract, request_extension, submit_deliverable,
accept_deliverable, rate_as_owner, rate_as_regulator, submit_complaint, rule_complaint)
take no time and stamp the real clock, so they happen on the day of loading; the award is
recent enough (see the data module) for the contract to be filed on time. No row is
back-dated. Creation stamps (job.created_at, draws' committed_at) are the day of loading too.

Idempotent: a job is identified by its owner and title (the round-2 job comes with its
failed first round), a complaint by its agency and content. Whatever exists is left alone,
so a second run, or a run weeks later, adds nothing. A job that cannot be created any more
as described (an agency's certificate has lapsed since the database was first seeded, say)
is skipped with a warning, inside its own savepoint, and the rest still load.
"""

import io
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core import calendar
from core.auth.models import Organisation, User
from core.errors import DomainError
from core.extensions import db
from core.pdf import FALLBACK_FONT
from market import job_queries, queries
from market.data.demo_jobs import COMPLAINTS, JOBS
from market.models import (
    Agency,
    Bid,
    Complaint,
    Job,
    JobStatus,
    Owner,
    QualificationMode,
    SelectionMethod,
)
from market.operations import bids as bid_ops
from market.operations import complaints as complaint_ops
from market.operations import contracts as contract_ops
from market.operations import evaluations as evaluation_ops
from market.operations import jobs as job_ops
from market.operations import objections as objection_ops
from market.operations import selection
from market.rules import LOCAL_TZ, local_today

log = logging.getLogger(__name__)

# The order of the life a demo job is driven through; `until` stops it at one of them.
STAGES = ("draft", "published", "closed", "publicity", "awarded", "in_service", "delivered",
          "accepted", "evaluated")
SWEEPER_DELAY = timedelta(seconds=30)  # sweepers act shortly after a deadline passes


class DemoJobSkipped(Exception):
    """The demo job did not end where its data says (logged, the job left out)."""


# --- Lookups ------------------------------------------------------------------------------

def _organisation_id(username: str) -> int | None:
    return db.session.scalar(select(User.organisation_id).where(User.username == username))


def _agency(username: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(
        Agency.organisation_id == _organisation_id(username)))
    if agency is None:
        raise DemoJobSkipped(f"no demo agency {username}")
    return agency


def _owner(username: str) -> Owner:
    owner = db.session.scalar(select(Owner).where(
        Owner.organisation_id == _organisation_id(username)))
    if owner is None:
        raise DemoJobSkipped(f"no demo owner {username}")
    return owner


def _job_titled(owner: Owner, title: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.owner_id == owner.id, Job.title == title)
                             .order_by(Job.id).limit(1))


# --- Time ----------------------------------------------------------------------------------

def working_day(today: date, n: int) -> date:
    """The n-th working day after `today` (n > 0) or before it (n < 0)."""
    if n >= 0:
        return calendar.add_working_days(today, n)
    day = today
    while n:
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            n += 1
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """Beijing wall-clock time on `day`, as aware UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def _past(moment: datetime) -> datetime:
    """A step dated in the past; a later one is a mistake in the data."""
    if moment > datetime.now(UTC):
        raise DemoJobSkipped(f"a step would be dated in the future ({moment.isoformat()})")
    return moment


# --- Files -----------------------------------------------------------------------------------

def pdf_upload(filename: str, title: str, lines: list[str]) -> FileStorage:
    """A small, valid one-page PDF in Chinese (the reader's built-in song typeface, not
    embedded), wrapped as an upload."""
    if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(title)
    width, height = A4
    canvas.setFont(FALLBACK_FONT, 16)
    canvas.drawCentredString(width / 2, height - 90, title)
    canvas.setFont(FALLBACK_FONT, 11)
    for n, line in enumerate([*lines, "", "（演示数据）"]):
        canvas.drawString(70, height - 140 - 20 * n, line)
    canvas.save()
    return FileStorage(io.BytesIO(buffer.getvalue()), filename=filename,
                       content_type="application/pdf")


def _job_lines(job: Job) -> list[str]:
    return [f"项目编号：{job.number}", f"项目名称：{job.title}", f"项目业主：{job.owner.name}"]


# --- Posting and bidding -----------------------------------------------------------------------

def _terms(entry: dict, today: date) -> job_ops.JobTerms:
    item = queries.service_item_by_code(entry["item"])
    money = {key: Decimal(entry[key]) if entry.get(key) else None
             for key in ("ceiling", "floor", "fixed_price")}
    direct = _agency(entry["direct"]).uscc if entry.get("direct") else None
    return job_ops.JobTerms(
        service_item_id=item.id, region_code=entry["region"], title=entry["title"],
        scope=entry["scope"], funding=entry["funding"], budget_ceiling=money["ceiling"],
        budget_floor=money["floor"], fixed_price=money["fixed_price"],
        service_days=entry["service_days"], method=entry["method"],
        qualification_type_ids=[q.id for q in item.required_qualifications],
        qualification_mode=entry.get("qualification_mode", QualificationMode.ANY),
        direct_agency_uscc=direct, big_list_size=entry.get("big_list"),
        small_list_size=entry.get("small_list"), weights=entry.get("weights"),
        deadline_on=working_day(today, entry["deadline"]))


def _attachments(entry: dict) -> list[FileStorage]:
    if not entry.get("attachment"):
        return []
    return [pdf_upload(entry["attachment"], entry["title"],
                       ["采购需求", entry["scope"][:40] + "……"])]


def _publish(job: Job, published: int, bids: list[tuple], today: date) -> None:
    """Published at 09:30 on its day; the bids come in from the next working day on."""
    job_ops.publish(job, now=_past(at(working_day(today, published), 9, 30)))
    first = at(working_day(today, published + 1), 10)
    for n, (username, *offer) in enumerate(bids):
        price, proposal = (offer + [None, None])[:2]
        bid_ops.place_bid(job, _agency(username), bid_ops.BidInput(
            commitment_accepted=True, price=Decimal(price) if price else None,
            proposal=proposal), now=_past(first + timedelta(minutes=47 * n)))


def _expect(job: Job, status: JobStatus) -> None:
    if job.status != status:
        raise DemoJobSkipped(f"job {job.title} is {job.status}, expected {status}")


def _close(job: Job) -> None:
    selection.close_bidding(job, _past(job.deadline + SWEEPER_DELAY))


def _owner_moment(job: Job) -> datetime:
    """The owner acts at 10:00 on the first working day after the deadline."""
    return _past(at(working_day(_local_day(job.deadline), 1), 10))


def _bid_of(job: Job, username: str) -> Bid:
    return job_queries.bid_of(job, _agency(username))


def _select(job: Job, entry: dict) -> None:
    """The owner's part for proposal and credit-best jobs; the others were selected at the
    close."""
    if job.method == SelectionMethod.PROPOSAL:
        scores = {_bid_of(job, name).id: Decimal(score)
                  for name, score in entry["scores"].items()}
        selection.score_proposals(job, scores, now=_owner_moment(job))
    elif job.method == SelectionMethod.CREDIT_BEST:
        selection.pick_credit_best(job, _bid_of(job, entry["pick"]), now=_owner_moment(job))


def _object(job: Job, entry: dict) -> None:
    username, reasons = entry["objection"]
    evidence = pdf_upload("异议材料.pdf", "异议书", [
        *_job_lines(job), f"异议人：{_agency(username).name}", reasons[:38] + "……"])
    objection_ops.raise_objection(job, _bid_of(job, username), reasons, evidence,
                                  now=_past(at(working_day(_local_day(job.deadline), 1), 9, 15)))


# --- After the award ---------------------------------------------------------------------------

def _contract(job: Job, entry: dict) -> None:
    """One side files the signed contract; the other confirms it unless the data leaves
    the job awarded."""
    winner = job_queries.winner_bid(job).agency
    sides = {"owner": job.owner.organisation, "agency": winner.organisation}
    filer = sides[entry["contract_by"]]
    amount = Decimal(entry["amount"]) if entry.get("amount") \
        else contract_ops.winning_price(job, job_queries.winner_bid(job))
    upload = pdf_upload("技术服务合同.pdf", "技术服务合同",
                        [*_job_lines(job), f"受托方：{winner.name}", f"合同金额：{amount} 元",
                         f"服务期限：合同备案之日起 {job.service_days} 个工作日"])
    contract = contract_ops.file_contract(job, filer, amount, None, upload)
    if entry["until"] == "awarded":
        return
    other = sides["agency" if entry["contract_by"] == "owner" else "owner"]
    contract_ops.confirm_contract(contract, other)
    if entry.get("extension"):
        days, reason = entry["extension"]
        contract_ops.request_extension(contract, winner.organisation, days, reason)


def _deliver(job: Job, entry: dict) -> None:
    filename, note = entry["deliverable"]
    winner = job_queries.winner_bid(job).agency
    upload = pdf_upload(filename, filename.removesuffix(".pdf"),
                        [*_job_lines(job), f"编制单位：{winner.name}"])
    deliverable = contract_ops.submit_deliverable(job, winner.organisation, upload, note)
    if STAGES.index(entry["until"]) >= STAGES.index("accepted"):
        contract_ops.accept_deliverable(deliverable, job.owner.organisation,
                                        entry.get("acceptance_note"))


def _evaluate(job: Job, entry: dict) -> None:
    ratings, comment = entry["owner_rating"]
    evaluation_ops.rate_as_owner(job, job.owner.organisation,
                                 evaluation_ops.OwnerRatings(*ratings), comment)
    quality, compliance, remark = entry["regulator_rating"]
    department = db.session.get(Organisation, job.service_item.department_id)
    evaluation_ops.rate_as_regulator(job, department, quality, compliance, remark)


# --- One job ---------------------------------------------------------------------------------

def _round_2(job: Job, entry: dict, today: date) -> None:
    """The failed job republished as a new round with a higher budget, open now."""
    later = entry["round_2"]
    new = job_ops.republish(job)
    terms = _terms({**entry, **later}, today)
    job_ops.update_job(new, terms, now=_past(at(working_day(today, later["published"]), 9)))
    _publish(new, later["published"], later["bids"], today)


def _after_close(job: Job, entry: dict, today: date) -> None:
    until = entry["until"]
    if until == "failed":
        _expect(job, JobStatus.FAILED)
        _round_2(job, entry, today)
        return
    if until == "closed":
        _expect(job, JobStatus.CLOSED)
        return
    _select(job, entry)
    _expect(job, JobStatus.PUBLICITY)
    if until == "publicity":
        _object(job, entry)
        return
    selection.end_publicity(job, _past(job.publicity_ends_at + 20 * SWEEPER_DELAY))
    _expect(job, JobStatus.AWARDED)
    _contract(job, entry)
    if STAGES.index(until) >= STAGES.index("delivered"):
        _deliver(job, entry)
    if until == "evaluated":
        _evaluate(job, entry)
    _expect(job, JobStatus(until))


def load_job(entry: dict, today: date) -> Job | None:
    """Create the job and drive it to `entry["until"]`; None if it exists already."""
    owner = _owner(entry["owner"])
    if _job_titled(owner, entry["title"]) is not None:
        return None
    job = job_ops.create_draft(owner, _terms(entry, today), _attachments(entry))
    until = entry["until"]
    if until == "draft":
        return job
    _publish(job, entry["published"], entry.get("bids", []), today)
    if until == "cancelled":
        job_ops.cancel(job, entry["cancel_reason"],
                       now=_past(at(working_day(today, entry["cancelled"]), 15)))
    elif until != "published":
        _close(job)
        _after_close(job, entry, today)
    return job


# --- Complaints -----------------------------------------------------------------------------

def load_complaint(entry: dict) -> Complaint | None:
    agency = _agency(entry["agency"])
    if db.session.scalar(select(Complaint.id).where(Complaint.agency_id == agency.id,
                                                    Complaint.content == entry["content"])):
        return None
    job = db.session.scalar(select(Job).where(Job.title == entry["job"])) \
        if entry.get("job") else None
    evidence = pdf_upload(entry["evidence"], "投诉情况说明",
                          [f"被投诉机构：{agency.name}", f"投诉人：{entry['name']}",
                           entry["content"][:38] + "……"]) if entry.get("evidence") else None
    complaint = complaint_ops.submit_complaint(agency, entry["name"], entry["contact"],
                                               entry["content"], evidence, job=job)
    if entry.get("ruling"):
        department_name, substantiated, ruling = entry["ruling"]
        complaint_ops.rule_complaint(complaint, queries.department_by_name(department_name),
                                     substantiated, ruling)
    return complaint


def _guarded(what: str, step) -> None:
    """Run one demo step in its own savepoint; a refusal skips it with a warning."""
    try:
        with db.session.begin_nested():
            step()
    except (DomainError, DemoJobSkipped) as refused:
        log.warning("demo %s skipped: %s", what, refused)


def load(today: date | None = None) -> None:
    today = today or local_today()
    for entry in JOBS:
        _guarded(f"job “{entry['title']}”", lambda entry=entry: load_job(entry, today))
    for entry in COMPLAINTS:
        _guarded(f"complaint about {entry['agency']}", lambda entry=entry: load_complaint(entry))
