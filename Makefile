# The two commands of the README. Each installs everything it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint typecheck node-deps mutate bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[server,ingress,dev]'

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

# Mutation testing of the pure core against the pure tests (MUTATION.md); not part of `make test`.
# MODULE=arvo_temporal/engine.py (or a folder such as arvo_temporal/orchestration/) re-runs the
# mutants of one module only; without it, mutants not yet checked run (rm -rf mutants for all).
# One worker at the lowest priority: the machine is shared with Temporal test runs.
MODULE ?=
mutate: install node-deps
	$(BIN)/python -m tests.mutation_report --prune
	nice -n 19 $(BIN)/mutmut run --max-children 1 $(if $(MODULE),"$(subst /,.,$(basename $(patsubst %/,%,$(MODULE)))).*")
	$(BIN)/python -m tests.mutation_report $(MODULE)

# Regression guard for speed (BENCHMARKS.md), not part of `make test`: the three benchmarks at
# small N, one JSON line each. The adapter benchmark starts its own dev server (about a minute);
# its report is kept in a temporary file and only its JSON line is printed.
bench: install
	@$(BIN)/python -m benchmarks.inprocess 2000 --json
	@$(BIN)/python -m benchmarks.statechart 20000 --json
	@report=$$(mktemp) && $(BIN)/python -m benchmarks.temporal_adapter 40 --execute-events 20 \
		--histories 2 --warmup 4 >"$$report" 2>&1; status=$$?; tail -n 1 "$$report"; \
		rm -f "$$report"; exit $$status
