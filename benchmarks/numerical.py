"""Speed and accuracy of the numerical route (pairs of one-dimensional laws without a closed
form) against what a user would otherwise write: ``scipy.integrate.quad`` of the measure's
integrand over the support, from ``scipy.stats`` densities.

What is measured
----------------
Ten pairs whose measure has no closed form here (Jensen-Shannon of Normal, Gumbel, Gamma and
Beta laws, total variation of Logistic laws of two scales and of StudentT laws, KL of Logistic
and StudentT laws and of a Normal against a Cauchy), each one
unbatched pair of Python floats:

* ``dv``: ``dv.<measure>(p, q)`` (the numerical route: quadrature split at both laws'
  quantiles, the tails decades of mass at a time, the error estimate, rounding bounds);
* ``quad``: ``scipy.integrate.quad`` of the textbook integrand (``p log(p / q)``, ``|p - q| / 2``,
  the two halves of JS through the mixture) over the support, infinite ends included, with the
  same relative tolerance (1e-12) on frozen ``scipy.stats`` laws' ``pdf``;
* the relative error of each against an mpmath reference (50 digits, split at both laws'
  quartiles, at their tails' decades of mass and at the crossings where the integrand has a
  kink; what lies beyond both laws' 1e-40 quantiles is left out).

Every time is the best of ``--repeat`` samples, the two sides taking turns; each sample runs
the call until it lasts ``SAMPLE_S`` (``_common.race``). Ratios are our time over quad's (below 1x we are
faster). Quote the ratios, not the absolute times: the machines are shared and noisy.

How to run
----------
From the repository root::

    .venv/bin/python benchmarks/numerical.py            # about half a minute
    .venv/bin/python benchmarks/numerical.py --repeat 9
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import mpmath as mp
import numpy as np
import scipy.stats as st
from _common import print_row, race, versions
from scipy import integrate
from scipy.special import rel_entr

import divergences as dv

SAMPLE_S = 0.05

# (label, measure, p, q, the same laws in scipy.stats, and in mpmath as log densities)
_LOG_2PI = mp.log(2 * mp.pi)


def _normal(m: float, s: float) -> Callable[[Any], Any]:
    return lambda x: -((x - m) / s) ** 2 / 2 - mp.log(s) - _LOG_2PI / 2


def _logistic(m: float, s: float) -> Callable[[Any], Any]:
    return lambda x: -(x - m) / s - 2 * mp.log1p(mp.exp(-(x - m) / s)) - mp.log(s)


def _student(nu: float, m: float, s: float) -> Callable[[Any], Any]:
    c = mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(mp.sqrt(nu * mp.pi) * s)
    return lambda x: c - (nu + 1) / 2 * mp.log1p(((x - m) / s) ** 2 / nu)


def _gumbel(m: float, b: float) -> Callable[[Any], Any]:
    return lambda x: -(x - m) / b - mp.exp(-(x - m) / b) - mp.log(b)


def _gamma(a: float, rate: float) -> Callable[[Any], Any]:
    return lambda x: a * mp.log(rate) - mp.loggamma(a) + (a - 1) * mp.log(x) - rate * x


def _beta(a: float, b: float) -> Callable[[Any], Any]:
    return lambda x: (a - 1) * mp.log(x) + (b - 1) * mp.log1p(-x) - mp.log(mp.beta(a, b))


def _cauchy(m: float, s: float) -> Callable[[Any], Any]:
    return lambda x: -mp.log(mp.pi * s) - mp.log1p(((x - m) / s) ** 2)


CASES = [
    ("Normal", "js", dv.Normal(0.0, 1.0), dv.Normal(0.5, 2.0), st.norm(0.0, 1.0), st.norm(0.5, 2.0),
     _normal(0.0, 1.0), _normal(0.5, 2.0), (-mp.inf, mp.inf)),
    ("Normal, close", "js", dv.Normal(0.0, 1.0), dv.Normal(1e-3, 1.0), st.norm(0.0, 1.0), st.norm(1e-3, 1.0),
     _normal(0.0, 1.0), _normal(1e-3, 1.0), (-mp.inf, mp.inf)),
    ("Logistic", "total_variation", dv.Logistic(0.0, 1.0), dv.Logistic(1.0, 2.0), st.logistic(0.0, 1.0),
     st.logistic(1.0, 2.0), _logistic(0.0, 1.0), _logistic(1.0, 2.0), (-mp.inf, mp.inf)),
    ("Logistic", "kl", dv.Logistic(0.0, 1.0), dv.Logistic(1.0, 2.0), st.logistic(0.0, 1.0), st.logistic(1.0, 2.0),
     _logistic(0.0, 1.0), _logistic(1.0, 2.0), (-mp.inf, mp.inf)),
    ("StudentT", "kl", dv.StudentT(3.0, 0.0, 1.0), dv.StudentT(5.0, 1.0, 2.0), st.t(3.0, 0.0, 1.0),
     st.t(5.0, 1.0, 2.0), _student(3.0, 0.0, 1.0), _student(5.0, 1.0, 2.0), (-mp.inf, mp.inf)),
    ("StudentT", "total_variation", dv.StudentT(3.0, 0.0, 1.0), dv.StudentT(5.0, 1.0, 2.0), st.t(3.0, 0.0, 1.0),
     st.t(5.0, 1.0, 2.0), _student(3.0, 0.0, 1.0), _student(5.0, 1.0, 2.0), (-mp.inf, mp.inf)),
    ("Gumbel", "js", dv.Gumbel(0.0, 1.0), dv.Gumbel(1.0, 2.0), st.gumbel_r(0.0, 1.0), st.gumbel_r(1.0, 2.0),
     _gumbel(0.0, 1.0), _gumbel(1.0, 2.0), (-mp.inf, mp.inf)),
    ("Gamma", "js", dv.Gamma(2.0, 1.0), dv.Gamma(3.0, 2.0), st.gamma(2.0, scale=1.0), st.gamma(3.0, scale=0.5),
     _gamma(2.0, 1.0), _gamma(3.0, 2.0), (0, mp.inf)),
    ("Beta", "js", dv.Beta(2.0, 3.0), dv.Beta(3.0, 2.0), st.beta(2.0, 3.0), st.beta(3.0, 2.0),
     _beta(2.0, 3.0), _beta(3.0, 2.0), (0, 1)),
    ("Normal || Cauchy", "kl", dv.Normal(0.0, 1.0), dv.Cauchy(0.0, 1.0), st.norm(0.0, 1.0), st.cauchy(0.0, 1.0),
     _normal(0.0, 1.0), _cauchy(0.0, 1.0), (-mp.inf, mp.inf)),
]


def _pointwise(measure: str) -> Callable[[float, float], float]:
    """The textbook integrand of each measure, in the densities (as a user writes it, with
    SciPy's ``rel_entr`` for ``a log(a / b)``)."""
    if measure == "kl":
        return lambda a, b: float(rel_entr(a, b))
    if measure == "total_variation":
        return lambda a, b: abs(a - b) / 2
    return lambda a, b: float(rel_entr(a, (a + b) / 2) + rel_entr(b, (a + b) / 2)) / 2


def quad_route(measure: str, p: Any, q: Any) -> float:
    term = _pointwise(measure)
    lo, hi = (float(v) for v in p.support())
    if measure != "kl":
        lo, hi = min(lo, float(q.support()[0])), max(hi, float(q.support()[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value, _ = integrate.quad(lambda x: term(float(p.pdf(x)), float(q.pdf(x))), lo, hi, epsabs=0.0, epsrel=1e-12,
                                  limit=200)
    return float(value)


def reference(measure: str, lp: Callable[[Any], Any], lq: Callable[[Any], Any], p: Any, q: Any,
              support: tuple[Any, Any]) -> float:
    """The measure by mpmath at 50 digits, split at both laws' quartiles, their tails' decades
    of mass and the crossings (the mass beyond 1e-40 of both laws left out)."""
    with mp.workdps(50):
        def integrand(x: Any) -> Any:
            if not support[0] < x < support[1]:  # (a density of 0 at an end: nothing there)
                return mp.mpf(0)
            a, b = lp(x), lq(x)
            if measure == "kl":
                return mp.exp(a) * (a - b)
            if measure == "total_variation":
                return abs(mp.exp(a) - mp.exp(b)) / 2
            m = mp.log((mp.exp(a) + mp.exp(b)) / 2)
            return (mp.exp(a) * (a - m) + mp.exp(b) * (b - m)) / 2

        # both laws' quartiles, and their tails a few decades of mass at a time, to where both
        # leave less than 1e-40
        levels = [0.25, 0.5, 0.75, 1e-2, 1e-4, 1e-7, 1e-10, 1e-15, 1e-20, 1e-30, 1e-40]
        cuts = {float(x) for f in (p, q) for x in (*f.ppf(levels), *f.isf(levels))}
        cuts = {c for c in cuts if math.isfinite(c) and support[0] < c < support[1]}
        low = support[0] if math.isfinite(support[0]) else min(cuts)
        high = support[1] if math.isfinite(support[1]) else max(cuts)
        points = sorted({float(low), float(high), *cuts})
        # and where the densities cross (a kink of |p - q|), searched on a grid between the cuts
        for a, b in zip(points[:-1], points[1:], strict=True):
            if b - a < 10 * max(abs(a), abs(b), 1.0) or a * b < 0:
                grid = np.linspace(a, b, 81)
            else:  # decades of x in a tail
                grid = np.geomspace(a, b, 81) if a > 0 else -np.geomspace(-a, -b, 81)
            diff = [float(lp(mp.mpf(x)) - lq(mp.mpf(x))) for x in grid]
            for x0, x1, d0, d1 in zip(grid[:-1], grid[1:], diff[:-1], diff[1:], strict=True):
                if d0 == 0:
                    cuts.add(float(x0))
                elif d0 * d1 < 0:
                    cuts.add(float(mp.findroot(lambda x: lp(x) - lq(x), (x0, x1), solver="anderson")))
        points = [low, *sorted(c for c in cuts if low < c < high), high]
        return float(mp.quad(integrand, points))


def _rel(value: float, exact: float) -> str:
    return f"{abs(value - exact) / abs(exact):.0e}" if exact else f"{abs(value):.0e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, metavar="N", help="best of N samples (default 5)")
    args = parser.parse_args()
    print(versions(None).replace(", torch not importable", ""))
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; one pair of Python "
          f"floats per call; best of {args.repeat}")
    print("\nOur time over scipy.integrate.quad's (same tolerance); relative errors against mpmath at 50 digits")
    row = "{:<18}  {:<16}  {:>9}  {:>9}  {:>7}  {:>8}  {:>9}"
    print_row(row, ["pair", "measure", "dv", "quad", "dv/quad", "dv err", "quad err"])
    ratios = []
    for label, measure, p, q, sp, sq, lp, lq, support in CASES:
        ours = getattr(dv, measure)
        exact = reference(measure, lp, lq, sp, sq, support)
        ours_s, quad_s = race([partial(ours, p, q), partial(quad_route, measure, sp, sq)], args.repeat, SAMPLE_S)
        ratios.append(ours_s / quad_s)
        print_row(row, [label, measure, f"{ours_s * 1e3:.2f} ms", f"{quad_s * 1e3:.2f} ms", f"{ours_s / quad_s:.2f}x",
                        _rel(float(ours(p, q)), exact), _rel(quad_route(measure, sp, sq), exact)])
    print(f"\nGeometric mean of the ratios: {math.exp(sum(map(math.log, ratios)) / len(ratios)):.2f}x")


if __name__ == "__main__":
    main()
