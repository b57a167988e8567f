"""In-app notifications for every step a user must act on.

Addressed to an organisation (all its users see it) or to one user. Domains that know a
subject only by USCC (credit) address it through `notify_uscc`. When mail is configured
(core.mail) each notification is also emailed, after the commit, to the addressed user or to
the organisation's active users that have an email address.
"""

from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import ForeignKey, String, Text, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from core import mail
from core.auth.models import Organisation, User
from core.db import Base, utcnow
from core.extensions import db


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"),
                                                        index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


def notify(title: str, body: str = "", link: str | None = None, *,
           organisation_id: int | None = None, user_id: int | None = None) -> Notification:
    if organisation_id is None and user_id is None:
        raise ValueError("a notification needs an organisation or a user")
    note = Notification(organisation_id=organisation_id, user_id=user_id, title=title,
                        body=body, link=link)
    db.session.add(note)
    db.session.flush()
    _queue_email(note)
    return note


def _email_addresses(note: Notification) -> list[str]:
    query = select(User.email).where(User.active.is_(True), User.email.is_not(None),
                                     User.email != "")
    query = query.where(User.id == note.user_id) if note.user_id is not None \
        else query.where(User.organisation_id == note.organisation_id)
    return list(db.session.scalars(query.order_by(User.id)))


def _queue_email(note: Notification) -> None:
    """The notification as a mail, sent after the commit (core.mail)."""
    if not mail.is_configured():
        return
    body = note.body
    if note.link:
        relative = note.link.startswith("/")
        base = request.host_url.rstrip("/") if relative and has_request_context() else ""
        body = f"{body}\n\n{base}{note.link}".strip()
    mail.queue_mail(db.session(), _email_addresses(note), note.title, body)


def notify_uscc(uscc: str, title: str, body: str = "", link: str | None = None):
    """Notify the organisation registered under `uscc`, if any (None otherwise)."""
    org_id = db.session.scalar(select(Organisation.id).where(Organisation.uscc == uscc))
    if org_id is None:
        return None
    return notify(title, body, link, organisation_id=org_id)


def _for_user(user: User):
    return or_(Notification.user_id == user.id,
               Notification.organisation_id == user.organisation_id
               if user.organisation_id else False)


def inbox(user: User, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(_for_user(user))
                                   .order_by(Notification.id.desc()).limit(limit)))


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(_for_user(user), Notification.read_at.is_(None)))


def mark_read(user: User, notification_id: int) -> bool:
    note = db.session.get(Notification, notification_id)
    addressed = note is not None and (
        note.user_id == user.id
        or (note.organisation_id is not None and note.organisation_id == user.organisation_id))
    if not addressed:
        return False
    note.read_at = note.read_at or utcnow()
    db.session.flush()
    return True
