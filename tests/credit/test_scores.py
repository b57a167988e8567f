"""Scores stored on every record and by the nightly sweeper (RULES.md §2 "Score")."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import time_machine
from sqlalchemy import func, select

from core import scheduler, settings
from core.audit import AuditEntry
from core.extensions import db
from credit.models import CreditSubject, ListingStatus, ScoreSnapshot, SevereListing
from credit.operations import subjects as ops
from credit.rules import InspectionOutcome, Severity
from credit.scheduled import scores
from tests.credit.builders_subjects import (
    add,
    english,
    make_regulator,
    make_subject,
    make_subject_user,
    noon,
)
from tests.factories import login, make_department

SWEEPER = "credit.recompute_scores"


def snapshots(subject_id: int) -> list[ScoreSnapshot]:
    return list(db.session.scalars(select(ScoreSnapshot).where(
        ScoreSnapshot.subject_id == subject_id).order_by(ScoreSnapshot.id)))


def reload(subject_id: int) -> CreditSubject:
    # run_sweeper closes the session: read the subject afresh
    return db.session.get(CreditSubject, subject_id)


def test_the_worked_example_is_scored_on_every_record(db_session):
    """tests/credit/test_rules.py's worked example, entered record by record on its dates."""
    with time_machine.travel(noon(date(2024, 12, 15)), tick=False) as clock:
        subject = make_subject()
        add(subject, "evaluation_owner", rating=3)
        # owner: one rating 3 → 50 × (3 − 1) / 4 = 25; regulator 24 and behaviour 20 by
        # default: 25 + 24 + 20 = 69 → C
        assert (subject.score, subject.level) == (Decimal("69.00"), "C")

        clock.move_to(noon(date(2025, 12, 15)))
        add(subject, "evaluation_owner", rating=5)
        # the 3 is now 12 months old → weight 0.6; the 5 (= 50 points) weighs 1.0:
        # owner (50 × 1.0 + 25 × 0.6) / 1.6 = 40.625; 40.625 + 24 + 20 = 84.625 → 84.63 B
        assert (subject.score, subject.level) == (Decimal("84.63"), "B")

        clock.move_to(noon(date(2026, 3, 1)))
        add(subject, "inspection", inspection_outcome=InspectionOutcome.CORRECTED)
        # regulator: one inspection, corrected on order = 20; 40.625 + 20 + 20 = 80.625
        assert subject.score == Decimal("80.63")

        clock.move_to(noon(date(2026, 4, 15)))
        add(subject, "late_delivery")
        # behaviour 20 − 2 × 1.0 = 18: 40.625 + 20 + 18 = 78.625
        assert subject.score == Decimal("78.63")

        clock.move_to(noon(date(2026, 6, 15)))
        add(subject, "penalty", severity=Severity.GENERAL)
        # a displayed general penalty: −10 → 68.625 → 68.63 (ROUND_HALF_UP) → C
        assert (subject.score, subject.level) == (Decimal("68.63"), "C")
        add(subject, "licence")  # recorded, not part of the score
        assert subject.score == Decimal("68.63")

    history = [(snap.score, snap.level) for snap in snapshots(subject.id)]
    # registration (84, new), then one per record that moved the score; none for the licence
    assert history == [(Decimal("84.00"), "new"), (Decimal("69.00"), "C"),
                       (Decimal("84.63"), "B"), (Decimal("80.63"), "B"),
                       (Decimal("78.63"), "B"), (Decimal("68.63"), "C")]
    assert snapshots(subject.id)[-1].parts == {"owner": "40.63", "regulator": "20.00",
                                               "behaviour": "18.00", "adjustments": "-10.00"}


def test_a_penalty_is_public_during_its_window_and_the_sweeper_lifts_it(client, db_session):
    """A minor penalty decided on 2026-06-15 is displayed until 2026-09-15 (3 months)."""
    decided = date(2026, 6, 15)
    english(client)
    with time_machine.travel(noon(decided), tick=False) as clock:
        subject = make_subject()
        owner = make_subject_user(subject)
        regulator = make_regulator()
        add(subject, "penalty", "未按规定公示收费标准", severity=Severity.MINOR)
        subject_id, uscc = subject.id, subject.uscc
        assert subject.score == Decimal("82.00")  # 84 − 2
        assert "未按规定公示收费标准" in client.get(f"/credit/subjects/{uscc}").text

        clock.move_to(noon(date(2026, 9, 14)))  # the last day of display
        assert "未按规定公示收费标准" in client.get(f"/credit/subjects/{uscc}").text

        clock.move_to(noon(date(2026, 9, 15)))  # display stops by itself
        page = client.get(f"/credit/subjects/{uscc}").text
        assert "未按规定公示收费标准" not in page
        assert 'data-score="84.00"' in page  # the page explains the score as of today
        assert reload(subject_id).score == Decimal("82.00")  # stored: until the sweep
        for user in (owner, regulator):  # the subject itself and regulators still see it
            login(client, user)
            page = client.get(f"/credit/subjects/{uscc}").text
            assert "未按规定公示收费标准" in page and "No longer publicly displayed" in page
            client.post("/logout")

        assert scheduler.run_sweeper(SWEEPER) == 1
        assert (reload(subject_id).score, reload(subject_id).level) == (Decimal("84.00"), "B")


def test_the_nightly_sweep_is_idempotent(db_session):
    with time_machine.travel(noon(date(2026, 1, 10)), tick=False) as clock:
        aging = make_subject()
        add(aging, "late_delivery")  # 84 − 2 = 82
        steady = make_subject()
        add(steady, "evaluation_owner", rating=5)
        ids = aging.id, steady.id
        assert scheduler.run_sweeper(SWEEPER) == 0  # nothing moved since the records

        clock.move_to(noon(date(2027, 1, 10)))  # 12 months: weight 0.6 → 84 − 1.2
        before = {i: len(snapshots(i)) for i in ids}
        entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
        assert scheduler.run_sweeper(SWEEPER) == 1
        assert reload(ids[0]).score == Decimal("82.80")
        assert reload(ids[1]).score == Decimal("94.00")  # one rating: weight is irrelevant
        assert len(snapshots(ids[0])) == before[ids[0]] + 1
        assert len(snapshots(ids[1])) == before[ids[1]]

        after_first = {i: len(snapshots(i)) for i in ids}
        entries_first = db.session.scalar(select(func.count()).select_from(AuditEntry))
        assert entries_first == entries + 1  # one credit.score.change
        assert scheduler.run_sweeper(SWEEPER) == 0
        assert {i: len(snapshots(i)) for i in ids} == after_first
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries_first


def test_the_sweeper_runs_nightly_at_one_in_shanghai():
    sweeper = scheduler.SWEEPERS[SWEEPER]
    assert sweeper.func is scores.recompute_scores
    assert sweeper.trigger == {"trigger": "cron", "hour": 1, "timezone": "Asia/Shanghai"}


def test_the_severe_list_vetoes_to_d_whatever_the_score(db_session):
    with time_machine.travel(noon(date(2026, 6, 15)), tick=False):
        subject = make_subject()
        add(subject, "evaluation_owner", rating=5)
        assert subject.level == "A"
        db.session.add(SevereListing(
            subject_id=subject.id, status=ListingStatus.LISTED, reason="伪造材料",
            legal_basis="《条例》", rights_notice="可申请复核", department_id=make_department().id,
            notified_at=datetime(2026, 6, 1, tzinfo=UTC),
            objection_deadline=datetime(2026, 6, 8, tzinfo=UTC), listed_on=date(2026, 6, 9)))
        result = ops.recompute(subject)
        assert (result.score, result.level) == (Decimal("94.00"), "D")
        assert (subject.score, subject.level) == (Decimal("94.00"), "D")
        assert snapshots(subject.id)[-1].level == "D"


def test_score_settings_override_the_defaults(db_session):
    with time_machine.travel(noon(date(2026, 6, 15)), tick=False):
        settings.put("credit.score.penalty_deductions", {"general": 15})
        subject = make_subject()
        add(subject, "penalty", severity=Severity.GENERAL)
        assert subject.score == Decimal("69.00")  # 84 − 15
        settings.put("credit.score.display_months", {"minor": [0, 1]})
        minor = add(subject, "penalty", severity=Severity.MINOR)
        assert minor.display_max_until == date(2026, 7, 15)
        assert ops.recompute(subject, today=date(2026, 7, 15)).score == Decimal("69.00")
        assert ops.recompute(subject, today=date(2026, 7, 14)).score == Decimal("67.00")


def test_a_record_dated_in_the_past_counts_from_its_date(db_session):
    with time_machine.travel(noon(date(2026, 6, 15)), tick=False):
        subject = make_subject()
        # decided more than a year ago: a general penalty's window (12 months) has closed
        old = add(subject, "penalty", severity=Severity.GENERAL,
                  occurred_on=date(2026, 6, 15) - timedelta(days=366))
        assert old.display_max_until < date(2026, 6, 15)
        assert subject.score == Decimal("84.00")
