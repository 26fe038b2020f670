# The two commands of the README. Each installs everything it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint typecheck node-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[server,dev]'

node-deps:
	cd tests/xstate && npm ci --no-audit --no-fund --silent

# Command 1: the example system on an embedded Temporal dev server.
demo: install
	$(BIN)/python -m examples.demo

# Command 2: the whole test suite, lint and strict typing.
test: install node-deps
	$(BIN)/ruff check .
	$(BIN)/mypy --strict arvo_temporal tests/typing
	CI=$${CI:-} $(BIN)/pytest
