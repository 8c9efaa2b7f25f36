# Crible: `make run` runs the pipeline, `make test` runs every test. Both set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Ports of `make run` / `make observe` (e.g. `make observe PROMETHEUS_PORT=9190` beside
# another engineer's stack); the local broker's and database's are CRIBLE_LOCAL_*_PORT.
METRICS_BASE_PORT ?= 9101
HTTP_BASE_PORT    ?= 8101
PROMETHEUS_PORT   ?= 9090
PORTS := --metrics-base-port $(METRICS_BASE_PORT) --http-base-port $(HTTP_BASE_PORT)

.DEFAULT_GOAL := help
.PHONY: help install run observe test chaos bench-e2e browser prometheus-tools metrics-catalogue screenshots unit lint format demo bench-ingest bench-prescreen bench-dispatch bench-legal bench-legal-console bench-retention bench-surge bench-surge-tables eval-prescreen schemas k8s k8s-table compose-secrets topics migrate clean run-cluster cluster-faults bench-ingest-cluster bench-legal-volume

help: ## Show this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --editable '.[dev,local]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install Crible with its development tools

run: $(STAMP) ## Start Kafka + PostgreSQL (unless configured), topics, migrations, every service; Ctrl-C stops all
	$(BIN)/crible local -- $(BIN)/crible run all $(PORTS)

run-cluster: $(STAMP) ## Like run, on three Kafka brokers (replication 3, min.insync 2) and PostgreSQL with a standby
	$(BIN)/crible local --brokers 3 --standby -- $(BIN)/crible run all $(PORTS)

cluster-faults: $(STAMP) ## Under load on the local cluster: a broker killed, another stopped, the database failed over; resume times and invariants (minutes)
	$(BIN)/crible local --brokers 3 --standby -- $(BIN)/crible cluster faults $(PORTS)

test: lint browser prometheus-tools ## Lint, then unit, integration and browser tests on a real Kafka broker and PostgreSQL
	$(BIN)/crible local -- $(BIN)/python -m pytest

prometheus-tools: ## Install Debian's prometheus (server and promtool) when missing (rules, metrics, make observe)
	bash deploy/prometheus/ensure-prometheus.sh

metrics-catalogue: $(STAMP) ## Rewrite deploy/METRICS.md from the code, the rules and the dashboards
	$(BIN)/crible metrics catalogue

browser: ## Install Debian's chromium and chromium-driver when missing (the console's tests)
	bash deploy/browser/ensure-chromium.sh

screenshots: $(STAMP) browser ## Regenerate the consoles' (reviewers', legal officers') and the transparency report's screenshots in deploy/screenshots/
	CRIBLE_SCREENSHOTS=deploy/screenshots $(BIN)/crible local -- $(BIN)/python -m pytest -q tests/integration/dispatch/test_console_browser.py tests/integration/legal/test_console_browser.py tests/integration/legal/test_transparency.py -k "screenshots or signs_in or without_script"

unit: $(STAMP) ## Unit tests only (no Kafka, no database; milliseconds)
	$(BIN)/python -m pytest tests/unit

# Cores and handlers are held to complexity 10, the rest to 15 (pyproject.toml): ruff has no
# per-folder setting, so they are checked again with the limit overridden.
CORES_AND_HANDLERS = $(wildcard services/*/core services/*/core.py services/*/handlers services/*/handler.py)

lint: $(STAMP) ## ruff (lint, complexity, format check), mypy --strict, and the import contracts (lint-imports)
	$(BIN)/ruff check .
	$(BIN)/ruff check --select C901 --config 'lint.mccabe.max-complexity = 10' $(CORES_AND_HANDLERS)
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services tests
	$(BIN)/mypy deploy/k8s/generate.py deploy/compose/make_secrets.py
	$(BIN)/lint-imports --no-cache --no-logo

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

observe: $(STAMP) prometheus-tools ## Like run, with a local Prometheus (port 9090, or PROMETHEUS_PORT) evaluating Crible's rules and alerts
	$(BIN)/crible local -- $(BIN)/crible observe --port $(PROMETHEUS_PORT) $(PORTS)

demo: $(STAMP) ## Publish a realistic report stream to the pipeline `make run` started, and watch it
	$(BIN)/crible demo

bench-ingest: $(STAMP) ## Ingestion vs raw aiokafka throughput on the real stack (200,000 reports, 3 rounds)
	$(BIN)/crible local -- $(BIN)/crible bench ingest --reports 200000 --repeat 3

bench-e2e: $(STAMP) ## Latency hop by hop through the whole pipeline at 500 and 20 reports/s, its throughput ceiling
	$(BIN)/crible local -- $(BIN)/crible bench e2e $(PORTS)

chaos: $(STAMP) ## The whole pipeline under load and faults (kills, broker frozen/killed, database restarted), then its invariants (minutes)
	$(BIN)/crible local -- $(BIN)/crible chaos $(PORTS)

bench-surge: $(STAMP) ## Surge (faust) throughput beside ingest's and raw aiokafka (3 rounds), and threshold-to-signal latency
	$(BIN)/crible local -- $(BIN)/crible bench surge --reports 200000 --repeat 3

bench-surge-tables: $(STAMP) ## Surge's bytes per reporter and per subject, and restoring 1,000,000 reporters after a restart
	$(BIN)/crible local -- $(BIN)/crible bench surge_tables --reporters 1000000

bench-prescreen: $(STAMP) ## Screening throughput, latency, PDQ lookups beside faiss, 10M-bank memory
	$(BIN)/crible local -- $(BIN)/crible bench prescreen

bench-dispatch: $(STAMP) ## Reviewer API latency with 100,000 open cases and 50 reviewers (empties dispatch's tables)
	$(BIN)/crible local -- $(BIN)/crible bench dispatch --think-ms 1000

bench-legal: $(STAMP) ## Identity intake rate, and approval to package for 100,000 sessions
	$(BIN)/crible local -- $(BIN)/crible bench legal

bench-legal-console: $(STAMP) ## The officers' console's server time: 10,000 open requests, a 20-page document
	$(BIN)/crible local -- $(BIN)/crible bench legal_console

bench-legal-volume: $(STAMP) ## The identity store with 100,000,000 sessions: bytes per row, one account's year, a month's retention (about 28 GiB of disk plus WAL, about 15 minutes of loading on 2 busy cores)
	$(BIN)/crible local -- $(BIN)/crible bench legal --volume 100000000

bench-ingest-cluster: $(STAMP) ## Ingestion with 1, 2 and 4 workers on three brokers (200,000 reports, 3 rounds each)
	$(BIN)/crible local --brokers 3 -- $(BIN)/crible bench ingest --reports 200000 --workers 1,2,4 --repeat 3

bench-retention: $(STAMP) ## The retention job on 10 million sessions (20 % due) beside a busy writer
	$(BIN)/crible local -- $(BIN)/crible bench retention

eval-prescreen: $(STAMP) ## Precision/recall of the live and shadow policies on the labelled set
	$(BIN)/crible eval prescreen tests/eval/prescreen.jsonl

schemas: $(STAMP) ## Re-export the JSON Schemas and AsyncAPI document under deploy/schemas/
	$(BIN)/crible schemas export

k8s: $(STAMP) ## Regenerate the Kubernetes manifests in deploy/k8s/ from the code
	$(BIN)/python deploy/k8s/generate.py

k8s-table: $(STAMP) ## Print the partition ceiling of each consumer group (for deploy/README.md)
	$(BIN)/python deploy/k8s/generate.py --table

compose-secrets: ## Make deploy/compose/secrets/ (git-ignored) for docker compose, once
	$(PYTHON) deploy/compose/make_secrets.py

clean: ## Remove the local Kafka and PostgreSQL data and jars (.cache/)
	rm -rf .cache
