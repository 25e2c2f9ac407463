# The two commands of the quickstart: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Strict editable installs let mypy see the package; re-run (no deps, seconds) so new modules appear.
STRICT := --config-settings editable_mode=strict

.PHONY: install demo bench test lint typecheck pytest mutants clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]' $(STRICT)
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps -e . $(STRICT) 2>/dev/null

demo: install
	$(BIN)/funnelsync demo --dir demo-workspace --force
	$(BIN)/funnelsync report --config demo-workspace/funnelsync.yaml --out demo-workspace/report.html

bench: install
	$(BIN)/python bench/sync_bench.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy -p funnelsync

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

# Mutation check (not part of `make test`): mutmut on core's and the engine's key modules,
# or on MUTANTS="core/scoring.py ..."; prints the kill rate per module. Takes long.
mutants: install
	$(BIN)/python -m pip install --quiet -e '.[mutation]' $(STRICT)
	$(BIN)/python tools/mutants.py $(MUTANTS)

clean:
	rm -rf $(VENV) build demo-workspace *.egg-info mutants
