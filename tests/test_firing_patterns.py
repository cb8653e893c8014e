"""AdEx firing patterns of Naud, Marcille, Clopath & Gerstner (2008), Biol. Cybern. 99,
335-347, Table 1 / Fig. 4: each parameter set, under its step current, fires in the
pattern the paper names, on both backends, classified from the spikes alone.

Parameters as in Brian2's example ``Naud_et_al_2008_adex_firing_patterns.py`` (the
paper's Table 1 as adapted by P. Mueller to match its figures): euler, dt = 0.1 ms, the
step current on from t = 0 with v = E_L, w = 0, spikes cut at 0 mV.
"""

from __future__ import annotations

import numpy as np
import pytest

import spikeplast as sp
from spikeplast import components as c
from spikeplast import ms, mV, nS, pA, pF, second

#: C (pF), g_L (nS), E_L (mV), V_T (mV), Delta_T (mV), a (nS), tau_w (ms), b (pA),
#: V_r (mV), I (pA)
PATTERNS = {
    "tonic": (200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
    "adapting": (200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
    "initial burst": (130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
    "regular bursting": (200, 10, -58, -50, 2, 2, 120, 100, -46, 210),
    "delayed accelerating": (200, 12, -70, -50, 2, -10, 300, 0, -58, 300),
    "delayed regular bursting": (100, 10, -65, -50, 2, -10, 90, 30, -47, 110),
    "transient": (100, 10, -65, -50, 2, 10, 90, 100, -47, 180),
    "irregular": (100, 12, -60, -50, 2, -11, 130, 30, -48, 160),
}
DURATION = 1.0  # s
#: the patterns whose spikes do not depend on the last bits of float64 (the two
#: chaotic ones, irregular and delayed bursting, diverge between any two simulators)
REGULAR = ("tonic", "adapting", "initial burst", "regular bursting", "delayed accelerating",
           "transient")


def classify(t: np.ndarray, duration: float) -> str:
    """Naud et al.'s classes from spike times (s), by their definitions: the steady state
    (the ISIs after 0.4 duration) is silent (transient), regular (one repeating ISI),
    bursting (a repeating group of 2-6 ISIs) or irregular (no repeating group); the
    onset is delayed (first spike later than twice the steady mean ISI), tonic (the first
    ISI near the steady one), an initial burst (ISIs far below the steady one, then an
    abrupt jump) or adapting (ISIs growing gradually)."""
    if t.size == 0:
        return "silent"
    if t[-1] < 0.3 * duration:
        return "transient"
    isi = np.diff(t)
    late = isi[t[1:] > 0.4 * duration]
    typical = np.mean(late)  # for a burster, the cycle's period over its spikes
    delayed = t[0] > 2 * typical
    period = next((p for p in range(1, 7) if late.size >= 2 * p + 2 and np.all(
        np.abs(late[p:] - late[:-p]) <= 0.1 * late[:-p])), None)
    if period is None:
        return "irregular"
    if period > 1:
        return "delayed regular bursting" if delayed else "regular bursting"
    if delayed:
        return "delayed accelerating" if isi[0] > 1.2 * typical else "delayed"
    if isi[0] > 0.8 * typical:
        return "tonic"
    k = int(np.argmax(isi > 0.8 * typical))
    return "initial burst" if k >= 1 and np.all(isi[:k] < 0.25 * typical) else "adapting"


@pytest.fixture(scope="module")
def runs() -> dict:
    a = np.array(list(PATTERNS.values()), float).T
    g = c.AdEx("naud", len(PATTERNS), method="euler", params=dict(
        C=a[0] * pF, g_L=a[1] * nS, E_L=a[2] * mV, V_T=a[3] * mV, Delta_T=a[4] * mV,
        a=a[5] * nS, tau_w=a[6] * ms, b=a[7] * pA, V_r=a[8] * mV, I=a[9] * pA, V_cut=0 * mV),
        init=dict(v=a[2] * mV))
    net = sp.Network(dt=0.1 * ms, populations=(g,),
                     monitors=(sp.SpikeMonitor(population="naud"),))
    out = {}
    for b in ("jax", "brian2"):
        s = sp.simulate(net, DURATION * second, backend=b,
                        **({"dtype": "float64"} if b == "jax" else {})).spikes["naud"]
        out[b] = {name: np.asarray(s.times[s.indices == k]) for k, name in enumerate(PATTERNS)}
    return out


@pytest.mark.brian2
@pytest.mark.parametrize("backend", ["jax", "brian2"])
@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_adex_fires_in_the_pattern_naud_et_al_name(runs, backend, pattern):
    assert classify(runs[backend][pattern], DURATION) == pattern


@pytest.mark.brian2
@pytest.mark.parametrize("pattern", REGULAR)
def test_regular_patterns_spike_identically_on_both_backends(runs, pattern):
    np.testing.assert_array_equal(np.round(runs["jax"][pattern] / 1e-4),
                                  np.round(runs["brian2"][pattern] / 1e-4))


def test_the_classifier_tells_the_patterns_apart():
    """The classifier itself, on synthetic trains built from each definition."""
    reg = np.arange(0.01, 1, 0.01)
    assert classify(reg, 1) == "tonic"
    grow = np.cumsum(np.minimum(0.01 * 1.5 ** np.arange(40), 0.08))
    assert classify(grow, 1) == "adapting"
    burst = np.concatenate([[0.005, 0.009, 0.013], 0.013 + np.cumsum(np.full(15, 0.06))])
    assert classify(burst, 1) == "initial burst"
    bursts = np.sort(np.concatenate([s + np.array([0, 0.004, 0.009]) for s in
                                     np.arange(0.02, 1, 0.1)]))
    assert classify(bursts, 1) == "regular bursting"
    assert classify(bursts + 0.2, 1.2) == "delayed regular bursting"
    assert classify(np.array([0.01, 0.02]), 1) == "transient"
    accelerating = 0.05 + np.cumsum(np.maximum(0.02 - 0.0005 * np.arange(80), 0.01))
    assert classify(accelerating, accelerating[-1] + 0.01) == "delayed accelerating"
    rng = np.random.default_rng(0)
    assert classify(np.cumsum(rng.exponential(0.02, 60)), 1.2) == "irregular"
