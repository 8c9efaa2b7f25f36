"""The officers' console as legal officers use it: headless Chromium on the real stack.

Debian's chromium and chromedriver (``make browser``), driven by Selenium. Screenshots go to
``$CRIBLE_SCREENSHOTS`` when set (``make screenshots`` writes ``deploy/screenshots/``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from shared.config import Settings
from tests.e2e.browser import chromium_options, chromium_paths, fit_viewport, new_driver
from tests.integration.dispatch.test_api import add_reviewer
from tests.integration.dispatch.test_console_browser import (
    _loaded,
    in_browser,
    navigate,
    screenshot,
)
from tests.integration.legal.console_fixtures import (
    closing,
    emergency_epoc,
    post_form,
    preservation_order,
    signed_in,
    signed_pdf,
    token_of,
)
from tests.integration.legal.test_portal import portal, seed_history

pytestmark = [pytest.mark.integration, pytest.mark.browser]
__all__ = ["portal"]


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    driver = new_driver(width=1280, height=800, language="en")
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver: webdriver.Chrome, url: str, token: str) -> None:
    driver.get(f"{url}/console/login")
    field = driver.find_element(By.ID, "token")
    field.send_keys(token)
    _loaded(driver, field.submit)


def text(driver: webdriver.Chrome, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


async def test_an_officer_signs_in_reads_narrows_and_prepares_and_a_second_approves(  # noqa: PLR0915
    *,
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
    browser: webdriver.Chrome,
    tmp_path: Path,
) -> None:
    url = str(portal.base_url).rstrip("/")
    await seed_history(settings, producer, db)
    paris, status = await emergency_epoc(settings, portal, signed_pdf(3))
    rid = status["request_id"]
    ines, hugo = await token_of(settings, "ines"), await token_of(settings, "hugo")
    reviewer = (await add_reviewer(db, "rita"))["Authorization"].removeprefix("Bearer ")

    # Neither a reviewer's token nor an authority's opens the officers' console.
    for stranger in (reviewer, paris.token):
        await in_browser(sign_in, browser, url, stranger)
        assert browser.current_url.endswith("/console/login")
        assert text(browser, "failed") == "Unknown or disabled token."

    await in_browser(sign_in, browser, url, ines)
    assert browser.current_url.endswith("/console/requests")
    row = browser.find_element(By.CSS_SELECTOR, "tr.emergency")
    assert "European Production Order" in row.text
    assert "Emergency" in row.text
    await in_browser(screenshot, browser, "legal-console-requests", tmp_path)

    # The emergency request, then its document: the reading goes on the audit trail.
    await navigate(browser, lambda: row.find_element(By.TAG_NAME, "a").click())
    assert f"/console/requests/{rid}" in browser.current_url
    checks = browser.find_elements(By.CSS_SELECTOR, ".checks li")
    assert [c.get_attribute("class") for c in checks] == ["ok"] * len(checks)
    assert (
        "Regulation (EU) 2023/1543 art. 4(1)"
        in browser.find_element(By.ID, "checks-title").find_element(By.XPATH, "..").text
    )
    readings = "SELECT count(*) FROM legal.audit WHERE step = 'document_read' AND request_id = $1"
    assert await db.fetchval(readings, rid) == 0
    await navigate(browser, lambda: browser.find_element(By.ID, "read").click())
    assert await db.fetchval(readings, rid) == 1

    def pages_drawn() -> list[int]:
        images = browser.find_elements(By.CSS_SELECTOR, "img.document-page")
        for image in images[:1]:
            browser.execute_script("arguments[0].scrollIntoView();", image)
        return [
            int(
                browser.execute_script(
                    "return arguments[0].complete && arguments[0].naturalWidth", i
                )
                or 0
            )
            for i in images[:2]
        ]

    drawn = await in_browser(pages_drawn)
    assert len(browser.find_elements(By.CSS_SELECTOR, "img.document-page")) == 3
    assert all(width > 500 for width in drawn), drawn
    assert text(browser, "reading") == "This reading is recorded in the audit trail."
    # What approval would disclose: counts, never a value.
    preview = text(browser, "preview")
    assert "Subscriber data: account: 1, phone numbers: 1" in preview
    assert "+336" not in browser.find_element(By.TAG_NAME, "main").text.replace(" ", "")
    await in_browser(browser.execute_script, "window.scrollTo(0, 0);")
    await in_browser(screenshot, browser, "legal-console-request", tmp_path)
    await in_browser(
        browser.execute_script, "document.getElementById('document-title').scrollIntoView();"
    )
    await in_browser(screenshot, browser, "legal-console-document", tmp_path)

    # Narrow: identification data only, with a reason.
    def narrow() -> None:
        browser.find_element(By.ID, "keep-subscriber").click()
        browser.find_element(By.ID, "narrow-reason").send_keys("Seule l'adresse IP est utile.")
        browser.find_element(By.ID, "narrow").click()

    await navigate(browser, narrow)
    assert "narrowed_done" in browser.current_url
    assert text(browser, "state") == "narrowed"
    assert "Identification data (IP)" in text(browser, "scope")

    # A form whose CSRF token was taken out (as another site's post has none) is refused.
    def forge() -> None:
        browser.execute_script("document.querySelector('#prepare-form input[name=csrf]').remove();")
        browser.find_element(By.ID, "prepare").click()

    await navigate(browser, forge)
    assert "did not come from this console" in text(browser, "problem")
    assert await db.fetchval("SELECT count(*) FROM legal.approvals") == 0

    await in_browser(browser.get, f"{url}/console/requests/{rid}")
    await navigate(browser, lambda: browser.find_element(By.ID, "prepare").click())
    assert text(browser, "state") == "prepared, awaiting approval"
    assert "You prepared this request" in text(browser, "you-prepared")
    assert not browser.find_elements(By.ID, "approve")

    # Posting an approval anyway (a form put together in the page): the page refuses.
    def approve_own() -> None:
        browser.execute_script(
            """var f = document.getElementById('refuse-form').cloneNode(true);
               f.action = f.action.replace(/refuse$/, 'approve'); f.removeAttribute('data-confirm');
               f.querySelector('#refuse-confirmed').checked = true;
               f.querySelector('[name=code]').removeAttribute('required');
               f.querySelector('[name=explanation]').removeAttribute('required');
               document.body.appendChild(f); f.submit();"""
        )

    await navigate(browser, approve_own)
    assert "you prepared this request" in text(browser, "message")
    assert await db.fetchval("SELECT approved_by FROM legal.approvals") is None

    # Hugo, the second officer, sees who prepared it and approves.
    second = await in_browser(lambda: new_driver(width=1280, height=800, language="en"))
    try:
        await in_browser(sign_in, second, url, hugo)
        await in_browser(second.get, f"{url}/console/requests/{rid}")
        assert "Prepared by ines (ines) on " in text(second, "prepared-note")

        def approve() -> None:
            second.find_element(By.ID, "approve-confirmed").click()
            second.find_element(By.ID, "approve").click()
            second.switch_to.alert.accept()  # the script's confirmation

        await navigate(second, approve)
        assert text(second, "state") == "package ready"
        assert "hugo (hugo)" in text(second, "approved-by")
        history = text(second, "history")
        for step in ("checks_passed", "document_read", "narrowed", "reviewed", "approved",
                     "package_built"):  # fmt: skip
            assert step in history, step
        await in_browser(screenshot, second, "legal-console-approved", tmp_path)
    finally:
        await in_browser(second.quit)
    stored = await db.fetchrow(
        "SELECT r.state, a.prepared_by, a.approved_by FROM legal.requests r "
        "JOIN legal.approvals a USING (request_id) WHERE request_id = $1",
        uuid.UUID(rid),
    )
    assert stored is not None
    assert tuple(stored) == ("package_ready", "ines", "hugo")


async def test_screenshots_of_the_console_in_french(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    """The pages as a French-speaking legal admin sees them (``make screenshots``)."""
    url = str(portal.base_url).rstrip("/")
    await seed_history(settings, producer, db)
    _, status = await emergency_epoc(settings, portal, signed_pdf(2))
    await emergency_epoc(settings, portal, signed_pdf(1), authority="fr-gendarmerie-lyon")
    admin = await token_of(settings, "camille", "legal_officer,legal_admin")
    driver = await in_browser(lambda: new_driver(width=1280, height=800, language="fr"))
    try:

        def visit() -> list[Path]:
            driver.get(f"{url}/console/login")
            assert "Jeton d'officier juridique" in driver.page_source
            driver.find_element(By.ID, "token").send_keys(admin)
            _loaded(driver, driver.find_element(By.ID, "token").submit)
            assert "Réquisitions" in driver.find_element(By.TAG_NAME, "h1").text
            assert "Injonction européenne de production" in driver.page_source
            shots = [screenshot(driver, "legal-console-requests-fr", tmp_path)]
            driver.get(f"{url}/console/requests/{status['request_id']}/read")
            assert "Contrôles juridiques" in driver.page_source
            assert "Cette lecture est consignée au journal d'audit." in driver.page_source
            driver.execute_script("window.scrollTo(0, 0);")
            shots.append(screenshot(driver, "legal-console-request-fr", tmp_path))
            Select(driver.find_element(By.ID, "refuse-code")).select_by_value("over_broad")
            driver.get(f"{url}/console/admin/audit")
            _loaded(driver, driver.find_element(By.ID, "verify").click)
            assert "La chaîne est intègre." in driver.find_element(By.ID, "verdict").text
            shots.append(screenshot(driver, "legal-console-audit-fr", tmp_path))
            return shots

        shots = await in_browser(visit)
    finally:
        await in_browser(driver.quit)
    assert all(shot.stat().st_size > 10_000 for shot in shots)


def without_script() -> webdriver.Chrome:
    """A headless Chromium that runs no page script (Selenium's own commands still work)."""
    chromium, chromedriver = chromium_paths()
    options = chromium_options(chromium, width=1280, height=800, language="en")
    options.add_experimental_option(
        "prefs",
        {"intl.accept_languages": "en", "profile.managed_default_content_settings.javascript": 2},
    )
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    try:
        fit_viewport(driver, 1280, 800)  # Selenium's own script runs; the pages' do not
    except BaseException:
        driver.quit()
        raise
    return driver


async def test_without_script_preservation_orders_and_a_legal_admins_pages(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    """Every form works with scripting off; the pages beside the requests (``make screenshots``)."""
    url = str(portal.base_url).rstrip("/")
    await seed_history(settings, producer, db)
    await emergency_epoc(settings, portal, signed_pdf(1))
    rid = await preservation_order(settings, portal)
    page = f"/console/requests/{rid}"
    ines = await signed_in(url, await token_of(settings, "ines"))
    hugo = await signed_in(url, await token_of(settings, "hugo"))
    async with closing(ines, hugo):
        await post_form(ines, f"{page}/prepare", page, {})
        await post_form(hugo, f"{page}/approve", page, {"confirmed": "yes"})
    admin = await token_of(settings, "alba", "legal_officer,legal_admin")
    driver = await in_browser(without_script)
    try:
        await in_browser(driver.get, f"{url}/console/login")

        def sign_in_without_script() -> None:
            driver.find_element(By.ID, "token").send_keys(admin)
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            WebDriverWait(driver, 30).until(lambda d: d.current_url.endswith("/console/requests"))

        await in_browser(sign_in_without_script)
        # The countdowns stay as the server wrote them (the deadline): no script ran.
        countdown = driver.find_element(By.CSS_SELECTOR, ".countdown")
        assert countdown.get_attribute("data-deadline") is None
        assert countdown.text.strip()

        await in_browser(driver.get, f"{url}/console/preservations")
        row = driver.find_element(By.CSS_SELECTOR, f'a[href="{page}"]').find_element(
            By.XPATH, "ancestor::tr"
        )
        assert "European Preservation Order" in row.text
        assert "Amtsgericht Berlin (DE)" in row.text
        await in_browser(screenshot, driver, "legal-console-preservations", tmp_path)

        # Extending and lifting with plain forms; the lift's confirmation is its checkbox.
        await in_browser(driver.get, f"{url}{page}")
        await in_browser(click_then, driver, "extend", "?m=extended_done")
        # Unticked, the browser itself keeps the form (a required checkbox): nothing posted.
        await in_browser(lambda: driver.find_element(By.ID, "lift").click())
        assert await in_browser(lambda: driver.current_url.endswith("?m=extended_done"))
        assert await in_browser(text, driver, "state") == "preserving"
        await in_browser(lambda: driver.find_element(By.ID, "lift-confirmed").click())
        await in_browser(click_then, driver, "lift", "?m=lifted_done")
        assert await in_browser(text, driver, "state") == "preservation ended"

        # A legal admin's pages: the chain verified by a form, authorities, the figures.
        await in_browser(admin_pages, driver, url, tmp_path)
    finally:
        await in_browser(driver.quit)
    stored = await db.fetchval("SELECT state FROM legal.requests WHERE request_id = $1",
                               uuid.UUID(rid))  # fmt: skip
    assert stored == "preservation_ended"


def click_then(driver: webdriver.Chrome, element_id: str, ending: str) -> None:
    """Click a form's button and wait for the page its post redirects to."""
    driver.find_element(By.ID, element_id).click()
    WebDriverWait(driver, 30).until(lambda d: d.current_url.endswith(ending))


def admin_pages(driver: webdriver.Chrome, url: str, tmp: Path) -> None:
    """A legal admin verifies the chain, sees the authorities and this year's figures."""
    driver.get(f"{url}/console/admin/audit")
    driver.find_element(By.ID, "verify").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "verdict"))
    assert text(driver, "verdict").startswith("The chain verifies.")
    driver.get(f"{url}/console/admin/authorities")
    berlin = text(driver, "authority-de-ag-berlin")
    assert "DE" in berlin
    assert "court" in berlin.lower()
    screenshot(driver, "legal-console-authorities", tmp)
    driver.get(f"{url}/console/admin/transparency?period={datetime.now(UTC).year}")
    # This test's emergency EPOC; its preservation order is counted apart.
    assert text(driver, "total").split()[:3] == ["All", "countries", "1"]
    assert text(driver, "preservation").split()[:3] == ["Preservation", "orders", "1"]
    screenshot(driver, "legal-console-transparency", tmp)
