# okrbot: `make run` to try it, `make test` before you push.
# Everything runs from a local virtualenv (.venv), created with python3 -m venv when missing;
# dependencies are (re)installed only when pyproject.toml or the lock changed (the stamp file below).
# requirements.lock pins every dependency (with hashes) for Python 3.11+ on any platform; after editing
# the dependencies in pyproject.toml, `make lock` updates it (keeping the other pins as they are).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.okrbot-installed
LOCK := requirements.lock
UV_VERSION := 0.13.9
BENCH_ARGS ?=
# `make test` runs the suite in one process; `make test TEST_WORKERS=auto` spreads it over every core (pytest-xdist),
# about twice as fast on 2 cores, but tests that expect a command within Slack's ack budget can then miss it.
TEST_WORKERS ?= 0
LOCK_ARGS ?=

.PHONY: run test lint bench install lock i18n-extract i18n-update i18n-compile

install: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "okrbot needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Exact versions, each checked against its hash, then okrbot itself (editable, nothing more to fetch).
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	@echo "Installing okrbot's dependencies into $(VENV) from $(LOCK) (the first time takes a minute or two)"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Regenerate the lock from pyproject.toml (runtime + dev), for every platform and Python >= 3.11.
# Existing pins are kept unless needed; `make lock LOCK_ARGS=--upgrade` moves everything to the newest.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command 'make lock' --quiet $(LOCK_ARGS) -o $(LOCK)

# Serve with the demo organization loaded into an empty database (SQLite by default: okrbot.db), its weeks
# brought to the present when it was loaded weeks ago.
run: $(STAMP)
	$(BIN)/okrbot db upgrade
	$(BIN)/okrbot demo-data --if-empty --refresh
	exec $(BIN)/okrbot serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check .

# Benchmarks; `make bench BENCH_ARGS="--scale 0.1"` for a quick check. Figures go to bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python bench/core.py $(BENCH_ARGS)

# Languages (README: Languages). The catalogs are prompts/locale/<language>/LC_MESSAGES/messages.po; okrbot reads
# them as they are (a fresh clone needs no build step) or their compiled .mo when that is newer (not committed).
# extract: every message of the templates and the code into prompts/locale/messages.pot (not committed);
# update: merge it into each language's .po (new messages appear untranslated: the catalog test lists them);
# compile: the .mo files. `make i18n-init LOCALE=fr` starts a new language.
LOCALES := prompts/locale
PYBABEL := $(BIN)/pybabel
i18n-extract: $(STAMP)
	mkdir -p $(LOCALES)
	$(PYBABEL) -q extract -c Translators: -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 --add-location=file \
		--sort-by-file --no-wrap --project okrbot --copyright-holder okrbot -o $(LOCALES)/messages.pot .

i18n-update: i18n-extract
	$(PYBABEL) -q update -i $(LOCALES)/messages.pot -d $(LOCALES) --no-wrap --ignore-obsolete

i18n-compile: $(STAMP)
	$(PYBABEL) -q compile -d $(LOCALES) --statistics

i18n-init: i18n-extract
	$(PYBABEL) -q init -i $(LOCALES)/messages.pot -d $(LOCALES) -l $(LOCALE) --no-wrap
