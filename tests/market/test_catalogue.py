"""Catalogue admin: only platform admins; writes are validated, audited and committed by the
view; a refused write changes nothing."""

import pytest
from sqlalchemy import func, select

from core.admin_views import ADMIN_LINKS
from core.audit import AuditEntry, history
from core.auth.models import OrgKind, Role
from market.models import Pricing, QualificationType, Region, ServiceItem
from tests.factories import (
    login,
    make_admin,
    make_agency,
    make_department,
    make_qualification_type,
    make_service_item,
    make_user,
)


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English; the interface defaults to Chinese."""
    client.get("/lang/en")


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def _audit_count(db_session) -> int:
    return _count(db_session, AuditEntry)


@pytest.fixture
def admin_client(client):
    login(client, make_admin())
    return client


def _item_form(department, qualification_types=(), **overrides) -> dict:
    data = {"code": "ZJ-TEST-001", "name": "地震安全性评价", "category": "评估论证",
            "legal_basis": "《地震安全性评价管理条例》", "department_id": department.id,
            "statutory_days": "30", "pricing": "market", "fee_basis": "市场调节价",
            "fee_standard": "协商确定",
            "required_qualification_ids": [q.id for q in qualification_types]}
    data.update(overrides)
    return data


def test_pages_are_on_the_admin_index():
    endpoints = {endpoint for endpoint, _label in ADMIN_LINKS}
    assert {"market.catalogue_items", "market.catalogue_qualification_types",
            "market.catalogue_regions"} <= endpoints


@pytest.mark.parametrize("url", ["/admin/catalogue/items", "/admin/catalogue/items/new",
                                 "/admin/catalogue/qualification-types",
                                 "/admin/catalogue/regions"])
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_anonymous_post_writes_nothing(client, db_session):
    department = make_department()
    before = _count(db_session, ServiceItem)
    response = client.post("/admin/catalogue/items/new", data=_item_form(department))
    assert response.status_code == 302
    assert _count(db_session, ServiceItem) == before


@pytest.mark.parametrize("url", ["/admin/catalogue/items", "/admin/catalogue/items/new",
                                 "/admin/catalogue/qualification-types",
                                 "/admin/catalogue/regions"])
def test_agency_and_department_users_are_refused(client, url):
    agency_user = make_agency().organisation.users[0]
    login(client, agency_user)
    assert client.get(url).status_code == 403
    client.post("/logout")
    login(client, make_user(Role.ORG_ADMIN, make_department()))
    assert client.get(url).status_code == 403


def test_admin_creates_an_item_with_required_qualifications(admin_client, db_session):
    department = make_department("六安市应急管理局")
    types = [make_qualification_type("GCKC", "工程勘察资质"),
             make_qualification_type("AQPJ", "安全评价资质")]

    response = admin_client.post("/admin/catalogue/items/new",
                                 data=_item_form(department, types, code="zj-test-001"))
    assert response.status_code == 302

    item = db_session.scalar(select(ServiceItem).where(ServiceItem.code == "ZJ-TEST-001"))
    assert item.name == "地震安全性评价" and item.department_id == department.id
    assert item.statutory_days == 30 and item.pricing == Pricing.MARKET and item.active
    assert sorted(q.code for q in item.required_qualifications) == ["AQPJ", "GCKC"]
    [entry] = history("service_item", item.id)
    assert entry.action == "service_item.create" and entry.before is None
    assert entry.after["code"] == "ZJ-TEST-001"
    assert entry.after["required_qualifications"] == ["AQPJ", "GCKC"]
    assert "地震安全性评价" in admin_client.get("/items").get_data(as_text=True)


def test_duplicate_code_is_a_field_message_and_writes_nothing(admin_client, db_session):
    existing = make_service_item()
    department = make_department()
    items, audits = _count(db_session, ServiceItem), _audit_count(db_session)

    response = admin_client.post("/admin/catalogue/items/new",
                                 data=_item_form(department, code=existing.code.lower()))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (f'data-field="code">The code {existing.code} is already used by another service '
            f'item.</div>') in html
    assert _count(db_session, ServiceItem) == items
    assert _audit_count(db_session) == audits


@pytest.mark.parametrize(("field", "value", "message"), [
    ("code", "", "This field is required."),
    ("code", "ZJ 001", "Use letters, digits"),
    ("statutory_days", "0", "Number must be between 1 and 365."),
    ("department_id", "0", "Choose the competent department."),
])
def test_invalid_input_is_refused_with_a_message(admin_client, db_session, field, value,
                                                 message):
    department = make_department()
    items = _count(db_session, ServiceItem)
    response = admin_client.post("/admin/catalogue/items/new",
                                 data=_item_form(department, **{field: value}))
    assert response.status_code == 200
    assert f'data-field="{field}">{message}' in response.get_data(as_text=True)
    assert _count(db_session, ServiceItem) == items


def test_an_owner_organisation_cannot_be_the_competent_department(admin_client, db_session):
    from core.auth import operations as auth_ops

    owner_org = auth_ops.create_organisation(OrgKind.OWNER, "六安市第二人民医院")
    items = _count(db_session, ServiceItem)
    # Not among the choices, so the form refuses it before the operation would.
    response = admin_client.post("/admin/catalogue/items/new",
                                 data=_item_form(owner_org))
    assert response.status_code == 200
    assert _count(db_session, ServiceItem) == items


def test_admin_edits_an_item_and_the_audit_shows_before_and_after(admin_client, db_session):
    item = make_service_item(name="地价评估")
    old_code = item.code
    other_department = make_department("六安市自然资源和规划局")
    qt = make_qualification_type("TDGJ", "土地估价机构备案")

    page = admin_client.get(f"/admin/catalogue/items/{item.id}/edit").get_data(as_text=True)
    assert 'value="地价评估"' in page

    response = admin_client.post(
        f"/admin/catalogue/items/{item.id}/edit",
        data=_item_form(other_department, [qt], code=old_code, name="地价评估（出让）",
                        statutory_days="15", pricing="government_guided"))
    assert response.status_code == 302
    db_session.refresh(item)
    assert item.name == "地价评估（出让）" and item.statutory_days == 15
    assert item.department_id == other_department.id
    assert item.pricing == Pricing.GOVERNMENT_GUIDED
    assert [q.code for q in item.required_qualifications] == ["TDGJ"]
    entry = history("service_item", item.id)[-1]
    assert entry.action == "service_item.update"
    assert entry.before["name"] == "地价评估" and entry.after["name"] == "地价评估（出让）"
    assert entry.before["statutory_days"] == 20 and entry.after["statutory_days"] == 15


def test_editing_to_another_items_code_is_refused(admin_client, db_session):
    first, second = make_service_item(), make_service_item()
    department = make_department()
    response = admin_client.post(f"/admin/catalogue/items/{second.id}/edit",
                                 data=_item_form(department, code=first.code))
    assert response.status_code == 200
    assert "is already used by another service item" in response.get_data(as_text=True)
    db_session.refresh(second)
    assert second.code != first.code


def test_withdraw_and_relist_an_item(admin_client, db_session):
    item = make_service_item(name="气候可行性论证")
    response = admin_client.post(f"/admin/catalogue/items/{item.id}/active",
                                 data={"active": "0"})
    assert response.status_code == 302
    db_session.refresh(item)
    assert not item.active
    assert history("service_item", item.id)[-1].action == "service_item.deactivate"
    assert "气候可行性论证" not in admin_client.get("/items").get_data(as_text=True)
    assert "气候可行性论证" in admin_client.get("/admin/catalogue/items").get_data(as_text=True)

    admin_client.post(f"/admin/catalogue/items/{item.id}/active", data={"active": "1"})
    db_session.refresh(item)
    assert item.active
    assert history("service_item", item.id)[-1].action == "service_item.reactivate"


def test_qualification_types_create_duplicate_and_edit(admin_client, db_session):
    response = admin_client.post("/admin/catalogue/qualification-types",
                                 data={"code": "ldfh", "name": "雷电防护装置检测资质"})
    assert response.status_code == 302
    qt = db_session.scalar(select(QualificationType).where(QualificationType.code == "LDFH"))
    assert qt.name == "雷电防护装置检测资质"
    assert history("qualification_type", qt.id)[0].action == "qualification_type.create"

    count = _count(db_session, QualificationType)
    duplicate = admin_client.post("/admin/catalogue/qualification-types",
                                  data={"code": "LDFH", "name": "重复"})
    assert 'data-field="code">The code LDFH is already used' in duplicate.get_data(as_text=True)
    assert _count(db_session, QualificationType) == count

    admin_client.post(f"/admin/catalogue/qualification-types/{qt.id}/edit",
                      data={"code": "LDFH", "name": "雷电防护装置检测资质（乙级）"})
    db_session.refresh(qt)
    assert qt.name == "雷电防护装置检测资质（乙级）"
    assert history("qualification_type", qt.id)[-1].before == {
        "code": "LDFH", "name": "雷电防护装置检测资质"}


def test_regions_create_duplicate_and_rename(admin_client, db_session):
    response = admin_client.post("/admin/catalogue/regions",
                                 data={"code": "341525", "name": "霍山县"})
    assert response.status_code == 302
    assert db_session.get(Region, "341525").name == "霍山县"

    duplicate = admin_client.post("/admin/catalogue/regions",
                                  data={"code": "341525", "name": "重复"})
    assert 'data-field="code">The region code 341525 already exists.' in \
        duplicate.get_data(as_text=True)
    bad = admin_client.post("/admin/catalogue/regions", data={"code": "3415", "name": "短"})
    assert "six digits" in bad.get_data(as_text=True)
    assert db_session.get(Region, "3415") is None

    admin_client.post("/admin/catalogue/regions/341525/edit", data={"name": "六安市霍山县"})
    assert db_session.get(Region, "341525").name == "六安市霍山县"
    assert history("region", "341525")[-1].after == {"code": "341525", "name": "六安市霍山县"}
