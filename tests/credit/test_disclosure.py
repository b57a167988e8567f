"""双公示 through HTTP (RULES.md §2): regulators enter licences and penalties on forms or
import them as CSV; the public lists, detail pages and export show what is displayed."""

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from flask import render_template
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.auth.models import Role
from core.extensions import db
from credit import disclosure_csv as dc
from credit.disclosure_csv import DisclosureKind
from credit.models import CreditRecord, CreditSubject, LicenceDisclosure, PenaltyDisclosure
from credit.operations.subjects import register_subject
from credit.rules import RecordKind, Severity, add_months
from tests.credit.builders_disclosure import (
    DATA,
    browser,
    csv_text,
    fixed_uscc,
    licence_raw,
    make_licence,
    make_penalty,
    penalty_raw,
    regulator,
    today_text,
)
from tests.factories import login, make_admin, make_agency, make_department, make_user

LICENCE, PENALTY = DisclosureKind.LICENCE, DisclosureKind.PENALTY


@pytest.fixture
def client(app):
    return browser(app)


@pytest.fixture
def department(db_session):
    return make_department("六安市市场监督管理局")


@pytest.fixture
def officer(client, department):
    return regulator(client, department)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def upload(client, kinds: str, content: bytes, name: str = "data.csv"):
    return client.post(f"/credit/{kinds}/import",
                       data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def error_cells(html: str) -> dict[tuple[int, str], str]:
    """(line, field code) → the row of the error table, as text."""
    found = {}
    for line, code, body in re.findall(
            r'<tr data-line="(\d+)" data-field="([a-z_]+)">(.*?)</tr>', html, re.S):
        found[int(line), code] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()
    return found


# --- Forms ----------------------------------------------------------------------------------

def test_penalty_form_creates_the_disclosure_and_its_record_with_its_window(
        client, officer, db_session):
    response = client.post("/credit/penalties/new", data=penalty_raw(cf_gsjzq=""))
    assert response.status_code == 302, response.get_data(as_text=True)
    penalty = db_session.scalars(select(PenaltyDisclosure)).one()
    record = penalty.record
    assert response.location.endswith(f"/credit/penalties/{penalty.id}")
    assert (record.kind, record.severity, record.reference) == (
        RecordKind.PENALTY, Severity.GENERAL, "六市监罚〔2025〕7号")
    assert record.source_department_id == officer.organisation_id
    assert record.source_department == "六安市市场监督管理局"
    assert record.occurred_on == date(2025, 3, 1)
    # general: public 3 months to 1 year (RULES.md §2), 公示截止期 defaulting to the end
    assert record.display_min_until == date(2025, 6, 1)
    assert record.display_max_until == date(2026, 3, 1)
    assert penalty.cf_gsjzq == date(2026, 3, 1)
    assert penalty.cf_nr_fk == Decimal("1.5")
    # a company that never registered on the platform is now a credit subject
    subject = db_session.scalars(select(CreditSubject)
                                 .where(CreditSubject.uscc == penalty.cf_xdr_shxym)).one()
    assert (subject.role, subject.name) == ("other", "六安市测试评估有限公司")


def test_licence_form_creates_the_disclosure_and_a_licence_record(client, officer, db_session):
    response = client.post("/credit/licences/new", data=licence_raw())
    assert response.status_code == 302
    licence = db_session.scalars(select(LicenceDisclosure)).one()
    assert licence.record.kind == RecordKind.LICENCE
    assert licence.record.display_max_until is None  # licences are public for good
    assert (licence.xk_yxqzi, licence.xk_zt) == (date(2030, 2, 28), "1")
    page = client.get(response.location).get_data(as_text=True)
    assert "乙测资字34500123" in page


def test_form_shows_every_field_error_and_saves_nothing(client, officer):
    bad = penalty_raw(cf_xdr_shxym="91341500MA2N00002X", cf_nr_fk="1.1234567", cf_jdrq="昨天")
    response = client.post("/credit/penalties/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for code in ("cf_xdr_shxym", "cf_nr_fk", "cf_jdrq"):
        assert f'data-field="{code}"' in page
    assert "At most 6 decimals" in page
    assert count(PenaltyDisclosure) == 0 and count(CreditRecord) == 0


def test_form_is_prefilled_with_the_department(client, officer):
    page = client.get("/credit/licences/new").get_data(as_text=True)
    assert 'value="六安市市场监督管理局"' in page


def test_form_refuses_a_decision_already_disclosed_for_the_subject(client, officer):
    assert client.post("/credit/penalties/new", data=penalty_raw()).status_code == 302
    response = client.post("/credit/penalties/new", data=penalty_raw(cf_nr="另一份"))
    assert response.status_code == 200
    assert "is already disclosed" in response.get_data(as_text=True)
    assert count(PenaltyDisclosure) == 1
    # the same number for another subject is another decision
    other = penalty_raw(cf_xdr_shxym=fixed_uscc("91341500MA2N00009"))
    assert client.post("/credit/penalties/new", data=other).status_code == 302


def test_an_existing_subject_keeps_its_registered_name(client, officer, db_session):
    raw = penalty_raw()
    register_subject(raw["cf_xdr_shxym"], "六安市测试评估有限责任公司", role="agency")
    assert client.post("/credit/penalties/new", data=raw).status_code == 302
    subject = db_session.scalars(select(CreditSubject)
                                 .where(CreditSubject.uscc == raw["cf_xdr_shxym"])).one()
    assert (subject.name, subject.role) == ("六安市测试评估有限责任公司", "agency")
    assert subject.level != "new"  # the penalty was scored


def test_the_form_needs_the_csrf_token(client, officer, csrf_enforced):
    assert client.post("/credit/penalties/new", data=penalty_raw()).status_code == 400
    assert count(PenaltyDisclosure) == 0


# --- Who may write ------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["agency", "admin", "inspector"])
@pytest.mark.parametrize("path", ["/credit/penalties/new", "/credit/licences/new",
                                  "/credit/penalties/import", "/credit/licences/import",
                                  "/credit/licences/import/confirm"])
def test_only_department_staff_may_enter_or_import(client, db_session, who, path):
    user = {"agency": lambda: make_agency().organisation.users[0],
            "admin": make_admin,
            "inspector": lambda: make_user(Role.INSPECTOR, make_department())}[who]()
    login(client, user)
    if not path.endswith("confirm"):
        assert client.get(path).status_code == 403
    assert client.post(path, data=penalty_raw()).status_code == 403
    assert count(PenaltyDisclosure) == 0


def test_anonymous_users_are_sent_to_sign_in(client, db_session):
    response = client.get("/credit/penalties/import")
    assert response.status_code == 302 and "/login" in response.location


# --- CSV import ---------------------------------------------------------------------------

def test_bad_rows_are_listed_with_line_field_and_reason_and_nothing_is_imported(
        client, officer):
    response = upload(client, "licences", (DATA / "licences_bad_rows.csv").read_bytes())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    cells = error_cells(page)
    assert set(cells) == {(3, "xk_xdr_shxym"), (4, "xk_jdrq")}
    assert cells[3, "xk_xdr_shxym"].startswith("line 3 xk_xdr_shxym / 统一社会信用代码 Not a valid")
    assert cells[4, "xk_jdrq"].startswith("line 4 xk_jdrq / 许可决定日期 Not a date")
    assert "2 rows have errors, 2 rows are valid" in page
    assert count(LicenceDisclosure) == 0 and count(CreditRecord) == 0


def _token(page: str) -> str:
    return re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page)[1]


def test_importing_the_valid_rows_takes_only_the_good_ones(client, officer, db_session):
    page = upload(client, "licences",
                  (DATA / "licences_bad_rows.csv").read_bytes()).get_data(as_text=True)
    token = _token(page)
    # without the box ticked nothing happens
    refused = client.post("/credit/licences/import/confirm", data={"token": token})
    assert "Tick the box" in refused.get_data(as_text=True)
    assert count(LicenceDisclosure) == 0
    response = client.post("/credit/licences/import/confirm",
                           data={"token": token, "import_valid": "y"})
    assert response.status_code == 302
    numbers = set(db_session.scalars(select(LicenceDisclosure.xk_wsh)))
    assert numbers == {"六自然资许〔2025〕21号", "六自然资许〔2025〕24号"}
    assert count(CreditRecord) == 2
    [entry] = db_session.scalars(select(AuditEntry)
                                 .where(AuditEntry.action == "credit.licence.import"))
    assert entry.after["lines"] == [2, 5] and entry.actor_id == officer.id
    assert "2 rows imported" in client.get(response.location).get_data(as_text=True)
    # the upload is consumed: a second confirmation imports nothing more
    again = client.post("/credit/licences/import/confirm",
                        data={"token": token, "import_valid": "y"})
    assert again.status_code == 302 and count(LicenceDisclosure) == 2


def test_an_upload_token_is_useless_to_another_user(client, officer, app, department):
    token = _token(upload(client, "licences", (DATA / "licences_bad_rows.csv").read_bytes())
                   .get_data(as_text=True))
    colleague = browser(app)
    regulator(colleague, department)
    response = colleague.post("/credit/licences/import/confirm",
                              data={"token": token, "import_valid": "y"})
    assert response.status_code == 302 and response.location.endswith("/credit/licences/import")
    assert count(LicenceDisclosure) == 0


def test_a_clean_file_is_imported_at_once_and_a_second_time_refused(client, officer):
    content = csv_text(LICENCE, [licence_raw(), licence_raw(xk_wsh="六自然资许〔2025〕13号")])
    response = upload(client, "licences", content.encode())
    assert response.status_code == 302 and count(LicenceDisclosure) == 2
    again = upload(client, "licences", content.encode())
    cells = error_cells(again.get_data(as_text=True))
    assert set(cells) == {(2, "xk_wsh"), (3, "xk_wsh")}
    assert "Already disclosed" in cells[2, "xk_wsh"]
    assert count(LicenceDisclosure) == 2


def test_a_gbk_file_with_chinese_headers(client, officer, db_session):
    response = upload(client, "penalties", (DATA / "penalties_gbk.csv").read_bytes())
    assert response.status_code == 302, response.get_data(as_text=True)
    penalties = {p.cf_wsh: p for p in db_session.scalars(select(PenaltyDisclosure))}
    shop = penalties["六市监罚〔2025〕32号"]
    assert shop.cf_xdr_mc == "金安区张三五金店" and shop.record.severity == Severity.MINOR
    assert shop.cf_nr_fk is None and shop.cf_gsjzq == date(2025, 6, 1)  # minor: 3 months
    subject = db_session.scalars(select(CreditSubject)
                                 .where(CreditSubject.uscc == shop.cf_xdr_shxym)).one()
    assert subject.kind == "individual_business"


@pytest.mark.parametrize("content, message", [
    (b"%PDF-1.4\x00\x00\x01\x02", "not a CSV"),
    (b"\x81\x20\xff\xfe", "neither UTF-8 nor GBK"),
    ("名称,颜色\n某公司,红\n".encode(), "column headers"),
    (csv_text(LICENCE, [licence_raw()]).encode(), "administrative licence records"),
])
def test_files_that_are_not_a_penalty_csv_get_a_clear_message(client, officer, content,
                                                                message):
    response = upload(client, "penalties", content)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(PenaltyDisclosure) == 0


def test_the_upload_size_limit(client, officer, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 100)
    response = upload(client, "licences", csv_text(LICENCE, [licence_raw()]).encode())
    assert "larger than" in response.get_data(as_text=True)
    assert count(LicenceDisclosure) == 0


# --- Export and round trip ------------------------------------------------------------------

def _export(client, kinds: str, **params) -> list[list[str]]:
    response = client.get(f"/credit/{kinds}/export.csv", query_string=params)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    return [line.split(",") for line in response.data.decode("utf-8-sig").splitlines()]


def test_csv_round_trip_into_a_fresh_subject(client, officer, department, db_session):
    """The department's export (everything it entered), imported for another subject."""
    original = make_penalty(department, cf_cflb="罚款；没收违法所得；暂扣许可证件",
                            cf_nr_fk="0.000001", cf_nr_wfff="12.5", cf_nr_zkdx="测绘资质证书 X1",
                            cf_yxq="2025/09/01", bz="已缴纳", severity="严重")
    db_session.commit()
    exported = client.get("/credit/penalties/export.csv?mine=1").data
    fresh = fixed_uscc("91341500MA2N00077")
    text = exported.decode("utf-8-sig").replace(original.cf_xdr_shxym, fresh)
    text = text.replace(original.cf_xdr_mc, "六安市新主体有限公司")
    assert upload(client, "penalties", text.encode()).status_code == 302
    copy = db_session.scalars(select(PenaltyDisclosure)
                              .where(PenaltyDisclosure.cf_xdr_shxym == fresh)).one()
    skip = {"id", "record_id", "cf_xdr_mc", "cf_xdr_shxym"}
    for col in PenaltyDisclosure.__table__.columns:
        if col.name not in skip:
            assert getattr(copy, col.name) == getattr(original, col.name), col.name
    assert copy.record.severity == Severity.SERIOUS
    assert (copy.record.display_min_until, copy.record.display_max_until) == (
        original.record.display_min_until, original.record.display_max_until)


def test_export_has_the_national_header_order_and_filters_by_decision_date(
        client, department, db_session):
    make_licence(department, xk_wsh="A", xk_jdrq="2025/01/10", xk_yxqz="2025/01/10")
    make_licence(department, xk_wsh="B", xk_jdrq="2025/02/10", xk_yxqz="2025/02/10")
    make_licence(department, xk_wsh="C", xk_jdrq="2025/03/10", xk_yxqz="2025/03/10")
    db_session.commit()
    rows = _export(client, "licences", **{"from": "2025-02-01", "to": "2025/03/01"})
    assert rows[0] == [c.name for c in dc.LICENCE_COLUMNS]
    assert [row[5] for row in rows[1:]] == ["B"]
    assert len(_export(client, "licences")) == 4
    assert client.get("/credit/licences/export.csv?from=soon").status_code == 400


def test_public_export_hides_penalties_out_of_display_a_department_exports_all_it_entered(
        client, department, app, db_session):
    make_penalty(department, cf_wsh="OLD", cf_jdrq="2024/01/01", severity="轻微")
    make_penalty(department, cf_wsh="NEW", cf_jdrq=today_text())
    make_penalty(make_department(), cf_wsh="ELSEWHERE", cf_jdrq=today_text())
    db_session.commit()
    public = {row[4] for row in _export(client, "penalties")[1:]}
    assert public == {"NEW", "ELSEWHERE"}
    assert client.get("/credit/penalties/export.csv?mine=1").status_code == 403
    regulator(client, department)
    mine = {row[4] for row in _export(client, "penalties", mine="1")[1:]}
    assert mine == {"OLD", "NEW"}


# --- Public pages -------------------------------------------------------------------------

def test_public_penalty_list_hides_a_penalty_after_its_window(app, department, db_session):
    with time_machine.travel(datetime(2025, 3, 10, 2, tzinfo=UTC), tick=False):
        penalty = make_penalty(department, cf_jdrq="2025/03/01", severity="轻微")
        db_session.commit()
    visitor = browser(app)
    with time_machine.travel(datetime(2025, 5, 31, 15, 59, tzinfo=UTC), tick=False):
        # 23:59 on 31 May in Shanghai: the last day of the minor penalty's 3 months
        page = visitor.get("/credit/penalties").get_data(as_text=True)
        assert penalty.cf_wsh in page
        assert visitor.get(f"/credit/penalties/{penalty.id}").status_code == 200
    with time_machine.travel(datetime(2025, 5, 31, 16, 0, tzinfo=UTC), tick=False):
        page = visitor.get("/credit/penalties").get_data(as_text=True)
        assert penalty.cf_wsh not in page
        assert visitor.get(f"/credit/penalties/{penalty.id}").status_code == 404
        officer = browser(app)
        regulator(officer, department)
        assert officer.get(f"/credit/penalties/{penalty.id}").status_code == 200
        mine = officer.get("/credit/penalties?mine=1").get_data(as_text=True)
        assert penalty.cf_wsh in mine and "not public" in mine


def test_a_repaired_penalty_is_not_public(client, department, db_session):
    penalty = make_penalty(department, cf_jdrq=today_text())
    penalty.record.repaired_on = penalty.record.occurred_on
    db_session.commit()
    assert penalty.cf_wsh not in client.get("/credit/penalties").get_data(as_text=True)


def test_lists_search_by_name_code_or_decision_number_and_paginate(client, department,
                                                                     db_session):
    for n in range(22):
        make_licence(department, xk_wsh=f"许〔2025〕{n:02d}号",
                     xk_xdr_shxym=fixed_uscc(f"91341500MA2N001{n:02d}"),
                     xk_xdr_mc=f"测试{n:02d}有限公司")
    db_session.commit()
    first = client.get("/credit/licences").get_data(as_text=True)
    assert first.count('data-testid="disclosure-row"') == 20 and "22 found" in first
    second = client.get("/credit/licences?page=2").get_data(as_text=True)
    assert second.count('data-testid="disclosure-row"') == 2
    for text in ("测试07", fixed_uscc("91341500MA2N00107")[:17].lower(), "〔2025〕07"):
        page = client.get("/credit/licences", query_string={"q": text}).get_data(as_text=True)
        assert page.count('data-testid="disclosure-row"') == 1, text
        assert "测试07有限公司" in page
    assert client.get("/credit/licences?mine=1").status_code == 403


def test_detail_page_shows_every_national_field(client, department, db_session):
    penalty = make_penalty(department, cf_nr_fk="2.000050", cf_jdrq=today_text())
    db_session.commit()
    page = client.get(f"/credit/penalties/{penalty.id}").get_data(as_text=True)
    for col in dc.PENALTY_COLUMNS:
        assert f'data-field="{col.code}"' in page
    assert "2.00005" in page and "一般" in page
    assert client.get("/credit/penalties/999999").status_code == 404


def test_subject_partial_lists_licences_and_displayed_penalties(app, department, db_session):
    licence = make_licence(department)
    uscc = licence.xk_xdr_shxym
    make_penalty(department, cf_xdr_shxym=uscc, cf_wsh="SHOWN",
                 cf_jdrq=today_text())
    make_penalty(department, cf_xdr_shxym=uscc, cf_wsh="EXPIRED", cf_jdrq="2023/01/01",
                 severity="轻微")
    subject = db_session.scalars(select(CreditSubject).where(CreditSubject.uscc == uscc)).one()
    with app.test_request_context():
        public = render_template("credit/_subject_disclosure.html", subject=subject,
                                 is_self=False, is_regulator=False)
        own = render_template("credit/_subject_disclosure.html", subject=subject,
                              is_self=True, is_regulator=False)
    assert licence.xk_wsh in public and "SHOWN" in public and "EXPIRED" not in public
    assert "EXPIRED" in own


def test_penalty_window_matches_the_rules_for_each_severity(department):
    for severity, label, months in ((Severity.MINOR, "轻微", (0, 3)),
                                    (Severity.GENERAL, "一般", (3, 12)),
                                    (Severity.SERIOUS, "严重", (12, 36))):
        penalty = make_penalty(department, cf_wsh=label, severity=label)
        decided = penalty.record.occurred_on
        assert penalty.record.severity == severity
        assert (penalty.record.display_min_until, penalty.record.display_max_until) == (
            add_months(decided, months[0]), add_months(decided, months[1]))


def test_the_subject_credit_page_shows_its_disclosures(client, department, db_session):
    licence = make_licence(department)
    make_penalty(department, cf_xdr_shxym=licence.xk_xdr_shxym, cf_wsh="罚〔2025〕88号",
                 cf_jdrq=today_text())
    db_session.commit()
    page = client.get(f"/credit/subjects/{licence.xk_xdr_shxym}").get_data(as_text=True)
    assert 'data-testid="subject-disclosure"' in page
    assert licence.xk_wsh in page and "罚〔2025〕88号" in page
