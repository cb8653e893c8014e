"""The trainer facade gives what the step-by-step references of RULES.md give: training
twice continues (W and BCM's θ), predictions are W x, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import spikeplast as sp
from spikeplast.train import (
    BCMODETrainer,
    BCMTrainer,
    OjaTrainer,
    OnlineHebbianTrainer,
    SangerTrainer,
)

RNG = np.random.default_rng(11)
X = RNG.normal(size=(300, 8)) * np.array([3.0, 2.0, 1.5, 1.0, 0.5, 0.3, 0.2, 0.1])
W0 = RNG.uniform(-0.1, 0.1, (3, 8))


def normalize(W):
    n = np.linalg.norm(W, axis=1, keepdims=True)
    return np.where(n >= 1e-10, W / np.where(n > 0, n, 1), W)


def reference(kind, W, th, xs, **p):
    """One input at a time, as RULES.md orders each rule."""
    for x in xs:
        y = W @ x
        if kind == "oja":
            W = normalize(W + p["lr"] * (np.outer(y, x) - np.diag(y ** 2) @ W))
        elif kind == "sanger":
            W = normalize(W + p["lr"] * (np.outer(y, x) - np.tril(np.outer(y, y)) @ W))
        elif kind == "online":
            W = W + p["lr"] * np.outer(y, x)
        elif kind == "bcm":
            W = np.clip(W + p["lr"] * np.outer(y * (y - th), x), -10, 10)
            th = th + (y ** 2 - th) / p["tau"]
        else:  # bcmode
            dW = np.outer(y * (y - th) / (th + 1e-7), x) - p["decay"] * W
            W = W + dW / p["tau_w"]
            th = th + (y ** 2 - th) / p["tau_theta"]
    return W, th


CASES = {
    "oja": (lambda **kw: OjaTrainer(3, learning_rate=1e-3, W=W0, **kw), dict(lr=1e-3)),
    "sanger": (lambda **kw: SangerTrainer(3, learning_rate=1e-3, W=W0, **kw), dict(lr=1e-3)),
    "online": (lambda **kw: OnlineHebbianTrainer(3, learning_rate=1e-4, W=W0, **kw),
               dict(lr=1e-4)),
    "bcm": (lambda **kw: BCMTrainer(3, learning_rate=1e-3, threshold_tau=20.0, W=W0, **kw),
            dict(lr=1e-3, tau=20.0)),
    "bcmode": (lambda **kw: BCMODETrainer(3, tau_w=50.0, tau_theta=10.0, w_decay=0.01,
                                          W=W0, **kw),
               dict(tau_w=50.0, tau_theta=10.0, decay=0.01)),
}


# on Brian2 two rules (each rule is one more compile); the others' Brian2 code is compared
# with the references in test_rate_rules, test_bcm and test_mixed
PARAMS = [(k, "jax") for k in CASES] + [
    pytest.param(k, "brian2", marks=pytest.mark.brian2) for k in ("oja", "bcm")]


@pytest.mark.parametrize("kind,backend", PARAMS)
def test_train_twice_and_predict_equal_the_reference(kind, backend):
    make, p = CASES[kind]
    trainer = make(backend=backend)
    trainer.train(X[:150])
    trainer.train(X[150:])
    th0 = {"bcm": 0.1, "bcmode": 1.0}.get(kind, 0.0)
    W, th = reference(kind, W0.copy(), np.full(3, th0), X, **p)
    assert np.max(np.abs(trainer.W - W)) < 1e-10 * max(1.0, np.max(np.abs(W)))
    assert np.max(np.abs(W - W0)) > 1e-3  # it learned
    if kind in ("bcm", "bcmode"):
        assert np.max(np.abs(trainer.theta - th)) < 1e-9 * max(1.0, np.max(np.abs(th)))
    np.testing.assert_allclose(trainer.predict_batch(X[:20]), X[:20] @ trainer.W.T,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trainer.predict(X[3]), trainer.W @ X[3], rtol=1e-12,
                               atol=1e-12)


def test_trainer_input_errors():
    with pytest.raises(sp.SpecError, match="n_out"):
        OjaTrainer(0)
    with pytest.raises(sp.SpecError, match="train first"):
        OjaTrainer(2).predict(np.ones(3))
    t = OjaTrainer(2)
    t.train(np.ones((4, 3)))
    with pytest.raises(sp.SpecError, match="3"):
        t.predict(np.ones(5))
    with pytest.raises(sp.SpecError, match="NaN"):
        t.train(np.full((2, 3), np.nan))


@pytest.mark.parametrize("on_nan", ["raise", "stop"])
def test_a_diverging_training_run_is_an_error_and_keeps_the_weights(on_nan):
    """Oja without normalisation and with a huge rate overflows within a few patterns.
    Either way the trainer raises SimulationError (with on_nan="stop" the run has no end
    state to read weights from) and its W is the one it had before the call."""
    x = np.random.default_rng(0).normal(size=(200, 5)) * 10
    t = OjaTrainer(n_out=1, learning_rate=10.0, normalize_weights=False, on_nan=on_nan)
    t.train(x[:1] * 1e-3)
    before = t.W.copy()
    with pytest.raises(sp.SimulationError, match="NaN or infinite"):
        t.train(x)
    assert np.array_equal(t.W, before)
