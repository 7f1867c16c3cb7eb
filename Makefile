# shieldwall: the only entry points a new user needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export SHIELDWALL_HOME ?= $(CURDIR)/.shieldwall

.PHONY: install demo demo-custody test lint typecheck unit softhsm chromium bench clean

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

# SoftHSM2 backs the PKCS#11 key provider's tests (tests/softhsm.py makes a token per test).
softhsm:
	@command -v softhsm2-util >/dev/null || apt-get install -y -qq softhsm2 >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq softhsm2)

# Debian's Chromium for the console's browser tests (Playwright drives it; no browser download).
chromium:
	@test -x /usr/bin/chromium || apt-get install -y -qq chromium >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq chromium)
	@test -d /usr/share/fonts/truetype/wqy || apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 \
		|| echo 'fonts-wqy-microhei not installed: Chinese in screenshots renders as boxes'

unit: $(STAMP) softhsm chromium
	$(BIN)/pytest -q -n 2 --dist worksteal --durations=25

test: lint typecheck unit

bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || echo 'wrk not installed: the HTTP benchmarks are skipped (apt-get install wrk)'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .shieldwall .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
