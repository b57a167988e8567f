"""Writes on organisations and users. Each flushes and audits; the caller commits."""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit
from core.auth.models import Organisation, OrgKind, Role, User
from core.auth.passwords import hash_password, verify_password
from core.db import utcnow
from core.errors import Conflict
from core.extensions import db


def _user_snapshot(user: User) -> dict:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "organisation_id": user.organisation_id, "active": user.active,
            "phone": user.phone, "email": user.email}


def username_taken(username: str) -> bool:
    return db.session.scalar(
        select(func.count()).select_from(User).where(func.lower(User.username) == username.lower())
    ) > 0


def uscc_taken(uscc: str) -> bool:
    return db.session.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.uscc == uscc)) > 0


def department_name_taken(name: str, exclude: Organisation | None = None) -> bool:
    query = select(func.count()).select_from(Organisation).where(
        Organisation.kind == OrgKind.DEPARTMENT, Organisation.name == name)
    if exclude is not None:
        query = query.where(Organisation.id != exclude.id)
    return db.session.scalar(query) > 0


def create_organisation(kind: OrgKind, name: str, uscc: str | None = None) -> Organisation:
    # Checked here, not left to the unique index, so a duplicate is a 409, not a 500.
    if uscc and uscc_taken(uscc):
        raise Conflict(_("The unified social credit code %(uscc)s is already registered.",
                         uscc=uscc))
    if kind == OrgKind.DEPARTMENT and department_name_taken(name):
        raise Conflict(_("A department named %(name)s already exists.", name=name))
    org = Organisation(kind=kind, name=name, uscc=uscc)
    db.session.add(org)
    db.session.flush()
    audit.record("organisation.create", "organisation", org.id,
                 after={"kind": kind, "name": name, "uscc": uscc})
    return org


def roles_for(organisation: Organisation | None) -> list[Role]:
    """The roles a user of `organisation` may hold; no organisation means platform admin."""
    if organisation is None:
        return [Role.PLATFORM_ADMIN]
    if organisation.kind == OrgKind.DEPARTMENT:
        return [Role.ORG_ADMIN, Role.STAFF, Role.INSPECTOR]
    return [Role.ORG_ADMIN, Role.STAFF]


def _check_role(role: Role, organisation: Organisation | None) -> None:
    if role == Role.INSPECTOR and (organisation is None or organisation.kind != OrgKind.DEPARTMENT):
        raise Conflict(_("Inspectors must belong to a department."))
    if role == Role.PLATFORM_ADMIN and organisation is not None:
        raise Conflict(_("Platform admins belong to no organisation."))


def create_user(username: str, password: str, display_name: str, role: Role,
                organisation: Organisation | None = None, phone: str | None = None,
                email: str | None = None) -> User:
    if username_taken(username):
        raise Conflict(_("The username %(name)s is already taken.", name=username))
    _check_role(role, organisation)
    user = User(username=username, password_hash=hash_password(password),
                display_name=display_name, role=role, organisation=organisation,
                phone=phone, email=email)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, after=_user_snapshot(user))
    return user


def update_user(user: User, **changes) -> User:
    if "role" in changes:
        _check_role(changes["role"], user.organisation)
    before = _user_snapshot(user)
    for field, value in changes.items():
        setattr(user, field, value)
    db.session.flush()
    audit.record("user.update", "user", user.id, before=before, after=_user_snapshot(user))
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    audit.record("user.password", "user", user.id)  # never the hash itself


def create_department(name: str, uscc: str | None, username: str, password: str,
                      display_name: str) -> tuple[Organisation, User]:
    """A regulator and its first org admin, who then manages the department's own users."""
    department = create_organisation(OrgKind.DEPARTMENT, name, uscc)
    admin = create_user(username, password, display_name, Role.ORG_ADMIN, department)
    return department, admin


def rename_organisation(org: Organisation, name: str) -> None:
    if org.kind == OrgKind.DEPARTMENT and department_name_taken(name, exclude=org):
        raise Conflict(_("A department named %(name)s already exists.", name=name))
    before = {"name": org.name}
    org.name = name
    db.session.flush()
    audit.record("organisation.rename", "organisation", org.id, before=before,
                 after={"name": name})


def _active_admin_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.PLATFORM_ADMIN, User.active.is_(True)))


def set_active(user: User, active: bool) -> None:
    """Disable or re-enable an account; the platform keeps at least one active admin."""
    if user.active == active:
        return
    if not active and user.role == Role.PLATFORM_ADMIN and _active_admin_count() <= 1:
        raise Conflict(_("The last active platform admin cannot be disabled."))
    user.active = active
    db.session.flush()
    audit.record("user.enable" if active else "user.disable", "user", user.id,
                 before={"active": not active}, after={"active": active})


def unlock(user: User) -> None:
    """Lift a lockout after failed sign-ins before it runs out."""
    before = {"locked_until": user.locked_until, "failed_logins": user.failed_logins}
    user.locked_until = None
    user.failed_logins = 0
    db.session.flush()
    audit.record("user.unlock", "user", user.id, before=before,
                 after={"locked_until": None, "failed_logins": 0})


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def authenticate(username: str, password: str) -> tuple[User | None, str | None]:
    """Check credentials and count failures; too many lock the account for a while.

    Returns (user, None) on success or (None, reason) where reason is
    'invalid', 'locked' or 'inactive'. Unknown usernames answer 'invalid' like a
    wrong password, so the form does not reveal which accounts exist.
    """
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        return None, "invalid"
    if is_locked(user):
        return None, "locked"
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            minutes = current_app.config["LOGIN_LOCKOUT_MINUTES"]
            user.locked_until = utcnow() + timedelta(minutes=minutes)
            user.failed_logins = 0
            audit.record("user.lock", "user", user.id, after={"locked_minutes": minutes},
                         actor=(None, "system"))
        db.session.flush()
        return None, "locked" if is_locked(user) else "invalid"
    if not user.active:
        return None, "inactive"
    user.failed_logins = 0
    user.last_login_at = utcnow()
    db.session.flush()
    return user, None
