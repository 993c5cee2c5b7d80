"""ExponentialFamily: KL, Renyi and cross entropy of any exponential family, from its log-normaliser.

A family ``p(x) = h(x) exp(<eta, T(x)> - A(eta))`` is known to these forms through its natural
parameters ``eta``, its log-normaliser ``A`` and the gradient ``grad A(eta) = E[T(X)]`` (the
mean parameters):

- ``KL(p || q) = A(eta_q) - A(eta_p) - <grad A(eta_p), eta_q - eta_p>``, the Bregman
  divergence of ``A`` (torch's generic ``_kl_expfamily_expfamily``);
- Renyi of order ``a``: ``[A(eta_a) - a A(eta_p) - (1 - a) A(eta_q)] / (a - 1)`` at
  ``eta_a = eta_p + (1 - a)(eta_q - eta_p)``, ``inf`` where ``eta_a`` leaves the natural
  parameter space (where ``A`` is not finite), computed as ``[a KL(m || p) + (1 - a) KL(m ||
  q)] / (1 - a)`` with ``m`` the law at ``eta_a``; Bhattacharyya, chi-square and Hellinger
  follow by the dispatch's derivations;
- cross entropy ``H(p) + KL(p || q)`` with ``H(p) = A(eta_p) - <eta_p, grad A(eta_p)> -
  E_p[log h(X)]``, for a family that gives ``E_p[log h(X)]``.

Accuracy as ``q -> p``. The KL is of order ``|eta_q - eta_p|^2`` while the terms of the
Bregman formula are of order 1: it loses as many digits as the squared relative change of the
parameters has (3.5e-5 relative for normals whose scales differ by 1e-6, like torch's generic
form, 1.9e-4 there). No rearrangement of ``A`` and ``grad A`` alone avoids it (a difference
of gradients is still first order). A family that also gives the curvature of ``A`` along a
direction, ``d^T grad^2 A(eta) d`` (the variance of ``<d, T(X)>``, a sum of squares), gets
each Bregman divergence as ``int_0^1 (1 - s) d^T grad^2 A(eta + s d) d ds``: 10-point
Gauss-Legendre on four panels (the difference from two panels is its error estimate), a sum
of positive terms, exact to rounding when ``d`` is. So ``d = eta_q - eta_p`` must be formed
from the differences of the parameters (``natural_difference``): subtracting two rounded
natural parameters is off by ``eps |eta| / |d|``, 1e-5 relative for laws 1e-11 apart. Each
Bregman divergence (one for KL, two for Renyi) takes the integral or the formula, whichever
has the smaller estimated error (the formula's: a few ``eps`` times its largest term): the
integral on short segments, where the formula cancels, the formula on long ones, where a
fixed rule may not resolve a curvature that changes by orders of magnitude.

Precedence. The library's own families are not subclasses: their pairs have specialised forms
registered (``_closed_*``), exact as ``q -> p`` from their parameters' differences, with
nothing to integrate. A form registered for a subclass pair always takes precedence over
these generic ones (it is nearer in the method resolution order). The generic forms answer
for two laws of one class only (else the numerical route), and are as accurate as what the
subclass gives: without ``log_normalizer_curvature``, the plain formulas, accurate in
absolute terms (``eps`` times the size of ``A``) but not relative to a small divergence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._exceptions import InvalidInputError
from .._special import full_like
from ._base import Distribution
from ._gauss_legendre import GL_UNIT
from ._registry import NoClosedForm, register, register_kl

__all__ = ["ExponentialFamily"]

Array = Any
Natural = tuple[Array, ...]

_GL = GL_UNIT  # the 10-point Gauss-Legendre rule of the univariate Bregman forms, on [0, 1]
_FORMULA_ULPS = 16.0  # the plain formula's error: this many eps times its largest term


@dataclass(frozen=True, eq=False)
class ExponentialFamily(Distribution):
    """Base class of a family of your own written as ``p(x) = h(x) exp(<eta, T(x)> - A(eta))``.

    Subclass it as any family (a frozen dataclass whose parameters are declared with
    :func:`divergences.param`) and give its natural parameters, log-normaliser and the
    log-normaliser's gradient; ``dv.kl``, ``dv.renyi``, ``dv.bhattacharyya``,
    ``dv.hellinger``, ``dv.chi2`` and ``dv.psi`` then have closed forms between two laws of
    the subclass (of one class: two different families take the numerical route), and
    ``dv.cross_entropy`` and ``dv.entropy`` too where :meth:`mean_carrier_measure` is given. The numerical routes
    (total variation, Jensen-Shannon, two different families) need ``log_prob`` and
    ``sample``, e.g. from a SciPy equivalent (``_scipy``). A closed form registered for the
    subclass's pair takes precedence.

    Methods to give (arrays of the parameters' library, broadcast over the batch):

    - :meth:`natural_parameters`: the tuple ``eta`` (one array per component);
    - :meth:`log_normalizer` of any such tuple: ``A(eta)``, ``inf`` or NaN outside the
      natural parameter space;
    - :meth:`log_normalizer_gradient` of such a tuple: ``grad A(eta)``, i.e. ``E[T(X)]``;
    - optional, for relative accuracy as ``q -> p``: :meth:`log_normalizer_curvature`
      (``d^T grad^2 A(eta) d``) and :meth:`natural_difference` formed from the parameters'
      differences (see the module notes: without them the KL subtracts terms of order 1);
    - optional: :meth:`mean_carrier_measure`, ``E[log h(X)]``, for entropies.

    A component with event axes (a vector or a matrix of natural parameters) is declared in
    ``natural_event_ndims`` (one number per component; all 0 by default): inner products
    sum over those axes.

    Examples
    --------
    The Rayleigh law, ``x / s^2 exp(-x^2 / (2 s^2))`` on ``x > 0``: ``T(x) = x^2``,
    ``eta = -1 / (2 s^2)``, ``A(eta) = -log(-2 eta)``, ``h(x) = x``.

    >>> from dataclasses import dataclass
    >>> from typing import Any
    >>> import divergences as dv
    >>> @dataclass(frozen=True, eq=False)
    ... class Rayleigh(dv.ExponentialFamily):
    ...     scale: Any = dv.param("positive")
    ...     def natural_parameters(self):
    ...         return (-0.5 / self.scale**2,)
    ...     def log_normalizer(self, eta):
    ...         return -self.xp.log(-2.0 * eta[0])
    ...     def log_normalizer_gradient(self, eta):  # E[X^2] = 2 s^2
    ...         return (-1.0 / eta[0],)
    ...     def natural_difference(self, other):  # from s2 - s1: exact for nearby laws
    ...         s1, s2 = self.scale, other.scale
    ...         return ((s2 - s1) * (s2 + s1) / (2.0 * s1**2 * s2**2),)
    ...     def log_normalizer_curvature(self, eta, direction):  # A''(eta) = 1 / eta^2
    ...         return (direction[0] / eta[0]) ** 2
    >>> round(float(dv.kl(Rayleigh(1.0), Rayleigh(2.0))), 12)  # 2 log 2 + 1/4 - 1
    0.63629436112
    >>> f"{float(dv.kl(Rayleigh(3.0), Rayleigh(3.0 * (1 + 1e-9)))):.6e}"  # 2 delta^2 (the plain formula: 0.0)
    '2.000000e-18'
    >>> round(float(dv.bhattacharyya(Rayleigh(1.0), Rayleigh(2.0))), 12)  # log(5/4): Renyi 1/2, halved
    0.223143551314
    """

    #: Event axes of each natural parameter component (``None``: all scalar per batch element).
    natural_event_ndims: ClassVar[tuple[int, ...] | None] = None

    def __post_init__(self) -> None:
        if type(self) is ExponentialFamily:
            raise InvalidInputError(
                "ExponentialFamily is a base class: subclass it with your family's parameters, "
                "natural_parameters, log_normalizer and log_normalizer_gradient"
            )
        super().__post_init__()

    def natural_parameters(self) -> Natural:
        """The natural parameters ``eta``, a tuple of arrays (a single array counts as one)."""
        raise NotImplementedError(f"{type(self).__name__} defines no natural_parameters")

    def log_normalizer(self, eta: Natural) -> Array:
        """``A(eta)`` for a tuple like :meth:`natural_parameters`' (``inf`` or NaN outside the
        natural parameter space), reduced to the batch shape."""
        raise NotImplementedError(f"{type(self).__name__} defines no log_normalizer")

    def log_normalizer_gradient(self, eta: Natural) -> Natural:
        """``grad A(eta)``, component by component: the mean parameters ``E[T(X)]`` of the law
        at ``eta``."""
        raise NotImplementedError(f"{type(self).__name__} defines no log_normalizer_gradient")

    def natural_difference(self, other: ExponentialFamily) -> Natural:
        """``eta_other - eta_self``; override it with a form from the parameters' differences
        (exact for nearby laws) where the natural parameters are not the parameters."""
        mine, theirs = _components(self.natural_parameters()), _components(other.natural_parameters())
        return tuple(b - a for a, b in zip(mine, theirs, strict=True))

    def log_normalizer_curvature(self, eta: Natural, direction: Natural) -> Array:
        """``d^T grad^2 A(eta) d`` for ``d = direction``: the variance of ``<d, T(X)>`` under
        the law at ``eta`` (>= 0). Optional: with it the KL and Renyi forms keep their
        relative accuracy as ``q -> p``."""
        raise NotImplementedError(f"{type(self).__name__} defines no log_normalizer_curvature")

    def mean_carrier_measure(self) -> Array:
        """``E[log h(X)]`` under this law. Optional: the entropy and cross entropy need it."""
        raise NotImplementedError(f"{type(self).__name__} defines no mean_carrier_measure")


def _components(eta: Any) -> Natural:
    return tuple(eta) if isinstance(eta, (tuple, list)) else (eta,)


def _gives(d: ExponentialFamily, method: str) -> bool:
    return getattr(type(d), method) is not getattr(ExponentialFamily, method)


def _one_family(p: Any, q: Any) -> None:
    if type(p) is not type(q):
        raise NoClosedForm(
            f"{type(p).__name__} and {type(q).__name__} are two families; the exponential-family forms "
            "compare two laws of one (register a closed form for the pair)"
        )


def _inner(a: Natural, b: Natural, ndims: tuple[int, ...], xp: Any) -> Array:
    """``<a, b>``: products summed over each component's event axes, then over components."""
    total: Any = 0.0
    for x, y, k in zip(a, b, ndims, strict=True):
        t = x * y
        total = total + (xp.sum(t, axis=tuple(range(-k, 0))) if k else t)
    return total


def _ndims(d: ExponentialFamily, eta: Natural) -> tuple[int, ...]:
    declared = type(d).natural_event_ndims
    ndims = tuple(declared) if declared is not None else (0,) * len(eta)
    if len(ndims) != len(eta):
        raise InvalidInputError(
            f"{type(d).__name__}.natural_event_ndims has {len(ndims)} entries for {len(eta)} natural parameters"
        )
    return ndims


def _curvature_integral(d: ExponentialFamily, start: Natural, step: Natural, xp: Any) -> tuple[Array, Array]:
    """``A(start + step) - A(start) - <grad A(start), step> = int_0^1 (1 - s) C(start + s step) ds``
    (``C`` the curvature along ``step``) by 10-point Gauss-Legendre on four panels of [0, 1],
    and its difference from the rule on two panels (the error estimate, an overestimate)."""

    def rule(panels: int) -> Array:
        total: Any = 0.0
        for k in range(panels):
            for x, w in _GL:
                s = (k + x) / panels
                point = tuple(e + s * t for e, t in zip(start, step, strict=True))
                total = total + (w * (1.0 - s) / panels) * d.log_normalizer_curvature(point, step)
        return total

    fine = rule(4)
    return fine, xp.abs(fine - rule(2))


def _bregman(d: ExponentialFamily, start: Natural, step: Natural, a_start: Array, a_end: Array, xp: Any) -> Array:
    """``A(start + step) - A(start) - <grad A(start), step>`` given the two values of ``A``: the
    formula, or, where the family gives its curvature, the curvature integral where its estimated
    error is the smaller (the formula's: a few eps times its largest term)."""
    gradient = _components(d.log_normalizer_gradient(start))
    linear = _inner(gradient, step, _ndims(d, start), xp)
    formula = a_end - a_start - linear
    if not _gives(d, "log_normalizer_curvature"):
        return formula
    integral, integral_error = _curvature_integral(d, start, step, xp)
    formula_error = _FORMULA_ULPS * _eps(formula, xp) * (xp.abs(a_end) + xp.abs(a_start) + xp.abs(linear))
    return xp.where((integral_error <= formula_error) | ~xp.isfinite(formula), integral, formula)


def _eps(x: Array, xp: Any) -> float:
    return float(xp.finfo(x.dtype).eps)


def _kl(p: ExponentialFamily, q: ExponentialFamily, xp: Any) -> Array:
    _one_family(p, q)
    eta_p, eta_q = _components(p.natural_parameters()), _components(q.natural_parameters())
    step = _components(p.natural_difference(q))
    return _bregman(p, eta_p, step, p.log_normalizer(eta_p), p.log_normalizer(eta_q), xp)


def _expand(mask: Array, k: int, xp: Any) -> Array:
    """``mask`` with ``k`` trailing axes of length 1 (to meet a component with ``k`` event axes)."""
    return xp.reshape(mask, tuple(mask.shape) + (1,) * k) if k else mask


def _renyi(p: ExponentialFamily, q: ExponentialFamily, xp: Any, alpha: float) -> Array:
    if alpha == 1:
        return _kl(p, q, xp)
    _one_family(p, q)
    eta_p, eta_q = _components(p.natural_parameters()), _components(q.natural_parameters())
    a_p, a_q = p.log_normalizer(eta_p), p.log_normalizer(eta_q)
    if alpha == 0:  # -log Q(support of P): one family, one support
        return xp.zeros_like(a_p + a_q)
    if math.isinf(alpha):
        raise NoClosedForm("the Renyi divergence of infinite order (log sup p/q) has no form common to exponential families")
    step = _components(p.natural_difference(q))
    ndims = _ndims(p, eta_p)
    with np.errstate(all="ignore"):  # outside the natural parameter space A is inf or NaN
        inside = xp.isfinite(p.log_normalizer(tuple(e + (1.0 - alpha) * t for e, t in zip(eta_p, step, strict=True))))
    # Where the mixed law does not exist the value is inf; its branch is evaluated at p itself.
    step = tuple(xp.where(_expand(inside, k, xp), t, xp.zeros_like(t)) for t, k in zip(step, ndims, strict=True))
    eta_m = tuple(e + (1.0 - alpha) * t for e, t in zip(eta_p, step, strict=True))
    a_m = p.log_normalizer(eta_m)
    # (1 - a) D = a KL(m || p) + (1 - a) KL(m || q), m the law at eta_m: from m, p lies at
    # -(1 - a) step and q at a step. Each KL takes its own route (a short segment the curvature
    # integral, a long one the formula), so the value stays accurate as a -> 1 or 0 and q -> p.
    to_p = _bregman(p, eta_m, tuple(-(1.0 - alpha) * t for t in step), a_m, a_p, xp)
    to_q = _bregman(p, eta_m, tuple(alpha * t for t in step), a_m, a_q, xp)
    value = (alpha * to_p + (1.0 - alpha) * to_q) / (1.0 - alpha)
    return xp.where(inside, value, full_like(value, math.inf, xp))


def _entropy(p: ExponentialFamily, xp: Any) -> Array:
    if not _gives(p, "mean_carrier_measure"):
        raise NoClosedForm(f"{type(p).__name__} defines no mean_carrier_measure (E[log h(X)]), which entropies need")
    eta = _components(p.natural_parameters())
    mean = _components(p.log_normalizer_gradient(eta))
    return p.log_normalizer(eta) - _inner(eta, mean, _ndims(p, eta), xp) - p.mean_carrier_measure()


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_exponential_family(p: ExponentialFamily, q: ExponentialFamily, *, xp: Any) -> Array:
    """The Bregman divergence of the log-normaliser (by its curvature where given)."""
    return _kl(p, q, xp)


@register("renyi", ExponentialFamily, ExponentialFamily)
def _renyi_exponential_family(p: ExponentialFamily, q: ExponentialFamily, *, xp: Any, alpha: float) -> Array:
    """From the log-normaliser at the mixed natural parameters (by curvature where given)."""
    return _renyi(p, q, xp, alpha)


@register("cross_entropy", ExponentialFamily, ExponentialFamily)
def _cross_entropy_exponential_family(p: ExponentialFamily, q: ExponentialFamily, *, xp: Any) -> Array:
    """``H(p) + KL(p || q)``, ``H(p) = A - <eta, grad A> - E[log h]``."""
    _one_family(p, q)
    entropy = _entropy(p, xp)
    return entropy if p is q else entropy + _kl(p, q, xp)
