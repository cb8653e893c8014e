"""The JAX scan state as a portable :class:`~spikeplast.state.SimState`, and back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jax
import numpy as np

from ...errors import SpecError
from ...state import NEVER, SimState, state_array

if TYPE_CHECKING:
    from ._backend import JaxSimulation

__all__ = ["export_state", "import_state"]


def export_state(sim: JaxSimulation, state: dict[str, Any]) -> SimState:
    """The portable snapshot of ``state`` (a scan state of ``sim``)."""
    plan = sim.plan
    s = jax.device_get(state)
    t = int(s["t"])
    out: dict[str, np.ndarray] = {}
    X = np.asarray(s["X"])  # every port, at the offsets of sim._port_offset
    for p in plan.neurons():
        st = s["pops"][p.name]
        out[f"{p.name}/v"] = sim._neuron_order(p.name, np.asarray(st["v"]))
        for q in p.ports:
            o = sim._port_offset[p.name, q.name]
            out[f"{p.name}/{q.name}"] = sim._neuron_order(p.name, X[o:o + p.n].copy())
        last = sim._neuron_order(p.name, np.asarray(st["lastspike"])).astype(np.int64)
        out[f"{p.name}/lastspike"] = np.where(last < 0, NEVER, last)  # before the run: never
    for r in plan.rate():
        for v in ("y", "theta", "acc", "sweeps", "converged"):
            out[f"{r.name}/{v}"] = np.asarray(s["pops"][r.name][v])
    for f in plan.filtered():
        out[f"{f.name}/y"] = np.asarray(s["pops"][f.name]["y"])
    for d in plan.discrete():
        for v in ("v", "trace_post"):
            if v in s["pops"][d.name]:
                out[f"{d.name}/{v}"] = np.asarray(s["pops"][d.name][v])
    for q in plan.projections.values():
        if q.name in s["plastic"]:
            pl = s["plastic"][q.name]
            n = q.n_synapses
            out[f"{q.name}/w"] = np.asarray(pl["w"][:n])
            out[f"{q.name}/apre"] = np.asarray(pl["apre"][:n])
            out[f"{q.name}/apost"] = np.asarray(pl["apost"][:n])
            out[f"{q.name}/lastupdate"] = np.asarray(pl["lu"][:n]).astype(np.int64)
        elif q.name in s["dense"]:
            dn = s["dense"][q.name]
            out[f"{q.name}/w"] = np.asarray(dn["W"])[q.j, q.i]
            if "trace_pre" in dn:
                out[f"{q.name}/trace_pre"] = np.asarray(dn["trace_pre"])
    for name, nxt in s["gaps"].items():  # constant-rate Poisson inputs: next spike step
        out[f"{name}/next_spike"] = np.asarray(nxt).astype(np.int64)
    if sim._D > 1:
        D, M = sim._D, sim._M
        slots = np.asarray(s["buf"])[:D * M].reshape(D, M)
        ahead = slots[(t + np.arange(D)) % D]  # [k] arrives at step t + k
        for (pop, port), o in sim._port_offset.items():
            n = plan.populations[pop].n
            out[f"{pop}/{port}/pending"] = sim._neuron_order(pop, ahead[:, o:o + n])
    if sim._history:
        H = sim._history
        lags = np.arange(1, min(H - 1, t) + 1)  # steps t − lag still to be read
        rows = (t - lags) % H
        n = np.minimum(np.asarray(s["hist"]["n"])[rows], np.asarray(s["hist"]["idx"]).shape[1])
        idx = np.asarray(s["hist"]["idx"])[rows]
        steps = np.repeat(t - lags, n)
        flat = np.concatenate([idx[k, :n[k]] for k in range(len(lags))]) if len(lags) else \
            np.zeros(0, np.int32)
        for part in sim._parts:
            mine = (flat >= part.offset) & (flat < part.offset + part.n)
            order = np.argsort(steps[mine], kind="stable")
            out[f"{part.name}/recent_steps"] = steps[mine][order].astype(np.int64)
            out[f"{part.name}/recent_indices"] = (flat[mine] - part.offset)[order].astype(
                np.int64)
    meta = {"backend": "jax", "spec_hash": plan.spec_hash, "dt": plan.dt, "dtype": sim.dtype}
    return SimState(t, out, meta)


def import_state(sim: JaxSimulation, snap: SimState) -> dict[str, Any]:
    """A scan state of ``sim`` holding ``snap``; every array's presence and shape checked."""
    plan = sim.plan
    fdt = sim._fdt
    state = sim.initial_state()
    t = int(snap.step)

    def get(key: str, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        return state_array(snap, key, shape).astype(dtype or fdt)

    state["t"] = np.int32(t)
    for p in plan.neurons():
        st = state["pops"][p.name]
        st["v"] = sim._stored(p.name, get(f"{p.name}/v", (p.n,)))
        for q in p.ports:
            o = sim._port_offset[p.name, q.name]
            state["X"][o:o + p.n] = sim._stored(p.name, get(f"{p.name}/{q.name}", (p.n,)))
        last = get(f"{p.name}/lastspike", (p.n,), np.int64)
        st["lastspike"] = sim._stored(p.name, np.maximum(last, NEVER).astype(np.int32))
    for r in plan.rate():
        st = state["pops"][r.name]
        for v in ("y", "theta"):
            st[v] = get(f"{r.name}/{v}", (r.n,))
        st["acc"] = get(f"{r.name}/acc", ())
        for v in ("sweeps", "converged"):
            st[v] = get(f"{r.name}/{v}", (), np.int32)
    for f in plan.filtered():
        state["pops"][f.name]["y"] = get(f"{f.name}/y", (f.n,))
    for d in plan.discrete():
        for v in state["pops"][d.name]:
            state["pops"][d.name][v] = get(f"{d.name}/{v}", (d.n,))
    for q in plan.projections.values():
        n = q.n_synapses
        if q.name in state["plastic"]:
            pl = state["plastic"][q.name]
            for key, v in (("w", "w"), ("apre", "apre"), ("apost", "apost")):
                pl[v] = pl[v].copy()
                pl[v][:n] = get(f"{q.name}/{key}", (n,))
            pl["lu"] = pl["lu"].copy()
            pl["lu"][:n] = np.maximum(get(f"{q.name}/lastupdate", (n,), np.int64), NEVER)
        elif q.name in state["dense"]:
            dn = state["dense"][q.name]
            W = np.zeros_like(dn["W"])
            W[q.j, q.i] = get(f"{q.name}/w", (n,))
            dn["W"] = W
            if "trace_pre" in dn:
                dn["trace_pre"] = get(f"{q.name}/trace_pre", (q.n_pre,))
    # next spike steps of constant-rate Poisson inputs; a state without them (Brian2's)
    # draws them afresh at t, which the memoryless process allows
    saved = {part.name: np.clip(get(f"{part.name}/next_spike", (part.n,), np.int64), t,
                                2**31 - 1)
             for part in sim._parts if f"{part.name}/next_spike" in snap.values}
    state["gaps"] = sim.first_spikes(t, only=saved)
    if sim._D > 1:
        D, M = sim._D, sim._M
        slots = np.zeros((D, M), fdt)
        for (pop, port), o in sim._port_offset.items():
            n = plan.populations[pop].n
            slots[(t + np.arange(D)) % D, o:o + n] = sim._stored(
                pop, get(f"{pop}/{port}/pending", (D, n)))
        state["buf"] = np.concatenate([slots.reshape(-1), np.zeros(1, fdt)])
    if sim._history:
        H, cap = sim._history, sim._capacity
        idx = np.zeros((H, cap), np.int32)
        cnt = np.zeros(H, np.int32)
        for part in sim._parts:
            steps = np.asarray(snap.values.get(f"{part.name}/recent_steps", np.zeros(0)))
            ids = np.asarray(snap.values.get(f"{part.name}/recent_indices", np.zeros(0)))
            keep = steps >= t - H + 1
            for step, i in zip(steps[keep], ids[keep]):
                row = int(step) % H
                if cnt[row] >= cap:
                    raise SpecError(f"SimState: step {int(step)} holds more recent spikes "
                                    f"than the spike capacity {cap}; pass a larger "
                                    f"spike_capacity.")
                idx[row, cnt[row]] = part.offset + int(i)
                cnt[row] += 1
        for row in range(H):  # compacted indices are ascending within a step
            idx[row, :cnt[row]] = np.sort(idx[row, :cnt[row]])
        state["hist"] = {"idx": idx, "n": cnt}
    return state
