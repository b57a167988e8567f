"""A real platform process for browser tests: its own SQLite database, migrated and loaded
with the demo data exactly as `make run` does, served on a free loopback port."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

INTERMART = str(Path(sys.executable).parent / "intermart")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start in time")


class LiveServer(str):
    """The base URL (a str, so `live_server + "/login"` works), with the server's environment
    (`env`: DATABASE_URL and the rest) and SQLite file (`database`) for scripts that act on
    the same database with the project's own code."""

    env: dict
    database: Path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of a running platform (not the rolled-back test transaction)."""
    home = tmp_path_factory.mktemp("live")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{home / 'live.db'}",
           "SECRET_KEY": "browser-test", "UPLOAD_DIR": str(home / "uploads")}
    for args in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([INTERMART, *args], env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(home / "server.log", "w")  # noqa: SIM115  (closed below)
    server = subprocess.Popen([INTERMART, "run", "--port", str(port), "--no-scheduler"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    url = LiveServer(f"http://127.0.0.1:{port}")
    url.env, url.database = env, home / "live.db"
    try:
        _wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through chromedriver; skipped outside CI if absent."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver must be installed in CI (.ci/run does it)")
        pytest.skip("chromium/chromedriver not installed: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1280,2000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


PAGE_WAIT = 15  # seconds a page may take to replace the one a form was sent from


def _detached(element) -> bool:
    """True once `element` has left the document. Chromedriver sometimes reports a node
    detached mid-check as an 'unhandled inspector error' rather than a stale element."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise
    return False


def send(browser, form) -> None:
    """Submit `form` with its button and wait for the next page."""
    from selenium.webdriver.common.by import By

    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    until_gone(browser, form)


def until_gone(browser, element) -> None:
    """Wait until the page that held `element` has been replaced."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, PAGE_WAIT).until(lambda _driver: _detached(element))
