"""Evaluation (一事一评, RULES.md §1 "Evaluation"): the owner's five ratings and the competent
department's two become credit records and move the agency's score; the window closes by
itself without inventing a rating; the ratings are public on the profile."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from flask import render_template_string
from sqlalchemy import select

from core import scheduler
from core.notifications import Notification
from credit.models import CreditRecord, CreditSubject
from credit.rules import RecordKind
from market import job_queries
from market.models import Evaluation, Job, JobStatus
from market.operations import contracts as ops
from market.operations import evaluations
from tests.clients import english_client
from tests.market.job_builders import make_awarded_job, make_bidder
from tests.market.test_contracts import file_storage, fresh, start_service

FIVE = {"quality": "5", "timeliness": "5", "attitude": "5", "fees": "4", "conduct": "5",
        "comment": "成果规范，响应及时"}


def accepted_job(agency=None):
    a = make_awarded_job(agency=agency)
    start_service(a)
    deliverable = ops.submit_deliverable(a.job, a.agency.organisation, file_storage(), "")
    ops.accept_deliverable(deliverable, a.owner.organisation)
    return a


def records(db_session, uscc, kind) -> list[CreditRecord]:
    return list(db_session.scalars(select(CreditRecord).join(CreditSubject).where(
        CreditSubject.uscc == uscc, CreditRecord.kind == kind)))


def score_of(db_session, uscc) -> Decimal:
    db_session.expire_all()
    return db_session.scalar(select(CreditSubject.score).where(CreditSubject.uscc == uscc))


def test_mean_rating_to_two_decimals():
    assert evaluations.mean_rating(5, 4, 5, 3, 4) == Decimal("4.20")
    assert evaluations.mean_rating(4, 3) == Decimal("3.50")
    assert evaluations.mean_rating(5, 5, 4) == Decimal("4.67")
    for bad in ((0, 5), (6, 5), ()):
        with pytest.raises(ops.FieldConflict):
            evaluations.mean_rating(*bad)


def test_the_owner_rates_and_the_agency_score_moves(app, db_session):
    a = accepted_job()
    uscc = a.agency.uscc
    before = score_of(db_session, uscc)
    db_session.commit()
    owner = english_client(app, a.owner_user)

    assert "Publish the evaluation" in owner.get(f"/jobs/{a.job.id}/evaluation").get_data(True)
    response = owner.post(f"/jobs/{a.job.id}/evaluation/owner", data=FIVE)
    assert response.status_code == 302

    job = fresh(db_session, Job, a.job.id)
    assert job.status == JobStatus.EVALUATED
    [record] = records(db_session, uscc, RecordKind.EVALUATION_OWNER)
    assert record.rating == Decimal("4.80") and record.reference == job.number
    assert record.source_department == a.owner.name
    # Owner part 50 × (4.8 − 1) / 4 = 47.5 instead of 40 for "no rating yet".
    assert score_of(db_session, uscc) == before + Decimal("7.50")
    evaluation = job_queries.evaluation_for(job)
    assert (evaluation.quality, evaluation.fees, evaluation.comment) == (5, 4, "成果规范，响应及时")
    assert db_session.scalar(select(Notification.id).where(
        Notification.organisation_id == a.agency.organisation_id,
        Notification.link == f"/jobs/{job.id}/evaluation")) is not None

    # One evaluation per job.
    again = owner.post(f"/jobs/{a.job.id}/evaluation/owner", data=FIVE)
    assert again.status_code == 400
    assert len(records(db_session, uscc, RecordKind.EVALUATION_OWNER)) == 1


def test_every_rating_is_required_and_within_one_to_five(app, db_session):
    a = accepted_job()
    db_session.commit()
    owner = english_client(app, a.owner_user)
    response = owner.post(f"/jobs/{a.job.id}/evaluation/owner", data={**FIVE, "fees": "7"})
    assert response.status_code == 400
    response = owner.post(f"/jobs/{a.job.id}/evaluation/owner",
                          data={k: v for k, v in FIVE.items() if k != "conduct"})
    assert response.status_code == 400
    assert fresh(db_session, Job, a.job.id).status == JobStatus.ACCEPTED


def test_the_owner_cannot_rate_after_the_window(app, db_session):
    a = accepted_job()
    due = a.job.evaluation_due_at
    db_session.commit()
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        owner = english_client(app, a.owner_user)
        response = owner.post(f"/jobs/{a.job.id}/evaluation/owner", data=FIVE)
    assert response.status_code == 400
    assert "The evaluation window has closed." in response.get_data(as_text=True)
    assert records(db_session, a.agency.uscc, RecordKind.EVALUATION_OWNER) == []


def test_the_competent_department_rates_once(app, db_session):
    a = accepted_job()
    db_session.commit()
    regulator = english_client(app, a.regulator)
    assert "Record the rating" in regulator.get(f"/jobs/{a.job.id}/evaluation").get_data(True)

    response = regulator.post(f"/jobs/{a.job.id}/evaluation/regulator",
                              data={"quality": "4", "compliance": "3", "comment": "基本合规"})
    assert response.status_code == 302
    [record] = records(db_session, a.agency.uscc, RecordKind.EVALUATION_REGULATOR)
    assert record.rating == Decimal("3.50")
    assert (record.source_department, record.source_department_id) == (
        a.department.name, a.department.id)
    again = regulator.post(f"/jobs/{a.job.id}/evaluation/regulator",
                           data={"quality": "5", "compliance": "5"})
    assert again.status_code == 400
    assert len(records(db_session, a.agency.uscc, RecordKind.EVALUATION_REGULATOR)) == 1
    # The department's rating does not close the owner's evaluation.
    assert fresh(db_session, Job, a.job.id).status == JobStatus.ACCEPTED


def test_the_window_closes_without_an_owner_rating_once(app, db_session):
    a = accepted_job()
    job_id, due, uscc = a.job.id, a.job.evaluation_due_at, a.agency.uscc
    owner_org, agency_org = a.owner.organisation_id, a.agency.organisation_id
    db_session.commit()

    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert scheduler.run_sweeper("market.close_evaluation_windows") == 0
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert scheduler.run_sweeper("market.close_evaluation_windows") == 1
        assert scheduler.run_sweeper("market.close_evaluation_windows") == 0

    job = db_session.get(Job, job_id)
    assert job.status == JobStatus.EVALUATED
    evaluation = db_session.scalars(select(Evaluation).where(Evaluation.job_id == job_id)).one()
    assert evaluation.owner_rated_at is None and evaluation.quality is None
    assert records(db_session, uscc, RecordKind.EVALUATION_OWNER) == []  # nothing invented
    for org_id in (owner_org, agency_org):
        assert db_session.scalar(select(Notification.id).where(
            Notification.organisation_id == org_id, Notification.title.contains(job.number),
            Notification.body != "")) is not None


def test_ratings_are_public_with_averages_and_comments(app, db_session):
    first = accepted_job()
    agency = first.agency
    second = accepted_job(agency=agency)
    evaluations.rate_as_owner(first.job, first.owner.organisation,
                              evaluations.OwnerRatings(5, 5, 5, 5, 5), "非常满意")
    evaluations.rate_as_owner(second.job, second.owner.organisation,
                              evaluations.OwnerRatings(4, 3, 4, 5, 4), None)
    evaluations.rate_as_regulator(first.job, first.department, 4, 5, "")

    ratings = job_queries.agency_ratings(agency.id)
    assert ratings.count == 2 and ratings.regulator_count == 1
    assert ratings.averages["quality"] == Decimal("4.50")
    assert ratings.averages["timeliness"] == Decimal("4.00")
    assert ratings.averages["overall"] == Decimal("4.50")  # mean of 5.00 and 4.00
    assert ratings.regulator_averages == {"quality": Decimal("4.00"),
                                          "compliance": Decimal("5.00")}
    assert [c.comment for c in ratings.comments] == ["非常满意"]

    with app.test_request_context("/"):  # as the agency profile includes it
        html = render_template_string('{% include "market/evaluation_summary.html" %}',
                                      agency=agency)
    assert "非常满意" in html and "4.50 / 5" in html
    assert re.search(r'data-criterion="regulator_compliance">.*?5.00 / 5', html, re.S)

    empty = job_queries.agency_ratings(make_bidder().id)
    assert empty.count == 0 and empty.averages["overall"] is None
