"""Regulator dashboard (RULES.md §3): coverage by item and by department (agencies drawn in
the year / agencies in the pool), results by code, and the overdue tasks of the plans the
viewer's department leads or joins (no result, publication, rectification without
follow-up): the tasks its users may open. Charts are inline SVG bars drawn here,
server-side: no JavaScript library, nothing from outside."""

from dataclasses import dataclass

from flask import render_template, request
from flask_login import current_user

from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role
from core.db import utcnow
from inspection import queries
from inspection.result_codes import RESULT_CODES
from inspection.views import bp
from market.operations.contracts import local_day

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_WIDTH = 18, 6, 260, 300


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown beside the bar
    y: int
    width: int


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    height: int
    label_width: int = LABEL_WIDTH
    bar_width: int = BAR_WIDTH


def bar_chart(rows: list[tuple[str, float, str]], maximum: float | None = None) -> BarChart:
    """Horizontal bars scaled to `maximum` (the largest value when not given)."""
    top = maximum or max((value for _, value, _ in rows), default=0) or 1
    bars = tuple(Bar(label, value, text, i * (BAR_HEIGHT + BAR_GAP),
                     round(BAR_WIDTH * min(value, top) / top))
                 for i, (label, value, text) in enumerate(rows))
    return BarChart(bars, max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT))


def _coverage_chart(rows: list[queries.CoverageRow]) -> BarChart:
    return bar_chart([(row.label, row.percent, f"{row.drawn}/{row.pool} ({row.percent}%)")
                      for row in rows], maximum=100)


@bp.get("/dashboard")
@roles_required(Role.ORG_ADMIN, Role.STAFF, Role.INSPECTOR, org_kind=OrgKind.DEPARTMENT)
def dashboard():
    today, department = local_day(utcnow()), current_user.organisation_id
    year = request.args.get("year", type=int) or today.year
    by_item = queries.coverage_by_item(year)
    by_department = queries.coverage_by_department(year)
    counts = queries.results_by_code(year)
    by_code = [(rc, counts.get(rc.code, 0)) for rc in RESULT_CODES]
    return render_template(
        "inspection/dashboard_main.html", year=year, by_item=by_item,
        by_department=by_department, by_code=by_code,
        item_chart=_coverage_chart(by_item), department_chart=_coverage_chart(by_department),
        code_chart=bar_chart([(str(rc.label), n, str(n)) for rc, n in by_code]),
        overdue_results=queries.overdue_results(today, department),
        overdue_publications=queries.overdue_publications(today, department),
        overdue_rectifications=queries.overdue_rectifications(today, department))
