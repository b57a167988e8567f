"""Qualification scans (checked by content, stored outside static/, served only to those
who may see them) and the sweeper that expires past-due certificates."""

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from core import uploads
from core.audit import AuditEntry
from core.auth.models import Role
from core.scheduler import SWEEPERS
from market import rules
from market.models import Qualification, QualificationStatus
from market.operations import agencies as operations
from tests.factories import (
    login,
    make_admin,
    make_agency,
    make_department,
    make_qualification_type,
    make_user,
)

PDF = b"%PDF-1.4\n%test certificate\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(content: bytes, filename: str = "scan.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename)


# --- core.uploads --------------------------------------------------------------------------

@pytest.mark.parametrize("content, kind", [
    (PDF, "pdf"), (PNG, "png"), (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpg"),
    (b"plain text", None), (b"GIF89a", None)])
def test_kind_is_sniffed_from_content(content, kind):
    assert uploads.sniff(content) == kind


def test_a_good_pdf_is_stored_outside_static_under_a_random_name(app):
    with app.test_request_context():
        stored = uploads.save_upload(upload(PDF, "../../etc/passwd.pdf"))
    path = Path(app.config["UPLOAD_DIR"]) / stored.name
    assert path.read_bytes() == PDF and stored.mime == "application/pdf"
    assert "passwd" not in stored.name and stored.name.endswith(".pdf")
    assert not path.resolve().is_relative_to(Path(app.static_folder).resolve())


@pytest.mark.parametrize("content, filename, words", [
    (b"just text", "renamed.pdf", "content was checked"),
    (b"", "empty.pdf", "empty"),
    (PDF, "scan.png", None),  # the name does not matter, the content does
])
def test_uploads_are_judged_by_content(app, content, filename, words):
    with app.test_request_context():
        if words is None:
            assert uploads.save_upload(upload(content, filename)).name.endswith(".pdf")
            return
        with pytest.raises(uploads.UploadRejected, match=words):
            uploads.save_upload(upload(content, filename))


def test_oversize_uploads_are_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 100)
    with app.test_request_context(), pytest.raises(uploads.UploadRejected, match="larger"):
        uploads.save_upload(upload(PDF + b"x" * 100))


def test_allowed_kinds_can_be_narrowed(app):
    with app.test_request_context(), pytest.raises(uploads.UploadRejected, match="PDF"):
        uploads.save_upload(upload(PNG), allowed={"pdf"})


def test_upload_dir_under_static_is_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(Path(app.static_folder) / "uploads"))
    with app.test_request_context(), pytest.raises(RuntimeError):
        uploads.save_upload(upload(PDF))


# --- Serving scans -------------------------------------------------------------------------

@pytest.fixture
def scanned(app, db_session):
    """An agency with a qualification whose scan is a stored PDF."""
    agency = make_agency(qualification_type=make_qualification_type())
    qualification = agency.qualifications[0]
    with app.test_request_context():
        operations.renew_qualification(qualification, qualification.expires_on,
                                       upload(PDF))
    db_session.commit()
    return qualification


def test_own_agency_users_departments_and_admins_see_the_scan(client, scanned):
    agency = scanned.agency
    viewers = [agency.organisation.users[0], make_user(Role.STAFF, agency.organisation),
               make_user(Role.INSPECTOR, make_department()), make_admin()]
    for viewer in viewers:
        login(client, viewer)
        response = client.get(f"/qualifications/{scanned.id}/scan")
        assert response.status_code == 200, viewer.username
        assert response.data == PDF and response.mimetype == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        client.post("/logout")


def test_other_users_get_403_and_unknown_scans_404(client, scanned, db_session):
    login(client, make_agency().organisation.users[0])
    assert client.get(f"/qualifications/{scanned.id}/scan").status_code == 403
    assert client.get("/qualifications/999999/scan").status_code == 404


def test_a_qualification_without_scan_is_404(client, db_session):
    agency = make_agency(qualification_type=make_qualification_type())
    login(client, agency.organisation.users[0])
    assert client.get(f"/qualifications/{agency.qualifications[0].id}/scan").status_code == 404


def test_anonymous_must_sign_in_for_a_scan(client, scanned):
    response = client.get(f"/qualifications/{scanned.id}/scan")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_stored_names_outside_the_pattern_are_never_served(app):
    from werkzeug.exceptions import NotFound

    with app.test_request_context(), pytest.raises(NotFound):
        uploads.send_upload("../secret_key")


# --- Rules ---------------------------------------------------------------------------------

def test_a_certificate_is_valid_through_its_expiry_day():
    day = date(2026, 5, 1)
    assert rules.qualification_status(day, day) == QualificationStatus.VALID
    assert rules.qualification_status(day, day + timedelta(days=1)) == \
        QualificationStatus.EXPIRED
    assert rules.qualification_state(day, day - timedelta(days=30)) == "expiring"
    assert rules.qualification_state(day, day - timedelta(days=31)) == "valid"
    assert rules.qualification_state(day, day + timedelta(days=1)) == "expired"


def test_today_is_the_shanghai_date():
    # 17:00 UTC on 10 March is already 01:00 on 11 March in Shanghai.
    assert rules.local_today(datetime(2026, 3, 10, 17, 0, tzinfo=UTC)) == date(2026, 3, 11)


# --- The sweeper ---------------------------------------------------------------------------

def _qualifications_expiring_on(*days: date) -> list[Qualification]:
    agency = make_agency(qualification_type=make_qualification_type(),
                         expires_on=date(2099, 12, 31))
    qualification_type = agency.qualifications[0].type
    for n, day in enumerate(days):
        agency.qualifications.append(Qualification(
            type=qualification_type, level="乙级", certificate_no=f"S{n}", issuer="省厅",
            expires_on=day))
    return agency.qualifications[1:]


def _expiry_audits(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "qualification.expire"))


def test_sweeper_is_registered_hourly():
    registered = SWEEPERS["market.expire_qualifications"]
    assert registered.trigger == {"trigger": "interval", "hours": 1}


def test_sweeper_expires_exactly_the_past_due_and_a_second_run_changes_nothing(db_session):
    today = date(2026, 3, 11)
    yesterday, long_ago, tomorrow = (today - timedelta(days=1), today - timedelta(days=400),
                                     today + timedelta(days=1))
    past_due, old, due_today, future = _qualifications_expiring_on(
        yesterday, long_ago, today, tomorrow)
    db_session.flush()
    sweep = SWEEPERS["market.expire_qualifications"].func

    # 17:30 UTC on 10 March: already 11 March in Shanghai, whose date is the one that counts.
    with time_machine.travel(datetime(2026, 3, 10, 17, 30, tzinfo=UTC), tick=False):
        assert sweep() == 2
        assert sweep() == 0

    db_session.expire_all()
    assert {q.certificate_no for q in (past_due, old)
            if q.status == QualificationStatus.EXPIRED} == {"S0", "S1"}
    assert due_today.status == future.status == QualificationStatus.VALID
    assert _expiry_audits(db_session) == 2
    entry = db_session.scalar(select(AuditEntry).where(
        AuditEntry.action == "qualification.expire", AuditEntry.entity_id == str(past_due.id)))
    assert entry.actor == "system"
    assert entry.before == {"status": "valid"}
    assert entry.after == {"status": "expired", "expires_on": yesterday.isoformat()}


def test_sweeper_leaves_already_expired_rows_alone(db_session):
    [qualification] = _qualifications_expiring_on(date(2026, 1, 1))
    qualification.status = QualificationStatus.EXPIRED
    db_session.flush()
    assert operations.expire_qualifications(date(2026, 6, 1)) == 0
    assert _expiry_audits(db_session) == 0
