# Kinema: `make demo` runs the offline default end to end; `make test` runs the test suite.
# Both create .venv and install what they need on a fresh machine.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_PROMPT ?= a red rubber ball rolls off a wooden table and bounces on the floor

.PHONY: demo test test-slow lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	# torch first, pinned to the CPU wheel: an unpinned torch pulls several GB of CUDA wheels.
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e ".[local,dev,ray]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/kinema run "$(DEMO_PROMPT)" --out runs

test: $(STAMP)
	$(PY) -m pytest

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check agent tools prompts evals tests
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m evals bench

clean:
	rm -rf $(VENV) runs .mypy_cache .ruff_cache .pytest_cache
