"""Seeded distributions for initial values, weights and delays.

A spec field that takes a value per neuron or per synapse accepts a constant
quantity, an array of quantities, or one of these distributions; lowering
draws from it once, from the network seed, so both backends receive the same
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from .._units import as_si, fail

__all__ = ["Uniform", "Normal", "Distribution", "Value", "resolve_value", "SIDist"]


@dataclass(frozen=True, eq=False)
class Uniform:
    """Uniform on ``[low, high)``; both bounds in the field's unit."""

    low: Any
    high: Any


@dataclass(frozen=True, eq=False)
class Normal:
    """Gaussian with ``mean`` and standard deviation ``std`` (``std >= 0``), in the field's unit."""

    mean: Any
    std: Any


Distribution = Union[Uniform, Normal]


@dataclass(frozen=True)
class SIDist:
    """A validated distribution with SI parameters; what spec objects store."""

    kind: str  # "uniform" | "normal"
    a: float  # low | mean
    b: float  # high | std

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values (float64, SI)."""
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b, size)
        return rng.normal(self.a, self.b, size)

    def __str__(self) -> str:
        return f"{self.kind}({self.a:g}, {self.b:g}) [SI]"


#: what a per-element field holds after validation
Value = Union[float, np.ndarray, SIDist]


def resolve_value(value: Any, *, where: str, field: str, dim: str, n: int | None) -> Value:
    """Validate a constant, an array or a distribution for a per-element field.

    Args:
        n: the number of elements when known (populations); ``None`` when it is only
            known after connecting (synapses), in which case any 1-D array is kept
            and its length checked at lowering.
    """
    if isinstance(value, SIDist):
        return value
    if isinstance(value, Uniform):
        low = as_si(value.low, where=where, field=f"{field}.low", dim=dim)
        high = as_si(value.high, where=where, field=f"{field}.high", dim=dim)
        if not high >= low:
            raise fail(where, field, f"Uniform({value.low}, {value.high})", "have low <= high")
        return SIDist("uniform", float(low), float(high))
    if isinstance(value, Normal):
        mean = as_si(value.mean, where=where, field=f"{field}.mean", dim=dim)
        std = as_si(value.std, where=where, field=f"{field}.std", dim=dim)
        if not std >= 0:
            raise fail(where, field, f"Normal({value.mean}, {value.std})", "have std >= 0")
        return SIDist("normal", float(mean), float(std))
    if n is None and len(np.shape(value)) == 1:
        # per-synapse array: its length is checked against the synapse count at lowering
        return as_si(value, where=where, field=field, dim=dim, n=np.shape(value)[0])
    return as_si(value, where=where, field=field, dim=dim, n=n)
