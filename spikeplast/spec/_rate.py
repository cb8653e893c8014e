"""Rate populations, rate-pattern inputs and the rate rules that run on them.

A :class:`RatePopulation` updates synchronously every ``every`` steps, in the
``groups`` slot: ``y = f(Σ W x + bias)`` from the inputs of that step, with the
weights from before the step's update; then the rule of each incoming projection
updates ``W`` (as RULES.md gives each rule, for one input vector).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._units import fail, frozen_array
from ._base import InputPort, SpecBase, check_count, check_name, single_input_port

__all__ = ["RatePopulation", "RatePatterns", "FilteredRate", "Oja", "Sanger", "BCM", "BCMODE",
           "Hebbian", "AntiHebbian", "OnlineHebbian", "ACTIVATIONS", "RateRule", "RATE_RULES"]

ACTIVATIONS = ("linear", "tanh", "sign", "sigmoid", "relu")
ORDERS = ("in_order", "shuffled")
UPDATES = ("sync", "async")


@dataclass(frozen=True, kw_only=True, eq=False)
class RatePopulation(SpecBase):
    """``n`` rate units, ``y = activation((Σ W x + bias) / temperature)``, updated every
    ``every`` steps from the inputs of that update (for a rate source, including this
    population itself, its ``y`` from before the update).

    With a recurrent projection (source = target) this is a Hopfield network: ``init`` is
    the probe, ``bias = −threshold``, and the energy is ``E = −½ yᵀ W y − bias·y`` (the
    recurrent projections only).

    Args:
        name: population name.
        n: units.
        activation: ``linear``, ``tanh``, ``sign`` (sign(0) = 0), ``sigmoid`` or ``relu``.
        bias: a number or one per unit (dimensionless).
        every: update period in steps (>= 1); inputs to it must have the same period.
        init: the initial ``y`` (a number or one per unit).
        temperature: ``T > 0`` dividing the input of ``tanh`` and ``sigmoid``.
        update: ``sync`` (every unit at every update), or ``async``: one unit per update,
            a sweep being ``n`` updates in a fresh random order per sweep drawn from the
            network seed (canns reuses one order for every sweep; that is a defect).
        max_sweeps: stop updating after this many sweeps (``None``: never stop).
        tol: stop at convergence — after the first sweep whose total change
            ``Σ|Δy|`` is ``<= tol`` (``None``: never). ``sweeps`` and ``converged`` report it.
    """

    name: str
    n: int
    activation: str = "linear"
    bias: Any = 0.0
    every: int = 1
    init: Any = 0.0
    temperature: float = 1.0
    update: str = "sync"
    max_sweeps: int | None = None
    tol: float | None = None

    def __post_init__(self) -> None:
        w = self.where
        check_name(w, "name", self.name)
        check_count(w, "n", self.n)
        check_count(w, "every", self.every)
        if self.activation not in ACTIVATIONS:
            raise fail(w, "activation", self.activation, f"be one of {', '.join(ACTIVATIONS)}")
        for f in ("bias", "init"):
            b = np.asarray(getattr(self, f), dtype=float) if _numeric(getattr(self, f)) \
                else np.array(np.nan)
            if b.shape not in ((), (self.n,)) or not np.all(np.isfinite(b)):
                raise fail(w, f, getattr(self, f), f"be a finite number or {self.n} numbers")
            self._set(f, frozen_array(np.broadcast_to(b, (self.n,))))
        T = self.temperature
        if isinstance(T, bool) or not isinstance(T, (int, float)) or not 0 < T < np.inf:
            raise fail(w, "temperature", T, "be a number > 0")
        if T != 1 and self.activation not in ("tanh", "sigmoid"):
            raise fail(w, "temperature", T, f"be 1 for activation '{self.activation}' (it "
                       "scales tanh and sigmoid only)")
        if self.update not in UPDATES:
            raise fail(w, "update", self.update, f"be one of {', '.join(UPDATES)}")
        if self.max_sweeps is not None:
            check_count(w, "max_sweeps", self.max_sweeps)
        tol = self.tol
        if tol is not None and (isinstance(tol, bool) or not isinstance(tol, (int, float))
                                or not 0 <= tol < np.inf):
            raise fail(w, "tol", tol, "be None or a number >= 0")

    #: ``theta``: the sliding threshold of a BCM rule onto this population (else 0);
    #: ``energy``, ``sweeps`` (completed before stopping) and ``converged`` are one value
    #: for the population, repeated per unit
    variables = ("y", "theta", "energy", "sweeps", "converged")

    @property
    def stops(self) -> bool:
        """Whether updates can stop (a sweep limit or a convergence test)."""
        return self.max_sweeps is not None or self.tol is not None

    def port(self, name: str) -> InputPort:
        """The input port (its only one, ``"input"``)."""
        return single_input_port(self.where, name, "rate")


@dataclass(frozen=True, kw_only=True, eq=False)
class RatePatterns(SpecBase):
    """Input vectors presented one per update: pattern ``order[u]`` at update ``u``.

    Args:
        name: population name.
        patterns: array ``(P, n)`` of finite numbers.
        every: steps per pattern (>= 1).
        order: ``in_order``, or ``shuffled`` (a fresh permutation per epoch, from the seed).
        epochs: how many times the whole set is presented (>= 1); afterwards the input
            is zero.
    """

    name: str
    patterns: Any
    every: int = 1
    order: str = "in_order"
    epochs: int = 1

    def __post_init__(self) -> None:
        w = self.where
        check_name(w, "name", self.name)
        check_count(w, "every", self.every)
        check_count(w, "epochs", self.epochs)
        p = np.asarray(self.patterns, dtype=float)
        if p.ndim != 2 or 0 in p.shape:
            raise fail(w, "patterns", self.patterns, "be a 2-D array (patterns × units)")
        if not np.all(np.isfinite(p)):
            raise fail(w, "patterns", self.patterns, "contain only finite numbers")
        self._set("patterns", frozen_array(p))
        if self.order not in ORDERS:
            raise fail(w, "order", self.order, f"be one of {', '.join(ORDERS)}")

    @property
    def n(self) -> int:
        return int(self.patterns.shape[1])


def _numeric(v: Any) -> bool:
    try:
        np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True, kw_only=True, eq=False)
class FilteredRate(SpecBase):
    """The low-pass filtered firing rate of a spiking population, as a rate source (Hz)::

        dy/dt = −y/tau;   y += 1/tau at each spike of the same index of ``source``

    (decay in ``groups``, spikes added in ``synapses``), so a rate population reading it
    sees the rate estimate from the end of the previous step.

    Args:
        name: population name.
        source: a LIF, PoissonInput or SpikeTrainInput population.
        n: its size (checked against the source).
        tau: the filter's time constant (time).
    """

    name: str
    source: str
    n: int
    tau: Any

    def __post_init__(self) -> None:
        w = self.where
        check_name(w, "name", self.name)
        check_name(w, "source", self.source)
        check_count(w, "n", self.n)
        self._si("tau", "time", check=lambda a: np.ndim(a) == 0 and a > 0, must="be one time > 0")

    variables = ("y",)


@dataclass(frozen=True, kw_only=True, eq=False)
class Oja:
    """Oja's rule (canns OjaTrainer): ``W ← W + η (y xᵀ − diag(y²) W)``, then (if
    ``normalize``) every row of W with norm >= 1e-10 scaled to unit norm."""

    learning_rate: float = 0.01
    normalize: bool = True

    def __post_init__(self) -> None:
        _check_rule(self)


@dataclass(frozen=True, kw_only=True, eq=False)
class Sanger:
    """Sanger's rule / GHA (canns SangerTrainer): ``W ← W + η (y xᵀ − LT(y yᵀ) W)``, LT the
    lower triangle including the diagonal; then optional row normalisation as Oja."""

    learning_rate: float = 0.01
    normalize: bool = True

    def __post_init__(self) -> None:
        _check_rule(self)


def _check_theta0(rule: Any) -> None:
    """θ0: a finite number, or one per unit of the target (to continue a run's θ)."""
    v = rule.theta0
    a = np.asarray(v, dtype=float) if _numeric(v) and not isinstance(v, bool) else None
    if a is None or a.ndim > 1 or a.size == 0 or not np.all(np.isfinite(a)):
        raise fail(type(rule).__name__, "theta0", v, "be a finite number or one per unit")
    if a.ndim == 1:
        object.__setattr__(rule, "theta0", frozen_array(a))


def _check_rule(rule: Any) -> None:
    name = type(rule).__name__
    lr = rule.learning_rate
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr >= 0:
        raise fail(name, "learning_rate", lr, "be a number >= 0")
    if not isinstance(rule.normalize, bool):
        raise fail(name, "normalize", rule.normalize, "be True or False")




@dataclass(frozen=True, kw_only=True, eq=False)
class BCM:
    """BCM with a discrete sliding threshold (canns BCMTrainer, seed 000), per input x::

        y = W x                               (W before the update; the population's y)
        W ← clip(W + η · outer(y (y − θ), x), −w_clip, w_clip)
        θ ← θ + (y² − θ)/τ_θ                  (τ_θ <= 0 means a rate of 1)

    θ belongs to the target population (its ``theta`` variable), starting at ``theta0``.
    Defaults are canns's (θ0 = 0.1, τ_θ = 100, clip at ±10 — a parameter here).
    """

    learning_rate: float = 0.01
    threshold_tau: float = 100.0
    theta0: Any = 0.1
    w_clip: float = 10.0

    def __post_init__(self) -> None:
        _check_rule(self)
        v = self.threshold_tau
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
            raise fail("BCM", "threshold_tau", v, "be a finite number")
        _check_theta0(self)
        if not (isinstance(self.w_clip, (int, float)) and self.w_clip > 0):
            raise fail("BCM", "w_clip", self.w_clip, "be a number > 0")

    normalize = False


@dataclass(frozen=True, kw_only=True, eq=False)
class BCMODE:
    """BCM as a leaky ODE (ngc-learn BCMSynapse, seed 001), per update with input x::

        y = resist_scale · (W x) (+ bias)      (W before the update)
        post = y (y − θ) / (θ + 1e-7)          (the *old* θ; no learning rate)
        dW = outer(post, x);  dW ← dW · (w_bound − |W|) if w_bound > 0;  dW ← dW − w_decay·W
        W ← W + dW · dt/τ_w;   θ ← θ + (y² − θ) · dt/τ_θ

    ngc-learn's default θ0 = −1 makes learning start with the wrong sign and blows the
    response up when θ crosses 0; spikeplast defaults to θ0 = 1 (−1 is accepted).

    Args:
        tau_w, tau_theta: time constants (> 0, in the unit of ``dt``).
        dt: the rule's integration step per update (> 0; ngc-learn's ``dt``).
    """

    tau_w: float
    tau_theta: float
    dt: float = 1.0
    theta0: Any = 1.0
    w_bound: float = 0.0
    w_decay: float = 0.0
    resist_scale: float = 1.0

    def __post_init__(self) -> None:
        for f in ("tau_w", "tau_theta", "dt"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise fail("BCMODE", f, v, "be a number > 0")
        _check_theta0(self)
        for f in ("w_bound", "w_decay", "resist_scale"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise fail("BCMODE", f, v, "be a finite number")
        if self.w_bound < 0 or self.w_decay < 0:
            raise fail("BCMODE", "w_bound/w_decay", (self.w_bound, self.w_decay), "be >= 0")

    learning_rate = 0.0
    normalize = False


@dataclass(frozen=True, kw_only=True, eq=False)
class Hebbian:
    """Hebbian storage (canns HebbianTrainer), one presented pattern x at a time::

        t = x − ρ  (if subtract_mean; ρ = the mean of all entries of all the source's patterns)
        W ← W + t tᵀ / P  (/P if normalize_by_patterns; P = the source's number of patterns)
        diag(W) ← 0  (if zero_diagonal)

    Summed over one presentation of the P patterns this is canns's one-shot update
    (accumulated onto the existing W). The projection must come from a ``RatePatterns``
    source onto a population of the same size; the rule learns only while the source
    presents patterns. With ``normalize_by_patterns`` each pattern is stored with weight
    1/P, so unlearning one pattern with the same setting removes it with weight 1 and
    destroys the other memories: store and unlearn with ``normalize_by_patterns=False``
    (and ``subtract_mean=False``) to forget a single pattern.
    """

    subtract_mean: bool = True
    zero_diagonal: bool = True
    normalize_by_patterns: bool = True

    #: +1 stores (Hebbian), −1 unlearns (anti-Hebbian)
    sign = 1.0
    learning_rate = 0.0
    normalize = False

    def __post_init__(self) -> None:
        for f in ("subtract_mean", "zero_diagonal", "normalize_by_patterns"):
            if not isinstance(getattr(self, f), bool):
                raise fail(type(self).__name__, f, getattr(self, f), "be True or False")


@dataclass(frozen=True, kw_only=True, eq=False)
class AntiHebbian(Hebbian):
    """Anti-Hebbian unlearning (canns AntiHebbianTrainer): :class:`Hebbian` with
    ``W ← W − t tᵀ / P``."""

    sign = -1.0


@dataclass(frozen=True, kw_only=True, eq=False)
class OnlineHebbian:
    """Plain online Hebb: ``W ← W + η y xᵀ`` per update (y from W before the update);
    optional row normalisation as Oja's."""

    learning_rate: float = 0.01
    normalize: bool = False

    def __post_init__(self) -> None:
        _check_rule(self)


RateRule = Oja | Sanger | BCM | BCMODE | Hebbian | OnlineHebbian
#: the rules that update the dense W of a rate projection
RATE_RULES = (Oja, Sanger, BCM, BCMODE, Hebbian, OnlineHebbian)
