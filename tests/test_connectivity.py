"""Connectivity drawn by lowering: counts and exact constraints of every kind."""

from __future__ import annotations

import numpy as np
import pytest

import spikeplast as sp
from spikeplast import Hz, ms, mV


def network(conn, n_pre=200, n_post=300, same=False, weight=1 * mV, delay=0 * ms, seed=3):
    pre = sp.LIF(name="pre", n=n_pre, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                 v_th=-50 * mV, ports=(sp.CurrentPort(name="ge", tau=5 * ms),))
    post = sp.LIF(name="post", n=n_post, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                  v_th=-50 * mV, ports=(sp.CurrentPort(name="ge", tau=5 * ms),))
    proj = sp.Projection(name="p", source="pre", target="pre" if same else "post", port="ge",
                         connectivity=conn, weight=weight, delay=delay)
    return sp.Network(populations=(pre, post), projections=(proj,), seed=seed)


def synapses(net):
    q = sp.lower(net).projections["p"]
    return q


def test_fixed_probability_count_within_three_sigma():
    p = 0.05
    q = synapses(network(sp.FixedProbability(p=p)))
    total = 200 * 300
    assert abs(q.n_synapses - p * total) < 3 * np.sqrt(total * p * (1 - p))
    # no duplicate pairs
    assert np.unique(q.i * 300 + q.j).size == q.n_synapses


def test_fixed_probability_is_uniform_over_pairs():
    q = synapses(network(sp.FixedProbability(p=0.2)))
    # every target gets Binomial(200, 0.2): mean 40, var 32
    indeg = np.bincount(q.j, minlength=300)
    assert abs(indeg.mean() - 40) < 3 * np.sqrt(32 / 300)
    assert 0.7 * 32 < indeg.var() < 1.3 * 32


def test_fixed_in_degree_is_exact_and_distinct():
    q = synapses(network(sp.FixedInDegree(k=17)))
    assert np.all(np.bincount(q.j, minlength=300) == 17)
    assert np.unique(q.i * 300 + q.j).size == q.n_synapses


def test_fixed_out_degree_is_exact_and_distinct():
    q = synapses(network(sp.FixedOutDegree(k=9)))
    assert np.all(np.bincount(q.i, minlength=200) == 9)
    assert np.unique(q.i * 300 + q.j).size == q.n_synapses


@pytest.mark.parametrize("conn", [sp.FixedProbability(p=0.3, allow_self=False),
                                  sp.FixedInDegree(k=199, allow_self=False),
                                  sp.FixedOutDegree(k=50, allow_self=False),
                                  sp.AllToAll(allow_self=False)])
def test_no_self_connections_when_excluded(conn):
    q = synapses(network(conn, same=True))
    assert q.n_synapses > 0 and not np.any(q.i == q.j)


def test_self_connections_allowed_by_default():
    q = synapses(network(sp.FixedProbability(p=0.5), same=True))
    assert np.any(q.i == q.j)


def test_all_to_all_and_one_to_one():
    q = synapses(network(sp.AllToAll()))
    assert q.n_synapses == 200 * 300
    q = synapses(network(sp.OneToOne(), n_post=200))
    assert np.array_equal(q.i, np.arange(200)) and np.array_equal(q.j, np.arange(200))


def test_explicit_indices_keep_order_and_per_synapse_values():
    i, j = np.array([5, 0, 5]), np.array([1, 2, 299])
    q = synapses(network(sp.FromIndices(i=i, j=j), weight=np.array([1.0, 2.0, 3.0]) * mV,
                         delay=np.array([0.0, 0.2, 0.5]) * ms))
    assert np.array_equal(q.i, i) and np.array_equal(q.j, j)
    assert np.allclose(q.w, [1e-3, 2e-3, 3e-3])
    assert np.array_equal(q.delay_steps, [0, 2, 5])


def test_dense_matrix_gives_synapses_at_nonzero_entries_with_their_weights():
    rng = np.random.default_rng(0)
    w = rng.random((300, 200)) * (rng.random((300, 200)) < 0.1)
    q = synapses(network(sp.DenseMatrix(weights=w * mV), weight=None))
    assert q.n_synapses == np.count_nonzero(w)
    assert np.allclose(q.w, w[q.j, q.i] * 1e-3)


def test_distributions_are_seeded_and_reproducible():
    a = synapses(network(sp.FixedProbability(p=0.1), weight=sp.Normal(1 * mV, 0.1 * mV)))
    b = synapses(network(sp.FixedProbability(p=0.1), weight=sp.Normal(1 * mV, 0.1 * mV)))
    c = synapses(network(sp.FixedProbability(p=0.1), weight=sp.Normal(1 * mV, 0.1 * mV),
                         seed=4))
    assert np.array_equal(a.w, b.w) and np.array_equal(a.i, b.i)
    assert not np.array_equal(a.i, c.i)
    assert abs(a.w.mean() - 1e-3) < 3 * 1e-4 / np.sqrt(a.n_synapses)


def test_drawn_delays_are_rounded_to_whole_steps():
    q = synapses(network(sp.FixedProbability(p=0.1), delay=sp.Uniform(0 * ms, 2 * ms)))
    assert q.delay_steps.min() >= 0 and q.delay_steps.max() <= 20
    assert len(np.unique(q.delay_steps)) > 15


def test_adding_a_population_does_not_change_other_draws():
    net = network(sp.FixedProbability(p=0.1))
    extra = net.replace(populations=(sp.PoissonInput(name="noise", n=5, rate=1 * Hz),)
                        + net.populations)
    a, b = sp.lower(net).projections["p"], sp.lower(extra).projections["p"]
    assert np.array_equal(a.i, b.i) and np.array_equal(a.j, b.j)


@pytest.mark.parametrize("backend,delayed", [("jax", False), ("jax", True), ("brian2", True)])
def test_explicit_synapses_in_any_order_deliver_their_own_weight_and_delay(backend, delayed):
    """Synapses listed out of source order, each with its own weight (and delay), next to a
    second projection from the same source into the same port. Oracle: the port of every
    target is the sum of exponential jumps, one per synapse, w·exp(−(t − t_a)/τ) from the
    first recorded step after its arrival step (spike step + delay)."""
    tau, dt = 5e-3, 1e-4
    kick = sp.SpikeTrainInput(name="kick", n=3, indices=[0, 1, 2], times=[1, 2, 3] * ms)
    post = sp.LIF(name="post", n=4, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                  v_th=0 * mV, ports=(sp.CurrentPort(name="ge", tau=tau * 1e3 * ms),))
    i, j = np.array([2, 0, 1, 0, 2, 1]), np.array([0, 3, 1, 0, 3, 2])
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) * 1e-4
    d = np.array([3, 0, 5, 2, 1, 7]) if delayed else np.zeros(6, int)
    i2, j2, w2 = np.array([0, 2]), np.array([1, 1]), np.array([7e-4, 8e-4])
    net = sp.Network(seed=1, populations=(kick, post), projections=(
        sp.Projection(name="p", source="kick", target="post", port="ge",
                      connectivity=sp.FromIndices(i=i, j=j), weight=w * 1e3 * mV,
                      delay=d * dt * 1e3 * ms),
        sp.Projection(name="q", source="kick", target="post", port="ge",
                      connectivity=sp.FromIndices(i=i2, j=j2), weight=w2 * 1e3 * mV)),
        monitors=(sp.StateMonitor(population="post", variables=("ge",)),))
    opts = {"dtype": "float64"} if backend == "jax" else {}
    st = sp.simulate(net, 5 * ms, backend=backend, **opts).states["post"]
    spike_step = np.array([10, 20, 30])
    want = np.zeros_like(st["ge"])
    for src, tgt, weight, delay in zip(np.r_[i, i2], np.r_[j, j2], np.r_[w, w2],
                                       np.r_[d, 0, 0]):
        t_a = (spike_step[src] + delay + 1) * dt
        later = st.times >= t_a - 1e-12
        want[later, tgt] += weight * np.exp(-(st.times[later] - t_a) / tau)
    assert np.count_nonzero(want[-1]) == 4
    assert np.allclose(st["ge"], want, rtol=0, atol=1e-9 * 1e-4)


@pytest.mark.parametrize("backend,later", [("jax", None), ("jax", 4), ("brian2", 4)])
def test_simultaneous_spikes_arrive_at_their_step_with_and_without_delay(backend, later):
    """Two identical neurons spike in the same step onto themselves, undelayed into one port
    and (``later``) 4 steps later into another; a spike train kicks the second port 2 steps
    after its own spike. The JAX backend then keeps a ring buffer of future input and
    delivers two spikes in one step. Oracle: each port is a sum of exponential jumps, each
    from the first recorded step after its arrival step (spike step + delay), and the spike
    step is the closed-form first passage. (Without ``later`` and with a ring of 3 slots,
    XLA:CPU's copy insertion with region analysis once compiled the delivery loop to read
    the next step's index: every undelayed arrival one step late.)"""
    tau_e, tau_i, dt, w_e, w_i, w_k = 5e-3, 10e-3, 1e-4, 1e-3, 5e-4, 2e-4
    pair = sp.LIF(name="pair", n=2, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                  v_th=-50 * mV, t_ref=50 * ms, drive=20 * mV,
                  ports=(sp.CurrentPort(name="ge", tau=tau_e * 1e3 * ms),
                         sp.CurrentPort(name="gi", tau=tau_i * 1e3 * ms)))
    kick = sp.SpikeTrainInput(name="kick", n=1, indices=[0], times=[30] * ms)
    projs = [sp.Projection(name="now", source="pair", target="pair", port="ge",
                           connectivity=sp.OneToOne(), weight=w_e * 1e3 * mV),
             sp.Projection(name="kicked", source="kick", target="pair", port="gi",
                           connectivity=sp.AllToAll(), weight=w_k * 1e3 * mV, delay=0.2 * ms)]
    if later is not None:
        projs.append(sp.Projection(name="later", source="pair", target="pair", port="gi",
                                   connectivity=sp.AllToAll(), weight=w_i * 1e3 * mV,
                                   delay=later * dt * 1e3 * ms))
    net = sp.Network(seed=1, populations=(pair, kick), projections=tuple(projs),
                     monitors=(sp.SpikeMonitor(population="pair"),
                               sp.StateMonitor(population="pair", variables=("ge", "gi"))))
    opts = {"dtype": "float64"} if backend == "jax" else {}
    res = sp.simulate(net, 35 * ms, backend=backend, **opts)
    spikes, st = res.spikes["pair"], res.states["pair"]
    t_star = 20e-3 * np.log(20 / (20 - 15))  # first passage of v to threshold
    assert len(spikes) == 2 and spikes.times[0] == spikes.times[1]
    assert t_star - dt <= spikes.times[0] < t_star + 1e-12
    step = round(spikes.times[0] / dt)
    gi = [(300 + 2, w_k)] + ([(step + later, 2 * w_i)] if later is not None else [])
    for var, jumps, tau in (("ge", [(step, w_e)], tau_e), ("gi", gi, tau_i)):
        want = np.zeros(st.times.size)
        for arrival, w in jumps:
            t_a = (arrival + 1) * dt
            want += np.where(st.times >= t_a - 1e-12, w * np.exp(-(st.times - t_a) / tau), 0)
        assert np.count_nonzero(want) > 40
        assert np.allclose(st[var], want[:, None], rtol=0, atol=1e-9 * w_e), var
