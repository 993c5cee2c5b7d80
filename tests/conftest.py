"""Shared fixtures and helpers: ``xp`` runs a test on every array library that is installed;
``call`` calls a measure by name, ``raises_invalid``, ``torch_params``, ``run_cli``, ``to_numpy``."""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BACKENDS = ["numpy", "array_api_strict", "torch", "jax"]


def _namespace(name: str):
    if name == "numpy":
        return np
    if name == "jax":
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        return importlib.import_module("jax.numpy")
    return pytest.importorskip(name)


@pytest.fixture(params=BACKENDS)
def xp(request):
    """The array namespace of one backend (skipped when the library is not installed)."""
    return _namespace(request.param)


def to_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu()
    return np.asarray(x)


def call(name: str, p, q=None, *, extra: dict | None = None, **kw):
    """``dv.<name>`` called by name: on ``p`` alone for a measure of one distribution (entropy),
    else on ``(p, q)`` followed by the positional options ``extra[name]`` (renyi's alpha,
    f_divergence's f) where given, else the row's example options (``DIVERGENCES[name].examples``,
    so a new row is exercised with no edit here); keyword options pass through."""
    import divergences as dv  # here, so that a broken package fails its tests, not the collection

    row = dv.DIVERGENCES[name]
    func = getattr(dv, name)
    if row.arity == 1:
        return func(p, **kw)
    if extra is not None and name in extra:
        return func(p, q, *extra[name], **kw)
    return func(p, q, **{**row.examples, **kw})


def raises_invalid(match: str):
    """``pytest.raises`` for ``dv.InvalidInputError`` with a message matching ``match``."""
    import divergences as dv

    return pytest.raises(dv.InvalidInputError, match=match)


def torch_params(torch, values) -> list:
    """Each value as a float64 torch tensor that requires a gradient (parameters of a distribution)."""
    return [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """The command line run in this process on ``argv`` (each passed through ``str``):
    (exit status, stdout, stderr)."""
    from divergences.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err
