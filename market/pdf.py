"""The selection PDFs, from already-loaded, already-labelled data; no queries (ARCHITECTURE.md
"Layout"): the result notice (中选结果公告, public, with every bid) and the selection notice
(中选通知书, to the winner). Every page carries the document number and the QR code of the
job's public page, where the result can be checked (core/pdf.py)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from flask_babel import format_datetime
from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from core.pdf import Styles, build_document, table

RESULT_NOTICE_PREFIX = "ZXGG"  # 中选(结果)公告
SELECTION_NOTICE_PREFIX = "ZXTZ"  # 中选通知书


@dataclass(frozen=True)
class NoticeBid:
    rank: int | None
    agency: str
    uscc: str
    price: Decimal | None
    status: str  # already labelled


@dataclass(frozen=True)
class NoticeJob:
    """What both notices say about the job and its result."""

    number: str  # the document number
    verify_url: str
    job_number: str
    title: str
    owner: str
    service_item: str
    method: str  # already labelled
    funding: str  # already labelled
    winner: str
    winner_uscc: str
    winner_price: Decimal | None
    result_at: datetime | None
    publicity_ends_at: datetime | None = None
    reference_price: Decimal | None = None
    coefficient: Decimal | None = None
    result_note: str = ""
    awarded_at: datetime | None = None
    contract_due_at: datetime | None = None
    service_days: int | None = None
    bids: tuple[NoticeBid, ...] = ()


def _when(value: datetime | None) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _job_table(job: NoticeJob, styles: Styles, rows: list[list[str]]):
    base = [[_("Job number"), job.job_number], [_("Job"), job.title],
            [_("Project owner"), job.owner], [_("Service item"), job.service_item]]
    return table(base + rows, col_widths=[45 * mm, 125 * mm], header=False, styles=styles)


def result_notice_pdf(job: NoticeJob) -> bytes:
    return build_document(_("Selection result notice"), job.number, job.verify_url,
                          lambda styles: _result_story(job, styles))


def _result_story(job: NoticeJob, styles: Styles) -> list:
    rows = [[_("Selection method"), job.method], [_("Funding"), job.funding],
            [_("Selected agency"), job.winner], [_("Unified social credit code"),
                                                 job.winner_uscc],
            [_("Winning price (yuan)"), _money(job.winner_price)],
            [_("Result published"), _when(job.result_at)],
            [_("Publicity ends"), _when(job.publicity_ends_at)]]
    if job.reference_price is not None:
        rows += [[_("Drawn coefficient"), f"{job.coefficient}"],
                 [_("Reference price (yuan)"), _money(job.reference_price)]]
    story = [_job_table(job, styles, rows), Paragraph(_("All bids"), styles.heading)]
    bids = [[_("Rank"), _("Agency"), _("Unified social credit code"), _("Price (yuan)"),
             _("Status")]]
    bids += [["" if bid.rank is None else str(bid.rank), bid.agency, bid.uscc,
              _money(bid.price), bid.status] for bid in job.bids]
    story.append(table(bids, col_widths=[14 * mm, 58 * mm, 42 * mm, 30 * mm, 26 * mm],
                       styles=styles))
    if job.result_note:
        story += [Paragraph(_("How the result was found"), styles.heading),
                  Paragraph(escape(job.result_note), styles.body)]
    story += [Spacer(0, 4 * mm), Paragraph(
        _("Any bidder may raise an objection on the platform before publicity ends. Scan the "
          "QR code or open the address below to check this result."), styles.small)]
    return story


def selection_notice_pdf(job: NoticeJob) -> bytes:
    return build_document(_("Selection notice"), job.number, job.verify_url,
                          lambda styles: _selection_story(job, styles))


def _selection_story(job: NoticeJob, styles: Styles) -> list:
    rows = [[_("Selected agency"), job.winner],
            [_("Unified social credit code"), job.winner_uscc],
            [_("Winning price (yuan)"), _money(job.winner_price)],
            [_("Selection method"), job.method],
            [_("Awarded"), _when(job.awarded_at)],
            [_("Contract to be filed by"), _when(job.contract_due_at)]]
    if job.service_days:
        rows.append([_("Promised service time (working days)"), str(job.service_days)])
    return [
        Paragraph(escape(_("To %(agency)s:", agency=job.winner)), styles.body),
        Paragraph(_("Your bid for the job below has been selected and the publicity period "
                    "has ended. Please file the contract with the project owner on the "
                    "platform by the date below; failing to do so breaks your credit "
                    "commitment."), styles.body),
        _job_table(job, styles, rows),
        Spacer(0, 4 * mm),
        Paragraph(_("Scan the QR code or open the address below to check this notice."),
                  styles.small),
    ]
