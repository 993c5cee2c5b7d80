"""The page of registered closed forms, generated from the registry so that it cannot go stale.

``python -m divergences.distributions._docs`` rewrites ``docs/distributions.md``; a test
checks that the file matches the registry.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._registry import REGISTRIES

PAGE = Path(__file__).resolve().parents[3] / "docs" / "distributions.md"

_INTRO = """# Distributions: closed forms and numerical routes

`dv.kl(p, q)` (and `js`, `js_distance`, `hellinger`, `bhattacharyya`, `total_variation`,
`renyi`, `chi2`, `psi`, `cross_entropy`) accept distribution objects (`dv.Normal(loc, scale)`,
`dv.MultivariateNormal(mean, cov)`, ...; SciPy frozen distributions are converted). A closed
form is used where one is registered (below); Hellinger comes from a Bhattacharyya form, PSI
from KL both ways, Renyi of order 1 from KL and of order 1/2 from Bhattacharyya. Every other
pair takes a numerical route with an error estimate (`return_error=True`): adaptive
quadrature for one-dimensional continuous pairs (tails integrated a few decades of mass at a
time, so a divergent integral is reported as `inf`), summation for discrete ones, Monte Carlo
with a standard error otherwise. Add your own with `@dv.register_kl(TypeP, TypeQ)` or
`@dv.register(metric, TypeP, TypeQ)`.

This page is generated from the registry (`python -m divergences.distributions._docs`).
"""


def _ours(cls: type) -> bool:
    """A class the library defines at module level (not one made in a docstring example or test)."""
    module = sys.modules.get(cls.__module__)
    return cls.__module__.split(".")[0] == "divergences" and getattr(module, cls.__name__, None) is cls


def render() -> str:
    """The page as text."""
    parts = [_INTRO]
    for name, registry in REGISTRIES.items():
        # The library's own closed forms: a user's (or a test's) registrations are not documented here.
        pairs = [(p, q) for p, q in registry.pairs() if _ours(p) and _ours(q)]
        if not pairs:
            continue
        note = " (symmetric: each pair also serves the swapped order)" if registry.symmetric else ""
        parts.append(f"\n## {name}: {len(pairs)} pairs{note}\n\n| p | q | implementation |\n|---|---|---|")
        for p, q in pairs:
            fn = registry._table[(p, q)]
            parts.append(f"| {p.__name__} | {q.__name__} | `{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}` |")
    return "\n".join(parts) + "\n"


def main() -> int:
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
