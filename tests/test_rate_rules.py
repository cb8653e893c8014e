"""Rate rules (Oja, Sanger) against a step-by-step NumPy reference of RULES.md, and their
convergence to the principal components, on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BACKENDS

import spikeplast as sp

RNG = np.random.default_rng(3)
N_IN, N_SAMPLES = 20, 2500
EIG = np.array([16.0, 8.0, 4.0, 2.0] + [0.1] * (N_IN - 4))
Q = np.linalg.qr(RNG.normal(size=(N_IN, N_IN)))[0]  # columns: the principal directions
X = RNG.normal(size=(N_SAMPLES, N_IN)) * np.sqrt(EIG) @ Q.T
W0 = {"oja": RNG.uniform(-0.1, 0.1, (1, N_IN)), "sanger": RNG.uniform(-0.1, 0.1, (4, N_IN))}
RULES = {"oja_norm": ("oja", True), "oja_raw": ("oja", False), "sanger_norm": ("sanger", True),
         "sanger_raw": ("sanger", False)}
LR = 0.002


def reference(kind, normalize, patterns, lr=LR):
    """RULES.md, one input vector at a time."""
    W = W0[kind].copy()
    for x in patterns:
        y = W @ x
        if kind == "oja":
            W = W + lr * (np.outer(y, x) - np.diag(y ** 2) @ W)
        else:
            W = W + lr * (np.outer(y, x) - np.tril(np.outer(y, y)) @ W)
        if normalize:
            norm = np.linalg.norm(W, axis=1, keepdims=True)
            W = np.where(norm >= 1e-10, W / np.where(norm > 0, norm, 1), W)
    return W


def network(epochs=1, order="in_order", lr_oja=LR, lr_sanger=LR):
    pops = [sp.RatePatterns(name="data", patterns=X, order=order, epochs=epochs)]
    projs, mons = [], []
    for name, (kind, normalize) in RULES.items():
        pops.append(sp.RatePopulation(name=name, n=W0[kind].shape[0]))
        lr = lr_oja if kind == "oja" else lr_sanger
        rule = (sp.Oja if kind == "oja" else sp.Sanger)(learning_rate=lr, normalize=normalize)
        projs.append(sp.Projection(name=f"W_{name}", source="data", target=name, port="input",
                                   connectivity=sp.AllToAll(), weight=W0[kind].T.ravel(),
                                   plasticity=rule))
        mons.append(sp.WeightMonitor(projection=f"W_{name}", every=100))
    return sp.Network(name="pca", populations=tuple(pops), projections=tuple(projs),
                      monitors=tuple(mons), seed=5)


def final(res, net, name):
    q = sp.lower(net).projections[f"W_{name}"]
    W = np.zeros((q.n_post, q.n_pre))
    W[q.j, q.i] = res.weights[f"W_{name}"].values[-1]
    return W


@pytest.fixture(scope="module", params=BACKENDS)
def run(request):
    net = network()
    opts = {"dtype": "float64"} if request.param == "jax" else {}
    res = sp.simulate(net, (N_SAMPLES + 1) * 0.1 * sp.ms, backend=request.param, **opts)
    return net, res


@pytest.mark.parametrize("name", list(RULES))
def test_rule_equals_the_step_by_step_reference(run, name):
    net, res = run
    kind, normalize = RULES[name]
    ref = reference(kind, normalize, X)
    assert np.max(np.abs(final(res, net, name) - ref)) < 1e-10
    assert np.max(np.abs(ref - W0[kind])) > 0.1  # the rule moved the weights


def angle(u, v):
    return np.degrees(np.arccos(min(1.0, abs(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v)))))


def test_oja_and_sanger_converge_to_the_principal_components():
    """Shuffled presentations, 20 passes over 2500 samples, η = 5e-5 (Oja) and 1e-4 (Sanger),
    JAX float32; the targets are the eigenvectors of the data's covariance."""
    net = network(epochs=20, order="shuffled", lr_oja=5e-5, lr_sanger=1e-4)
    res = sp.simulate(net, (20 * N_SAMPLES + 1) * 0.1 * sp.ms)
    _, vecs = np.linalg.eigh(np.cov(X.T, bias=True))
    pcs = vecs[:, ::-1]
    assert angle(final(res, net, "oja_norm")[0], pcs[:, 0]) < 2.0
    W = final(res, net, "sanger_raw")
    for k in range(4):
        assert angle(W[k], pcs[:, k]) < 5.0, (k, angle(W[k], pcs[:, k]))
    assert np.linalg.norm(W @ W.T - np.eye(4)) < 0.05


@pytest.mark.brian2
def test_new_patterns_reuse_the_brian2_binary(tmp_path):
    """The presented patterns are run-time values (TimedArray run_args), not structure."""
    net = network()
    a = sp.simulate(net, 101 * 0.1 * sp.ms, backend="brian2", cache_dir=tmp_path)
    other = net.replace(populations=(sp.RatePatterns(name="data", patterns=-X),)
                        + net.populations[1:])
    b = sp.simulate(other, 101 * 0.1 * sp.ms, backend="brian2", cache_dir=tmp_path)
    j = sp.simulate(other, 101 * 0.1 * sp.ms, dtype="float64")
    assert b.metadata["timings"]["compile"] == 0 < a.metadata["timings"]["compile"]
    for name in RULES:
        assert np.allclose(b.weights[f"W_{name}"].values, j.weights[f"W_{name}"].values,
                           rtol=0, atol=1e-10)


def test_pattern_rows_gathered_per_chunk_equal_rows_looked_up_per_step():
    """The JAX backend hands each step its pattern row as a scan input gathered once per
    chunk, unless a chunk of rows would exceed 2^24 values, when the step looks the row up
    itself. Oracle: the two paths (9000-step chunks of 2000-wide patterns, against
    1000-step chunks) give the same weights bit for bit in float64."""
    x = np.random.default_rng(3).normal(size=(40, 2000)) * 0.1
    net = sp.Network(
        name="rows", seed=1,
        populations=(sp.RatePatterns(name="data", patterns=x, order="shuffled", epochs=225),
                     sp.RatePopulation(name="out", n=2)),
        projections=(sp.Projection(name="W", source="data", target="out", port="input",
                                   connectivity=sp.AllToAll(), weight=sp.Uniform(0.0, 0.01),
                                   plasticity=sp.Oja(learning_rate=1e-3)),))
    duration = 9000 * net.dt * sp.second
    per_step = sp.simulate(net, duration, dtype="float64", chunk_steps=9000)
    per_chunk = sp.simulate(net, duration, dtype="float64", chunk_steps=1000)
    w = per_chunk.final_state["W/w"]
    assert np.array_equal(per_step.final_state["W/w"], w)
    assert np.array_equal(per_step.final_state["out/y"], per_chunk.final_state["out/y"])
    assert not np.allclose(w, sp.lower(net).projections["W"].w)  # it learned
