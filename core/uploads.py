"""Uploaded files (qualification scans, later deliverables and evidence).

The kind of a file is decided by its content (magic bytes), never by its name or the
browser's content type, and files are stored under a random name in UPLOAD_DIR, outside
static/, so nothing uploaded is served without a permission check by the calling view.
"""

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_from_directory
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from core.errors import DomainError

# kind → (leading bytes, MIME type); the names below are the extensions files are stored with.
SIGNATURES = {
    "pdf": (b"%PDF-", "application/pdf"),
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}
DEFAULT_KINDS = frozenset(SIGNATURES)
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|jpg|png)$")


class UploadRejected(DomainError):
    """The file's content or size is not acceptable; the message says which."""


@dataclass(frozen=True)
class StoredFile:
    name: str  # random name under UPLOAD_DIR, e.g. "3f…9a.pdf"
    mime: str


def sniff(head: bytes) -> str | None:
    """The kind of file these leading bytes start, or None when none we know."""
    for kind, (magic, _mime) in SIGNATURES.items():
        if head.startswith(magic):
            return kind
    return None


def _allowed_names(allowed) -> str:
    return ", ".join(sorted(kind.upper() for kind in allowed))


def read_checked(file_storage: FileStorage, allowed=DEFAULT_KINDS) -> tuple[bytes, str]:
    """Read the whole upload and return (content, kind); UploadRejected when it is empty,
    too large (UPLOAD_MAX_BYTES) or not one of the `allowed` kinds by content.
    The stream is rewound, so a form validator may check a file an operation saves later."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    file_storage.stream.seek(0)
    content = file_storage.stream.read(limit + 1)
    file_storage.stream.seek(0)
    if not content:
        raise UploadRejected(_("The file is empty."))
    if len(content) > limit:
        raise UploadRejected(too_large_message(limit))
    kind = sniff(content)
    if kind not in allowed:
        raise UploadRejected(_("The file must be one of %(kinds)s; its content was checked, "
                               "not its name.", kinds=_allowed_names(allowed)))
    return content, kind


def _upload_dir() -> Path:
    directory = Path(current_app.config["UPLOAD_DIR"]).resolve()
    static = current_app.static_folder
    if static and directory.is_relative_to(Path(static).resolve()):
        # Anything under static/ is public without a permission check.
        raise RuntimeError("UPLOAD_DIR must not lie under static/")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def save_upload(file_storage: FileStorage, allowed=DEFAULT_KINDS) -> StoredFile:
    """Check the upload by content and size, then store it under a fresh random name."""
    content, kind = read_checked(file_storage, allowed)
    name = f"{secrets.token_hex(16)}.{kind}"
    with open(_upload_dir() / name, "xb") as out:  # "x": never overwrite an existing file
        out.write(content)
    return StoredFile(name=name, mime=SIGNATURES[kind][1])


def send_upload(name: str):
    """Serve a stored file. The caller has already checked that the user may see it."""
    match = _STORED_NAME.match(name or "")
    if match is None:
        raise NotFound()
    response = send_from_directory(_upload_dir(), name, mimetype=SIGNATURES[match[1]][1],
                                   max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def human_size(size: int) -> str:
    """5242880 → "5 MB", 100000 → "97.7 KB": readable limits in messages."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"


def too_large_message(limit: int) -> str:
    return _("The file is larger than %(size)s.", size=human_size(limit))
