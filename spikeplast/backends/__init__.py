"""Backends, registered by name and imported only when used.

A backend module provides three functions: ``check(plan, options)`` (raise
:class:`~spikeplast.errors.UnsupportedFeature` or ``SpecError`` before anything
compiles), ``build(plan, **options)`` returning a compiled simulation with
``initial_state()``, ``run(n_steps, state=None, progress=None) -> (state,
Recording)`` and ``timings``, and a ``NAME``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import SpecError, did_you_mean

__all__ = ["BACKENDS", "get_backend"]

#: backend name -> module implementing it
BACKENDS = {"jax": "spikeplast.backends.jax", "brian2": "spikeplast.backends.brian2"}


def get_backend(name: str) -> ModuleType:
    """The backend module called ``name`` (imported on first use)."""
    if name not in BACKENDS:
        raise SpecError(f"backend = {name!r} is invalid; it must be one of "
                        f"{', '.join(BACKENDS)}.{did_you_mean(str(name), BACKENDS)}")
    return importlib.import_module(BACKENDS[name])
