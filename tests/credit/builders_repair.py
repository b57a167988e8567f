"""Builders for the credit repair tests. They go through the credit operations, so the rows
are the rows the platform makes (audited, with their display windows)."""

import io
import itertools
import re
from datetime import date, datetime, timedelta

from core.auth import operations as auth_ops
from core.auth.models import Organisation, OrgKind, Role, User
from credit.models import CreditRecord, CreditSubject, SevereListing
from credit.operations import lists as list_ops
from credit.operations import subjects as subject_ops
from credit.rules import RecordKind, Severity
from tests.factories import login, make_uscc, make_user

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
_seq = itertools.count(1)


def make_subject_org(kind: OrgKind = OrgKind.AGENCY) -> tuple[Organisation, User, CreditSubject]:
    """An agency (or owner) organisation with its org admin and its credit subject."""
    n = next(_seq)
    uscc = make_uscc(9_000_000 + n)
    org = auth_ops.create_organisation(kind, f"修复测试机构{n}有限公司", uscc)
    user = make_user(Role.ORG_ADMIN, org, username=f"repair{n}")
    subject = subject_ops.register_subject(uscc, org.name, role=kind.value)
    return org, user, subject


def add_penalty(subject: CreditSubject, department: Organisation, occurred_on: date,
                severity: Severity = Severity.GENERAL, title: str | None = None) -> CreditRecord:
    return subject_ops.add_record(
        subject.uscc, RecordKind.PENALTY, title or f"行政处罚决定{next(_seq)}号",
        department.name, source_department_id=department.id, legal_basis="《测绘法》第四十条",
        occurred_on=occurred_on, severity=severity)


def list_subject(subject: CreditSubject, department: Organisation,
                 notified_at: datetime) -> SevereListing:
    """On the severe list from the end of its objection window (no objection)."""
    listing = list_ops.start_severe_listing(subject.uscc, "提供虚假材料骗取中选",
                                            "《信用管理办法》", department, now=notified_at)
    list_ops.list_after_objection_window(listing.objection_deadline + timedelta(seconds=1))
    return listing




def csrf_token(client, url: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"',
                     client.get(url).get_data(as_text=True)).group(1, 2)[0] or ""


def sign_in(client, user: User) -> None:
    """Sign `user` in on `client`, signing out whoever was signed in; English messages."""
    client.post("/logout")
    assert login(client, user).status_code == 302
    client.get("/lang/en")


def evidence_upload(content: bytes = PDF_BYTES, name: str = "receipt.pdf"):
    return io.BytesIO(content), name


def repair_form(**overrides) -> dict:
    data = {"obligations_statement": "罚款已于2025年3月1日缴清，整改已完成。",
            "evidence": "缴款书编号 340100-2025-0001", "accept_commitment": "y"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
