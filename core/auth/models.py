"""Organisations and their users.

An organisation is an agency, an owner (enterprise or public body) or a department
(regulator); the platform admin belongs to none. Domain profiles (market.Agency,
market.Owner) hang off the organisation by id.
"""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow


class OrgKind(enum.StrEnum):
    AGENCY = "agency"
    OWNER = "owner"
    DEPARTMENT = "department"


class Role(enum.StrEnum):
    ORG_ADMIN = "org_admin"
    STAFF = "staff"
    INSPECTOR = "inspector"  # department users only
    PLATFORM_ADMIN = "platform_admin"


def enum_column(enum_cls, length: int = 20):
    """Store the enum's value as a plain string (portable, readable in SQL)."""
    return Enum(enum_cls, native_enum=False, length=length,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind), index=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="organisation")


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def org_kind(self) -> OrgKind | None:
        return self.organisation.kind if self.organisation else None

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles
