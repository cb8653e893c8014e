"""Input populations: Poisson sources and explicit spike trains."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._units import as_si, fail, frozen_array
from ..errors import SpecError
from ._base import SpecBase, check_count, check_name, check_range, index_array

__all__ = ["TimedRates", "ResolvedRates", "PoissonInput", "SpikeTrainInput"]


@dataclass(frozen=True, eq=False)
class ResolvedRates:
    """:class:`TimedRates` in SI: ``values`` (Hz) of shape ``(T, n)``, ``interval`` (s)."""

    values: np.ndarray
    interval: float


@dataclass(frozen=True, kw_only=True, eq=False)
class TimedRates:
    """Rates that change over time, held piecewise constant.

    Row ``k`` of ``values`` applies during ``[k·interval, (k+1)·interval)``; after
    the last row its values stay in force (as Brian2's ``TimedArray``).

    Args:
        values: rates (rate, >= 0), shape ``(T,)`` (all neurons alike) or ``(T, n)``.
        interval: how long each row lasts (time, > 0, a multiple of the network's dt).
    """

    values: Any
    interval: Any

    def resolve(self, where: str, n: int) -> ResolvedRates:
        """SI rates of shape ``(T, n)`` and the interval in seconds."""
        field = "rate.values"
        shape = np.shape(self.values)
        if len(shape) not in (1, 2) or shape[0] < 1 or (len(shape) == 2 and shape[1] != n):
            raise SpecError(f"{where}: {field} has shape {shape}; it must be (T,) or (T, {n}).")
        flat = as_si(np.reshape(self.values, -1) if len(shape) == 2 else self.values,
                     where=where, field=field, dim="rate", n=int(np.prod(shape)))
        values = np.broadcast_to(np.reshape(np.asarray(flat), (shape[0], -1)), (shape[0], n))
        if not np.all(values >= 0):
            raise fail(where, field, self.values, "contain only rates >= 0")
        interval = as_si(self.interval, where=where, field="rate.interval", dim="time")
        check_range(where, "rate.interval", interval, interval > 0, "be > 0")
        return ResolvedRates(frozen_array(values), float(interval))


@dataclass(frozen=True, kw_only=True, eq=False)
class PoissonInput(SpecBase):
    """Independent Poisson spike sources.

    At each step, source ``i`` spikes when a uniform draw is below ``rate_i · dt``
    (Brian2's ``PoissonGroup``). With ``simulate(..., freeze_inputs=True)`` the
    spikes are drawn once by lowering and both backends replay them.

    Args:
        name: population name.
        n: number of sources (>= 1).
        rate: a rate (>= 0), an array of ``n`` rates, or :class:`TimedRates`.
    """

    name: str
    n: int
    rate: Any

    def __post_init__(self) -> None:
        check_name(self.where, "name", self.name)
        n = check_count(self.where, "n", self.n)
        if isinstance(self.rate, TimedRates):
            self._set("rate", self.rate.resolve(self.where, n))
        elif isinstance(self.rate, ResolvedRates):  # validated before (dataclasses.replace)
            pass
        else:
            self._si("rate", "rate", n, check=lambda a: a >= 0, must="be >= 0")

    @property
    def max_rate(self) -> float:
        """The highest rate any source ever has (Hz)."""
        r = self.rate.values if isinstance(self.rate, ResolvedRates) else self.rate
        return float(np.max(r))


@dataclass(frozen=True, kw_only=True, eq=False)
class SpikeTrainInput(SpecBase):
    """Sources that spike at given times.

    A spike at time ``t`` is emitted in step ``floor(t/dt + 0.001)`` (Brian2's
    rule); two spikes of one source in the same step are an error.

    Args:
        name: population name.
        n: number of sources (>= 1).
        indices: source index of each spike (whole numbers in ``[0, n)``).
        times: time of each spike (time, >= 0), same length as ``indices``.
    """

    name: str
    n: int
    indices: Any
    times: Any

    def __post_init__(self) -> None:
        check_name(self.where, "name", self.name)
        n = check_count(self.where, "n", self.n)
        idx = index_array(self.where, "indices", self.indices, upper=n)
        self._set("indices", idx)
        if len(np.shape(self.times)) != 1 or np.shape(self.times)[0] != idx.size:
            raise SpecError(f"{self.where}: times has shape {np.shape(self.times)}; it must "
                            f"have the shape of indices, ({idx.size},).")
        if idx.size:
            self._si("times", "time", idx.size, check=lambda a: a >= 0,
                     must="contain only times >= 0")
        else:
            self._set("times", frozen_array([]))
