"""The public surface: names, metadata coverage, docstring examples, import hygiene."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

import divergences as dv
from divergences import discrete

MODULES = ["divergences.pairwise", "divergences", "divergences.discrete", "divergences.plot", "divergences.markov", "divergences.distributions._registry", "divergences.distributions._families", "divergences.estimate", "divergences.estimate._uncertainty"]


def test_all_names_resolve():
    for name in dv.__all__:
        assert hasattr(dv, name), name


def test_every_table_row_is_a_public_function_and_back():
    assert set(dv.DIVERGENCES) == set(discrete.__all__)
    for name in dv.DIVERGENCES:
        assert getattr(dv, name) is getattr(discrete, name)


def test_errors_are_catchable_as_builtins():
    assert issubclass(dv.InvalidInputError, ValueError)
    assert issubclass(dv.InvalidInputError, dv.DivergenceError)
    assert issubclass(dv.BackendMismatchError, TypeError)


@pytest.mark.parametrize("module", MODULES)
def test_module_shows_docstring_examples(module):
    """Each of these modules has examples (test_doctests.py runs those of every module)."""
    tests = doctest.DocTestFinder().find(importlib.import_module(module))
    assert sum(len(test.examples) for test in tests) > 0


@pytest.mark.parametrize("name", sorted(dv.DIVERGENCES))
def test_every_public_function_documents_an_example(name):
    doc = getattr(dv, name).__doc__
    assert "Examples" in doc and ">>> import divergences as dv" in doc
    for placeholder in ("{pq}", "{axis}", "{norm}", "{returns}", "{raises}"):
        assert placeholder not in doc
    assert "Parameters" in doc and "Returns" in doc and "Raises" in doc


def test_import_pulls_in_no_optional_framework():
    code = (
        "import sys, divergences as dv; dv.kl([0.5, 0.5], [0.25, 0.75]);"
        "bad = [m for m in ('torch', 'jax', 'dask', 'cupy', 'pandas', 'matplotlib') if m in sys.modules];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, f"imported: {proc.stdout.strip()} {proc.stderr}"


def test_package_is_typed():
    from importlib.resources import files

    assert files("divergences").joinpath("py.typed").is_file()
