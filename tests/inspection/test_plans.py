"""Inspection plans (RULES.md §3 "Plan"): validation, draft → approved → published → closed
with its refusals, periods committed at publication (seed hash public, seed secret), cron
top-ups, and the public pages."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import settings
from core.audit import history
from core.auth.models import Role
from core.errors import Conflict, DomainError, NotAllowed
from core.randomness import Draw
from inspection import queries
from inspection.models import Plan, PlanPeriod, PlanStatus
from inspection.operations import plans as ops
from tests.clients import english_client
from tests.factories import make_department, make_user
from tests.inspection.builders import make_inspection_item, make_plan, plan_input

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
TODAY = date(2026, 6, 15)


def _draft(lead, **kwargs) -> Plan:
    return ops.draft(make_user(Role.STAFF, lead), plan_input(lead, now=NOW, **kwargs), now=NOW)


# --- Validation -----------------------------------------------------------------------------

def test_a_valid_draft_gets_a_number_defaults_and_an_audit_record(db_session):
    lead = make_department()
    plan = _draft(lead, dates=[TODAY + timedelta(days=10), TODAY + timedelta(days=3)])
    assert plan.status == PlanStatus.DRAFT
    assert plan.number == f"JCJH-2026-{plan.id:06d}"
    assert plan.ratios == {"A": "2", "B": "5", "C": "20", "D": "100"}
    assert plan.dates == ["2026-06-18", "2026-06-25"]
    assert [e.action for e in history("inspection_plan", plan.id)] == ["inspection_plan.draft"]


def test_team_must_hold_one_inspector_per_department(db_session):
    lead, joint_a, joint_b = make_department(), make_department(), make_department()
    with pytest.raises(DomainError, match="one from each"):
        _draft(lead, joint=[joint_a, joint_b], team_size=2)
    with pytest.raises(DomainError, match="at least 2"):
        _draft(lead, team_size=1)
    assert _draft(lead, joint=[joint_a, joint_b], team_size=3).team_size == 3


@pytest.mark.parametrize("cron", ["0 9 1 */3", "61 9 * * *", "every quarter", ""])
def test_bad_cron_is_refused(db_session, cron):
    with pytest.raises(DomainError, match="cron"):
        _draft(make_department(), cron=cron or " ")


def test_cron_is_accepted(db_session):
    assert _draft(make_department(), cron="0 9 1 */3 *").cron == "0 9 1 */3 *"


def test_past_dates_and_no_dates_are_refused(db_session):
    lead = make_department()
    with pytest.raises(DomainError, match="2026-06-14"):
        _draft(lead, dates=[TODAY + timedelta(days=5), TODAY - timedelta(days=1)])
    with pytest.raises(DomainError, match="2026-06-15"):  # today 09:00 has passed at 10:00
        _draft(lead, dates=[TODAY])
    with pytest.raises(DomainError, match="at least one draw date"):
        ops.draft(make_user(Role.STAFF, lead), ops.PlanInput(
            name="无日期计划", item_ids=[make_inspection_item(lead).id], dates=[]), now=NOW)


def test_items_are_required_and_must_belong_to_the_plans_departments(db_session):
    lead, joint, stranger = make_department(), make_department(), make_department()
    with pytest.raises(DomainError, match="at least one inspection item"):
        _draft(lead, items=[])
    with pytest.raises(DomainError, match="not part of the plan"):
        _draft(lead, items=[make_inspection_item(stranger)])
    plan = _draft(lead, joint=[joint], items=[make_inspection_item(lead),
                                              make_inspection_item(joint)])
    assert len(plan.items) == 2


@pytest.mark.parametrize("ratios", [{"A": -1, "B": 5, "C": 20, "D": 100},
                                    {"A": 2, "B": 5, "C": 20, "D": 101},
                                    {"A": 2, "B": 5, "C": 20}])
def test_ratios_out_of_range_are_refused(db_session, ratios):
    with pytest.raises(DomainError, match="between 0 and 100"):
        _draft(make_department(), ratios=ratios)


def test_minimum_count_and_window_must_be_positive(db_session):
    with pytest.raises(DomainError, match="minimum count"):
        _draft(make_department(), min_count=0)
    with pytest.raises(DomainError, match="window"):
        _draft(make_department(), window_working_days=0)


def test_default_ratios_come_from_the_setting(db_session):
    settings.put(ops.DEFAULT_RATIOS_KEY, {"A": 1, "B": 4, "C": 30, "D": 100})
    assert _draft(make_department()).ratios == {"A": "1", "B": "4", "C": "30", "D": "100"}
    given = _draft(make_department(), ratios={"A": Decimal("2.5"), "B": 5, "C": 20, "D": 100})
    assert given.ratios["A"] == "2.5"


def test_the_setting_refuses_bad_ratios(db_session):
    with pytest.raises(Conflict):
        settings.update_from_text(ops.DEFAULT_RATIOS_KEY, '{"A": 2, "B": 5, "C": 200, "D": 1}')


# --- Transitions ----------------------------------------------------------------------------

def test_draft_approved_published_closed(db_session):
    lead = make_department()
    drafter, admin = make_user(Role.STAFF, lead), make_user(Role.ORG_ADMIN, lead)
    plan = ops.draft(drafter, plan_input(lead, now=NOW), now=NOW)
    ops.approve(admin, plan, now=NOW)
    assert (plan.status, plan.approved_by_id) == (PlanStatus.APPROVED, admin.id)
    ops.publish(drafter, plan, now=NOW)
    assert plan.status == PlanStatus.PUBLISHED and plan.published_at == NOW
    ops.close(admin, plan, now=NOW)
    assert plan.status == PlanStatus.CLOSED
    assert [e.action for e in history("inspection_plan", plan.id)] == [
        "inspection_plan.draft", "inspection_plan.approve", "inspection_plan.publish",
        "inspection_plan.close"]


def test_refused_transitions(db_session):
    lead = make_department()
    admin = make_user(Role.ORG_ADMIN, lead)
    plan = ops.draft(admin, plan_input(lead, now=NOW), now=NOW)
    with pytest.raises(NotAllowed, match="drafter"):
        ops.approve(admin, plan, now=NOW)  # four eyes: not the drafter
    with pytest.raises(NotAllowed):
        ops.approve(make_user(Role.STAFF, lead), plan, now=NOW)  # staff do not approve
    with pytest.raises(NotAllowed):
        ops.approve(make_user(Role.ORG_ADMIN, make_department()), plan, now=NOW)
    with pytest.raises(Conflict):
        ops.publish(admin, plan, now=NOW)  # not approved yet
    with pytest.raises(Conflict):
        ops.close(admin, plan, now=NOW)
    other_admin = make_user(Role.ORG_ADMIN, lead)
    ops.approve(other_admin, plan, now=NOW)
    with pytest.raises(Conflict):
        ops.approve(other_admin, plan, now=NOW)
    with pytest.raises(Conflict, match="draft"):
        ops.update(admin, plan, plan_input(lead, now=NOW), now=NOW)
    with pytest.raises(Conflict):
        ops.delete(admin, plan)
    ops.publish(admin, plan, now=NOW)
    with pytest.raises(Conflict):
        ops.publish(admin, plan, now=NOW)  # publishes (and commits periods) once


def test_a_date_passed_before_approval_stops_it(db_session):
    lead = make_department()
    plan = _draft(lead, dates=[TODAY + timedelta(days=2)])
    with pytest.raises(DomainError, match="future"):
        ops.approve(make_user(Role.ORG_ADMIN, lead), plan, now=NOW + timedelta(days=3))
    assert plan.status == PlanStatus.DRAFT


def test_a_draft_can_be_deleted(db_session):
    lead = make_department()
    plan = _draft(lead)
    plan_id = plan.id
    ops.delete(make_user(Role.STAFF, lead), plan)
    assert db_session.get(Plan, plan_id) is None
    assert [e.action for e in history("inspection_plan", plan_id)][-1] == \
        "inspection_plan.delete"


# --- Periods --------------------------------------------------------------------------------

def test_publishing_commits_one_draw_per_fixed_date(db_session):
    days = [TODAY + timedelta(days=1), TODAY + timedelta(days=40)]
    plan = make_plan(make_department(), dates=days, now=NOW)
    assert [p.period_key for p in plan.periods] == ["2026-06-16T09:00", "2026-07-25T09:00"]
    assert plan.periods[0].due_at.replace(tzinfo=UTC) == datetime(2026, 6, 16, 1, 0, tzinfo=UTC)
    for period in plan.periods:  # both seeds are fixed before the pool and inspectors are
        for draw_id, purpose in [(period.object_draw_id, "inspection.objects"),
                                 (period.team_draw_id, "inspection.teams")]:
            draw = db_session.get(Draw, draw_id)
            assert draw.purpose == purpose
            assert draw.reference == f"plan:{plan.number}:{period.period_key}"
            assert draw.drawn_at is None and draw.public_seed is None
            assert len(draw.seed_hash) == 64


def test_cron_plan_commits_four_periods_and_tops_up_idempotently(db_session):
    plan = make_plan(make_department(), cron="0 9 1 */3 *", now=NOW)
    assert [p.period_key for p in plan.periods] == [
        "2026-07-01T09:00", "2026-10-01T09:00", "2027-01-01T09:00", "2027-04-01T09:00"]
    assert ops.ensure_periods(plan, NOW) == []  # already four ahead
    later = datetime(2026, 7, 2, tzinfo=UTC)  # the first period is due and past
    added = ops.ensure_periods(plan, later)
    assert [p.period_key for p in added] == ["2027-07-01T09:00"]
    assert ops.ensure_periods(plan, later) == []
    assert db_session.scalar(select(func.count()).select_from(PlanPeriod)
                             .where(PlanPeriod.plan_id == plan.id)) == 5


def test_ensure_periods_leaves_unpublished_and_dated_plans_alone(db_session):
    lead = make_department()
    assert ops.ensure_periods(make_plan(lead, cron="0 9 * * 1", status=PlanStatus.APPROVED,
                                        now=NOW), NOW) == []
    dated = make_plan(lead, now=NOW)
    assert ops.ensure_periods(dated, NOW + timedelta(days=60)) == []
    assert len(dated.periods) == 1


# --- HTTP -----------------------------------------------------------------------------------

def _form(lead_item, **overrides) -> dict:
    data = {"name": "2026年度测绘资质单位双随机抽查", "item_ids": [lead_item.id],
            "service_item_id": "0", "region_code": "", "ratio_a": "2", "ratio_b": "5",
            "ratio_c": "20", "ratio_d": "100", "min_count": "1", "team_size": "2",
            "schedule_kind": "dates",
            "dates": (date.today() + timedelta(days=20)).isoformat() + "\n"
                     + (date.today() + timedelta(days=50)).isoformat(),
            "cron": "", "window_working_days": "20", "publish_drawn_list": "y"}
    return data | overrides


def test_department_drafts_approves_and_publishes_through_the_pages(app, db_session):
    lead, joint = make_department("六安市自然资源和规划局"), make_department("六安市市场监督管理局")
    item, joint_item = make_inspection_item(lead), make_inspection_item(joint)
    staff, admin = make_user(Role.STAFF, lead), make_user(Role.ORG_ADMIN, lead)
    db_session.commit()
    drafter = english_client(app, staff)

    response = drafter.post("/inspection/plans/new", data=_form(
        item, item_ids=[item.id, joint_item.id], joint_department_ids=[joint.id]))
    assert response.status_code == 302
    plan = db_session.scalar(select(Plan).where(Plan.lead_department_id == lead.id))
    assert [d.id for d in plan.departments] == [lead.id, joint.id]
    assert drafter.post(f"/inspection/plans/{plan.number}/approve").status_code == 403

    anyone = english_client(app)
    assert anyone.get(f"/inspection/plans/{plan.number}").status_code == 404  # a draft
    assert plan.number not in anyone.get("/inspection/plans").get_data(as_text=True)

    approver = english_client(app, admin)
    assert approver.post(f"/inspection/plans/{plan.number}/approve").status_code == 302
    assert drafter.post(f"/inspection/plans/{plan.number}/publish").status_code == 302
    assert plan.status == PlanStatus.PUBLISHED and len(plan.periods) == 2

    listing = anyone.get("/inspection/plans").get_data(as_text=True)
    assert plan.number in listing and "六安市市场监督管理局" in listing
    page = anyone.get(f"/inspection/plans/{plan.number}").get_data(as_text=True)
    for period in plan.periods:
        draw = db_session.get(Draw, period.object_draw_id)
        assert draw.seed_hash in page and draw.seed not in page
        assert f"/draws/{draw.id}" in page
        draw_page = anyone.get(f"/draws/{draw.id}").get_data(as_text=True)
        assert draw.seed_hash in draw_page and draw.seed not in draw_page


def test_the_form_shows_refusals(app, db_session):
    lead, joint = make_department(), make_department()
    item = make_inspection_item(lead)
    staff = make_user(Role.STAFF, lead)
    db_session.commit()
    browser = english_client(app, staff)
    cases = [
        ({"schedule_kind": "cron", "cron": "not a cron"}, "The cron expression is not valid"),
        ({"dates": "2020-01-01"}, "Draw dates must be in the future"),
        ({"dates": "tomorrow"}, "is not a date"),
        ({"joint_department_ids": [joint.id], "team_size": "2",
          "item_ids": [item.id]}, None),  # two departments, team of two: fine
        ({"ratio_c": "120"}, "Between 0 and 100 per cent."),
        ({"item_ids": []}, "Choose at least one item."),
    ]
    for overrides, message in cases:
        response = browser.post("/inspection/plans/new", data=_form(item, **overrides))
        if message is None:
            assert response.status_code == 302
        else:
            assert response.status_code == 422, overrides
            assert message in response.get_data(as_text=True)
    response = browser.post("/inspection/plans/new", data=_form(
        item, joint_department_ids=[joint.id, make_department().id], team_size="2"))
    assert "3 departments" in response.get_data(as_text=True)


def test_other_departments_and_agencies_cannot_manage_plans(app, db_session):
    lead = make_department()
    plan = make_plan(lead, status=PlanStatus.DRAFT)
    db_session.commit()
    outsider = english_client(app, make_user(Role.ORG_ADMIN, make_department()))
    assert outsider.get(f"/inspection/plans/{plan.number}/edit").status_code == 403
    assert outsider.post(f"/inspection/plans/{plan.number}/approve").status_code == 403
    assert outsider.post(f"/inspection/plans/{plan.number}/delete").status_code == 403
    assert outsider.get(f"/inspection/plans/{plan.number}").status_code == 404
    assert plan.status == PlanStatus.DRAFT
    assert english_client(app).get("/inspection/plans/new").status_code == 302
    assert queries.plan_by_number(plan.number) is plan


def test_lead_department_sees_its_draft_and_actions_need_the_csrf_token(app, db_session,
                                                                        monkeypatch):
    lead = make_department()
    plan = make_plan(lead, status=PlanStatus.DRAFT)
    admin = make_user(Role.ORG_ADMIN, lead)
    db_session.commit()
    browser = english_client(app, admin)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = browser.get(f"/inspection/plans/{plan.number}").get_data(as_text=True)
    assert "Approve" in page and "Edit" in page
    assert f"/inspection/plans/{plan.number}\"" in browser.get("/inspection/plans/mine").get_data(
        as_text=True)
    assert browser.post(f"/inspection/plans/{plan.number}/approve").status_code == 400
    assert plan.status == PlanStatus.DRAFT
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    assert browser.post(f"/inspection/plans/{plan.number}/approve",
                        data={"csrf_token": token}).status_code == 302
    assert plan.status == PlanStatus.APPROVED
