"""Issue 4, "Done when": one lowest-price job through the pages in headless Chromium, on a
real platform process loaded with the demo data (tests/e2e/conftest.py).

The demo owner posts and publishes the job; three demo agencies offering the item bid
(the third first adds the item to its offer on its own page); the owner sees no price.
Bidding must stay open at least 2 working days, and a browser cannot wait that long. So
the platform's clock is not faked: instead a one-off script, run against the live
server's database with the project's own code, moves the job's deadline (later the end of
its publicity) into the past and runs the sweeper the scheduler would run at that moment
(core.scheduler.run_sweeper). Everything else — the result notice, the draw, the contract,
the deliverables, acceptance and both ratings — happens in the browser, and the job's
state is read from the database after each step."""

import io
import os
import sqlite3
import subprocess
import sys
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from market.data.demo_subjects import AGENCIES
from market.demo import DEMO_PASSWORD
from tests.e2e.conftest import INTERMART, send, until_gone
from tests.e2e.test_registration_browser import _click, _fill

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
OWNER, REGULATOR = "jinan_ctjt", "zjj_admin"  # 城投公司; 住建局, competent for 工程勘察
ITEM = "ZJ-ZJ-001"  # 工程勘察, offered by wanxi_dk and huadi in the demo data …
NEWCOMER = "wxsjy"  # … and by this design institute once it adds it, before bidding
BIDS = {"wanxi_dk": "86430.00", "huadi": "79560.00", NEWCOMER: "83270.00"}
WINNER = "huadi"  # the lowest price
NAMES = {agency["username"]: agency["name"] for agency in AGENCIES}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WAIT = 15

# Run with the project's code against the live database: move one deadline of a job into
# the past, then run one sweeper as the scheduler would (its own committed transaction).
MOVE_ON = """
import sys
from datetime import timedelta
from sqlalchemy import select
from app import create_app
from core import scheduler
from core.db import utcnow
from core.extensions import db
from market.models import Job

number, column, sweeper = sys.argv[1:]
with create_app().app_context():
    job = db.session.scalar(select(Job).where(Job.number == number))
    setattr(job, column, utcnow() - timedelta(seconds=1))
    db.session.commit()
    print(scheduler.run_sweeper(sweeper))
"""


# --- The live server's database --------------------------------------------------------------

@pytest.fixture(scope="module")
def live_db(live_server, tmp_path_factory) -> Path:
    """The SQLite file the live server runs on (made by the session's live_server fixture)."""
    found = {path.resolve() for path in tmp_path_factory.getbasetemp().glob("live*/live.db")}
    assert len(found) == 1, found  # (pytest links "livecurrent" to the one directory)
    return found.pop()


def live_env(db: Path) -> dict:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "SECRET_KEY": "browser-test",
            "UPLOAD_DIR": str(db.parent / "uploads")}


def move_on(db: Path, number: str, column: str, sweeper: str) -> None:
    done = subprocess.run([sys.executable, "-c", MOVE_ON, number, column, sweeper], cwd=REPO,
                          env=live_env(db), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1", done.stdout  # exactly this job moved on


def job_status(db: Path, number: str) -> str:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT status FROM job WHERE number = ?",
                                  (number,)).fetchone()[0]


# --- Browser helpers -------------------------------------------------------------------------

def by_testid(browser, name: str):
    return browser.find_element(By.CSS_SELECTOR, f"[data-testid='{name}']")



def form_to(browser, action_suffix: str):
    return browser.find_element(By.CSS_SELECTOR, f"form[action$='{action_suffix}']")


def sign_in(browser, url: str, username: str) -> None:
    """Another person at the same computer: the cookies go, then they sign in."""
    browser.delete_all_cookies()
    browser.get(url + "/login")
    _fill(browser, "username", username)
    _fill(browser, "password", DEMO_PASSWORD)
    send(browser, browser.find_element(By.NAME, "username").find_element(By.XPATH,
                                                                         "ancestor::form"))
    assert "/login" not in browser.current_url, browser.page_source[:2000]


def next_action(browser, url: str, number: str) -> None:
    """Follow the job's "next action" button on the dashboard."""
    browser.get(url + "/dashboard")
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-job='{number}']")
    link = row.find_element(By.CSS_SELECTOR, "a[data-action]")
    _click(browser, link)
    until_gone(browser, row)


def download(browser, href: str) -> bytes:
    """Fetch a link as the browser would (Chromium saves a PDF rather than showing it):
    its cookies, and its user agent, which the sign-in's session protection checks."""
    headers = {"Cookie": "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies()),
               "User-Agent": browser.execute_script("return navigator.userAgent")}
    with urllib.request.urlopen(urllib.request.Request(href, headers=headers),
                                timeout=30) as response:
        assert response.headers["Content-Type"] == "application/pdf"
        return response.read()


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


# --- The steps -------------------------------------------------------------------------------

def offer_item(browser, url: str, code: str) -> None:
    """The agency adds a catalogue item to its offer, with its fee schedule."""
    browser.get(url + "/my/agency")
    _click(browser, browser.find_element(By.CSS_SELECTOR, "#services details summary"))
    label = browser.find_element(By.XPATH, f"//label[span[normalize-space()='{code}']]")
    checkbox = browser.find_element(By.ID, label.get_attribute("for"))
    assert not checkbox.is_selected(), f"the demo agency offers {code} already"
    _click(browser, checkbox)
    _fill(browser, "fee-" + checkbox.get_attribute("value"), "参照《工程勘察设计收费标准》下浮 10%")
    send(browser, checkbox.find_element(By.XPATH, "ancestor::form"))


def post_and_publish(browser, url: str, deadline: date) -> str:
    browser.get(url + "/my/jobs/new")
    _fill(browser, "title", "金安区纬二路道路工程岩土勘察")
    _fill(browser, "scope", "道路全长 2.4 公里，详细勘察并提交岩土工程勘察报告。")
    _fill(browser, "service_days", "25")
    _fill(browser, "budget_ceiling", "100000.00")
    _fill(browser, "budget_floor", "60000.00")
    Select(browser.find_element(By.NAME, "region_code")).select_by_value("341502")
    item = Select(browser.find_element(By.NAME, "service_item_id"))
    item.select_by_visible_text(next(o.text for o in item.options if ITEM in o.text))
    Select(browser.find_element(By.NAME, "funding")).select_by_value("public")
    Select(browser.find_element(By.NAME, "method")).select_by_value("lowest_price")
    day = browser.find_element(By.NAME, "deadline_on")  # a date picker: set like one
    browser.execute_script("arguments[0].value = arguments[1]", day, deadline.isoformat())
    send(browser, by_testid(browser, "job-form"))
    send(browser, by_testid(browser, "publish").find_element(By.XPATH, "ancestor::form"))
    assert "/jobs/ZJ-" in browser.current_url, browser.page_source[:2000]
    return browser.current_url.rsplit("/", 1)[1]


def place_bid(browser, url: str, number: str, price: str) -> None:
    browser.get(f"{url}/jobs/{number}")
    _click(browser, by_testid(browser, "bid-link"))
    form = WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid='bid-form']")))
    _fill(browser, "price", price)
    _click(browser, browser.find_element(By.NAME, "commitment_accepted"))
    send(browser, form)
    assert price in by_testid(browser, "my-price").text  # only the agency itself sees it


def rate(browser, form, ratings: dict, comment: str) -> None:
    for name, value in ratings.items():
        _click(browser, form.find_element(By.CSS_SELECTOR,
                                          f"input[name='{name}'][value='{value}']"))
    form.find_element(By.NAME, "comment").send_keys(comment)
    send(browser, form)


def check_the_result(browser, url: str, db: Path, number: str) -> None:
    """Anyone sees every bid, the ranking, the winner, the result notice and the draw."""
    browser.delete_all_cookies()
    browser.get(f"{url}/jobs/{number}")
    assert by_testid(browser, "winner").text == NAMES[WINNER]
    ranking = [row.text for row in by_testid(browser, "ranking").find_elements(
        By.CSS_SELECTOR, "tbody tr")]
    assert [row.split()[-1] for row in ranking] == sorted(BIDS.values())
    assert ranking[0].startswith("1 " + NAMES[WINNER])

    notice = pdf_text(download(browser, by_testid(browser, "result-notice-pdf")
                               .get_attribute("href")))
    assert number in notice and NAMES[WINNER] in notice and "79,560.00" in notice

    draw_page = by_testid(browser, "draw-link").get_attribute("href")
    browser.get(draw_page)
    by_testid(browser, "verified")
    draw_id = draw_page.rsplit("/", 1)[1]
    check = subprocess.run([INTERMART, "verify-draw", draw_id], env=live_env(db),
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def contract_and_delivery(browser, url: str, db: Path, number: str, pdf: Path) -> None:
    """The winner files the contract, the owner confirms; the winner delivers, the owner
    accepts (and lands on the evaluation page)."""
    sign_in(browser, url, WINNER)
    next_action(browser, url, number)
    form = form_to(browser, "/contract")
    _fill(browser, "amount", BIDS[WINNER])
    form.find_element(By.NAME, "file").send_keys(str(pdf))
    send(browser, form)
    by_testid(browser, "contract-status")  # waiting for the owner
    assert job_status(db, number) == "awarded"

    sign_in(browser, url, OWNER)
    next_action(browser, url, number)
    send(browser, form_to(browser, "/contract/confirm"))
    by_testid(browser, "service-due")
    assert job_status(db, number) == "in_service"
    browser.get(f"{url}/jobs/{number}")
    notice = download(browser, by_testid(browser, "selection-notice-pdf").get_attribute("href"))
    assert NAMES[WINNER] in pdf_text(notice)

    sign_in(browser, url, WINNER)
    next_action(browser, url, number)
    form = form_to(browser, "/deliverables")
    form.find_element(By.NAME, "file").send_keys(str(pdf))
    form.find_element(By.NAME, "note").send_keys("岩土工程勘察报告（详勘）")
    send(browser, form)
    assert job_status(db, number) == "delivered"

    sign_in(browser, url, OWNER)
    next_action(browser, url, number)
    send(browser, form_to(browser, "/accept"))
    assert job_status(db, number) == "accepted"
    assert "/evaluation" in browser.current_url


def evaluate(browser, url: str, db: Path, number: str) -> None:
    """The owner's five ratings, the department's two; both public on the profile."""
    rate(browser, form_to(browser, "/evaluation/owner"),
         {"quality": 5, "timeliness": 4, "attitude": 5, "fees": 4, "conduct": 5},
         "勘察细致，报告按期提交。")
    by_testid(browser, "owner-rating")
    assert job_status(db, number) == "evaluated"

    sign_in(browser, url, REGULATOR)
    browser.get(url + "/dashboard")
    row = browser.find_element(By.CSS_SELECTOR, f"#evaluations tr[data-job='{number}']")
    _click(browser, row.find_element(By.TAG_NAME, "a"))
    rate(browser, WebDriverWait(browser, WAIT).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "form[action$='/evaluation/regulator']"))),
        {"quality": 4, "compliance": 5}, "符合勘察规范")
    by_testid(browser, "regulator-rating")

    browser.delete_all_cookies()
    browser.get(f"{url}/jobs/{number}")
    _click(browser, by_testid(browser, "winner").find_element(By.TAG_NAME, "a"))
    summary = WebDriverWait(browser, WAIT).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "[data-testid='evaluation-summary']")))
    comment = summary.find_element(By.XPATH, ".//li[contains(., '勘察细致，报告按期提交。')]")
    assert "4.60 / 5" in comment.text and number in comment.text  # the mean of the five


# --- The job -------------------------------------------------------------------------------

def test_a_lowest_price_job_through_the_pages(live_server, live_db, browser, tmp_path):
    url = live_server
    signed_pdf = tmp_path / "contract.pdf"
    signed_pdf.write_bytes(PDF)

    sign_in(browser, url, NEWCOMER)
    offer_item(browser, url, ITEM)
    sign_in(browser, url, OWNER)
    number = post_and_publish(browser, url, date.today() + timedelta(days=14))
    assert job_status(live_db, number) == "published"

    for username, price in BIDS.items():
        sign_in(browser, url, username)
        place_bid(browser, url, number, price)

    sign_in(browser, url, OWNER)  # sealed bids: the owner sees neither prices nor a count
    for page in ("/dashboard", "/my/jobs", f"/jobs/{number}"):
        browser.get(url + page)
        assert not any(price in browser.page_source for price in BIDS.values()), page
    by_testid(browser, "bid-count-hidden")

    move_on(live_db, number, "deadline", "market.close_bidding")
    assert job_status(live_db, number) == "publicity"
    check_the_result(browser, url, live_db, number)

    move_on(live_db, number, "publicity_ends_at", "market.end_publicity")
    assert job_status(live_db, number) == "awarded"
    contract_and_delivery(browser, url, live_db, number, signed_pdf)
    evaluate(browser, url, live_db, number)
