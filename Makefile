# Kinema: `make demo` runs the offline default end to end; `make test` runs the test suite.
# Both create .venv and install what they need on a fresh machine: the demo only Kinema and its
# core dependencies (no torch), the tests the extras too (the CPU torch wheel, diffusers, Ray,
# the LangGraph dev server, pytest, ruff, mypy). pip's full output goes to .venv/install.log.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check --no-input
LOG    := $(VENV)/install.log
# (a variable: commas inside `$(call ...)` arguments would split them)
TEST_EXTRAS := .[local,dev,ray,server]
DEMO_STAMP := $(VENV)/.demo
TEST_STAMP := $(VENV)/.test
DEMO_PROMPT ?= a red rubber ball rolls off a wooden table and bounces on the floor

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

# pip's output, reduced to progress: a count of the packages collected, then one line when they
# are installed; errors pass through (and the log's end is shown when pip fails).
PROGRESS = awk 'BEGIN { tty = system("[ -t 1 ]") == 0 } \
  /^(Collecting|Processing) / { n++; name = $$2; sub(/.*\//, "", name); \
    if (tty) { printf "\r  collecting %3d: %-48.48s", n, name } \
    else if (n % 25 == 0) { printf "  collected %d packages\n", n } fflush() } \
  /^Installing collected packages/ { if (tty) printf "\n"; print "  installing..."; fflush() } \
  /^Successfully installed/ { printf "  installed %d packages\n", NF - 2; fflush() } \
  /^(ERROR|error):/ { print; fflush() }'

define pip_install
	@start=$$SECONDS; \
	$(PIP) install $(1) 2>&1 | tee -a $(LOG) | $(PROGRESS) \
	  || { echo "kinema: pip failed; the end of $(LOG):"; tail -25 $(LOG) | cut -c1-240; exit 1; }; \
	echo "  done in $$((SECONDS - start)) s"
endef

.PHONY: demo test test-slow lint bench clean

$(PY):
	@echo "kinema: creating $(VENV) ($$($(PYTHON) --version))"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install -q --upgrade pip >$(LOG) 2>&1

$(DEMO_STAMP): pyproject.toml | $(PY)
	@echo "kinema: installing Kinema and what the offline demo needs (about 1.1 GB, no torch)"
	$(call pip_install,-e .)
	@touch $@

$(TEST_STAMP): pyproject.toml $(DEMO_STAMP)
	@echo "kinema: adding what the tests need: torch (CPU wheel), diffusers, Ray, the LangGraph"
	@echo "        dev server, pytest, ruff, mypy (about 1.4 GB more)"
	@# torch first, pinned to the CPU wheel: an unpinned torch pulls several GB of CUDA wheels.
	$(call pip_install,torch==2.13.0)
	$(call pip_install,-e "$(TEST_EXTRAS)")
	@touch $@

demo: $(DEMO_STAMP)
	$(VENV)/bin/kinema run "$(DEMO_PROMPT)" --out runs

test: $(TEST_STAMP)
	$(PY) -m pytest

test-slow: $(TEST_STAMP)
	$(PY) -m pytest -m slow

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check agent tools prompts evals tests
	$(VENV)/bin/mypy

bench: $(DEMO_STAMP)
	$(PY) -m evals bench

clean:
	rm -rf $(VENV) runs .mypy_cache .ruff_cache .pytest_cache .langgraph_api
