"""The credit report (信用报告) PDF, from already-loaded, already-labelled data; no queries.

It carries what the public credit page shows: the subject, its level and score with the four
parts, and the publicly displayed records; every page carries the document number and the QR
code of its verification URL (core/pdf.py).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from core.pdf import Styles, build_document, table


@dataclass(frozen=True)
class ReportPart:
    label: str
    baseline: Decimal
    value: Decimal


@dataclass(frozen=True)
class ReportRecord:
    occurred_on: date
    kind: str
    title: str
    source_department: str
    points: Decimal | None  # None: not part of the score


@dataclass(frozen=True)
class CreditReport:
    number: str
    verify_url: str
    issued_on: date
    name: str
    uscc: str
    level: str  # already labelled, e.g. "B" or "New (treated as B)"
    score: Decimal
    parts: list[ReportPart]
    records: list[ReportRecord]


def credit_report_pdf(report: CreditReport) -> bytes:
    return build_document(_("Credit report"), report.number, report.verify_url,
                          lambda styles: _story(report, styles))


def _story(report: CreditReport, styles: Styles) -> list:
    subject = table([
        [_("Name"), report.name],
        [_("Unified social credit code"), report.uscc],
        [_("Credit level"), report.level],
        [_("Credit score"), f"{report.score}"],
        [_("Score as of"), report.issued_on.isoformat()],
    ], col_widths=[45 * mm, 125 * mm], header=False, styles=styles)
    parts = [[_("Part"), _("Starting value"), _("Value")]]
    parts += [[part.label, f"{part.baseline}", f"{part.value}"] for part in report.parts]
    parts.append([_("Total"), "", f"{report.score}"])
    story = [subject, Paragraph(_("Score"), styles.heading),
             table(parts, col_widths=[90 * mm, 40 * mm, 40 * mm], styles=styles),
             Paragraph(_("Publicly displayed credit records"), styles.heading)]
    if report.records:
        rows = [[_("Date"), _("Kind"), _("Record"), _("Source"), _("Points")]]
        rows += [[record.occurred_on.isoformat(), record.kind, record.title,
                  record.source_department,
                  "" if record.points is None else f"{record.points:+}"]
                 for record in report.records]
        story.append(table(rows, col_widths=[22 * mm, 30 * mm, 58 * mm, 40 * mm, 20 * mm],
                           styles=styles))
    else:
        story.append(Paragraph(_("No credit record is publicly displayed."), styles.body))
    story += [Spacer(0, 4 * mm), Paragraph(
        _("This report shows the information publicly displayed on the credit page on the "
          "date above. Scan the QR code or open the address below to verify it."),
        styles.small)]
    return story
