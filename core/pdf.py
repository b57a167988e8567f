"""Shared PDF toolkit: CJK font, page template, paragraph styles and a table helper.

Domain ``pdf.py`` modules pass already-loaded data and get bytes back; nothing here queries
the database. Every page carries the title, the document number (文书编号), the issuer, the
page number and a QR code of the public verification URL, so a printed page can be checked
on its own.
"""

import io
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from flask import current_app, has_app_context
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

log = logging.getLogger(__name__)

FONT_CONFIG_KEY = "PDF_CJK_FONT"
FONT_ENV = "INTERMART_PDF_FONT"
# Built into ReportLab and every PDF reader's Adobe-GB1 support: works with no font file,
# but is referenced rather than embedded, so the reader supplies the glyphs.
FALLBACK_FONT = "STSong-Light"
DEFAULT_ISSUER = "网上中介服务超市"

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
# TrueType-outline fonts first: ReportLab cannot embed CFF ("postscript") outlines, and
# Debian's fonts-noto-cjk NotoSansCJK-Regular.ttc is CFF, so it is tried last and skipped.
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
_CJK_FILE_NAME = re.compile(
    r"cjk|wqy|zenhei|microhei|droidsansfallback|uming|ukai|simsun|simhei|sourcehan"
    r"|notos(ans|erif)(sc|tc|hk|jp|kr)",
    re.IGNORECASE,
)

# Resolved font per configured path (None = nothing configured): register once per process.
_font_names: dict[str | None, str] = {}


# --- fonts -------------------------------------------------------------------------------


def cjk_font_name(path: str | None = None) -> str:
    """Name of the registered CJK font: the given or configured file, else one found on
    the machine, else ReportLab's built-in STSong-Light."""
    path = path or _configured_font_path()
    if path not in _font_names:
        _font_names[path] = _register_first([path] if path else [])
    return _font_names[path]


def _configured_font_path() -> str | None:
    if has_app_context() and (path := current_app.config.get(FONT_CONFIG_KEY)):
        return str(path)
    return os.environ.get(FONT_ENV) or None


def _found_font_paths() -> list[str]:
    found = [p for p in KNOWN_FONTS if os.path.isfile(p)]
    for folder in FONT_DIRS:
        for pattern in ("**/*.ttf", "**/*.ttc"):
            found += sorted(str(p) for p in Path(folder).glob(pattern)
                            if _CJK_FILE_NAME.search(p.name))
    return list(dict.fromkeys(found))  # known locations first, no duplicates


def _register_first(configured: list[str]) -> str:
    # A configured font that fails to load only warns: the document still gets printed.
    for path in configured + _found_font_paths():
        if name := _register_truetype(path):
            return name
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    _register_family(FALLBACK_FONT)
    return FALLBACK_FONT


def _register_truetype(path: str) -> str | None:
    name = f"IntermartCJK-{Path(path).stem}"
    try:
        # subfontIndex=0 picks the first face of a .ttc collection; ignored for a .ttf.
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    except (TTFError, OSError) as exc:
        log.warning("PDF font %s not usable: %s", path, exc)
        return None
    _register_family(name)
    return name


def _register_family(name: str) -> None:
    # One weight only: map bold/italic to the same face so <b> in a Paragraph does not fail.
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)


# --- styles and tables -------------------------------------------------------------------


@dataclass(frozen=True)
class Styles:
    """Paragraph styles in the CJK font; ``wordWrap='CJK'`` lets lines break between
    Chinese characters, which have no spaces."""

    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle


def make_styles(font_name: str | None = None) -> Styles:
    font = font_name or cjk_font_name()

    def style(name: str, size: float, **kw) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.5,
                              wordWrap="CJK", **kw)

    return Styles(
        title=style("Title", 18, alignment=TA_CENTER, spaceAfter=6 * mm),
        heading=style("Heading", 13, spaceBefore=4 * mm, spaceAfter=2 * mm),
        body=style("Body", 10.5, spaceAfter=2 * mm),
        small=style("Small", 8, textColor=colors.grey),
        cell=style("Cell", 9),
    )


def table(rows: Sequence[Sequence[object]], col_widths: Sequence[float] | None = None,
          header: bool = True, styles: Styles | None = None) -> Table:
    """A grid table; strings are escaped and wrapped in Paragraphs so long CJK text wraps
    inside its cell. Flowables pass through; None becomes an empty cell."""
    cell_style = (styles or make_styles()).cell
    data = [[_cell(value, cell_style) for value in row] for row in rows]
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")))
    return Table(data, colWidths=col_widths, repeatRows=1 if header else 0,
                 style=TableStyle(commands))


def _cell(value: object, style: ParagraphStyle) -> Flowable:
    if isinstance(value, Flowable):
        return value
    return Paragraph(escape("" if value is None else str(value)), style)


# --- document numbers and QR codes ---------------------------------------------------------


def document_number(prefix: str, year: int, sequence: int) -> str:
    """``PREFIX-YYYY-NNNNNN``: upper-case letters, the four-digit year, the sequence within
    that year zero-padded to six digits, e.g. ``document_number("XYBG", 2026, 123)`` is
    ``"XYBG-2026-000123"``. Fixed width keeps numbers sortable and easy to read out."""
    if not re.fullmatch(r"[A-Z]+", prefix):
        raise ValueError(f"document number prefix must be upper-case letters: {prefix!r}")
    if not 1000 <= year <= 9999:
        raise ValueError(f"document number year must have four digits: {year}")
    if not 1 <= sequence <= 999_999:
        raise ValueError(f"document number sequence out of range 1..999999: {sequence}")
    return f"{prefix}-{year:04d}-{sequence:06d}"


def qr_drawing(url: str, size: float = 20 * mm) -> Drawing:
    """A square Drawing holding a QR code of ``url``."""
    widget = QrCodeWidget(url, barBorder=0)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


# --- page template -------------------------------------------------------------------------

MARGIN = 20 * mm
QR_SIZE = 20 * mm
QR_BOTTOM = 13 * mm
HEADER_LINE = A4[1] - 16 * mm
FOOTER_LINE = QR_BOTTOM + QR_SIZE + 3 * mm


@dataclass(frozen=True)
class DocumentHeader:
    """What every page repeats; ``draw`` is the platypus onPage callback."""

    title: str
    document_number: str
    verify_url: str
    issuer: str
    font: str

    def draw(self, canvas: Canvas, doc: SimpleDocTemplate) -> None:
        width, _ = A4
        right = width - MARGIN
        canvas.saveState()
        canvas.setStrokeColor(colors.grey)
        canvas.setLineWidth(0.5)
        canvas.setFont(self.font, 9)
        canvas.drawString(MARGIN, HEADER_LINE + 2 * mm, self.title)
        canvas.drawRightString(right, HEADER_LINE + 2 * mm, f"文书编号：{self.document_number}")
        canvas.line(MARGIN, HEADER_LINE, right, HEADER_LINE)
        canvas.line(MARGIN, FOOTER_LINE, right, FOOTER_LINE)
        canvas.drawString(MARGIN, FOOTER_LINE - 6 * mm, f"出具单位：{self.issuer}")
        canvas.drawCentredString(width / 2, FOOTER_LINE - 6 * mm, f"第 {doc.page} 页")
        qr_drawing(self.verify_url, QR_SIZE).drawOn(canvas, right - QR_SIZE, QR_BOTTOM)
        canvas.setFont(self.font, 6.5)
        canvas.drawRightString(right, QR_BOTTOM - 3.5 * mm, self.verify_url)
        canvas.restoreState()


def build_document(title: str, document_number: str, verify_url: str,
                   story_builder: Callable[[Styles], Iterable[Flowable]],
                   issuer: str = DEFAULT_ISSUER) -> bytes:
    """Render an A4 PDF: the title, then the flowables ``story_builder`` makes from the
    shared styles, on pages carrying the header, footer and verification QR code."""
    font = cjk_font_name()
    styles = make_styles(font)
    header = DocumentHeader(title, document_number, verify_url, issuer, font)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=A4[1] - HEADER_LINE + 6 * mm, bottomMargin=FOOTER_LINE + 4 * mm,
        title=title, author=issuer, subject=f"{title} {document_number}",
        creator="Intermart", keywords=[document_number, verify_url],
    )
    story = [Paragraph(escape(title), styles.title), Spacer(0, 2 * mm)]
    story += list(story_builder(styles))
    doc.build(story, onFirstPage=header.draw, onLaterPages=header.draw)
    return buffer.getvalue()
