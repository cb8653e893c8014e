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

__all__ = ["RatePopulation", "RatePatterns", "Oja", "Sanger", "BCM", "BCMODE", "ACTIVATIONS",
           "RateRule"]

ACTIVATIONS = ("linear", "tanh", "sign", "sigmoid", "relu")
ORDERS = ("in_order", "shuffled")


@dataclass(frozen=True, kw_only=True, eq=False)
class RatePopulation(SpecBase):
    """``n`` rate units, ``y = activation(Σ W x + bias)``, updated every ``every`` steps.

    Args:
        name: population name.
        n: units.
        activation: ``linear``, ``tanh``, ``sign`` (sign(0) = 0), ``sigmoid`` or ``relu``.
        bias: a number or one per unit (dimensionless).
        every: update period in steps (>= 1); inputs to it must have the same period.
    """

    name: str
    n: int
    activation: str = "linear"
    bias: Any = 0.0
    every: int = 1

    def __post_init__(self) -> None:
        w = self.where
        check_name(w, "name", self.name)
        check_count(w, "n", self.n)
        check_count(w, "every", self.every)
        if self.activation not in ACTIVATIONS:
            raise fail(w, "activation", self.activation, f"be one of {', '.join(ACTIVATIONS)}")
        b = np.asarray(self.bias, dtype=float)
        if b.shape not in ((), (self.n,)) or not np.all(np.isfinite(b)):
            raise fail(w, "bias", self.bias, f"be a finite number or {self.n} numbers")
        self._set("bias", frozen_array(np.broadcast_to(b, (self.n,))))

    #: ``theta`` is the sliding threshold of a BCM rule onto this population (else 0)
    variables = ("y", "theta")

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
    theta0: float = 0.1
    w_clip: float = 10.0

    def __post_init__(self) -> None:
        _check_rule(self)
        for f in ("threshold_tau", "theta0"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise fail("BCM", f, v, "be a finite number")
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
    theta0: float = 1.0
    w_bound: float = 0.0
    w_decay: float = 0.0
    resist_scale: float = 1.0

    def __post_init__(self) -> None:
        for f in ("tau_w", "tau_theta", "dt"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise fail("BCMODE", f, v, "be a number > 0")
        for f in ("theta0", "w_bound", "w_decay", "resist_scale"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise fail("BCMODE", f, v, "be a finite number")
        if self.w_bound < 0 or self.w_decay < 0:
            raise fail("BCMODE", "w_bound/w_decay", (self.w_bound, self.w_decay), "be >= 0")

    learning_rate = 0.0
    normalize = False


RateRule = Oja | Sanger | BCM | BCMODE
