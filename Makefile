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

.PHONY: lock all env test data check run notebooks manuscript list clean benchmark speed wheelhouse reproduce lab

# Offline install (issue 17): `make wheelhouse` downloads every wheel of requirements.lock and
# requirements-bootstrap.lock (uv, setuptools) into $(WHEELHOUSE); carried to a machine without
# network, `make env OFFLINE=1` installs from that folder only, every hash checked.
# WHEELHOUSE_ARGS passes pip options, e.g. --platform/--python-version for another target machine.
WHEELHOUSE ?= wheelhouse
ifdef OFFLINE
UV_BOOTSTRAP := --no-index --find-links $(WHEELHOUSE) --require-hashes -r requirements-bootstrap.lock
UV_SOURCE := --offline --no-index --find-links $(WHEELHOUSE)
BOOTSTRAP_PREPARE := test -f $(WHEELHOUSE)/.complete || { echo "error: no wheelhouse at $(WHEELHOUSE); run 'make wheelhouse' where there is network and copy the folder here (or set WHEELHOUSE=DIR)"; exit 1; }
else
# Online, a warm cache makes no request: uv and setuptools (hash-pinned in requirements-bootstrap.lock) are
# installed from $(BOOTSTRAP_CACHE), downloaded there only the first time, and uv installs the lock from
# its own cache (--offline) before it asks the index at all.
BOOTSTRAP_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/fedlocal/bootstrap
UV_BOOTSTRAP := --no-index --find-links $(BOOTSTRAP_CACHE) --require-hashes -r requirements-bootstrap.lock
UV_SOURCE :=
BOOTSTRAP_MARK := $(BOOTSTRAP_CACHE)/.complete-$(shell sha256sum requirements-bootstrap.lock | cut -c1-16)
BOOTSTRAP_PREPARE := test -f $(BOOTSTRAP_MARK) || { $(PYTHON) -m pip download --quiet --disable-pip-version-check \
    --no-deps --only-binary=:all: --require-hashes -r requirements-bootstrap.lock --dest $(BOOTSTRAP_CACHE) \
    && touch $(BOOTSTRAP_MARK); }
endif

all: run manuscript

env: $(VENV)/.installed $(VENV)/.compiled

$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'"; exit 1; }
	@$(BOOTSTRAP_PREPARE)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/uv --version 2>/dev/null | grep -qx "uv $$(sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements-bootstrap.lock)" \
	    || $(BIN)/python -m pip install --quiet --disable-pip-version-check $(UV_BOOTSTRAP)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes $(or $(UV_SOURCE),--offline) requirements.lock 2>/dev/null \
	    || $(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes $(UV_SOURCE) requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps $(or $(UV_SOURCE),--offline) -e . 2>/dev/null \
	    || $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps $(UV_SOURCE) -e .
	@touch $@

# Bytecode for every installed module, written once (the standard library's compileall): each stage's fresh kernel
# then loads pandas, matplotlib and scipy from .pyc instead of compiling their sources again, which it does wherever
# nothing can write them back (PYTHONDONTWRITEBYTECODE set, a read-only environment): a stage's imports take ~1.3 CPU s,
# not ~3.3 (uv pip sync --compile-bytecode would do the same but removes the editable fedlocal install).
$(VENV)/.compiled: $(VENV)/.installed
	$(BIN)/python -m compileall -q "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
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

# A data editor's check: rebuild every stage from the raw inputs into results/reproduce/ (git-ignored) and compare
# with the committed outputs; prints a verdict per output and fails on any difference.
reproduce: env
	$(BIN)/fedlocal reproduce --params $(PARAMS)

test: env
	$(BIN)/python -m pytest

# Students: JupyterLab on the notebooks, in the project's environment plus the `lab` extra (requirements-lab.lock,
# the same pins as requirements.lock; `make env` alone stays without it). The .py files open as notebooks
# (jupytext); a notebook run by hand writes to results/scratch/, never over the canonical outputs.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
lab: $(VENV)/.lab-installed
	env -u MPLBACKEND $(BIN)/jupyter lab notebooks $(LAB_ARGS)

$(VENV)/.lab-installed: $(VENV)/.installed requirements-lab.lock binder/overrides.json
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes $(UV_SOURCE) -r requirements-lab.lock
	@mkdir -p $(LAB_SETTINGS) && cp binder/overrides.json $(LAB_SETTINGS)/overrides.json
	@touch $@

wheelhouse: $(WHEELHOUSE)/.complete

$(WHEELHOUSE)/.complete: requirements.lock requirements-bootstrap.lock
	@mkdir -p $(WHEELHOUSE)
	$(PYTHON) -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
	    -r requirements.lock -r requirements-bootstrap.lock --dest $(WHEELHOUSE) $(WHEELHOUSE_ARGS)
	@touch $@
	@echo "$(WHEELHOUSE): $$(ls $(WHEELHOUSE)/*.whl | wc -l) wheels, $$(du -sh $(WHEELHOUSE) | cut -f1); install with: make env OFFLINE=1"

# Speed budgets (issues 5 and 6), measured, never asserted in tests. Needs the canonical stages' data.
benchmark: run
	$(BIN)/python benchmarks/ncvs_generation.py
	$(BIN)/python benchmarks/models.py

# Speed targets of issue 18, each beside an earlier commit's code in one run (as ratios). BEFORE is a git
# worktree of that commit: `git worktree add ../fedlocal-before <commit>`, then `make speed BEFORE=../fedlocal-before`.
speed: env
	@test -n "$(BEFORE)" || { echo "error: set BEFORE=DIR, a git worktree of the commit to compare against (git worktree add DIR <commit>)"; exit 1; }
	$(BIN)/python benchmarks/speed.py --before $(BEFORE) --references

clean:
	rm -rf results/runs results/reproduce results/.staging results/.failed data/raw .pytest_cache _manuscript

# Regenerate the hash-pinned lock after a change to pyproject.toml's dependencies (needs the package index).
lock: env
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dask --generate-hashes --no-header --python-version 3.11 \
	    --quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dask --extra lab -c requirements.lock --generate-hashes \
	    --no-header --python-version 3.11 --quiet -o requirements-lab.lock
