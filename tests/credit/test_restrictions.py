"""restrictions_for: the joint measures in force for a subject, from the seeded catalogue
(credit/data_measures.py), and the executions other modules record (RULES.md §2)."""

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.errors import Conflict, NotFound
from credit.data_measures import MEASURES, load_measures
from credit.models import (
    ApplicationMethod,
    CreditSubject,
    Effect,
    Execution,
    ExitReason,
    Measure,
    MeasureTrigger,
)
from credit.operations import lists as ops
from credit.queries import Restriction, record_execution, restrictions_for
from credit.queries.restrictions import effect_applies_sql, has_effect, restrictions_for_many
from tests.credit.builders_lists import browser, make_regulator, make_subject, put_on_list

PUNISHMENTS_OF_D = {"LA-SXCJ-004", "LA-SXCJ-006"}  # raised inspection ratio, demotion
SEVERE = {"LA-SXCJ-001", "LA-SXCJ-002", "LA-SXCJ-003", "LA-SXCJ-007", "LA-SXCJ-008"}
DELISTED = {"LA-SXCJ-009"}
REWARDS_OF_A = {"LA-SXJL-001", "LA-SXJL-003", "LA-SXJL-005"}
HONOUR = {"LA-SXJL-002", "LA-SXJL-004", "LA-SXJL-006"}


@pytest.fixture(autouse=True)
def catalogue(db_session):
    load_measures()


def codes(restrictions: list[Restriction]) -> set[str]:
    return {r.code for r in restrictions}


def effects(restrictions: list[Restriction]) -> set[Effect]:
    return {r.effect for r in restrictions}


def test_load_measures_is_idempotent(db_session):
    assert db_session.scalar(select(func.count()).select_from(Measure)) == len(MEASURES)
    edited = db_session.scalars(select(Measure).where(Measure.code == "LA-SXCJ-001")).one()
    edited.content = "管理员修改过的内容"
    entries = db_session.scalar(select(func.count()).select_from(AuditEntry))
    assert load_measures() == 0
    assert db_session.scalar(select(func.count()).select_from(Measure)) == len(MEASURES)
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    assert edited.content == "管理员修改过的内容"


def test_the_seed_covers_every_effect_with_its_departments(db_session):
    measures = db_session.scalars(select(Measure)).all()
    assert {m.effect for m in measures} == set(Effect)
    assert all(m.initiating_department == "六安市发展和改革委员会" for m in measures)
    assert all("〔" in m.legal_basis for m in measures)
    assert {m.code for m in measures if m.is_reward} == REWARDS_OF_A | HONOUR


def test_a_new_subject_counts_as_b_and_has_no_measure(db_session):
    subject, _user = make_subject()
    assert subject.level == "new"
    assert restrictions_for(subject.uscc) == []


def test_level_d_demotes_in_the_directory_and_raises_the_inspection_ratio(db_session):
    subject, _user = make_subject("D")
    found = restrictions_for(subject.uscc)
    assert codes(found) == PUNISHMENTS_OF_D
    assert effects(found) == {Effect.DIRECTORY_DEMOTION, Effect.RAISE_INSPECTION_RATIO}
    assert has_effect(subject.uscc, Effect.BAR_BIDDING, public_funds=True) is None
    assert not any(r.is_reward for r in found)


def test_level_c_is_demoted_only(db_session):
    subject, _user = make_subject("C")
    assert codes(restrictions_for(subject.uscc)) == {"LA-SXCJ-005"}


def test_the_severe_list_bars_bidding_on_public_money_only(db_session):
    subject, _user = make_subject()
    put_on_list(subject, make_regulator())
    public = restrictions_for(subject.uscc, public_funds=True)
    private = restrictions_for(subject.uscc, public_funds=False)
    assert codes(public) == SEVERE | PUNISHMENTS_OF_D | DELISTED  # the veto makes it D
    assert codes(private) == (SEVERE - {"LA-SXCJ-001", "LA-SXCJ-002"}) | PUNISHMENTS_OF_D \
        | DELISTED
    assert {Effect.NO_TOLERANCE_ACCEPTANCE, Effect.PUBLIC_DISCLOSURE} <= effects(private)
    # Privately funded work: only the exit that comes with the listing bars the bid.
    bar = has_effect(subject.uscc, Effect.BAR_BIDDING, public_funds=False)
    assert bar.code == "LA-SXCJ-009" and bar.delisted and bar.blocks
    # Without a funding context everything in force is listed, flagged public-funds-only.
    everything = restrictions_for(subject.uscc)
    assert {r.code for r in everything if r.public_funds_only} == {"LA-SXCJ-001",
                                                                   "LA-SXCJ-002"}
    assert everything[0].is_reward is False and everything[0].blocks


def test_level_a_earns_the_rewards(db_session):
    subject, _user = make_subject("A")
    found = restrictions_for(subject.uscc, public_funds=True)
    assert codes(found) == REWARDS_OF_A
    assert effects(found) == {Effect.DIRECTORY_PRIORITY, Effect.LOWER_INSPECTION_RATIO,
                              Effect.FAST_TRACK}
    assert all(r.is_reward for r in found)


def test_the_honour_list_earns_the_rewards(db_session):
    subject, _user = make_subject()
    regulator = make_regulator()
    honour = ops.add_to_honour_list(subject.uscc, "守信典型", regulator.organisation, 1)
    assert codes(restrictions_for(subject.uscc)) == HONOUR
    ops.revoke_honour_listing(honour, regulator.organisation)
    assert restrictions_for(subject.uscc) == []


def test_an_honour_listing_ends_with_its_term(db_session):
    subject, _user = make_subject()
    honour = ops.add_to_honour_list(subject.uscc, "守信典型", make_regulator().organisation, 1)
    assert codes(restrictions_for(subject.uscc, today=honour.listed_until)) == set()


def test_a_delisted_subject_is_barred_from_bidding_whatever_the_funding(db_session):
    subject, _user = make_subject("A")
    ops.delist(subject.uscc, ExitReason.FRAUDULENT_REGISTRATION, "虚假注册", 3)
    for funding in (True, False, None):
        found = restrictions_for(subject.uscc, public_funds=funding)
        assert codes(found) == DELISTED  # rewards are off while delisted
        assert found[0].effect == Effect.BAR_BIDDING and found[0].delisted


def test_a_suspended_measure_applies_no_more(db_session):
    subject, _user = make_subject("D")
    demotion = db_session.scalars(select(Measure).where(Measure.code == "LA-SXCJ-006")).one()
    ops.set_measure_active(demotion, False)
    assert codes(restrictions_for(subject.uscc)) == {"LA-SXCJ-004"}


def test_many_subjects_at_once_agree_with_one_at_a_time(db_session):
    subjects = [make_subject(level)[0] for level in ("A", "C", "D", None)]
    usccs = [s.uscc for s in subjects] + ["91340100MA2UNKNOWN"]
    many = restrictions_for_many(usccs, public_funds=True)
    assert set(many) == {s.uscc for s in subjects}  # an unknown code has nothing
    for subject in subjects:
        assert many[subject.uscc] == restrictions_for(subject.uscc, public_funds=True)
    assert restrictions_for("91340100MA2UNKNOWN") == []


# --- executions -----------------------------------------------------------------------------

def test_record_execution_shows_on_the_subject_page(app, db_session):
    subject, user = make_subject()
    put_on_list(subject, make_regulator())
    bar = has_effect(subject.uscc, Effect.BAR_BIDDING, public_funds=True)
    execution = record_execution(subject.uscc, bar, "market", "拒绝报名：项目 ZJ-2026-0042")
    assert (execution.measure_id, execution.module) == (bar.measure_id, "market")
    record_execution(subject.uscc, bar.measure_id, "inspection", "抽查比例提高：计划 2026-01")
    audited = db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "credit.execution.record")).all()
    assert len(audited) == 2

    for viewer in (user, make_regulator()):
        page = browser(app, viewer).get(f"/credit/subjects/{subject.uscc}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "拒绝报名：项目 ZJ-2026-0042" in html and "抽查比例提高：计划 2026-01" in html
        assert bar.code in html and 'data-testid="executions"' in html
    public = browser(app).get(f"/credit/subjects/{subject.uscc}").get_data(as_text=True)
    assert "拒绝报名" not in public  # feedback between departments, not public
    assert 'data-effect="bar_bidding"' in public  # the measures in force are


def test_record_execution_needs_a_known_subject_and_measure(db_session):
    subject, _user = make_subject()
    measure = db_session.scalars(select(Measure)).first()
    with pytest.raises(NotFound):
        record_execution("91340100MA2UNKNOWN", measure.id, "market", "x")
    with pytest.raises(NotFound):
        record_execution(subject.uscc, 999_999, "market", "x")
    assert db_session.scalar(select(func.count()).select_from(Execution)) == 0


def test_an_applied_measure_cannot_be_deleted(db_session):
    subject, _user = make_subject("D")
    measure = db_session.scalars(select(Measure).where(Measure.code == "LA-SXCJ-006")).one()
    record_execution(subject.uscc, measure, "market", "名录排序靠后")
    with pytest.raises(Conflict):
        ops.delete_measure(measure)


def test_the_sql_twin_agrees_with_restrictions_for_many_on_every_effect(db_session):
    """effect_applies_sql ranks market's directory in SQL; it must answer as the Python does
    for every trigger: levels ("new" as B), the honour list, the severe list, an exit."""
    ops.create_measure(ops.MeasureInput(
        "TEST-B-001", "B级提示", "测试依据", "发改委", "数据局", MeasureTrigger.LEVEL, "B",
        ApplicationMethod.REFERENCE_ONLY, Effect.FAST_TRACK))
    subjects = [make_subject(level)[0] for level in ("A", "C", "D", None, "A", None, None)]
    honoured, listed, delisted = subjects[4], subjects[5], subjects[6]
    ops.add_to_honour_list(honoured.uscc, "守信典型", make_regulator().organisation, 1)
    put_on_list(listed, make_regulator())
    ops.delist(delisted.uscc, ExitReason.FRAUDULENT_REGISTRATION, "虚假注册", 3)
    usccs = [s.uscc for s in subjects]
    python = restrictions_for_many(usccs)
    for effect in Effect:
        in_sql = set(db_session.scalars(select(CreditSubject.uscc).where(
            CreditSubject.uscc.in_(usccs), effect_applies_sql(effect))))
        assert in_sql == {u for u in usccs if effect in effects(python[u])}, effect
