# Two commands do all the set-up: `make demo` and `make test` create .venv when it is
# missing and install what they need into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench lint clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Core + plotting + drift for the demo; every extra (the pinned torch==2.13.0, jax, dev tools) for the tests.
$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[plot,drift]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(BIN)/divergences demo
	$(BIN)/divergences drift --example --no-progress

# The HTML report's tests drive a real Chromium (Debian's package). As root (CI) it is
# installed when missing; otherwise the tests that need it skip and this says how to get it.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "make test: no chromium; the HTML report's browser tests will skip (sudo apt-get install chromium)"; fi; }

test: $(VENV)/.test-installed browser
	$(BIN)/python -m pytest

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/discrete.py
	$(BIN)/python benchmarks/pairwise.py
	$(BIN)/python benchmarks/estimators.py
	$(BIN)/python benchmarks/drift.py

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis divergences-demo.png
