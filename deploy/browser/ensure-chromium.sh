#!/usr/bin/env bash
# Install Debian's headless-capable Chromium and its matching chromedriver when either is missing.
#
# The browser tests (tests/e2e) drive Chromium through chromedriver; both come from Debian's
# `chromium` and `chromium-driver` packages, never from a downloaded browser build (Selenium
# Manager is never used: tests/e2e/browser.py passes both paths explicitly).
set -euo pipefail

bash "$(dirname "$0")/../ensure-debian-packages.sh" "chromium chromedriver" chromium chromium-driver
chromium --version
chromedriver --version
