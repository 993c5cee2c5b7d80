"""Parametric distributions: parameter containers, the closed-form registry, numerical routes.

``dv.kl(a, b)`` (and js, js_distance, hellinger, bhattacharyya, total_variation, renyi, chi2,
psi, cross_entropy) accept these objects and SciPy frozen distributions. Importing this
package imports the closed-form modules, so every registration exists before any lookup.
"""

from . import _closed_cross, _closed_discrete, _closed_multivariate, _closed_univariate  # noqa: F401 - register closed forms
from ._base import Distribution
from ._families import *  # noqa: F403 - the families are the public names of this package
from ._families import __all__ as _family_names
from ._mixture import *  # noqa: F403
from ._mixture import __all__ as _mixture_names
from ._registry import REGISTRIES, register, register_kl, registered_pairs
from ._scipy import ScipyDistribution, as_distribution, is_distribution

__all__ = [
    "Distribution",
    "REGISTRIES",
    "ScipyDistribution",
    "as_distribution",
    "is_distribution",
    "register",
    "register_kl",
    "registered_pairs",
    *_family_names,
    *_mixture_names,
]
