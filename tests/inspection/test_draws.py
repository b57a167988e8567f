"""The period draw (inspection/operations/draws.py, RULES.md §3 "Draw"): objects per credit
stratum by one verifiable draw, teams by a second, and the recorded redraw after a conflict."""

import json
import math
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import randomness
from core.errors import Conflict
from core.notifications import Notification
from credit.data_measures import load_measures
from credit.models import Execution
from inspection import queries, rules
from inspection.models import (
    InspectorConflict,
    PeriodStatus,
    Task,
    TaskInspector,
    TaskStatus,
)
from inspection.operations.draws import draw_period, redraw_member, retry_replacement
from tests.clients import english_client
from tests.inspection.test_draws_support import (
    NOW,
    make_inspectors,
    make_item,
    make_period,
    make_pool,
    make_published_plan,
    period_tasks,
)


def verify_cli(runner, draw_id: int):
    return runner.invoke(args=["verify-draw", str(draw_id)])


def recompute_selection(period, client=None) -> list[str]:
    """What anyone can do with the published JSON (/draws/<id>.json) and the period's
    stratum counts."""
    if client is not None:
        published = client.get(f"/draws/{period.object_draw_id}.json").json
    else:
        published = json.loads(randomness.published(db_draw(period.object_draw_id)))
    ranked = randomness.rank(published["seed"], [c["key"] for c in published["candidates"]])
    assert ranked == published["result"]
    counts = {s["stratum"]: s["count"] for s in period.pool_snapshot}
    return rules.select_per_stratum(ranked, counts)


def db_draw(draw_id):
    from core.extensions import db

    return db.session.get(randomness.Draw, draw_id)


def test_fixed_pool_gives_ceil_ratio_counts_and_verifies(db_session, runner, client):
    pool = make_pool({"A": 10, "B": 20, "C": 5, "D": 2})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 4)
    period = make_period(plan)

    tasks = draw_period(period, NOW)

    by_level = {}
    for task in tasks:
        by_level[task.stratum] = by_level.get(task.stratum, 0) + 1
    expected = {level: math.ceil(Decimal(ratio) * len(pool[level]) / 100)
                for level, ratio in plan.ratios.items()}
    assert by_level == expected == {"A": 1, "B": 1, "C": 1, "D": 2}
    assert period.status == PeriodStatus.DRAWN and period.drawn_at == NOW
    assert {s["stratum"]: (s["size"], s["count"]) for s in period.pool_snapshot} == \
        {"D": (2, 2), "C": (5, 1), "B": (20, 1), "A": (10, 1)}
    # verify-draw reproduces the object and the team draws from what was published
    for draw_id in (period.object_draw_id, period.team_draw_id):
        result = verify_cli(runner, draw_id)
        assert result.exit_code == 0, result.output
        assert "VERIFIED" in result.output
    drawn_usccs = {task.agency.uscc for task in tasks}
    assert {key.split(":", 1)[1] for key in recompute_selection(period, client)} == drawn_usccs
    assert queries.period_selection(period) == recompute_selection(period)
    numbers = sorted(task.number for task in tasks)
    assert numbers[0] == f"JCRW-{NOW.year}-000001" and len(set(numbers)) == 5


def test_tasks_get_window_team_and_notifications(db_session):
    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan(window_working_days=10)
    make_inspectors(lead, 2)
    [task] = draw_period(make_period(plan), NOW)
    assert task.status == TaskStatus.ASSIGNED
    assert task.window_ends_on > NOW.date() + timedelta(days=10)  # working days
    assert len(task.team) == 2
    notified = {(n.organisation_id, n.user_id) for n in db_session.scalars(
        select(Notification).where(Notification.title.contains(task.number)))}
    assert (task.agency.organisation_id, None) in notified
    assert {(None, m.inspector.user_id) for m in task.team} <= notified


def test_no_inspector_is_drawn_against_a_declared_conflict(db_session, runner):
    pool = make_pool({"D": 6})
    plan, (lead, _joint) = make_published_plan()
    inspectors = make_inspectors(lead, 3)
    for agency in pool["D"][:5]:  # inspector 0 conflicts with most of the drawn agencies
        db_session.add(InspectorConflict(inspector_id=inspectors[0].id, agency_id=agency.id,
                                         reason="前雇主"))
    db_session.add(InspectorConflict(inspector_id=inspectors[1].id,
                                     agency_id=pool["D"][5].id, reason="亲属"))
    db_session.flush()
    tasks = draw_period(make_period(plan), NOW)
    assert len(tasks) == 6
    conflicts = {(c.inspector_id, c.agency_id) for c in db_session.scalars(
        select(InspectorConflict))}
    for task in tasks:
        assert not {(m.inspector_id, task.agency_id) for m in task.team} & conflicts


def test_a_department_whose_inspectors_all_conflict_blocks_the_draw(db_session):
    pool = make_pool({"D": 1})
    plan, (lead, joint) = make_published_plan(joint=True)
    make_inspectors(lead, 2)
    [only] = make_inspectors(joint, 1)
    db_session.add(InspectorConflict(inspector_id=only.id, agency_id=pool["D"][0].id,
                                     reason="股东"))
    db_session.flush()
    with pytest.raises(Conflict, match=joint.name):
        draw_period(make_period(plan), NOW)


def test_joint_plan_teams_have_one_inspector_from_each_department(db_session):
    make_pool({"C": 10, "D": 4})
    plan, (lead, joint) = make_published_plan(joint=True, ratios={"C": "100"})
    make_inspectors(lead, 3)
    make_inspectors(joint, 3)
    tasks = draw_period(make_period(plan), NOW)
    assert len(tasks) == 14
    for task in tasks:
        assert sorted(m.department_id for m in task.team) == sorted([lead.id, joint.id])


def test_load_is_spread_evenly(db_session):
    make_pool({"D": 7})
    plan, (lead, _joint) = make_published_plan(team_size=2)
    inspectors = make_inspectors(lead, 4)
    tasks = draw_period(make_period(plan), NOW)
    loads = {i.id: 0 for i in inspectors}
    for task in tasks:
        for member in task.team:
            loads[member.inspector_id] += 1
    assert sum(loads.values()) == 14
    assert max(loads.values()) - min(loads.values()) <= 1


def test_unavailable_inspectors_are_not_drawn(db_session):
    make_pool({"D": 3})
    plan, (lead, _joint) = make_published_plan()
    away, *present = make_inspectors(lead, 3)
    away.available = False
    db_session.flush()
    tasks = draw_period(make_period(plan), NOW)
    assert all(m.inspector_id != away.id for task in tasks for m in task.team)
    team_draw = db_draw(tasks[0].period.team_draw_id)
    assert {c["key"] for c in team_draw.candidates} == {f"inspector:{p.id}" for p in present}


def test_a_agencies_inspected_this_year_for_the_item_are_skipped(db_session):
    pool = make_pool({"A": 3, "C": 1})
    plan, (lead, _joint) = make_published_plan(ratios={"A": "100"})
    make_inspectors(lead, 2)
    first = draw_period(make_period(plan, NOW - timedelta(days=60)), NOW - timedelta(days=60))
    assert {t.agency_id for t in first} == {a.id for a in pool["A"] + pool["C"]}
    second_period = make_period(plan, NOW)
    second = draw_period(second_period, NOW)
    assert {t.agency_id for t in second} == {pool["C"][0].id}  # the A agencies rest
    a_stratum = next(s for s in second_period.pool_snapshot if s["stratum"] == "A")
    assert a_stratum["size"] == 0 and len(a_stratum["excluded"]) == 3
    next_year = NOW.replace(year=NOW.year + 1)
    third = draw_period(make_period(plan, next_year), next_year)
    assert len(third) == 4  # a new year: drawn again


def test_an_a_agency_inspected_for_one_item_is_still_drawn_for_another(db_session):
    pool = make_pool({"A": 2})
    first_plan, (lead, _joint) = make_published_plan(ratios={"A": "100"})
    make_inspectors(lead, 2)
    earlier = NOW - timedelta(days=60)
    assert len(draw_period(make_period(first_plan, earlier), earlier)) == 2
    other_item = make_item(lead)
    wider = make_published_plan(ratios={"A": "100"}, items=[first_plan.items[0], other_item])[0]
    make_inspectors(wider.lead_department, 2)
    drawn = draw_period(make_period(wider, NOW), NOW)
    assert {t.agency_id for t in drawn} == {a.id for a in pool["A"]}  # the new item is due
    same = make_published_plan(ratios={"A": "100"}, items=[first_plan.items[0]])[0]
    make_inspectors(same.lead_department, 2)
    assert draw_period(make_period(same, NOW), NOW) == []  # both items now covered this year


def test_the_public_plan_page_lets_anyone_recompute_the_selection(app, db_session):
    pool = make_pool({"B": 10, "D": 2})
    plan, (lead, _joint) = make_published_plan(ratios={"B": "5", "D": "100"})
    make_inspectors(lead, 2)
    period = make_period(plan)
    tasks = draw_period(period, NOW)
    db_session.commit()
    html = english_client(app).get(f"/inspection/public/plans/{plan.number}")
    html = html.get_data(as_text=True)
    strata = html.split('data-testid="strata"')[1].split("</table>")[0]
    assert "<td>B</td><td>5 %</td><td>10</td><td>1</td>" in strata  # ceil(5 % × 10) = 1
    assert "<td>D</td><td>100 %</td><td>2</td><td>2</td>" in strata
    recomputed = html.split('data-testid="recomputed">')[1].split("</span>")[0].split("、")
    assert len(recomputed) == 3 == len(tasks)
    drawn = {a.uscc for a in pool["B"] + pool["D"] if a.id in {t.agency_id for t in tasks}}
    assert {key.split(":", 1)[1] for key in recomputed} == drawn


def test_measures_raise_the_ratio_and_are_recorded(db_session):
    load_measures()  # LA-SXCJ-004: level D raises the inspection ratio
    make_pool({"D": 4, "B": 10})
    plan, (lead, _joint) = make_published_plan(ratios={"D": "50", "B": "10"})
    make_inspectors(lead, 2)
    period = make_period(plan)
    tasks = draw_period(period, NOW)
    strata = {s["stratum"]: s for s in period.pool_snapshot}
    assert strata["D+"]["ratio"] == "100" and strata["D+"]["count"] == 4  # not ceil(50 % × 4)
    assert strata["B"]["count"] == 1
    assert sum(t.stratum == "D" for t in tasks) == 4
    executions = db_session.scalars(select(Execution).where(Execution.module == "inspection"))
    assert len(list(executions)) == 4


def test_drawing_twice_makes_one_set_of_tasks(db_session, runner):
    make_pool({"D": 2})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 2)
    period = make_period(plan)
    assert len(draw_period(period, NOW)) == 2
    assert draw_period(period, NOW) == []
    assert len(period_tasks(period)) == 2


def test_a_scheduler_that_lost_the_race_draws_nothing(db_session):
    """The other scheduler flipped the row first; this one still holds a stale COMMITTED
    object: the guarded UPDATE matches no row, so it makes no draw and no task."""
    from inspection.models import PlanPeriod

    make_pool({"D": 2})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 2)
    period = make_period(plan)
    db_session.execute(PlanPeriod.__table__.update().where(PlanPeriod.id == period.id)
                       .values(status="drawn"))
    assert period.status == PeriodStatus.COMMITTED  # stale in this session
    assert draw_period(period, NOW) == []
    assert period_tasks(period) == []
    assert db_draw(period.object_draw_id).drawn_at is None


def test_a_period_not_yet_due_is_not_drawn(db_session):
    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 2)
    period = make_period(plan, NOW + timedelta(hours=1))
    assert draw_period(period, NOW) == []
    assert period.status == PeriodStatus.COMMITTED


def test_redraw_after_a_post_draw_conflict_is_recorded_and_verifiable(db_session, runner):
    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 5)
    [task] = draw_period(make_period(plan), NOW)
    leaving = task.team[0]
    staying = task.team[1]

    new = redraw_member(leaving, "近亲属任职", NOW + timedelta(hours=2))

    assert leaving.replaced_at == NOW + timedelta(hours=2)
    assert leaving.replacement_reason == "近亲属任职"
    assert new.inspector_id not in {leaving.inspector_id, staying.inspector_id}
    assert new.department_id == leaving.department_id
    record = db_draw(leaving.replacement_draw_id)
    assert record.result == [f"inspector:{new.inspector_id}"]
    keys = {c["key"] for c in record.candidates}
    assert f"inspector:{leaving.inspector_id}" not in keys
    assert f"inspector:{staying.inspector_id}" not in keys
    result = verify_cli(runner, record.id)
    assert result.exit_code == 0 and "VERIFIED" in result.output
    current = db_session.scalars(select(TaskInspector).where(
        TaskInspector.task_id == task.id, TaskInspector.replaced_at.is_(None))).all()
    assert {m.inspector_id for m in current} == {staying.inspector_id, new.inspector_id}
    assert queries.conflict_between(leaving.inspector_id, task.agency_id).reason == "近亲属任职"
    assert new.inspector.user_id in {n.user_id for n in db_session.scalars(select(Notification))}
    with pytest.raises(Conflict):
        redraw_member(leaving, "again", NOW)


def test_redraw_picks_among_the_least_loaded_of_the_department(db_session):
    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan()
    busy, *others = make_inspectors(lead, 4)
    [task] = draw_period(make_period(plan), NOW)
    members = {m.inspector_id for m in task.team}
    spare = [p for p in [busy, *others] if p.id not in members]
    # give one spare inspector an open task elsewhere: the other spare is less loaded
    other_plan, (other_lead, _j) = make_published_plan()
    make_inspectors(other_lead, 2)
    other_task = draw_period(make_period(other_plan), NOW)[0]
    db_session.add(TaskInspector(task_id=other_task.id, inspector_id=spare[0].id,
                                 department_id=lead.id))
    db_session.flush()
    new = redraw_member(task.team[0], "回避", NOW)
    assert new.inspector_id == spare[1].id
    record = db_draw(task.team[0].replacement_draw_id)
    assert [c["key"] for c in record.candidates] == [f"inspector:{spare[1].id}"]


def test_a_conflict_with_nobody_to_replace_stands_until_the_retry_succeeds(db_session):
    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 2)
    [task] = draw_period(make_period(plan), NOW)
    leaving = task.team[0]

    assert redraw_member(leaving, "配偶在该机构任职", NOW) is None

    assert leaving.replaced_at is None  # still on the team, but awaiting a replacement
    assert queries.members_awaiting_replacement(task) == {leaving.id}
    conflict = queries.conflict_between(leaving.inspector_id, task.agency_id)
    assert conflict.reason == "配偶在该机构任职"
    told = db_session.scalars(select(Notification).where(
        Notification.organisation_id == lead.id)).all()
    assert [n.link for n in told] == [f"/inspection/tasks/{task.id}"]
    with pytest.raises(Conflict):
        retry_replacement(leaving, NOW)  # nobody new yet
    [spare] = make_inspectors(lead, 1)
    new = retry_replacement(leaving, NOW + timedelta(hours=1))
    assert new.inspector_id == spare.id and leaving.replacement_reason == "配偶在该机构任职"
    assert leaving.replaced_at == NOW + timedelta(hours=1)
    assert queries.members_awaiting_replacement(task) == set()


def test_task_numbers_continue_within_the_year(db_session):
    make_pool({"D": 2})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 2)
    draw_period(make_period(plan, NOW - timedelta(days=1)), NOW)
    draw_period(make_period(plan, NOW), NOW)
    numbers = sorted(db_session.scalars(select(Task.number)))
    assert numbers == [f"JCRW-{NOW.year}-{n:06d}" for n in range(1, 5)]
    assert db_session.scalar(select(func.count()).select_from(Task)) == 4

