"""divergences: how far apart are two probability distributions?

KL, Jensen-Shannon, cross-entropy, entropy, Hellinger, total variation, Bhattacharyya,
Renyi, chi-square, PSI and any f-divergence, in bits or nats, on NumPy, PyTorch, JAX, CuPy
or Dask arrays, batched along any axis.

>>> import divergences as dv
>>> print(f"{dv.kl([0.1, 0.4, 0.5], [0.8, 0.15, 0.05], base=2):.3f} bits")
1.927 bits
"""

from . import discrete, distributions, drift, estimate, markov, plot
from ._exceptions import (
    AmbiguousRegistrationError,
    BackendMismatchError,
    DivergenceError,
    InvalidInputError,
    NotRegisteredError,
)
from ._metadata import DIVERGENCES
from .discrete import *  # noqa: F403 - one function per row of DIVERGENCES
from .distributions import *  # noqa: F403 - the families, Distribution and the registry functions
from .distributions import __all__ as _distribution_names
from .pairwise import Neighbours, nearest, pairwise

__version__ = "0.1.0"

__all__ = [
    "DIVERGENCES",
    "AmbiguousRegistrationError",
    "NotRegisteredError",
    "distributions",
    "drift",
    "estimate",
    "markov",
    "plot",
    "BackendMismatchError",
    "DivergenceError",
    "InvalidInputError",
    "Neighbours",
    "__version__",
    "nearest",
    "pairwise",
    *[name for name in _distribution_names if name not in ("REGISTRIES", "as_distribution", "is_distribution")],
]
__all__ += discrete.__all__  # one function per row of DIVERGENCES
