"""Random networks on both backends: identical spikes, weights and states; and the
vmapped, sharded sweep of a random network equal to its single runs.

Each network joins a few independent random parts (1–3 LIF populations of 3–50 neurons,
current or conductance ports, every integration method, per-neuron or uniform refractory
periods and drives, Poisson inputs at constant, per-input or timed rates, spike trains,
every connectivity kind, uniform or drawn weights and delays, STDP with either pairing
and dependence, spike, state and weight monitors), so that one Brian2 compile checks many
combinations. The oracle is Brian2 (frozen inputs, float64, spike-exact). The JAX
backend runs the network three ways, each of which must match it: its defaults, its
vectorised delivery, and chunks of an odd length that cut through delays and monitor
periods. Random networks found a wrong result that no hand-written test had (session 9:
simultaneous undelayed arrivals one step late with some delay-ring lengths).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import run_on_cpu_devices

import spikeplast as sp
from spikeplast import Hz, ms, mV, nS, pF

DURATION = 300 * ms
#: the JAX runs each network must match Brian2 in (options of ``simulate``)
JAX_RUNS = {"default": {}, "vector": {"delivery": "vector"}, "chunks": {"chunk_steps": 37}}


def _part(r: np.random.Generator, tag: str) -> tuple[list, list, list]:
    """One random sub-network; every name starts with ``tag``."""
    conductance = bool(r.random() < 0.4)
    w_unit = nS if conductance else mV
    lifs = []
    for k in range(int(r.integers(1, 4))):
        n = int(r.integers(3, 50))
        if conductance:
            ports = (sp.ConductancePort(name="ge", tau=r.uniform(2, 8) * ms, e_rev=0 * mV),
                     sp.ConductancePort(name="gi", tau=r.uniform(5, 15) * ms, e_rev=-80 * mV))
            extra: dict[str, Any] = {"c_m": 200 * pF}
            method = str(r.choice(["euler", "exponential_euler"]))
        else:
            ports = (sp.CurrentPort(name="ge", tau=r.uniform(2, 8) * ms),
                     sp.CurrentPort(name="gi", tau=r.uniform(5, 15) * ms))
            extra, method = {}, r.choice(["exact", "euler", "default"])
        t_ref = r.choice([0.0, 2.0, 2.05, 5.0]) * ms if r.random() < 0.7 \
            else r.uniform(0, 5, n) * ms
        u = r.random()
        drive = r.uniform(12, 30) * mV if u < 0.5 else r.uniform(5, 30, n) * mV if u < 0.8 \
            else 0 * mV
        lifs.append(sp.LIF(
            name=f"{tag}p{k}", n=n, tau_m=r.uniform(8, 30) * ms, v_rest=r.uniform(-70, -60) * mV,
            v_reset=r.uniform(-75, -60) * mV, v_th=-50 * mV, t_ref=t_ref, drive=drive,
            ports=ports, method=None if method == "default" else str(method),
            init={"v": sp.Uniform(-70 * mV, -51 * mV)} if r.random() < 0.7 else {}, **extra))
    pops: list = list(lifs)
    mons: list = [sp.SpikeMonitor(population=p.name) for p in lifs]
    if r.random() < 0.8:
        u = r.random()
        rate = r.uniform(1, 50, 40) * Hz if u < 0.3 else \
            sp.TimedRates(values=np.array([10.0, 50.0, 0.0]) * Hz, interval=100 * ms) \
            if u < 0.45 else r.uniform(5, 60) * Hz
        pops.append(sp.PoissonInput(name=f"{tag}noise", n=40, rate=rate))
    if r.random() < 0.5:
        m = int(r.integers(1, 30))
        pops.append(sp.SpikeTrainInput(name=f"{tag}train", n=5, indices=r.integers(0, 5, m),
                                       times=np.round(r.uniform(0, 290, m), 1) * ms))
    sizes = {p.name: p.n for p in pops}
    projs = []
    for q in range(int(r.integers(1, 6))):
        src = str(r.choice(list(sizes)))
        tgt = lifs[int(r.integers(len(lifs)))]
        kinds = ["prob", "all", "indeg", "outdeg", "explicit"] + \
            (["one"] if sizes[src] == tgt.n else [])
        kind = str(r.choice(kinds))
        if kind == "prob":
            conn = sp.FixedProbability(p=r.uniform(0.05, 0.5), allow_self=bool(r.random() < 0.5)) \
                if src == tgt.name else sp.FixedProbability(p=r.uniform(0.05, 0.5))
        elif kind == "indeg":
            conn = sp.FixedInDegree(k=int(r.integers(1, min(sizes[src], 10) + 1)))
        elif kind == "outdeg":
            conn = sp.FixedOutDegree(k=int(r.integers(1, min(tgt.n, 10) + 1)))
        elif kind == "explicit":
            conn = sp.FromIndices(i=r.integers(0, sizes[src], 12), j=r.integers(0, tgt.n, 12))
        else:
            conn = sp.AllToAll() if kind == "all" else sp.OneToOne()
        port = str(r.choice(["ge", "gi"]))
        sign = -1.0 if port == "gi" and not conductance else 1.0
        scale = sign * (2.0 if conductance else 1.0)
        weight = r.uniform(0.5, 3.0) * scale * w_unit if r.random() < 0.5 else \
            sp.Uniform(min(0, 3 * sign) * w_unit, max(0, 3 * sign) * w_unit)
        u = r.random()
        delay = 0 * ms if u < 0.4 else np.round(r.uniform(0.1, 3), 1) * ms if u < 0.7 \
            else sp.Uniform(0 * ms, 3 * ms)
        plasticity = None
        if sign > 0 and r.random() < 0.3:
            plasticity = sp.STDP(a_plus=0.02 * w_unit, a_minus=-0.021 * w_unit, w_max=4 * w_unit,
                                 pairing=str(r.choice(["all_to_all", "nearest"])),
                                 dependence=str(r.choice(["additive", "multiplicative"])))
            weight = sp.Uniform(0 * w_unit, 3 * w_unit)
        projs.append(sp.Projection(name=f"{tag}q{q}", source=src, target=tgt.name, port=port,
                                   connectivity=conn, weight=weight, delay=delay,
                                   plasticity=plasticity))
        if plasticity is not None:
            mons.append(sp.WeightMonitor(projection=f"{tag}q{q}", every=int(r.integers(1, 500))))
    if r.random() < 0.5:
        mons.append(sp.StateMonitor(population=lifs[0].name, variables=("v", "ge"),
                                    every=int(r.integers(1, 20))))
    return pops, projs, mons


def random_network(seed: int, parts: int = 4) -> sp.Network:
    """``parts`` independent random sub-networks in one network (names ``a…``, ``b…``)."""
    pops, projs, mons = [], [], []
    for k in range(parts):
        p, q, m = _part(np.random.default_rng([seed, k]), "abcdefgh"[k])
        pops += p
        projs += q
        mons += m
    return sp.Network(name=f"random{seed}", seed=seed, dt=0.1 * ms, populations=tuple(pops),
                      projections=tuple(projs), monitors=tuple(mons))


def check_against_brian2(seed: int, parts: int, cache: Any) -> None:
    net = random_network(seed, parts)
    ref = sp.simulate(net, DURATION, backend="brian2", freeze_inputs=True, cache_dir=cache)
    n_spikes = sum(len(s) for s in ref.spikes.values())
    assert n_spikes > 100 * parts, "the network must be active for the test to mean much"
    for run, options in JAX_RUNS.items():
        res = sp.simulate(net, DURATION, backend="jax", freeze_inputs=True, dtype="float64",
                          **options)
        for pop, sb in ref.spikes.items():
            sj = res.spikes[pop]
            assert np.array_equal(sb.indices, sj.indices), (run, pop)
            assert np.array_equal(sb.times, sj.times), (run, pop)
        for name, wb in ref.weights.items():
            wj = res.weights[name]
            assert np.array_equal(wb.times, wj.times), (run, name)
            assert np.array_equal(wb.i, wj.i) and np.array_equal(wb.j, wj.j), (run, name)
            # the same float64 formulas in the same order: equal to a few roundings
            assert np.allclose(wb.values, wj.values, rtol=1e-9, atol=1e-15), (run, name)
        for pop, sb in ref.states.items():
            sj = res.states[pop]
            assert np.array_equal(sb.times, sj.times), (run, pop)
            for var in ("v", "ge"):
                scale = max(np.abs(sb[var]).max(), 1e-30)
                assert np.max(np.abs(sb[var] - sj[var])) <= 1e-9 * scale, (run, pop, var)


def same_results(a: sp.Results, b: sp.Results) -> list[str]:
    """What differs between two results of one network (empty: bit-for-bit equal)."""
    bad = [f"spikes {k}" for k in a.spikes
           if not (np.array_equal(a.spikes[k].indices, b.spikes[k].indices)
                   and np.array_equal(a.spikes[k].times, b.spikes[k].times))]
    bad += [f"weights {k}" for k in a.weights
            if not np.array_equal(a.weights[k].values, b.weights[k].values)]
    bad += [f"state {k}.{v}" for k in a.states for v in ("v", "ge")
            if not np.array_equal(a.states[k][v], b.states[k][v])]
    return bad


@pytest.mark.brian2
def test_random_network_matches_brian2(tmp_path):
    check_against_brian2(1, 2, tmp_path)  # one Brian2 compile: 20–30 s


@pytest.mark.slow
@pytest.mark.brian2
@pytest.mark.parametrize("seed", range(2, 6))
def test_more_random_networks_match_brian2(seed, tmp_path):
    check_against_brian2(seed, 4, tmp_path)  # 40–90 s each


def test_sharded_sweep_of_a_random_network_equals_its_single_runs():
    """The vmapped step (what accelerators run), sharded over four CPU devices: its spike
    loops run to the busiest variant's count, its monitors and STDP update masked; each
    variant must still equal its own single run, bit for bit in float64."""
    script = textwrap.dedent(f"""
        import dataclasses, json, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import jax, spikeplast as sp
        from spikeplast import ms
        from test_random_networks import random_network, same_results
        assert len(jax.devices()) == 4
        net = random_network(11, parts=3)
        taus = [10 * ms, 14 * ms, 18 * ms, 25 * ms, 30 * ms]
        batch = sp.sweep(net, {{"ap0.tau_m": taus}}, 200 * ms, dtype="float64",
                         freeze_inputs=True, shard=True)
        bad, counts = [], []
        for k, tau in enumerate(taus):
            variant = net.replace(populations=tuple(
                dataclasses.replace(p, tau_m=tau) if p.name == "ap0" else p
                for p in net.populations))
            single = sp.simulate(variant, 200 * ms, dtype="float64", freeze_inputs=True)
            bad += [(k, d) for d in same_results(batch[k], single)]
            counts.append(len(single.spikes["ap0"]))
        print(json.dumps({{"bad": bad, "counts": counts,
                           "devices": batch[0].metadata["batch"]["devices"]}}))
    """)
    res = run_on_cpu_devices(script)
    assert res["devices"] == 4
    assert res["bad"] == []
    assert len(set(res["counts"])) > 1, "the variants must really differ"
