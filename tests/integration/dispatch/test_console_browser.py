"""The reviewer console as a person uses it: headless Chromium on the real stack.

Debian's chromium and chromedriver (``make browser``), driven by Selenium. Screenshots go to
``$CRIBLE_SCREENSHOTS`` when set (``make screenshots`` writes ``deploy/screenshots/``).
"""

from __future__ import annotations

import asyncio
import os
import struct
import threading
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from services.dispatch.service import SPEC as DISPATCH
from shared.config import Settings
from shared.events.decisions import StatementIssued
from shared.events.enforcement import EnforcementAction
from shared.topics import ENFORCEMENT_ACTIONS, REPORTS_ACCEPTED, STATEMENTS_OF_REASONS
from tests.e2e.browser import new_driver, save_screenshot
from tests.integration.conftest import eventually, read_topic, running, serving
from tests.integration.dispatch.test_api import add_reviewer, api_settings, at_least
from tests.integration.dispatch.test_intake import publish_verdicts, verdict
from tests.integration.dispatch.test_review import accepted, publish

pytestmark = [pytest.mark.integration, pytest.mark.browser]
__all__ = ["api_settings"]

MEDIA_SHA = "5e" * 32


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain PNG image (the platform's media in these tests)."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


class _Media(BaseHTTPRequestHandler):
    """The platform's media service: one image, by its SHA-256."""

    served: list[str] = []  # noqa: RUF012 - shared with the test on purpose

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        if self.path == f"/files/{MEDIA_SHA}":
            body = png(320, 200, (120, 144, 156))
            self.served.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


@pytest.fixture
def media_service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Media)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/files/{{sha256}}"
    finally:
        server.shutdown()


@pytest.fixture
async def console_url(
    api_settings: Settings, media_service: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    monkeypatch.setenv("CRIBLE_DISPATCH_MEDIA_URL", media_service)
    async with running(DISPATCH, api_settings):
        url = f"http://127.0.0.1:{api_settings.http_port}"
        await serving(f"{url}/console/login")
        yield url


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    driver = new_driver(width=1280, height=800, language="en")
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: webdriver.Chrome, name: str, tmp: Path) -> Path:
    folder = os.environ.get("CRIBLE_SCREENSHOTS")
    return save_screenshot(driver, (Path(folder) if folder else tmp) / f"{name}.png")


async def in_browser(action: Any, *args: Any) -> Any:
    """Run a blocking Selenium call off the event loop (the service runs on it)."""
    return await asyncio.to_thread(action, *args)


def _loaded(driver: webdriver.Chrome, action: Any) -> None:
    # A mark on the current page's window: gone once a new page has replaced it. (Waiting
    # for an element to go stale races with chromium's inspector during navigation.)
    driver.execute_script("window.cribleOldPage = true;")
    action()
    WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return window.cribleOldPage === undefined && document.readyState === 'complete';"
        )
    )


async def navigate(driver: webdriver.Chrome, action: Any) -> None:
    """Do what loads a new page (a click, a submit) and wait, off the loop, until it has.

    The server answers on this test's event loop: a Selenium call made on the loop while a
    page is still loading would wait for a server that cannot answer.
    """
    await asyncio.to_thread(_loaded, driver, action)


def sign_in(driver: webdriver.Chrome, url: str, token: str) -> None:
    driver.get(f"{url}/console/login")
    field = driver.find_element(By.ID, "token")
    assert driver.find_element(By.CSS_SELECTOR, "label[for=token]").text == "Reviewer token"
    field.send_keys(token)
    _loaded(driver, field.submit)
    assert driver.current_url.endswith("/console/queue")


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def seed_case(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, case_id: str
) -> None:
    """A hate-speech case with three reports, a link and one media file."""
    now = datetime.now(UTC)
    reports = []
    for i, text in enumerate(
        [
            "Ce message traite tout un groupe de « vermine » et appelle à les chasser.",
            "Hateful message against a whole community, with a photo.",
            "Encore ce compte, troisième fois cette semaine.",
        ]
    ):
        body = accepted(case_id, f"u{i}", text, at=now)
        body["report"]["evidence"] = {
            "message_excerpt": "… ces gens sont de la vermine, il faut les chasser …",
            "urls": ["https://actu-verite.example.fr/article?id=88"],
            "media": [{"sha256": MEDIA_SHA}],
        }
        reports.append(body)
    await publish(producer, settings, REPORTS_ACCEPTED.name, reports)
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM dispatch.case_reports"))
    await publish_verdicts(producer, settings, [verdict(case_id, reports=3)])
    await eventually(lambda: db.fetchval("SELECT count(*) >= 1 FROM dispatch.cases"))


async def test_a_reviewer_signs_in_takes_a_case_reveals_the_image_and_decides(  # noqa: PLR0917
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    console_url: str,
    browser: webdriver.Chrome,
    tmp_path: Path,
) -> None:
    settings = api_settings
    alice = token_of(await add_reviewer(db, "alice"))
    case_id = str(uuid.uuid4())
    await seed_case(settings, db, producer, case_id)

    await in_browser(sign_in, browser, console_url, alice)
    await in_browser(screenshot, browser, "queue", tmp_path)
    # The keyboard shortcut "n" takes the next case.
    await navigate(browser, lambda: browser.find_element(By.TAG_NAME, "body").send_keys("n"))
    assert f"/console/cases/{case_id}/1" in browser.current_url
    # The image is a blurred placeholder; nothing of it was fetched yet.
    assert browser.find_elements(By.CSS_SELECTOR, ".placeholder")
    assert not browser.find_elements(By.CSS_SELECTOR, "img.revealed")
    assert _Media.served == []
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "vermine" in page
    assert browser.find_element(By.CSS_SELECTOR, ".links mark").text == "example.fr"
    assert not browser.find_elements(By.CSS_SELECTOR, ".links a")  # links are text only
    await in_browser(screenshot, browser, "case", tmp_path)

    await navigate(browser, lambda: browser.find_element(By.CSS_SELECTOR, "button.reveal").click())
    image = browser.find_element(By.CSS_SELECTOR, "img.revealed")
    loaded = await in_browser(
        browser.execute_script, "return arguments[0].complete && arguments[0].naturalWidth", image
    )
    assert loaded == 320
    assert _Media.served == [f"/files/{MEDIA_SHA}"]
    exposure = "SELECT count(*) FROM dispatch.exposures WHERE reviewer_id = 'alice'"
    assert await db.fetchval(exposure + " AND media_index = 0") == 1

    def decide() -> None:
        confirm = browser.find_element(By.ID, "confirmed")
        # The confirmation shows only for a decision the user cannot undo (a ban).
        browser.find_element(By.TAG_NAME, "body").send_keys("5")
        assert browser.find_element(By.ID, "outcome-ban_user").is_selected()
        assert confirm.is_displayed()
        # "2" chooses the second decision, removing the content: nothing to confirm.
        browser.find_element(By.TAG_NAME, "body").send_keys("2")
        assert browser.find_element(By.ID, "outcome-remove_content").is_selected()
        assert not confirm.is_displayed()
        reason = Select(browser.find_element(By.ID, "policy_reason"))
        assert reason.first_selected_option.get_attribute("value") == ""  # none preselected
        Select(browser.find_element(By.ID, "policy_reason")).select_by_value("fr.loi1881.24")
        browser.find_element(By.ID, "decide").click()

    await navigate(browser, decide)
    assert browser.current_url.endswith("/console/queue?m=decided")
    assert "Decision recorded." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert browser.find_element(By.ID, "my-decisions").text == "1"

    actions = await read_topic(settings, ENFORCEMENT_ACTIONS.name, until=at_least(1))
    statements = await read_topic(settings, STATEMENTS_OF_REASONS.name, until=at_least(1))
    action = EnforcementAction.model_validate_json(actions[0].value)
    statement = StatementIssued.model_validate_json(statements[0].value)
    assert (str(action.case_id), action.reason) == (case_id, "fr.loi1881.24")
    assert str(statement.case_id) == case_id


async def test_screenshots_of_the_queue_and_the_case_page_in_french(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    console_url: str,
    tmp_path: Path,
) -> None:
    """The pages as a French-speaking reviewer sees them (``make screenshots``)."""
    settings = api_settings
    token = token_of(await add_reviewer(db, "camille"))
    await seed_case(settings, db, producer, str(uuid.uuid4()))
    for other in range(4):
        body = verdict(str(uuid.uuid4())) | {
            "screened_category": ["spam", "harassment_threats"][other % 2]
        }
        await publish_verdicts(producer, settings, [body])
    await eventually(lambda: db.fetchval("SELECT count(*) = 5 FROM dispatch.cases"))
    driver = await in_browser(lambda: new_driver(width=1280, height=800, language="fr"))
    try:

        def visit() -> list[Path]:
            driver.get(f"{console_url}/console/login")
            driver.find_element(By.ID, "token").send_keys(token)
            _loaded(driver, driver.find_element(By.ID, "token").submit)
            assert "Prendre le cas suivant" in driver.page_source
            shots = [screenshot(driver, "queue-fr", tmp_path)]
            _loaded(driver, driver.find_element(By.ID, "next").click)
            assert "Signalements" in driver.page_source
            shots.append(screenshot(driver, "case-fr", tmp_path))
            return shots

        shots = await in_browser(visit)
    finally:
        await in_browser(driver.quit)
    assert all(shot.stat().st_size > 10_000 for shot in shots)


async def test_no_clearance_no_case_even_by_url_an_expired_lease_and_a_forged_form(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    console_url: str,
    browser: webdriver.Chrome,
) -> None:
    settings = api_settings
    alice = token_of(await add_reviewer(db, "alice"))
    csam = str(uuid.uuid4())
    body = verdict(csam) | {"screened_category": "child_sexual_abuse", "severity": "critical"}
    hate = str(uuid.uuid4())
    await publish_verdicts(producer, settings, [body])
    await seed_case(settings, db, producer, hate)
    await eventually(lambda: db.fetchval("SELECT count(*) = 2 FROM dispatch.cases"))
    await in_browser(sign_in, browser, console_url, alice)

    # Typing the address of a case she is not cleared for: a 403 page, nothing of the case.
    await in_browser(browser.get, f"{console_url}/console/cases/{csam}/1")
    assert "You are not cleared to see this case." in browser.find_element(By.ID, "problem").text
    assert "child" not in browser.find_element(By.TAG_NAME, "main").text

    # Her lease runs out while she reads: deciding says so, and the case waits again.
    await in_browser(browser.get, f"{console_url}/console/queue")
    await navigate(browser, lambda: browser.find_element(By.ID, "next").click())
    assert hate in browser.current_url
    await db.execute(
        "UPDATE dispatch.cases SET lease_expires_at = now() - interval '1 second' "
        "WHERE case_id = $1",
        uuid.UUID(hate),
    )

    def decide_late() -> None:
        browser.find_element(By.ID, "outcome-no_violation").click()
        Select(browser.find_element(By.ID, "policy_reason")).select_by_value("nv.no_breach")
        browser.find_element(By.ID, "decide").click()

    await navigate(browser, decide_late)
    assert (
        "Your lease on this case expired" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    )
    assert await db.fetchval("SELECT count(*) FROM dispatch.decisions") == 0
    # Back in the queue: she (or anyone) can take it again.
    await navigate(browser, lambda: browser.find_element(By.ID, "next").click())
    assert hate in browser.current_url

    # A form whose CSRF token was taken out (as a forged cross-site post has none) is refused.
    def forge() -> None:
        browser.execute_script(
            "document.querySelectorAll('#decide-form input[name=csrf]')"
            ".forEach(function (e) { e.remove(); });"
        )
        browser.find_element(By.ID, "outcome-no_violation").click()
        Select(browser.find_element(By.ID, "policy_reason")).select_by_value("nv.no_breach")
        browser.find_element(By.ID, "decide").click()

    await navigate(browser, forge)
    assert "did not come from this console" in browser.find_element(By.ID, "problem").text
    assert await db.fetchval("SELECT count(*) FROM dispatch.decisions") == 0
