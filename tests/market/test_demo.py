"""The market demo data: a realistic catalogue and agencies, loaded idempotently."""

import pytest
from sqlalchemy import func, select
from stdnum.cn import uscc as uscc_std

import core.demo
import market.demo
from core.audit import AuditEntry
from core.auth.models import Organisation, OrgKind, User
from core.auth.passwords import verify_password
from market import queries
from market.models import (
    Agency,
    AgencyStatus,
    Owner,
    OwnerType,
    QualificationType,
    Region,
    ServiceItem,
)
from market.rules import local_today, qualification_state

NAMED_ITEMS = ["土地勘测定界", "地质灾害危险性评估", "建设项目压覆矿产资源评估", "地震安全性评价",
               "环境影响评价", "节能评估", "水土保持方案编制", "气候可行性论证", "文物影响评估",
               "地价评估", "土地复垦方案编制", "测绘", "工程勘察", "施工图审查", "工程造价咨询",
               "资产评估", "安全评价", "消防技术服务", "防雷装置检测"]
NAMED_TYPES = ["测绘资质", "工程勘察资质", "工程设计资质", "地质灾害评估资质", "土地规划资质",
               "资产评估资格", "安全评价资质", "消防技术服务资质", "雷电防护装置检测资质",
               "工程造价咨询"]
LU_AN_REGIONS = {"341502": "金安区", "341503": "裕安区", "341504": "叶集区", "341522": "霍邱县",
                 "341523": "舒城县", "341524": "金寨县", "341525": "霍山县"}


def _counts(session) -> dict[str, int]:
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Region, QualificationType, ServiceItem, Organisation, User, Agency,
                          Owner, AuditEntry)}


@pytest.fixture
def demo(db_session):
    core.demo.load()
    return market.demo.load()


def test_second_run_creates_nothing_and_returns_the_same_logins(demo, db_session):
    counts = _counts(db_session)
    assert market.demo.load() == demo
    assert _counts(db_session) == counts


def test_catalogue_is_realistic(demo, db_session):
    items = queries.active_service_items()
    assert len(items) >= 30
    names = [item.name for item in items]
    for wanted in NAMED_ITEMS:
        assert any(wanted in name for name in names), wanted
    assert all(item.legal_basis.startswith("《") for item in items)
    assert {item.pricing for item in items} == {"market", "government_guided"}
    assert all(item.department.kind == OrgKind.DEPARTMENT for item in items)
    assert queries.service_item_by_code("ZJ-ZRZY-001").required_qualifications[0].name == \
        "测绘资质"

    type_names = {qt.name for qt in queries.qualification_types()}
    assert set(NAMED_TYPES) <= type_names
    regions = {r.code: r.name for r in queries.regions()}
    assert LU_AN_REGIONS.items() <= regions.items()


def test_departments_are_found_by_name_not_duplicated(demo, db_session):
    names = db_session.scalars(select(Organisation.name)
                               .where(Organisation.kind == OrgKind.DEPARTMENT)).all()
    assert len(names) == len(set(names))
    assert "六安市自然资源和规划局" in names


def test_agencies_and_owners_are_registered_with_demo_logins(demo, db_session):
    agencies = db_session.scalars(select(Agency)).all()
    assert 15 <= len(agencies) <= 20
    assert all(a.status == AgencyStatus.ACTIVE and uscc_std.is_valid(a.uscc) for a in agencies)
    assert all(a.services for a in agencies)
    owners = db_session.scalars(select(Owner)).all()
    assert {o.owner_type for o in owners} == {OwnerType.ENTERPRISE, OwnerType.PUBLIC_BODY}
    assert "六安市第二人民医院" in {o.name for o in owners}

    logins = {username: (password, role) for username, password, role in demo}
    assert "huayuan" in logins and "jinan_ctjt" in logins
    assert all(password == "Demo2026pass" for password, _role in logins.values())
    huayuan = db_session.scalar(select(User).where(User.username == "huayuan"))
    assert huayuan.organisation.name == "六安市华源测绘有限公司"
    assert verify_password(huayuan.password_hash, "Demo2026pass")


def test_some_qualifications_are_expiring_and_one_has_expired(demo, db_session):
    today = local_today()
    agencies = db_session.scalars(select(Agency)).all()
    states = [qualification_state(q.expires_on, today)
              for a in agencies for q in a.qualifications]
    assert states.count("expired") == 1
    assert states.count("expiring") >= 2


def test_demo_agencies_fill_the_public_pages(demo, client):
    html = client.get("/agencies").get_data(as_text=True)
    assert "六安市华源测绘有限公司" in html
    assert "土地勘测定界" in client.get("/items").get_data(as_text=True)
