"""The task PDFs from already-loaded, already-labelled data; no queries (ARCHITECTURE.md
"Layout"): the inspection notice (随机抽查告知书, to the agency) and the record form
(检查记录表). Each page carries the document number and a QR code of the task's public
page, where the drawn task, and once published its result, can be checked (core/pdf.py)."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph

from core.pdf import Styles, build_document, table

NOTICE_PREFIX = "JCGZ"  # 抽查告知(书)
RECORD_PREFIX = "JCJL"  # 检查记录(表)


@dataclass(frozen=True)
class SheetItem:
    code: str
    name: str
    legal_basis: str
    method: str


@dataclass(frozen=True)
class SheetInspector:
    name: str
    department: str
    certificate_no: str


@dataclass(frozen=True)
class TaskSheet:
    """What both documents say about one task."""

    document_number: str
    verify_url: str
    task_number: str
    plan_number: str
    plan_name: str
    lead_department: str
    agency_name: str
    agency_uscc: str
    agency_address: str
    window_ends_on: date
    items: tuple[SheetItem, ...]
    team: tuple[SheetInspector, ...]
    result: str = ""  # national wording of the result code
    findings: str = ""
    inspected_on: date | None = None
    rectification_order: str = ""
    rectification_due_on: date | None = None
    follow_up: str = ""


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _facts(sheet: TaskSheet, styles: Styles, extra: list[list[str]] = ()):
    rows = [[_("Task number"), sheet.task_number],
            [_("Plan"), f"{sheet.plan_number} {sheet.plan_name}"],
            [_("Lead department"), sheet.lead_department],
            [_("Inspected agency"), sheet.agency_name],
            [_("Unified social credit code"), sheet.agency_uscc],
            [_("Address"), sheet.agency_address], *extra]
    return table(rows, col_widths=[45 * mm, 125 * mm], header=False, styles=styles)


def _items(sheet: TaskSheet, styles: Styles):
    rows = [[_("Code"), _("Inspection item"), _("Legal basis"), _("Inspection method")]]
    rows += [[i.code, i.name, i.legal_basis, i.method] for i in sheet.items]
    return table(rows, col_widths=[25 * mm, 45 * mm, 65 * mm, 35 * mm], styles=styles)


def _team(sheet: TaskSheet, styles: Styles):
    rows = [[_("Inspector"), _("Department"), _("Enforcement certificate no.")]]
    rows += [[m.name, m.department, m.certificate_no] for m in sheet.team]
    return table(rows, col_widths=[45 * mm, 75 * mm, 50 * mm], styles=styles)


def notice_pdf(sheet: TaskSheet) -> bytes:
    return build_document(_("Random inspection notice"), sheet.document_number,
                          sheet.verify_url, lambda styles: _notice_story(sheet, styles))


def _notice_story(sheet: TaskSheet, styles: Styles) -> list:
    return [
        Paragraph(_("%(agency)s: under the double-random, one-public inspection plan below, "
                    "your organisation has been drawn by a verifiable random draw for "
                    "inspection on the following items by the following team.",
                    agency=sheet.agency_name), styles.body),
        _facts(sheet, styles, [[_("Inspection window ends"), _day(sheet.window_ends_on)]]),
        Paragraph(_("Inspection items"), styles.heading), _items(sheet, styles),
        Paragraph(_("Inspection team"), styles.heading), _team(sheet, styles),
        Paragraph(_("Your rights"), styles.heading),
        Paragraph(_("The inspectors must show their enforcement certificates. You may ask "
                    "an inspector with a conflict of interest to withdraw, state your case "
                    "and submit evidence. The result will be made public and recorded in "
                    "your credit file; you may object to it or apply for administrative "
                    "reconsideration or litigation under the law."), styles.body),
    ]


def record_pdf(sheet: TaskSheet) -> bytes:
    return build_document(_("Inspection record form"), sheet.document_number,
                          sheet.verify_url, lambda styles: _record_story(sheet, styles))


def _record_story(sheet: TaskSheet, styles: Styles) -> list:
    result = [[_("Inspection ended on"), _day(sheet.inspected_on)],
              [_("Inspection result"), sheet.result], [_("Findings"), sheet.findings],
              [_("Rectification order"), sheet.rectification_order],
              [_("Rectify by"), _day(sheet.rectification_due_on)],
              [_("Rectification follow-up"), sheet.follow_up]]
    return [
        _facts(sheet, styles),
        Paragraph(_("Inspection items"), styles.heading), _items(sheet, styles),
        Paragraph(_("Inspection result"), styles.heading),
        table(result, col_widths=[45 * mm, 125 * mm], header=False, styles=styles),
        Paragraph(_("Inspectors"), styles.heading), _team(sheet, styles),
    ]
