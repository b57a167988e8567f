"""The task PDFs (RULES.md §3 "Task"): the inspection notice and the record form carry the
agency's name and the task number; who may download which."""

import io
from datetime import UTC, date, datetime

import pypdf

from core.auth.models import Role
from inspection.operations import tasks as operations
from tests.clients import english_client
from tests.factories import make_department, make_user
from tests.inspection.builders import make_task


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_the_notice_names_the_agency_task_items_and_team(app, db_session):
    task = make_task()
    agency_user = task.agency.organisation.users[0]
    db_session.commit()
    response = english_client(app, agency_user).get(f"/inspection/tasks/{task.id}/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert task.agency.name in text and task.number in text
    assert task.plan.items[0].name in text and "《价格法》第十二条" in text
    assert task.team[0].inspector.certificate_no in text
    assert f"JCGZ-2026-{task.id:06d}" in text
    assert f"/inspection/public/tasks/{task.number}" in text  # the verification URL


def test_the_record_form_for_the_team_and_public_once_published(app, db_session):
    task = make_task()
    operations.enter_result(task, task.team[0].inspector.user, "corrected", "收费未公示。",
                            date(2026, 3, 10), "十日内公示。", date(2026, 3, 20),
                            now=datetime(2026, 3, 10, 8, tzinfo=UTC))
    lead_user = make_user(Role.STAFF, task.plan.lead_department)
    outsider = make_user(Role.STAFF, make_department())
    db_session.commit()
    response = english_client(app, task.team[1].inspector.user).get(
        f"/inspection/tasks/{task.id}/record.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    for expected in (task.agency.name, task.agency.uscc, task.number, "发现问题已责令改正",
                     "收费未公示。", "十日内公示。"):
        assert expected in text
    assert english_client(app, outsider).get(
        f"/inspection/tasks/{task.id}/record.pdf").status_code == 403
    agency_client = english_client(app, task.agency.organisation.users[0])
    assert agency_client.get(f"/inspection/tasks/{task.id}/record.pdf").status_code == 403
    public = english_client(app)
    assert public.get(f"/inspection/public/tasks/{task.number}/record.pdf").status_code == 404

    operations.publish_result(task, lead_user)
    db_session.commit()
    response = public.get(f"/inspection/public/tasks/{task.number}/record.pdf")
    assert response.status_code == 200
    assert task.agency.name in pdf_text(response.data)


def test_the_notice_is_not_for_strangers(app, db_session):
    task = make_task()
    outsider = make_user(Role.STAFF, make_department())
    db_session.commit()
    assert english_client(app, outsider).get(
        f"/inspection/tasks/{task.id}/notice.pdf").status_code == 403
    assert english_client(app).get(f"/inspection/tasks/{task.id}/notice.pdf").status_code \
        in (302, 401)
