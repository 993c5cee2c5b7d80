# Two commands do all the set-up: `make demo` and `make test` create .venv when it is
# missing and install what they need into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench lint clean system-deps

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

# System packages the tests use for real: Chromium (the HTML report's browser tests) and a
# Java runtime (Spark in local mode). As root (CI) they are installed when missing;
# otherwise the tests that need them skip and this says how to get them.
system-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null; \
	  else echo "make test: missing$$missing; their tests will skip (sudo apt-get install$$missing)"; fi; fi

# One test process per core, a file's tests in one process (its fixtures: a Spark session, a
# Dask cluster, a browser, are made once).
test: $(VENV)/.test-installed system-deps
	$(BIN)/python -m pytest -n auto --dist loadfile

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/discrete.py
	$(BIN)/python benchmarks/pairwise.py
	$(BIN)/python benchmarks/estimators.py
	$(BIN)/python benchmarks/power.py
	$(BIN)/python benchmarks/rounded.py
	$(BIN)/python benchmarks/drift.py
	$(BIN)/python benchmarks/drift_scale.py
	$(BIN)/python benchmarks/distributions.py
	$(BIN)/python benchmarks/numerical.py

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis divergences-demo.png
