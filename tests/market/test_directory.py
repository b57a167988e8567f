"""The agency directory and profile: active agencies only, search, filters, sorting, paging,
and qualification expiry states (RULES.md §1 "Three public lists", §2 "Exit")."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from market.models import AgencyStatus, Qualification
from market.rules import local_today
from tests.factories import (
    make_agency,
    make_qualification_type,
    make_region,
    make_service_item,
)


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English; the interface defaults to Chinese."""
    client.get("/lang/en")


def _rows(html: str) -> list[str]:
    """Agency names in directory order (the first cell of each row)."""
    return re.findall(r'<tr data-agency-id="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', html)


def _directory(client, **params) -> list[str]:
    response = client.get("/agencies", query_string=params)
    assert response.status_code == 200
    return _rows(response.get_data(as_text=True))


def test_search_by_part_of_the_name(client):
    wanted = make_agency("六安市华源测绘有限公司")
    make_agency("安徽绿源环境科技有限公司")
    assert _directory(client, q="华源") == [wanted.name]


def test_search_by_part_of_the_uscc_in_any_case(client):
    wanted = make_agency("六安市华源测绘有限公司")
    other = make_agency("安徽绿源环境科技有限公司")
    assert wanted.uscc[-8:] != other.uscc[-8:]
    assert _directory(client, q=wanted.uscc) == [wanted.name]
    assert _directory(client, q=wanted.uscc[-8:].lower()) == [wanted.name]


def test_search_treats_wildcards_literally(client):
    make_agency("六安市华源测绘有限公司")
    assert _directory(client, q="%") == []


def test_filter_by_service_item(client):
    item = make_service_item(name="土地勘测定界")
    offering = make_agency(items=[item])
    make_agency(items=[make_service_item()])
    assert _directory(client, item=item.id) == [offering.name]


def test_filter_by_region(client):
    huoshan = make_region("341525", "霍山县")
    in_huoshan = make_agency(region=huoshan)
    make_agency(region=make_region("341502", "金安区"))
    assert _directory(client, region="341525") == [in_huoshan.name]


def test_filter_by_qualification_counts_only_unexpired_certificates(client):
    surveying = make_qualification_type("CH", "测绘资质")
    today = local_today()
    valid = make_agency("有效资质测绘有限公司", qualification_type=surveying,
                        expires_on=today + timedelta(days=200))
    last_day = make_agency("今日到期测绘有限公司", qualification_type=surveying, expires_on=today)
    make_agency("过期资质测绘有限公司", qualification_type=surveying,
                expires_on=today - timedelta(days=1))
    make_agency("无资质测绘有限公司")
    assert sorted(_directory(client, qualification=surveying.id)) == \
        sorted([valid.name, last_day.name])


def test_filters_combine(client):
    item = make_service_item()
    region = make_region("341503", "裕安区")
    both = make_agency(region=region, items=[item])
    make_agency(region=region)
    make_agency(items=[item], region=make_region("341502", "金安区"))
    assert _directory(client, item=item.id, region="341503") == [both.name]


@pytest.fixture
def three_agencies(db_session):
    """Registered oldest to newest: B (5 staff), A (30 staff), C (12 staff)."""
    agencies = [make_agency("B测试机构"), make_agency("A测试机构"), make_agency("C测试机构")]
    for n, (agency, staff) in enumerate(zip(agencies, (5, 30, 12), strict=True)):
        agency.registered_at = datetime(2025, 1, 1 + n, tzinfo=UTC)
        agency.staff_count = staff
    db_session.flush()
    return agencies


@pytest.mark.parametrize(("sort", "expected"), [
    ("newest", ["C测试机构", "A测试机构", "B测试机构"]),
    ("oldest", ["B测试机构", "A测试机构", "C测试机构"]),
    ("name", ["A测试机构", "B测试机构", "C测试机构"]),
    ("staff", ["A测试机构", "C测试机构", "B测试机构"]),
    # Unknown sorts fall back to the credit level sort; all three are new, so by name.
    ("nonsense", ["A测试机构", "B测试机构", "C测试机构"]),
])
def test_sorting(client, three_agencies, sort, expected):
    assert _directory(client, sort=sort) == expected


def test_credit_level_is_the_default(client, three_agencies):
    """The order by level itself is tested in test_credit_integration.py."""
    assert _directory(client) == _directory(client, sort="level")
    assert 'value="level" selected' in client.get("/agencies").get_data(as_text=True)


def test_pagination(app, client, three_agencies, monkeypatch):
    monkeypatch.setitem(app.config, "DIRECTORY_PAGE_SIZE", 2)
    first = client.get("/agencies", query_string={"sort": "name"}).get_data(as_text=True)
    assert _rows(first) == ["A测试机构", "B测试机构"]
    assert "3 agencies found" in first
    assert "page=2" in first and "sort=name" in first  # the pager keeps the filters
    second = client.get("/agencies", query_string={"sort": "name", "page": 2})
    assert _rows(second.get_data(as_text=True)) == ["C测试机构"]
    beyond = client.get("/agencies", query_string={"sort": "name", "page": 9})
    assert beyond.status_code == 200 and _rows(beyond.get_data(as_text=True)) == []


def test_delisted_agency_is_hidden_and_its_profile_is_404(client, db_session):
    listed = make_agency("六安市华源测绘有限公司")
    delisted = make_agency("六安市已清退测绘有限公司")
    delisted.status = AgencyStatus.DELISTED
    db_session.flush()

    assert _directory(client) == [listed.name]
    assert _directory(client, q=delisted.uscc) == []
    response = client.get(f"/agencies/{delisted.id}")
    assert response.status_code == 404
    assert "delisted" in response.get_data(as_text=True)


def test_unknown_agency_is_404(client):
    response = client.get("/agencies/999999")
    assert response.status_code == 404
    assert "no agency" in response.get_data(as_text=True)


def test_profile_shows_the_public_particulars_and_commitment(client, db_session):
    item = make_service_item(name="土地勘测定界")
    agency = make_agency("六安市华源测绘有限公司", items=[item])
    agency.introduction = "专业从事地籍测绘。"
    agency.commitment_text = "信用承诺书：本单位承诺所填信息真实。"
    db_session.flush()

    html = client.get(f"/agencies/{agency.id}").get_data(as_text=True)
    for text in (agency.name, agency.uscc, agency.legal_representative, agency.region.name,
                 agency.address, agency.contact_name, agency.contact_phone,
                 "专业从事地籍测绘。", "土地勘测定界", "按面积收费",
                 "信用承诺书：本单位承诺所填信息真实。"):
        assert text in html


def test_profile_shows_each_qualification_expiry_state(client, db_session):
    today = local_today()
    surveying = make_qualification_type("CH", "测绘资质")
    agency = make_agency(qualification_type=surveying, expires_on=today + timedelta(days=365))
    long_valid = agency.qualifications[0].certificate_no
    for number, days in (("SOON-1", 30), ("SOON-2", 0), ("GONE-1", -1)):
        agency.qualifications.append(Qualification(
            type=surveying, level="乙级", certificate_no=number, issuer="安徽省自然资源厅",
            expires_on=today + timedelta(days=days)))
    db_session.flush()

    html = client.get(f"/agencies/{agency.id}").get_data(as_text=True)
    states = {re.search(r'font-monospace small">([^<]+)<', row).group(1): state
              for state, row in re.findall(
                  r'<tr data-qualification-state="(\w+)">(.*?)</tr>', html, re.S)}
    assert states == {long_valid: "valid",
                      "SOON-1": "expiring", "SOON-2": "expiring", "GONE-1": "expired"}
    assert "Expired" in html and "Expires within 30 days" in html


def test_directory_shows_only_unexpired_qualifications_in_the_row(client):
    surveying = make_qualification_type("CH", "测绘资质")
    make_agency("过期资质测绘有限公司", qualification_type=surveying,
                expires_on=local_today() - timedelta(days=1))
    html = client.get("/agencies").get_data(as_text=True)
    assert "过期资质测绘有限公司" in html
    assert "测绘资质（甲级）" not in html
