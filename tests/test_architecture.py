"""The shape of the house: no import cycle anywhere in ``src/`` (imports inside functions
included), files of one idea that say what they own, and the metadata table as the spine
that every route reads (a route that misses a divergence fails here)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import divergences as dv
from divergences import _metadata, cli, discrete
from divergences._integrands import Measure

SRC = Path(dv.__file__).parent
MAX_LINES = 620  # "about 600": the bound a new module is held to
# Catalogues of closed forms: one registered formula after another, split by family already.
CATALOGUES = {"distributions/_closed_univariate.py"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that ``name`` imports when it runs, anywhere in its file
    (imports under ``if TYPE_CHECKING:`` never run). Importing ``a.b.c`` also runs the
    ``__init__`` of each package ``a.b`` on the way that ``name`` is not itself inside."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    unchecked = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
                 for stmt in node.body for n in ast.walk(stmt)}  # fmt: skip
    found = set()
    for node in ast.walk(tree):
        if id(node) in unchecked:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rsplit(".", 1)[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module or ""
            for alias in node.names:  # `from . import x` imports the module x where there is one
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    own = {name, *_ancestors(name)}
    found |= {a for m in found for a in _ancestors(m) if a not in own}
    return {m for m in found if m in modules and m not in own}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_in_src():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert "divergences._options" in graph["divergences._evaluate"]  # the graph is read
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_importing_a_submodule_runs_its_package():
    modules = _modules()
    path = SRC / "distributions" / "_numerical.py"
    assert "divergences.distributions" not in _imports("divergences.distributions._numerical", path, modules)
    assert "divergences.distributions" in _imports("divergences._evaluate", SRC / "_evaluate.py", modules)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("name", sorted(_modules()))
def test_every_module_says_what_it_owns_and_stays_small(name):
    path = _modules()[name]
    docstring = ast.get_docstring(ast.parse(path.read_text()))
    assert docstring and len(docstring.splitlines()[0]) > 20, f"{path} has no first line saying what it owns"
    relative = path.relative_to(SRC).as_posix()
    if relative not in CATALOGUES:
        assert len(path.read_text().splitlines()) <= MAX_LINES, f"{relative} is over {MAX_LINES} lines"


# --------------------------------------------------------------------------- the spine


@pytest.mark.parametrize("name", list(dv.DIVERGENCES))
def test_every_row_is_read_by_every_route(name):
    row = dv.DIVERGENCES[name]
    # the public function, made from the row, and exported
    function = getattr(dv, name)
    assert function is getattr(discrete, name) and name in dv.__all__ and name in discrete.__all__
    assert function.__doc__.startswith(row.doc.summary) and row.doc.examples in function.__doc__
    own = inspect.signature(row.options).parameters
    assert list(inspect.signature(function).parameters)[row.arity : row.arity + len(own)] == list(own)
    # the numerical route of distribution objects
    assert isinstance(row.integrand(**row.options(**row.examples)), Measure)
    # the kernel, on the row's example options
    p, q = [0.2, 0.3, 0.5], [0.3, 0.3, 0.4]
    value = function(*[p, q][: row.arity], **row.examples)
    assert value >= 0 and value == pytest.approx(float(function(*[p, q][: row.arity], **row.examples)))
    # pairwise, for every two-distribution measure
    if row.arity == 2:
        matrix = dv.pairwise([p], [q], metric=name, **row.examples)
        assert matrix[0, 0] == pytest.approx(value, rel=1e-9, abs=1e-15)


def test_the_cli_lists_every_row(capsys):
    assert cli.main(["list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert listed == list(dv.DIVERGENCES)


def test_a_public_function_exists_for_every_row_and_no_other():
    assert discrete.__all__ == list(_metadata.DIVERGENCES)
    assert all(callable(getattr(discrete, name, None)) for name in discrete.__all__)
