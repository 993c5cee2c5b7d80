"""The page of closed forms, generated from the registry so that it cannot go stale.

``python -m divergences.distributions._docs`` rewrites ``docs/distributions.md``; a test
checks that the file matches the registry. Registered forms are listed with their function;
forms derived from them are listed from the dispatch's own answer
(:func:`~divergences.distributions._dispatch.closed_form`), so the page shows what ``dv.kl``
and friends actually do.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._base import Distribution
from ._dispatch import DERIVED, closed_form
from ._registry import REGISTRIES

PAGE = Path(__file__).resolve().parents[3] / "docs" / "distributions.md"

_INTRO = """# Distributions: closed forms and numerical routes

`dv.kl(p, q)` (and `js`, `js_distance`, `hellinger`, `bhattacharyya`, `total_variation`,
`renyi`, `chi2`, `psi`, `cross_entropy`), `dv.entropy(p)` and `dv.f_divergence(p, q, f)`
accept distribution objects (`dv.Normal(loc, scale)`, `dv.MultivariateNormal(mean, cov)`, ...;
SciPy frozen distributions are converted). A closed form is used where one is registered, or
where one is derived from a registered form (marked *derived* below):

{derived}

Derivations read registered forms only (Hellinger: a derived Bhattacharyya too). Every other
pair, and `f_divergence` always, takes a numerical route with an error estimate
(`return_error=True`): adaptive quadrature for one-dimensional continuous pairs (tails
integrated a few decades of mass at a time, so a divergent integral is reported as `inf`; near
a finite support end and along heavy tails in the log of the distance, so that a density
unbounded at an end is integrated down to the smallest double), summation for discrete ones,
Monte Carlo with a standard error otherwise. Add your own with
`@dv.register_kl(TypeP, TypeQ)` or `@dv.register(metric, TypeP, TypeQ)`. A form whose value
is itself partly numerical (LogisticNormal's entropy and cross entropy: one-dimensional
quadratures) reports its own error bound with `return_error=True`; closed forms report 0.

Some forms below answer for part of their pair only, and the rest takes the numerical route:
`Independent` pairs sum their bases' closed form (registered or derived, any pair of bases)
over the reinterpreted dimensions, where the bases have one; `ExponentialFamily` pairs (your
subclass, through its log-normaliser) are two laws of one subclass; `LogisticNormal` total
variation is the normal one for K = 2 parts.

Nearly equal laws: every divergence here is second order in the difference of the parameters,
and a formula that subtracts first-order terms loses as many digits as the difference is
small. The closed forms avoid it (Bregman divergences of log-normalisers summed by series or
Gauss-Legendre quadrature, Renyi divergences through the KL divergences of the mixed law,
offsets from exact parameter differences), and so do the quadratures of KL, JS, Renyi,
Bhattacharyya and chi-square (integrands such as `p log(p/q) - p + q` that are themselves
second order). `tests/test_closed_near_equal.py` checks them against mpmath. The generic
`ExponentialFamily` forms are exact there only for a subclass that gives the curvature of its
log-normaliser and the exact difference of its natural parameters (see its docstring); a
form registered for a pair of classes always takes precedence over them.

This page is generated from the registry (`python -m divergences.distributions._docs`).
"""

# The measures of the page, in order, with the parameters a derived form is looked up with.
_MEASURES = ("kl", "cross_entropy", "js", "bhattacharyya", "hellinger", "total_variation", "renyi", "chi2", "psi")
_RENYI_ORDERS = (0.5, 1.0, 2.0)


def _ours(cls: type) -> bool:
    """A class the library defines at module level (not one made in a docstring example or test)."""
    module = sys.modules.get(cls.__module__)
    return cls.__module__.split(".")[0] == "divergences" and getattr(module, cls.__name__, None) is cls


def _families() -> list[type]:
    """The library's distribution classes, by name."""
    import divergences.distributions as package

    found = [getattr(package, name) for name in package.__all__]
    return sorted({c for c in found if isinstance(c, type) and issubclass(c, Distribution) and c is not Distribution
                   and _ours(c)}, key=lambda c: c.__name__)


def _pairs() -> list[tuple[type, type]]:
    """Every ordered pair of the library's types that some registry names (either way round)."""
    pairs = {pair for registry in REGISTRIES.values() for p, q in registry.pairs() if _ours(p) and _ours(q)
             for pair in ((p, q), (q, p))}
    return sorted(pairs, key=lambda pair: (pair[0].__name__, pair[1].__name__))


def _table(title: str, rows: list[str], note: str = "") -> str:
    head = f"\n## {title}: {len(rows)} pairs{note}\n\n| p | q | closed form |\n|---|---|---|"
    return "\n".join([head, *rows])


def _section(name: str, pairs: list[tuple[type, type]]) -> str:
    """Registered pairs with their function, then the pairs served by a derivation (a pair
    served by a registration for a base class is covered by that registration's row)."""
    registry = REGISTRIES.get(name)
    rows, registered = [], set()
    if registry is not None:
        for p, q in registry.pairs():
            if _ours(p) and _ours(q):
                found = closed_form(name, p, q, {"alpha": 0.5} if name == "renyi" else {})
                assert found is not None  # a registered pair always has its form
                rows.append(f"| {p.__name__} | {q.__name__} | {found.source} |")
                registered |= {(p, q), (q, p)} if registry.symmetric else {(p, q)}
    # Renyi is derived at single orders only.
    params = [{"alpha": alpha} for alpha in _RENYI_ORDERS] if name == "renyi" else [{}]
    label = "*derived* (these orders only)" if name == "renyi" else "*derived*"
    for p, q in pairs:
        if (p, q) in registered:
            continue
        forms = [closed_form(name, p, q, each) for each in params]
        sources = [f.source for f in forms if f is not None and f.derived]
        if sources:
            rows.append(f"| {p.__name__} | {q.__name__} | {label}: {'; '.join(sources)} |")
    note = " (symmetric: each pair also serves the swapped order)" if registry is not None and registry.symmetric else ""
    return _table(name, rows, note)


def render() -> str:
    """The page as text."""
    parts = [_INTRO.format(derived="\n".join(f"- {line}" for line in DERIVED))]
    pairs = _pairs()
    parts += [_section(name, pairs) for name in _MEASURES]
    rows = []
    for family in _families():
        found = closed_form("entropy", family, family, {})
        if found is not None:
            rows.append(f"| {family.__name__} | {'*derived*: ' if found.derived else ''}{found.source} |")
    parts.append(f"\n## entropy: {len(rows)} families\n\n| p | closed form |\n|---|---|")
    parts += rows
    return "\n".join(parts) + "\n"


def main() -> int:
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
