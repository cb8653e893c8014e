"""The network: everything a simulation needs, validated as a whole."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Union

import numpy as np

from .._units import SIFloat, fail, fmt
from ..errors import SpecError, did_you_mean
from ._base import SpecBase, check_count
from ._discrete import DiscreteLIF, DiscreteSTDP
from ._groups import NeuronGroup
from ._inputs import PoissonInput, ResolvedRates, SpikeTrainInput
from ._monitors import Monitor, RateMonitor, SpikeMonitor, StateMonitor, WeightMonitor
from ._neurons import LIF
from ._plasticity import STDP, ResolvedSTDP
from ._projections import (
    AllToAll,
    DenseMatrix,
    FixedInDegree,
    FixedOutDegree,
    FromIndices,
    OneToOne,
    Projection,
)
from ._rate import BCM, BCMODE, RATE_RULES, FilteredRate, Hebbian, RatePatterns, RatePopulation
from ._values import SIDist, Value

__all__ = ["Network", "Population", "steps_of"]

_DEFAULT_DT = 1e-4  # 0.1 ms, Brian2's default
Population = Union[LIF, NeuronGroup, DiscreteLIF, RatePopulation, RatePatterns, FilteredRate,
                   PoissonInput, SpikeTrainInput]
_POPULATIONS = (LIF, NeuronGroup, DiscreteLIF, RatePopulation, RatePatterns, FilteredRate,
                PoissonInput, SpikeTrainInput)
#: populations that spike and receive synapses onto their variables
_SPIKING = (LIF, NeuronGroup)


def steps_of(seconds: float | np.ndarray, dt: float) -> np.ndarray:
    """Whole steps in a time, Brian2's ``timestep``: ``floor(t/dt + 0.001)``."""
    return np.floor(np.asarray(seconds) / dt + 1e-3).astype(np.int64)


def _multiple_of_dt(where: str, field_: str, value: Value, dt: float) -> None:
    if isinstance(value, SIDist):
        return  # drawn values are rounded to whole steps by lowering
    ratio = np.asarray(value) / dt
    if not np.all(np.abs(ratio - np.round(ratio)) <= 1e-6 * np.maximum(1.0, np.abs(ratio))):
        raise fail(where, field_, fmt(value) + " s", f"be a multiple of dt = {dt:g} s")


@dataclass(frozen=True, kw_only=True, eq=False)
class Network(SpecBase):
    """A complete network spec: populations, projections, monitors, time step and seed.

    Everything random (connectivity, initial values, weights, frozen inputs) is
    drawn from ``seed`` by lowering, so the same network gives the same arrays on
    every backend.

    Args:
        populations: neuron populations and inputs (unique names).
        projections: projections between them (unique names).
        monitors: what to record.
        dt: the time step (time, > 0); ``None`` means 0.1 ms.
        seed: seed of every random draw (whole number >= 0).
        name: a label for results and plots.
    """

    populations: tuple[Population, ...] = ()
    projections: tuple[Projection, ...] = ()
    monitors: tuple[Monitor, ...] = ()
    dt: Any = None
    seed: int = 0
    name: str = "network"
    #: projection name -> weight in SI (resolved against the target port's unit)
    weights: Mapping[str, Value] = field(init=False, repr=False)
    #: projection name -> its plasticity rule in SI
    plasticity: Mapping[str, ResolvedSTDP] = field(init=False, repr=False)

    @property
    def where(self) -> str:
        return f"Network '{self.name}'"

    def __post_init__(self) -> None:
        w = self.where
        if self.dt is None:
            self._set("dt", SIFloat(_DEFAULT_DT))
        else:
            self._si("dt", "time", check=lambda a: a > 0, must="be > 0")
        check_count(w, "seed", self.seed, minimum=0)
        for f in ("populations", "projections", "monitors"):
            if not isinstance(getattr(self, f), (tuple, list)):
                raise fail(w, f, getattr(self, f), "be a tuple")
            self._set(f, tuple(getattr(self, f)))
        pops: dict[str, Population] = {}
        for p in self.populations:
            if not isinstance(p, _POPULATIONS):
                raise fail(w, "populations", p, "contain LIF, NeuronGroup, DiscreteLIF, "
                           "PoissonInput, "
                           "SpikeTrainInput, RatePopulation, RatePatterns or FilteredRate "
                           "objects")
            if p.name in pops:
                raise SpecError(f"{w}: two populations are named '{p.name}'; names must be "
                                f"unique.")
            pops[p.name] = p
        for p in self.populations:
            self._check_population(p, pops)
        weights: dict[str, Value] = {}
        object.__setattr__(self, "_plasticity", {})
        for proj in self.projections:
            if not isinstance(proj, Projection):
                raise fail(w, "projections", proj, "contain Projection objects")
            if proj.name in weights or proj.name in pops:
                raise SpecError(f"{w}: the name '{proj.name}' is used twice; population and "
                                f"projection names must be unique.")
            weights[proj.name] = self._check_projection(proj, pops)
        self._set("weights", MappingProxyType(weights))
        self._set("plasticity", MappingProxyType(self.__dict__.pop("_plasticity")))
        seen: set[tuple[str, str]] = set()
        for m in self.monitors:
            if not isinstance(m, (SpikeMonitor, StateMonitor, RateMonitor, WeightMonitor)):
                raise fail(w, "monitors", m, "contain SpikeMonitor, StateMonitor, RateMonitor "
                           "or WeightMonitor objects")
            key = (type(m).__name__, m.name)
            if key in seen:
                raise SpecError(f"{w}: two {type(m).__name__}s are named '{m.name}'; give one "
                                f"a different name=.")
            seen.add(key)
            self._check_monitor(m, pops)

    # -- lookups ---------------------------------------------------------------------
    def population(self, name: str) -> Population:
        """The population called ``name``."""
        for p in self.populations:
            if p.name == name:
                return p
        known = [p.name for p in self.populations]
        raise SpecError(f"{self.where} has no population '{name}'; known: "
                        f"{', '.join(known) or 'none'}.{did_you_mean(name, known)}")

    def projection(self, name: str) -> Projection:
        """The projection called ``name``."""
        for p in self.projections:
            if p.name == name:
                return p
        known = [p.name for p in self.projections]
        raise SpecError(f"{self.where} has no projection '{name}'; known: "
                        f"{', '.join(known) or 'none'}.{did_you_mean(name, known)}")

    def replace(self, **changes: Any) -> Network:
        """A copy with some fields replaced (validated again)."""
        return dataclasses.replace(self, **changes)

    # -- checks across objects -------------------------------------------------------
    def _check_population(self, p: Population, pops: Mapping[str, Population]) -> None:
        dt = self.dt
        if isinstance(p, FilteredRate):
            src = self._ref(p.where, "source", p.source, pops)
            if not isinstance(src, (*_SPIKING, PoissonInput, SpikeTrainInput)):
                raise SpecError(f"{p.where}: source '{src.name}' is a {type(src).__name__}; a "
                                f"FilteredRate filters the spikes of a LIF, NeuronGroup, "
                                f"PoissonInput or SpikeTrainInput population.")
            if src.n != p.n:
                raise fail(p.where, "n", p.n, f"equal the size of source '{src.name}' "
                           f"({src.n})")
        elif isinstance(p, PoissonInput):
            if p.max_rate * dt > 1:
                raise fail(p.where, "rate", f"{p.max_rate:g} Hz",
                           f"be at most 1/dt = {1 / dt:g} Hz (one spike per step)")
            if isinstance(p.rate, ResolvedRates):
                _multiple_of_dt(p.where, "rate.interval", p.rate.interval, dt)
        elif isinstance(p, SpikeTrainInput) and p.indices.size:
            steps = steps_of(p.times, dt)
            key = steps * p.n + p.indices
            uniq, counts = np.unique(key, return_counts=True)
            if np.any(counts > 1):
                k = uniq[counts > 1][0]
                raise SpecError(f"{p.where}: source {k % p.n} has two spikes in step {k // p.n} "
                                f"(t = {k // p.n * dt:g} s); at most one spike per source and "
                                f"step of dt = {dt:g} s is possible.")

    def _ref(self, where: str, field_: str, name: str, known: Mapping[str, Any]) -> Any:
        if name not in known:
            raise SpecError(f"{where}: {field_} '{name}' is not a population; known: "
                            f"{', '.join(known) or 'none'}.{did_you_mean(name, known)}")
        return known[name]

    def _check_projection(self, proj: Projection, pops: Mapping[str, Population]) -> Value:
        w = proj.where
        src = self._ref(w, "source", proj.source, pops)
        tgt = self._ref(w, "target", proj.target, pops)
        if not isinstance(tgt, (*_SPIKING, DiscreteLIF, RatePopulation)):
            raise SpecError(f"{w}: target '{tgt.name}' is a {type(tgt).__name__}, which "
                            f"receives no synapses; the target must be a neuron population.")
        if isinstance(src, NeuronGroup) and not src.threshold:
            raise SpecError(f"{w}: source '{src.name}' has no threshold, so it never spikes; "
                            f"give it a threshold to drive projections.")
        if isinstance(src, DiscreteLIF):
            raise SpecError(f"{w}: source '{src.name}' is a DiscreteLIF, whose spikes cannot "
                            f"drive projections yet; it can only be a target.")
        if isinstance(src, (RatePopulation, RatePatterns, FilteredRate)) and \
                not isinstance(tgt, RatePopulation):
            raise SpecError(f"{w}: source '{src.name}' is a {type(src).__name__}, which "
                            f"emits rates, not spikes; it can only drive a RatePopulation.")
        port = tgt.port(proj.port)
        self._check_rule(proj, src, tgt)
        c = proj.connectivity
        if isinstance(c, OneToOne) and src.n != tgt.n:
            raise SpecError(f"{w}: OneToOne needs equal sizes; source '{src.name}' has "
                            f"{src.n} neurons and target '{tgt.name}' has {tgt.n}.")
        same = proj.source == proj.target
        if isinstance(c, FixedInDegree):
            avail = src.n - (1 if same and not c.allow_self else 0)
            if c.k > avail:
                raise fail(w, "connectivity.k", c.k, f"be at most {avail} (distinct sources "
                           f"available per target)")
        if isinstance(c, FixedOutDegree):
            avail = tgt.n - (1 if same and not c.allow_self else 0)
            if c.k > avail:
                raise fail(w, "connectivity.k", c.k, f"be at most {avail} (distinct targets "
                           f"available per source)")
        if isinstance(c, FromIndices):
            for arr, n, f in ((c.i, src.n, "i"), (c.j, tgt.n, "j")):
                if arr.size and (arr.min() < 0 or arr.max() >= n):
                    bad = arr[(arr < 0) | (arr >= n)][0]
                    raise SpecError(f"{w}: connectivity.{f} contains {bad}; it must be in "
                                    f"[0, {n}).")
        if isinstance(c, DenseMatrix):
            weight: Value = c.resolve(w, port.weight_dim, tgt.n, src.n)
        else:
            weight = proj.resolve_weight(port.weight_dim)
        if port.kind == "conductance" and not isinstance(weight, SIDist) \
                and np.any(np.asarray(weight) < 0):
            raise fail(w, "weight", weight, "be >= 0 on a conductance port")
        if isinstance(proj.plasticity, STDP):
            rule = proj.plasticity.resolve(w, port.weight_dim)
            self.__dict__["_plasticity"][proj.name] = rule
            if port.kind == "conductance" and rule.w_min < 0:
                raise fail(f"{w}: plasticity", "w_min", proj.plasticity.w_min,
                           "be >= 0 on a conductance port")
        _multiple_of_dt(w, "delay", proj.delay, self.dt)
        return weight

    def _check_rule(self, proj: Projection, src: Population, tgt: Population) -> None:
        """Which rule may sit on which projection."""
        w, rule = proj.where, proj.plasticity
        if isinstance(rule, DiscreteSTDP):
            if not isinstance(tgt, DiscreteLIF):
                raise SpecError(f"{w}: DiscreteSTDP needs a DiscreteLIF target; '{tgt.name}' "
                                f"is a {type(tgt).__name__} (use STDP for LIF targets).")
            if not isinstance(proj.connectivity, AllToAll):
                raise SpecError(f"{w}: DiscreteSTDP needs AllToAll connectivity (the dense "
                                f"layer of canns's STDPTrainer).")
            if isinstance(proj.delay, SIDist) or np.any(np.asarray(proj.delay) != 0):
                raise SpecError(f"{w}: DiscreteSTDP needs delay = 0.")
            others = [q.name for q in self.projections if q.target == proj.target
                      and isinstance(q.plasticity, DiscreteSTDP) and q.name != proj.name]
            if others:
                raise SpecError(f"{w}: '{tgt.name}' already learns through '{others[0]}'; a "
                                f"DiscreteLIF takes at most one DiscreteSTDP projection.")
        elif isinstance(rule, RATE_RULES) or isinstance(tgt, RatePopulation):
            self._check_rate(proj, src, tgt)
        elif isinstance(rule, STDP) and not isinstance(tgt, LIF):
            raise SpecError(f"{w}: STDP needs a LIF target; use DiscreteSTDP for "
                            f"DiscreteLIF '{tgt.name}'.")

    def _check_rate(self, proj: Projection, src: Population, tgt: Population) -> None:
        """Rate projections: from rate patterns or rate units onto rate units, dense."""
        w = proj.where
        if not isinstance(tgt, RatePopulation):
            raise SpecError(f"{w}: {type(proj.plasticity).__name__} needs a RatePopulation "
                            f"target; '{tgt.name}' is a {type(tgt).__name__}.")
        if not isinstance(src, (RatePatterns, RatePopulation, FilteredRate)):
            raise SpecError(f"{w}: a RatePopulation takes input from RatePatterns, "
                            f"RatePopulation or FilteredRate sources; '{src.name}' is a "
                            f"{type(src).__name__} (filter spikes with FilteredRate).")
        if isinstance(src, (RatePatterns, RatePopulation)) and src.every != tgt.every:
            raise SpecError(f"{w}: source '{src.name}' updates every {src.every} steps and "
                            f"target '{tgt.name}' every {tgt.every}; they must be equal.")
        if not isinstance(proj.connectivity, (AllToAll, DenseMatrix)):
            raise SpecError(f"{w}: rate projections are dense: connect AllToAll or "
                            f"DenseMatrix; got {type(proj.connectivity).__name__}.")
        rule = proj.plasticity
        if rule is not None and tgt.update == "async":
            raise SpecError(f"{w}: '{tgt.name}' updates asynchronously (one unit at a time); "
                            f"rate rules need update='sync'.")
        if isinstance(rule, Hebbian):
            if not isinstance(src, RatePatterns) or src.n != tgt.n:
                raise SpecError(f"{w}: {type(rule).__name__} storage needs a RatePatterns "
                                f"source of the target's size ({tgt.n}); '{src.name}' is a "
                                f"{type(src).__name__} of {src.n}.")
        if isinstance(proj.delay, SIDist) or np.any(np.asarray(proj.delay) != 0):
            raise SpecError(f"{w}: rate projections take delay = 0.")
        if isinstance(rule, (BCM, BCMODE)) and np.ndim(rule.theta0) == 1 and \
                np.size(rule.theta0) != tgt.n:
            raise fail(f"{w}: plasticity", "theta0", f"{np.size(rule.theta0)} values",
                       f"be one number or {tgt.n} (one per unit of '{tgt.name}')")
        if isinstance(proj.plasticity, (BCM, BCMODE)):
            others = [q.name for q in self.projections if q.target == proj.target and
                      q.name != proj.name and isinstance(q.plasticity, (BCM, BCMODE))]
            if others:
                raise SpecError(f"{w}: '{tgt.name}' already has a BCM threshold from "
                                f"'{others[0]}'; a RatePopulation takes one BCM projection.")

    def _check_monitor(self, m: Monitor, pops: Mapping[str, Population]) -> None:
        w = m.where
        if isinstance(m, WeightMonitor):
            known = [p.name for p in self.projections]
            if m.projection not in known:
                raise SpecError(f"{w}: projection '{m.projection}' does not exist; known: "
                                f"{', '.join(known) or 'none'}.{did_you_mean(m.projection, known)}")
            return
        pop = self._ref(w, "population", m.population, pops)
        if isinstance(m, (SpikeMonitor, RateMonitor)) and isinstance(pop, NeuronGroup) \
                and not pop.threshold:
            raise SpecError(f"{w}: '{pop.name}' has no threshold, so it never spikes; record "
                            f"its variables with a StateMonitor.")
        if isinstance(m, (SpikeMonitor, RateMonitor)) and isinstance(
                pop, (RatePopulation, RatePatterns, FilteredRate)):
            raise SpecError(f"{w}: '{pop.name}' is a {type(pop).__name__}, which does not "
                            f"spike; record its 'y' with a StateMonitor.")
        if isinstance(m, StateMonitor):
            if "energy" in m.variables and isinstance(pop, RatePopulation) and not any(
                    q.source == q.target == pop.name for q in self.projections):
                raise SpecError(f"{w}: 'energy' of '{pop.name}' needs a recurrent projection "
                                f"(source = target = '{pop.name}'); it has none.")
            if not isinstance(pop, (*_SPIKING, DiscreteLIF, RatePopulation, FilteredRate)):
                raise SpecError(f"{w}: population '{pop.name}' is a {type(pop).__name__}, "
                                f"which has no state variables to record.")
            for var in m.variables:
                if var not in pop.variables:
                    raise SpecError(f"{w}: '{var}' is not a variable of {pop.where}; known: "
                                    f"{', '.join(pop.variables)}."
                                    f"{did_you_mean(var, pop.variables)}")
            if m.indices is not None and m.indices.size and m.indices.max() >= pop.n:
                raise fail(w, "indices", int(m.indices.max()), f"be in [0, {pop.n})")

