"""Builders for the 双公示 tests: valid raw rows (what a form posts or a CSV cell holds),
CSV text from them, a signed-in regulator, and disclosures made through the operations."""

import csv
import io
from pathlib import Path

from stdnum.cn import uscc as uscc_std

from core.auth.models import Role
from credit.disclosure_csv import COLUMNS, DisclosureKind, check_row
from credit.operations import disclosure as ops
from credit.queries.disclosure import local_today
from tests.clients import FreshRequestClient, english_client
from tests.factories import login, make_department, make_user

DATA = Path(__file__).parent / "data"


def fixed_uscc(body: str) -> str:
    """A valid code from a 17-character body (the check digit is computed)."""
    return body + uscc_std.calc_check_digit(body)


AUTHORITY_USCC = fixed_uscc("11341500MB1234567")  # a government body (机关, 11…)


def licence_raw(**changes) -> dict[str, str]:
    raw = {
        "xk_xdr_mc": "六安市测试测绘有限公司", "xk_xdr_lb": "法人及非法人组织",
        "xk_xdr_shxym": fixed_uscc("91341500MA2N00001"), "xk_frdb": "王建国",
        "xk_xkws": "准予行政许可决定书", "xk_wsh": "六自然资许〔2025〕12号", "xk_xklb": "普通",
        "xk_xkzs": "测绘资质证书", "xk_xkbh": "乙测资字34500123", "xk_nr": "准予乙级测绘资质",
        "xk_jdrq": "2025/03/01", "xk_yxqz": "2025/03/01", "xk_yxqzi": "2030/02/28",
        "xk_xkjg": "六安市自然资源和规划局", "xk_xkjgdm": AUTHORITY_USCC, "xk_zt": "1",
        "xk_lydw": "六安市自然资源和规划局", "xk_lydwdm": AUTHORITY_USCC, "bz": "",
    }
    raw.update(changes)
    return raw


def penalty_raw(**changes) -> dict[str, str]:
    raw = {
        "cf_xdr_mc": "六安市测试评估有限公司", "cf_xdr_lb": "法人及非法人组织",
        "cf_xdr_shxym": fixed_uscc("91341500MA2N00002"), "cf_frdb": "李明",
        "cf_wsh": "六市监罚〔2025〕7号", "cf_wfxw": "出具虚假评估报告",
        "cf_sy": "2025年1月出具的评估报告数据失实。", "cf_yj": "《资产评估法》第四十五条",
        "cf_cflb": "警告；罚款", "cf_nr": "警告并处罚款1.5万元", "cf_nr_fk": "1.5",
        "cf_nr_wfff": "", "cf_nr_zkdx": "", "cf_jdrq": "2025/03/01", "cf_yxq": "",
        "cf_gsjzq": "", "cf_cfjg": "六安市市场监督管理局", "cf_cfjgdm": AUTHORITY_USCC,
        "cf_sjly": "六安市市场监督管理局", "cf_sjlydm": AUTHORITY_USCC, "bz": "",
        "severity": "一般",
    }
    raw.update(changes)
    return raw


RAW = {DisclosureKind.LICENCE: licence_raw, DisclosureKind.PENALTY: penalty_raw}


def csv_text(kind: DisclosureKind, rows: list[dict[str, str]], header: str = "code") -> str:
    """CSV with a header of lower-case codes ("code"), upper-case codes ("upper") or the
    Chinese names ("name"), in the national order."""
    columns = COLUMNS[kind]
    names = {"code": [c.code for c in columns], "upper": [c.code.upper() for c in columns],
             "name": [c.name for c in columns]}[header]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(c.code, "") for c in columns])
    return out.getvalue()


Browser = FreshRequestClient
browser = english_client


def today_text() -> str:
    """Today (Asia/Shanghai) as the CSV writes dates: a decision still on public display."""
    return f"{local_today():%Y/%m/%d}"


def regulator(client=None, department=None, role: Role = Role.STAFF):
    """A department user, signed in on `client` when given."""
    user = make_user(role, department or make_department())
    if client is not None:
        assert login(client, user).status_code == 302
    return user


def make_disclosure(kind: DisclosureKind, department, **changes):
    row = check_row(kind, RAW[kind](**changes), local_today())
    assert row.ok, row.errors
    create = ops.record_licence if kind == DisclosureKind.LICENCE else ops.record_penalty
    return create(row, department)


def make_penalty(department, **changes):
    return make_disclosure(DisclosureKind.PENALTY, department, **changes)


def make_licence(department, **changes):
    return make_disclosure(DisclosureKind.LICENCE, department, **changes)
