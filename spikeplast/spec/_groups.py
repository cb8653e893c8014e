"""Neuron models written as equations: ``NeuronGroup`` and the ``TimedArray`` input.

A ``NeuronGroup`` is data: Brian2-syntax equations, threshold, reset and refractoriness,
checked at construction by Brian2's own parser and unit system (:mod:`spikeplast.ir`),
and the values of every name the model uses that it does not define (``params``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .._units import Dim, dim_of, fail, frozen_array, si_of
from ..errors import SpecError, did_you_mean
from ..ir import NeuronIR, ParamSpec, compile_neuron
from ..ir._neuron import METHODS
from ._base import SpecBase, check_count, check_name
from ._values import Normal, SIDist, Uniform

__all__ = ["NeuronGroup", "TimedArray", "VariablePort", "REFRACTORY_PARAM"]

_SECOND: Dim = (0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0)
#: the parameter a refractory period given as a time becomes (a traced value, not code)
REFRACTORY_PARAM = "t_refractory"


@dataclass(frozen=True, eq=False)
class TimedArray:
    """Values that change over time, read in equations as ``name(t)`` (1-D) or
    ``name(t, i)`` (2-D, one column per neuron), as Brian2's ``TimedArray``: row
    ``k`` holds from ``k*dt`` until ``(k+1)*dt``; before the first row the first and after
    the last row the last holds.

    Args:
        values: a quantity array of shape ``(T,)`` or ``(T, n)``.
        dt: the time between rows (time, > 0, a multiple of the network's dt).
    """

    values: Any
    dt: Any

    def __post_init__(self) -> None:
        where = "TimedArray"
        arr = np.asarray(self.values, dtype=np.float64) if not isinstance(
            self.values, str) else None
        if arr is None or arr.ndim not in (1, 2) or arr.shape[0] == 0 or \
                (arr.ndim == 2 and arr.shape[1] == 0):
            raise fail(where, "values", self.values, "be a non-empty array of shape (T,) or "
                       "(T, n)")
        if not np.all(np.isfinite(arr)):
            raise fail(where, "values", self.values, "be finite (no NaN or infinity)")
        object.__setattr__(self, "_dim", dim_of(self.values))
        object.__setattr__(self, "values", frozen_array(arr))
        dt = si_of(self.dt, where=where, field="dt", dim=_SECOND, n=None)
        if not dt > 0:
            raise fail(where, "dt", self.dt, "be > 0")
        object.__setattr__(self, "dt", dt)

    @property
    def dim(self) -> Dim:
        return self._dim  # type: ignore[attr-defined]


@dataclass(frozen=True)
class VariablePort:
    """A state variable of a :class:`NeuronGroup` that a projection adds its weight to."""

    name: str
    weight_dim: Dim
    kind: str = "variable"


@dataclass(frozen=True, kw_only=True, eq=False)
class NeuronGroup(SpecBase):
    """A population whose model is written as Brian2 equations.

    Everything Brian2 means is meant: ``(unless refractory)``, refractoriness without it
    (spiking blocked, the variable integrates), white noise ``xi``, ``t``, ``dt``, ``i``,
    ``N`` and Brian2's functions; both backends run the update statements Brian2's state
    updaters generate.

    Args:
        name: population name (an identifier).
        n: number of neurons (>= 1).
        equations: Brian2 equations with units and flags, e.g.
            ``"dv/dt = (E_L - v)/tau : volt (unless refractory)"``.
        threshold: the spike condition (``"v > v_th"``); None for a group that never
            spikes.
        reset: statements run for each neuron that spiked (``"v = v_r; w += b"``).
        refractory: a time (a quantity), or a condition string under which a neuron
            stays refractory (``"v > -40*mV"``), or None.
        method: ``exact``, ``euler``, ``exponential_euler``, ``rk2``, ``rk4``, ``heun``,
            ``milstein``, or None for Brian2's default choice.
        params: the value of every name the model uses and does not define: a quantity
            (one value for the group), an array of one value per neuron, a ``Uniform`` or
            ``Normal`` distribution (drawn per neuron from the network seed), or a
            :class:`TimedArray`.
        init: initial values of state variables (the variable's unit; a constant, an
            array of one per neuron or a distribution); 0 where not given.
    """

    name: str
    n: int
    equations: str
    threshold: str | None = None
    reset: str | None = None
    refractory: Any = None
    method: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    init: Mapping[str, Any] = field(default_factory=dict)
    #: the compiled model (update statements), from :func:`spikeplast.ir.compile_neuron`
    ir: NeuronIR = field(init=False, repr=False)
    #: ``params`` in SI (floats, read-only arrays, SIDist, TimedArray), and the refractory
    #: period under :data:`REFRACTORY_PARAM` when it was given as a time
    values: Mapping[str, Any] = field(init=False, repr=False)
    #: ``init`` in SI
    initial: Mapping[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        w = self.where
        check_name(w, "name", self.name)
        n = check_count(w, "n", self.n)
        for f in ("threshold", "reset"):
            v = getattr(self, f)
            if v is not None and (not isinstance(v, str) or (f == "threshold" and not v.strip())):
                raise fail(w, f, v, "be a string of Brian2 code, or None")
        if self.method is not None and self.method not in METHODS:
            raise fail(w, "method", self.method, f"be one of {', '.join(METHODS)}, or None "
                       f"for Brian2's choice{did_you_mean(str(self.method), METHODS)}")
        if not isinstance(self.params, Mapping):
            raise fail(w, "params", self.params, "be a mapping from name to value")
        if not isinstance(self.init, Mapping):
            raise fail(w, "init", self.init, "be a mapping from variable name to value")
        params: dict[str, Any] = {}
        specs: dict[str, ParamSpec] = {}
        for key, value in self.params.items():
            if not isinstance(key, str):
                raise fail(w, "params", key, "have names (strings) as keys")
            params[key], specs[key] = self._param(key, value, n)
        refractory = self.refractory
        if refractory is not None and not isinstance(refractory, str):
            if REFRACTORY_PARAM in params:
                raise SpecError(f"{w}: params names '{REFRACTORY_PARAM}', which holds a "
                                f"refractory period given as a time; rename it.")
            t_ref = si_of(refractory, where=w, field="refractory", dim=_SECOND, n=n)
            if not np.all(np.asarray(t_ref) >= 0):
                raise fail(w, "refractory", refractory, "be >= 0")
            params[REFRACTORY_PARAM] = t_ref
            specs[REFRACTORY_PARAM] = ParamSpec(_SECOND, np.ndim(t_ref) == 0)
            refractory = REFRACTORY_PARAM
        elif isinstance(refractory, str) and not refractory.strip():
            raise fail(w, "refractory", refractory, "be a time, a condition string or None")
        ir = compile_neuron(w, equations=self.equations, threshold=self.threshold,
                            reset=self.reset, refractory=refractory, method=self.method,
                            params=specs)
        self._set("ir", ir)
        self._set("params", MappingProxyType(dict(self.params)))
        self._set("values", MappingProxyType(params))
        init: dict[str, Any] = {}
        names = ir.names
        for var, value in self.init.items():
            if var not in names:
                raise SpecError(f"{w}: init names '{var}', which is not a state variable; "
                                f"known: {', '.join(names)}.{did_you_mean(str(var), names)}")
            init[var] = self._value(f"init['{var}']", value, ir.variable(var).dim, n)
        self._set("init", MappingProxyType(dict(self.init)))
        self._set("initial", MappingProxyType(init))

    def _param(self, key: str, value: Any, n: int) -> tuple[Any, ParamSpec]:
        w = self.where
        if isinstance(value, TimedArray):
            if value.values.ndim == 2 and value.values.shape[1] != n:
                raise SpecError(f"{w}: params['{key}'] is a TimedArray of {value.values.shape[1]}"
                                f" columns; a 2-D TimedArray needs one per neuron ({n}).")
            return value, ParamSpec(value.dim, True, value.values.ndim)
        if isinstance(value, (Uniform, Normal)):
            first = value.low if isinstance(value, Uniform) else value.mean
            return self._value(f"params['{key}']", value, dim_of(first), n), \
                ParamSpec(dim_of(first), False)
        si = self._value(f"params['{key}']", value, dim_of(value), n)
        return si, ParamSpec(dim_of(value), np.ndim(si) == 0)

    def _value(self, field_: str, value: Any, dim: Dim, n: int) -> Any:
        if isinstance(value, (Uniform, Normal)):
            uniform = isinstance(value, Uniform)
            names = ("low", "high") if uniform else ("mean", "std")
            a, b = (si_of(getattr(value, k), where=self.where, field=f"{field_}.{k}", dim=dim,
                          n=None) for k in names)
            if uniform and not b >= a:
                raise fail(self.where, field_, f"Uniform({value.low}, {value.high})",
                           "have low <= high")
            if not uniform and not b >= 0:
                raise fail(self.where, field_, f"Normal({value.mean}, {value.std})",
                           "have std >= 0")
            return SIDist("uniform" if uniform else "normal", float(a), float(b))
        return si_of(value, where=self.where, field=field_, dim=dim, n=n)

    # -- what the network and monitors ask of a population ----------------------------
    @property
    def variables(self) -> tuple[str, ...]:
        """State variable names, in equation order."""
        return self.ir.names

    def port(self, name: str) -> VariablePort:
        """The state variable ``name`` as a projection target."""
        if name not in self.ir.names:
            raise SpecError(f"{self.where} has no state variable '{name}' for a projection to "
                            f"target; known: {', '.join(self.ir.names)}."
                            f"{did_you_mean(name, self.ir.names)}")
        return VariablePort(name, self.ir.variable(name).dim)
