"""A newcomer registers an agency through the real page in Chromium and finds it listed
in the public directory at once (zero barrier, RULES.md §1)."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.factories import make_uscc

pytestmark = pytest.mark.browser


def _fill(browser, name: str, value: str) -> None:
    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def _click(browser, element) -> None:
    """Scroll the element to the middle of the window, then click it as a user would."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def test_register_agency_then_find_it_in_the_directory(live_server, browser):
    name = "六安市浏览器测试测绘有限公司"
    uscc = make_uscc(7654321)
    browser.get(live_server + "/register/agency")

    _fill(browser, "uscc", uscc)
    _fill(browser, "name", name)
    _fill(browser, "legal_representative", "王建国")
    Select(browser.find_element(By.NAME, "region_code")).select_by_index(1)
    _fill(browser, "address", "六安市金安区梅山南路88号")
    _fill(browser, "contact_name", "刘芳")
    _fill(browser, "contact_phone", "13905641234")
    _fill(browser, "contact_email", "liufang@example.cn")
    _fill(browser, "staff_count", "12")
    first_item = browser.find_element(By.CSS_SELECTOR, "input[type=checkbox][id^='item-']")
    _click(browser, first_item)
    fee_id = "fee-" + first_item.get_attribute("id").removeprefix("item-")
    browser.find_element(By.ID, fee_id).send_keys("按测绘面积 0.8 元/平方米")
    _fill(browser, "username", "browser_agency")
    _fill(browser, "password", "Browser2026pass")
    _fill(browser, "confirm", "Browser2026pass")
    _click(browser, browser.find_element(By.NAME, "commitment_accepted"))
    form = browser.find_element(By.NAME, "uscc").find_element(By.XPATH, "ancestor::form")
    _click(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    assert "/my/agency" in browser.current_url, browser.page_source[:3000]
    assert name in browser.page_source

    browser.get(f"{live_server}/agencies?q=浏览器测试")
    rows = browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
    assert any(name in row.text for row in rows)
    browser.get(f"{live_server}/agencies?q={uscc}")
    assert name in browser.find_element(By.TAG_NAME, "table").text
