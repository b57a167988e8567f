"""Credit models (RULES.md §2): subjects keyed by USCC, their records, score history,
双公示 licence and penalty data, the severe dishonesty list, the joint measures catalogue
and its executions, credit repair and exit.

Credit is the lower layer: it knows subjects by USCC only and never imports market.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import enum_column
from core.db import Base, utcnow
from credit.rules import InspectionOutcome, RecordKind, Severity


class SubjectKind(enum.StrEnum):
    LEGAL_PERSON = "legal_person"  # 法人
    INDIVIDUAL_BUSINESS = "individual_business"  # 个体工商户
    NATURAL_PERSON = "natural_person"  # 自然人


class CreditSubject(Base):
    __tablename__ = "credit_subject"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[SubjectKind] = mapped_column(enum_column(SubjectKind, 30))
    role: Mapped[str] = mapped_column(String(20))  # "agency" / "owner" as registered by market
    score: Mapped[Decimal | None]
    level: Mapped[str] = mapped_column(String(5), default="new")  # A/B/C/D/new
    scored_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    records: Mapped[list["CreditRecord"]] = relationship(
        back_populates="subject", order_by="CreditRecord.occurred_on.desc()")


class CreditRecord(Base):
    """One fact about a subject that bears on its credit; its public-display window follows
    its severity (RULES.md §2 "Disclosure and repair")."""

    __tablename__ = "credit_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("credit_subject.id"), index=True)
    kind: Mapped[RecordKind] = mapped_column(enum_column(RecordKind, 40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    source_department_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    source_department: Mapped[str] = mapped_column(String(200))  # name as published
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str | None] = mapped_column(String(120))  # e.g. job no., decision no.
    occurred_on: Mapped[date]
    severity: Mapped[Severity | None] = mapped_column(enum_column(Severity))
    rating: Mapped[Decimal | None]
    inspection_outcome: Mapped[InspectionOutcome | None] = mapped_column(
        enum_column(InspectionOutcome, 40))
    display_min_until: Mapped[date | None]  # repair possible from here
    display_max_until: Mapped[date | None]  # display stops by itself here
    repaired_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    subject: Mapped[CreditSubject] = relationship(back_populates="records")


class ScoreSnapshot(Base):
    """Score history for the chart on the credit page; one row per recomputation that
    changed the score (and at most one per day from the nightly sweeper)."""

    __tablename__ = "credit_score_snapshot"
    __table_args__ = (Index("ix_credit_score_snapshot_subject_at", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("credit_subject.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[Decimal]
    level: Mapped[str] = mapped_column(String(5))
    parts: Mapped[dict] = mapped_column(JSON)


class Commitment(Base):
    """A signed credit commitment (信用承诺): at registration, with each bid, with repair."""

    __tablename__ = "credit_commitment"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("credit_subject.id"), index=True)
    context: Mapped[str] = mapped_column(String(60))  # registration / bid:<id> / repair:<id>
    text: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(10))  # kept / broken, once known
    outcome_record_id: Mapped[int | None] = mapped_column(ForeignKey("credit_record.id"))


# --- 双公示: administrative licences and penalties in the national field sets -------------

class LicenceDisclosure(Base):
    """行政许可 in the national 双公示 field set (`xk_*`); imported from or exported to the
    credit platform as CSV. One credit record of kind `licence` goes with it."""

    __tablename__ = "credit_licence"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_record.id"), unique=True)
    xk_xdr_mc: Mapped[str] = mapped_column(String(200))  # 行政相对人名称
    xk_xdr_lb: Mapped[str] = mapped_column(String(20))  # 行政相对人类别
    xk_xdr_shxym: Mapped[str] = mapped_column(String(18), index=True)  # 统一社会信用代码
    xk_frdb: Mapped[str] = mapped_column(String(50), default="")  # 法定代表人
    xk_xkws: Mapped[str] = mapped_column(String(200))  # 行政许可决定文书名称
    xk_wsh: Mapped[str] = mapped_column(String(100))  # 行政许可决定文书号
    xk_xklb: Mapped[str] = mapped_column(String(20))  # 许可类别
    xk_xkzs: Mapped[str] = mapped_column(String(200), default="")  # 许可证书名称
    xk_xkbh: Mapped[str] = mapped_column(String(100), default="")  # 许可编号
    xk_nr: Mapped[str] = mapped_column(Text)  # 许可内容
    xk_jdrq: Mapped[date]  # 许可决定日期
    xk_yxqz: Mapped[date]  # 有效期自
    xk_yxqzi: Mapped[date]  # 有效期至
    xk_xkjg: Mapped[str] = mapped_column(String(200))  # 许可机关
    xk_xkjgdm: Mapped[str] = mapped_column(String(18))  # 许可机关统一社会信用代码
    xk_zt: Mapped[str] = mapped_column(String(10))  # 当前状态 1 有效 2 无效
    xk_lydw: Mapped[str] = mapped_column(String(200))  # 数据来源单位
    xk_lydwdm: Mapped[str] = mapped_column(String(18))  # 数据来源单位统一社会信用代码
    bz: Mapped[str] = mapped_column(Text, default="")  # 备注

    record: Mapped[CreditRecord] = relationship()


class PenaltyDisclosure(Base):
    """行政处罚 in the national 双公示 field set (`cf_*`). One credit record of kind
    `penalty` goes with it, carrying the severity that sets its display window."""

    __tablename__ = "credit_penalty"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_record.id"), unique=True)
    cf_xdr_mc: Mapped[str] = mapped_column(String(200))  # 行政相对人名称
    cf_xdr_lb: Mapped[str] = mapped_column(String(20))  # 行政相对人类别
    cf_xdr_shxym: Mapped[str] = mapped_column(String(18), index=True)  # 统一社会信用代码
    cf_frdb: Mapped[str] = mapped_column(String(50), default="")  # 法定代表人
    cf_wsh: Mapped[str] = mapped_column(String(100))  # 行政处罚决定书文号
    cf_wfxw: Mapped[str] = mapped_column(String(500))  # 违法行为类型
    cf_sy: Mapped[str] = mapped_column(Text)  # 违法事实
    cf_yj: Mapped[str] = mapped_column(Text)  # 处罚依据
    cf_cflb: Mapped[str] = mapped_column(String(100))  # 处罚类别
    cf_nr: Mapped[str] = mapped_column(Text)  # 处罚内容
    # Amounts in 万元 with up to 6 decimals (to the fen), not the 2-decimal yuan Money type.
    cf_nr_fk: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))  # 罚款金额（万元）
    cf_nr_wfff: Mapped[Decimal | None] = mapped_column(  # 没收违法所得、没收非法财物的金额（万元）
        Numeric(18, 6))
    cf_nr_zkdx: Mapped[str] = mapped_column(String(200), default="")  # 暂扣或吊销证照名称及编号
    cf_jdrq: Mapped[date]  # 处罚决定日期
    cf_yxq: Mapped[date | None]  # 处罚有效期
    cf_gsjzq: Mapped[date | None]  # 公示截止期
    cf_cfjg: Mapped[str] = mapped_column(String(200))  # 处罚机关
    cf_cfjgdm: Mapped[str] = mapped_column(String(18))  # 处罚机关统一社会信用代码
    cf_sjly: Mapped[str] = mapped_column(String(200))  # 数据来源单位
    cf_sjlydm: Mapped[str] = mapped_column(String(18))  # 数据来源单位统一社会信用代码
    bz: Mapped[str] = mapped_column(Text, default="")  # 备注

    record: Mapped[CreditRecord] = relationship()


# --- Severe dishonesty list (严重失信主体名单) and honour list -----------------------------

class ListingStatus(enum.StrEnum):
    NOTIFIED = "notified"  # subject told reason, basis and rights; objection window open
    OBJECTED = "objected"  # subject objected; regulator to decide
    LISTED = "listed"  # on the public list until `listed_until`
    DISMISSED = "dismissed"  # objection upheld or withdrawn by the regulator
    REMOVED = "removed"  # term ended or early removal by repair


class SevereListing(Base):
    __tablename__ = "credit_severe_listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("credit_subject.id"), index=True)
    status: Mapped[ListingStatus] = mapped_column(enum_column(ListingStatus), index=True)
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    rights_notice: Mapped[str] = mapped_column(Text)  # 权利告知
    department_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    notified_at: Mapped[datetime]
    objection_deadline: Mapped[datetime]  # 5 working days after notice
    objection_text: Mapped[str | None] = mapped_column(Text)
    decision_note: Mapped[str | None] = mapped_column(Text)
    listed_on: Mapped[date | None]
    listed_until: Mapped[date | None]  # default term 3 years
    earliest_removal_on: Mapped[date | None]  # early removal by repair after 1 year
    removed_on: Mapped[date | None]

    subject: Mapped[CreditSubject] = relationship()


class HonourListing(Base):
    """红名单: subjects commended as trustworthy, for joint rewards."""

    __tablename__ = "credit_honour_listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("credit_subject.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    listed_on: Mapped[date]
    listed_until: Mapped[date]
    revoked_on: Mapped[date | None]

    subject: Mapped[CreditSubject] = relationship()


# --- Joint reward and punishment measures (联合奖惩措施清单) -------------------------------

class MeasureTrigger(enum.StrEnum):
    LEVEL = "level"  # trigger_value is a credit level, e.g. "D" or "A"
    SEVERE_LIST = "severe_list"
    HONOUR_LIST = "honour_list"
    DELISTED = "delisted"


class ApplicationMethod(enum.StrEnum):
    AUTOMATIC_BLOCK = "automatic_block"  # 自动拦截
    FLAG_FOR_REVIEW = "flag_for_review"  # 提示审查
    REFERENCE_ONLY = "reference_only"  # 仅供参考


class Effect(enum.StrEnum):
    """System effects the platform enforces (RULES.md §2)."""

    BAR_BIDDING = "bar_bidding"
    BAR_SELECTION = "bar_selection"
    RAISE_INSPECTION_RATIO = "raise_inspection_ratio"
    DIRECTORY_DEMOTION = "directory_demotion"
    NO_TOLERANCE_ACCEPTANCE = "no_tolerance_acceptance"  # no 容缺受理
    PUBLIC_DISCLOSURE = "public_disclosure"
    DIRECTORY_PRIORITY = "directory_priority"
    LOWER_INSPECTION_RATIO = "lower_inspection_ratio"
    FAST_TRACK = "fast_track"


class Measure(Base):
    __tablename__ = "credit_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    content: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    initiating_department: Mapped[str] = mapped_column(String(200))
    implementing_department: Mapped[str] = mapped_column(String(200))
    is_reward: Mapped[bool] = mapped_column(default=False)
    trigger: Mapped[MeasureTrigger] = mapped_column(enum_column(MeasureTrigger))
    trigger_value: Mapped[str | None] = mapped_column(String(10))
    method: Mapped[ApplicationMethod] = mapped_column(enum_column(ApplicationMethod, 30))
    effect: Mapped[Effect] = mapped_column(enum_column(Effect, 40))
    public_funds_only: Mapped[bool] = mapped_column(default=False)  # e.g. bar on public money
    active: Mapped[bool] = mapped_column(default=True)


class Execution(Base):
    """Feedback each time a module applies a measure to a subject (一处失信、处处受限)."""

    __tablename__ = "credit_execution"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("credit_subject.id"), index=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("credit_measure.id"))
    module: Mapped[str] = mapped_column(String(40))  # market / inspection / …
    context: Mapped[str] = mapped_column(String(200))  # what was blocked or flagged
    at: Mapped[datetime] = mapped_column(default=utcnow)

    subject: Mapped[CreditSubject] = relationship()
    measure: Mapped[Measure] = relationship(lazy="joined")


# --- Credit repair (信用修复) and exit (退出) ----------------------------------------------

class RepairStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REFUSED = "refused"


class RepairApplication(Base):
    __tablename__ = "credit_repair"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("credit_subject.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("credit_record.id"))
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("credit_severe_listing.id"))
    status: Mapped[RepairStatus] = mapped_column(enum_column(RepairStatus), index=True)
    obligations_statement: Mapped[str] = mapped_column(Text)  # how obligations were met
    evidence: Mapped[str] = mapped_column(Text)
    evidence_file: Mapped[str | None] = mapped_column(String(80))
    # Set in the same operation, just after the row: the commitment's context names the
    # application ("repair:<id>"), so the application's id must exist first.
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("credit_commitment.id"))
    submitted_at: Mapped[datetime]
    decide_by: Mapped[datetime]  # 5 working days after submission
    overdue_flagged_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)

    subject: Mapped[CreditSubject] = relationship()
    record: Mapped[CreditRecord | None] = relationship()


class ExitReason(enum.StrEnum):
    SEVERE_LIST = "severe_list"
    COMPLAINTS = "complaints"  # three substantiated complaints within 12 months
    FRAUDULENT_REGISTRATION = "fraudulent_registration"


class Delisting(Base):
    """Exit (清退): a delisted agency cannot bid and is hidden from the directory until
    `until`, then may re-enter."""

    __tablename__ = "credit_delisting"
    __table_args__ = (UniqueConstraint("subject_id", "reason", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("credit_subject.id"), index=True)
    reason: Mapped[ExitReason] = mapped_column(enum_column(ExitReason, 30))
    detail: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date]
    until: Mapped[date]
    ended_on: Mapped[date | None]

    subject: Mapped[CreditSubject] = relationship()

