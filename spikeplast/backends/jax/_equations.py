"""Populations written as equations, in the engine's step: where their state lives and
what the engine does around their generated kernels (:mod:`._codegen`).

A group's variables that projections target live in the engine's flat input vector ``X``
(deliveries add to them there, decaying by a factor of 1); the others in the scan state
with ``lastspike`` (whole steps) and ``not_refractory``. A step runs, in the schedule's
order: ``update`` (groups), ``threshold`` and the refractory bookkeeping at a spike
(thresholds), delivery by the engine, with writes to ``(unless refractory)`` variables of
refractory neurons undone (Brian2's conditional writes), then ``reset`` (resets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ...ir import NeuronIR
from ...lowering import EquationPlan
from ._codegen import Kernels, kernels
from ._ops import where

__all__ = ["EqGroup", "layout", "env", "update", "gate", "reset", "initial", "params_of"]

Array = Any
#: Brian2's ``lastspike`` before any spike is -1e4 s; in steps, within int32 arithmetic
_NEVER_STEPS = 2**30


@dataclass(frozen=True)
class EqGroup:
    """The static structure of one equation population in the engine."""

    name: str
    n: int
    ir: NeuronIR
    timed: tuple[tuple[str, int, int, int], ...]  # (name, ndim, rows' steps, Brian2's K)
    ports: tuple[str, ...]  # variables in X, in this order from ``offset``
    offset: int

    @property
    def kernels(self) -> Kernels:
        return kernels(self.ir, tuple((name, ndim) for name, ndim, _, _ in self.timed))

    def port_slice(self, k: int) -> slice:
        return slice(self.offset + k * self.n, self.offset + (k + 1) * self.n)

    @property
    def gated(self) -> tuple[int, ...]:
        """The ports whose synaptic writes are skipped while refractory."""
        return tuple(k for k, v in enumerate(self.ports) if v in self.ir.gated)


def _find_k(group_dt: float, dt: float) -> int:
    """Brian2's TimedArray upsampling factor (``brian2.input.timedarray._find_K``)."""
    return max(int(2 ** np.ceil(np.log2(8 / group_dt * dt))), 1)


def layout(plan_: EquationPlan, targeted: set[str], offset: int, dt: float) -> EqGroup:
    """An equation population's structure; ``targeted``: its variables projections add to."""
    ports = tuple(v for v in plan_.variables if v in targeted)
    timed = tuple((name, tp.values.ndim, tp.every, _find_k(dt, tp.every * dt))
                  for name, tp in plan_.timed.items())
    return EqGroup(plan_.name, plan_.n, plan_.ir, timed, ports, offset)


def params_of(plan_: EquationPlan, seed_key: Array, fdt: Any) -> dict[str, Any]:
    """The traced parameters of a group: its values, TimedArrays and random key."""
    out: dict[str, Any] = {k: np.asarray(v, fdt) for k, v in plan_.params.items()}
    out["_timed"] = {k: np.asarray(tp.values, fdt) for k, tp in plan_.timed.items()}
    out["_key"] = seed_key
    return out


def initial(g: EqGroup, plan_: EquationPlan, fdt: Any, X: np.ndarray) -> dict[str, np.ndarray]:
    """The state at t = 0 of a group (its ports are written into ``X``)."""
    st = {v: np.asarray(plan_.init[v], fdt) for v in plan_.variables if v not in g.ports}
    for k, v in enumerate(g.ports):
        X[g.port_slice(k)] = plan_.init[v]
    st["lastspike"] = np.full(g.n, -_NEVER_STEPS, np.int32)
    st["not_refractory"] = np.ones(g.n, bool)
    return st


def env(g: EqGroup, prm: dict[str, Any], t: Array, dt: Array, fdt: Any) -> dict[str, Any]:
    """What a kernel reads besides state and parameters, at step ``t``."""
    timed = {name: (ndim, every, k) for name, ndim, every, k in g.timed}
    i = jnp.arange(g.n, dtype=jnp.int32)

    def at_step(name: str, _: None) -> Array:
        values = prm["_timed"][name]
        _, every, _ = timed[name]
        return values[jnp.minimum(t // every, values.shape[0] - 1)]

    def at_time(name: str, when: Array, column: Array | None = None) -> Array:
        values = prm["_timed"][name]
        _, every, k = timed[name]
        eps = every * dt / k  # as Brian2's generated code: (int)((t/epsilon + 0.5)/K)
        row = jnp.clip(jnp.trunc((when / eps + 0.5) / k).astype(jnp.int32), 0,
                       values.shape[0] - 1)
        return values[row] if column is None else values[row, column]

    def random(kind: str, k: int) -> Array:
        key = jax.random.fold_in(jax.random.fold_in(prm["_key"], t), k)
        if kind == "randn":
            return jax.random.normal(key, (g.n,), fdt)
        return jax.random.uniform(key, (g.n,), fdt)

    return {"t": t.astype(fdt) * dt, "step": t, "dt": dt, "i": i, "N": jnp.int32(g.n),
            "shape": (g.n,), "timed": at_step, "timed_at": at_time, "random": random}


def _with_ports(g: EqGroup, st: dict[str, Array], X: Array) -> dict[str, Array]:
    return {**st, **{v: X[g.port_slice(k)] for k, v in enumerate(g.ports)}}


def _split(g: EqGroup, s: dict[str, Array], X: Array) -> tuple[dict[str, Array], Array]:
    """The state without its ports, and ``X`` with the ports' new values."""
    for k, v in enumerate(g.ports):
        X = jax.lax.dynamic_update_slice(X, s[v].astype(X.dtype), (g.offset + k * g.n,))
    return {v: a for v, a in s.items() if v not in g.ports}, X


def update(g: EqGroup, st: dict[str, Array], X: Array, prm: dict[str, Any], e: dict[str, Any]
           ) -> tuple[dict[str, Array], Array]:
    """The groups and thresholds slots: integrate (writing ``(unless refractory)``
    variables only where not refractory, as Brian2's conditional writes), then detect
    spikes (``lastspike`` is the step of a spike; ``not_refractory`` falls to False
    there)."""
    k = g.kernels
    s = _with_ports(g, st, X)
    new = k.update(s, prm, e)
    if g.ir.gated:  # Brian2 writes (unless refractory) variables only if(not_refractory):
        # their update may be undefined while refractory (0/0 in exponential Euler)
        ok = new.get("not_refractory", s["not_refractory"])
        new.update({v: where(ok, new[v], s[v]) for v in g.ir.gated if v in new})
    s = {**s, **new}
    if k.threshold is not None:
        spiked = k.threshold(s, prm, e)
        s["lastspike"] = where(spiked, e["step"], s["lastspike"])
        if g.ir.refractory:
            s["not_refractory"] = s["not_refractory"] & ~spiked
    return _split(g, s, X)


def gated_values(g: EqGroup, X: Array) -> list[Array]:
    """The gated ports before delivery (see :func:`gate`)."""
    return [X[g.port_slice(k)] for k in g.gated]


def gate(g: EqGroup, st: dict[str, Array], before: list[Array], X: Array) -> Array:
    """Undo this step's synaptic writes to the ``(unless refractory)`` variables of
    refractory neurons: Brian2 writes them only ``if(not_refractory)``."""
    for k, old in zip(g.gated, before):
        sl = g.port_slice(k)
        X = jax.lax.dynamic_update_slice(X, where(st["not_refractory"], X[sl], old), (sl.start,))
    return X


def reset(g: EqGroup, st: dict[str, Array], X: Array, prm: dict[str, Any], e: dict[str, Any]
          ) -> tuple[dict[str, Array], Array]:
    """The resets slot: the reset statements, for the neurons that spiked at this step."""
    k = g.kernels
    if k.reset is None:
        return st, X
    s = _with_ports(g, st, X)
    spiked = s["lastspike"] == e["step"]
    new = k.reset(s, prm, e)
    s = {**s, **{v: where(spiked, a.astype(s[v].dtype), s[v]) for v, a in new.items()}}
    return _split(g, s, X)
