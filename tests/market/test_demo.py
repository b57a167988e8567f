"""The market demo data: a realistic catalogue, agencies and their credit history, loaded
idempotently."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from stdnum.cn import uscc as uscc_std

import core.demo
import credit.demo
import market.demo
from core.audit import AuditEntry
from core.auth.models import Organisation, OrgKind, User
from core.auth.passwords import verify_password
from credit.models import (
    Commitment,
    CreditRecord,
    CreditSubject,
    Delisting,
    ExitReason,
    HonourListing,
    LicenceDisclosure,
    ListingStatus,
    Measure,
    PenaltyDisclosure,
    SevereListing,
)
from credit.queries.lists import delisted_usccs
from credit.rules import RecordKind, Severity
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


CREDIT_MODELS = (CreditSubject, CreditRecord, Commitment, LicenceDisclosure, PenaltyDisclosure,
                 SevereListing, HonourListing, Delisting, Measure)


def _counts(session) -> dict[str, int]:
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Region, QualificationType, ServiceItem, Organisation, User, Agency,
                          Owner, AuditEntry, *CREDIT_MODELS)}


@pytest.fixture
def demo(db_session):
    core.demo.load()
    assert credit.demo.load() == []
    return market.demo.load()


def _subject(db_session, name: str) -> CreditSubject:
    return db_session.scalar(select(CreditSubject).where(CreditSubject.name == name))


def test_second_run_creates_nothing_and_returns_the_same_logins(demo, db_session):
    counts = _counts(db_session)
    scores = dict(db_session.execute(select(CreditSubject.uscc, CreditSubject.score)).all())
    credit.demo.load()
    assert market.demo.load() == demo
    assert _counts(db_session) == counts
    assert dict(db_session.execute(select(CreditSubject.uscc, CreditSubject.score)).all()) == scores


def test_a_run_weeks_later_adds_no_credit_row_though_every_date_moved(demo, db_session):
    """Rows are found by their references, not by their dates (which follow the day)."""
    counts = {model: db_session.scalar(select(func.count()).select_from(model))
              for model in CREDIT_MODELS}
    with time_machine.travel(datetime.now(UTC) + timedelta(days=40), tick=False):
        market.demo.load()
    assert {model: db_session.scalar(select(func.count()).select_from(model))
            for model in CREDIT_MODELS} == counts


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


# --- Credit ---------------------------------------------------------------------------------------

def test_every_agency_and_owner_is_a_credit_subject_with_its_commitment(demo, db_session):
    roles = dict(db_session.execute(select(CreditSubject.name, CreditSubject.role)).all())
    agencies = db_session.scalars(select(Agency)).all()
    assert all(roles[agency.name] == "agency" for agency in agencies)
    assert roles["六安市第二人民医院"] == "owner"
    signed = db_session.scalar(select(func.count()).select_from(Commitment)
                               .where(Commitment.context == "registration"))
    assert signed == len(agencies)


def test_the_directory_shows_every_level(demo, client):
    client.get("/lang/en")
    html = client.get("/agencies").get_data(as_text=True)
    levels = re.findall(r'data-credit-level="(\w+)"', html)
    assert set(levels) == {"A", "B", "C", "D", "new"}
    rank = {"A": 0, "B": 1, "new": 1, "C": 2, "D": 3}  # new ranks as B
    assert levels == sorted(levels, key=rank.get)
    assert "六安市华源测绘有限公司" in html


def test_records_span_thirty_months_with_every_kind(demo, db_session):
    today = local_today()
    records = db_session.scalars(select(CreditRecord)).all()
    dates = [record.occurred_on for record in records if record.kind != RecordKind.LICENCE]
    assert min(dates) >= today - timedelta(days=31 * 30) and max(dates) <= today
    assert max(dates) - min(dates) > timedelta(days=365 * 2)
    kinds = {record.kind for record in records}
    assert {RecordKind.EVALUATION_OWNER, RecordKind.EVALUATION_REGULATOR,
            RecordKind.LATE_DELIVERY, RecordKind.COMMITMENT_BROKEN,
            RecordKind.COMPLAINT_SUBSTANTIATED, RecordKind.INSPECTION, RecordKind.PENALTY,
            RecordKind.LICENCE, RecordKind.COMMENDATION} <= kinds
    owner_ratings = [r.rating for r in records if r.kind == RecordKind.EVALUATION_OWNER]
    assert sum(rating >= 3 for rating in owner_ratings) > 0.8 * len(owner_ratings)
    assert min(owner_ratings) < 3  # a couple of low ones


def test_most_agencies_hold_licences_and_penalties_cover_every_severity(demo, db_session):
    licensed = set(db_session.scalars(select(LicenceDisclosure.xk_xdr_shxym)))
    agencies = db_session.scalars(select(Agency)).all()
    assert len(licensed) > len(agencies) / 2
    assert db_session.scalar(select(LicenceDisclosure).where(
        LicenceDisclosure.xk_xkjg == "安徽省自然资源厅",
        LicenceDisclosure.xk_xkzs == "测绘资质证书"))
    severities = db_session.scalars(select(CreditRecord.severity).join(
        PenaltyDisclosure, PenaltyDisclosure.record_id == CreditRecord.id)).all()
    assert set(severities) == set(Severity)


def test_the_lists_hold_a_listed_a_notified_a_delisted_and_an_honoured_subject(demo, client,
                                                                                db_session):
    listed = _subject(db_session, "六安市雷盾防雷检测有限公司")
    listing = db_session.scalar(select(SevereListing).where(SevereListing.subject_id == listed.id))
    assert listing.status == ListingStatus.LISTED and listed.level == "D"
    assert listing.notified_at.date() < listing.listed_on
    notified = _subject(db_session, "六安市正信房地产土地评估有限公司")
    notice = db_session.scalar(select(SevereListing)
                               .where(SevereListing.subject_id == notified.id))
    assert notice.status == ListingStatus.NOTIFIED
    assert notice.objection_deadline.date() >= local_today()
    fraud = _subject(db_session, "六安市建质工程检测有限公司")
    reasons = dict(db_session.execute(select(Delisting.subject_id, Delisting.reason)).all())
    assert reasons[fraud.id] == ExitReason.FRAUDULENT_REGISTRATION
    assert reasons[listed.id] == ExitReason.SEVERE_LIST
    assert {fraud.uscc, listed.uscc} == delisted_usccs()
    honoured = _subject(db_session, "六安市华源测绘有限公司")
    assert db_session.scalar(select(HonourListing.subject_id)) == honoured.id

    client.get("/lang/en")
    assert "六安市建质工程检测有限公司" in client.get("/credit/delisted").get_data(as_text=True)
    directory = client.get("/agencies").get_data(as_text=True)
    assert "六安市建质工程检测有限公司" not in directory and "六安市雷盾" not in directory
