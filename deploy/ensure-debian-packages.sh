#!/usr/bin/env bash
# Install Debian packages when any of the commands they provide is missing.
#
# Usage: ensure-debian-packages.sh "COMMAND..." PACKAGE...
# Idempotent: does nothing when every COMMAND is on PATH. Used by make test's set-up
# (deploy/browser/ensure-chromium.sh, deploy/prometheus/ensure-prometheus.sh).
set -euo pipefail

commands=$1
shift
missing=0
for command in $commands; do
    command -v "$command" >/dev/null 2>&1 || missing=1
done
if [[ $missing -eq 0 ]]; then
    echo "already installed: $commands"
    exit 0
fi
if [[ "$(id -u)" -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "not root and no sudo; install '$*' as root" >&2
    exit 1
fi
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
