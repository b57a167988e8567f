"""Regulator dashboard (RULES.md §3): coverage, results by code, overdue tasks, SVG charts."""

import re
from datetime import UTC, date, datetime

from core.auth.models import Role
from inspection.operations import tasks as operations
from inspection.views.dashboard import bar_chart
from tests.clients import english_client
from tests.factories import make_agency, make_user
from tests.inspection.builders import make_task

ENTERED_AT = datetime(2026, 3, 10, 8, tzinfo=UTC)


def _enter(task, code):
    operations.enter_result(task, task.team[0].inspector.user, code, "发现问题。",
                            date(2026, 3, 10), "整改。", date(2026, 3, 20), now=ENTERED_AT)


def _row(page: str, testid: str) -> list[list[str]]:
    table = re.search(rf'data-testid="{testid}">(.*?)</table>', page, re.S).group(1)
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>",
                                                                      table, re.S)]


def test_dashboard_numbers_for_a_small_fixture(app, db_session):
    published = make_task()
    plan = published.plan
    _enter(published, "corrected")
    lead_user = make_user(Role.STAFF, plan.lead_department)
    operations.publish_result(published, lead_user, now=ENTERED_AT)
    unpublished = make_task(plan=plan, agency=make_agency())
    _enter(unpublished, "pending")
    no_result = make_task(plan=plan, agency=make_agency())
    elsewhere = make_task(agency=no_result.agency)  # another department's plan: not listed
    make_agency()  # in the pool, not drawn: 3 drawn of 4 (this plan's)
    db_session.commit()

    response = english_client(app, lead_user).get("/inspection/dashboard?year=2026")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    item = plan.items[0]
    assert _row(page, "coverage-items")[1] == [f"{item.code} {item.name}", "3", "4", "75.0"]
    assert _row(page, "coverage-departments")[1] == [plan.lead_department.name, "3", "4",
                                                     "75.0"]
    by_code = {cells[0]: cells[2] for cells in _row(page, "results-by-code")}
    assert by_code["发现问题已责令改正"] == "1" and by_code["发现问题待后续处理"] == "1"
    assert by_code["未发现问题"] == "0"
    overdue_results = re.search(r'data-testid="overdue-results">(.*?)</ul>', page, re.S)[1]
    assert no_result.number in overdue_results and unpublished.number not in overdue_results
    assert elsewhere.number not in overdue_results
    overdue_pub = re.search(r'data-testid="overdue-publications">(.*?)</ul>', page, re.S)[1]
    assert unpublished.number in overdue_pub and published.number not in overdue_pub
    assert page.count("<svg") >= 3 and "<script" not in page.split("<svg", 1)[1].split(
        "</svg>", 1)[0]


def test_the_dashboard_is_for_departments(app, db_session):
    agency = make_agency()
    db_session.commit()
    user = agency.organisation.users[0]
    assert english_client(app, user).get("/inspection/dashboard").status_code == 403


def test_bar_chart_scales_to_the_maximum():
    chart = bar_chart([("a", 50, "50"), ("b", 100, "100"), ("c", 0, "0")], maximum=100)
    assert [bar.width for bar in chart.bars] == [150, 300, 0]
    assert [bar.y for bar in chart.bars] == [0, 24, 48] and chart.height == 72
    assert bar_chart([]).bars == ()
