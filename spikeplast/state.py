"""Portable simulation state: a snapshot any backend can write and (where it can) continue.

A :class:`SimState` is a flat mapping ``"<object>/<variable>" -> array`` in the plan's own
order (populations by neuron index, projections by synapse index), SI units, with times
counted in steps:

- spiking populations: ``v`` and each port's variable (by port name), ``lastspike``
  (the step of the last spike; :data:`NEVER` when none);
- rate populations: ``y``, ``theta``, and the sweep bookkeeping ``acc``, ``sweeps``,
  ``converged``; spike-rate filters: ``y``; discrete layers: ``v`` and ``trace_post``;
- plastic projections: ``w`` per synapse (static weights are the plan's); pair STDP
  adds ``apre``, ``apost``, ``lastupdate`` (step); discrete STDP adds ``trace_pre`` (per
  source neuron);
- ``<population>/<port>/pending``: input already on its way through transmission
  delays, ``[k, i]`` arriving at step ``step + k`` (only with delays of several steps);
- ``<population>/recent_steps`` and ``recent_indices``: the population's spikes of the
  last steps that delayed plastic synapses still have to see (only with such synapses).

A Brian2 state adds ``brian2/rng`` (its random generators' bytes; other backends
ignore it). Constant-rate Poisson inputs on JAX add ``<input>/next_spike`` (the step of each input's
next spike); other random inputs need nothing more: time-varying Poisson draws are a
function of the seed and the step on JAX, and frozen inputs are part of the plan.

:func:`in_flight` computes the two delay entries from the spikes of a run's last steps,
for a backend whose queues cannot be read back (Brian2).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import read_npz, write_npz
from .errors import ResultsFileError, SpecError

if TYPE_CHECKING:
    from .lowering import Plan

__all__ = ["SimState", "load_state", "check_snapshot", "snapshot_step", "state_array",
           "in_flight",
           "compacted_sources", "NEVER",
           "STATE_FORMAT_VERSION"]

#: ``lastspike``/``lastupdate`` of "never": far enough back for any refractory period,
#: near enough that step arithmetic in int32 cannot overflow for 2**30 steps
NEVER = -(2**30)
#: version of the checkpoint file layout
STATE_FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class SimState:
    """The state of a network at the start of step ``step`` (time ``step·dt``).

    Attributes:
        step: steps simulated so far.
        values: ``"<object>/<variable>" -> array`` (see the module docstring).
        metadata: JSON-compatible facts: backend that wrote it, spec hash, dt, dtype.
    """

    step: int
    values: Mapping[str, np.ndarray]
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @property
    def time(self) -> float:
        """Simulated time (s) of the snapshot."""
        return self.step * float(self.metadata.get("dt", 0.0))

    def __getitem__(self, key: str) -> np.ndarray:
        return self.values[key]

    def __repr__(self) -> str:
        return (f"SimState(step={self.step}, backend={self.metadata.get('backend', '?')!r}, "
                f"{len(self.values)} arrays)")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write an ``.npz`` checkpoint atomically (no pickle)."""
        meta = {**self.metadata, "step": int(self.step)}
        return write_npz(path, dict(self.values), meta, STATE_FORMAT_VERSION, "checkpoint")


def load_state(path: str | os.PathLike[str]) -> SimState:
    """Read a checkpoint written by :meth:`SimState.save` (no pickle, shapes checked)."""
    arrays, meta = read_npz(path, "checkpoint", STATE_FORMAT_VERSION)
    if "step" not in meta:
        raise ResultsFileError(f"{path}: checkpoint metadata has no step.")
    return SimState(int(meta.pop("step")), arrays, meta)


def snapshot_step(snap: Any) -> int:
    """The step a snapshot was taken at; refuses anything but a valid :class:`SimState`."""
    if not isinstance(snap, SimState):
        raise SpecError(f"initial_state must be a SimState (from Results.final_state or "
                        f"load_state()); got {type(snap).__name__}.")
    if snap.step < 0:
        raise SpecError(f"SimState: step = {snap.step} is invalid; it must be >= 0.")
    return int(snap.step)


def state_array(snap: SimState, key: str, shape: tuple[int, ...]) -> np.ndarray:
    """The array ``key`` of a snapshot, which must exist with this shape (else a
    :class:`SpecError` naming it)."""
    if key not in snap.values:
        raise SpecError(f"SimState: no array '{key}', which this network needs; the "
                        f"checkpoint holds {sorted(snap.values)[:12]}...")
    a = np.asarray(snap.values[key])
    if a.shape != shape:
        raise SpecError(f"SimState: array '{key}' has shape {a.shape}; this network "
                        f"needs {shape}.")
    return a


def check_snapshot(plan: Plan, snap: SimState) -> None:
    """Refuse a snapshot of another network or time step (before anything runs)."""
    snapshot_step(snap)
    if snap.metadata.get("spec_hash") != plan.spec_hash:
        raise SpecError(f"SimState: the snapshot was taken of another network (spec hash "
                        f"{snap.metadata.get('spec_hash')!r}; this network's is "
                        f"{plan.spec_hash!r}). A checkpoint continues the same spec.")
    if abs(float(snap.metadata.get("dt", plan.dt)) - plan.dt) > 1e-15:
        raise SpecError(f"SimState: dt = {snap.metadata.get('dt')} s differs from the "
                        f"network's dt = {plan.dt} s.")


def compacted_sources(plan: Plan) -> list[str]:
    """The spike sources a step's spikes are gathered from, in plan order: every LIF
    population, and every Poisson input that has synapses, feeds a spike-rate filter or
    is monitored (spike trains are replayed from the plan instead)."""
    from .lowering import EquationPlan, NeuronPlan, PoissonPlan

    monitored = set(plan.spike_monitors.values()) | set(plan.rate_monitors.values())
    feeds = {q.source for q in plan.projections.values() if q.n_synapses} | {
        f.source for f in plan.filtered()}
    return [name for name, src in plan.populations.items()
            if isinstance(src, NeuronPlan) or (isinstance(src, EquationPlan) and src.ir.threshold)
            or (isinstance(src, PoissonPlan) and (name in feeds or name in monitored))]


def in_flight(plan: Plan, spikes: Mapping[str, tuple[np.ndarray, np.ndarray]], step: int,
              parts: list[str]) -> dict[str, np.ndarray]:
    """The delay entries of a state at ``step``, from the spikes that caused them.

    Args:
        plan: the network.
        spikes: source -> ``(indices, steps)`` of its spikes (at least those of the last
            ``D`` steps), for every source of a delayed projection and every name in
            ``parts``.
        step: the state's step (the run has executed steps ``0 .. step - 1``).
        parts: the spike sources whose recent spikes are kept
            (:func:`compacted_sources`).

    Returns:
        ``<pop>/<port>/pending`` of every port (shape ``(D, n)``, ``D`` = 1 + the longest
        delay; static synapses only: a spike at step ``e`` through a synapse of delay ``d``
        is pending if ``e + d >= step``) when ``D > 1``, and ``<source>/recent_steps`` /
        ``recent_indices`` (the spikes of the last ``H - 1`` steps, ``H`` = 1 + the longest
        delay of a pair-STDP projection from a non-train source) when ``H > 0``.
    """
    from .lowering import DiscretePlan, NeuronPlan, SpikeTrainPlan
    from .spec import ResolvedSTDP

    projs = [q for q in plan.projections.values() if q.n_synapses]
    out: dict[str, np.ndarray] = {}
    D = 1 + max([int(q.delay_steps.max()) for q in projs] or [0])
    if D > 1:
        for p in plan.populations.values():
            ports = [q.name for q in p.ports] if isinstance(p, NeuronPlan) else \
                ["input"] if isinstance(p, DiscretePlan) else []
            for port in ports:
                out[f"{p.name}/{port}/pending"] = np.zeros((D, p.n))
        for q in projs:
            if q.plasticity is not None or q.port_kind == "rate":
                continue  # plastic synapses read their weight when the spike arrives
            idx, steps = spikes[q.source]
            recent = steps >= step - D
            by_source = np.argsort(q.i, kind="stable")  # synapses of source i: a slice
            bounds = np.searchsorted(q.i[by_source], np.arange(q.n_pre + 1))
            for e, i in zip(steps[recent], idx[recent]):
                syn = by_source[bounds[i]:bounds[i + 1]]
                k = e + q.delay_steps[syn] - step
                due = (k >= 0) & (k < D)
                np.add.at(out[f"{q.target}/{q.port}/pending"], (k[due], q.j[syn][due]),
                          q.w[syn][due])
    H = 1 + max([int(q.delay_steps.max()) for q in projs
                 if isinstance(q.plasticity, ResolvedSTDP)
                 and not isinstance(plan.populations[q.source], SpikeTrainPlan)] or [-1])
    if H > 0:
        first = step - min(H - 1, step)
        for name in parts:
            idx, steps = spikes[name]
            keep = (steps >= first) & (steps < step)
            order = np.lexsort((idx[keep], steps[keep]))
            out[f"{name}/recent_steps"] = steps[keep][order].astype(np.int64)
            out[f"{name}/recent_indices"] = idx[keep][order].astype(np.int64)
    return out
