"""BCM in both published forms: the step-by-step reference of RULES.md on every backend,
and the selectivity BCM is known for."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BACKENDS

import spikeplast as sp

K, D, N_UPDATES = 4, 20, 1000
PATTERNS = np.zeros((K, D))
for _k in range(K):
    PATTERNS[_k, 5 * _k:5 * _k + 5] = 1.0  # one block of five active inputs per pattern
W0 = np.random.default_rng(1).uniform(0.0, 0.2, (K, D))  # positive initial weights
DISCRETE = dict(learning_rate=0.002, threshold_tau=10.0, theta0=0.1)
ODE = dict(tau_w=20.0, tau_theta=5.0, dt=1.0, theta0=1.0, w_bound=1.0, w_decay=0.001)


def reference_bcm(seq, learning_rate, threshold_tau, theta0, w_clip=10.0):
    """canns BCMTrainer (RULES.md): y with the old W, W then θ."""
    W, th = W0.copy(), np.full(K, theta0)
    for u in seq:
        x = PATTERNS[u]
        y = W @ x
        W = np.clip(W + learning_rate * np.outer(y * (y - th), x), -w_clip, w_clip)
        th = th + (y ** 2 - th) * (1.0 / threshold_tau if threshold_tau > 0 else 1.0)
    return W, th


def reference_ode(seq, tau_w, tau_theta, dt, theta0, w_bound, w_decay, resist_scale=1.0):
    """ngc-learn BCMSynapse (RULES.md): divides by the old θ; soft bound; decay; θ ODE."""
    W, th = W0.copy(), np.full(K, theta0)
    for u in seq:
        x = PATTERNS[u]
        y = (W @ x) * resist_scale
        dW = np.outer(y * (y - th) / (th + 1e-7), x)
        if w_bound > 0:
            dW = dW * (w_bound - np.abs(W))
        dW = dW - w_decay * W
        W = W + dW * dt / tau_w
        th = th + (y ** 2 - th) * dt / tau_theta
    return W, th


def network(epochs):
    data = sp.RatePatterns(name="data", patterns=PATTERNS, order="shuffled", epochs=epochs)
    pops, projs, mons = [data], [], []
    for name, rule in (("bcm", sp.BCM(**DISCRETE)), ("ode", sp.BCMODE(**ODE))):
        pops.append(sp.RatePopulation(name=name, n=K))
        projs.append(sp.Projection(name=f"W_{name}", source="data", target=name, port="input",
                                   connectivity=sp.AllToAll(), weight=W0.T.ravel(),
                                   plasticity=rule))
        mons += [sp.WeightMonitor(projection=f"W_{name}", every=epochs * K),
                 sp.StateMonitor(population=name, variables=("theta",), every=epochs * K)]
    return sp.Network(name="bcm", seed=2, populations=tuple(pops), projections=tuple(projs),
                      monitors=tuple(mons))


def final(res, net, name):
    q = sp.lower(net).projections[f"W_{name}"]
    W = np.zeros((q.n_post, q.n_pre))
    W[q.j, q.i] = res.weights[f"W_{name}"].values[-1]
    return W, res.states[name]["theta"][-1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_both_forms_equal_the_step_by_step_reference(backend):
    net = network(epochs=N_UPDATES // K)
    opts = {"dtype": "float64"} if backend == "jax" else {}
    res = sp.simulate(net, (N_UPDATES + 1) * 0.1 * sp.ms, backend=backend, **opts)
    seq = sp.lower(net).populations["data"].sequence
    for name, ref in (("bcm", reference_bcm(seq, **DISCRETE)),
                      ("ode", reference_ode(seq, **ODE))):
        W, th = final(res, net, name)
        assert np.max(np.abs(W - ref[0])) < 1e-9, name
        assert np.max(np.abs(th - ref[1])) < 1e-9, name
        assert np.max(np.abs(ref[0] - W0)) > 0.1  # learning happened


def test_each_unit_becomes_selective_and_stays_bounded():
    net = network(epochs=1000)  # 4000 presentations
    res = sp.simulate(net, (4 * 1000 + 1) * 0.1 * sp.ms, dtype="float64")
    for name in ("bcm", "ode"):
        W, th = final(res, net, name)
        responses = np.sort(W @ PATTERNS.T, axis=1)  # unit × pattern, ascending
        assert np.all(responses[:, -1] > 1.0), name
        assert np.all(responses[:, -1] > 10 * np.abs(responses[:, -2])), (name, responses)
        assert np.max(np.abs(W)) < 2.0 and np.all(np.isfinite(th)) and np.max(th) < 50, name
