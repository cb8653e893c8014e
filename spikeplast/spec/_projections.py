"""Projections between populations and the ways to connect them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from .._units import as_si, fail, frozen_array
from ..errors import SpecError
from ._base import SpecBase, check_count, check_name, index_array
from ._discrete import DiscreteSTDP
from ._plasticity import STDP
from ._rate import RATE_RULES, RateRule
from ._values import Value, resolve_value

__all__ = ["AllToAll", "OneToOne", "FixedProbability", "FixedInDegree", "FixedOutDegree",
           "FromIndices", "DenseMatrix", "Connectivity", "Projection"]


def _check_self(where: str, allow_self: Any) -> None:
    if not isinstance(allow_self, bool):
        raise fail(where, "allow_self", allow_self, "be True or False")


@dataclass(frozen=True, kw_only=True, eq=False)
class AllToAll:
    """Every source neuron to every target neuron.

    Args:
        allow_self: when source and target are the same population, keep ``i → i``.
    """

    allow_self: bool = True

    def __post_init__(self) -> None:
        _check_self("AllToAll", self.allow_self)


@dataclass(frozen=True, kw_only=True, eq=False)
class OneToOne:
    """Source ``i`` to target ``i``; both populations must have the same size."""


@dataclass(frozen=True, kw_only=True, eq=False)
class FixedProbability:
    """Each pair is connected independently with probability ``p`` in ``[0, 1]``."""

    p: float
    allow_self: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float, np.floating)) \
                or not 0 <= self.p <= 1:
            raise fail("FixedProbability", "p", self.p, "be a number in [0, 1]")
        _check_self("FixedProbability", self.allow_self)


@dataclass(frozen=True, kw_only=True, eq=False)
class FixedInDegree:
    """Each target neuron receives exactly ``k`` synapses from distinct source neurons."""

    k: int
    allow_self: bool = True

    def __post_init__(self) -> None:
        check_count("FixedInDegree", "k", self.k, minimum=0)
        _check_self("FixedInDegree", self.allow_self)


@dataclass(frozen=True, kw_only=True, eq=False)
class FixedOutDegree:
    """Each source neuron sends exactly ``k`` synapses to distinct target neurons."""

    k: int
    allow_self: bool = True

    def __post_init__(self) -> None:
        check_count("FixedOutDegree", "k", self.k, minimum=0)
        _check_self("FixedOutDegree", self.allow_self)


@dataclass(frozen=True, kw_only=True, eq=False)
class FromIndices:
    """Explicit synapses ``i[s] → j[s]`` (source and target indices, equal length)."""

    i: Any
    j: Any

    def __post_init__(self) -> None:
        i = index_array("FromIndices", "i", self.i)
        j = index_array("FromIndices", "j", self.j)
        if i.shape != j.shape:
            raise SpecError(f"FromIndices: i has {i.size} entries and j has {j.size}; "
                            f"they must have the same length.")
        object.__setattr__(self, "i", i)
        object.__setattr__(self, "j", j)


@dataclass(frozen=True, kw_only=True, eq=False)
class DenseMatrix:
    """Synapses from a dense weight matrix ``weights[target, source]``.

    A synapse exists for every nonzero entry (every entry when ``keep_zeros``), with
    that entry as its weight; the projection's ``weight`` must then be left unset.
    """

    weights: Any
    keep_zeros: bool = False

    def resolve(self, where: str, dim: str, n_post: int, n_pre: int) -> np.ndarray:
        """SI weight matrix of shape ``(n_post, n_pre)``."""
        shape = np.shape(self.weights)
        if shape != (n_post, n_pre):
            raise SpecError(f"{where}: DenseMatrix weights have shape {shape}; they must be "
                            f"(n_target, n_source) = ({n_post}, {n_pre}).")
        flat = as_si(np.reshape(self.weights, -1), where=where, field="connectivity.weights",
                     dim=dim, n=n_post * n_pre)
        return frozen_array(np.reshape(flat, shape))


Connectivity = Union[AllToAll, OneToOne, FixedProbability, FixedInDegree, FixedOutDegree,
                     FromIndices, DenseMatrix]
_CONNECTIVITY = (AllToAll, OneToOne, FixedProbability, FixedInDegree, FixedOutDegree,
                 FromIndices, DenseMatrix)


@dataclass(frozen=True, kw_only=True, eq=False)
class Projection(SpecBase):
    """Synapses from a source population onto a port of a target population.

    A spike of source neuron ``i`` adds ``weight`` to the target port variable of
    neuron ``j`` ``delay`` later (Brian2's ``on_pre='x += w'``).

    Args:
        name: projection name.
        source: name of the presynaptic population (neurons or an input).
        target: name of the postsynaptic population.
        port: the target's port receiving the synapses.
        connectivity: how synapses are drawn (see :data:`Connectivity`).
        weight: a constant, an array (one per synapse) or a distribution, in the port's
            weight unit (volt for current ports, siemens >= 0 for conductance ports).
        delay: transmission delay (time, >= 0, a multiple of dt): a constant, an array
            or a distribution (drawn values are rounded to whole steps).
        plasticity: an :class:`~spikeplast.STDP` rule, or None for static weights.
    """

    name: str
    source: str
    target: str
    port: str
    connectivity: Connectivity
    weight: Any = None
    delay: Any = 0.0
    plasticity: STDP | DiscreteSTDP | RateRule | None = None

    def __post_init__(self) -> None:
        w = self.where
        if self.plasticity is not None and not isinstance(
                self.plasticity, (STDP, DiscreteSTDP, *RATE_RULES)):
            raise fail(w, "plasticity", self.plasticity,
                       "be an STDP, DiscreteSTDP, Oja, Sanger, BCM, BCMODE, Hebbian, "
                       "AntiHebbian or OnlineHebbian rule, or None")
        check_name(w, "name", self.name)
        for f in ("source", "target", "port"):
            check_name(w, f, getattr(self, f))
        if not isinstance(self.connectivity, _CONNECTIVITY):
            raise fail(w, "connectivity", self.connectivity,
                       "be one of " + ", ".join(c.__name__ for c in _CONNECTIVITY))
        if isinstance(self.connectivity, DenseMatrix):
            if self.weight is not None:
                raise SpecError(f"{w}: weight must be left unset with DenseMatrix "
                                f"connectivity; the matrix gives the weights.")
        elif self.weight is None:
            raise SpecError(f"{w}: weight is required (a constant, an array or a "
                            f"distribution in the target port's unit).")
        delay: Value = resolve_value(self.delay, where=w, field="delay", dim="time", n=None)
        if not isinstance(delay, (float, np.ndarray)) or np.all(np.asarray(delay) >= 0):
            self._set("delay", delay)
        else:
            raise fail(w, "delay", self.delay, "be >= 0")

    def resolve_weight(self, dim: str) -> Value:
        """The weight in SI, once the network knows the port's unit."""
        return resolve_value(self.weight, where=self.where, field="weight", dim=dim, n=None)


