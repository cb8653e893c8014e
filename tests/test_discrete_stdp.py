"""canns's STDPTrainer (seed 002) reproduced step for step, on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BACKENDS

import spikeplast as sp
from spikeplast import ms

N_IN, N_OUT, T = 20, 5, 1000
RNG = np.random.default_rng(0)
X = RNG.random((T, N_IN)) < 0.3  # random binary input, one vector per step
W0 = RNG.uniform(0, 0.4, (N_OUT, N_IN))


def reference(dtype=np.float64, lr=0.01, a_plus=0.005, a_minus=0.00525, decay=0.95,
              leak=0.9, threshold=1.0, v_reset=0.0, w_min=0.0, w_max=1.0):
    """RULES.md's discrete STDP, written out step by step (independent of spikeplast)."""
    f = np.dtype(dtype).type
    W, tp, tq, v = W0.astype(dtype), np.zeros(N_IN, dtype), np.zeros(N_OUT, dtype), \
        np.zeros(N_OUT, dtype)
    spikes = []
    for t in range(T):
        x = X[t].astype(dtype)
        tp = f(decay) * tp + x                      # 1. presynaptic trace
        v = f(leak) * v + W @ x                     # 2. W from before this step
        s = (v >= threshold).astype(dtype)          # 3. spikes, reset
        v = np.where(s > 0, f(v_reset), v)
        tq = f(decay) * tq + s                      # 4. postsynaptic trace
        ltp = f(a_plus) * np.outer(s, tp)           # 5. update and clip
        ltd = f(a_minus) * np.outer(tq, x)
        W = np.clip(W + f(lr) * (ltp - ltd), w_min, w_max)
        spikes += [(t, i) for i in np.nonzero(s)[0]]
    return W, spikes


def network(rule=None):
    steps, idx = np.nonzero(X)
    return sp.Network(
        name="discrete_stdp",
        populations=(sp.SpikeTrainInput(name="inp", n=N_IN, indices=idx, times=steps * 0.1 * ms),
                     sp.DiscreteLIF(name="layer", n=N_OUT)),
        projections=(sp.Projection(name="W", source="inp", target="layer", port="input",
                                   connectivity=sp.AllToAll(), weight=W0.T.ravel(),
                                   plasticity=rule or sp.DiscreteSTDP()),),
        monitors=(sp.SpikeMonitor(population="layer"),
                  sp.WeightMonitor(projection="W", every=T)))


def final_matrix(res, net):
    q = sp.lower(net).projections["W"]
    W = np.zeros((N_OUT, N_IN))
    W[q.j, q.i] = res.weights["W"].values[-1]  # recorded at the start of step T
    return W


@pytest.mark.parametrize("backend, dtype", [(b, d) for b in BACKENDS for d in
                                            (("float32", "float64") if b == "jax" else
                                             ("float64",))])
def test_discrete_stdp_equals_the_step_by_step_reference(backend, dtype):
    net = network()
    opts = {"dtype": dtype} if backend == "jax" else {}
    res = sp.simulate(net, (T + 1) * 0.1 * ms, backend=backend, **opts)
    W_ref, spikes_ref = reference(np.float32 if dtype == "float32" else np.float64)
    s = res.spikes["layer"]
    got = sorted(zip(np.rint(s.times / 1e-4).astype(int).tolist(), s.indices.tolist()))
    assert got == sorted(spikes_ref)
    assert len(got) > 100
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert np.max(np.abs(final_matrix(res, net) - W_ref)) < tol
    assert np.max(np.abs(W_ref - W0)) > 1e-3  # the rule really changed the weights


def test_coincident_pair_changes_w_by_lr_times_a_plus_minus_a_minus():
    # one input spiking at step 0 into a neuron whose weight alone crosses threshold
    net = sp.Network(populations=(
        sp.SpikeTrainInput(name="inp", n=1, indices=[0], times=[0] * ms),
        sp.DiscreteLIF(name="layer", n=1)), projections=(
        sp.Projection(name="W", source="inp", target="layer", port="input",
                      connectivity=sp.AllToAll(), weight=0.5, plasticity=sp.DiscreteSTDP(
                          learning_rate=1.0, a_plus=0.1, a_minus=0.04)),),
        monitors=(sp.WeightMonitor(projection="W"), sp.SpikeMonitor(population="layer")))
    net = net.replace(populations=(net.populations[0],
                                   sp.DiscreteLIF(name="layer", n=1, threshold=0.4)))
    res = sp.simulate(net, 0.3 * ms, dtype="float64")
    assert res.spikes["layer"].times.tolist() == [0.0]
    assert res.weights["W"].values[1, 0] == pytest.approx(0.5 + 0.1 - 0.04, abs=1e-12)


def test_discrete_rules_are_validated():
    with pytest.raises(sp.SpecError, match="trace_decay = 1.5"):
        sp.DiscreteSTDP(trace_decay=1.5)
    with pytest.raises(sp.SpecError, match="DiscreteSTDP needs AllToAll"):
        steps, idx = np.nonzero(X)
        sp.Network(populations=(
            sp.SpikeTrainInput(name="inp", n=N_IN, indices=idx, times=steps * 0.1 * ms),
            sp.DiscreteLIF(name="layer", n=N_OUT)), projections=(
            sp.Projection(name="W", source="inp", target="layer", port="input",
                          connectivity=sp.OneToOne(), weight=0.1,
                          plasticity=sp.DiscreteSTDP()),))
