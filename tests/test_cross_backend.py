"""The same spec on Brian2 (C++ standalone) and JAX: identical spikes, same synapses."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import spikeplast as sp
from spikeplast import Hz, ms, mV, nS, pF

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
import cuba  # noqa: E402

pytestmark = pytest.mark.brian2


def small_network(kind: str, method: str | None = None, seed: int = 2) -> sp.Network:
    """~200 recurrent LIF neurons with delays, refractoriness and frozen Poisson drive."""
    if kind == "current":
        ports = (sp.CurrentPort(name="ge", tau=5 * ms), sp.CurrentPort(name="gi", tau=10 * ms))
        we, wi, w_in, extra = 0.8 * mV, -4 * mV, 4 * mV, {}
    else:
        ports = (sp.ConductancePort(name="ge", tau=5 * ms, e_rev=0 * mV),
                 sp.ConductancePort(name="gi", tau=10 * ms, e_rev=-80 * mV))
        we, wi, w_in, extra = 1 * nS, 15 * nS, 1.5 * nS, {"c_m": 200 * pF}

    def group(name, n):
        return sp.LIF(name=name, n=n, tau_m=20 * ms, v_rest=-60 * mV, v_reset=-65 * mV,
                      v_th=-50 * mV, t_ref=2.5 * ms,
                      ports=ports, method=method, init={"v": sp.Uniform(-65 * mV, -50 * mV)},
                      **extra)

    noise = sp.PoissonInput(name="noise", n=100, rate=40 * Hz)
    projs = [sp.Projection(name=f"in_{tgt}", source="noise", target=tgt, port="ge",
                           connectivity=sp.FixedProbability(p=0.2), weight=w_in)
             for tgt in ("exc", "inh")]
    for src, w in (("exc", we), ("inh", wi)):
        for tgt in ("exc", "inh"):
            projs.append(sp.Projection(
                name=f"{src}_{tgt}", source=src, target=tgt, port="ge" if src == "exc" else "gi",
                connectivity=sp.FixedProbability(p=0.1, allow_self=False), weight=w,
                delay=sp.Uniform(0 * ms, 3 * ms)))
    mons = (sp.SpikeMonitor(population="exc"), sp.SpikeMonitor(population="inh"),
            sp.StateMonitor(population="exc", variables=("v", "ge", "gi"), indices=[0, 5, 9],
                            every=3))
    return sp.Network(name=f"small_{kind}", seed=seed, populations=(noise, group("exc", 160),
                      group("inh", 40)), projections=tuple(projs), monitors=mons)


CASES = [("current", "exact"), ("current", "euler"), ("conductance", "euler"),
         ("conductance", "exponential_euler")]


@pytest.mark.parametrize("kind, method", CASES, ids=[f"{k}-{m}" for k, m in CASES])
def test_deterministic_network_gives_identical_spikes(kind, method):
    net = small_network(kind, method)
    b = sp.simulate(net, 500 * ms, backend="brian2", freeze_inputs=True)
    j = sp.simulate(net, 500 * ms, backend="jax", freeze_inputs=True, dtype="float64")
    for pop in ("exc", "inh"):
        assert len(b.spikes[pop]) > 100, "the network must be active for the test to mean much"
        assert np.array_equal(b.spikes[pop].indices, j.spikes[pop].indices), pop
        assert np.array_equal(b.spikes[pop].times, j.spikes[pop].times), pop
    sb, sj = b.states["exc"], j.states["exc"]
    assert np.array_equal(sb.times, sj.times)
    for var, scale in (("v", 0.07), ("ge", None), ("gi", None)):
        scale = scale or max(np.abs(sb[var]).max(), 1e-30)
        # both integrate the same formulas in float64: agreement to rounding (many eps)
        assert np.max(np.abs(sb[var] - sj[var])) <= 1e4 * np.finfo(float).eps * scale, var


def test_cuba_population_rates_agree_within_five_percent():
    net = cuba.build()
    b = sp.simulate(net, 1 * sp.second, backend="brian2")
    j = sp.simulate(net, 1 * sp.second, backend="jax")  # float32
    for pop in ("exc", "inh"):
        rb, rj = b.spikes[pop].mean_rate(1.0), j.spikes[pop].mean_rate(1.0)
        assert 2 < rb < 20
        assert abs(rj - rb) / rb < 0.05, (pop, rb, rj)


def every_connectivity_network() -> sp.Network:
    pre = sp.LIF(name="pre", n=30, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                 v_th=-50 * mV, ports=(sp.CurrentPort(name="ge", tau=5 * ms),))
    post = sp.LIF(name="post", n=40, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                  v_th=-50 * mV, ports=(sp.CurrentPort(name="ge", tau=5 * ms),))
    rng = np.random.default_rng(1)
    dense = rng.random((40, 30)) * (rng.random((40, 30)) < 0.2)
    kinds = {
        "all": sp.AllToAll(), "one": sp.OneToOne(), "prob": sp.FixedProbability(p=0.2),
        "indeg": sp.FixedInDegree(k=5), "outdeg": sp.FixedOutDegree(k=7),
        "explicit": sp.FromIndices(i=[0, 3, 3, 29], j=[1, 1, 39, 0]),
        "dense": sp.DenseMatrix(weights=dense * mV),
        "noself": sp.FixedProbability(p=0.5, allow_self=False),
    }
    projs = tuple(sp.Projection(name=k, source="pre",
                                target="pre" if k in ("one", "noself") else "post", port="ge",
                                connectivity=c, weight=None if k == "dense" else 1 * mV)
                  for k, c in kinds.items())
    return sp.Network(populations=(pre, post), projections=projs, seed=4)


def test_every_connectivity_kind_gives_the_same_synapses_on_both_backends():
    plan = sp.lower(every_connectivity_network())
    n_steps = 10
    bsim = sp.build(plan, backend="brian2")
    bsim.run(n_steps)
    jsim = sp.build(plan, backend="jax")
    jsim.run(n_steps)
    b, j = bsim.connectivity(), jsim.connectivity()
    for name, q in plan.projections.items():
        expected = set(zip(q.i.tolist(), q.j.tolist()))
        assert set(zip(*[a.tolist() for a in b[name]])) == expected, name
        assert set(zip(*[a.tolist() for a in j[name]])) == expected, name
        assert b[name][0].size == j[name][0].size == q.n_synapses, name


def test_structure_cache_reuses_the_binary_for_new_values_and_rebuilds_new_structures(tmp_path):
    net = small_network("current", "exact")
    r1 = sp.simulate(net, 50 * ms, backend="brian2", cache_dir=tmp_path)
    binaries = list(tmp_path.glob("*/main"))
    assert len(binaries) == 1
    stamp = binaries[0].stat().st_mtime_ns
    # new weights, time constants and initial values: same structure
    changed = net.replace(populations=tuple(
        p.__class__(**{**{f: getattr(p, f) for f in p.__dataclass_fields__},
                       "tau_m": 15 * ms}) if isinstance(p, sp.LIF) else p
        for p in net.populations))
    r2 = sp.simulate(changed, 50 * ms, backend="brian2", cache_dir=tmp_path)
    assert r2.metadata["timings"]["compile"] == 0.0 < r1.metadata["timings"]["compile"]
    assert list(tmp_path.glob("*/main")) == binaries
    assert binaries[0].stat().st_mtime_ns == stamp
    assert len(r2.spikes["exc"]) != len(r1.spikes["exc"])  # the new values were used
    # a new structure (one more monitor) is a new project
    more = net.replace(monitors=net.monitors + (sp.SpikeMonitor(population="noise"),))
    r3 = sp.simulate(more, 50 * ms, backend="brian2", cache_dir=tmp_path)
    assert r3.metadata["timings"]["compile"] > 0
    assert len(list(tmp_path.glob("*/main"))) == 2


def stdp_network(pairing="all_to_all", dependence="additive", delay=0 * ms):
    """100 Poisson inputs → 10 conductance-based LIF with STDP (frozen inputs)."""
    gmax = 2 * nS
    inputs = sp.PoissonInput(name="inputs", n=100, rate=20 * Hz)
    neurons = sp.LIF(name="neurons", n=10, tau_m=20 * ms, c_m=200 * pF, v_rest=-70 * mV,
                     v_reset=-60 * mV, v_th=-54 * mV, t_ref=2 * ms, method="euler",
                     ports=(sp.ConductancePort(name="ge", tau=5 * ms, e_rev=0 * mV),),
                     init={"v": sp.Uniform(-70 * mV, -55 * mV)})
    rule = sp.STDP(a_plus=0.01 * gmax, a_minus=-0.0105 * gmax, w_max=gmax, pairing=pairing,
                   dependence=dependence)
    return sp.Network(name="stdp_small", seed=3, populations=(inputs, neurons), projections=(
        sp.Projection(name="syn", source="inputs", target="neurons", port="ge",
                      connectivity=sp.FixedProbability(p=0.8),
                      weight=sp.Uniform(0.5 * gmax, 1.0 * gmax), plasticity=rule,
                      delay=delay),),
        monitors=(sp.SpikeMonitor(population="neurons"),
                  sp.WeightMonitor(projection="syn", every=1000)))


@pytest.mark.parametrize("pairing, dependence, delay", [
    ("all_to_all", "additive", 0 * ms), ("nearest", "multiplicative", 0 * ms),
    ("all_to_all", "additive", sp.Uniform(0 * ms, 2 * ms))], ids=["add", "mult", "delays"])
def test_stdp_network_gives_the_same_spikes_and_weights(pairing, dependence, delay):
    net = stdp_network(pairing, dependence, delay)
    b = sp.simulate(net, 1 * sp.second, backend="brian2", freeze_inputs=True)
    j = sp.simulate(net, 1 * sp.second, backend="jax", freeze_inputs=True, dtype="float64")
    sb, sj = b.spikes["neurons"], j.spikes["neurons"]
    assert len(sb) > 50
    assert np.array_equal(sb.indices, sj.indices) and np.array_equal(sb.times, sj.times)
    wb, wj = b.weights["syn"].values, j.weights["syn"].values
    assert wb.shape == wj.shape and wb.shape[0] == 10
    assert np.max(np.abs(wb - wj)) <= 1e-9 * 2e-9  # 1e-9 · w_max
    assert np.max(np.abs(wb[-1] - wb[0])) > 1e-11  # the weights did learn


def test_equal_and_unequal_delays_are_different_brian2_structures(tmp_path):
    """Brian2 compiles a homogeneous-delay queue when all delays are equal; the cache must
    not reuse that binary for unequal delays (found by the delayed STDP test)."""
    equal = stdp_network(delay=1 * ms)
    unequal = stdp_network(delay=sp.Uniform(0 * ms, 2 * ms))
    a = sp.simulate(equal, 50 * ms, backend="brian2", freeze_inputs=True, cache_dir=tmp_path)
    b = sp.simulate(unequal, 50 * ms, backend="brian2", freeze_inputs=True, cache_dir=tmp_path)
    j = sp.simulate(unequal, 50 * ms, backend="jax", freeze_inputs=True, dtype="float64")
    assert b.metadata["timings"]["compile"] > 0
    assert np.array_equal(b.spikes["neurons"].times, j.spikes["neurons"].times)
    assert not np.array_equal(a.spikes["neurons"].times, b.spikes["neurons"].times)
