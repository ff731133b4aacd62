# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format clean chromium screenshots lock bench bench-short chaos

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Dependencies come from requirements.lock, every file checked against its hash; the project
# itself is then installed without resolving anything again. Reinstall when either changes.
# Regenerate the lock after changing dependencies in pyproject.toml with `make lock`.
$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

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

# The service beside a bare Temporal workflow, interleaved in one run, on a stack of its own
# (docs/benchmarks.md): about 15 minutes on 2 cores. BENCH_ARGS=--large scales to 100,000 open
# cases; BENCH_DATABASE_URL=postgresql://… uses that server instead of pgserver.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# The short mode `make test` runs too (tests/test_bench_short.py): proves the suite works, in ~1 min.
bench-short: $(STAMP)
	$(BIN)/python -m bench --short

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
