"""The marketplace wired to credit (RULES.md §2): registration registers the credit subject
and its signed commitment; the directory shows, filters and ranks by credit level ("new" as
B), honours the joint measures on directory ranking and hides delisted agencies; the profile
and the home page show credit."""

import re

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from credit.data_measures import load_measures
from credit.models import (
    ApplicationMethod,
    Commitment,
    CreditSubject,
    Effect,
    ExitReason,
    MeasureTrigger,
    SubjectKind,
)
from credit.operations import lists as list_ops
from credit.operations import subjects as credit_ops
from credit.queries.lists import active_delistings
from credit.queries.subjects import subject_for
from credit.rules import RecordKind, Severity
from market.models import OwnerType
from market.operations import agencies as agency_ops
from market.rules import commitment_text
from tests.credit.builders_disclosure import fixed_uscc
from tests.credit.builders_subjects import add
from tests.factories import make_agency, make_department, make_region, make_service_item, make_uscc


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English; the interface defaults to Chinese."""
    client.get("/lang/en")


@pytest.fixture
def measures(db_session):
    load_measures()  # the seeded joint measures: A and the honour list first, C and D last


def agency_at(level: str | None, name: str, rating: int = 5, items=()):
    """A directory agency whose credit subject is brought to `level` by records: A by an
    owner rating of `rating` (5: 94 points), B by a 4 (81.5), C by a general penalty (74),
    D by a serious one (54); "new" has a subject without records; None: no subject."""
    agency = make_agency(name, items=items)
    if level is None:
        return agency
    subject = credit_ops.register_subject(agency.uscc, agency.name)
    if level in ("A", "B"):
        add(subject, RecordKind.EVALUATION_OWNER, rating=rating if level == "A" else 4)
    elif level in ("C", "D"):
        add(subject, RecordKind.PENALTY,
            severity=Severity.GENERAL if level == "C" else Severity.SERIOUS)
    assert subject.level == level, subject.level
    return agency


def rated_5_by_regulator(agency) -> None:
    add(subject_for(agency.uscc), RecordKind.EVALUATION_REGULATOR, rating=5)


def rows(html: str) -> list[tuple[str, str]]:
    """(agency name, credit level) of each directory row, in order."""
    return re.findall(r'<tr data-agency-id="\d+">\s*<td><a href="[^"]+">([^<]+)</a>.*?'
                      r'data-credit-level="(\w+)"', html, re.S)


def directory(client, **params) -> list[str]:
    response = client.get("/agencies", query_string=params)
    assert response.status_code == 200
    return [name for name, _level in rows(response.get_data(as_text=True))]


# --- Registration -----------------------------------------------------------------------------

def registration(uscc: str) -> agency_ops.AgencyRegistration:
    return agency_ops.AgencyRegistration(
        uscc=uscc, name="六安市信用测绘有限公司", legal_representative="王建国",
        region_code=make_region().code, address="六安市梅山南路1号", contact_name="刘芳",
        contact_phone="0564-3321568", contact_email=None, staff_count=12, introduction=None,
        username="creditagency", password="Agency2026pass",
        services=[agency_ops.ServiceOffer(make_service_item().id, "0.8 元/平方米")],
        qualifications=[], commitment_accepted=True)


def test_registering_an_agency_registers_its_credit_subject_and_commitment(db_session):
    uscc = make_uscc()
    agency = agency_ops.register_agency(registration(uscc))

    subject = db_session.scalar(select(CreditSubject).where(CreditSubject.uscc == uscc))
    assert (subject.name, subject.role, subject.kind, subject.level) == \
        ("六安市信用测绘有限公司", "agency", SubjectKind.LEGAL_PERSON, "new")
    [commitment] = db_session.scalars(select(Commitment)
                                      .where(Commitment.subject_id == subject.id)).all()
    assert commitment.context == "registration"
    assert commitment.text == agency.commitment_text == \
        commitment_text("六安市信用测绘有限公司", uscc)
    actions = set(db_session.scalars(select(AuditEntry.action)))
    assert {"credit.subject.register", "credit.commitment.sign", "agency.register"} <= actions


def test_registering_an_owner_registers_its_credit_subject_without_commitment(db_session):
    uscc = make_uscc()
    agency_ops.register_owner(agency_ops.OwnerRegistration(
        uscc=uscc, name="六安市城市建设投资有限公司", owner_type=OwnerType.ENTERPRISE,
        region_code=make_region().code, contact_name="陈明", contact_phone="0564-3371234",
        username="creditowner", password="Owner2026pass"))

    subject = db_session.scalar(select(CreditSubject).where(CreditSubject.uscc == uscc))
    assert (subject.name, subject.role) == ("六安市城市建设投资有限公司", "owner")
    assert db_session.scalar(select(Commitment).where(Commitment.subject_id == subject.id)) \
        is None


def test_an_individual_business_is_registered_as_such(db_session):
    uscc = fixed_uscc("92341502MA2N00001")  # 9 工商, 2 个体工商户
    agency_ops.register_agency(registration(uscc))
    subject = db_session.scalar(select(CreditSubject).where(CreditSubject.uscc == uscc))
    assert subject.kind == SubjectKind.INDIVIDUAL_BUSINESS


def test_a_subject_known_from_a_disclosure_takes_the_market_role(db_session):
    uscc = make_uscc()
    credit_ops.register_subject(uscc, "六安市信用测绘公司", role="other")
    agency_ops.register_agency(registration(uscc))
    subject = db_session.scalar(select(CreditSubject).where(CreditSubject.uscc == uscc))
    assert (subject.name, subject.role) == ("六安市信用测绘有限公司", "agency")


# --- Directory: level column, filter and sort -------------------------------------------------

@pytest.fixture
def five_levels(db_session, measures):
    """One agency per level, registered in an order unrelated to it, plus one that credit
    does not know (it counts as new)."""
    return {level: agency_at(level, f"{name}测试机构")
            for level, name in (("C", "丙"), ("new", "新"), ("A", "甲"), ("D", "丁"),
                                ("B", "乙"), (None, "无"))}


def test_the_directory_shows_each_level_linked_to_the_credit_page(client, five_levels):
    html = client.get("/agencies").get_data(as_text=True)
    shown = dict(rows(html))
    assert shown == {"甲测试机构": "A", "乙测试机构": "B", "丙测试机构": "C", "丁测试机构": "D",
                     "新测试机构": "new", "无测试机构": "new"}
    assert f'href="/credit/subjects/{five_levels["A"].uscc}"' in html
    assert 'data-level="D"' in html


def test_by_default_the_directory_ranks_a_to_d_with_new_as_b(client, five_levels):
    order = directory(client)
    assert order[0] == "甲测试机构" and order[-2:] == ["丙测试机构", "丁测试机构"]
    # B and new share a rank: the higher score first (B 81.5, new 84), then the one
    # credit does not know (no score yet).
    assert order[1:4] == ["新测试机构", "乙测试机构", "无测试机构"]
    assert directory(client, sort="level") == order


@pytest.mark.parametrize(("level", "expected"), [
    ("A", ["甲测试机构"]), ("B", ["乙测试机构"]), ("C", ["丙测试机构"]), ("D", ["丁测试机构"]),
    ("new", ["新测试机构", "无测试机构"]), ("", None), ("Z", None)])
def test_the_level_filter(client, five_levels, level, expected):
    everyone = directory(client)
    assert directory(client, level=level) == (expected or everyone)


def test_the_level_filter_combines_with_the_others(client, five_levels):
    assert directory(client, level="A", q="甲") == ["甲测试机构"]
    assert directory(client, level="A", q="乙") == []


# --- Joint measures on ranking (RULES.md §2) ---------------------------------------------------

def test_the_honour_list_ranks_first_within_its_level_only(client, measures):
    best_b = agency_at("B", "乙一测试机构")
    honoured = agency_at("B", "乙二测试机构")
    rated_5_by_regulator(best_b)  # best_b now scores higher (87.5)
    list_ops.add_to_honour_list(honoured.uscc, "守信示范", make_department(), 1)
    agency_at("A", "甲测试机构", rating=5)

    assert directory(client) == ["甲测试机构", "乙二测试机构", "乙一测试机构"]
    html = client.get("/agencies").get_data(as_text=True)
    assert html.count('data-measure="priority"') == 2  # level A and the honour list
    assert directory(client, sort="name") == ["乙一测试机构", "乙二测试机构", "甲测试机构"]


def test_a_demotion_ranks_last_within_its_level_and_a_priority_cancels_it(client, measures):
    """An admin's measure demoting level B: demoted B agencies follow every other B-ranked
    one whatever their score; one also on the honour list is neither first nor last."""
    list_ops.create_measure(list_ops.MeasureInput(
        "LA-TEST-001", "B级机构名录靠后展示", "测试依据", "六安市发展和改革委员会",
        "六安市数据资源管理局", MeasureTrigger.LEVEL, "B", ApplicationMethod.AUTOMATIC_BLOCK,
        Effect.DIRECTORY_DEMOTION))
    demoted_best = agency_at("B", "乙一测试机构")
    rated_5_by_regulator(demoted_best)
    agency_at("B", "乙二测试机构")
    honoured = agency_at("B", "乙三测试机构")
    list_ops.add_to_honour_list(honoured.uscc, "守信示范", make_department(), 1)
    agency_at("C", "丙测试机构")

    assert directory(client) == ["乙三测试机构", "乙一测试机构", "乙二测试机构", "丙测试机构"]
    html = client.get("/agencies").get_data(as_text=True)
    assert html.count('data-measure="demotion"') == 4  # three B (the test measure) and C


# --- Delisted agencies (exit, RULES.md §2) ------------------------------------------------------

@pytest.fixture
def delisted(db_session, measures):
    item = make_service_item(name="土地勘测定界")
    agency = agency_at("A", "清退测试机构", items=[item])
    list_ops.delist(agency.uscc, ExitReason.FRAUDULENT_REGISTRATION, "提交伪造资质证书入驻")
    agency_at("B", "在册测试机构")
    return agency, item


def test_a_delisted_agency_is_hidden_everywhere_public(client, delisted):
    agency, item = delisted
    assert directory(client) == ["在册测试机构"]
    assert directory(client, q=agency.uscc) == []
    assert directory(client, level="A") == []
    home = client.get("/").get_data(as_text=True)
    assert 'data-count="agencies">1<' in home and "清退测试机构" not in home
    assert re.search(r'data-level-count="A">.*?<span class="text-body">0</span>', home, re.S)
    assert "清退测试机构" not in client.get(f"/items/{item.code}").get_data(as_text=True)


def test_a_delisted_agencys_profile_is_404_with_the_reason_and_the_list(client, delisted):
    agency, _item = delisted
    response = client.get(f"/agencies/{agency.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "清退测试机构 has been delisted from the marketplace" in html
    assert 'href="/credit/delisted"' in html
    assert "清退测试机构" in client.get("/credit/delisted").get_data(as_text=True)


def test_an_agency_returns_when_its_exit_ends(client, delisted, db_session):
    agency, _item = delisted
    subject = db_session.scalar(select(CreditSubject).where(CreditSubject.uscc == agency.uscc))
    [exit_] = active_delistings(subject.id)
    list_ops.end_delisting(exit_, exit_.until)
    assert "清退测试机构" in directory(client)
    assert client.get(f"/agencies/{agency.id}").status_code == 200


# --- Pagination stays right with the level sort -------------------------------------------------

def test_pages_of_the_level_sort_follow_on_without_gaps(app, client, five_levels, monkeypatch):
    everyone = directory(client)  # one page of the default size
    monkeypatch.setitem(app.config, "DIRECTORY_PAGE_SIZE", 4)
    first = client.get("/agencies").get_data(as_text=True)
    assert "6 agencies found" in first
    second = directory(client, page=2)
    assert [name for name, _level in rows(first)] + second == everyone
    assert len(second) == 2 and directory(client, page=3) == []
    filtered = client.get("/agencies", query_string={"level": "new", "page": 1})
    assert "2 agencies found" in filtered.get_data(as_text=True)


# --- Profile and home page ------------------------------------------------------------------------

def test_the_profile_shows_level_score_and_links_to_the_credit_page_and_report(client,
                                                                            measures):
    agency = agency_at("A", "甲测试机构")
    html = client.get(f"/agencies/{agency.id}").get_data(as_text=True)
    credit = re.search(r'data-testid="agency-credit">(.*?)</p>', html, re.S)[1]
    assert 'data-level="A"' in credit and "Score 94.00" in credit
    assert f'href="/credit/subjects/{agency.uscc}"' in credit
    assert f'href="/credit/subjects/{agency.uscc}/report.pdf"' in credit


def test_the_profile_of_an_agency_credit_does_not_know_shows_new(client):
    agency = make_agency("无测试机构")
    html = client.get(f"/agencies/{agency.id}").get_data(as_text=True)
    credit = re.search(r'data-testid="agency-credit">(.*?)</p>', html, re.S)[1]
    assert 'data-level="new"' in credit and "/credit/subjects/" not in credit


def test_the_home_page_counts_listed_agencies_per_level(client, five_levels):
    home = client.get("/").get_data(as_text=True)
    counts = dict(re.findall(r'data-level-count="(\w+)">.*?<span class="text-body">(\d+)</span>',
                             home, re.S))
    assert counts == {"A": "1", "B": "1", "C": "1", "D": "1", "new": "2"}
    assert 'href="/agencies?level=D"' in home
