"""Subjects, records and commitments (credit/operations/subjects.py, RULES.md §2 "Credit")."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import event, func, select

from core import audit
from core.audit import AuditEntry
from core.errors import Conflict, NotFound
from core.extensions import db
from credit import queries
from credit.models import CreditRecord, ScoreSnapshot, SubjectKind
from credit.operations import subjects as ops
from credit.rules import RecordKind, Severity
from tests.credit.builders_subjects import add, make_subject, noon
from tests.factories import make_uscc

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(noon(TODAY), tick=False):
        yield


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_register_is_idempotent_by_uscc_and_takes_a_new_name(db_session):
    code = make_uscc()
    first = ops.register_subject(code, "六安市华源测绘有限公司", role="agency")
    assert first.level == "new" and first.score == Decimal("84.00")  # 40 + 24 + 20, no record
    entries = audit_count()

    again = ops.register_subject(code, "六安市华源测绘有限公司")
    assert again.id == first.id
    assert audit_count() == entries  # nothing changed, nothing recorded

    renamed = ops.register_subject(code.lower(), "六安市华源测绘科技有限公司")
    assert renamed.id == first.id and renamed.name == "六安市华源测绘科技有限公司"
    entries = audit.history("credit_subject", first.id)
    assert [entry.action for entry in entries] == ["credit.subject.register",
                                                   "credit.subject.update"]
    assert entries[-1].before == {"name": "六安市华源测绘有限公司"}
    assert entries[-1].after == {"name": "六安市华源测绘科技有限公司"}
    assert queries.subject_for(code).name == "六安市华源测绘科技有限公司"
    # registration starts the score history: one snapshot of the "new" score
    assert db_session.scalar(select(func.count()).select_from(ScoreSnapshot)
                             .where(ScoreSnapshot.subject_id == first.id)) == 1


def test_market_registration_takes_over_a_subject_known_from_a_disclosure(db_session):
    code = make_uscc()
    known = ops.register_subject(code, "某测绘公司", role="other")
    registered = ops.register_subject(code, "某测绘公司", role="agency")
    assert registered.id == known.id and registered.role == "agency"
    assert audit.history("credit_subject", known.id)[-1].after == {"role": "agency"}


def test_register_refuses_an_invalid_code_or_a_blank_name(db_session):
    valid = make_uscc()
    broken = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    with pytest.raises(Conflict):
        ops.register_subject(broken, "某公司")
    with pytest.raises(Conflict):
        ops.register_subject(make_uscc(), "  ")
    # a natural person may be known by the resident ID number
    person = ops.register_subject("11010519491231002X", "张三", SubjectKind.NATURAL_PERSON,
                                  role="owner")
    assert person.uscc == "11010519491231002X"


@pytest.mark.parametrize(("kind", "fields", "message"), [
    ("evaluation_owner", {}, "rating from 1 to 5"),
    ("evaluation_owner", {"rating": Decimal("5.5")}, "rating from 1 to 5"),
    ("evaluation_regulator", {"rating": Decimal("0.9")}, "rating from 1 to 5"),
    ("penalty", {"severity": "minor", "rating": 3}, "Only evaluations carry a rating"),
    ("inspection", {}, "needs an outcome"),
    ("late_delivery", {"inspection_outcome": "pending"}, "Only inspection results"),
    ("penalty", {}, "needs a severity"),
    ("commendation", {"severity": "general"}, "Only penalties carry a severity"),
    ("late_delivery", {"occurred_on": TODAY + timedelta(days=1)}, "dated after today"),
    ("late_delivery", {"title": "  "}, "needs a title"),
    ("late_delivery", {"source_department": ""}, "source department"),
])
def test_add_record_validates_each_kind(db_session, kind, fields, message):
    subject = make_subject()
    fields = dict(fields)
    title = fields.pop("title", "记录")
    department = fields.pop("source_department", "某局")
    with pytest.raises(Conflict, match=message):
        ops.add_record(subject.uscc, RecordKind(kind), title, department, **fields)
    assert db_session.scalar(select(func.count()).select_from(CreditRecord)) == 0


def test_add_record_for_an_unknown_subject_is_not_found(db_session):
    with pytest.raises(NotFound):
        ops.add_record(make_uscc(), RecordKind.LATE_DELIVERY, "逾期", "某局")


def test_add_record_writes_one_audit_entry_with_the_new_score(db_session):
    subject = make_subject()
    entries = audit_count()
    record = add(subject, "late_delivery", reference="JOB-2026-0001")
    assert audit_count() == entries + 1
    [entry] = audit.history("credit_record", record.id)
    assert entry.action == "credit.record.add"
    assert entry.before == {"score": "84.00", "level": "new"}
    assert entry.after["score"] == "82.00" and entry.after["level"] == "B"  # 84 − 2
    assert entry.after["reference"] == "JOB-2026-0001"
    assert record.occurred_on == TODAY  # defaults to today in Asia/Shanghai


def test_display_windows_follow_severity_and_commendations_use_general(db_session):
    subject = make_subject()
    decided = date(2026, 1, 31)
    minor = add(subject, "penalty", severity=Severity.MINOR, occurred_on=decided)
    serious = add(subject, "penalty", severity=Severity.SERIOUS, occurred_on=decided)
    commendation = add(subject, "commendation", occurred_on=decided)
    late = add(subject, "late_delivery", occurred_on=decided)
    assert (minor.display_min_until, minor.display_max_until) == (decided, date(2026, 4, 30))
    assert (serious.display_min_until, serious.display_max_until) == (date(2027, 1, 31),
                                                                      date(2029, 1, 31))
    # commendations: the 'general' window, 3 months to a year
    assert (commendation.display_min_until, commendation.display_max_until) == (
        date(2026, 4, 30), date(2027, 1, 31))
    assert late.display_min_until is None and late.display_max_until is None


def test_rating_is_kept_to_the_cent_the_database_stores(db_session):
    subject = make_subject()
    record = add(subject, "evaluation_owner", rating="4.333")
    assert record.rating == Decimal("4.33")
    # 50 × 3.33 / 4 = 41.625 → owner 41.63; + 24 + 20 = 85.63 stays the same on recompute
    assert subject.score == Decimal("85.63")
    assert ops.recompute(subject).score == Decimal("85.63")


def test_a_broken_commitment_deducts_and_a_kept_one_is_recorded(db_session):
    subject = make_subject()
    bid = ops.sign_commitment(subject.uscc, "bid:17", "本机构承诺所报信息真实有效。")
    registration = ops.sign_commitment(subject.uscc, "registration", "遵守平台规则。")

    broken = ops.settle_commitment(bid, kept=False, reason="虚假业绩证明")
    assert broken.kind == RecordKind.COMMITMENT_BROKEN
    assert broken.source_department == "网上中介服务超市"
    assert broken.evidence == "虚假业绩证明" and broken.reference == "bid:17"
    assert bid.outcome == "broken" and bid.outcome_record_id == broken.id
    assert subject.score == Decimal("79.00")  # behaviour 20 − 5 × 1.0 = 15; 40 + 24 + 15

    kept = ops.settle_commitment(registration, kept=True, reason="合同全部履行")
    assert kept.kind == RecordKind.COMMITMENT_KEPT
    assert subject.score == Decimal("79.00")  # recorded, not part of the score

    with pytest.raises(Conflict, match="already been settled"):
        ops.settle_commitment(bid, kept=True, reason="改判")
    with pytest.raises(Conflict):
        ops.sign_commitment(subject.uscc, "bid:18", "  ")


def test_levels_for_answers_many_codes_in_one_query(db_session, app):
    good, bad = make_subject(), make_subject()
    add(good, "evaluation_owner", rating=5)  # 50 + 24 + 20 = 94 → A
    add(bad, "penalty", severity=Severity.SERIOUS)  # 84 − 30 = 54 → D
    unknown = make_uscc()

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        levels = queries.levels_for([good.uscc, bad.uscc, unknown])
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert levels == {good.uscc: "A", bad.uscc: "D", unknown: "new"}
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert queries.level_of(bad.uscc) == "D"
    assert queries.levels_for([]) == {}
