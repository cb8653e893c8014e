"""What every catalogue component shares: defaults, overrides and extra equations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SpecError, did_you_mean
from ..spec import NeuronGroup

__all__ = ["component"]


def component(kind: str, name: str, n: int, *, equations: str, threshold: str,
              reset: str, refractory: Any, method: str | None,
              defaults: Mapping[str, Any], params: Mapping[str, Any], current: str,
              extra: str, init: Mapping[str, Any] | None) -> NeuronGroup:
    """A :class:`~spikeplast.NeuronGroup` of a catalogue model.

    ``equations`` holds ``{current}`` where the input current goes; ``params`` override
    ``defaults`` (a misspelled default is an error, not a new parameter), and may add the
    names that ``current`` and ``extra`` (more equations, e.g. synaptic variables) use.
    """
    if not isinstance(params, Mapping):
        raise SpecError(f"{kind} '{name}': params = {params!r} is invalid; it must be a "
                        f"mapping from name to value.")
    extra_names = _names(current) | _names(extra)
    for key in params:
        if key not in defaults and key not in extra_names:
            raise SpecError(f"{kind} '{name}': params names '{key}', which the model does not "
                            f"use; its parameters: {', '.join(defaults)}."
                            f"{did_you_mean(str(key), defaults)}")
    eqs = equations.format(current=current) + ("\n" + extra if extra else "")
    return NeuronGroup(name=name, n=n, equations=eqs, threshold=threshold, reset=reset,
                       refractory=refractory, method=method, params={**defaults, **params},
                       init=dict(init or {}))


def _names(code: str) -> set[str]:
    import re
    return set(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", code or ""))
