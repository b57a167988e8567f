"""The pure 双公示 CSV layer: decoding, headers, per-field and cross-field checks, line
numbers, and writing (credit/disclosure_csv.py)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from credit import disclosure_csv as dc
from credit.disclosure_csv import CsvRejected, DisclosureKind
from credit.rules import Severity
from tests.credit.builders_disclosure import DATA, csv_text, fixed_uscc, licence_raw, penalty_raw

TODAY = date(2026, 1, 15)
LICENCE, PENALTY = DisclosureKind.LICENCE, DisclosureKind.PENALTY


def errors_of(row) -> dict[str, str]:
    return {error.code: error.reason for error in row.errors}


# --- Decoding -------------------------------------------------------------------------------

def test_decode_accepts_utf8_with_and_without_bom_and_gbk():
    text = "行政相对人名称,备注\n"
    assert dc.decode(text.encode()) == text
    assert dc.decode("\ufeff".encode() + text.encode()) == text
    assert dc.decode(text.encode("gbk")) == text


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"%PDF-1.4\x00\x01binary", "not a CSV"),
    (b"\x81\x20\xff\xfe\x80", "neither UTF-8 nor GBK"),
])
def test_decode_refuses_what_is_not_csv_text(content, message):
    with pytest.raises(CsvRejected, match=message):
        dc.decode(content)


# --- Headers --------------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["code", "upper", "name"])
def test_headers_as_codes_upper_codes_or_chinese_names(header):
    rows = dc.parse(LICENCE, csv_text(LICENCE, [licence_raw()], header), TODAY)
    assert [row.ok for row in rows] == [True]
    assert rows[0].values["xk_jdrq"] == date(2025, 3, 1)


def test_headers_in_another_order_and_full_width_brackets_or_spaces():
    raw = penalty_raw()
    header = ["罚款金额(万元)", " CF_XDR_MC ", *[c.code for c in dc.PENALTY_COLUMNS
                                                if c.code not in ("cf_nr_fk", "cf_xdr_mc")]]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerow([raw["cf_nr_fk"], raw["cf_xdr_mc"],
                     *[raw[c.code] for c in dc.PENALTY_COLUMNS
                       if c.code not in ("cf_nr_fk", "cf_xdr_mc")]])
    [row] = dc.parse(PENALTY, out.getvalue(), TODAY)
    assert row.ok, row.errors
    assert row.values["cf_nr_fk"] == Decimal("1.5")
    assert row.values["cf_xdr_mc"] == raw["cf_xdr_mc"]


def test_optional_columns_may_be_left_out():
    required = [c for c in dc.LICENCE_COLUMNS if c.required or c.code == "xk_frdb"]
    raw = licence_raw()
    text = ",".join(c.code for c in required) + "\n" + ",".join(raw[c.code] for c in required)
    [row] = dc.parse(LICENCE, text, TODAY)
    assert row.ok and row.values["xk_xkzs"] is None


def test_wrong_headers_name_the_unknown_and_missing_columns():
    text = "xk_xdr_mc,xk_colour\n某公司,红\n"
    with pytest.raises(CsvRejected) as rejected:
        dc.parse(LICENCE, text, TODAY)
    message = str(rejected.value)
    assert "xk_colour" in message
    assert "xk_xdr_shxym 统一社会信用代码" in message


def test_a_licence_file_offered_as_penalties_is_recognised():
    with pytest.raises(CsvRejected, match="administrative licence"):
        dc.parse(PENALTY, csv_text(LICENCE, [licence_raw()]), TODAY)


def test_a_file_without_any_known_header_is_refused():
    with pytest.raises(CsvRejected, match="column headers"):
        dc.parse(LICENCE, "a,b,c\n1,2,3\n", TODAY)


def test_headers_without_rows_are_refused():
    with pytest.raises(CsvRejected, match="no data rows"):
        dc.parse(LICENCE, csv_text(LICENCE, []), TODAY)


# --- Rows and line numbers ----------------------------------------------------------------

def test_fixture_errors_carry_the_file_line_field_code_and_chinese_name():
    rows = dc.read(LICENCE, (DATA / "licences_bad_rows.csv").read_bytes(), TODAY)
    assert [(row.line, row.ok) for row in rows] == [(2, True), (3, False), (4, False), (5, True)]
    [uscc_error] = rows[1].errors
    assert (uscc_error.line, uscc_error.code, uscc_error.name) == (3, "xk_xdr_shxym",
                                                                   "统一社会信用代码")
    assert "check digit" in uscc_error.reason
    [date_error] = rows[2].errors
    assert (date_error.line, date_error.code, date_error.name) == (4, "xk_jdrq", "许可决定日期")
    assert rows[3].values["xk_yxqzi"] == dc.LONG_TERM  # 长期


def test_line_numbers_follow_the_file_across_quoted_newlines_and_blank_lines():
    good, bad = licence_raw(xk_nr="第一行\n第二行"), licence_raw(xk_wsh="B", xk_xdr_lb="公司")
    text = csv_text(LICENCE, [good]) + "\r\n" + csv_text(LICENCE, [bad]).split("\r\n", 1)[1]
    rows = dc.parse(LICENCE, text, TODAY)
    # header 1, the quoted cell spans lines 2–3, line 4 is blank, the bad row is line 5
    assert [row.line for row in rows] == [2, 5]
    assert rows[0].values["xk_nr"] == "第一行\n第二行"
    assert rows[1].errors[0].line == 5 and rows[1].errors[0].code == "xk_xdr_lb"


def test_the_same_decision_for_the_same_party_twice_in_a_file():
    rows = dc.parse(LICENCE, csv_text(LICENCE, [licence_raw(), licence_raw()]), TODAY)
    assert rows[0].ok
    assert errors_of(rows[1]) == {"xk_wsh": "Same decision number for the same party as line 2."}


def test_a_row_longer_than_the_header_is_an_error():
    text = csv_text(LICENCE, [licence_raw()]).rstrip("\r\n") + ",surplus\r\n"
    [row] = dc.parse(LICENCE, text, TODAY)
    assert "more than the 19 columns" in row.errors[0].reason


# --- Field checks ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("2025/03/01", date(2025, 3, 1)), ("2025-3-1", date(2025, 3, 1)),
    ("20250301", date(2025, 3, 1)), ("长期", date(2099, 12, 31)),
])
def test_dates(raw, expected):
    assert dc.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["2025/02/30", "01/03/2025", "2025年3月1日", "yesterday"])
def test_not_dates(raw):
    with pytest.raises(dc.FieldInvalid):
        dc.parse_date(raw)


def test_amounts_in_wan_yuan_up_to_six_decimals():
    assert dc.parse_amount("0.000001") == Decimal("0.000001")
    assert dc.parse_amount("12") == Decimal(12)
    for bad in ("0.0000001", "-1", "1,5", "NaN", "1e20", "壹万"):
        with pytest.raises(dc.FieldInvalid):
            dc.parse_amount(bad)


def test_each_national_check():
    row = dc.check_row(PENALTY, penalty_raw(
        cf_xdr_lb="企业", cf_xdr_shxym="91341500MA2N0000", cf_cflb="警告；打板子",
        cf_nr_fk="1.1234567", cf_cfjgdm="", cf_jdrq="2027/01/01", severity="很严重"), TODAY)
    assert set(errors_of(row)) == {"cf_xdr_lb", "cf_xdr_shxym", "cf_cflb", "cf_nr_fk",
                                   "cf_cfjgdm", "cf_jdrq", "severity"}
    assert errors_of(row)["cf_cfjgdm"] == "Required."
    assert errors_of(row)["cf_jdrq"] == "The decision date lies in the future."


def test_status_codes_and_categories_of_licences():
    ok = dc.check_row(LICENCE, licence_raw(xk_zt="无效", xk_xklb="其他-备案"), TODAY)
    assert ok.ok and ok.values["xk_zt"] == "2"
    bad = dc.check_row(LICENCE, licence_raw(xk_zt="3", xk_xklb="许可"), TODAY)
    assert set(errors_of(bad)) == {"xk_zt", "xk_xklb"}


def test_cross_field_rules():
    licence = dc.check_row(LICENCE, licence_raw(xk_yxqzi="2025/02/01", xk_frdb=""), TODAY)
    assert set(errors_of(licence)) == {"xk_yxqzi", "xk_frdb"}
    person = dc.check_row(LICENCE, licence_raw(xk_xdr_lb="自然人", xk_frdb=""), TODAY)
    assert person.ok  # no legal representative for a natural person
    penalty = dc.check_row(PENALTY, penalty_raw(
        cf_cflb="罚款；没收违法所得；吊销许可证件", cf_nr_fk="", cf_gsjzq="2025/01/01"), TODAY)
    assert set(errors_of(penalty)) == {"cf_nr_fk", "cf_nr_wfff", "cf_nr_zkdx", "cf_gsjzq"}


def test_severity_in_chinese_or_english():
    assert dc.parse_severity("严重") == Severity.SERIOUS
    assert dc.parse_severity("Minor") == Severity.MINOR


def test_uscc_is_upper_cased():
    code = fixed_uscc("91341500MA2N0000X")
    row = dc.check_row(LICENCE, licence_raw(xk_xdr_shxym=code.lower()), TODAY)
    assert row.ok and row.values["xk_xdr_shxym"] == code


# --- Writing --------------------------------------------------------------------------------

def test_to_csv_writes_bom_chinese_headers_in_national_order_and_reads_back():
    row = dc.check_row(PENALTY, penalty_raw(cf_nr_fk="0.000100", bz="=HYPERLINK(\"x\")"), TODAY)
    content = dc.to_csv(PENALTY, [row.values])
    assert content.startswith("\ufeff".encode())
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == [c.name for c in dc.PENALTY_COLUMNS]
    assert "'=HYPERLINK" in lines[1]  # not a live formula in Excel
    assert ",0.0001," in lines[1] and "2025/03/01" in lines[1] and lines[1].endswith(",一般")
    [again] = dc.read(PENALTY, content, TODAY)
    assert again.values == row.values
