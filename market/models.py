"""Marketplace models: catalogues (regions, qualification types, service items) and the
agency and owner profiles (RULES.md §1 "Principles")."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import Organisation, enum_column
from core.db import Base, utcnow


class Region(Base):
    """Administrative division (county / district) by its 6-digit code."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))


class QualificationType(Base):
    __tablename__ = "qualification_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))


class Pricing(enum.StrEnum):
    GOVERNMENT_GUIDED = "government_guided"  # 政府指导价
    MARKET = "market"  # 市场调节价


service_item_qualification = Table(
    "service_item_qualification",
    Base.metadata,
    Column("service_item_id", ForeignKey("service_item.id", ondelete="CASCADE"), primary_key=True),
    Column("qualification_type_id", ForeignKey("qualification_type.id"), primary_key=True),
)


class ServiceItem(Base):
    """A catalogued kind of intermediary service (the first of the three lists)."""

    __tablename__ = "service_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    statutory_days: Mapped[int]  # statutory time limit, working days
    pricing: Mapped[Pricing] = mapped_column(enum_column(Pricing))
    fee_basis: Mapped[str] = mapped_column(Text)  # document the fee rests on
    fee_standard: Mapped[str] = mapped_column(Text)  # standard or range as published
    active: Mapped[bool] = mapped_column(default=True)

    department: Mapped[Organisation] = relationship()
    required_qualifications: Mapped[list[QualificationType]] = relationship(
        secondary=service_item_qualification, order_by=QualificationType.code)


class AgencyStatus(enum.StrEnum):
    ACTIVE = "active"
    DELISTED = "delisted"  # exit (清退); decided by credit, RULES.md §2


class Agency(Base):
    """An intermediary service provider's public profile; listed the moment it registers."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    legal_representative: Mapped[str] = mapped_column(String(50))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(120))
    staff_count: Mapped[int]
    introduction: Mapped[str | None] = mapped_column(Text)
    commitment_text: Mapped[str] = mapped_column(Text)  # the credit commitment as signed
    commitment_signed_at: Mapped[datetime]
    status: Mapped[AgencyStatus] = mapped_column(enum_column(AgencyStatus),
                                                 default=AgencyStatus.ACTIVE, index=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(lazy="joined")
    services: Mapped[list["AgencyService"]] = relationship(
        back_populates="agency", cascade="all, delete-orphan")
    qualifications: Mapped[list["Qualification"]] = relationship(
        back_populates="agency", cascade="all, delete-orphan",
        order_by="Qualification.expires_on")

    @property
    def name(self) -> str:
        return self.organisation.name

    @property
    def uscc(self) -> str:
        return self.organisation.uscc or ""


class AgencyService(Base):
    """A service item an agency offers, with its fee schedule (the fees list)."""

    __tablename__ = "agency_service"
    __table_args__ = (UniqueConstraint("agency_id", "service_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    fee_schedule: Mapped[str] = mapped_column(Text)

    agency: Mapped[Agency] = relationship(back_populates="services")
    service_item: Mapped[ServiceItem] = relationship(lazy="joined")


class QualificationStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"  # set by the qualification sweeper once expires_on has passed


class Qualification(Base):
    """A declared qualification certificate; checked afterwards (事中事后监管), not before."""

    __tablename__ = "qualification"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"),
                                           index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("qualification_type.id"), index=True)
    level: Mapped[str] = mapped_column(String(30))
    certificate_no: Mapped[str] = mapped_column(String(60))
    issuer: Mapped[str] = mapped_column(String(100))
    expires_on: Mapped[date]
    status: Mapped[QualificationStatus] = mapped_column(enum_column(QualificationStatus),
                                                        default=QualificationStatus.VALID)
    scan_file: Mapped[str | None] = mapped_column(String(80))  # stored name under UPLOAD_DIR
    scan_mime: Mapped[str | None] = mapped_column(String(40))

    agency: Mapped[Agency] = relationship(back_populates="qualifications")
    type: Mapped[QualificationType] = relationship(lazy="joined")


class OwnerType(enum.StrEnum):
    ENTERPRISE = "enterprise"
    PUBLIC_BODY = "public_body"  # 机关事业单位


class Owner(Base):
    """A project owner (项目业主): an enterprise or a public body that posts jobs."""

    __tablename__ = "owner"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    owner_type: Mapped[OwnerType] = mapped_column(enum_column(OwnerType))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(lazy="joined")

    @property
    def name(self) -> str:
        return self.organisation.name


# --- Jobs and their life (RULES.md §1 "Job" … "Complaints") ------------------------------

class Funding(enum.StrEnum):
    PUBLIC = "public"  # 财政资金: competitive selection only
    PRIVATE = "private"
    MIXED = "mixed"  # treated as public for every rule about public money


class SelectionMethod(enum.StrEnum):
    DIRECT = "direct"  # 直接选取
    RANDOM = "random"  # 随机抽取
    LOWEST_PRICE = "lowest_price"  # 竞价·最低价
    OPTIMAL_PRICE = "optimal_price"  # 竞价·最优价
    CREDIT_BEST = "credit_best"  # 信用择优
    PROPOSAL = "proposal"  # 方案比选


class JobStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # bidding open
    CLOSED = "closed"  # deadline passed; selection pending (owner decides for some methods)
    SELECTED = "selected"  # a winner found, result about to be published
    PUBLICITY = "publicity"  # result public; objections possible for 3 working days
    AWARDED = "awarded"  # final; contract due within 5 working days
    CONTRACTED = "contracted"
    IN_SERVICE = "in_service"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    EVALUATED = "evaluated"
    FAILED = "failed"  # 流标
    CANCELLED = "cancelled"


class QualificationMode(enum.StrEnum):
    ANY = "any"
    ALL = "all"


job_qualification = Table(
    "job_qualification",
    Base.metadata,
    Column("job_id", ForeignKey("job.id", ondelete="CASCADE"), primary_key=True),
    Column("qualification_type_id", ForeignKey("qualification_type.id"), primary_key=True),
)


class Job(Base):
    """A job notice (采购公告) and everything decided about it."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)  # e.g. ZJ-2026-000012
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"), index=True)
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text)
    funding: Mapped[Funding] = mapped_column(enum_column(Funding))
    budget_ceiling: Mapped[Decimal]
    budget_floor: Mapped[Decimal | None]
    fixed_price: Mapped[Decimal | None]  # random selection: the owner fixes the price
    service_days: Mapped[int]  # promised working days from the contract
    qualification_mode: Mapped[QualificationMode] = mapped_column(
        enum_column(QualificationMode), default=QualificationMode.ANY)
    method: Mapped[SelectionMethod] = mapped_column(enum_column(SelectionMethod), index=True)
    direct_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    big_list_size: Mapped[int | None]  # credit best: keep the top N …
    small_list_size: Mapped[int | None]  # … and draw M of them
    weights: Mapped[dict | None] = mapped_column(JSON)  # proposal: {"price","technical","credit"}
    deadline: Mapped[datetime | None]  # bidding deadline
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.DRAFT,
                                              index=True)
    round: Mapped[int] = mapped_column(default=1)
    previous_job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draw.id"))  # committed at publish
    terms_version: Mapped[int] = mapped_column(default=1)  # bumps when published terms change
    # No foreign key: job and bid would reference each other (a cycle SQLite's batch
    # migrations cannot create); the selection operation sets it to one of the job's bids.
    winner_bid_id: Mapped[int | None]
    reference_price: Mapped[Decimal | None]  # optimal price: the computed reference
    coefficient: Mapped[Decimal | None]  # optimal price: the drawn coefficient
    result_note: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    fail_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    result_at: Mapped[datetime | None]
    publicity_ends_at: Mapped[datetime | None]
    awarded_at: Mapped[datetime | None]
    contract_due_at: Mapped[datetime | None]
    evaluation_due_at: Mapped[datetime | None]

    owner: Mapped[Owner] = relationship(lazy="joined")
    service_item: Mapped[ServiceItem] = relationship(lazy="joined")
    region: Mapped[Region] = relationship()
    required_qualifications: Mapped[list[QualificationType]] = relationship(
        secondary=job_qualification)
    avoidances: Mapped[list["JobAvoidance"]] = relationship(
        back_populates="job", cascade="all, delete-orphan")
    bids: Mapped[list["Bid"]] = relationship(back_populates="job", foreign_keys="Bid.job_id")

    @property
    def is_public_money(self) -> bool:
        return self.funding != Funding.PRIVATE


class JobAvoidance(Base):
    """回避: an agency excluded from a job, each with a public reason."""

    __tablename__ = "job_avoidance"
    __table_args__ = (UniqueConstraint("job_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    reason: Mapped[str] = mapped_column(Text)

    job: Mapped[Job] = relationship(back_populates="avoidances")
    agency: Mapped[Agency] = relationship()


class JobAttachment(Base):
    __tablename__ = "job_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80))
    original_name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(40))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class BidStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"  # by the agency before the deadline
    EXCLUDED = "excluded"  # e.g. an upheld objection against it, or a refused contract


class Bid(Base):
    """A sealed bid or sign-up. Its price is unreadable by anyone before the deadline
    (sealed bids, ARCHITECTURE.md); replacing a bid updates this row, audited without
    the price until the deadline."""

    __tablename__ = "bid"
    __table_args__ = (UniqueConstraint("job_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    price: Mapped[Decimal | None]  # None for sign-ups (random, credit best)
    proposal: Mapped[str | None] = mapped_column(Text)  # proposal method
    proposal_file: Mapped[str | None] = mapped_column(String(80))
    technical_score: Mapped[Decimal | None]  # owner's score, proposal method
    total_score: Mapped[Decimal | None]  # proposal method
    credit_score: Mapped[Decimal | None]  # snapshot at the deadline (credit best, proposal)
    status: Mapped[BidStatus] = mapped_column(enum_column(BidStatus), default=BidStatus.ACTIVE)
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("credit_commitment.id"))
    terms_version: Mapped[int] = mapped_column(default=1)  # the job terms it confirmed
    rank: Mapped[int | None]  # after selection: 1 = winner
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    job: Mapped[Job] = relationship(back_populates="bids", foreign_keys=[job_id])
    agency: Mapped[Agency] = relationship(lazy="joined")


class ObjectionStatus(enum.StrEnum):
    RAISED = "raised"
    ANSWERED = "answered"  # owner answered; bidder may ask the regulator within publicity
    UPHELD = "upheld"
    REJECTED = "rejected"


class Objection(Base):
    """异议 by a bidder during publicity (RULES.md "Publicity, objection, award")."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))  # the objecting bidder's bid
    reasons: Mapped[str] = mapped_column(Text)
    evidence_file: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[ObjectionStatus] = mapped_column(enum_column(ObjectionStatus),
                                                    default=ObjectionStatus.RAISED)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer_due_at: Mapped[datetime]
    owner_answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    job: Mapped[Job] = relationship()
    bid: Mapped[Bid] = relationship()


class ContractStatus(enum.StrEnum):
    UPLOADED = "uploaded"  # one side filed it; the other must confirm
    CONFIRMED = "confirmed"  # filed (合同备案); the service clock runs


class Contract(Base):
    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), unique=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    amount: Mapped[Decimal]
    amount_reason: Mapped[str | None] = mapped_column(Text)  # required if ≠ winning price
    stored_name: Mapped[str] = mapped_column(String(80))
    uploaded_by_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    status: Mapped[ContractStatus] = mapped_column(enum_column(ContractStatus),
                                                   default=ContractStatus.UPLOADED)
    service_due_on: Mapped[date | None]  # contract date + promised working days (+ extensions)
    overdue_recorded_at: Mapped[datetime | None]

    job: Mapped[Job] = relationship()
    bid: Mapped[Bid] = relationship()


class ExtensionStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class Extension(Base):
    __tablename__ = "contract_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    working_days: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ExtensionStatus] = mapped_column(enum_column(ExtensionStatus),
                                                    default=ExtensionStatus.REQUESTED)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)


class DeliverableStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"


class Deliverable(Base):
    __tablename__ = "deliverable"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80))
    original_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DeliverableStatus] = mapped_column(enum_column(DeliverableStatus),
                                                      default=DeliverableStatus.SUBMITTED)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    owner_note: Mapped[str | None] = mapped_column(Text)
    acceptance_overdue_at: Mapped[datetime | None]  # 180 days undecided: regulator told once


class Evaluation(Base):
    """一事一评: the owner's five ratings and the regulator's two, one row per job."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    quality: Mapped[int | None]
    timeliness: Mapped[int | None]
    attitude: Mapped[int | None]
    fees: Mapped[int | None]
    conduct: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    owner_rated_at: Mapped[datetime | None]
    regulator_quality: Mapped[int | None]
    regulator_compliance: Mapped[int | None]
    regulator_comment: Mapped[str | None] = mapped_column(Text)
    regulator_rated_at: Mapped[datetime | None]
    regulator_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))

    job: Mapped[Job] = relationship()


class ComplaintStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    SUBSTANTIATED = "substantiated"
    UNSUBSTANTIATED = "unsubstantiated"


class Complaint(Base):
    """投诉举报: anyone, with evidence; the competent regulator rules."""

    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))
    complainant_name: Mapped[str] = mapped_column(String(100))
    complainant_contact: Mapped[str] = mapped_column(String(100))
    complainant_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    content: Mapped[str] = mapped_column(Text)
    evidence_file: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[ComplaintStatus] = mapped_column(enum_column(ComplaintStatus),
                                                    default=ComplaintStatus.SUBMITTED)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    ruling: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    ruled_at: Mapped[datetime | None]

    agency: Mapped[Agency] = relationship()
