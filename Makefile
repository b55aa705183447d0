# fedlocal: two commands do everything.
#   make all   set up the environment, run every pipeline stage (params/default.yaml), render the paper
#   make test  set up the environment, run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PARAMS ?= params/default.yaml

# The raw-data mirror stands in for the upstream URLs when it exists (CI and the project machines).
ifneq ($(wildcard ../shared/data/raw),)
export FEDLOCAL_DATA_MIRROR ?= $(abspath ../shared/data/raw)
endif
# uv ignores pip's index settings: honour a machine's PIP_INDEX_URL if one is set.
ifdef PIP_INDEX_URL
export UV_DEFAULT_INDEX ?= $(PIP_INDEX_URL)
endif
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: all env test data check run notebooks manuscript list clean benchmark

all: run manuscript

env: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

data: env
	$(BIN)/fedlocal data

check: env
	$(BIN)/fedlocal check --params $(PARAMS)

run notebooks: env
	$(BIN)/fedlocal run --params $(PARAMS)

list: env
	$(BIN)/fedlocal list --params $(PARAMS)

manuscript: env
	$(BIN)/fedlocal render

test: env
	$(BIN)/python -m pytest

# Speed budgets (issues 5 and 6), measured, never asserted in tests. Needs the canonical stages' data.
benchmark: run
	$(BIN)/python benchmarks/ncvs_generation.py
	$(BIN)/python benchmarks/models.py

clean:
	rm -rf results/runs results/.staging data/raw .pytest_cache _manuscript
