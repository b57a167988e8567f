"""The public credit pages and the regulators' commendation form (credit/views/public.py)."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from core.auth.models import Role
from credit.models import CreditRecord, ScoreSnapshot
from credit.rules import InspectionOutcome, RecordKind, Severity
from credit.views.public import score_chart
from tests.credit.builders_subjects import (
    add,
    csrf_token,
    english,
    make_regulator,
    make_subject,
    make_subject_user,
    noon,
)
from tests.factories import login, make_agency, make_user

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(noon(TODAY), tick=False):
        yield


@pytest.fixture
def en(client):
    return english(client)


def decimals(html: str, attribute: str) -> dict[str, list[Decimal]]:
    """data-<attribute>="<part>" rows and their data-points / data-value, per part."""
    found: dict[str, list[Decimal]] = {}
    for part, points in re.findall(rf'data-{attribute}="(\w+)" data-(?:points|value)="([-\d.]+)"',
                                   html):
        found.setdefault(part, []).append(Decimal(points))
    return found


def test_lookup_by_name_and_by_uscc(en, db_session):
    huayuan = make_subject("六安市华源测绘有限公司")
    add(huayuan, "evaluation_owner", rating=5)
    other = make_subject("金寨县永信造价咨询有限公司")

    page = en.get("/credit/", query_string={"q": "华源"}).text
    assert huayuan.uscc in page and other.uscc not in page
    assert 'data-level="A"' in page and "94.00" in page

    page = en.get("/credit/", query_string={"q": other.uscc.lower()}).text
    assert other.uscc in page and huayuan.uscc not in page
    assert 'data-level="new"' in page

    assert "2 subjects found" in en.get("/credit/").text
    assert "No subject matches." in en.get("/credit/", query_string={"q": "不存在"}).text


def test_lookup_is_paginated(en, db_session):
    for n in range(21):
        make_subject(f"分页测试机构{n:02d}")
    first = en.get("/credit/", query_string={"q": "分页测试"}).text
    assert "分页测试机构00" in first and "分页测试机构20" not in first
    assert "分页测试机构20" in en.get("/credit/", query_string={"q": "分页测试", "page": 2}).text


def test_the_parts_and_lines_add_up_to_the_score_shown(en, db_session):
    subject = make_subject()
    add(subject, "evaluation_owner", rating=3, occurred_on=date(2024, 12, 15))
    add(subject, "evaluation_owner", rating=5, occurred_on=date(2025, 12, 15))
    add(subject, "evaluation_regulator", rating="4.5")
    add(subject, "inspection", inspection_outcome=InspectionOutcome.CORRECTED)
    add(subject, "late_delivery", occurred_on=date(2026, 4, 15))
    add(subject, "complaint_substantiated")
    add(subject, "penalty", severity=Severity.GENERAL)
    add(subject, "commendation")
    add(subject, "licence", "测绘资质许可")

    page = en.get(f"/credit/subjects/{subject.uscc}").text
    [shown] = re.findall(r'data-testid="score" data-score="([\d.]+)"', page)
    score = Decimal(shown)
    assert score == subject.score
    parts = {part: value for part, [value] in decimals(page, "part").items()}
    baselines = decimals(page, "baseline")
    lines = decimals(page, "line")
    assert set(parts) == {"owner", "regulator", "behaviour", "adjustments"}
    assert {part: value for part, [value] in baselines.items()} == {
        "owner": Decimal("40.00"), "regulator": Decimal("24.00"),
        "behaviour": Decimal("20.00"), "adjustments": Decimal("0.00")}
    for part, value in parts.items():
        assert baselines[part][0] + sum(lines.get(part, [])) == value
    assert sum(parts.values()) == score
    assert len(lines["owner"]) == 2 and len(lines["adjustments"]) == 2
    assert f'data-total="{score}"' in page
    assert "测绘资质许可" in page  # recorded, shown, not part of the score


def test_the_public_does_not_see_an_undisplayed_penalty_but_the_sums_still_hold(en, db_session):
    subject = make_subject()
    add(subject, "penalty", "过期的处罚", severity=Severity.MINOR,
        occurred_on=TODAY - timedelta(days=200))
    add(subject, "penalty", "公示中的处罚", severity=Severity.SERIOUS)
    page = en.get(f"/credit/subjects/{subject.uscc}").text
    assert "公示中的处罚" in page and "过期的处罚" not in page
    assert decimals(page, "line")["adjustments"] == [Decimal("-30.00")]
    assert 'data-score="54.00"' in page and 'data-level="D"' in page


def test_a_new_subject_shows_new_treated_as_b(en, db_session):
    subject = make_subject()
    page = en.get(f"/credit/subjects/{subject.uscc}").text
    assert 'data-level="new"' in page
    assert "treated as level B" in page
    assert 'data-score="84.00"' in page


def test_an_unknown_subject_is_404(en, db_session):
    assert en.get("/credit/subjects/91340100MA2NXXXX0X").status_code == 404


def test_score_history_is_an_inline_svg(en, db_session):
    subject = make_subject()
    add(subject, "late_delivery")
    add(subject, "evaluation_owner", rating=5)
    page = en.get(f"/credit/subjects/{subject.uscc}").text
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert svg.count("<circle") == 3  # registration, then two changes
    # no chart library: the only scripts are the locally served Bootstrap bundle
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all(re.fullmatch(r' src="/bootstrap/static/[^"]+"', attributes)
                           for attributes in scripts)
    assert "cdn" not in page.lower()


def test_score_chart_draws_steps_between_snapshots():
    def snap(day, score, level):
        return ScoreSnapshot(at=datetime(2026, 1, day, tzinfo=UTC), score=Decimal(score),
                             level=level, parts={})

    assert score_chart([], datetime.now(UTC), {}) is None
    chart = score_chart([snap(1, "84", "new"), snap(11, "74", "C")],
                        datetime(2026, 1, 21, tzinfo=UTC), {"A": Decimal(90)},
                        width=240, height=122)
    # plot: x 40…228 over 20 days; y 10…100 for scores 100…0
    assert chart.path == "M40.0,24.4H134.0V33.4H228"
    assert [(x, y, level) for x, y, level, _ in chart.dots] == [(40.0, 24.4, "new"),
                                                                 (134.0, 33.4, "C")]
    assert (19.0, "A 90") in chart.grid
    assert (chart.first, chart.last) == ("2026-01-01", "2026-01-21")


# --- The commendation form ------------------------------------------------------------------

def test_commendation_form_needs_a_department_user(en, db_session):
    subject = make_subject()
    url = f"/credit/commendations/new?uscc={subject.uscc}"
    anonymous = en.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.location

    login(en, make_agency().organisation.users[0])
    assert en.get(url).status_code == 403
    assert en.post(url, data={"uscc": subject.uscc}).status_code == 403
    en.post("/logout")

    login(en, make_regulator(Role.INSPECTOR))  # inspectors carry out checks, not this
    assert en.get(url).status_code == 403
    en.post("/logout")

    login(en, make_regulator(Role.STAFF))
    page = en.get(url)
    assert page.status_code == 200 and f'value="{subject.uscc}"' in page.text


def test_department_staff_record_a_commendation(en, app, db_session, monkeypatch):
    subject = make_subject()
    staff = make_regulator(Role.STAFF)
    login(en, staff)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # signed in: now check CSRF
    form = en.get("/credit/commendations/new")
    assert en.post("/credit/commendations/new", data={"uscc": subject.uscc}).status_code == 400
    response = en.post("/credit/commendations/new", data={
        "csrf_token": csrf_token(form.text), "uscc": subject.uscc.lower(),
        "title": "2025年度守信示范企业", "legal_basis": "市住建局表彰决定",
        "evidence": "六建〔2026〕12号", "occurred_on": "2026-06-10"})
    assert response.status_code == 302
    assert response.location.endswith(f"/credit/subjects/{subject.uscc}")

    [record] = db_session.query(CreditRecord).filter_by(subject_id=subject.id).all()
    assert record.kind == RecordKind.COMMENDATION
    assert record.source_department == staff.organisation.name
    assert record.source_department_id == staff.organisation_id
    assert record.display_max_until == date(2027, 6, 10)
    assert subject.score == Decimal("86.00")  # 84 + 2 while displayed

    page = en.get(response.location).text
    assert "The commendation was recorded" in page and "2025年度守信示范企业" in page


def test_commendation_form_shows_refusals(en, db_session):
    login(en, make_regulator(Role.ORG_ADMIN))
    data = {"title": "表彰", "legal_basis": "决定", "occurred_on": "2026-06-10"}
    unknown = en.post("/credit/commendations/new", data={**data, "uscc": "91340100MA2NXXXX0X"})
    assert unknown.status_code == 200 and "not a valid unified social credit code" in unknown.text

    from tests.factories import make_uscc
    code = make_uscc()
    unregistered = en.post("/credit/commendations/new", data={**data, "uscc": code})
    assert f"No credit subject is registered under {code}" in unregistered.text

    subject = make_subject()
    future = en.post("/credit/commendations/new",
                     data={**data, "uscc": subject.uscc, "occurred_on": "2026-06-16"})
    assert "cannot be dated after today" in future.text
    assert db_session.query(CreditRecord).count() == 0


def test_the_subject_itself_and_regulators_are_told_they_see_more(en, db_session):
    subject = make_subject()
    hidden_note = "You also see records that are no longer publicly displayed"
    assert hidden_note not in en.get(f"/credit/subjects/{subject.uscc}").text
    login(en, make_subject_user(subject, Role.STAFF))
    assert hidden_note in en.get(f"/credit/subjects/{subject.uscc}").text
    en.post("/logout")
    login(en, make_user(Role.STAFF, make_agency().organisation))  # another agency: public view
    assert hidden_note not in en.get(f"/credit/subjects/{subject.uscc}").text
