"""The discrete-time LIF layer and trace STDP of canns's STDPTrainer (seed 002)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .._units import fail
from ..errors import SpecError
from ._base import InputPort, SpecBase, check_count, check_name, single_input_port
from ._values import Value, resolve_value

__all__ = ["DiscreteLIF", "DiscreteSTDP"]


def _number(where: str, field_: str, value: Any, ok: bool, must: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok:
        raise fail(where, field_, value, must)
    return float(value)


@dataclass(frozen=True, kw_only=True, eq=False)
class DiscreteLIF(SpecBase):
    """A discrete-time LIF layer (canns ``SpikingLayer``), updated once per step.

    In the ``synapses`` slot of each step, after that step's input ``I = W x`` has
    arrived through the ``"input"`` port: ``v ← leak·v + I``; a neuron spikes when
    ``v >= threshold`` and is then set to ``v_reset``. Dimensionless; no refractoriness.

    Args:
        name: population name.
        n: number of neurons.
        leak: multiplicative leak per step (in [0, 1]; canns default 0.9).
        threshold: spike threshold (canns default 1.0).
        v_reset: reset value (canns default 0.0, below threshold).
        init: initial ``v`` (default 0, as canns starts every training call).
    """

    name: str
    n: int
    leak: float = 0.9
    threshold: float = 1.0
    v_reset: float = 0.0
    init: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        w = self.where
        check_name(w, "name", self.name)
        check_count(w, "n", self.n)
        _number(w, "leak", self.leak, 0 <= self.leak <= 1 if isinstance(self.leak, (int, float))
                else False, "be a number in [0, 1]")
        _number(w, "threshold", self.threshold, True, "be a number")
        _number(w, "v_reset", self.v_reset, True, "be a number")
        if not self.v_reset < self.threshold:
            raise SpecError(f"{w}: v_reset = {self.v_reset} must be below threshold = "
                            f"{self.threshold}.")
        resolved: dict[str, Value] = {}
        for var, value in dict(self.init).items():
            if var != "v":
                raise SpecError(f"{w}: init names unknown variable '{var}'; known: v.")
            resolved[var] = resolve_value(value, where=w, field="init['v']",
                                          dim="dimensionless", n=self.n)
        self._set("init", MappingProxyType(resolved))

    variables = ("v",)

    def port(self, name: str) -> InputPort:
        """The input port (its only one, ``"input"``)."""
        return single_input_port(self.where, name, "discrete")


@dataclass(frozen=True, kw_only=True, eq=False)
class DiscreteSTDP(SpecBase):
    """canns ``STDPTrainer``'s rule, step for step (RULES.md, seed 002).

    Per step, with binary presynaptic input ``x`` and postsynaptic spikes ``s`` of the
    target :class:`DiscreteLIF`::

        trace_pre  ← trace_decay·trace_pre + x          (before the layer updates)
        v ← leak·v + W x                                 (W from before this step)
        s = v >= threshold;  v ← v_reset where s
        trace_post ← trace_decay·trace_post + s
        W ← clip(W + η (a_plus·outer(s, trace_pre) − a_minus·outer(trace_post, x)),
                 w_min, w_max)

    Both traces include this step's spikes, so a coincident pair changes W by
    ``η (a_plus − a_minus)``. Traces start at 0. The projection must connect all-to-all
    with delay 0 (canns's dense layer). Defaults are canns's.
    """

    learning_rate: float = 0.01
    a_plus: float = 0.005
    a_minus: float = 0.00525
    trace_decay: float = 0.95
    w_min: float = 0.0
    w_max: float = 1.0
    name: str = "DiscreteSTDP"

    def __post_init__(self) -> None:
        w = "DiscreteSTDP"
        for f in ("learning_rate", "a_plus", "a_minus"):
            v = getattr(self, f)
            _number(w, f, v, isinstance(v, (int, float)) and v >= 0, "be a number >= 0")
        d = self.trace_decay
        _number(w, "trace_decay", d, isinstance(d, (int, float)) and 0 <= d <= 1,
                "be a number in [0, 1]")
        _number(w, "w_min", self.w_min, True, "be a number")
        _number(w, "w_max", self.w_max, True, "be a number")
        if not self.w_max > self.w_min:
            raise SpecError(f"{w}: w_max = {self.w_max} must be above w_min = {self.w_min}.")

    @property
    def where(self) -> str:
        return "DiscreteSTDP"
