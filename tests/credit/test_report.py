"""The credit report PDF (credit/pdf.py) and its verification on the credit page."""

import io
import re
from datetime import date, timedelta

import pypdf
import pytest
import time_machine

from core import audit
from credit.rules import Severity
from tests.credit.builders_subjects import add, english, make_subject, noon

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(noon(TODAY), tick=False):
        yield


@pytest.fixture
def en(client):
    return english(client)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_the_report_carries_name_uscc_score_and_displayed_records(en, db_session):
    subject = make_subject("六安市华源测绘有限公司")
    add(subject, "evaluation_owner", "规划测绘项目评价", rating=5)
    add(subject, "penalty", "已过公示期的处罚", severity=Severity.MINOR,
        occurred_on=TODAY - timedelta(days=200))

    response = en.get(f"/credit/subjects/{subject.uscc}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "六安市华源测绘有限公司" in text
    assert subject.uscc in text
    assert "94.00" in text  # 50 + 24 + 20
    assert "规划测绘项目评价" in text
    assert "已过公示期的处罚" not in text  # not publicly displayed any more
    assert "XYBG-2026-000001" in text
    assert f"/credit/subjects/{subject.uscc}?doc=XYBG-2026-000001" in text
    assert 'filename="XYBG-2026-000001.pdf"' in response.headers["Content-Disposition"]


def test_each_report_gets_the_next_number_and_its_issue_is_audited(en, db_session):
    first, second = make_subject(), make_subject()
    numbers = []
    for subject in (first, second, first):
        text = pdf_text(en.get(f"/credit/subjects/{subject.uscc}/report.pdf").data)
        numbers.append(re.search(r"XYBG-\d{4}-\d{6}", text)[0])
    assert numbers == ["XYBG-2026-000001", "XYBG-2026-000002", "XYBG-2026-000003"]
    issues = [entry for entry in audit.history("credit_subject", first.id)
              if entry.action == "credit.report.issue"]
    assert [entry.after["score"] for entry in issues] == ["84.00", "84.00"]


def test_the_numbers_start_again_each_year(en, db_session):
    subject = make_subject()
    en.get(f"/credit/subjects/{subject.uscc}/report.pdf")
    with time_machine.travel(noon(date(2027, 1, 4)), tick=False):
        text = pdf_text(en.get(f"/credit/subjects/{subject.uscc}/report.pdf").data)
    assert "XYBG-2027-000001" in text


def test_the_credit_page_verifies_a_report_number(en, db_session):
    subject, other = make_subject(), make_subject()
    en.get(f"/credit/subjects/{subject.uscc}/report.pdf")

    genuine = en.get(f"/credit/subjects/{subject.uscc}?doc=XYBG-2026-000001").text
    assert "Credit report XYBG-2026-000001 was issued for this subject" in genuine
    for uscc, number in [(other.uscc, "XYBG-2026-000001"), (subject.uscc, "XYBG-2026-000002"),
                         (subject.uscc, "nonsense")]:
        page = en.get(f"/credit/subjects/{uscc}?doc={number}").text
        assert f"No credit report numbered {number} was issued for this subject" in page


def test_an_unknown_subject_has_no_report(en, db_session):
    assert en.get("/credit/subjects/91340100MA2NXXXX0X/report.pdf").status_code == 404
