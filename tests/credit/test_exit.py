"""Exit (清退, RULES.md §2 "Exit"): three substantiated complaints within 12 months, the severe
list or fraudulent registration delist an agency for a term; it may re-enter afterwards."""

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from core import scheduler
from credit.models import Delisting, ExitReason
from credit.operations import lists as ops
from credit.queries.lists import delisted_usccs, is_delisted
from credit.rules import add_months
from tests.credit.builders_lists import browser, complaint, make_regulator, make_subject
from tests.credit.builders_subjects import noon
from tests.factories import make_uscc

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(noon(TODAY), tick=False):
        yield


def delistings(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Delisting))


def test_three_substantiated_complaints_within_12_months_delist(db_session):
    subject, _user = make_subject()
    for months_ago in (11, 5, 0):
        complaint(subject, add_months(TODAY, -months_ago))
    exit_ = ops.check_complaints_exit(subject.uscc, TODAY)
    assert (exit_.reason, exit_.started_on, exit_.until) == (
        ExitReason.COMPLAINTS, TODAY, add_months(TODAY, 36))
    assert "3" in exit_.detail
    assert is_delisted(subject.uscc) and subject.uscc in delisted_usccs()
    # Market calls it after every substantiated complaint: a repeat changes nothing.
    assert ops.check_complaints_exit(subject.uscc, TODAY) is exit_
    assert delistings(db_session) == 1


def test_two_substantiated_complaints_do_not(db_session):
    subject, _user = make_subject()
    complaint(subject, add_months(TODAY, -2))
    complaint(subject, TODAY)
    assert ops.check_complaints_exit(subject.uscc, TODAY) is None
    assert not is_delisted(subject.uscc) and delistings(db_session) == 0


def test_three_spread_over_13_months_do_not(db_session):
    subject, _user = make_subject()
    for months_ago in (13, 6, 0):
        complaint(subject, add_months(TODAY, -months_ago))
    assert ops.check_complaints_exit(subject.uscc, TODAY) is None
    assert delistings(db_session) == 0


def test_the_12_month_window_boundary(db_session):
    """'Within 12 months' means under 12 months old, as for the score's decay weights."""
    subject, _user = make_subject()
    complaint(subject, add_months(TODAY, -12))  # a full year old: outside
    complaint(subject, add_months(TODAY, -3))
    complaint(subject, TODAY)
    assert ops.check_complaints_exit(subject.uscc, TODAY) is None
    complaint(subject, add_months(TODAY, -12) + timedelta(days=1))  # a day under a year
    assert ops.check_complaints_exit(subject.uscc, TODAY) is not None


def test_the_exit_ends_after_its_term(app, db_session):
    subject, _user = make_subject()
    uscc = subject.uscc  # the sweeper's commit detaches the rows loaded before it
    exit_ = ops.delist(uscc, ExitReason.FRAUDULENT_REGISTRATION, "虚假注册", 2, TODAY)
    until = exit_.until
    assert until == date(2028, 6, 15)
    assert ops.end_delisting_terms(until - timedelta(days=1)) == 0
    assert is_delisted(uscc, until - timedelta(days=1))
    with time_machine.travel(noon(until), tick=False):
        # Re-entry from `until` on, even before the sweeper has marked the exit ended.
        assert not is_delisted(uscc)
        assert scheduler.run_sweeper("credit.delisting") == {"ended": 1}
        assert scheduler.run_sweeper("credit.delisting") == {"ended": 0}
        page = browser(app).get("/credit/delisted").get_data(as_text=True)
    exit_ = db_session.scalars(select(Delisting)).one()
    assert exit_.ended_on == until
    assert uscc not in page


def test_a_regulator_delists_for_fraudulent_registration(app, db_session):
    subject, user = make_subject()
    assert browser(app, user).post("/credit/delisted/new", data={
        "uscc": subject.uscc, "detail": "自行清退", "term_years": 1}).status_code == 403
    response = browser(app, make_regulator()).post("/credit/delisted/new", data={
        "uscc": subject.uscc, "detail": "注册时提交伪造的营业执照", "term_years": 2})
    assert response.status_code == 302
    exit_ = db_session.scalars(select(Delisting)).one()
    assert (exit_.reason, exit_.until) == (ExitReason.FRAUDULENT_REGISTRATION,
                                           date(2028, 6, 15))
    page = browser(app).get("/credit/delisted").get_data(as_text=True)
    assert subject.uscc in page and "注册时提交伪造的营业执照" in page
    assert "Fraudulent registration" in page and "2028-06-15" in page
    detail = browser(app).get(f"/credit/subjects/{subject.uscc}").get_data(as_text=True)
    assert 'data-testid="delisting-status" data-reason="fraudulent_registration"' in detail


def test_delisting_an_unknown_code_is_refused(app, db_session):
    response = browser(app, make_regulator()).post("/credit/delisted/new", data={
        "uscc": make_uscc(6_543_210), "detail": "未注册", "term_years": 1})
    assert response.status_code == 404
    assert "No credit subject is registered" in response.get_data(as_text=True)
    assert delistings(db_session) == 0
