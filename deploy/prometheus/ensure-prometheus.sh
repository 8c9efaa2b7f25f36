#!/usr/bin/env bash
# Install Debian's Prometheus (the server and promtool) when promtool is missing.
#
# promtool checks the metrics every process exposes, the rule files and their unit tests;
# the server is the local one `make observe` starts (127.0.0.1 only). Idempotent.
set -euo pipefail

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
    echo "prometheus and promtool already installed"
else
    if [[ "$(id -u)" -eq 0 ]]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "ensure-prometheus: not root and no sudo; install 'prometheus' as root" >&2
        exit 1
    fi
    "${SUDO[@]}" apt-get update
    # The package's post-install starts a system service where systemd runs; it is not
    # needed here (Crible starts its own server with its own configuration).
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends prometheus
fi

promtool --version | head -1
