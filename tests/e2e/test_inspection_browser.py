"""Issue 5, "Done when": a double-random inspection through the pages in headless Chromium, on
a real platform process loaded with the demo data (tests/e2e/conftest.py).

The staff member of 住建局 drafts a plan on the plan form (one item, a scope of one service
item, ratios, a team of 2, a fixed draw date); the drafter may not approve it, so the
department's administrator signs in, approves and publishes it, and the plan page shows
the period's seed hash in advance (RULES.md §3 "Plan"). A draw date must be in the future
and the server runs without the scheduler, so the clock reaching the period is played by
a one-off script with the project's own code on the live server's database: it moves that
period's due time into the past and runs the sweeper the scheduler would run then
(core.scheduler.run_sweeper). Back in the browser an inspector of the drawn team enters a
result with a problem found, the lead department publishes it, and anyone — signed out —
sees it on the public result pages; the draw page verifies the draw (✓)."""

import json
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from core.demo import PASSWORD
from tests.e2e.conftest import INTERMART, send, until_gone
from tests.e2e.test_registration_browser import _click, _fill

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
WAIT = 15
DRAFTER, APPROVER = "zjj_staff", "zjj_admin"  # 住建局: its plan staff and its administrator
ITEM = "CC-ZJ-001"  # 工程造价咨询企业执业行为检查, on 住建局's item list
SCOPE = "ZJ-ZJ-004"  # 工程造价咨询: the pool is the agencies offering it
PLAN_NAME = "工程造价咨询企业执业行为浏览器随机抽查"
RESULT = "corrected"  # a problem found, ordered corrected (inspection/result_codes.py)
RESULT_ZH = "发现问题已责令改正"
FINDINGS = "抽查3份造价成果文件，其中1份未按规定加盖执业印章。"
ORDER = "责令15日内补正成果文件签章并报送整改报告。"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Run with the project's code against the live database: the clock reaches the plan's one
# period (its due time moves into the past), then the draw sweeper runs as the scheduler
# would, in its own committed transaction. Prints the period and its tasks as JSON.
DRAW = """
import json, sys
from datetime import timedelta
from sqlalchemy import select
from app import create_app
from core import scheduler
from core.db import utcnow
from core.extensions import db
from inspection.models import Plan, PlanPeriod, Task

with create_app().app_context():
    plan = db.session.scalar(select(Plan).where(Plan.number == sys.argv[1]))
    (period,) = plan.periods
    period.due_at = utcnow() - timedelta(seconds=1)  # the clock reaching the period
    db.session.commit()
    period_id = period.id
    scheduler.run_sweeper("inspection.draw_due_periods")
    period = db.session.get(PlanPeriod, period_id)
    tasks = db.session.scalars(select(Task).where(Task.period_id == period_id)).all()
    print(json.dumps({"status": period.status.value, "object_draw_id": period.object_draw_id,
                      "tasks": [{"number": t.number, "agency": t.agency.name,
                                 "uscc": t.agency.uscc,
                                 "team": sorted(m.inspector.user.username for m in t.team)}
                                for t in tasks]}))
"""


# --- The live server's database --------------------------------------------------------------

def plan_status(db: Path, number: str) -> str:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT status FROM inspection_plan WHERE number = ?",
                                  (number,)).fetchone()[0]


def task_row(db: Path, number: str) -> tuple:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT status, result_code, credit_record_id FROM inspection_task WHERE number = ?",
            (number,)).fetchone()


def run_the_draw(live_server, number: str) -> dict:
    done = subprocess.run([sys.executable, "-c", DRAW, number], cwd=REPO, env=live_server.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- Browser helpers -------------------------------------------------------------------------

def wait_for(browser, css: str):
    return WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, css)))



def form_to(browser, action_suffix: str):
    return wait_for(browser, f"form[action$='{action_suffix}']")


def set_date(browser, name: str, day) -> None:
    """A date picker: set it as one does."""
    field = browser.find_element(By.NAME, name)
    browser.execute_script("arguments[0].value = arguments[1]", field, day.isoformat())


def select_containing(browser, name: str, text: str) -> None:
    menu = Select(browser.find_element(By.NAME, name))
    menu.select_by_value(next(o.get_attribute("value") for o in menu.options if text in o.text))


def sign_in(browser, url: str, username: str) -> None:
    browser.get(url + "/login")
    _fill(browser, "username", username)
    _fill(browser, "password", PASSWORD)
    send(browser, browser.find_element(By.NAME, "username").find_element(By.XPATH,
                                                                         "ancestor::form"))
    assert "/login" not in browser.current_url, browser.page_source[:2000]


def sign_out(browser) -> None:
    """The user menu's "Sign out"."""
    form = wait_for(browser, "form[action$='/logout']")
    menu = form.find_element(By.XPATH, "ancestor::li[contains(@class, 'dropdown')]")
    _click(browser, menu.find_element(By.CSS_SELECTOR, ".dropdown-toggle"))
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    WebDriverWait(browser, WAIT).until(EC.visibility_of(button))
    button.click()
    until_gone(browser, form)
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action$='/logout']")


# --- The steps -------------------------------------------------------------------------------

def draft_plan(browser, url: str, draw_on) -> str:
    browser.get(url + "/inspection/plans/new")
    _fill(browser, "name", PLAN_NAME)
    select_containing(browser, "item_ids", ITEM)
    select_containing(browser, "service_item_id", SCOPE)
    for name, per_cent in (("ratio_a", "2"), ("ratio_b", "5"), ("ratio_c", "50"),
                           ("ratio_d", "100")):
        _fill(browser, name, per_cent)
    _fill(browser, "min_count", "1")
    _fill(browser, "team_size", "2")
    _fill(browser, "window_working_days", "20")
    Select(browser.find_element(By.NAME, "schedule_kind")).select_by_value("dates")
    _fill(browser, "dates", draw_on.isoformat())
    send(browser, browser.find_element(By.NAME, "name").find_element(By.XPATH,
                                                                     "ancestor::form"))
    assert "/inspection/plans/JCJH-" in browser.current_url, browser.page_source[:3000]
    return browser.current_url.rsplit("/", 1)[1]


def approve_and_publish(browser, url: str, db: Path, number: str) -> str:
    """The administrator approves and publishes; returns the period's published seed hash."""
    browser.get(f"{url}/inspection/plans/{number}")
    send(browser, form_to(browser, f"/{number}/approve"))
    assert plan_status(db, number) == "approved"
    send(browser, form_to(browser, f"/{number}/publish"))
    assert plan_status(db, number) == "published"
    (period,) = wait_for(browser, "[data-testid='periods']").find_elements(
        By.CSS_SELECTOR, "tbody tr")
    seed_hash = period.find_element(By.CSS_SELECTOR, "td.font-monospace").text
    assert re.fullmatch("[0-9a-f]{64}", seed_hash), period.text
    return seed_hash


def enter_result(browser, url: str, number: str, today) -> None:
    """The inspector opens "my tasks", then the task, and enters the result."""
    browser.get(url + "/inspection/tasks/mine")
    link = wait_for(browser, "[data-testid='tasks']").find_element(
        By.XPATH, f".//a[normalize-space()='{number}']")
    _click(browser, link)
    form = form_to(browser, "/result")
    Select(form.find_element(By.NAME, "result_code")).select_by_value(RESULT)
    _fill(browser, "findings", FINDINGS)
    set_date(browser, "inspected_on", today)
    _fill(browser, "rectification_order", ORDER)
    set_date(browser, "rectification_due_on", today + timedelta(days=15))
    send(browser, form)
    result = wait_for(browser, "[data-testid='result']")
    assert RESULT_ZH in result.text and FINDINGS in result.text, browser.page_source[:3000]


def publish_result(browser, url: str, number: str) -> str:
    """The lead department publishes; returns the link to the public page."""
    browser.get(url + "/inspection/tasks/mine")
    link = wait_for(browser, "[data-testid='tasks']").find_element(
        By.XPATH, f".//a[normalize-space()='{number}']")
    _click(browser, link)
    send(browser, form_to(browser, "/publish"))
    return wait_for(browser, "[data-testid='result'] a[href*='/public/tasks/']") \
        .get_attribute("href")


def check_public_pages(browser, public_page: str, number: str, agency: str) -> None:
    browser.get(public_page)
    assert wait_for(browser, "[data-testid='result']").text == RESULT_ZH
    page = browser.find_element(By.TAG_NAME, "body").text
    assert FINDINGS in page and ORDER in page and PLAN_NAME in page
    _click(browser, browser.find_element(By.XPATH, f"//a[normalize-space()='{agency}']"))
    row = wait_for(browser, "[data-testid='results']").find_element(
        By.XPATH, f".//tr[td/a[normalize-space()='{number}']]")
    assert agency in row.text and RESULT_ZH in row.text


def check_the_draw(browser, url: str, live_server, plan: str, seed_hash: str, drawn) -> None:
    """The plan page links the period's draw record, which verifies (✓) and shows the
    drawn agency; `intermart verify-draw` agrees."""
    browser.get(f"{url}/inspection/plans/{plan}")
    (period,) = wait_for(browser, "[data-testid='periods']").find_elements(
        By.CSS_SELECTOR, "tbody tr")
    _click(browser, period.find_element(By.CSS_SELECTOR, "a[href*='/draws/']"))
    wait_for(browser, "[data-testid='verified']")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid='seed-hash']").text == seed_hash
    assert drawn["uscc"] in browser.find_element(By.CSS_SELECTOR, "[data-testid='result']").text
    draw_id = browser.current_url.rstrip("/").rsplit("/", 1)[1]
    check = subprocess.run([INTERMART, "verify-draw", draw_id], env=live_server.env,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


# --- The inspection --------------------------------------------------------------------------

def test_a_random_inspection_through_the_pages(live_server, browser):
    url, db = live_server, live_server.database
    today = datetime.now(SHANGHAI).date()
    browser.delete_all_cookies()

    sign_in(browser, url, DRAFTER)
    plan = draft_plan(browser, url, today + timedelta(days=7))
    assert plan_status(db, plan) == "draft"
    browser.get(f"{url}/inspection/plans/{plan}")  # the drafter may not approve (four eyes)
    send(browser, form_to(browser, f"/{plan}/approve"))
    assert plan_status(db, plan) == "draft"
    browser.get(f"{url}/inspection/plans/{plan}")
    sign_out(browser)

    sign_in(browser, url, APPROVER)
    seed_hash = approve_and_publish(browser, url, db, plan)

    drawn = run_the_draw(live_server, plan)
    assert drawn["status"] == "drawn" and len(drawn["tasks"]) == 1, drawn
    (task,) = drawn["tasks"]
    assert len(task["team"]) == 2 and all(m.startswith("zjj_insp") for m in task["team"])
    sign_out(browser)

    sign_in(browser, url, task["team"][0])
    enter_result(browser, url, task["number"], today)
    assert task_row(db, task["number"])[:2] == ("result_entered", RESULT)
    sign_out(browser)

    sign_in(browser, url, APPROVER)
    public_page = publish_result(browser, url, task["number"])
    status, code, credit_record = task_row(db, task["number"])
    assert (status, code) == ("published", RESULT) and credit_record is not None
    sign_out(browser)

    check_public_pages(browser, public_page, task["number"], task["agency"])
    check_the_draw(browser, url, live_server, plan, seed_hash, task)
