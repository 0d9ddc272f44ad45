# Two commands on a fresh machine: `make run` and `make test`. Both bootstrap what they need.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
export UV_COMPILE_BYTECODE := 1
export ATSPARK_HOME ?= $(CURDIR)/.atspark
export DAGSTER_HOME ?= $(ATSPARK_HOME)/dagster
export RUNTIME__DLTHUB_TELEMETRY := false
PYTEST_ARGS ?=

.PHONY: setup run test lint bench clean

setup: .venv/.synced $(DAGSTER_HOME)/dagster.yaml

# uv from PyPI when missing, then the locked environment (idempotent: redone only when the lock changes).
.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv
	uv sync --frozen --compile-bytecode
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

run: setup
	uv run --frozen python -m app.demo

lint: setup
	uv run --frozen lint-imports
	uv run --frozen ruff check .

test: setup lint
	uv run --frozen pytest -q $(PYTEST_ARGS)

bench: setup
	uv run --frozen python -m bench

clean:
	rm -rf .atspark .venv
