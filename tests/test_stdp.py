"""STDP against hand-computed values of the pair rule, on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BACKENDS
from scenarios import (
    A_MINUS,
    A_PLUS,
    BOUNDS,
    STDP_TAU,
    T0,
    TRIPLETS,
    W0,
    W_MAX,
    WINDOW,
    stdp_protocol_network,
)

import spikeplast as sp

TOL = 1e-9 * W_MAX


@pytest.fixture(scope="module", params=BACKENDS)
def res(request):
    opts = {"dtype": "float64"} if request.param == "jax" else {}
    return sp.simulate(stdp_protocol_network(), 300 * sp.ms, backend=request.param, **opts)


def final(res, name):
    return res.weights[f"{name}_syn"].values[-1]


def test_forced_post_spikes_happen_when_planned(res):
    s = res.spikes["window_post"]
    assert np.allclose(np.sort(s.times[np.argsort(s.indices, kind="stable")]),
                       np.sort(T0 + WINDOW), atol=1e-9)


def test_stdp_window_matches_the_exponential_pair_rule(res):
    dw = final(res, "window") - W0
    # pre before post (Δt >= 0, same step included: pre events are processed first)
    expected = np.where(WINDOW >= 0, A_PLUS * np.exp(-np.abs(WINDOW) / STDP_TAU),
                        A_MINUS * np.exp(-np.abs(WINDOW) / STDP_TAU))
    assert np.allclose(dw, expected, rtol=0, atol=TOL), np.c_[WINDOW, dw, expected]


@pytest.mark.parametrize("pairing", ["all_to_all", "nearest"])
def test_triplets_under_each_pairing_scheme(res, pairing):
    dw = final(res, f"triplet_{pairing}") - W0
    e = lambda dt: np.exp(-dt / STDP_TAU)  # noqa: E731
    if pairing == "all_to_all":  # traces add up over every earlier spike
        expected = [A_PLUS * (e(0.010) + e(0.005)), A_MINUS * (e(0.010) + e(0.005))]
    else:  # traces reset: only the nearest earlier spike counts
        expected = [A_PLUS * e(0.005), A_MINUS * e(0.005)]
    assert list(TRIPLETS) == ["pre_pre_post", "post_post_pre"]
    assert np.allclose(dw, expected, rtol=0, atol=TOL), (dw, expected)


def test_multiplicative_dependence_scales_by_distance_to_the_bounds(res):
    w0 = np.array(list(BOUNDS.values()))
    dw = final(res, "soft") - np.tile(w0, 2)
    e5 = np.exp(-0.005 / STDP_TAU)
    pot = A_PLUS * e5 * (W_MAX - w0) / W_MAX
    dep = A_MINUS * e5 * (w0 - 0.0) / W_MAX
    assert np.allclose(dw, np.r_[pot, dep], rtol=0, atol=TOL)


def test_hard_bounds_clip(res):
    assert np.allclose(final(res, "hard"), [W_MAX, 0.0], rtol=0, atol=TOL)


def test_learning_rate_zero_freezes_weights(res):
    assert np.all(res.weights["frozen_syn"].values == W0)


def test_switching_learning_off_recompiles_nothing(tmp_path):
    from scenarios import stdp_protocol_network

    from spikeplast.backends.jax import compile_count

    net = stdp_protocol_network()
    off = net.replace(projections=tuple(
        q if q.plasticity is None else q.__class__(**{
            **{f: getattr(q, f) for f in ("name", "source", "target", "port", "connectivity",
                                          "weight", "delay")},
            "plasticity": q.plasticity.__class__(**{
                **{f: getattr(q.plasticity, f) for f in q.plasticity.__dataclass_fields__},
                "learning_rate": 0.0})})
        for q in net.projections))
    sp.simulate(net, 150 * sp.ms, dtype="float64")
    before = compile_count()
    frozen = sp.simulate(off, 150 * sp.ms, dtype="float64")
    assert compile_count() == before
    assert np.all(frozen.weights["window_syn"].values == W0)
    b1 = sp.simulate(net, 150 * sp.ms, backend="brian2", cache_dir=tmp_path)
    b2 = sp.simulate(off, 150 * sp.ms, backend="brian2", cache_dir=tmp_path)
    assert b1.metadata["timings"]["compile"] > 0 == b2.metadata["timings"]["compile"]
    assert np.all(b2.weights["window_syn"].values == W0)
