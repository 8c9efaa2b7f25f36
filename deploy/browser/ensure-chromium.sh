#!/usr/bin/env bash
# Install Debian's headless-capable Chromium and its matching chromedriver when either is missing.
#
# The browser tests (tests/e2e) drive Chromium through chromedriver; both come from Debian's
# `chromium` and `chromium-driver` packages, never from a downloaded browser build (Selenium
# Manager is never used: tests/e2e/browser.py passes both paths explicitly).
# Idempotent: does nothing when `chromium` and `chromedriver` are already on PATH.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "chromium and chromedriver already installed"
else
    if [[ "$(id -u)" -eq 0 ]]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "ensure-chromium: not root and no sudo; install 'chromium chromium-driver' as root" >&2
        exit 1
    fi
    "${SUDO[@]}" apt-get update
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends chromium chromium-driver
fi

chromium --version
chromedriver --version
