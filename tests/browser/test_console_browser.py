"""The console in a real browser (Debian's Chromium, driven by Playwright): sign in, work an
alert from the queue to closed (and into a case), check its audit proofs again in the browser,
upload a victims list; screenshots at 1280 px and phone width when
SHIELDWALL_CONSOLE_SCREENSHOTS names a folder (docs/console.md's images are made that way)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from shieldwall.api.app import create_app
from shieldwall.config import Settings
from shieldwall.core.clock import ManualClock
from shieldwall.wiring import Services
from tests.browser.conftest import WAIT_MS
from tests.functional.console_world import World, populate, victims_csv

SHOTS = os.environ.get("SHIELDWALL_CONSOLE_SCREENSHOTS")


@pytest.fixture
def settings(sqlite_settings: Settings) -> Settings:
    """SQLite only: the console's pages are the same on PostgreSQL (tests/functional)."""
    return sqlite_settings


@pytest.fixture
def world(services: Services, clock: ManualClock) -> World:
    with TestClient(create_app(services)) as client:
        return populate(services, clock, client)


def signed_in(browser: Browser, server: str, key: str, width: int = 1280) -> Page:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server}/console")
    expect(page).to_have_url(f"{server}/console/sign-in")
    page.fill("#api_key", key)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server}/console/overview")
    return page


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


def test_sign_in_and_work_an_alert_from_the_queue_to_closed(
    browser: Browser, server: str, world: World
) -> None:
    """The queue links to the alert; its proofs verify in the browser; assign, then close; open
    a case from it and move the case to investigating."""
    page = signed_in(browser, server, world.keys["sec-admin"])
    expect(page.locator("#records-exposed")).to_have_text("8")
    shot(page, "overview")
    page.click("nav >> text=Alerts")
    page.select_option("select[name=kind]", "break_glass")  # htmx swaps the table in place
    expect(page).to_have_url(f"{server}/console/alerts?status=&kind=break_glass&principal=")
    shot(page, "alerts")
    page.locator("#alert-queue tbody a").first.click()
    # proof.js recomputes every inclusion proof with WebCrypto and marks the body when done
    page.wait_for_selector("body[data-proofs-checked=yes]")
    checks = page.locator("td.browser-check")
    assert checks.count() >= 1
    for i in range(checks.count()):
        expect(checks.nth(i)).to_have_text("✓ OK")
    shot(page, "alert")
    page.click("#assign")
    expect(page.locator("#alert-assignee")).to_have_text("sec-admin")
    page.select_option("select[name=reason]", "confirmed")
    page.fill("textarea[name=note]", "agent admitted the look-ups; case opened")
    page.click("#close")
    expect(page.locator("#alert-status")).to_have_text("closed")
    page.click("#open-case")  # the alert becomes a case, worked on its page
    expect(page.locator("#case-state")).to_have_text("open")
    page.select_option("select[name=to]", "investigating")
    page.click("#transition")
    expect(page.locator("#case-state")).to_have_text("investigating")
    shot(page, "case")
    page.close()


def test_a_tampered_proof_fails_in_the_browser(browser: Browser, server: str, world: World) -> None:
    """The browser's check is real: a proof whose root is altered in the page fails."""
    page = signed_in(browser, server, world.keys["sec-admin"])
    page.goto(f"{server}/console/alerts?kind=break_glass")
    page.locator("#alert-queue tbody a").first.click()
    page.wait_for_selector("body[data-proofs-checked=yes]")
    row = page.locator("tr.proof").first
    # change one byte of the root and run the same check again on that row
    page.evaluate(
        """() => {
          const row = document.querySelector('tr.proof');
          const raw = atob(row.dataset.root);
          row.dataset.root = btoa(String.fromCharCode(raw.charCodeAt(0) ^ 1) + raw.slice(1));
          document.body.dataset.proofsChecked = '';
          const s = document.createElement('script');
          s.src = '/console/static/proof.js?again';
          document.body.appendChild(s);
        }"""
    )
    page.wait_for_selector("body[data-proofs-checked=yes]")
    expect(row.locator("td.browser-check")).to_have_text("✗ FAILED")
    page.close()


def test_upload_a_victims_list(browser: Browser, server: str, world: World, tmp_path: Path) -> None:
    """The trace page takes a CSV from the file picker and ranks the harvesting agent first."""
    csv = tmp_path / "victims.csv"
    csv.write_bytes(victims_csv())
    page = signed_in(browser, server, world.keys["sec-admin"])
    page.click("nav >> text=Trace")
    page.set_input_files("#victims", str(csv))
    page.click("#upload")
    expect(page.locator("#ranking tbody tr").first).to_contain_text("agent-li")
    shot(page, "trace")
    page.goto(f"{server}/console/audit")
    shot(page, "audit")
    page.close()


def test_phone_width_and_chinese(browser: Browser, server: str, world: World) -> None:
    """At 390 px the overview fits without sideways scrolling; the switch turns it Chinese."""
    page = signed_in(browser, server, world.keys["sec-admin"], width=390)
    page.click("text=中文")
    expect(page.locator("h1")).to_have_text("损失")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    shot(page, "overview-phone-zh")
    page.close()
