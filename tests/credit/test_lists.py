"""The severe dishonesty list and the honour list (RULES.md §2), driven through the pages a
regulator and a subject use, with the sweeper that lists after the objection window."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from core import scheduler
from core.audit import AuditEntry
from core.auth.models import Role
from core.calendar import LOCAL_TZ, deadline
from core.errors import Conflict
from core.notifications import Notification
from credit.models import (
    CreditSubject,
    Delisting,
    ExitReason,
    HonourListing,
    ListingStatus,
    SevereListing,
)
from credit.operations import lists as ops
from credit.rules import add_months
from tests.credit.builders_lists import (
    browser,
    csrf_token,
    make_regulator,
    make_subject,
    notify,
    put_on_list,
)
from tests.factories import make_department, make_user

# Monday 2 March 2026, 10:00 in Beijing; five working days later is Monday 9 March.
NOTICE_AT = datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ).astimezone(UTC)
DEADLINE = datetime(2026, 3, 9, 23, 59, 59, tzinfo=LOCAL_TZ).astimezone(UTC)


def beijing(year, month, day, hour=12, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


def start_listing(app, regulator, subject, reason="连续三次提供虚假业绩材料"):
    return browser(app, regulator).post("/credit/lists/severe/new", data={
        "uscc": subject.uscc, "reason": reason,
        "legal_basis": "《六安市网上中介服务超市管理办法》第二十条"})


def listing_of(db_session, subject) -> SevereListing:
    return db_session.scalars(select(SevereListing).where(
        SevereListing.subject_id == subject.id)).one()


def audit_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEntry))


def test_objection_window_is_five_working_days_and_the_subject_is_told(app, db_session):
    subject, _user = make_subject()
    regulator = make_regulator()
    with time_machine.travel(NOTICE_AT, tick=False):
        response = start_listing(app, regulator, subject)
    listing = listing_of(db_session, subject)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/credit/listings/{listing.id}")
    assert listing.status == ListingStatus.NOTIFIED
    assert listing.objection_deadline == DEADLINE == deadline(NOTICE_AT, 5)
    assert listing.department_id == regulator.organisation_id
    note = db_session.scalars(select(Notification).where(
        Notification.organisation_id == _user.organisation_id)).one()
    assert "连续三次提供虚假业绩材料" in note.body
    assert "第二十条" in note.body
    assert "2026-03-09 23:59" in note.body and "2026-03-09 23:59" in listing.rights_notice
    assert note.link == f"/credit/listings/{listing.id}"


def test_the_sweeper_lists_once_the_window_has_passed(app, db_session):
    subject, _user = make_subject()
    subject_id = subject.id
    regulator = make_regulator()
    with time_machine.travel(NOTICE_AT, tick=False):
        assert start_listing(app, regulator, subject).status_code == 302
    assert subject.level == "new"

    with time_machine.travel(beijing(2026, 3, 9, 23, 30), tick=False):
        assert scheduler.run_sweeper("credit.severe_list") == {"listed": 0, "removed": 0}
    listing = db_session.scalars(select(SevereListing)).one()
    assert listing.status == ListingStatus.NOTIFIED

    with time_machine.travel(beijing(2026, 3, 10, 0, 30), tick=False):
        assert scheduler.run_sweeper("credit.severe_list") == {"listed": 1, "removed": 0}
        entries = audit_count(db_session)
        assert scheduler.run_sweeper("credit.severe_list") == {"listed": 0, "removed": 0}
        assert audit_count(db_session) == entries  # the second run changed nothing

    listing = db_session.scalars(select(SevereListing)).one()
    subject = db_session.get(CreditSubject, subject_id)
    assert listing.status == ListingStatus.LISTED
    assert (listing.listed_on, listing.listed_until, listing.earliest_removal_on) == (
        date(2026, 3, 10), date(2029, 3, 10), date(2027, 3, 10))
    assert subject.level == "D"  # the veto
    exit_ = db_session.scalars(select(Delisting).where(Delisting.subject_id == subject_id)).one()
    assert (exit_.reason, exit_.until) == (ExitReason.SEVERE_LIST, date(2029, 3, 10))

    with time_machine.travel(beijing(2026, 3, 10, 9), tick=False):
        page = browser(app).get("/credit/severe-list").get_data(as_text=True)
    assert subject.uscc in page and "连续三次提供虚假业绩材料" in page and "2029-03-10" in page


def test_the_term_setting_sets_the_listing_term(app, db_session):
    from core import settings

    settings.put("credit.severe_term_years", 2)
    subject, _user = make_subject()
    listing = put_on_list(subject, make_regulator())
    assert listing.listed_until == add_months(listing.listed_on, 24)


def test_a_notice_not_yet_listed_is_not_public(app, db_session):
    subject, _user = make_subject()
    notify(subject, make_regulator())
    assert subject.uscc not in browser(app).get("/credit/severe-list").get_data(as_text=True)
    page = browser(app).get(f"/credit/subjects/{subject.uscc}").get_data(as_text=True)
    assert 'data-testid="severe-status"' not in page


def test_objection_then_the_regulator_upholds_it(app, db_session):
    subject, user = make_subject()
    regulator = make_regulator()
    with time_machine.travel(NOTICE_AT, tick=False):
        start_listing(app, regulator, subject)
    listing = listing_of(db_session, subject)

    with time_machine.travel(beijing(2026, 3, 6), tick=False):
        own = browser(app, user)
        notice = own.get(f"/credit/listings/{listing.id}").get_data(as_text=True)
        assert "Object to the listing" in notice and "连续三次提供虚假业绩材料" in notice
        response = own.post(f"/credit/listings/{listing.id}/objection",
                            data={"text": "业绩材料真实，申请听证。"})
        assert response.status_code == 302
    assert listing.status == ListingStatus.OBJECTED
    assert listing.objection_text == "业绩材料真实，申请听证。"

    with time_machine.travel(beijing(2026, 3, 12), tick=False):
        # Past the window, but an objection waits for the regulator: the sweeper leaves it.
        assert ops.list_after_objection_window() == 0
        response = browser(app, regulator).post(
            f"/credit/listings/{listing.id}/decision",
            data={"note": "经核实，业绩材料属实，异议成立。", "action": "dismiss"})
        assert response.status_code == 302
    assert listing.status == ListingStatus.DISMISSED
    assert listing.decision_note == "经核实，业绩材料属实，异议成立。"
    assert listing.listed_on is None and subject.level == "new"
    assert db_session.scalar(select(func.count()).select_from(Delisting)) == 0


def test_objection_rejected_lists_at_once(app, db_session):
    subject, user = make_subject()
    regulator = make_regulator()
    listing = notify(subject, regulator)
    assert browser(app, user).post(f"/credit/listings/{listing.id}/objection",
                                   data={"text": "不服"}).status_code == 302
    response = browser(app, regulator).post(f"/credit/listings/{listing.id}/decision",
                                            data={"note": "异议不成立", "action": "list"})
    assert response.status_code == 302
    assert listing.status == ListingStatus.LISTED and subject.level == "D"
    page = browser(app, user).get(f"/credit/subjects/{subject.uscc}").get_data(as_text=True)
    assert 'data-testid="severe-status" data-status="listed"' in page


def test_the_regulator_cannot_list_while_the_window_is_open(app, db_session):
    subject, _user = make_subject()
    regulator = make_regulator()
    listing = notify(subject, regulator)
    response = browser(app, regulator).post(f"/credit/listings/{listing.id}/decision",
                                            data={"note": "直接列入", "action": "list"})
    assert response.status_code == 409
    assert "may still object" in response.get_data(as_text=True)
    assert listing.status == ListingStatus.NOTIFIED


def test_an_objection_after_the_window_is_refused(app, db_session):
    subject, user = make_subject()
    with time_machine.travel(NOTICE_AT, tick=False):
        listing = notify(subject, make_regulator())
    with time_machine.travel(DEADLINE + timedelta(seconds=1), tick=False):
        response = browser(app, user).post(f"/credit/listings/{listing.id}/objection",
                                           data={"text": "迟到的异议"})
    assert response.status_code == 409
    assert listing.status == ListingStatus.NOTIFIED and listing.objection_text is None


def test_a_second_listing_under_way_is_refused(app, db_session):
    subject, _user = make_subject()
    regulator = make_regulator()
    notify(subject, regulator)
    response = start_listing(app, regulator, subject, reason="再次列入")
    assert response.status_code == 409
    assert "already has a severe dishonesty listing" in response.get_data(as_text=True)


def test_the_listing_ends_with_its_term(app, db_session):
    subject, _user = make_subject()
    listing = put_on_list(subject, make_regulator())
    end = listing.listed_until
    assert ops.end_listing_terms(end - timedelta(days=1)) == 0
    assert ops.end_listing_terms(end) == 1
    assert ops.end_listing_terms(end) == 0
    assert (listing.status, listing.removed_on) == (ListingStatus.REMOVED, end)
    with time_machine.travel(beijing(end.year, end.month, end.day), tick=False):
        ops.recompute(subject)
    assert subject.level == "new"  # the veto ended with the listing
    exit_ = db_session.scalars(select(Delisting)).one()
    assert exit_.ended_on == end


def test_early_removal_by_repair_waits_a_year_and_ends_the_exit(app, db_session):
    subject, _user = make_subject()
    listing = put_on_list(subject, make_regulator())
    with pytest.raises(Conflict):
        ops.remove_listing_early(listing, "已修复", listing.earliest_removal_on
                                 - timedelta(days=1))
    ops.remove_listing_early(listing, "信用修复完成", listing.earliest_removal_on)
    assert listing.status == ListingStatus.REMOVED
    assert db_session.scalars(select(Delisting)).one().ended_on == listing.earliest_removal_on


# --- permissions ---------------------------------------------------------------------------

def test_anonymous_and_agency_users_cannot_start_listings(app, db_session):
    subject, user = make_subject()
    other, other_user = make_subject()
    anonymous = browser(app)
    response = anonymous.get("/credit/lists/severe/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert anonymous.post("/credit/lists/severe/new", data={
        "uscc": subject.uscc, "reason": "x", "legal_basis": "y"}).status_code == 302
    agency = browser(app, other_user)
    assert agency.get("/credit/lists/severe/new").status_code == 403
    assert agency.post("/credit/lists/severe/new", data={
        "uscc": subject.uscc, "reason": "x", "legal_basis": "y"}).status_code == 403
    inspector = make_user(Role.INSPECTOR, make_department())
    assert browser(app, inspector).get("/credit/lists/severe/new").status_code == 403
    assert db_session.scalar(select(func.count()).select_from(SevereListing)) == 0


def test_only_the_subjects_users_object_and_only_to_their_own_listing(app, db_session):
    subject, user = make_subject()
    _other, other_user = make_subject()
    listing = notify(subject, make_regulator())
    other = browser(app, other_user)
    assert other.get(f"/credit/listings/{listing.id}").status_code == 403
    assert other.post(f"/credit/listings/{listing.id}/objection",
                      data={"text": "代为异议"}).status_code == 403
    anonymous = browser(app).post(f"/credit/listings/{listing.id}/objection",
                                  data={"text": "匿名异议"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert listing.status == ListingStatus.NOTIFIED
    assert browser(app, user).get(f"/credit/listings/{listing.id}").status_code == 200


def test_only_the_notifying_department_decides(app, db_session):
    subject, user = make_subject()
    listing = notify(subject, make_regulator())
    ops.object_to_listing(listing, "不服", subject.uscc)
    stranger = browser(app, make_regulator())
    response = stranger.post(f"/credit/listings/{listing.id}/decision",
                             data={"note": "越权决定", "action": "list"})
    assert response.status_code == 403
    assert listing.status == ListingStatus.OBJECTED
    assert browser(app, user).post(f"/credit/listings/{listing.id}/decision", data={
        "note": "自己决定", "action": "dismiss"}).status_code == 403


def test_forms_need_their_csrf_token(app, db_session, monkeypatch):
    subject, _user = make_subject()
    regulator = browser(app, make_regulator())
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = regulator.post("/credit/lists/severe/new", data={
        "uscc": subject.uscc, "reason": "无令牌", "legal_basis": "无"})
    assert response.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(SevereListing)) == 0
    token = csrf_token(regulator.get("/credit/lists/severe/new").get_data(as_text=True))
    response = regulator.post("/credit/lists/severe/new", data={
        "uscc": subject.uscc, "reason": "有令牌", "legal_basis": "有", "csrf_token": token})
    assert response.status_code == 302
    assert db_session.scalar(select(func.count()).select_from(SevereListing)) == 1


# --- the transition table ------------------------------------------------------------------

def test_closed_listings_move_no_further():
    assert ops.LISTING_TRANSITIONS[ListingStatus.DISMISSED] == frozenset()
    assert ops.LISTING_TRANSITIONS[ListingStatus.REMOVED] == frozenset()
    assert ops.LISTING_TRANSITIONS[ListingStatus.LISTED] == {ListingStatus.REMOVED}
    assert set(ops.LISTING_TRANSITIONS) == set(ListingStatus)


def test_a_dismissed_listing_cannot_be_listed(app, db_session):
    subject, _user = make_subject()
    regulator = make_regulator()
    listing = notify(subject, regulator)
    ops.dismiss_listing(listing, "撤回告知", regulator.organisation)
    with pytest.raises(Conflict):
        ops.confirm_listing(listing, "再列入", regulator.organisation,
                            now=listing.objection_deadline + timedelta(days=1))
    assert ops.list_after_objection_window(listing.objection_deadline + timedelta(days=1)) == 0
    assert listing.status == ListingStatus.DISMISSED


# --- honour list ---------------------------------------------------------------------------

def test_honour_list_add_show_and_revoke(app, db_session):
    subject, _user = make_subject()
    regulator = make_regulator()
    reg = browser(app, regulator)
    response = reg.post("/credit/honour-list/new", data={
        "uscc": subject.uscc, "reason": "连续三年服务质量评价优秀", "term_years": 2})
    assert response.status_code == 302
    honour = db_session.scalars(select(HonourListing)).one()
    assert honour.listed_until == add_months(honour.listed_on, 24)
    page = browser(app).get("/credit/honour-list").get_data(as_text=True)
    assert subject.uscc in page and "连续三年服务质量评价优秀" in page

    assert browser(app, make_regulator()).post(
        f"/credit/honour-list/{honour.id}/revoke").status_code == 403  # another department
    assert reg.post(f"/credit/honour-list/{honour.id}/revoke").status_code == 302
    assert honour.revoked_on is not None
    assert subject.uscc not in browser(app).get("/credit/honour-list").get_data(as_text=True)


def test_a_listed_subject_cannot_be_honoured(app, db_session):
    subject, _user = make_subject()
    regulator = make_regulator()
    put_on_list(subject, regulator)
    response = browser(app, regulator).post("/credit/honour-list/new", data={
        "uscc": subject.uscc, "reason": "表彰", "term_years": 1})
    assert response.status_code == 409
    assert db_session.scalar(select(func.count()).select_from(HonourListing)) == 0


def test_agencies_cannot_use_the_honour_list(app, db_session):
    subject, user = make_subject()
    response = browser(app, user).post("/credit/honour-list/new", data={
        "uscc": subject.uscc, "reason": "自我表彰", "term_years": 1})
    assert response.status_code == 403


def test_the_regulator_overview_shows_objections_first(app, db_session):
    regulator = make_regulator()
    first, _ = make_subject()
    second, _ = make_subject()
    notify(first, regulator)
    objected = notify(second, regulator)
    ops.object_to_listing(objected, "异议", second.uscc)
    page = browser(app, regulator).get("/credit/lists/manage").get_data(as_text=True)
    assert page.index(second.uscc) < page.index(first.uscc)


def test_the_regulator_pages_render(app, db_session):
    subject, _user = make_subject()
    regulator = make_regulator()
    reg = browser(app, regulator)
    for path in ("/credit/lists/manage", "/credit/lists/severe/new",
                 f"/credit/honour-list/new?uscc={subject.uscc}",
                 f"/credit/delisted/new?uscc={subject.uscc}"):
        response = reg.get(path)
        assert response.status_code == 200, path
    assert f'value="{subject.uscc}"' in reg.get(
        f"/credit/lists/severe/new?uscc={subject.uscc}").get_data(as_text=True)
    listing = notify(subject, regulator)
    notice = reg.get(f"/credit/listings/{listing.id}").get_data(as_text=True)
    assert "Withdraw the notice" in notice and 'value="list"' not in notice
    ops.object_to_listing(listing, "异议", subject.uscc)
    notice = reg.get(f"/credit/listings/{listing.id}").get_data(as_text=True)
    assert "Reject the objection and list" in notice and "Uphold the objection" in notice
    page = reg.get(f"/credit/subjects/{subject.uscc}").get_data(as_text=True)
    assert 'data-testid="list-actions"' in page
    assert 'data-status="objected"' in page  # regulators see the listing under way
