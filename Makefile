# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format clean chromium screenshots chaos

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/inquiry run

# The browser tests drive Debian's chromium (Playwright's own browser download is not used);
# a CJK font so that screenshots show Chinese.
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	@fc-list :lang=zh | grep -q . || (apt-get update && apt-get install -y fonts-wqy-microhei)

test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# 100 case lifecycles while API, worker, Temporal and PostgreSQL are killed (kill -9) for 30-60 s
# at random points (README "Chaos"); about 15 minutes. Exits 1 if a case was lost or doubled.
chaos: $(STAMP)
	$(BIN)/python -m chaos

# PNGs of the main pages for the README, walked through with a case on the test stack.
screenshots: $(STAMP) chromium
	SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest -q tests/pages/test_screenshots.py

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
