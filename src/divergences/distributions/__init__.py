"""Parametric distributions: parameter containers, the closed-form registry, numerical routes.

``dv.kl(a, b)`` (and js, js_distance, hellinger, bhattacharyya, total_variation, renyi, chi2,
psi, cross_entropy) accept these objects and SciPy frozen distributions, and so do
``dv.entropy(distribution)`` (the differential entropy, or the entropy of a discrete family)
and ``dv.f_divergence(p, q, f)`` (the f-divergence of your convex ``f``, by the numerical
routes). Each takes a closed form where one is registered or derived from one, else
quadrature, summation or Monte Carlo; ``return_error=True`` adds the error estimate.
``docs/distributions.md`` lists the closed forms. Importing this package imports the
closed-form modules, so every registration exists before any lookup.

Examples
--------
>>> import numpy as np
>>> import divergences as dv
>>> p, q = dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0)
>>> float(dv.kl(p, q))
0.5
>>> round(float(dv.entropy(p)), 6)  # log(2 pi e) / 2
1.418939
>>> value, error = dv.f_divergence(p, q, lambda t: (t - 1) ** 2, return_error=True)  # chi-square
>>> round(float(value), 9), bool(error < 1e-9)  # e - 1
(1.718281828, True)
"""

from . import (  # noqa: F401 - register closed forms
    _closed_categorical,
    _closed_cross,
    _closed_dirichlet,
    _closed_discrete,
    _closed_independent,
    _closed_multivariate,
    _closed_univariate,
    _crossing,
)
from ._base import Distribution, param
from ._exponential_family import ExponentialFamily
from ._families import *  # noqa: F403 - the families are the public names of this package
from ._families import __all__ as _family_names
from ._independent import Independent
from ._logistic_normal import LogisticNormal
from ._mixture import *  # noqa: F403
from ._mixture import __all__ as _mixture_names
from ._registry import REGISTRIES, register, register_kl, registered_pairs
from ._scipy import ScipyDistribution, as_distribution, is_distribution

__all__ = [
    "Distribution",
    "ExponentialFamily",
    "Independent",
    "LogisticNormal",
    "REGISTRIES",
    "ScipyDistribution",
    "as_distribution",
    "is_distribution",
    "param",
    "register",
    "register_kl",
    "registered_pairs",
    *_family_names,
    *_mixture_names,
]
