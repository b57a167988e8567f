"""双公示 pages (RULES.md §2): the public licence and penalty lists, their detail pages and
CSV export; for departments the entry forms, their own entries and the CSV import.

The import checks every row first. If any row fails, nothing is imported and the errors are
listed; the user may then choose to import the valid rows, a second submit that refers to the
upload by a random token: the file waits under UPLOAD_DIR (never in the cookie session) and
only its uploader can use it.
"""

import secrets
import time
from datetime import date
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.utils import secure_filename

from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role
from core.errors import DomainError
from core.extensions import db
from core.uploads import too_large_message
from credit import disclosure_csv as csvdef
from credit.disclosure_csv import CsvRejected, DisclosureKind, FieldInvalid, ParsedRow
from credit.forms.disclosure import FORMS, ConfirmImportForm, ImportForm
from credit.operations import disclosure as ops
from credit.queries import disclosure as queries
from credit.queries.subjects import is_regulator
from credit.views import bp

PAGE_SIZE = 20
KINDS = {"licences": DisclosureKind.LICENCE, "penalties": DisclosureKind.PENALTY}
KIND_SEGMENT = "<any(licences, penalties):kinds>"
STASH_MAX_AGE = 24 * 3600  # an upload not confirmed within a day is deleted

regulator_required = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.DEPARTMENT)


def _kind(kinds: str) -> DisclosureKind:
    return KINDS[kinds]


def _titles(kind: DisclosureKind) -> dict[str, str]:
    if kind == DisclosureKind.LICENCE:
        return {"list": _("Administrative licences"), "new": _("New administrative licence"),
                "import": _("Import administrative licences")}
    return {"list": _("Administrative penalties"), "new": _("New administrative penalty"),
            "import": _("Import administrative penalties")}


def _department_id() -> int | None:
    return current_user.organisation_id if is_regulator(current_user) else None


# --- Public lists, detail pages and export ----------------------------------------------------

def _list(kind: DisclosureKind, kinds: str):
    """Public: licences, and penalties inside their display window. `mine=1`: a department's
    own entries, penalties past their window included."""
    mine = request.args.get("mine") == "1"
    if mine and _department_id() is None:
        abort(403)
    text = request.args.get("q", "")
    page = queries.page(kind, text, request.args.get("page", 1, type=int), PAGE_SIZE,
                        department_id=_department_id() if mine else None)
    return render_template("credit/disclosure_list.html", kind=kind, kinds=kinds, page=page,
                           q=text, mine=mine, titles=_titles(kind),
                           is_regulator=is_regulator(current_user))


@bp.get("/licences")
def licences():
    return _list(DisclosureKind.LICENCE, "licences")


@bp.get("/penalties")
def penalties():
    return _list(DisclosureKind.PENALTY, "penalties")


@bp.get(f"/{KIND_SEGMENT}/<int:disclosure_id>")
def disclosure_detail(kinds: str, disclosure_id: int):
    kind = _kind(kinds)
    disclosure = queries.disclosure(kind, disclosure_id)
    if disclosure is None:
        abort(404)
    displayed = queries.is_displayed(disclosure)
    if not displayed and not is_regulator(current_user):
        abort(404)  # past its window or repaired: no longer public
    return render_template("credit/disclosure_detail.html", kind=kind, kinds=kinds,
                           disclosure=disclosure, values=queries.national_values(disclosure),
                           columns=csvdef.COLUMNS[kind], displayed=displayed,
                           titles=_titles(kind), format_value=csvdef.format_value)


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    try:
        return csvdef.parse_date(raw) if raw else None
    except FieldInvalid as invalid:
        abort(400, f"{name}: {invalid}")


@bp.get(f"/{KIND_SEGMENT}/export.csv")
def disclosure_export(kinds: str):
    """The national field set as CSV (UTF-8 with BOM, for Excel), by decision date. Public:
    what is publicly displayed; `mine=1`: everything the user's department entered."""
    kind = _kind(kinds)
    department_id = None
    if request.args.get("mine") == "1":
        department_id = _department_id()
        if department_id is None:
            abort(403)
    date_from, date_to = _date_arg("from"), _date_arg("to")
    rows = queries.for_export(kind, date_from, date_to, department_id)
    content = csvdef.to_csv(kind, (queries.national_values(row) for row in rows))
    filename = f"{kinds}-{queries.local_today():%Y%m%d}.csv"
    return Response(content, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.app_template_global()
def subject_disclosures(subject, include_hidden: bool = False) -> tuple[list, list]:
    """(licences, penalties) for templates/credit/_subject_disclosure.html."""
    return queries.for_subject(subject.uscc, include_hidden)


@bp.app_template_global()
def disclosure_displayed(disclosure) -> bool:
    """Whether a licence or penalty is publicly displayed today."""
    return queries.is_displayed(disclosure)


# --- Entry forms ------------------------------------------------------------------------------

def _defaults(kind: DisclosureKind) -> dict[str, str]:
    """The user's department as authority and data source, to save typing."""
    org = current_user.organisation
    prefix = "xk" if kind == DisclosureKind.LICENCE else "cf"
    authority, source = ("xkjg", "lydw") if prefix == "xk" else ("cfjg", "sjly")
    defaults = {f"{prefix}_{authority}": org.name, f"{prefix}_{source}": org.name}
    if org.uscc:
        defaults |= {f"{prefix}_{authority}dm": org.uscc, f"{prefix}_{source}dm": org.uscc}
    if prefix == "xk":
        defaults["xk_zt"] = "1"
    return defaults


@bp.route(f"/{KIND_SEGMENT}/new", methods=["GET", "POST"])
@regulator_required
def disclosure_new(kinds: str):
    kind = _kind(kinds)
    form_class = FORMS[kind]
    form = form_class() if request.method == "POST" else form_class(data=_defaults(kind))
    if form.validate_on_submit():
        create = ops.record_licence if kind == DisclosureKind.LICENCE else ops.record_penalty
        try:
            disclosure = create(form.row, current_user.organisation)
        except ops.DuplicateDisclosure as error:
            form[csvdef.decision_number(kind).code].errors.append(str(error))
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Saved and published."), "success")
            return redirect(url_for("credit.disclosure_detail", kinds=kinds,
                                    disclosure_id=disclosure.id))
    return render_template("credit/disclosure_form.html", form=form, kind=kind, kinds=kinds,
                           titles=_titles(kind))


# --- CSV import -------------------------------------------------------------------------------

def _stash_dir() -> Path:
    directory = Path(current_app.config["UPLOAD_DIR"]) / "csv-import"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _stash_path(kind: DisclosureKind, token: str) -> Path:
    # The uploader's id is part of the name: another user's token finds nothing.
    return _stash_dir() / f"{kind}-{current_user.id}-{token}.csv"


def _stash(kind: DisclosureKind, content: bytes) -> str:
    directory = _stash_dir()
    for old in directory.glob("*.csv"):
        if time.time() - old.stat().st_mtime > STASH_MAX_AGE:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    with open(_stash_path(kind, token), "xb") as out:
        out.write(content)
    return token


def _unstash(kind: DisclosureKind, token: str) -> bytes | None:
    path = _stash_path(kind, token)
    return path.read_bytes() if path.is_file() else None


def _checked_rows(kind: DisclosureKind, content: bytes) -> list[ParsedRow]:
    """Every row checked on its own, against the rest of the file and against what is
    already disclosed (the same decision for the same subject is refused)."""
    rows = csvdef.read(kind, content, queries.local_today())
    existing = queries.existing_keys(kind, (row.key for row in rows if row.ok))
    wsh = csvdef.decision_number(kind)
    for row in rows:
        if row.ok and row.key in existing:
            row.add_error(wsh, _("Already disclosed for this party: this decision number was "
                                 "imported or entered before."))
    return rows


def _import(kind: DisclosureKind, kinds: str, rows: list[ParsedRow], source: str):
    created = ops.import_rows(kind, rows, current_user.organisation, source)
    db.session.commit()
    flash(_("%(n)d rows imported.", n=len(created)), "success")
    return redirect(url_for(f"credit.{kinds}", mine="1"))


def _report(kind: DisclosureKind, kinds: str, rows: list[ParsedRow], token: str,
            confirm: ConfirmImportForm | None = None):
    confirm = confirm or ConfirmImportForm(token=token)
    errors = [error for row in rows for error in row.errors]
    return render_template("credit/disclosure_import.html", kind=kind, kinds=kinds,
                           form=ImportForm(), confirm=confirm, errors=errors,
                           valid_count=sum(row.ok for row in rows),
                           invalid_count=sum(not row.ok for row in rows),
                           titles=_titles(kind), columns=csvdef.COLUMNS[kind])


def _read_upload(form: ImportForm) -> bytes | None:
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    content = form.file.data.read(limit + 1)
    if len(content) > limit:
        form.file.errors.append(too_large_message(limit))
        return None
    return content


@bp.route(f"/{KIND_SEGMENT}/import", methods=["GET", "POST"])
@regulator_required
def disclosure_import(kinds: str):
    kind = _kind(kinds)
    form = ImportForm()
    if form.validate_on_submit() and (content := _read_upload(form)) is not None:
        try:
            rows = _checked_rows(kind, content)
        except CsvRejected as rejected:
            form.file.errors.append(str(rejected))
        else:
            if all(row.ok for row in rows):
                return _import(kind, kinds, rows, secure_filename(form.file.data.filename))
            return _report(kind, kinds, rows, _stash(kind, content))
    return render_template("credit/disclosure_import.html", kind=kind, kinds=kinds, form=form,
                           confirm=None, titles=_titles(kind), columns=csvdef.COLUMNS[kind])


@bp.post(f"/{KIND_SEGMENT}/import/confirm")
@regulator_required
def disclosure_import_confirm(kinds: str):
    """The second submit: import only the valid rows of the stashed upload."""
    kind = _kind(kinds)
    confirm = ConfirmImportForm()
    content = _unstash(kind, confirm.token.data) if confirm.validate_on_submit() else None
    if content is None:
        flash(_("That upload is no longer available; please upload the file again."),
              "warning")
        return redirect(url_for("credit.disclosure_import", kinds=kinds))
    rows = _checked_rows(kind, content)  # again: things may have changed since the upload
    valid = [row for row in rows if row.ok]
    if not confirm.import_valid.data:
        confirm.import_valid.errors.append(
            _("Tick the box to import the valid rows, or correct the file and upload it."))
        return _report(kind, kinds, rows, confirm.token.data, confirm)
    if not valid:
        flash(_("No row of the file is valid; nothing was imported."), "danger")
        return _report(kind, kinds, rows, confirm.token.data, confirm)
    response = _import(kind, kinds, valid, f"upload {confirm.token.data}")
    _stash_path(kind, confirm.token.data).unlink(missing_ok=True)
    return response
