# Two commands on a fresh machine: `make run` and `make test`. Both bootstrap what they need.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
export UV_COMPILE_BYTECODE := 1
ATSPARK_HOME ?= .atspark
export ATSPARK_HOME := $(abspath $(ATSPARK_HOME))
export DAGSTER_HOME := $(ATSPARK_HOME)/dagster
export RUNTIME__DLTHUB_TELEMETRY := false
PYTEST_ARGS ?=
PACKAGES := governance connectors pipelines services assets assist app bench

.PHONY: setup run test lint bench clean

setup: .venv/.synced $(DAGSTER_HOME)/dagster.yaml browser
	@# Our own modules as bytecode too, as an installed wheel would be (PYTHONDONTWRITEBYTECODE
	@# may be set): every `atspark` command starts faster. Only changed files are recompiled.
	@.venv/bin/python -m compileall -q -j 0 $(PACKAGES) > /dev/null

# Debian's Chromium for the end-to-end browser tests (Playwright never downloads a browser).
.PHONY: browser
browser:
	@test -x /usr/bin/chromium || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# uv from PyPI when missing, then the locked environment (idempotent: redone only when the lock changes).
.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv
	uv sync --frozen --compile-bytecode
	@touch $@

# Dagster's instance lives under ATSPARK_HOME; its configuration is the repository's dagster.yaml.
$(DAGSTER_HOME)/dagster.yaml:
	@mkdir -p $(DAGSTER_HOME)
	ln -sf $(CURDIR)/dagster.yaml $@

run: setup
	uv run --frozen atspark db upgrade
	uv run --frozen python -m app.demo

lint: setup
	uv run --frozen lint-imports
	uv run --frozen ruff check .

test: setup lint
	uv run --frozen pytest -q -n 3 $(PYTEST_ARGS)

bench: setup
	uv run --frozen python -m bench

clean:
	rm -rf .atspark .venv
