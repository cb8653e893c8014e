"""What every catalogue component shares: defaults, overrides and extra equations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._units import dim_of
from ..errors import SpecError, did_you_mean
from ..spec import NeuronGroup

__all__ = ["component", "SynapticPort", "time_constant"]


@dataclass(frozen=True)
class SynapticPort:
    """A synaptic input of a neuron model, as equations added to it.

    Projections add their weights to ``name`` (``Projection(port=name)``); ``variable`` is
    the filtered conductance or current (``name`` itself for an exponential port), and
    ``current`` the expression added to the membrane current. Its parameter names end in
    ``_<name>``, so a neuron may have several ports of one kind.
    """

    kind: str
    name: str
    variable: str
    equations: str
    current: str
    params: Mapping[str, Any]


def time_constant(kind: str, field: str, value: Any) -> np.ndarray:
    """A port's time constant in seconds (scalar or one per neuron), checked > 0."""
    from brian2.units import second

    if tuple(dim_of(value)) != tuple(dim_of(second)):
        raise SpecError(f"{kind}: {field} = {value!r} is invalid; it must be a time "
                        f"(e.g. 5*ms).")
    arr = np.asarray(value / second, np.float64)
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise SpecError(f"{kind}: {field} = {value!r} is invalid; it must be finite and > 0.")
    return arr


def component(kind: str, name: str, n: int, *, equations: str, threshold: str,
              reset: str, refractory: Any, method: str | None,
              defaults: Mapping[str, Any], params: Mapping[str, Any], current: str,
              extra: str, init: Mapping[str, Any] | None,
              ports: Sequence[SynapticPort] = ()) -> NeuronGroup:
    """A :class:`~spikeplast.NeuronGroup` of a catalogue model.

    ``equations`` holds ``{current}`` where the input current goes; ``params`` override
    ``defaults`` (a misspelled default is an error, not a new parameter), and may add the
    names that ``current`` and ``extra`` (more equations, e.g. synaptic variables) use;
    each of ``ports`` adds its equations, its current and its parameters.
    """
    if not isinstance(params, Mapping):
        raise SpecError(f"{kind} '{name}': params = {params!r} is invalid; it must be a "
                        f"mapping from name to value.")
    for p in ports:
        if not isinstance(p, SynapticPort):
            raise SpecError(f"{kind} '{name}': ports contains {p!r}; each must be a synaptic "
                            f"port (exponential, alpha, biexponential or nmda).")
        current = f"{current} + {p.current}"
        extra = f"{extra}\n{p.equations}" if extra else p.equations
        defaults = {**defaults, **p.params}
    extra_names = _names(current) | _names(extra)
    for key in params:
        if key not in defaults and key not in extra_names:
            raise SpecError(f"{kind} '{name}': params names '{key}', which the model does not "
                            f"use; its parameters: {', '.join(defaults)}."
                            f"{did_you_mean(str(key), defaults)}")
    eqs = equations.format(current=current) + ("\n" + extra if extra else "")
    if refractory is None:  # the flag means nothing then (Brian2 would warn)
        eqs = eqs.replace(" (unless refractory)", "")
    return NeuronGroup(name=name, n=n, equations=eqs, threshold=threshold, reset=reset,
                       refractory=refractory, method=method, params={**defaults, **params},
                       init=dict(init or {}))


def _names(code: str) -> set[str]:
    import re
    return set(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", code or ""))
