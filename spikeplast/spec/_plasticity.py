"""Spike-timing-dependent plasticity, composed from a pairing scheme and a weight dependence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._units import as_si, fail
from ..errors import SpecError
from ._base import SpecBase

__all__ = ["STDP", "ResolvedSTDP", "PAIRINGS", "DEPENDENCES"]

#: how a trace responds to a spike: add (all-to-all pairs) or reset (nearest spike)
PAIRINGS = ("all_to_all", "nearest")
#: how the weight change depends on the weight: additive, or soft bounds
DEPENDENCES = ("additive", "multiplicative")


@dataclass(frozen=True)
class ResolvedSTDP:
    """:class:`STDP` in SI units (weights in the target port's weight unit)."""

    tau_plus: float
    tau_minus: float
    a_plus: float
    a_minus: float
    w_min: float
    w_max: float
    learning_rate: float
    pairing: str
    dependence: str


@dataclass(frozen=True, kw_only=True, eq=False)
class STDP(SpecBase):
    """Pair-based STDP with exponential traces (Song, Miller & Abbott 2000; Brian2's form).

    Every synapse keeps a presynaptic trace ``a_pre`` (time constant ``tau_plus``) and a
    postsynaptic trace ``a_post`` (``tau_minus``), both in weight units. In the
    ``synapses`` slot of a step, all presynaptic events are processed first, then all
    postsynaptic events:

    * presynaptic event (the spike *arriving* at the synapse, i.e. after its transmission
      delay): the current ``w`` is delivered to the target port; ``a_pre += a_plus``
      (``all_to_all``) or ``a_pre = a_plus`` (``nearest``); ``w += η·a_post·f₋(w)``;
    * postsynaptic spike: ``a_post += a_minus`` (or ``= a_minus``);
      ``w += η·a_pre·f₊(w)``;

    then ``w`` is clipped to ``[w_min, w_max]``. ``f = 1`` for ``additive``;
    ``multiplicative`` (soft bounds) uses ``f₊(w) = (w_max − w)/(w_max − w_min)`` and
    ``f₋(w) = (w − w_min)/(w_max − w_min)``. A pre spike ``Δt`` before a post spike thus
    changes ``w`` by ``η·a_plus·e^{−Δt/τ₊}``; after it, by ``η·a_minus·e^{−Δt/τ₋}``.

    Args:
        a_plus: potentiation amplitude (weight unit of the target port, >= 0).
        a_minus: depression amplitude (weight unit, <= 0).
        w_max: upper bound (weight unit, > w_min).
        w_min: lower bound (weight unit, default 0).
        tau_plus: presynaptic trace time constant (time, > 0).
        tau_minus: postsynaptic trace time constant (time, > 0).
        pairing: ``"all_to_all"`` or ``"nearest"``.
        dependence: ``"additive"`` or ``"multiplicative"``.
        learning_rate: η (>= 0); 0 freezes the weights (a test phase) without changing
            the structure, so nothing recompiles.
    """

    a_plus: Any
    a_minus: Any
    w_max: Any
    w_min: Any = 0.0
    tau_plus: Any = 0.02
    tau_minus: Any = 0.02
    pairing: str = "all_to_all"
    dependence: str = "additive"
    learning_rate: float = 1.0
    name: str = "STDP"

    def __post_init__(self) -> None:
        w = self.where
        for f in ("tau_plus", "tau_minus"):
            v = getattr(self, f)
            if type(v) is float and v == 0.02:
                continue  # the default, 20 ms, in SI
            self._si(f, "time", check=lambda a: a > 0, must="be > 0")
        if self.pairing not in PAIRINGS:
            raise fail(w, "pairing", self.pairing, f"be one of {', '.join(PAIRINGS)}")
        if self.dependence not in DEPENDENCES:
            raise fail(w, "dependence", self.dependence,
                       f"be one of {', '.join(DEPENDENCES)}")
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr >= 0:
            raise fail(w, "learning_rate", lr, "be a number >= 0")

    @property
    def where(self) -> str:
        return "STDP"

    def resolve(self, where: str, dim: str) -> ResolvedSTDP:
        """Check the amplitudes and bounds against the port's weight unit; SI values."""
        owner = f"{where}: plasticity"
        vals = {f: float(as_si(getattr(self, f), where=owner, field=f, dim=dim))
                for f in ("a_plus", "a_minus", "w_min", "w_max")}
        if vals["a_plus"] < 0:
            raise fail(owner, "a_plus", self.a_plus, "be >= 0 (potentiation)")
        if vals["a_minus"] > 0:
            raise fail(owner, "a_minus", self.a_minus, "be <= 0 (depression)")
        if not vals["w_max"] > vals["w_min"]:
            raise SpecError(f"{owner}: w_max = {self.w_max} must be above w_min = "
                            f"{self.w_min}.")
        return ResolvedSTDP(float(self.tau_plus), float(self.tau_minus), vals["a_plus"],
                            vals["a_minus"], vals["w_min"], vals["w_max"],
                            float(self.learning_rate), self.pairing, self.dependence)
