"""The examples in the docstrings of every module under ``src/divergences`` run and print what they show.

Modules are found by ``pkgutil.walk_packages`` when the tests are collected, so a module added
(or removed) is covered without touching this file. A module is skipped only when an optional
dependency that it, or one of its examples, imports is not installed.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.metadata
import importlib.util
import io
import pkgutil
import re

import pytest

PACKAGE = "divergences"
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    # find_spec does not execute the package, so one broken module fails its own test only.
    spec = importlib.util.find_spec(PACKAGE)
    assert spec is not None and spec.submodule_search_locations, f"{PACKAGE} is not an installed package"
    names = [PACKAGE]
    for info in pkgutil.walk_packages(spec.submodule_search_locations, PACKAGE + ".", onerror=lambda name: None):
        # ``python -m`` entry points run the program when imported: nothing to document there.
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return sorted(names)


def _required_imports() -> set[str]:
    """Import names of the package itself and of its required (not optional) dependencies."""
    names = {PACKAGE}
    for requirement in importlib.metadata.requires(PACKAGE) or []:
        if "extra ==" in requirement:
            continue
        dist = re.match(r"[A-Za-z0-9._-]+", requirement).group(0)
        names.add(dist.lower().replace("-", "_").replace(".", "_"))
    return names


REQUIRED = _required_imports()


def _missing_optional(exc: BaseException) -> str | None:
    """The name of the optional dependency whose absence raised ``exc``, else None."""
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".", 1)[0]
        if top not in REQUIRED:
            return exc.name
    return None


class _Runner(doctest.DocTestRunner):
    """A DocTestRunner that notes examples failing only because an optional dependency is missing."""

    def __init__(self) -> None:
        super().__init__(optionflags=OPTIONFLAGS)
        self.missing: set[str] = set()

    def report_unexpected_exception(self, out, test, example, exc_info) -> None:
        missing = _missing_optional(exc_info[1])
        if missing:
            self.missing.add(missing)
        super().report_unexpected_exception(out, test, example, exc_info)


@pytest.mark.parametrize("name", _module_names())
def test_docstring_examples(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        missing = _missing_optional(exc)
        if missing:
            pytest.skip(f"{name} needs the optional dependency {missing}, which is not installed")
        raise
    runner = _Runner()
    output = io.StringIO()
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=output.write)
    if runner.failures and runner.missing:
        pytest.skip(f"examples of {name} need {', '.join(sorted(runner.missing))}, not installed")
    assert runner.failures == 0, f"{runner.failures} of {runner.tries} examples of {name} failed:\n{output.getvalue()}"
