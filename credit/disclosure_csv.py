"""双公示 CSV (RULES.md §2): the national licence (`xk_*`) and penalty (`cf_*`) field sets,
their validation, and reading and writing them as CSV. Pure: no database, no request.

The forms use the same column definitions and checks, so a value the form refuses is
refused by the import with the same reason, and what the export writes the import reads.

Beyond the national penalty set there is one extra last column, 严重程度 (`severity`:
轻微 / 一般 / 严重, or minor / general / serious): the display window and the score
deduction depend on it (RULES.md §2 "Disclosure and repair").
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from stdnum.cn import uscc as uscc_std

from credit.rules import Severity


class DisclosureKind(StrEnum):
    LICENCE = "licence"
    PENALTY = "penalty"


# 行政相对人类别 as the national standard spells them.
SUBJECT_CATEGORIES = ("法人及非法人组织", "自然人", "个体工商户")
NATURAL_PERSON = "自然人"
# 许可类别; "其他" may carry its own name after it ("其他-备案").
LICENCE_CATEGORIES = ("普通", "特许", "认可", "核准", "登记", "其他")
LICENCE_STATUSES = {"1": "有效", "2": "无效"}  # 当前状态 code → meaning
# 处罚类别: the kinds of the Administrative Penalty Law (art. 9, 2021) and the older
# spellings still used by the credit platforms; several are separated by ；/;.
PENALTY_CATEGORIES = (
    "警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "没收违法所得、没收非法财物",
    "暂扣许可证件", "降低资质等级", "吊销许可证件", "暂扣或者吊销许可证", "暂扣或者吊销执照",
    "限制开展生产经营活动", "责令停产停业", "责令关闭", "限制从业", "行政拘留", "其他",
)
SEVERITY_LABELS = {Severity.MINOR: "轻微", Severity.GENERAL: "一般", Severity.SERIOUS: "严重"}
LONG_TERM = date(2099, 12, 31)  # the standard's "长期" (no end of validity)
MAX_AMOUNT = Decimal(10) ** 12  # Numeric(18, 6)
TEXT_MAX = 4000


class FieldInvalid(ValueError):
    """One value is not acceptable; the message says why, for the user."""


class CsvRejected(ValueError):
    """The file as a whole cannot be read (encoding, not CSV, wrong headers)."""


# --- Value parsers: raw text → value, or FieldInvalid --------------------------------------

def _text(raw: str) -> str:
    return raw


def _uscc(raw: str) -> str:
    code = raw.upper()
    if len(code) != 18:
        raise FieldInvalid(_("A unified social credit code has 18 characters."))
    if not uscc_std.is_valid(code):
        raise FieldInvalid(_("Not a valid unified social credit code (GB 32100-2015 check "
                             "digit or characters)."))
    return code


_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$|^(\d{4})(\d{2})(\d{2})$")


def parse_date(raw: str) -> date:
    """YYYY-MM-DD, YYYY/MM/DD (the standard's form, and Excel's YYYY/M/D) or YYYYMMDD;
    长期 means 2099/12/31 as the standard prescribes."""
    if raw == "长期":
        return LONG_TERM
    match = _DATE.match(raw)
    try:
        if match is None:
            raise ValueError
        year, month, day = (int(part) for part in match.groups() if part is not None)
        return date(year, month, day)
    except ValueError:
        raise FieldInvalid(_("Not a date; write it as YYYY/MM/DD or YYYY-MM-DD.")) from None


def parse_amount(raw: str) -> Decimal:
    """万元 with at most 6 decimals (to the fen), not negative."""
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise FieldInvalid(_("Not an amount; write a number of 万元 such as 1.5.")) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise FieldInvalid(_("The amount must be a number of 万元 from 0 up to 10¹²."))
    if amount.as_tuple().exponent < -6:
        raise FieldInvalid(_("At most 6 decimals (万元 to the fen)."))
    return amount


def _one_of(choices: Iterable[str]) -> Callable[[str], str]:
    allowed = tuple(choices)

    def parse(raw: str) -> str:
        if raw not in allowed:
            raise FieldInvalid(_("Must be one of: %(choices)s.", choices=" / ".join(allowed)))
        return raw

    return parse


def _licence_category(raw: str) -> str:
    if raw in LICENCE_CATEGORIES or raw.startswith("其他"):
        return raw
    raise FieldInvalid(_("Must be one of: %(choices)s.", choices=" / ".join(LICENCE_CATEGORIES)))


def _licence_status(raw: str) -> str:
    by_meaning = {meaning: code for code, meaning in LICENCE_STATUSES.items()}
    code = by_meaning.get(raw, raw)
    if code not in LICENCE_STATUSES:
        raise FieldInvalid(_("Must be 1 (valid) or 2 (invalid)."))
    return code


_CATEGORY_SEPARATORS = re.compile(r"[;；,，]")


def penalty_categories(value: str) -> list[str]:
    return [part.strip() for part in _CATEGORY_SEPARATORS.split(value) if part.strip()]


def _penalty_category(raw: str) -> str:
    parts = penalty_categories(raw)
    unknown = [p for p in parts if p not in PENALTY_CATEGORIES and not p.startswith("其他")]
    if not parts or unknown:
        raise FieldInvalid(_("Unknown penalty category %(value)s; use %(choices)s, several "
                             "separated by ；.", value="、".join(unknown) or raw,
                             choices=" / ".join(PENALTY_CATEGORIES)))
    return "；".join(parts)


def parse_severity(raw: str) -> Severity:
    by_label = {label: severity for severity, label in SEVERITY_LABELS.items()}
    try:
        return by_label.get(raw) or Severity(raw.lower())
    except ValueError:
        raise FieldInvalid(_("Must be 轻微 / 一般 / 严重 (minor / general / serious).")) from None


# --- Columns -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    code: str  # lower-case field code = model attribute = form field name
    name: str  # the national Chinese header
    label: str  # English msgid for the UI
    parse: Callable[[str], object] = _text
    required: bool = True
    max_length: int | None = None
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()  # offered as a select in the form
    widget: str = "text"  # text / textarea / date

    def check(self, raw: str) -> object:
        """The value of one cell (None when blank and optional), or FieldInvalid."""
        if raw == "":
            if self.required:
                raise FieldInvalid(_("Required."))
            return None
        if self.max_length is not None and len(raw) > self.max_length:
            raise FieldInvalid(_("At most %(n)d characters.", n=self.max_length))
        return self.parse(raw)


def _name(code, name, label, max_length=200, **kw):
    return Column(code, name, label, max_length=max_length, **kw)


def _code(code, name, label, **kw):
    return Column(code, name, label, parse=_uscc, max_length=18, **kw)


def _date(code, name, label, **kw):
    return Column(code, name, label, parse=parse_date, widget="date", **kw)


def _long(code, name, label, **kw):
    return Column(code, name, label, max_length=TEXT_MAX, widget="textarea", **kw)


def _subject_columns(prefix: str) -> tuple[Column, ...]:
    return (
        _name(f"{prefix}_xdr_mc", "行政相对人名称", _l("Name of the party")),
        Column(f"{prefix}_xdr_lb", "行政相对人类别", _l("Category of the party"),
               parse=_one_of(SUBJECT_CATEGORIES), choices=SUBJECT_CATEGORIES),
        _code(f"{prefix}_xdr_shxym", "统一社会信用代码", _l("Unified social credit code"),
              aliases=("行政相对人代码_1（统一社会信用代码）", "行政相对人代码_1")),
        _name(f"{prefix}_frdb", "法定代表人", _l("Legal representative"), max_length=50,
              required=False),
    )


LICENCE_COLUMNS: tuple[Column, ...] = (
    *_subject_columns("xk"),
    _name("xk_xkws", "行政许可决定文书名称", _l("Title of the licence decision")),
    _name("xk_wsh", "行政许可决定文书号", _l("Licence decision number"), max_length=100),
    Column("xk_xklb", "许可类别", _l("Licence category"), parse=_licence_category,
           max_length=20, choices=LICENCE_CATEGORIES),
    _name("xk_xkzs", "许可证书名称", _l("Certificate name"), required=False),
    _name("xk_xkbh", "许可编号", _l("Licence number"), max_length=100, required=False),
    _long("xk_nr", "许可内容", _l("Content of the licence")),
    _date("xk_jdrq", "许可决定日期", _l("Decision date")),
    _date("xk_yxqz", "有效期自", _l("Valid from")),
    _date("xk_yxqzi", "有效期至", _l("Valid until"), aliases=("有效期至（截止日期）",)),
    _name("xk_xkjg", "许可机关", _l("Licensing authority")),
    _code("xk_xkjgdm", "许可机关统一社会信用代码", _l("Licensing authority's credit code")),
    Column("xk_zt", "当前状态", _l("Current status"), parse=_licence_status,
           choices=tuple(LICENCE_STATUSES)),
    _name("xk_lydw", "数据来源单位", _l("Data source unit")),
    _code("xk_lydwdm", "数据来源单位统一社会信用代码", _l("Data source unit's credit code")),
    _long("bz", "备注", _l("Remarks"), required=False),
)

PENALTY_COLUMNS: tuple[Column, ...] = (
    *_subject_columns("cf"),
    _name("cf_wsh", "行政处罚决定书文号", _l("Penalty decision number"), max_length=100),
    _name("cf_wfxw", "违法行为类型", _l("Type of violation"), max_length=500),
    _long("cf_sy", "违法事实", _l("Facts of the violation")),
    _long("cf_yj", "处罚依据", _l("Legal basis of the penalty")),
    Column("cf_cflb", "处罚类别", _l("Penalty category"), parse=_penalty_category,
           max_length=100),
    _long("cf_nr", "处罚内容", _l("Content of the penalty")),
    Column("cf_nr_fk", "罚款金额（万元）", _l("Fine (10,000 yuan)"), parse=parse_amount,
           required=False, max_length=30),
    Column("cf_nr_wfff", "没收违法所得、没收非法财物的金额（万元）",
           _l("Confiscated illegal gains or property (10,000 yuan)"), parse=parse_amount,
           required=False, max_length=30),
    _name("cf_nr_zkdx", "暂扣或吊销证照名称及编号",
          _l("Licence or permit withheld or revoked (name and number)"), required=False),
    _date("cf_jdrq", "处罚决定日期", _l("Decision date")),
    _date("cf_yxq", "处罚有效期", _l("Penalty valid until"), required=False),
    _date("cf_gsjzq", "公示截止期", _l("Public until"), required=False),
    _name("cf_cfjg", "处罚机关", _l("Penalising authority")),
    _code("cf_cfjgdm", "处罚机关统一社会信用代码", _l("Penalising authority's credit code")),
    _name("cf_sjly", "数据来源单位", _l("Data source unit")),
    _code("cf_sjlydm", "数据来源单位统一社会信用代码", _l("Data source unit's credit code")),
    _long("bz", "备注", _l("Remarks"), required=False),
    Column("severity", "严重程度", _l("Severity"), parse=parse_severity,
           choices=tuple(SEVERITY_LABELS.values()), aliases=("cf_yzcd",)),
)

COLUMNS = {DisclosureKind.LICENCE: LICENCE_COLUMNS, DisclosureKind.PENALTY: PENALTY_COLUMNS}


def column(kind: DisclosureKind, code: str) -> Column:
    return next(c for c in COLUMNS[kind] if c.code == code)


def decision_number(kind: DisclosureKind) -> Column:
    """文书号: with the party's USCC it identifies a disclosure."""
    return column(kind, "xk_wsh" if kind == DisclosureKind.LICENCE else "cf_wsh")


# --- Rows --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    line: int  # as in the file (header = line 1); 0 for a form
    code: str
    name: str
    reason: str


@dataclass
class ParsedRow:
    line: int
    values: dict[str, object]
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def key(self) -> tuple[str, str]:
        """(USCC, 文书号): the same decision for the same subject is one disclosure."""
        prefix = "xk" if "xk_wsh" in self.values else "cf"
        return (str(self.values.get(f"{prefix}_xdr_shxym") or ""),
                str(self.values.get(f"{prefix}_wsh") or ""))

    def add_error(self, col: Column, reason: str) -> None:
        self.errors.append(RowError(self.line, col.code, col.name, reason))


def _cross_check_licence(row: ParsedRow, today: date) -> list[tuple[str, str]]:
    v = row.values
    problems = []
    if v.get("xk_jdrq") and v["xk_jdrq"] > today:
        problems.append(("xk_jdrq", _("The decision date lies in the future.")))
    if v.get("xk_yxqz") and v.get("xk_yxqzi") and v["xk_yxqzi"] < v["xk_yxqz"]:
        problems.append(("xk_yxqzi", _("The end of validity lies before its start.")))
    return problems


def _cross_check_penalty(row: ParsedRow, today: date) -> list[tuple[str, str]]:
    v = row.values
    problems = []
    decided = v.get("cf_jdrq")
    if decided and decided > today:
        problems.append(("cf_jdrq", _("The decision date lies in the future.")))
    for code in ("cf_yxq", "cf_gsjzq"):
        if decided and v.get(code) and v[code] < decided:
            problems.append((code, _("This date lies before the decision date.")))
    # The standard makes the amount and licence fields required for the matching category.
    categories = penalty_categories(str(v.get("cf_cflb") or ""))
    if "罚款" in categories and v.get("cf_nr_fk") is None:
        problems.append(("cf_nr_fk", _("Required when the penalty category includes 罚款.")))
    if any(c.startswith("没收") for c in categories) and v.get("cf_nr_wfff") is None:
        problems.append(("cf_nr_wfff", _("Required when the penalty category includes a "
                                         "confiscation (没收).")))
    if any(("暂扣" in c or "吊销" in c) for c in categories) and not v.get("cf_nr_zkdx"):
        problems.append(("cf_nr_zkdx", _("Required when a licence or permit is withheld or "
                                         "revoked (暂扣/吊销).")))
    return problems


_CROSS_CHECKS = {DisclosureKind.LICENCE: _cross_check_licence,
                 DisclosureKind.PENALTY: _cross_check_penalty}


def check_row(kind: DisclosureKind, raw: Mapping[str, str], today: date,
              line: int = 0) -> ParsedRow:
    """Every check of one row (form or CSV): each value alone, then the rules that tie
    values together. Missing keys count as blank cells."""
    row = ParsedRow(line, {})
    columns = COLUMNS[kind]
    for col in columns:
        try:
            row.values[col.code] = col.check(_clean_cell(raw.get(col.code)))
        except FieldInvalid as invalid:
            row.values[col.code] = None
            row.add_error(col, str(invalid))
    failed = {error.code for error in row.errors}
    prefix = "xk" if kind == DisclosureKind.LICENCE else "cf"
    # 法定代表人 is required except for natural persons (national standard).
    frdb = column(kind, f"{prefix}_frdb")
    category = row.values.get(f"{prefix}_xdr_lb")
    if (category and category != NATURAL_PERSON and not row.values.get(frdb.code)
            and frdb.code not in failed):
        row.add_error(frdb, _("Required unless the party is a natural person (自然人)."))
    for code, reason in _CROSS_CHECKS[kind](row, today):
        if code not in failed:
            row.add_error(column(kind, code), reason)
    return row


def mark_repeats(rows: list[ParsedRow], kind: DisclosureKind) -> None:
    """A second row with the same (USCC, 文书号) as an earlier one in the file is an error."""
    wsh = decision_number(kind)
    first_line: dict[tuple[str, str], int] = {}
    for row in rows:
        if not row.ok:
            continue
        if row.key in first_line:
            row.add_error(wsh, _("Same decision number for the same party as line %(line)d.",
                                 line=first_line[row.key]))
        else:
            first_line[row.key] = row.line


# --- Reading a file ----------------------------------------------------------------------

def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM) or GBK, as exported by Excel on Chinese Windows."""
    if not content.strip():
        raise CsvRejected(_("The file is empty."))
    if b"\x00" in content:
        raise CsvRejected(_("This is not a CSV text file."))
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CsvRejected(_("The file is neither UTF-8 nor GBK text; save it as CSV (UTF-8)."))


def _normalise_header(text: str) -> str:
    # NFKC folds full-width brackets and letters; headers match case- and space-insensitively.
    text = unicodedata.normalize("NFKC", text.replace("\ufeff", ""))
    return re.sub(r"\s+", "", text).lower()


def _header_lookup(kind: DisclosureKind) -> dict[str, Column]:
    lookup = {}
    for col in COLUMNS[kind]:
        for spelling in (col.code, col.name, *col.aliases):
            lookup[_normalise_header(spelling)] = col
    return lookup


def _map_header(kind: DisclosureKind, header: list[str]) -> list[Column | None]:
    lookup = _header_lookup(kind)
    mapped = [lookup.get(_normalise_header(cell)) for cell in header]
    if not any(col and col.code != "bz" for col in mapped):  # 备注 is in both sets
        other = next(k for k in DisclosureKind if k != kind)
        other_lookup = _header_lookup(other)
        if any(_normalise_header(cell) in other_lookup for cell in header):
            raise CsvRejected(_("This is a file of %(other)s records; import it there, not "
                                "as %(kind)s records.", other=kind_label(other),
                                kind=kind_label(kind)))
        raise CsvRejected(_("The first line does not hold the column headers of the %(kind)s "
                            "field set (field codes such as %(example)s, or the Chinese "
                            "names).", kind=kind_label(kind),
                            example=COLUMNS[kind][0].code.upper()))
    problems = []
    unknown = [cell for cell, col in zip(header, mapped, strict=True)
               if col is None and cell.strip()]
    if unknown:
        problems.append(_("unknown columns: %(names)s", names="、".join(unknown)))
    seen = [col.code for col in mapped if col]
    repeated = sorted({code for code in seen if seen.count(code) > 1})
    if repeated:
        problems.append(_("columns given twice: %(names)s", names="、".join(repeated)))
    missing = [f"{c.code} {c.name}" for c in COLUMNS[kind] if c.required and c.code not in seen]
    if missing:
        problems.append(_("missing columns: %(names)s", names="、".join(missing)))
    if problems:
        raise CsvRejected(_("Wrong column headers: %(problems)s.", problems="; ".join(problems)))
    return mapped


def _clean_cell(cell: str | None) -> str:
    cell = (cell or "").strip()
    # Undo the export's guard against spreadsheet formulas ('=… → =…).
    if len(cell) > 1 and cell[0] == "'" and cell[1] in _FORMULA_STARTS:
        return cell[1:]
    return cell


def parse(kind: DisclosureKind, text: str, today: date) -> list[ParsedRow]:
    """Every data row of a decoded CSV, checked; blank lines are skipped. Line numbers are
    the file's (a quoted value spanning lines counts from its first line)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise CsvRejected(_("The file is empty."))
        columns = _map_header(kind, header)
        rows = []
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            rows.append(_row(kind, columns, cells, line, today))
    except csv.Error as error:
        raise CsvRejected(_("This is not a readable CSV file (%(error)s).",
                            error=str(error))) from None
    if not rows:
        raise CsvRejected(_("The file has headers but no data rows."))
    mark_repeats(rows, kind)
    return rows


def _row(kind: DisclosureKind, columns: list[Column | None], cells: list[str], line: int,
         today: date) -> ParsedRow:
    raw = {col.code: cell for col, cell in zip(columns, cells, strict=False) if col}
    row = check_row(kind, raw, today, line)
    extra = [cell for cell in cells[len(columns):] if cell.strip()]
    if extra:
        first = COLUMNS[kind][0]
        row.errors.insert(0, RowError(line, first.code, first.name, _(
            "The row has %(n)d cells, more than the %(m)d columns of the header.",
            n=len(cells), m=len(columns))))
    return row


def read(kind: DisclosureKind, content: bytes, today: date) -> list[ParsedRow]:
    return parse(kind, decode(content), today)


# --- Writing a file ----------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def format_value(value: object) -> str:
    """A value as the CSV (and the detail pages) write it."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, Severity):
        return SEVERITY_LABELS[value]
    return str(value)


def _cell(value: object) -> str:
    text = format_value(value)
    # A leading = + - @ would run as a formula in Excel (CSV injection); quote it.
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_STARTS) else text


def to_csv(kind: DisclosureKind, rows: Iterable[Mapping[str, object]]) -> bytes:
    """UTF-8 with BOM (Excel opens it as UTF-8), the Chinese headers in the national order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([col.name for col in COLUMNS[kind]])
    for row in rows:
        writer.writerow([_cell(row.get(col.code)) for col in COLUMNS[kind]])
    return "\ufeff".encode() + out.getvalue().encode()


def kind_label(kind: DisclosureKind) -> str:
    return _("administrative licence") if kind == DisclosureKind.LICENCE \
        else _("administrative penalty")
