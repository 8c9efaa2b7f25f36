#!/usr/bin/env bash
# Install Debian's Prometheus (the server and promtool) when either is missing.
#
# promtool checks the metrics every process exposes, the rule files and their unit tests;
# the server is the local one `make observe` starts (127.0.0.1 only, its own configuration:
# the package's system service is not used).
set -euo pipefail

bash "$(dirname "$0")/../ensure-debian-packages.sh" "prometheus promtool" prometheus
promtool --version | head -1
