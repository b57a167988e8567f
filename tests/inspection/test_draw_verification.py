"""What a period's draws let anyone check beyond the ranking (inspection/verification.py):
the per-stratum selection and the team assignment, on `intermart verify-draw` and the public
draw page; and a plan that does not publish its drawn list keeps the object draw private."""

from datetime import timedelta

from core import randomness
from core.extensions import db
from inspection.models import PeriodStatus, TaskInspector
from inspection.operations.draws import draw_period, redraw_member
from tests.clients import english_client
from tests.inspection.test_draws_support import (
    NOW,
    make_inspectors,
    make_period,
    make_pool,
    make_published_plan,
)

STRATA_CHECK = "Each stratum draws ceil(ratio × size) agencies, topped up to the plan's minimum"
SELECTION_CHECK = ("The first agencies of each stratum in the draw order are those the "
                   "period's tasks inspect")
TEAMS_CHECK = ("Assigning teams again from the recorded load, conflicts and team size in "
               "this draw order gives the recorded teams")
TASK_TEAMS_CHECK = "The recorded teams are the teams the tasks were given at the draw"


def verify_cli(runner, draw_id: int):
    return runner.invoke(args=["verify-draw", str(draw_id)])


def drawn_joint_period(inspectors: int = 3):
    make_pool({"C": 5, "D": 3})
    plan, (lead, joint) = make_published_plan(joint=True, team_size=3)
    make_inspectors(lead, inspectors)
    make_inspectors(joint, inspectors)
    period = make_period(plan)
    tasks = draw_period(period, NOW)
    assert period.status == PeriodStatus.DRAWN and len(tasks) == 4
    return plan, period, tasks


def test_verify_draw_recomputes_the_selection_and_the_teams(db_session, runner):
    _plan, period, tasks = drawn_joint_period()
    objects = verify_cli(runner, period.object_draw_id)
    assert objects.exit_code == 0, objects.output
    assert f"[ok] {STRATA_CHECK}" in objects.output
    assert f"[ok] {SELECTION_CHECK}" in objects.output
    teams = verify_cli(runner, period.team_draw_id)
    assert teams.exit_code == 0, teams.output
    assert f"[ok] {TEAMS_CHECK}" in teams.output and f"[ok] {TASK_TEAMS_CHECK}" in teams.output
    recorded = period.team_inputs["teams"]
    assert len(recorded) == len(tasks) and all(len(team) == 3 for team in recorded.values())


def test_a_task_given_another_agency_fails_the_selection_check(db_session, runner):
    _plan, period, tasks = drawn_joint_period()
    drawn = {task.agency_id for task in tasks}
    tasks[0].agency_id = next(a["agency_id"] for s in period.pool_snapshot
                              for a in s["agencies"] if a["agency_id"] not in drawn)
    db.session.flush()
    result = verify_cli(runner, period.object_draw_id)
    assert result.exit_code == 1
    assert f"[FAIL] {SELECTION_CHECK}" in result.output and "MISMATCH" in result.output


def test_a_rewritten_stratum_count_fails_the_count_check(db_session, runner):
    _plan, period, _tasks = drawn_joint_period()
    period.pool_snapshot = [s | {"count": s["size"]} for s in period.pool_snapshot]
    db.session.flush()
    result = verify_cli(runner, period.object_draw_id)
    assert result.exit_code == 1 and f"[FAIL] {STRATA_CHECK}" in result.output


def test_a_swapped_team_member_fails_the_team_check(db_session, runner):
    _plan, period, tasks = drawn_joint_period()
    outsider = make_inspectors(tasks[0].team[0].inspector.user.organisation, 1)[0]
    tasks[0].team[0].inspector_id = outsider.id
    db.session.flush()
    result = verify_cli(runner, period.team_draw_id)
    assert result.exit_code == 1 and f"[FAIL] {TASK_TEAMS_CHECK}" in result.output


def test_rewritten_team_inputs_fail_the_recomputation(db_session, runner):
    _plan, period, _tasks = drawn_joint_period()
    inputs = dict(period.team_inputs)
    inputs["load"] = {key: 0 for key in inputs["load"]} | {
        member: 99 for team in inputs["teams"].values() for member in team[:1]}
    period.team_inputs = inputs
    db.session.flush()
    result = verify_cli(runner, period.team_draw_id)
    assert result.exit_code == 1 and f"[FAIL] {TEAMS_CHECK}" in result.output


def test_a_recorded_redraw_leaves_the_team_draw_verified(db_session, runner):
    _plan, period, tasks = drawn_joint_period(inspectors=5)
    redraw_member(tasks[0].team[0], "近亲属在该机构任职", NOW + timedelta(hours=1))
    result = verify_cli(runner, period.team_draw_id)
    assert result.exit_code == 0, result.output


def test_a_period_committed_without_a_team_draw_commits_it_at_the_draw(db_session, runner):
    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 2)
    period = make_period(plan)
    period.team_draw_id = None
    db.session.flush()
    [task] = draw_period(period, NOW)
    record = db.session.get(randomness.Draw, period.team_draw_id)
    assert record.purpose == "inspection.teams" and record.drawn_at is not None
    assert verify_cli(runner, record.id).exit_code == 0
    assert len(db.session.query(TaskInspector).filter_by(task_id=task.id).all()) == 2


def test_the_public_draw_page_shows_the_derived_checks(app, db_session):
    _plan, period, _tasks = drawn_joint_period()
    browser = english_client(app)
    page = browser.get(f"/draws/{period.team_draw_id}").get_data(as_text=True)
    assert TASK_TEAMS_CHECK in page and 'data-testid="verified"' in page
    page = browser.get(f"/draws/{period.object_draw_id}").get_data(as_text=True)
    assert SELECTION_CHECK.replace("'", "&#39;") in page and 'data-testid="seed"' in page


def test_an_unpublished_drawn_list_keeps_the_object_draw_private(app, db_session):
    make_pool({"D": 2})
    plan, (lead, _joint) = make_published_plan()
    plan.publish_drawn_list = False
    [inspector, _other] = make_inspectors(lead, 2)
    period = make_period(plan)
    draw_period(period, NOW)
    record = db.session.get(randomness.Draw, period.object_draw_id)

    public = english_client(app)
    page = public.get(f"/draws/{record.id}").get_data(as_text=True)
    assert 'data-testid="not-disclosed"' in page and 'data-testid="verified"' in page
    assert record.seed not in page and record.candidates[0]["key"] not in page
    published = public.get(f"/draws/{record.id}.json").json
    assert published["seed"] is None and published["candidates"] is None
    assert published["result"] is None and published["seed_hash"] == record.seed_hash

    department = english_client(app, inspector.user)
    page = department.get(f"/draws/{record.id}").get_data(as_text=True)
    assert record.seed in page and 'data-testid="not-disclosed"' not in page
    assert department.get(f"/draws/{record.id}.json").json["seed"] == record.seed
