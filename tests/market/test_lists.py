"""The service item list and the fee list (三张清单, RULES.md §1 "Three public lists")."""

import pytest

from market.models import AgencyStatus, Pricing
from tests.factories import (
    make_agency,
    make_department,
    make_qualification_type,
    make_service_item,
)


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English; the interface defaults to Chinese."""
    client.get("/lang/en")


def _catalogue():
    natural = make_department("六安市自然资源和规划局")
    ecology = make_department("六安市生态环境局")
    surveying = make_qualification_type("CH", "测绘资质")
    demarcation = make_service_item(natural, "土地勘测定界", required=[surveying])
    demarcation.legal_basis = "《中华人民共和国土地管理法实施条例》"
    eia = make_service_item(ecology, "环境影响评价（报告书）")
    eia.category, eia.legal_basis = "环境与安全评价", "《中华人民共和国环境影响评价法》"
    eia.pricing, eia.fee_basis, eia.fee_standard = \
        Pricing.GOVERNMENT_GUIDED, "省定价目录", "每项 5 万元"
    return natural, ecology, demarcation, eia


def test_item_list_shows_every_column_of_the_catalogue(client):
    natural, _ecology, demarcation, _eia = _catalogue()
    html = client.get("/items").get_data(as_text=True)
    for text in (demarcation.code, "土地勘测定界", "测绘", "《中华人民共和国土地管理法实施条例》",
                 natural.name, "测绘资质", "环境影响评价（报告书）", "省定价目录"):
        assert text in html
    assert f'<td class="text-end">{demarcation.statutory_days}</td>' in html


def test_item_list_search_and_filters(client):
    natural, ecology, demarcation, eia = _catalogue()

    by_text = client.get("/items", query_string={"q": "环境影响评价法"}).get_data(as_text=True)
    assert eia.name in by_text and demarcation.name not in by_text

    by_code = client.get("/items", query_string={"q": demarcation.code.lower()}).get_data(
        as_text=True)
    assert demarcation.name in by_code and eia.name not in by_code

    by_category = client.get("/items", query_string={"category": "环境与安全评价"}).get_data(
        as_text=True)
    assert eia.name in by_category and demarcation.name not in by_category

    by_department = client.get("/items", query_string={"department": natural.id}).get_data(
        as_text=True)
    assert demarcation.name in by_department and eia.name not in by_department


def test_withdrawn_items_leave_the_lists_and_their_page_is_404(client):
    _natural, _ecology, demarcation, eia = _catalogue()
    eia.active = False

    assert eia.name not in client.get("/items").get_data(as_text=True)
    assert eia.name not in client.get("/fees").get_data(as_text=True)
    response = client.get(f"/items/{eia.code}")
    assert response.status_code == 404
    assert "withdrawn" in response.get_data(as_text=True)
    assert client.get("/items/NO-SUCH-CODE").status_code == 404


def test_item_page_lists_active_agencies_with_their_fee_schedules(client, db_session):
    _natural, _ecology, demarcation, _eia = _catalogue()
    offering = make_agency("六安市华源测绘有限公司", items=[demarcation])
    delisted = make_agency("六安市已清退测绘有限公司", items=[demarcation])
    delisted.status = AgencyStatus.DELISTED
    not_offering = make_agency("六安市别的机构有限公司")
    offering.services[0].fee_schedule = "按定界面积 500 元/公顷"
    db_session.flush()

    html = client.get(f"/items/{demarcation.code}").get_data(as_text=True)
    assert offering.name in html and "按定界面积 500 元/公顷" in html
    assert f"/agencies/{offering.id}" in html
    assert delisted.name not in html
    assert not_offering.name not in html


def test_fee_list_shows_pricing_basis_standard_and_links_to_the_agencies(client):
    _natural, _ecology, demarcation, eia = _catalogue()
    make_agency(items=[demarcation])
    make_agency(items=[demarcation])

    html = client.get("/fees").get_data(as_text=True)
    assert "Government-guided price" in html and "Market-regulated price" in html
    assert "每项 5 万元" in html and "省定价目录" in html
    assert f'/items/{demarcation.code}#agencies">2 agencies' in html
    assert f'/items/{eia.code}#agencies">0 agencies' in html


def test_fee_list_filters_by_pricing_kind(client):
    _natural, _ecology, demarcation, eia = _catalogue()
    html = client.get("/fees", query_string={"pricing": "government_guided"}).get_data(
        as_text=True)
    assert eia.name in html and demarcation.name not in html


def test_home_counts_only_what_is_public(client):
    _natural, _ecology, demarcation, eia = _catalogue()
    eia.active = False
    newest = make_agency("六安市最新注册测绘有限公司", items=[demarcation])
    make_agency().status = AgencyStatus.DELISTED

    html = client.get("/").get_data(as_text=True)
    assert '<div class="display-6 fw-semibold" data-count="agencies">1</div>' in html
    assert '<div class="display-6 fw-semibold" data-count="items">1</div>' in html
    assert newest.name in html
    for endpoint in ("/items", "/fees", "/agencies", "/register/agency"):
        assert f'href="{endpoint}"' in html
