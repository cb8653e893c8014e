"""What to record: spikes, state variables, population rates and weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._units import fail
from ._base import SpecBase, check_count, check_name, index_array

__all__ = ["SpikeMonitor", "StateMonitor", "RateMonitor", "WeightMonitor", "Monitor"]


class _MonitorBase(SpecBase):
    def _name(self, default: str) -> None:
        if self.name is None:
            self._set("name", default)
        check_name(self.where, "name", self.name)


@dataclass(frozen=True, kw_only=True, eq=False)
class SpikeMonitor(_MonitorBase):
    """Record every spike of a population (index and time).

    Spikes of step ``n`` are recorded with time ``n·dt``, as Brian2 does.
    """

    population: str
    name: str | None = None

    def __post_init__(self) -> None:
        check_name(self.where, "population", self.population)
        self._name(self.population)


@dataclass(frozen=True, kw_only=True, eq=False)
class RateMonitor(_MonitorBase):
    """Record the population rate (spikes per neuron per second) at every step."""

    population: str
    name: str | None = None

    def __post_init__(self) -> None:
        check_name(self.where, "population", self.population)
        self._name(self.population)


@dataclass(frozen=True, kw_only=True, eq=False)
class StateMonitor(_MonitorBase):
    """Record state variables of chosen neurons every ``every`` steps.

    Values are recorded at the *start* of a step whose index is a multiple of
    ``every``: the value at time ``n·dt``, before that step's update (Brian2's
    default ``when='start'``).

    Args:
        population: the population.
        variables: names of its state variables (e.g. ``("v", "ge")``).
        indices: neurons to record (``None``: all).
        every: record every ``every`` steps (>= 1).
        name: key in the results (default: the population's name).
    """

    population: str
    variables: tuple[str, ...]
    indices: Any = None
    every: int = 1
    name: str | None = None

    def __post_init__(self) -> None:
        check_name(self.where, "population", self.population)
        self._name(self.population)
        if isinstance(self.variables, str):
            self._set("variables", (self.variables,))
        if not isinstance(self.variables, (tuple, list)) or not self.variables or \
                not all(isinstance(v, str) for v in self.variables):
            raise fail(self.where, "variables", self.variables,
                       "be a non-empty tuple of variable names")
        self._set("variables", tuple(self.variables))
        check_count(self.where, "every", self.every)
        if self.indices is not None:
            self._set("indices", index_array(self.where, "indices", self.indices))


@dataclass(frozen=True, kw_only=True, eq=False)
class WeightMonitor(_MonitorBase):
    """Record synaptic weights every ``every`` steps (at the start of the step).

    Args:
        projection: the projection.
        synapses: synapse indices to record (``None``: all), in the order lowering
            creates them (see ``Plan.projections[name].i / .j``).
        every: record every ``every`` steps (>= 1).
        name: key in the results (default: the projection's name).
    """

    projection: str
    synapses: Any = None
    every: int = 1
    name: str | None = None

    def __post_init__(self) -> None:
        check_name(self.where, "projection", self.projection)
        self._name(self.projection)
        check_count(self.where, "every", self.every)
        if self.synapses is not None:
            self._set("synapses", index_array(self.where, "synapses", self.synapses))


Monitor = SpikeMonitor | StateMonitor | RateMonitor | WeightMonitor

