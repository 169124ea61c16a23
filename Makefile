# The two ways in: `make run` and `make test`; `make bench` measures at scale.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench lint format clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the dependencies change. Running needs only the app's own
# dependencies; testing adds the dev group (pytest, Playwright, ruff, …).
$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-app

run: $(VENV)/.installed-app
	bin/run

test: $(VENV)/.installed-dev
	$(BIN)/pytest

# The README's tour pictures, taken from the demo at phone and desktop size.
screenshots: $(VENV)/.installed-dev
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest tests/e2e/test_tour.py

# Seeds (or reuses) 2,000 patients × 365 days in the machine's PostgreSQL, runs the app
# as in production with Redis, a Celery worker and an SMTP sink, and writes
# bench/RESULTS.md (bench/README.md). Never part of `make test`. Set BENCH_DATABASE_URL
# and BENCH_REDIS_URL to use another database or Redis.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var staticfiles
