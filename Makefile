# okrbot: `make run` to try it, `make test` before you push.
# Everything runs from a local virtualenv (.venv), created with python3 -m venv when missing;
# dependencies are (re)installed only when pyproject.toml changed (the stamp file below).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.okrbot-installed
BENCH_ARGS ?=

.PHONY: run test lint bench install

install: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "okrbot needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# Serve with the demo organization loaded into an empty database (SQLite by default: okrbot.db).
run: $(STAMP)
	$(BIN)/okrbot db upgrade
	$(BIN)/okrbot demo-data --if-empty
	exec $(BIN)/okrbot serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# Benchmarks; `make bench BENCH_ARGS="--scale 0.1"` for a quick check. Figures go to bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python bench/core.py $(BENCH_ARGS)
