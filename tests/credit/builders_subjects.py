"""Builders for credit subjects and records. They go through credit.operations.subjects, so
the rows are the rows the platform makes (validated, audited, scored)."""

import itertools
import re
from datetime import UTC, datetime, time
from decimal import Decimal

from core.auth import operations as auth_ops
from core.auth.models import OrgKind, Role
from credit.models import SubjectKind
from credit.operations import subjects as ops
from credit.rules import RecordKind
from tests.factories import make_department, make_uscc, make_user

_seq = itertools.count(1)
DEPARTMENT = "六安市住房和城乡建设局"


def noon(day) -> datetime:
    """Noon in Asia/Shanghai on `day`, as aware UTC: a moment whose local date is `day`."""
    return datetime.combine(day, time(4, 0), UTC)


def make_subject(name: str | None = None, uscc: str | None = None,
                 kind: SubjectKind = SubjectKind.LEGAL_PERSON, role: str = "agency"):
    n = next(_seq)
    return ops.register_subject(uscc or make_uscc(900_000 + n), name or f"信用测试机构{n}有限公司",
                                kind, role)


def add(subject, kind: RecordKind | str, title: str | None = None, **fields):
    """A record of `kind` from a department, with the title made up if not given."""
    kind = RecordKind(kind)
    if kind in (RecordKind.EVALUATION_OWNER, RecordKind.EVALUATION_REGULATOR):
        fields.setdefault("rating", Decimal(4))
    return ops.add_record(subject.uscc, kind, title or f"{kind.value} {next(_seq)}",
                          fields.pop("source_department", DEPARTMENT), **fields)


def make_subject_user(subject, role: Role = Role.ORG_ADMIN):
    """A user of the agency registered under the subject's USCC (the subject 'itself')."""
    organisation = auth_ops.create_organisation(OrgKind.AGENCY, subject.name, subject.uscc)
    return make_user(role, organisation)


def make_regulator(role: Role = Role.STAFF):
    return make_user(role, make_department())


def english(client):
    """Messages asserted in their English msgid form, whatever the catalogues say."""
    client.get("/lang/en")
    return client


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]
