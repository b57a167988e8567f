"""Tasks after the draw (RULES.md §3 "Task", "One public"): who may enter a result, the one
result per task, rectification and follow-up, publication into credit."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from core.audit import history
from core.auth.models import Role
from core.calendar import add_working_days
from core.extensions import db
from core.notifications import Notification
from credit.models import CreditRecord, SevereListing
from credit.queries.subjects import subject_for
from credit.rules import InspectionOutcome, RecordKind
from inspection.models import TaskStatus
from tests.clients import english_client
from tests.factories import make_agency, make_department, make_user
from tests.inspection.builders import make_task, make_task_inspector

INSPECTED_ON = date(2026, 3, 10)


def result_data(code: str = "no_problem", **extra) -> dict:
    data = {"result_code": code, "findings": "收费公示齐全，未见违规收费。",
            "inspected_on": INSPECTED_ON.isoformat()}
    if code not in ("no_problem", "no_activity", "unreachable", "uncooperative"):
        data |= {"rectification_order": "十日内补齐收费公示。",
                 "rectification_due_on": "2026-03-20"}
    return data | extra


def member_user(task):
    return task.team[0].inspector.user


def enter(app, task, code: str = "no_problem", **extra):
    return english_client(app, member_user(task)).post(
        f"/inspection/tasks/{task.id}/result", data=result_data(code, **extra))


def publish(app, task, user=None):
    user = user or make_user(Role.STAFF, task.plan.lead_department)
    db.session.commit()
    return english_client(app, user).post(f"/inspection/tasks/{task.id}/publish")


def test_a_team_member_enters_the_result_and_publication_falls_due(app, db_session):
    task = make_task()
    db_session.commit()
    response = enter(app, task)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(task)
    assert task.status == TaskStatus.RESULT_ENTERED and task.result_code == "no_problem"
    assert task.inspected_on == INSPECTED_ON
    assert task.publish_due_on == add_working_days(INSPECTED_ON, 20) == date(2026, 4, 8)
    assert task.rectification_order is None
    assert [e.action for e in history("inspection_task", task.id)] == ["inspection.task.result"]


def test_a_non_member_inspector_and_the_agency_get_403(app, db_session):
    task = make_task()
    outsider = make_task_inspector(task.plan.lead_department).user
    agency_user = task.agency.organisation.users[0]
    db_session.commit()
    for user in (outsider, agency_user):
        response = english_client(app, user).post(f"/inspection/tasks/{task.id}/result",
                                                  data=result_data())
        assert response.status_code == 403
    db.session.refresh(task)
    assert task.status == TaskStatus.ASSIGNED and task.result_code is None


def test_a_replaced_member_may_no_longer_enter(app, db_session):
    task = make_task()
    task.team[0].replaced_at = task.period.drawn_at
    db_session.commit()
    assert enter(app, task).status_code == 403


def test_one_result_per_task(app, db_session):
    task = make_task()
    db_session.commit()
    assert enter(app, task).status_code == 302
    second = english_client(app, task.team[1].inspector.user).post(
        f"/inspection/tasks/{task.id}/result", data=result_data("false"))
    assert second.status_code in (400, 409)
    db.session.refresh(task)
    assert task.result_code == "no_problem"


def test_a_problem_needs_a_rectification_order_and_due_date(app, db_session):
    task = make_task()
    db_session.commit()
    response = enter(app, task, "corrected", rectification_order="", rectification_due_on="")
    assert response.status_code == 400
    assert "A problem was found: give the rectification order." in response.get_data(as_text=True)
    db.session.refresh(task)
    assert task.status == TaskStatus.ASSIGNED


def test_an_inspection_cannot_end_before_the_draw(app, db_session):
    task = make_task()
    db_session.commit()
    response = enter(app, task, inspected_on="2026-02-27")
    assert response.status_code == 400
    assert "The inspection cannot end before the draw." in response.get_data(as_text=True)


def test_rectification_follow_up_is_recorded_once(app, db_session):
    task = make_task()
    db_session.commit()
    assert enter(app, task, "pending").status_code == 302
    lead_user = make_user(Role.STAFF, task.plan.lead_department)
    db_session.commit()
    client = english_client(app, lead_user)
    response = client.post(f"/inspection/tasks/{task.id}/follow-up",
                           data={"follow_up": "2026-03-19 复查：已补齐收费公示。"})
    assert response.status_code == 302
    page = client.get(f"/inspection/tasks/{task.id}").get_data(as_text=True)
    assert "已补齐收费公示" in page
    again = client.post(f"/inspection/tasks/{task.id}/follow-up", data={"follow_up": "再次"})
    assert again.status_code == 400
    db.session.refresh(task)
    assert task.follow_up == "2026-03-19 复查：已补齐收费公示。"
    other_department = make_user(Role.STAFF, make_department())
    db_session.commit()
    assert english_client(app, other_department).get(
        f"/inspection/tasks/{task.id}").status_code == 403


def _score(task):
    db.session.expire_all()
    return subject_for(task.agency.uscc).score


@pytest.mark.parametrize("code", ["corrected", "pending", "false", "uncooperative"])
def test_a_result_with_problems_lowers_the_score_once_published(app, db_session, code):
    task = make_task()
    db_session.commit()
    before = _score(task)
    assert enter(app, task, code).status_code == 302
    assert _score(task) == before  # entered, not yet public: no credit effect
    assert publish(app, task).status_code == 302
    assert _score(task) < before
    db.session.refresh(task)
    assert task.status == TaskStatus.PUBLISHED and task.published_at is not None
    record = db.session.get(CreditRecord, task.credit_record_id)
    assert record.kind == RecordKind.INSPECTION and record.reference == task.number
    assert record.occurred_on == INSPECTED_ON
    assert record.source_department_id == task.plan.lead_department_id
    assert record.legal_basis == "《价格法》第十二条"


def test_no_problem_keeps_or_raises_the_score(app, db_session):
    task = make_task()
    db_session.commit()
    before = _score(task)
    enter(app, task, "no_problem")
    assert publish(app, task).status_code == 302
    assert _score(task) >= before
    record = db.session.get(CreditRecord, task.credit_record_id)
    assert record.inspection_outcome == InspectionOutcome.NO_PROBLEM


def test_only_the_lead_department_publishes(app, db_session):
    task = make_task()
    db_session.commit()
    enter(app, task)
    assert publish(app, task, make_user(Role.STAFF, make_department())).status_code == 403
    agency_user = task.agency.organisation.users[0]
    assert publish(app, task, agency_user).status_code == 403
    db.session.refresh(task)
    assert task.status == TaskStatus.RESULT_ENTERED and task.credit_record_id is None


def test_an_assigned_task_cannot_be_published(app, db_session):
    task = make_task()
    publish(app, task)
    db.session.refresh(task)
    assert task.status == TaskStatus.ASSIGNED and task.published_at is None


def test_serious_non_cooperation_asks_the_lead_department_but_lists_nobody(app, db_session):
    task = make_task()
    db_session.commit()
    enter(app, task, "uncooperative")
    publish(app, task)
    titles = db.session.scalars(select(Notification.title).where(
        Notification.organisation_id == task.plan.lead_department_id)).all()
    # one for the entered result, one asking to consider the severe list
    assert len(titles) == 2, titles
    assert db.session.scalar(select(SevereListing)) is None


def test_deregistered_is_published_without_a_credit_record(app, db_session):
    task = make_task()
    db_session.commit()
    before = _score(task)
    enter(app, task, "deregistered")
    assert publish(app, task).status_code == 302
    db.session.refresh(task)
    assert task.status == TaskStatus.PUBLISHED and task.credit_record_id is None
    assert _score(task) == before


def test_my_tasks_lists_the_team_tasks_only(app, db_session):
    mine = make_task()
    other = make_task(agency=make_agency())
    db_session.commit()
    page = english_client(app, member_user(mine)).get("/inspection/tasks/mine")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert mine.number in text and other.number not in text
    assert mine.agency.name in text and mine.plan.name in text


def test_a_member_declares_a_conflict_and_is_replaced_by_a_recorded_redraw(app, db_session):
    task = make_task()
    spare = make_task_inspector(task.plan.lead_department)
    leaving = task.team[0]
    db_session.commit()
    client = english_client(app, leaving.inspector.user)
    assert client.post(f"/inspection/tasks/{task.id}/conflict",
                       data={"reason": ""}).status_code == 400
    response = client.post(f"/inspection/tasks/{task.id}/conflict",
                           data={"reason": "曾为该机构提供咨询服务"})
    assert response.status_code == 302
    db.session.expire_all()
    assert leaving.replaced_at is not None and leaving.replacement_draw_id is not None
    current = [m.inspector_id for m in task.team if m.replaced_at is None]
    assert spare.id in current and leaving.inspector_id not in current
    assert enter(app, task).status_code == 403  # no longer on the team
    outsider = make_task_inspector(task.plan.lead_department).user
    db_session.commit()
    assert english_client(app, outsider).post(f"/inspection/tasks/{task.id}/conflict",
                                              data={"reason": "x"}).status_code == 403


def test_attachments_are_stored_and_shown_to_the_department(app, db_session):
    import io

    task = make_task()
    db_session.commit()
    data = result_data() | {"attachments": [(io.BytesIO(b"%PDF-1.4 evidence"), "记录.pdf")]}
    response = english_client(app, member_user(task)).post(
        f"/inspection/tasks/{task.id}/result", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    lead_user = make_user(Role.STAFF, task.plan.lead_department)
    db_session.commit()
    client = english_client(app, lead_user)
    page = client.get(f"/inspection/tasks/{task.id}").get_data(as_text=True)
    assert "记录.pdf" in page
    link = re.search(r'href="(/inspection/tasks/\d+/attachments/\d+)"', page)[1]
    assert client.get(link).data.startswith(b"%PDF-1.4")
    assert english_client(app, task.agency.organisation.users[0]).get(link).status_code == 403


def test_result_entry_needs_the_csrf_token(app, db_session, monkeypatch):
    task = make_task()
    db_session.commit()
    client = english_client(app, member_user(task))  # signed in before CSRF is enforced
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(f"/inspection/tasks/{task.id}/result",
                       data=result_data()).status_code == 400
    db.session.refresh(task)
    assert task.status == TaskStatus.ASSIGNED


def test_the_team_sees_the_forms_and_the_agency_its_task_without_them(app, db_session):
    task = make_task()
    db_session.commit()
    page = english_client(app, member_user(task)).get(f"/inspection/tasks/{task.id}")
    assert page.status_code == 200
    assert "Enter the result" in page.get_data(as_text=True)
    agency = english_client(app, task.agency.organisation.users[0])
    page = agency.get(f"/inspection/tasks/{task.id}").get_data(as_text=True)
    assert task.number in page and "Enter the result" not in page
    assert task.number in agency.get("/inspection/tasks/mine").get_data(as_text=True)


def test_task_pages_name_the_status_in_words_not_the_code(app, db_session):
    task = make_task()
    db_session.commit()
    client = english_client(app, member_user(task))
    for url in ("/inspection/tasks/mine", f"/inspection/tasks/{task.id}"):
        html = client.get(url).get_data(as_text=True)
        assert ">Assigned</span>" in html and ">assigned</span>" not in html


def test_a_conflict_with_nobody_to_replace_blocks_the_result_until_the_lead_redraws(
        app, db_session):
    task = make_task()
    leaving, staying = task.team[0], task.team[1]
    lead_staff = make_user(Role.STAFF, task.plan.lead_department)
    db_session.commit()
    member = english_client(app, leaving.inspector.user)
    response = member.post(f"/inspection/tasks/{task.id}/conflict",
                           data={"reason": "本人曾在该机构任职"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/inspection/tasks/{task.id}"
    page = member.get(f"/inspection/tasks/{task.id}").get_data(as_text=True)
    assert 'data-testid="awaiting-replacement"' in page and "Declare the conflict" not in page
    response = english_client(app, staying.inspector.user).post(
        f"/inspection/tasks/{task.id}/result", data=result_data())
    assert response.status_code == 400 and "awaits a replacement" in response.get_data(True)
    assert db_session.get(type(task), task.id).status == TaskStatus.ASSIGNED

    lead = english_client(app, lead_staff)
    assert "Draw the replacement" in lead.get(f"/inspection/tasks/{task.id}").get_data(True)
    replace = f"/inspection/tasks/{task.id}/team/{leaving.id}/replace"
    assert english_client(app, staying.inspector.user).post(replace).status_code == 403
    response = lead.post(replace, follow_redirects=True)  # still nobody eligible
    assert "Still no other eligible inspector" in response.get_data(as_text=True)
    spare = make_task_inspector(task.plan.lead_department)
    db_session.commit()
    assert lead.post(replace).status_code == 302
    db.session.expire_all()
    assert leaving.replaced_at is not None and leaving.replacement_reason == "本人曾在该机构任职"
    assert spare.id in {m.inspector_id for m in task.team if m.replaced_at is None}
    assert enter(app, task).status_code == 403  # the conflicted member has left the team
    response = english_client(app, staying.inspector.user).post(
        f"/inspection/tasks/{task.id}/result", data=result_data())
    assert response.status_code == 302
