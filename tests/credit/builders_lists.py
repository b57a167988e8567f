"""Builders for the credit list tests: subjects at a given level, regulators, browsers, and
listings made through credit.operations.lists (validated, audited)."""

import itertools
import re
from datetime import date

from core.auth.models import Role
from credit.models import SevereListing
from credit.operations import lists as ops
from credit.operations import subjects as subject_ops
from credit.rules import RecordKind, Severity
from tests.clients import FreshRequestClient, english_client
from tests.credit.builders_subjects import add, make_subject_user
from tests.factories import make_department, make_uscc, make_user

_seq = itertools.count(1)


Browser = FreshRequestClient
browser = english_client


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]


def make_subject(level: str | None = None, name: str | None = None):
    """A registered subject with the organisation and user behind it, brought to `level`
    (A, C or D) by records; without a level it is new (treated as B)."""
    n = next(_seq)
    subject = subject_ops.register_subject(make_uscc(700_000 + n),
                                           name or f"名单测试机构{n}有限公司")
    user = make_subject_user(subject)
    if level == "A":  # owner part 50 + regulator 24 + behaviour 20 = 94
        add(subject, RecordKind.EVALUATION_OWNER, rating=5)
    elif level == "C":  # 84 − 10 for a general penalty = 74
        add(subject, RecordKind.PENALTY, severity=Severity.GENERAL)
    elif level == "D":  # 84 − 30 for a serious penalty = 54
        add(subject, RecordKind.PENALTY, severity=Severity.SERIOUS)
    assert level is None or subject.level == level, subject.level
    return subject, user


def make_regulator(department=None, role: Role = Role.STAFF):
    return make_user(role, department or make_department())


def notify(subject, regulator, now=None) -> SevereListing:
    return ops.start_severe_listing(subject.uscc, "提供虚假材料骗取中介服务项目",
                                    "《六安市网上中介服务超市管理办法》", regulator.organisation,
                                    now=now)


def put_on_list(subject, regulator) -> SevereListing:
    """Notified, objected and listed at once by the regulator."""
    listing = notify(subject, regulator)
    ops.object_to_listing(listing, "不服", subject.uscc)
    ops.confirm_listing(listing, "异议不成立", regulator.organisation)
    return listing


def complaint(subject, on: date):
    return add(subject, RecordKind.COMPLAINT_SUBSTANTIATED, occurred_on=on)
