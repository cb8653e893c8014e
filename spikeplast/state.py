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

Random inputs need nothing more: Poisson draws are a function of the seed and the step on
JAX, and frozen inputs are part of the plan.
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

__all__ = ["SimState", "load_state", "check_snapshot", "snapshot_step", "NEVER",
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
