# Crible: `make run` runs the pipeline, `make test` runs every test. Both set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test browser screenshots unit lint format demo bench-ingest bench-prescreen bench-dispatch bench-surge eval-prescreen schemas topics migrate clean

help: ## Show this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --editable '.[dev,local]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install Crible with its development tools

run: $(STAMP) ## Start Kafka + PostgreSQL (unless configured), topics, migrations, every service; Ctrl-C stops all
	$(BIN)/crible local -- $(BIN)/crible run all

test: lint browser ## Lint, then unit, integration and browser tests on a real Kafka broker and PostgreSQL
	$(BIN)/crible local -- $(BIN)/python -m pytest

browser: ## Install Debian's chromium and chromium-driver when missing (the console's tests)
	bash deploy/browser/ensure-chromium.sh

screenshots: $(STAMP) browser ## Regenerate the console's screenshots in deploy/screenshots/
	CRIBLE_SCREENSHOTS=deploy/screenshots $(BIN)/crible local -- $(BIN)/python -m pytest -q tests/integration/test_console_browser.py -k "screenshots or signs_in"

unit: $(STAMP) ## Unit tests only (no Kafka, no database; milliseconds)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP) ## ruff (lint and format check) and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services tests

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: $(STAMP) ## Publish a realistic report stream to the pipeline `make run` started, and watch it
	$(BIN)/crible demo

bench-ingest: $(STAMP) ## Ingestion vs raw aiokafka throughput on the real stack (200,000 reports, 3 rounds)
	$(BIN)/crible local -- $(BIN)/crible bench ingest --reports 200000 --repeat 3

bench-surge: $(STAMP) ## Surge (faust) throughput beside raw aiokafka, and threshold-to-signal latency
	$(BIN)/crible local -- $(BIN)/crible bench surge --reports 200000

bench-prescreen: $(STAMP) ## Screening throughput, latency, PDQ lookups beside faiss, 10M-bank memory
	$(BIN)/crible local -- $(BIN)/crible bench prescreen

bench-dispatch: $(STAMP) ## Reviewer API latency with 100,000 open cases and 50 reviewers (empties dispatch's tables)
	$(BIN)/crible local -- $(BIN)/crible bench dispatch --think-ms 1000

eval-prescreen: $(STAMP) ## Precision/recall of the live and shadow policies on the labelled set
	$(BIN)/crible eval prescreen tests/eval/prescreen.jsonl

schemas: $(STAMP) ## Re-export the JSON Schemas and AsyncAPI document under deploy/schemas/
	$(BIN)/crible schemas export

clean: ## Remove the local Kafka and PostgreSQL data and jars (.cache/)
	rm -rf .cache
