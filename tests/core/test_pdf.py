import io
import logging
from pathlib import Path

import pypdf
import pytest
import reportlab
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph

from core import pdf

COMPANY = "六安市华源测绘有限公司"
USCC = "91341500MA2NXXXX0X"
NUMBER = "XYBG-2026-000123"
URL = "https://intermart.test/verify/XYBG-2026-000123"
# A TrueType font that ships with ReportLab, so the embedding path runs on any machine.
VERA = str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")


@pytest.fixture(autouse=True)
def no_font_env(monkeypatch):
    monkeypatch.delenv(pdf.FONT_ENV, raising=False)


@pytest.fixture
def fresh_font_cache(monkeypatch):
    monkeypatch.setattr(pdf, "_font_names", {})


def credit_report(styles):
    return [
        Paragraph(f"机构名称：{COMPANY}", styles.body),
        pdf.table([["名称", "统一社会信用代码"], [COMPANY, USCC]], styles=styles),
    ]


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_chinese_text_number_and_url_are_extractable():
    """With whichever font this machine provides (STSong-Light when none is installed)."""
    data = pdf.build_document("信用报告", NUMBER, URL, credit_report)
    text = page_texts(data)[0]
    assert COMPANY in text
    assert USCC in text
    assert NUMBER in text
    assert URL in text
    assert "信用报告" in text


def test_builtin_stsong_fallback_is_extractable(monkeypatch, fresh_font_cache):
    monkeypatch.setattr(pdf, "_found_font_paths", lambda: [])
    assert pdf.cjk_font_name() == pdf.FALLBACK_FONT
    text = page_texts(pdf.build_document("信用报告", NUMBER, URL, credit_report))[0]
    assert COMPANY in text and USCC in text


def test_every_page_is_numbered_and_carries_number_and_url():
    def long_story(styles):
        return [Paragraph(f"第{i}条 {COMPANY}的检查结果。", styles.body) for i in range(150)]

    texts = page_texts(pdf.build_document("检查结果公示", NUMBER, URL, long_story))
    assert len(texts) > 1
    for page, text in enumerate(texts, start=1):
        assert f"第 {page} 页" in text
        assert NUMBER in text
        assert URL in text


def test_every_page_gets_a_qr_code_of_the_verify_url(monkeypatch):
    calls = []
    original = pdf.qr_drawing

    def spy(url, size):
        calls.append(url)
        return original(url, size)

    monkeypatch.setattr(pdf, "qr_drawing", spy)
    texts = page_texts(pdf.build_document("信用报告", NUMBER, URL, credit_report))
    assert calls == [URL] * len(texts)


def test_qr_drawing_encodes_the_url():
    drawing = pdf.qr_drawing(URL, 20 * mm)
    (widget,) = drawing.contents
    assert isinstance(widget, QrCodeWidget)
    assert widget.value == URL
    assert (drawing.width, drawing.height) == (20 * mm, 20 * mm)


def test_metadata():
    issuer = "六安市发展和改革委员会"
    data = pdf.build_document("信用报告", NUMBER, URL, credit_report, issuer=issuer)
    meta = pypdf.PdfReader(io.BytesIO(data)).metadata
    assert meta.title == "信用报告"
    assert meta.author == issuer
    assert NUMBER in meta.subject


def test_table_escapes_markup_and_wraps_cjk_text():
    cell_text = "华源&测绘<有限>公司" * 10
    data = pdf.build_document("通知", NUMBER, URL,
                              lambda s: [pdf.table([["名称"], [cell_text]], col_widths=[40 * mm])])
    assert "华源&测绘<有限>公司" in page_texts(data)[0]

    styles = pdf.make_styles()
    _, height = pdf.table([[cell_text]], col_widths=[40 * mm], header=False).wrap(500, 1000)
    assert height > 3 * styles.cell.leading  # wrapped onto several lines


def test_flask_config_font_is_embedded(app, monkeypatch, fresh_font_cache):
    monkeypatch.setitem(app.config, pdf.FONT_CONFIG_KEY, VERA)
    assert pdf.cjk_font_name() == "IntermartCJK-Vera"
    data = pdf.build_document("Report", NUMBER, URL, lambda s: [Paragraph("Hello", s.body)])
    assert b"/FontFile2" in data  # the TrueType program is embedded
    assert "Hello" in page_texts(data)[0]


def test_env_font_is_used_without_flask_config(monkeypatch, fresh_font_cache):
    monkeypatch.setenv(pdf.FONT_ENV, VERA)
    assert pdf.cjk_font_name() == "IntermartCJK-Vera"


def test_unusable_configured_font_falls_back(monkeypatch, fresh_font_cache, tmp_path, caplog):
    broken = tmp_path / "broken.ttc"
    broken.write_bytes(b"not a font")
    monkeypatch.setattr(pdf, "_found_font_paths", lambda: [])
    # migrations/env.py's fileConfig() disables loggers that existed before it ran.
    monkeypatch.setattr(pdf.log, "disabled", False)
    with caplog.at_level(logging.WARNING, logger="core.pdf"):
        assert pdf.cjk_font_name(str(broken)) == pdf.FALLBACK_FONT
    assert "broken.ttc" in caplog.text


def test_font_search_finds_cjk_names_only(monkeypatch, tmp_path):
    (tmp_path / "noto").mkdir()
    (tmp_path / "noto" / "NotoSansCJK-Regular.ttc").write_bytes(b"")
    (tmp_path / "wqy-zenhei.ttc").write_bytes(b"")
    (tmp_path / "DejaVuSans.ttf").write_bytes(b"")
    monkeypatch.setattr(pdf, "KNOWN_FONTS", ())
    monkeypatch.setattr(pdf, "FONT_DIRS", (str(tmp_path),))
    found = pdf._found_font_paths()
    assert sorted(Path(p).name for p in found) == ["NotoSansCJK-Regular.ttc", "wqy-zenhei.ttc"]


def test_font_search_tries_known_locations_first(monkeypatch, tmp_path):
    known = tmp_path / "wqy-microhei.ttc"
    known.write_bytes(b"")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "NotoSansCJK-Regular.ttc").write_bytes(b"")
    monkeypatch.setattr(pdf, "KNOWN_FONTS", (str(known),))
    monkeypatch.setattr(pdf, "FONT_DIRS", (str(tmp_path),))
    assert pdf._found_font_paths() == [str(known), str(tmp_path / "a" / "NotoSansCJK-Regular.ttc")]


def test_document_number_format():
    assert pdf.document_number("XYBG", 2026, 123) == "XYBG-2026-000123"
    assert pdf.document_number("JCTZ", 2027, 999_999) == "JCTZ-2027-999999"


@pytest.mark.parametrize("prefix, year, sequence", [
    ("xybg", 2026, 1), ("XY-BG", 2026, 1), ("", 2026, 1),
    ("XYBG", 26, 1), ("XYBG", 2026, 0), ("XYBG", 2026, 1_000_000),
])
def test_document_number_rejects_bad_parts(prefix, year, sequence):
    with pytest.raises(ValueError):
        pdf.document_number(prefix, year, sequence)
