"""Builders for test data. They go through the operations where one exists, so the rows
they make are the rows the platform makes (audited, validated)."""

import itertools
from datetime import date, timedelta

from stdnum.cn import uscc as uscc_std

from core.auth import operations as auth_ops
from core.auth.models import Organisation, OrgKind, Role, User
from core.db import utcnow
from core.extensions import db
from market.models import (
    Agency,
    AgencyService,
    Pricing,
    Qualification,
    QualificationType,
    Region,
    ServiceItem,
)

PASSWORD = "Test2026pass"
_seq = itertools.count(1)


def make_uscc(n: int | None = None) -> str:
    """A valid unified social credit code, distinct per call."""
    body = f"91340100MA{(n or next(_seq)):07d}"[:17]
    return body + uscc_std.calc_check_digit(body)


def make_department(name: str | None = None) -> Organisation:
    return auth_ops.create_organisation(OrgKind.DEPARTMENT, name or f"测试局{next(_seq)}")


def make_user(role: Role = Role.STAFF, organisation: Organisation | None = None,
              username: str | None = None, password: str = PASSWORD) -> User:
    username = username or f"user{next(_seq)}"
    return auth_ops.create_user(username, password, username, role, organisation)


def make_admin() -> User:
    return make_user(Role.PLATFORM_ADMIN, username=f"admin{next(_seq)}")


def make_region(code: str = "341502", name: str = "金安区") -> Region:
    region = db.session.get(Region, code)
    if region is None:
        region = Region(code=code, name=name)
        db.session.add(region)
        db.session.flush()
    return region


def make_qualification_type(code: str | None = None, name: str | None = None):
    n = next(_seq)
    qt = QualificationType(code=code or f"QT{n}", name=name or f"测绘资质{n}")
    db.session.add(qt)
    db.session.flush()
    return qt


def make_service_item(department: Organisation | None = None, name: str | None = None,
                      required: list[QualificationType] = ()) -> ServiceItem:
    n = next(_seq)
    item = ServiceItem(code=f"SI{n:04d}", name=name or f"测试事项{n}", category="测绘",
                       legal_basis="《测绘法》", department=department or make_department(),
                       statutory_days=20, pricing=Pricing.MARKET, fee_basis="市场调节",
                       fee_standard="协商确定", required_qualifications=list(required))
    db.session.add(item)
    db.session.flush()
    return item


def make_agency(name: str | None = None, region: Region | None = None,
                items: list[ServiceItem] = (), qualification_type: QualificationType | None = None,
                expires_on: date | None = None, with_user: bool = True) -> Agency:
    """An active agency with an org admin user (username = 'agency<N>')."""
    n = next(_seq)
    org = auth_ops.create_organisation(OrgKind.AGENCY, name or f"测试中介机构{n}有限公司",
                                       make_uscc(n))
    agency = Agency(organisation=org, legal_representative="张三",
                    region=region or make_region(), address="测试路1号", contact_name="李四",
                    contact_phone="0564-1234567", staff_count=10, commitment_text="承诺",
                    commitment_signed_at=utcnow())
    agency.services = [AgencyService(service_item=i, fee_schedule="按面积收费") for i in items]
    if qualification_type is not None:
        agency.qualifications = [Qualification(
            type=qualification_type, level="甲级", certificate_no=f"CERT{n}", issuer="省厅",
            expires_on=expires_on or date.today() + timedelta(days=365))]
    db.session.add(agency)
    db.session.flush()
    if with_user:
        make_user(Role.ORG_ADMIN, org, username=f"agency{n}")
    return agency


def login(client, user_or_name, password: str = PASSWORD):
    username = user_or_name if isinstance(user_or_name, str) else user_or_name.username
    return client.post("/login", data={"username": username, "password": password})
