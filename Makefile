# shieldwall: the only entry points a new user needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export SHIELDWALL_HOME ?= $(CURDIR)/.shieldwall

.PHONY: install demo demo-custody test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The attack chain end to end, scored: prints the scorecard and the report's path (~1-2 min).
demo: $(STAMP)
	$(BIN)/python -m shieldwall.demo

# Custody alone, step by step through the CLI (the previous demo).
demo-custody: $(STAMP)
	$(BIN)/python -m shieldwall.demo custody

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -n 2

test: lint typecheck unit

bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || echo 'wrk not installed: the HTTP benchmarks are skipped (apt-get install wrk)'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .shieldwall .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
