"""The dashboard in a real browser: Debian's chromium, headless, driven by Selenium through chromedriver, against a
real `sessionkeeper serve` on 127.0.0.1. Live status without a reload, the chart, the retry action with and without
the operator's sign-in, and a hostile title that stays text."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.dashboard_support import (
    HOSTILE_TITLE,
    TOKEN,
    add_reminder_outcome,
    add_session,
    dashboard,
    db_now,
    reminder_state,
)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# As root, chromium needs --no-sandbox; the rest keeps it off the (closed) network and out of shared state.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
]

pytestmark = pytest.mark.skipif(
    not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
    reason="needs Debian's chromium and chromium-driver (make system-deps)",
)


def wait(browser: webdriver.Chrome, seconds: float) -> WebDriverWait:
    """A WebDriverWait that reads again when an element it read was replaced meanwhile (a navigation, or the live
    fragment swapped in by a server-sent event): that is the page changing, not a failure."""
    return WebDriverWait(browser, seconds, ignored_exceptions=(StaleElementReferenceException,))


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def open_live(browser: webdriver.Chrome, base: str) -> None:
    """Load the page and wait until its event stream is open."""
    browser.get(base + "/")
    wait(browser, 10).until(lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-live"))
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-live") == "connected"


def status_of(browser: webdriver.Chrome, session: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f"#session-{session} .status").text


def test_status_changes_on_screen_within_two_seconds_of_a_tick(browser, conn, db_url, tmp_path):
    now = db_now(conn)
    session = add_session(conn, "Morning yoga", timedelta(seconds=30), now)
    hostile = add_session(conn, HOSTILE_TITLE, timedelta(hours=3), now)
    with dashboard(db_url, token=None) as (_, base):
        open_live(browser, base)
        assert status_of(browser, session) == "scheduled"
        conn.execute("SELECT scheduling.tick(%s)", (now + timedelta(seconds=31),))
        wait(browser, 2).until(lambda b: status_of(b, session) == "in progress")
        # The hostile title is text on screen, and no script of it ran (no alert), before or after the update.
        assert browser.find_element(By.CSS_SELECTOR, f"#session-{hostile} .title").text == HOSTILE_TITLE
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018
        browser.save_screenshot(str(tmp_path / "dashboard.png"))
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


def test_the_chart_has_bars_for_the_hours_with_sends(browser, conn, db_url):
    now = db_now(conn)
    add_reminder_outcome(conn, now, "+4915100000201", "sent", now - timedelta(hours=5))
    add_reminder_outcome(conn, now, "+4915100000202", "sent", now - timedelta(hours=5))
    add_reminder_outcome(conn, now, "+4915100000203", "sent", now - timedelta(hours=2))
    add_reminder_outcome(conn, now, "+4915100000204", "failed", now - timedelta(hours=2))
    with dashboard(db_url, token=None) as (_, base):
        browser.get(base + "/")
        chart = browser.find_element(By.CSS_SELECTOR, "svg#activity-chart")
        sends = chart.find_elements(By.CSS_SELECTOR, "rect.sends")
        failures = chart.find_elements(By.CSS_SELECTOR, "rect.failures")
        lag_points = chart.find_elements(By.CSS_SELECTOR, "circle.lag")
        assert sorted(int(bar.get_attribute("data-count")) for bar in sends) == [1, 2]
        assert [int(bar.get_attribute("data-count")) for bar in failures] == [1]
        assert len(lag_points) == 2
        assert all(float(bar.get_attribute("height")) > 0 for bar in sends)


def test_retry_works_signed_in_and_is_refused_otherwise(browser, conn, db_url):
    now = db_now(conn)
    failed = add_reminder_outcome(conn, now, "+4915100000301", "failed", now - timedelta(minutes=10))
    with dashboard(db_url) as (_, base):
        browser.get(base + "/")
        assert not browser.find_elements(By.ID, "retry-all")  # not signed in: no action offered
        browser.find_element(By.CSS_SELECTOR, "#login input[name=token]").send_keys(TOKEN)
        browser.find_element(By.CSS_SELECTOR, "#login button").click()
        wait(browser, 5).until(lambda b: b.find_elements(By.ID, "retry-all"))
        # A forged CSRF token in the signed-in browser's own form: refused, nothing changes.
        browser.execute_script("document.querySelector('#retry-all').form.csrf.value = 'forged';")
        browser.find_element(By.ID, "retry-all").click()
        wait(browser, 5).until(lambda b: "forbidden" in b.find_element(By.TAG_NAME, "body").text)
        assert reminder_state(conn, failed) == "failed"
        # The real form: the row goes back to the queue.
        browser.get(base + "/")
        browser.find_element(By.ID, "retry-all").click()
        wait(browser, 5).until(lambda b: b.find_elements(By.ID, "retried"))
        assert browser.find_element(By.ID, "retried").text == "Re-queued 1 failed reminder(s)."
    assert reminder_state(conn, failed) == "pending"


def test_a_browser_without_a_token_configured_cannot_act(browser, conn: psycopg.Connection, db_url):
    now = db_now(conn)
    failed = add_reminder_outcome(conn, now, "+4915100000401", "failed", now - timedelta(minutes=10))
    with dashboard(db_url, token=None) as (_, base):
        browser.get(base + "/")
        assert "Read-only" in browser.find_element(By.TAG_NAME, "body").text
        assert not browser.find_elements(By.ID, "login")
        # A form posted from the page itself (same origin) without a session: 403.
        browser.execute_script(
            "var f = document.createElement('form'); f.method = 'post'; f.action = '/retry';"
            "var c = document.createElement('input'); c.name = 'csrf'; c.value = 'x'; f.appendChild(c);"
            "document.body.appendChild(f); f.submit();"
        )
        wait(browser, 5).until(lambda b: "forbidden" in b.find_element(By.TAG_NAME, "body").text)
    assert reminder_state(conn, failed) == "failed"
