"""Writes on the severe dishonesty list, the honour list, exits (清退), the joint measures
catalogue and its executions (RULES.md §2).

Each operation checks the transition, changes rows, writes one audit record and flushes;
the caller (a view or a sweeper) commits. Listing transitions are status-guarded UPDATEs, so
two regulators clicking at once, or two schedulers, cannot both move the same listing.

Texts stored for the subject (the rights notice, notifications, an exit's detail) are written
in Chinese, the platform's language, whatever the language of the regulator's session.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask import has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from core import audit, settings
from core.auth.models import Organisation, OrgKind
from core.calendar import LOCAL_TZ, deadline
from core.db import utcnow
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.extensions import db
from core.notifications import notify_uscc
from credit.models import (
    ApplicationMethod,
    CreditRecord,
    CreditSubject,
    Delisting,
    Effect,
    Execution,
    ExitReason,
    HonourListing,
    ListingStatus,
    Measure,
    MeasureTrigger,
    SevereListing,
)
from credit.operations.subjects import recompute
from credit.queries.lists import (
    active_delistings,
    active_honour_listing,
    open_delistings,
    open_severe_listing,
)
from credit.queries.restrictions import Restriction
from credit.queries.subjects import local_today, subject_for
from credit.rules import GRADED_LEVELS, Level, RecordKind, add_months

PLATFORM_LOCALE = "zh_CN"

# Settings an admin can change (RULES.md: "Defaults are settings"), with their defaults.
SETTING_DEFAULTS = {
    "credit.objection_working_days": 5,  # objection window after the notice
    "credit.severe_term_years": 3,  # term on the severe list
    "credit.severe_removal_after_years": 1,  # early removal by repair from here
    "credit.exit_term_years": 3,  # exit for complaints or fraudulent registration
    "credit.complaints_exit_count": 3,  # substantiated complaints …
    "credit.complaints_exit_months": 12,  # … within this many months start the exit
}


def setting(key: str) -> int:
    return int(settings.get(key, SETTING_DEFAULTS[key]))


def _subject(uscc: str) -> CreditSubject:
    subject = subject_for(uscc)
    if subject is None:
        raise NotFound(_("No credit subject is registered under %(uscc)s.", uscc=uscc))
    return subject


def _required(text: str | None, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(message)
    return text


def _require_department(department: Organisation) -> None:
    if department is None or department.kind != OrgKind.DEPARTMENT:
        raise NotAllowed(_("Only a department can do this."))


def _beijing(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _link(endpoint: str, **values) -> str | None:
    # Sweepers run without a request; the notification then carries no link.
    return url_for(endpoint, **values) if has_request_context() else None


# --- Severe dishonesty list (严重失信主体名单) ---------------------------------------------

LISTING_TRANSITIONS: dict[ListingStatus, frozenset[ListingStatus]] = {
    # notified → listed only once the objection window has passed (checked by the caller)
    ListingStatus.NOTIFIED: frozenset({ListingStatus.OBJECTED, ListingStatus.LISTED,
                                       ListingStatus.DISMISSED}),
    ListingStatus.OBJECTED: frozenset({ListingStatus.LISTED, ListingStatus.DISMISSED}),
    ListingStatus.LISTED: frozenset({ListingStatus.REMOVED}),
    ListingStatus.DISMISSED: frozenset(),
    ListingStatus.REMOVED: frozenset(),
}


def _listing_snapshot(listing: SevereListing) -> dict:
    return {"status": listing.status, "subject_id": listing.subject_id,
            "reason": listing.reason, "legal_basis": listing.legal_basis,
            "department_id": listing.department_id,
            "objection_deadline": listing.objection_deadline,
            "objection_text": listing.objection_text, "decision_note": listing.decision_note,
            "listed_on": listing.listed_on, "listed_until": listing.listed_until,
            "earliest_removal_on": listing.earliest_removal_on,
            "removed_on": listing.removed_on}


def _guarded_move(listing: SevereListing, to: ListingStatus, *conditions, **values) -> bool:
    """UPDATE … WHERE status IN (states that may become `to`) AND conditions; True if this
    call moved the listing. Refreshes `listing` either way."""
    sources = [status for status, targets in LISTING_TRANSITIONS.items() if to in targets]
    moved = db.session.execute(
        update(SevereListing)
        .where(SevereListing.id == listing.id, SevereListing.status.in_(sources), *conditions)
        .values(status=to, **values)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(listing)
    return moved == 1


def _stale() -> Conflict:
    return Conflict(_("This listing is no longer in a state that allows this; reload the "
                      "page to see where it stands."))


def _move(listing: SevereListing, to: ListingStatus, *conditions, **values) -> None:
    if to not in LISTING_TRANSITIONS[listing.status] \
            or not _guarded_move(listing, to, *conditions, **values):
        raise _stale()


def _rights_notice(objection_deadline: datetime) -> str:
    return _(
        "1. You may object on this platform, with your reasons and evidence, within "
        "%(days)d working days, that is until %(deadline)s (Beijing time); the department "
        "decides on your objection before listing. 2. You may ask for a hearing in your "
        "objection. 3. Without an upheld objection you will be listed for %(term)d years; "
        "after %(after)d year(s) on the list you may apply for credit repair and early "
        "removal.",
        days=setting("credit.objection_working_days"), deadline=_beijing(objection_deadline),
        term=setting("credit.severe_term_years"),
        after=setting("credit.severe_removal_after_years"))


def start_severe_listing(uscc: str, reason: str, legal_basis: str,
                         department: Organisation, now: datetime | None = None) -> SevereListing:
    """The regulator tells the subject it intends to list it: reason, basis and rights
    (权利告知); the objection window runs 5 working days (RULES.md §2)."""
    _require_department(department)
    subject = _subject(uscc)
    reason = _required(reason, _("Give the reason for listing."))
    legal_basis = _required(legal_basis, _("Give the legal basis for listing."))
    if open_severe_listing(subject.id) is not None:
        raise Conflict(_("%(name)s already has a severe dishonesty listing under way or in "
                         "force.", name=subject.name))
    now = now or utcnow()
    objection_deadline = deadline(now, setting("credit.objection_working_days"))
    with force_locale(PLATFORM_LOCALE):
        rights = _rights_notice(objection_deadline)
    listing = SevereListing(subject=subject, status=ListingStatus.NOTIFIED, reason=reason,
                            legal_basis=legal_basis, rights_notice=rights,
                            department_id=department.id, notified_at=now,
                            objection_deadline=objection_deadline)
    db.session.add(listing)
    db.session.flush()
    audit.record("credit.severe.notify", "severe_listing", listing.id,
                 after=_listing_snapshot(listing))
    with force_locale(PLATFORM_LOCALE):
        notify_uscc(uscc, _("Notice of intended listing as a seriously dishonest subject"),
                    _("Department: %(department)s\nReason: %(reason)s\nLegal basis: "
                      "%(basis)s\nYour rights: %(rights)s", department=department.name,
                      reason=reason, basis=legal_basis, rights=rights),
                    _link("credit.listing_notice", listing_id=listing.id))
    return listing


def object_to_listing(listing: SevereListing, text: str, objector_uscc: str | None,
                      now: datetime | None = None) -> None:
    """The subject objects within the window (异议); the regulator then decides."""
    if objector_uscc is None or objector_uscc != listing.subject.uscc:
        raise NotAllowed(_("Only the subject of a listing may object to it."))
    text = _required(text, _("Write your objection."))
    now = now or utcnow()
    if listing.status != ListingStatus.NOTIFIED:
        raise Conflict(_("This listing no longer accepts an objection."))
    if now > listing.objection_deadline:
        raise Conflict(_("The objection period ended on %(deadline)s.",
                         deadline=_beijing(listing.objection_deadline)))
    before = _listing_snapshot(listing)
    _move(listing, ListingStatus.OBJECTED, SevereListing.objection_deadline >= now,
          objection_text=text)
    audit.record("credit.severe.object", "severe_listing", listing.id, before=before,
                 after=_listing_snapshot(listing))


def _check_deciding_department(listing: SevereListing, department: Organisation) -> None:
    _require_department(department)
    if listing.department_id != department.id:
        raise NotAllowed(_("Only the department that started this listing decides on it."))


def dismiss_listing(listing: SevereListing, note: str, department: Organisation) -> None:
    """The regulator upholds the objection, or withdraws its notice: nobody is listed."""
    _check_deciding_department(listing, department)
    note = _required(note, _("Give the grounds of the decision."))
    before = _listing_snapshot(listing)
    _move(listing, ListingStatus.DISMISSED, decision_note=note)
    audit.record("credit.severe.dismiss", "severe_listing", listing.id, before=before,
                 after=_listing_snapshot(listing))
    with force_locale(PLATFORM_LOCALE):
        notify_uscc(listing.subject.uscc, _("The intended listing was dismissed"),
                    _("Decision: %(note)s", note=note))


def confirm_listing(listing: SevereListing, note: str, department: Organisation,
                    now: datetime | None = None) -> None:
    """The regulator rejects the objection and lists the subject; without an objection
    this waits for the end of the window (the sweeper lists it then)."""
    _check_deciding_department(listing, department)
    note = _required(note, _("Give the grounds of the decision."))
    now = now or utcnow()
    if listing.status == ListingStatus.NOTIFIED and now <= listing.objection_deadline:
        raise Conflict(_("The subject may still object until %(deadline)s.",
                         deadline=_beijing(listing.objection_deadline)))
    # Guarded again in the UPDATE: an objection may arrive while the regulator decides.
    window_closed = or_(SevereListing.status == ListingStatus.OBJECTED,
                        SevereListing.objection_deadline < now)
    if not _put_on_list(listing, now, window_closed, note=note):
        raise _stale()


def _put_on_list(listing: SevereListing, now: datetime, *conditions,
                 note: str | None = None) -> bool:
    """Listing (RULES.md §2): for the term from today, early removal after a year; the
    score is recomputed (veto → D) and the exit (清退) starts. False if someone else moved
    the listing first."""
    today = local_today(now)
    term = setting("credit.severe_term_years")
    before = _listing_snapshot(listing)
    values = {"listed_on": today, "listed_until": add_months(today, 12 * term),
              "earliest_removal_on": add_months(
                  today, 12 * setting("credit.severe_removal_after_years"))}
    if note is not None:
        values["decision_note"] = note
    if not _guarded_move(listing, ListingStatus.LISTED, *conditions, **values):
        return False
    audit.record("credit.severe.list", "severe_listing", listing.id, before=before,
                 after=_listing_snapshot(listing))
    recompute(listing.subject, today)
    delist(listing.subject.uscc, ExitReason.SEVERE_LIST, listing.reason, term, today)
    with force_locale(PLATFORM_LOCALE):
        notify_uscc(listing.subject.uscc,
                    _("You have been listed as a seriously dishonest subject"),
                    _("Listed from %(start)s until %(end)s. Reason: %(reason)s. Credit repair "
                      "and early removal may be applied for from %(removal)s.",
                      start=listing.listed_on, end=listing.listed_until,
                      reason=listing.reason, removal=listing.earliest_removal_on))
    return True


def list_after_objection_window(now: datetime | None = None) -> int:
    """Sweeper step: notices whose window passed without an objection are listed. The
    guarded UPDATE makes a second run, or a second scheduler, change nothing."""
    now = now or utcnow()
    due = db.session.scalars(select(SevereListing).where(
        SevereListing.status == ListingStatus.NOTIFIED,
        SevereListing.objection_deadline < now).order_by(SevereListing.id)).all()
    return sum(_put_on_list(listing, now, SevereListing.objection_deadline < now)
               for listing in due)


def _take_off_list(listing: SevereListing, today: date, action: str, *conditions,
                   note: str | None = None) -> bool:
    before = _listing_snapshot(listing)
    values = {"removed_on": today} if note is None else {"removed_on": today,
                                                          "decision_note": note}
    if not _guarded_move(listing, ListingStatus.REMOVED, *conditions, **values):
        return False
    audit.record(action, "severe_listing", listing.id, before=before,
                 after=_listing_snapshot(listing))
    recompute(listing.subject, today)
    for delisting in open_delistings(listing.subject_id, ExitReason.SEVERE_LIST):
        end_delisting(delisting, today)  # the exit came with the listing and ends with it
    return True


def end_listing_terms(today: date | None = None) -> int:
    """Sweeper step: listings whose term has passed come off the list."""
    today = today or local_today()
    due = db.session.scalars(select(SevereListing).where(
        SevereListing.status == ListingStatus.LISTED,
        SevereListing.listed_until <= today).order_by(SevereListing.id)).all()
    return sum(_take_off_list(listing, today, "credit.severe.term_end",
                              SevereListing.listed_until <= today) for listing in due)


def remove_listing_early(listing: SevereListing, note: str, today: date | None = None) -> None:
    """Early removal after credit repair (信用修复), from `earliest_removal_on` on; the exit
    that came with the listing ends too. Called by the repair decision."""
    today = today or local_today()
    note = _required(note, _("Give the grounds of the decision."))
    if listing.status != ListingStatus.LISTED:
        raise Conflict(_("Only a subject on the list can be removed from it."))
    if listing.earliest_removal_on and today < listing.earliest_removal_on:
        raise Conflict(_("Early removal is possible from %(day)s.",
                         day=listing.earliest_removal_on))
    if not _take_off_list(listing, today, "credit.severe.remove_early", note=note):
        raise _stale()


# --- Honour list (红名单) ----------------------------------------------------------------

def _honour_snapshot(listing: HonourListing) -> dict:
    return {"subject_id": listing.subject_id, "reason": listing.reason,
            "department_id": listing.department_id, "listed_on": listing.listed_on,
            "listed_until": listing.listed_until, "revoked_on": listing.revoked_on}


def add_to_honour_list(uscc: str, reason: str, department: Organisation, term_years: int,
                       today: date | None = None) -> HonourListing:
    _require_department(department)
    subject = _subject(uscc)
    reason = _required(reason, _("Give the reason for the honour listing."))
    if term_years < 1:
        raise DomainError(_("The term is at least one year."))
    today = today or local_today()
    if active_honour_listing(subject.id, today) is not None:
        raise Conflict(_("%(name)s is already on the honour list.", name=subject.name))
    listing = open_severe_listing(subject.id)
    if (listing is not None and listing.status == ListingStatus.LISTED) \
            or active_delistings(subject.id, today):
        raise Conflict(_("A subject on the severe dishonesty list or delisted cannot be put "
                         "on the honour list."))
    honour = HonourListing(subject=subject, reason=reason, department_id=department.id,
                           listed_on=today, listed_until=add_months(today, 12 * term_years))
    db.session.add(honour)
    db.session.flush()
    audit.record("credit.honour.add", "honour_listing", honour.id,
                 after=_honour_snapshot(honour))
    with force_locale(PLATFORM_LOCALE):
        notify_uscc(uscc, _("You have been put on the honour list"),
                    _("Until %(end)s. Reason: %(reason)s", end=honour.listed_until,
                      reason=reason))
    return honour


def revoke_honour_listing(honour: HonourListing, department: Organisation,
                          today: date | None = None) -> None:
    _require_department(department)
    if honour.department_id != department.id:
        raise NotAllowed(_("Only the department that granted this honour listing may "
                           "revoke it."))
    today = today or local_today()
    if honour.revoked_on is not None or honour.listed_until <= today:
        raise Conflict(_("This honour listing is no longer in force."))
    before = _honour_snapshot(honour)
    honour.revoked_on = today
    db.session.flush()
    audit.record("credit.honour.revoke", "honour_listing", honour.id, before=before,
                 after=_honour_snapshot(honour))


# --- Exit (退出 / 清退) -----------------------------------------------------------------

def _delisting_snapshot(delisting: Delisting) -> dict:
    return {"subject_id": delisting.subject_id, "reason": delisting.reason,
            "detail": delisting.detail, "started_on": delisting.started_on,
            "until": delisting.until, "ended_on": delisting.ended_on}


def delist(uscc: str, reason: ExitReason, detail: str, term_years: int | None = None,
           today: date | None = None) -> Delisting:
    """Exit (RULES.md §2): the agency cannot bid and leaves the directory until the term
    ends. Idempotent: an exit in force for the same reason is returned unchanged."""
    subject = _subject(uscc)
    detail = _required(detail, _("Describe why the subject is delisted."))
    term_years = setting("credit.exit_term_years") if term_years is None else term_years
    if term_years < 1:
        raise DomainError(_("The term is at least one year."))
    today = today or local_today()
    for existing in active_delistings(subject.id, today):
        if existing.reason == reason:
            return existing
    delisting = Delisting(subject=subject, reason=reason, detail=detail, started_on=today,
                          until=add_months(today, 12 * term_years))
    db.session.add(delisting)
    db.session.flush()
    audit.record("credit.exit.start", "delisting", delisting.id,
                 after=_delisting_snapshot(delisting))
    with force_locale(PLATFORM_LOCALE):
        notify_uscc(uscc, _("You have been delisted from the marketplace"),
                    _("Until %(end)s you cannot bid and are not shown in the directory. "
                      "Reason: %(detail)s", end=delisting.until, detail=detail))
    return delisting


def check_complaints_exit(uscc: str, today: date | None = None) -> Delisting | None:
    """Three substantiated complaints within 12 months start the exit (RULES.md §1
    "Complaints"). Market calls this after each substantiated complaint."""
    subject = _subject(uscc)
    today = today or local_today()
    months = setting("credit.complaints_exit_months")
    needed = setting("credit.complaints_exit_count")
    count = db.session.scalar(select(func.count()).select_from(CreditRecord).where(
        CreditRecord.subject_id == subject.id,
        CreditRecord.kind == RecordKind.COMPLAINT_SUBSTANTIATED,
        CreditRecord.occurred_on > add_months(today, -months),  # "under 12 months" old
        CreditRecord.occurred_on <= today))
    if count < needed:
        return None
    with force_locale(PLATFORM_LOCALE):
        detail = _("%(count)d substantiated complaints within %(months)d months.",
                   count=count, months=months)
    return delist(uscc, ExitReason.COMPLAINTS, detail, today=today)


def end_delisting(delisting: Delisting, today: date) -> bool:
    """Re-entry: the exit ends (its term passed, or the listing behind it was removed).
    Guarded by `ended_on IS NULL`, so a second run changes nothing."""
    before = _delisting_snapshot(delisting)
    ended = db.session.execute(
        update(Delisting).where(Delisting.id == delisting.id, Delisting.ended_on.is_(None))
        .values(ended_on=today).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(delisting)
    if ended:
        audit.record("credit.exit.end", "delisting", delisting.id, before=before,
                     after=_delisting_snapshot(delisting))
    return ended == 1


def end_delisting_terms(today: date | None = None) -> int:
    """Sweeper step: exits whose term has passed end."""
    today = today or local_today()
    due = db.session.scalars(select(Delisting).where(
        Delisting.ended_on.is_(None), Delisting.until <= today).order_by(Delisting.id)).all()
    return sum(end_delisting(delisting, today) for delisting in due)


# --- Joint measures catalogue (联合奖惩措施清单) -------------------------------------------

REWARD_EFFECTS = frozenset({Effect.DIRECTORY_PRIORITY, Effect.LOWER_INSPECTION_RATIO,
                            Effect.FAST_TRACK})
TRIGGER_LEVELS = tuple(level.value for level in (*GRADED_LEVELS, Level.D))


class DuplicateCode(Conflict):
    """The measure code is taken; views show it on the code field."""


@dataclass
class MeasureInput:
    code: str
    content: str
    legal_basis: str
    initiating_department: str
    implementing_department: str
    trigger: MeasureTrigger
    trigger_value: str | None
    method: ApplicationMethod
    effect: Effect
    public_funds_only: bool = False


def _measure_snapshot(measure: Measure) -> dict:
    return {"code": measure.code, "content": measure.content,
            "legal_basis": measure.legal_basis,
            "initiating_department": measure.initiating_department,
            "implementing_department": measure.implementing_department,
            "is_reward": measure.is_reward, "trigger": measure.trigger,
            "trigger_value": measure.trigger_value, "method": measure.method,
            "effect": measure.effect, "public_funds_only": measure.public_funds_only,
            "active": measure.active}


def _apply_measure(measure: Measure, data: MeasureInput) -> None:
    """Validate everything first, then change the row: a refused edit leaves it untouched."""
    code = _required(data.code, _("Give the measure a code.")).upper()
    taken = db.session.scalar(select(Measure.id).where(Measure.code == code))
    if taken is not None and taken != measure.id:
        raise DuplicateCode(_("The code %(code)s is already used.", code=code))
    trigger = MeasureTrigger(data.trigger)
    value = (data.trigger_value or "").strip().upper() or None
    if trigger == MeasureTrigger.LEVEL and value not in TRIGGER_LEVELS:
        raise DomainError(_("A level trigger needs the level it applies to (A, B, C or D)."))
    effect = Effect(data.effect)
    measure.code = code
    measure.content = _required(data.content, _("Describe the measure."))
    measure.legal_basis = _required(data.legal_basis, _("Give the legal basis."))
    measure.initiating_department = _required(data.initiating_department,
                                              _("Name the initiating department."))
    measure.implementing_department = _required(data.implementing_department,
                                                _("Name the implementing department."))
    measure.trigger = trigger
    measure.trigger_value = value if trigger == MeasureTrigger.LEVEL else None
    measure.method = ApplicationMethod(data.method)
    measure.effect = effect
    measure.is_reward = effect in REWARD_EFFECTS  # the effect decides; no contradiction
    measure.public_funds_only = bool(data.public_funds_only)


def create_measure(data: MeasureInput) -> Measure:
    measure = Measure(active=True)
    _apply_measure(measure, data)
    db.session.add(measure)
    db.session.flush()
    audit.record("credit.measure.create", "measure", measure.id,
                 after=_measure_snapshot(measure))
    return measure


def update_measure(measure: Measure, data: MeasureInput) -> None:
    before = _measure_snapshot(measure)
    _apply_measure(measure, data)
    db.session.flush()
    audit.record("credit.measure.update", "measure", measure.id, before=before,
                 after=_measure_snapshot(measure))


def set_measure_active(measure: Measure, active: bool) -> None:
    """A suspended measure stays in the catalogue and in past executions but applies no
    more."""
    before = _measure_snapshot(measure)
    measure.active = active
    db.session.flush()
    audit.record("credit.measure.activate" if active else "credit.measure.suspend",
                 "measure", measure.id, before=before, after=_measure_snapshot(measure))


def delete_measure(measure: Measure) -> None:
    """Only a measure never applied can go; an applied one is suspended instead, so the
    executions on credit pages keep their measure."""
    used = db.session.scalar(select(func.count()).select_from(Execution)
                             .where(Execution.measure_id == measure.id))
    if used:
        raise Conflict(_("Measure %(code)s has been applied %(n)d times; suspend it instead.",
                         code=measure.code, n=used))
    before = _measure_snapshot(measure)
    db.session.delete(measure)
    db.session.flush()
    audit.record("credit.measure.delete", "measure", before["code"], before=before)


# --- Executions (一处失信、处处受限) -------------------------------------------------------

def record_execution(uscc: str, measure: "int | Restriction | Measure", module: str,
                     context: str) -> Execution:
    """Feedback: `module` applied `measure` to `uscc` (e.g. market refused a bid). Shown on
    the subject's credit page."""
    subject = _subject(uscc)
    measure_id = measure if isinstance(measure, int) else \
        measure.measure_id if isinstance(measure, Restriction) else measure.id
    if db.session.get(Measure, measure_id) is None:
        raise NotFound(_("No such measure."))
    module, context = (module or "").strip(), (context or "").strip()
    if not module or not context:
        raise ValueError("an execution needs the module and what it did (context)")
    context = context[:200]
    execution = Execution(subject=subject, measure_id=measure_id, module=module[:40],
                          context=context)
    db.session.add(execution)
    db.session.flush()
    audit.record("credit.execution.record", "execution", execution.id,
                 after={"subject_id": subject.id, "measure_id": measure_id,
                        "module": execution.module, "context": context})
    return execution
