"""Results: one type for every backend, saved and loaded as ``.npz`` without pickle."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import read_npz, write_npz

if TYPE_CHECKING:
    from .lowering import Plan
    from .state import SimState

__all__ = ["SpikeTrains", "StateTrace", "RateTrace", "WeightTrace", "Results", "Recording",
           "load_results", "FORMAT_VERSION"]

#: version of the results file layout; loading another version is an error
FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class SpikeTrains:
    """Spikes of one population: ``indices[k]`` spiked at ``times[k]`` (s), sorted by time.

    Attributes:
        n: the population size.
    """

    indices: np.ndarray
    times: np.ndarray
    n: int

    def __len__(self) -> int:
        return int(self.indices.size)

    def counts(self) -> np.ndarray:
        """Spikes per neuron, shape ``(n,)``."""
        return np.bincount(self.indices, minlength=self.n)

    def mean_rate(self, duration: float) -> float:
        """Mean rate per neuron (Hz) over ``duration`` seconds."""
        return len(self) / (self.n * duration) if duration > 0 and self.n else 0.0


@dataclass(frozen=True, eq=False)
class StateTrace:
    """Recorded variables: ``values[var][k, m]`` of neuron ``indices[m]`` at ``times[k]`` (SI)."""

    times: np.ndarray
    indices: np.ndarray
    values: Mapping[str, np.ndarray]

    def __getitem__(self, var: str) -> np.ndarray:
        return self.values[var]


@dataclass(frozen=True, eq=False)
class RateTrace:
    """Population rate (Hz) in each step: spikes in the step / (n · dt), at ``times`` (s)."""

    times: np.ndarray
    rate: np.ndarray


@dataclass(frozen=True, eq=False)
class WeightTrace:
    """Recorded weights: ``values[k, m]`` of synapse ``synapses[m]`` (``i[m] → j[m]``) at
    ``times[k]``.

    Attributes:
        n_pre, n_post: sizes of the source and target populations.
    """

    times: np.ndarray
    synapses: np.ndarray
    i: np.ndarray
    j: np.ndarray
    values: np.ndarray
    n_pre: int
    n_post: int

    def matrix(self, k: int = -1) -> np.ndarray:
        """Weights at record ``k`` as a ``(n_post, n_pre)`` matrix (NaN where no synapse;
        summed where several synapses join the same pair)."""
        w = np.full((self.n_post, self.n_pre), np.nan)
        if self.values.shape[0]:
            w[self.j, self.i] = 0.0
            np.add.at(w, (self.j, self.i), self.values[k])
        return w


def _ro_map(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


@dataclass(frozen=True, eq=False)
class Results:
    """Everything one simulation recorded, from either backend.

    Attributes:
        spikes: spike monitor name -> :class:`SpikeTrains`.
        states: state monitor name -> :class:`StateTrace`.
        rates: rate monitor name -> :class:`RateTrace`.
        weights: weight monitor name -> :class:`WeightTrace`.
        metadata: JSON-compatible facts: backend and options, versions, seed, spec hash,
            dt, duration, population sizes, timings (lower / build / compile / run, s).
        final_state: the state at the end of the run (a checkpoint: ``save()`` it, or pass
            it as ``simulate(..., initial_state=)`` to continue, on either backend); not
            part of the results file.
    """

    spikes: Mapping[str, SpikeTrains]
    states: Mapping[str, StateTrace]
    rates: Mapping[str, RateTrace]
    weights: Mapping[str, WeightTrace]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    final_state: SimState | None = None

    @property
    def duration(self) -> float:
        """Simulated time (s)."""
        return float(self.metadata.get("duration", 0.0))

    @property
    def dt(self) -> float:
        """Time step (s)."""
        return float(self.metadata.get("dt", 0.0))

    @property
    def backend(self) -> str:
        return str(self.metadata.get("backend", "?"))

    def mean_rates(self) -> dict[str, float]:
        """Mean firing rate per neuron (Hz) of every spike-monitored population."""
        return {k: s.mean_rate(self.duration) for k, s in self.spikes.items()}

    def __repr__(self) -> str:
        rates = ", ".join(f"{k}: {v:.2f} Hz" for k, v in self.mean_rates().items())
        return (f"Results(backend={self.backend!r}, duration={self.duration:g} s, "
                f"spikes=[{rates}], states={list(self.states)}, weights={list(self.weights)})")

    # -- files -------------------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat ``name -> array`` form used by :meth:`save`."""
        a: dict[str, np.ndarray] = {}
        for k, s in self.spikes.items():
            a[f"spikes/{k}/indices"], a[f"spikes/{k}/times"] = s.indices, s.times
        for k, st in self.states.items():
            a[f"states/{k}/times"], a[f"states/{k}/indices"] = st.times, st.indices
            for var, v in st.values.items():
                a[f"states/{k}/values/{var}"] = v
        for k, r in self.rates.items():
            a[f"rates/{k}/times"], a[f"rates/{k}/rate"] = r.times, r.rate
        for k, w in self.weights.items():
            for f in ("times", "synapses", "i", "j", "values"):
                a[f"weights/{k}/{f}"] = getattr(w, f)
        return a

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write an ``.npz`` file atomically: a crash mid-write leaves any old file intact."""
        meta = dict(self.metadata)
        meta["spike_sizes"] = {k: s.n for k, s in self.spikes.items()}
        meta["weight_sizes"] = {k: [w.n_pre, w.n_post] for k, w in self.weights.items()}
        return write_npz(path, self.to_arrays(), meta, FORMAT_VERSION, "results")


def load_results(path: str | os.PathLike[str]) -> Results:
    """Read a file written by :meth:`Results.save` (no pickle, shapes checked)."""
    arrays, meta = read_npz(path, "results", FORMAT_VERSION)
    groups: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
    for k, v in arrays.items():
        kind, name, rest = k.split("/", 2)
        groups[kind][name][rest] = v
    spikes = {k: SpikeTrains(g["indices"], g["times"], meta["spike_sizes"][k])
              for k, g in groups["spikes"].items()}
    states = {k: StateTrace(g["times"], g["indices"],
                            {var.split("/", 1)[1]: v for var, v in g.items()
                             if var.startswith("values/")})
              for k, g in groups["states"].items()}
    rates = {k: RateTrace(g["times"], g["rate"]) for k, g in groups["rates"].items()}
    weights = {k: WeightTrace(g["times"], g["synapses"], g["i"], g["j"], g["values"],
                              *meta["weight_sizes"][k]) for k, g in groups["weights"].items()}
    for key in ("spike_sizes", "weight_sizes"):
        meta.pop(key, None)
    return Results(_ro_map(spikes), _ro_map(states), _ro_map(rates), _ro_map(weights), meta)


class Recording:
    """What a backend recorded, accumulated on the host chunk by chunk (in steps).

    Backends add to it; :meth:`results` turns it into :class:`Results`.
    """

    def __init__(self, plan: Plan, t_start: int) -> None:
        self.plan = plan
        self.t_start = t_start
        self._spikes: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
        self._counts: dict[str, list[np.ndarray]] = defaultdict(list)
        self._states: dict[str, dict[str, list[np.ndarray]]] = defaultdict(
            lambda: defaultdict(list))
        self._state_steps: dict[str, list[np.ndarray]] = defaultdict(list)
        self._weights: dict[str, list[np.ndarray]] = defaultdict(list)
        self._weight_steps: dict[str, list[np.ndarray]] = defaultdict(list)
        #: set when a run stopped early at a numerical fault: {"step": ..., "where": ...}
        self.stopped: dict[str, Any] | None = None

    @classmethod
    def empty(cls, plan: Plan, t_start: int = 0) -> Recording:
        return cls(plan, t_start)

    def add_spikes(self, pop: str, indices: np.ndarray, steps: np.ndarray) -> None:
        self._spikes[pop].append((np.asarray(indices, np.int64), np.asarray(steps, np.int64)))

    def add_counts(self, pop: str, counts: np.ndarray) -> None:
        self._counts[pop].append(np.asarray(counts, np.int64))

    def add_states(self, mon: str, values: Mapping[str, np.ndarray], steps: np.ndarray) -> None:
        for var, v in values.items():
            self._states[mon][var].append(np.asarray(v, np.float64))
        self._state_steps[mon].append(np.asarray(steps, np.int64))

    def add_weights(self, mon: str, values: np.ndarray, steps: np.ndarray) -> None:
        self._weights[mon].append(np.asarray(values, np.float64))
        self._weight_steps[mon].append(np.asarray(steps, np.int64))

    def extend(self, later: Recording) -> None:
        """Append what ``later`` recorded: the chunks that follow this recording's."""
        for pop, parts in later._spikes.items():
            self._spikes[pop].extend(parts)
        for pop, counts in later._counts.items():
            self._counts[pop].extend(counts)
        for mon, values in later._states.items():
            for var, v in values.items():
                self._states[mon][var].extend(v)
            self._state_steps[mon].extend(later._state_steps[mon])
        for mon, w in later._weights.items():
            self._weights[mon].extend(w)
            self._weight_steps[mon].extend(later._weight_steps[mon])

    def spike_steps(self, pop: str) -> tuple[np.ndarray, np.ndarray]:
        """All spikes of ``pop`` as ``(indices, steps)``, sorted by step then index.

        The chunks are merged into one pair that replaces them (a long run's spikes are
        not held twice), and sorted only if they are not in order already.
        """
        parts = self._spikes.get(pop, [])
        if len(parts) != 1:
            idx = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
            for k, (_, steps) in enumerate(parts):
                parts[k] = (None, steps)  # free each chunk's indices
            steps = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
            parts[:] = [(idx, steps)]
        idx, steps = parts[0] if parts else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        if idx.size > 1:
            ds = np.diff(steps)
            if not (np.all(ds >= 0) and np.all((ds > 0) | (np.diff(idx) > 0))):
                order = np.lexsort((idx, steps))
                idx, steps = idx[order], steps[order]
                if parts:
                    parts[:] = [(idx, steps)]
        return idx, steps

    def results(self, n_steps: int, metadata: Mapping[str, Any]) -> Results:
        """Assemble :class:`Results` (times in seconds) for a run of ``n_steps`` steps."""
        plan, dt = self.plan, self.plan.dt
        spikes = {}
        for mon, pop in plan.spike_monitors.items():
            idx, steps = self.spike_steps(pop)
            spikes[mon] = SpikeTrains(idx, steps * dt, plan.populations[pop].n)
        rates = {}
        steps_all = self.t_start + np.arange(n_steps)
        for mon, pop in plan.rate_monitors.items():
            parts = self._counts.get(pop, [])
            counts = np.concatenate(parts) if parts else np.zeros(n_steps, np.int64)
            rates[mon] = RateTrace(steps_all * dt, counts / (plan.populations[pop].n * dt))
        states = {}
        for mon, m in plan.state_monitors.items():
            steps = np.concatenate(self._state_steps[mon]) if self._state_steps[mon] else \
                np.zeros(0, np.int64)
            values = {var: (np.concatenate(self._states[mon][var]) if self._states[mon][var]
                            else np.zeros((0, m.indices.size))) for var in m.variables}
            states[mon] = StateTrace(steps * dt, m.indices.copy(), values)
        weights = {}
        for mon, m in plan.weight_monitors.items():
            q = plan.projections[m.projection]
            steps = np.concatenate(self._weight_steps[mon]) if self._weight_steps[mon] else \
                np.zeros(0, np.int64)
            values = np.concatenate(self._weights[mon]) if self._weights[mon] else \
                np.zeros((0, m.synapses.size))
            weights[mon] = WeightTrace(steps * dt, m.synapses.copy(), q.i[m.synapses].copy(),
                                       q.j[m.synapses].copy(), values, q.n_pre, q.n_post)
        return Results(_ro_map(spikes), _ro_map(states), _ro_map(rates), _ro_map(weights),
                       dict(metadata))
