"""The headless-Chromium harness works: forms, labels, cookies, Accept-Language, screenshots.

A tiny HTTP server on 127.0.0.1 stands in for the reviewer console; nothing else is needed
(no Kafka, no PostgreSQL), only Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import html
import struct
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.selenium_manager import SeleniumManager
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.e2e.browser import new_driver, save_screenshot

pytestmark = pytest.mark.browser

SESSION = "s3ss10n"

FORM_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Smoke form</title></head>
<body>
<p id="accept-language">{accept_language}</p>
<form method="post" action="/submit">
  <label for="note">Reviewer note</label>
  <input id="note" name="note" type="text">
  <button type="submit">Send</button>
</form>
</body></html>
"""

RESULT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Received</title></head>
<body>
<p id="result">Received: {note}</p>
<p id="cookie">{cookie}</p>
</body></html>
"""


class Handler(BaseHTTPRequestHandler):
    """The form page (which sets the session cookie) and the page its submission lands on."""

    def do_GET(self) -> None:
        if self.path != "/":
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        language = html.escape(self.headers.get("Accept-Language", ""))
        self._send(
            FORM_PAGE.format(accept_language=language),
            cookie=f"session={SESSION}; Path=/; HttpOnly; SameSite=Strict",
        )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        note = html.escape(form.get("note", [""])[0])
        cookie = html.escape(self.headers.get("Cookie", ""))
        self._send(RESULT_PAGE.format(note=note, cookie=cookie))

    def _send(self, page: str, *, cookie: str | None = None) -> None:
        body = page.encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if cookie is not None:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """Quiet: pytest output is not the place for an access log."""


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="smoke-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_selenium_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    """Selenium Manager would download a browser or a driver: it must never run."""

    def refuse(self: SeleniumManager, args: list[str]) -> dict[str, str]:
        raise AssertionError(f"Selenium Manager was called with {args}")

    monkeypatch.setattr(SeleniumManager, "binary_paths", refuse)


@pytest.fixture
def french() -> Iterator[webdriver.Chrome]:
    driver = new_driver(language="fr")
    try:
        yield driver
    finally:
        driver.quit()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_labelled_form_is_filled_in_and_submitted(
    french: webdriver.Chrome, site: str, tmp_path: Path
) -> None:
    french.get(f"{site}/")
    label = french.find_element(By.XPATH, "//label[normalize-space()='Reviewer note']")
    field = french.find_element(By.ID, label.get_attribute("for") or "")
    assert field.accessible_name == "Reviewer note"

    field.send_keys("spam <b>wave</b> é")
    french.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(french, 10).until(expected_conditions.title_is("Received"))

    assert french.find_element(By.ID, "result").text == "Received: spam <b>wave</b> é"
    # SameSite=Strict: a same-site form post carries the cookie back.
    assert french.find_element(By.ID, "cookie").text == f"session={SESSION}"

    shot = save_screenshot(french, tmp_path / "shots" / "result.png")
    assert shot.stat().st_size > 0
    assert png_size(shot) == (1280, 800)


def test_the_server_cookie_is_http_only_and_strictly_same_site(
    french: webdriver.Chrome, site: str
) -> None:
    french.get(f"{site}/")

    [cookie] = french.get_cookies()
    assert cookie["name"] == "session"
    assert cookie["value"] == SESSION
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    # ... and so page scripts cannot read it.
    assert french.execute_script("return document.cookie") == ""


def test_pages_are_asked_for_in_the_driver_language(french: webdriver.Chrome, site: str) -> None:
    french.get(f"{site}/")

    assert french.find_element(By.ID, "accept-language").text == "fr"
    assert french.execute_script("return navigator.language") == "fr"


def test_the_viewport_is_the_size_asked_for(site: str) -> None:
    driver = new_driver(width=390, height=844)
    try:
        driver.get(f"{site}/")
        assert driver.find_element(By.ID, "accept-language").text == "en"
        assert driver.execute_script("return [window.innerWidth, window.innerHeight]") == [390, 844]
    finally:
        driver.quit()


def test_no_host_but_loopback_resolves(french: webdriver.Chrome) -> None:
    with pytest.raises(WebDriverException, match="ERR_NAME_NOT_RESOLVED"):
        french.get("http://example.com/")
