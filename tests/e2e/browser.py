"""Headless Chromium for end-to-end tests of the reviewer console.

Chromium and chromedriver are Debian's `chromium` and `chromium-driver` packages, which
`deploy/browser/ensure-chromium.sh` installs. Both paths are always given to Selenium, so
Selenium Manager (which would download a browser or a driver) is never run.

No host name but 127.0.0.1 resolves and no proxy is used, so a page that loads something from
the Internet by name fails visibly instead of depending on the network of the machine running
the tests. (A literal IP address is not a name: the resolver rules do not stop it.)
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

#: Where Debian installs them, for a PATH without /usr/bin.
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
DEBIAN_CHROMEDRIVER = Path("/usr/bin/chromedriver")

#: Every host name but 127.0.0.1 fails to resolve (net::ERR_NAME_NOT_RESOLVED).
LOOPBACK_ONLY = "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


def _find(name: str, fallback: Path) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return str(fallback) if shutil.which(fallback) else None


def chromium_paths() -> tuple[str, str]:
    """The paths of chromium and of its chromedriver, which must both be installed."""
    chromium = _find("chromium", DEBIAN_CHROMIUM)
    chromedriver = _find("chromedriver", DEBIAN_CHROMEDRIVER)
    missing = [
        name
        for name, path in (("chromium", chromium), ("chromedriver", chromedriver))
        if path is None
    ]
    if chromium is None or chromedriver is None:
        raise RuntimeError(
            f"{' and '.join(missing)} not found (Debian packages chromium, chromium-driver): "
            "run deploy/browser/ensure-chromium.sh (make browser)"
        )
    return chromium, chromedriver


def chromium_options(
    chromium: str, *, width: int = 1280, height: int = 800, language: str = "en"
) -> Options:
    """Options for a headless, loopback-only Chromium whose requests ask for `language`."""
    options = Options()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        # Chromium refuses to run as root (CI) with its sandbox, and it cannot set one up in
        # most containers anyway.
        "--no-sandbox",
        # /dev/shm is small in containers; Chromium crashes when it fills up.
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        f"--lang={language}",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # A proxy from the environment would resolve names itself, past the rules below.
        "--no-proxy-server",
        f"--host-resolver-rules={LOOPBACK_ONLY}",
    ):
        options.add_argument(argument)
    # --lang sets the UI language; this sets the Accept-Language header pages receive.
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    # Selenium talks to chromedriver on 127.0.0.1: never through an HTTP(S)_PROXY. Deprecated for
    # a ClientConfig, which webdriver.Chrome (unlike webdriver.Remote) does not accept yet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        options.ignore_local_proxy_environment_variables()
    return options


def new_driver(*, width: int = 1280, height: int = 800, language: str = "en") -> webdriver.Chrome:
    """A new headless Chromium whose viewport is `width` x `height`, asking for `language` pages.

    The caller quits it (`driver.quit()`), which also ends chromedriver.
    """
    chromium, chromedriver = chromium_paths()
    options = chromium_options(chromium, width=width, height=height, language=language)
    # An explicit executable_path is what keeps Selenium Manager from ever running.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    try:
        fit_viewport(driver, width, height)
    except BaseException:
        driver.quit()
        raise
    return driver


def fit_viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    """Resize the window so that pages (and screenshots) get exactly `width` x `height`.

    --window-size is the outer size: headless Chromium keeps room for a toolbar it does not draw
    (1280x800 leaves a 1280x657 viewport) and makes windows at least 500 pixels wide.
    """
    inner: list[int] = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    if inner == [width, height]:
        return
    outer = driver.get_window_size()
    driver.set_window_size(width + outer["width"] - inner[0], height + outer["height"] - inner[1])


def save_screenshot(driver: webdriver.Chrome, path: Path) -> Path:
    """Save a PNG of the viewport at `path`, creating its directory; returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(path)):
        raise RuntimeError(f"chromium could not save a screenshot to {path}")
    return path
