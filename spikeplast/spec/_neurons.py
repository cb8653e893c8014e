"""Spiking populations: leaky integrate-and-fire neurons with synaptic ports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Union

import numpy as np

from .._units import fail
from ..errors import SpecError, did_you_mean
from ._base import SpecBase, all_of, check_count, check_name
from ._values import Value, resolve_value

__all__ = ["CurrentPort", "ConductancePort", "Port", "LIF", "METHODS"]

#: integration methods both backends implement with the same update formulas
METHODS = ("exact", "euler", "exponential_euler")


@dataclass(frozen=True, kw_only=True, eq=False)
class CurrentPort(SpecBase):
    """A current-based synaptic input with exponential decay, in voltage units.

    The port variable ``x`` (volt) obeys ``dx/dt = -x / tau`` and drives the
    membrane as ``dv/dt = (... + x) / tau_m`` (``x`` is ``R·I``). A spike through
    a projection onto this port adds the synaptic weight (volt) to ``x``.

    Args:
        name: the port variable's name, e.g. ``"ge"``.
        tau: decay time constant (time, > 0).
    """

    name: str
    tau: Any

    def __post_init__(self) -> None:
        check_name(self.where, "name", self.name)
        self._si("tau", "time", check=lambda a: a > 0, must="be > 0")

    kind = "current"
    weight_dim = "voltage"


@dataclass(frozen=True, kw_only=True, eq=False)
class ConductancePort(SpecBase):
    """A conductance-based synaptic input with exponential decay and a reversal potential.

    The conductance ``g`` (siemens) obeys ``dg/dt = -g / tau`` and drives the
    membrane as ``dv/dt = (... + g (e_rev - v) / c_m)``. A spike adds the synaptic
    weight (siemens, >= 0) to ``g``.

    Args:
        name: the port variable's name, e.g. ``"ge"``.
        tau: decay time constant (time, > 0).
        e_rev: reversal potential (voltage).
    """

    name: str
    tau: Any
    e_rev: Any

    def __post_init__(self) -> None:
        check_name(self.where, "name", self.name)
        self._si("tau", "time", check=lambda a: a > 0, must="be > 0")
        self._si("e_rev", "voltage")

    kind = "conductance"
    weight_dim = "conductance"


Port = Union[CurrentPort, ConductancePort]


@dataclass(frozen=True, kw_only=True, eq=False)
class LIF(SpecBase):
    """A population of leaky integrate-and-fire neurons.

    Between spikes, unless refractory::

        dv/dt = (v_rest - v + drive + Σ x_current) / tau_m + Σ g (e_rev - v) / c_m

    A neuron spikes at a step when ``v > v_th`` and it is not refractory; then
    ``v`` is set to ``v_reset`` and held there (not integrated) for ``t_ref``,
    while its ports keep decaying — Brian2's ``(unless refractory)`` meaning.
    Every physical parameter takes a scalar or an array with one value per neuron.

    Args:
        name: population name (an identifier).
        n: number of neurons (>= 1).
        tau_m: membrane time constant (time, > 0).
        v_rest: resting potential (voltage).
        v_reset: reset potential (voltage, < v_th).
        v_th: threshold (voltage).
        t_ref: refractory period (time, >= 0); counted in whole steps as Brian2 does,
            ``floor(t_ref/dt + 0.001)``.
        c_m: membrane capacitance (capacitance, > 0); required with conductance ports.
        drive: constant input ``R·I`` (voltage), added to ``v_rest``'s pull.
        ports: synaptic input ports (unique names, not ``"v"``).
        method: ``"exact"`` (linear current-based only), ``"euler"`` or
            ``"exponential_euler"``; ``None`` picks ``"exact"`` when the equations are
            linear, else ``"euler"`` — what Brian2 picks by default for the same equations.
        init: initial values per variable (``"v"`` or a port name): a constant, an
            array of length ``n`` or a distribution. ``v`` defaults to ``v_rest``,
            ports to 0.
    """

    name: str
    n: int
    tau_m: Any
    v_rest: Any
    v_reset: Any
    v_th: Any
    t_ref: Any = 0.0
    c_m: Any = None
    drive: Any = 0.0
    ports: tuple[Port, ...] = ()
    method: str | None = None
    init: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        w = self.where
        check_name(w, "name", self.name)
        n = check_count(w, "n", self.n)
        self._si("tau_m", "time", n, check=lambda a: a > 0, must="be > 0")
        self._si("v_rest", "voltage", n)
        self._si("v_reset", "voltage", n)
        self._si("v_th", "voltage", n)
        if not all_of(np.asarray(self.v_th) - np.asarray(self.v_reset), lambda a: a > 0):
            raise SpecError(f"{w}: v_th must be above v_reset for every neuron "
                            f"(got v_th = {self.v_th}, v_reset = {self.v_reset} in volt).")
        self._si("t_ref", "time", n, check=lambda a: a >= 0, must="be >= 0")
        self._si("drive", "voltage", n)
        if not isinstance(self.ports, (tuple, list)):
            raise fail(w, "ports", self.ports, "be a tuple of CurrentPort / ConductancePort")
        self._set("ports", tuple(self.ports))
        seen: set[str] = {"v"}
        for p in self.ports:
            if not isinstance(p, (CurrentPort, ConductancePort)):
                raise fail(w, "ports", p, "contain only CurrentPort or ConductancePort objects")
            if p.name in seen:
                raise fail(w, "ports", p.name, "have unique names other than 'v'")
            seen.add(p.name)
        conductance = any(p.kind == "conductance" for p in self.ports)
        if self.c_m is None:
            if conductance:
                raise SpecError(f"{w}: c_m is required with conductance ports "
                                f"(e.g. c_m=200*pF).")
        else:
            self._si("c_m", "capacitance", n, check=lambda a: a > 0, must="be > 0")
        method = self.method
        if method is None:
            method = "euler" if conductance else "exact"  # Brian2's default choice
        if method not in METHODS:
            raise fail(w, "method", method, f"be one of {', '.join(METHODS)}"
                       + did_you_mean(str(method), METHODS).replace(" Did", "; did"))
        if method == "exact" and conductance:
            raise SpecError(f"{w}: method = 'exact' needs linear equations, but conductance "
                            f"ports make dv/dt depend on g·v; use 'exponential_euler' or 'euler'.")
        self._set("method", method)
        if not isinstance(self.init, Mapping):
            raise fail(w, "init", self.init, "be a mapping from variable name to value")
        dims = {"v": "voltage", **{p.name: p.weight_dim for p in self.ports}}
        resolved: dict[str, Value] = {}
        for var, value in self.init.items():
            if var not in dims:
                raise SpecError(f"{w}: init names unknown variable '{var}'; known: "
                                f"{', '.join(dims)}.{did_you_mean(str(var), dims)}")
            resolved[var] = resolve_value(value, where=w, field=f"init['{var}']",
                                          dim=dims[var], n=n)
        self._set("init", MappingProxyType(resolved))

    @property
    def variables(self) -> tuple[str, ...]:
        """State variable names: ``v`` then the ports."""
        return ("v",) + tuple(p.name for p in self.ports)

    def port(self, name: str) -> Port:
        """The port called ``name`` (SpecError naming the known ports otherwise)."""
        for p in self.ports:
            if p.name == name:
                return p
        known = [p.name for p in self.ports]
        raise SpecError(f"{self.where} has no port '{name}'; known: "
                        f"{', '.join(known) or 'none'}.{did_you_mean(name, known)}")
