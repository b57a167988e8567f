"""Marketplace models: catalogues (regions, qualification types, service items) and the
agency and owner profiles (RULES.md §1 "Principles")."""

import enum
from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
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
