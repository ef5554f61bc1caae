# Qingshou — two commands set everything up on a fresh machine: `make demo` and `make test`.
# Both create .venv, install the pinned dependencies (constraints.txt) and the system packages the
# project needs, then run.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSSTAMP := var/.system-packages
# The project's catalogue and one per app that keeps its own (src/qingshou/apps/<app>/locale).
MO     := $(patsubst %.po,%.mo,$(wildcard src/qingshou/locale/zh_Hans/LC_MESSAGES/django.po src/qingshou/apps/*/locale/zh_Hans/LC_MESSAGES/django.po))

.PHONY: setup system demo test test-sqlite test-postgres lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev,spark]'
	touch $(STAMP)

# System packages (CJK font for PDFs, PostgreSQL for the test run) — installed once per machine.
$(SYSSTAMP):
	scripts/system-packages
	mkdir -p var && touch $(SYSSTAMP)

# Interface translations are compiled from the committed .po (the .mo is generated, not committed).
%.mo: %.po $(SYSSTAMP)
	msgfmt --check -o $@ $<

# Front-end assets (htmx.org and echarts from npm, pinned by package-lock.json); re-run only when the lock changes.
# Without npm the site still works, without in-page updates (docs/security.md).
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $(NODE_STAMP); \
	else echo "npm not found: htmx not installed, pages work without in-page updates" >&2; fi

setup: $(STAMP) $(MO) $(NODE_STAMP)

system: $(SYSSTAMP)

# The batch demo, then the workbench on http://127.0.0.1:8000/ with one demo user per role (Ctrl-C stops it).
demo: setup
	$(BIN)/qingshou demo --serve

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test-sqlite: setup
	$(BIN)/pytest -q -n 2

test-postgres: setup system
	scripts/with-postgres $(BIN)/pytest -q -m db

test: lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
