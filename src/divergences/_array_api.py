"""The array layer, the only module that talks to array-api-compat: which library an array is
from (namespaces, NumPy, Dask, laziness, devices), and conversion to floating arrays and to NumPy."""

from __future__ import annotations

import functools
import sys
from typing import Any

import array_api_compat
import array_api_compat.numpy as NUMPY  # NumPy's array API namespace: the kernels' xp on the fast path
import numpy as np
from array_api_compat import device, is_torch_array, is_writeable_array, to_device

from ._exceptions import BackendMismatchError, InvalidInputError

__all__ = [
    "NUMPY",
    "as_float_array",
    "as_float_arrays",
    "compute_dtype",
    "device",
    "has_dtype",
    "is_dask",
    "is_eager",
    "is_lazy",
    "is_numpy",
    "is_torch_array",
    "is_writeable_array",
    "library",
    "namespace",
    "to_device",
    "to_numpy",
]

Array = Any


def _is_array(x: object) -> bool:
    return array_api_compat.is_array_api_obj(x) and not isinstance(x, (list, tuple))


def namespace(*xs: object) -> Any:
    """The array namespace of ``xs``; Python lists, tuples and scalars count as NumPy."""
    if all(type(x) is np.ndarray for x in xs):  # the common case, without array_namespace's checks
        return _numpy_namespace()
    arrays = [x for x in xs if _is_array(x) and not isinstance(x, np.generic)]
    if not arrays:
        return array_api_compat.array_namespace(np.empty(0))
    try:
        return array_api_compat.array_namespace(*arrays)
    except TypeError as exc:
        kinds = sorted({type(x).__module__.split(".")[0] + "." + type(x).__name__ for x in arrays})
        raise BackendMismatchError(
            f"arrays from different libraries cannot be mixed ({', '.join(kinds)}); "
            "convert them to one library first"
        ) from exc


@functools.cache
def _numpy_namespace() -> Any:
    return array_api_compat.array_namespace(np.empty(0))


def is_dask(*xs: object) -> bool:
    """True when any of ``xs`` is a Dask array (never imports Dask)."""
    if "dask" not in sys.modules:  # no Dask array can exist: the common case, a dict lookup
        return False
    return any(array_api_compat.is_dask_array(x) for x in xs)


def library(xp: Any) -> str:
    """The name of the library of namespace ``xp``: numpy, torch, jax, cupy, array_api_strict or other."""
    for name in ("numpy", "torch", "jax", "cupy", "array_api_strict"):
        if getattr(array_api_compat, f"is_{name}_namespace")(xp):
            return name
    return "other"


def is_numpy(xp: Any) -> bool:
    return bool(array_api_compat.is_numpy_namespace(xp))


@functools.cache
def _library_of(xp: Any) -> str:
    return library(xp)


def is_eager(xp: Any) -> str | None:
    """``"numpy"`` or ``"torch"`` where the values of ``xp``'s arrays can be read and subsets
    of them indexed and written back (NumPy; torch outside ``torch.compile``), else None: the
    elementwise helpers then compute a cheap formula everywhere and an accurate one only
    where it is needed, instead of both everywhere under ``where``."""
    kind = _library_of(xp)
    if kind == "numpy":
        return kind
    if kind == "torch" and not sys.modules["torch"].compiler.is_compiling():
        return kind
    return None


def is_lazy(x: Array) -> bool:
    """True when reading values would force or break a computation (JAX tracers, Dask)."""
    if array_api_compat.is_jax_array(x):
        jax = sys.modules["jax"]
        return isinstance(x, jax.core.Tracer)
    return bool(array_api_compat.is_lazy_array(x))


def as_float_array(x: object, name: str, xp: Any, dtype: Any = None, on: Any = None) -> Array:
    """``x`` as an array of ``xp`` with a real floating dtype (integers and bools promoted); a
    value that is not an array made at ``dtype`` on the device ``on`` where a dtype is given
    (``torch.asarray(1.3)`` is float32: as float64 after that, 1.2999999523)."""
    if is_torch_array(x) and x.is_meta:
        raise InvalidInputError(
            f"{name} is a torch tensor on the 'meta' device, which has a shape but no values; "
            "the measure needs the values: make it on a real device (e.g. 'cpu' or 'cuda')"
        )
    if isinstance(x, np.ma.MaskedArray):
        raise InvalidInputError(f"{name} is a masked array; pass plain data (e.g. x.filled(0))")
    if is_numpy(xp):
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(f"{name} could not be read as an array of numbers: {exc}") from None
        if arr.dtype.kind in "biu":
            arr = arr.astype(np.float64)
        elif arr.dtype.kind != "f":
            raise InvalidInputError(
                f"{name} has dtype {arr.dtype}; expected real numbers (floating, integer or bool)"
            )
        return arr
    if _is_array(x):
        other: Any = x
    elif dtype is not None:
        other = xp.asarray(x, dtype=dtype, device=on)
    else:
        other = xp.asarray(x)
    if xp.isdtype(other.dtype, "real floating"):
        return other
    if xp.isdtype(other.dtype, ("integral", "bool")):
        default = xp.__array_namespace_info__().default_dtypes(device=array_api_compat.device(other))
        return xp.astype(other, default["real floating"])
    raise InvalidInputError(
        f"{name} has dtype {other.dtype}; expected real numbers (floating, integer or bool)"
    )


def has_dtype(x: object) -> bool:
    """Whether ``x`` is an array with a dtype of its own (not a Python number, a list or a NumPy
    scalar, which take the dtype of the arrays beside them)."""
    return hasattr(x, "dtype") and not isinstance(x, np.generic)


def as_float_arrays(named: dict[str, object], xp: Any, label: str = "") -> dict[str, Array]:
    """:func:`as_float_array` of each value (named ``label name`` in errors), those that are not
    arrays (Python numbers, lists, NumPy scalars) made at the arrays' common dtype and on the
    first one's device, so that ``1.3`` beside a float64 tensor is float64's 1.3 (float32 stays
    float32). Where none is an array, each takes the library's default."""
    arrays = {n: as_float_array(x, f"{label}{n}", xp) for n, x in named.items() if has_dtype(x)}
    first = next(iter(arrays.values()), None)
    dtype = xp.result_type(*arrays.values()) if first is not None else None
    on = device(first) if first is not None else None
    return {n: arrays[n] if n in arrays else as_float_array(x, f"{label}{n}", xp, dtype, on) for n, x in named.items()}


def compute_dtype(dtype: Any, xp: Any) -> Any:
    """The dtype to compute in for inputs of ``dtype``: float32 for half precision (float16,
    bfloat16: too coarse for logarithms of small probabilities, and NumPy has no bfloat16
    for the checks), ``dtype`` itself otherwise. Results go back to ``dtype``."""
    return xp.float32 if xp.finfo(dtype).bits < 32 else dtype


def to_numpy(x: Array) -> np.ndarray:
    """A NumPy copy of ``x`` (detached from any gradient; off the device; torch's bfloat16,
    which NumPy lacks, as float32)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu()
        if x.dtype is sys.modules["torch"].bfloat16:
            x = x.float()
    elif array_api_compat.is_cupy_array(x):  # CuPy refuses an implicit copy to the host
        return x.get()
    return np.asarray(x)
