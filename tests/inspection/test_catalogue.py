"""Inspection catalogues (RULES.md §3): the item list, kept by each department for its own
items; the object pool with its credit strata; the inspector pool; declared conflicts."""

import pytest
from sqlalchemy import select

from core.audit import history
from core.auth.models import Role
from core.errors import Conflict, DomainError, NotAllowed
from credit.operations.subjects import register_subject
from credit.queries.subjects import subject_for
from inspection import queries
from inspection.models import InspectionItem, InspectorConflict, ItemKind
from inspection.operations import catalogue as ops
from market.models import AgencyStatus
from tests.clients import english_client
from tests.factories import (
    make_admin,
    make_agency,
    make_department,
    make_region,
    make_service_item,
    make_user,
)
from tests.inspection.builders import make_inspection_item, make_inspector


def _item_form(department, **overrides) -> dict:
    data = {"code": "CC-TEST-001", "name": "测绘资质单位从业情况检查",
            "legal_basis": "《中华人民共和国测绘法》第二十七条", "department_id": department.id,
            "kind": "key", "method": "书面检查、实地核查", "service_item_id": "0"}
    return data | overrides


def _public_codes(client, **args) -> list[str]:
    html = client.get("/inspection/items", query_string=args).get_data(as_text=True)
    return [code for code in ("CC-TEST-001", "CC-OTHER-1", "CC-GEN-1") if code in html]


# --- Items ----------------------------------------------------------------------------------

def test_department_staff_creates_edits_and_withdraws_its_item(app, db_session):
    department = make_department("六安市自然资源和规划局")
    browser = english_client(app, make_user(Role.STAFF, department))

    response = browser.post("/inspection/items/new", data=_item_form(department))
    assert response.status_code == 302
    item = db_session.scalar(select(InspectionItem).where(InspectionItem.code == "CC-TEST-001"))
    assert (item.kind, item.department_id, item.active) == (ItemKind.KEY, department.id, True)
    assert "CC-TEST-001" in _public_codes(english_client(app))

    response = browser.post(f"/inspection/items/{item.id}/edit",
                            data=_item_form(department, name="测绘成果质量检查", kind="general"))
    assert response.status_code == 302
    assert (item.name, item.kind) == ("测绘成果质量检查", ItemKind.GENERAL)

    assert browser.post(f"/inspection/items/{item.id}/active",
                        data={"active": "0"}).status_code == 302
    assert not item.active
    assert _public_codes(english_client(app)) == []
    actions = [entry.action for entry in history("inspection_item", item.id)]
    assert actions == ["inspection_item.create", "inspection_item.update",
                       "inspection_item.deactivate"]


def test_public_list_filters_by_department_and_kind(app, db_session):
    first, second = make_department(), make_department()
    make_inspection_item(first, code="CC-TEST-001", kind=ItemKind.KEY)
    make_inspection_item(first, code="CC-GEN-1")
    make_inspection_item(second, code="CC-OTHER-1", kind=ItemKind.KEY)
    db_session.commit()
    anyone = english_client(app)
    assert _public_codes(anyone) == ["CC-TEST-001", "CC-OTHER-1", "CC-GEN-1"]
    assert _public_codes(anyone, department=first.id) == ["CC-TEST-001", "CC-GEN-1"]
    assert _public_codes(anyone, kind="key") == ["CC-TEST-001", "CC-OTHER-1"]
    assert _public_codes(anyone, department=first.id, kind="general") == ["CC-GEN-1"]


def test_duplicate_code_is_refused_on_the_field(app, db_session):
    department = make_department()
    make_inspection_item(department, code="CC-TEST-001")
    db_session.commit()
    browser = english_client(app, make_user(Role.ORG_ADMIN, department))
    response = browser.post("/inspection/items/new",
                            data=_item_form(department, code="cc-test-001"))
    assert response.status_code == 200
    assert "already used by another inspection item" in response.get_data(as_text=True)


def test_another_department_may_not_touch_the_item(app, db_session):
    owner, other = make_department(), make_department()
    item = make_inspection_item(owner)
    db_session.commit()
    browser = english_client(app, make_user(Role.ORG_ADMIN, other))
    assert browser.get(f"/inspection/items/{item.id}/edit").status_code == 403
    assert browser.post(f"/inspection/items/{item.id}/active",
                        data={"active": "0"}).status_code == 403
    assert item.active
    # Nor may it create an item for another department (the choice is not offered) …
    response = browser.post("/inspection/items/new", data=_item_form(owner))
    assert response.status_code == 200 and queries.items(owner.id) == [item]
    # … and the operation refuses it whatever the form says.
    with pytest.raises(NotAllowed):
        ops.create_item(make_user(Role.STAFF, other), ops.ItemInput(
            "CC-X-1", "检查", "《测绘法》", owner.id, ItemKind.GENERAL, "书面检查"))


def test_platform_admin_manages_every_department(app, db_session):
    department = make_department()
    item = make_inspection_item(department)
    db_session.commit()
    browser = english_client(app, make_admin())
    assert browser.get(f"/inspection/items/{item.id}/edit").status_code == 200
    assert item.code in browser.get("/inspection/items/manage").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/inspection/items/manage", "/inspection/items/new",
                                 "/inspection/pool", "/inspection/inspectors",
                                 "/inspection/conflicts", "/inspection/inspectors/me"])
def test_agencies_are_refused_and_anonymous_users_sent_to_sign_in(app, db_session, url):
    agency = make_agency()
    user = agency.organisation.users[0]
    db_session.commit()
    assert english_client(app, user).get(url).status_code == 403
    response = english_client(app).get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- Object pool ----------------------------------------------------------------------------

def _with_level(agency, level: str | None):
    """Give the agency's credit subject a stored level; None leaves it unknown to credit
    (new, treated as B)."""
    if level is not None:
        subject = subject_for(agency.uscc) or register_subject(agency.uscc, agency.name)
        subject.level = level
    return agency


def test_object_pool_strata_count_levels_new_as_b_and_leave_out_delisted(app, db_session):
    region = make_region("341502", "金安区")
    item = make_service_item()
    agencies = {level: _with_level(make_agency(items=[item], region=region), level)
                for level in ("A", "C", "D", "new")}
    _with_level(make_agency(items=[item], region=region), "B")
    unknown = make_agency(items=[item], region=region)  # credit does not know it: new → B
    delisted = _with_level(make_agency(items=[item], region=region), "A")
    delisted.status = AgencyStatus.DELISTED
    make_agency(region=region)  # offers another item: out of scope
    db_session.flush()

    pool = queries.object_pool(queries.PoolFilters(service_item_id=item.id))
    assert delisted.id not in {e.agency_id for e in pool}
    assert queries.strata_counts(pool) == {"A": 1, "B": 3, "C": 1, "D": 1}
    levels = {e.agency_id: e.level for e in pool}
    assert levels[agencies["new"].id] == levels[unknown.id] == "B"
    only_d = queries.object_pool(queries.PoolFilters(service_item_id=item.id, level="D"))
    assert [e.uscc for e in only_d] == [agencies["D"].uscc]

    db_session.commit()
    browser = english_client(app, make_user(Role.STAFF, make_department()))
    db_session.commit()
    html = browser.get(f"/inspection/pool?service_item={item.id}").get_data(as_text=True)
    for level, count in {"A": 1, "B": 3, "C": 1, "D": 1}.items():
        assert f'data-level="{level}">{count}<' in html
    assert delisted.name not in html and agencies["C"].name in html


def test_object_pool_follows_the_plans_region(db_session):
    near, far = make_region("341502", "金安区"), make_region("341503", "裕安区")
    inside = make_agency(region=near)
    make_agency(region=far)
    pool = queries.object_pool(queries.PoolFilters(region_code=near.code))
    assert [e.agency_id for e in pool] == [inside.id]


# --- Inspector pool -------------------------------------------------------------------------

def test_department_admin_adds_an_inspector_with_a_unique_certificate(app, db_session):
    department = make_department()
    make_inspector(make_department(), certificate_no="皖执法34150099999")
    first = make_user(Role.INSPECTOR, department)
    second = make_user(Role.INSPECTOR, department)
    db_session.commit()
    browser = english_client(app, make_user(Role.ORG_ADMIN, department))
    db_session.commit()

    response = browser.post("/inspection/inspectors/new", data={
        "user_id": first.id, "certificate_no": "皖执法34150012345", "expertise": "测绘",
        "available": "y"})
    assert response.status_code == 302
    profile = queries.profile_of_user(first.id)
    assert (profile.certificate_no, profile.available) == ("皖执法34150012345", True)

    response = browser.post("/inspection/inspectors/new", data={
        "user_id": second.id, "certificate_no": "皖执法34150099999"})
    assert response.status_code == 200
    assert "already in the pool" in response.get_data(as_text=True)
    assert queries.profile_of_user(second.id) is None
    listing = browser.get("/inspection/inspectors").get_data(as_text=True)
    assert "皖执法34150012345" in listing


def test_certificate_is_required_and_unique_ignoring_case(db_session):
    department = make_department()
    make_inspector(department, certificate_no="ZF-ABC-1")
    user = make_user(Role.INSPECTOR, department)
    with pytest.raises(ops.DuplicateCertificate):
        ops.save_inspector_profile(make_admin(), user, "zf-abc-1")
    with pytest.raises(DomainError):
        ops.save_inspector_profile(make_admin(), user, "   ")
    with pytest.raises(DomainError):  # only inspector accounts join the pool
        ops.save_inspector_profile(make_admin(), make_user(Role.STAFF, department), "ZF-2")


def test_only_an_admin_of_the_inspectors_department_edits_the_profile(app, db_session):
    department = make_department()
    profile = make_inspector(department)
    db_session.commit()
    assert english_client(app, make_user(Role.STAFF, department)).get(
        f"/inspection/inspectors/{profile.id}/edit").status_code == 403
    assert english_client(app, make_user(Role.ORG_ADMIN, make_department())).get(
        f"/inspection/inspectors/{profile.id}/edit").status_code == 403
    with pytest.raises(NotAllowed):
        ops.save_inspector_profile(make_user(Role.ORG_ADMIN, make_department()), profile.user,
                                   "ZF-NEW")


def test_inspector_sets_own_availability_and_filters_show_it(app, db_session):
    department = make_department()
    profile = make_inspector(department)
    db_session.commit()
    browser = english_client(app, profile.user)
    response = browser.post("/inspection/inspectors/me",
                            data={"availability-submit": "1"})  # box unticked
    assert response.status_code == 302
    assert profile.available is False
    staff = english_client(app, make_user(Role.STAFF, department))
    db_session.commit()
    unavailable = staff.get("/inspection/inspectors?available=0").get_data(as_text=True)
    available = staff.get("/inspection/inspectors?available=1").get_data(as_text=True)
    assert profile.certificate_no in unavailable and profile.certificate_no not in available


# --- Conflicts (回避) -------------------------------------------------------------------------

def test_inspector_declares_a_conflict_once(app, db_session):
    department = make_department()
    profile = make_inspector(department)
    agency = make_agency()
    db_session.commit()
    browser = english_client(app, profile.user)
    form = {"conflict-submit": "1", "conflict-agency_uscc": agency.uscc,
            "conflict-reason": "本人配偶在该机构任职"}
    assert browser.post("/inspection/inspectors/me", data=form).status_code == 302
    conflict = queries.conflict_between(profile.id, agency.id)
    assert conflict.reason == "本人配偶在该机构任职"
    assert [e.action for e in history("inspector_conflict", conflict.id)] == \
        ["inspector_conflict.declare"]

    again = browser.post("/inspection/inspectors/me", data=form)
    assert again.status_code == 200 and "already declared" in again.get_data(as_text=True)
    assert db_session.scalar(select(InspectorConflict).where(
        InspectorConflict.inspector_id == profile.id)) is conflict

    staff = english_client(app, make_user(Role.STAFF, department))
    db_session.commit()
    assert agency.name in staff.get("/inspection/conflicts").get_data(as_text=True)
    outsider = english_client(app, make_user(Role.STAFF, make_department()))
    db_session.commit()
    assert agency.name not in outsider.get("/inspection/conflicts").get_data(as_text=True)


def test_conflict_needs_a_reason_and_a_known_agency(app, db_session):
    profile = make_inspector(make_department())
    agency = make_agency()
    with pytest.raises(DomainError):
        ops.declare_conflict(profile, agency, "  ")
    ops.declare_conflict(profile, agency, "曾在该机构任职")
    with pytest.raises(Conflict):
        ops.declare_conflict(profile, agency, "再次申报")
    db_session.commit()
    response = english_client(app, profile.user).post("/inspection/inspectors/me", data={
        "conflict-submit": "1", "conflict-agency_uscc": "91340100MA0000000X",
        "conflict-reason": "亲属"})
    assert "No agency has this unified social credit code" in response.get_data(as_text=True)
