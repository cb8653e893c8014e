"""Spiking and rate populations in one schedule (models/mixed.py): LIF spikes → filtered
rates → BCM → online Hebbian readout; the same on both backends, and the filter against
its closed form."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import spikeplast as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
import mixed  # noqa: E402


def test_filtered_rate_is_the_exponential_filter_of_the_spikes():
    """y(t) = Σ_spikes exp(−(t − t_s)/τ)/τ, spikes added in the synapses slot of their step,
    read at the start of the next."""
    times = np.array([1.0, 1.0, 3.5, 4.0, 4.1]) * 1e-3
    idx = np.array([0, 1, 0, 0, 1])
    net = sp.Network(populations=(
        sp.SpikeTrainInput(name="src", n=2, indices=idx, times=times * sp.second),
        sp.FilteredRate(name="f", source="src", n=2, tau=2 * sp.ms)),
        monitors=(sp.StateMonitor(population="f", variables=("y",)),))
    res = sp.simulate(net, 8 * sp.ms, dtype="float64")
    t = res.states["f"].times
    want = np.zeros((t.size, 2))
    for ts, i in zip(times, idx):
        later = t > ts + 1e-9
        want[later, i] += np.exp(-(t[later] - ts - 1e-4) / 2e-3) / 2e-3
    assert np.allclose(res.states["f"]["y"], want, rtol=1e-9, atol=1e-9)


@pytest.mark.brian2
def test_mixed_model_is_the_same_on_both_backends():
    """Frozen Poisson input, float64: identical LIF spikes; BCM weights and θ, filtered
    rates and the Hebbian readout agree to 1e-9 (relative) after 1 s (1000 updates)."""
    net = mixed.build(duration_s=1.0, record_every=2000)
    kw = dict(freeze_inputs=True)
    j = sp.simulate(net, 1 * sp.second, dtype="float64", **kw)
    b = sp.simulate(net, 1 * sp.second, backend="brian2", **kw)
    assert len(j.spikes["sensory"]) > 300
    np.testing.assert_array_equal(j.spikes["sensory"].indices, b.spikes["sensory"].indices)
    np.testing.assert_allclose(j.spikes["sensory"].times, b.spikes["sensory"].times, atol=1e-12)
    for name in ("W", "hebb"):
        wj, wb = j.weights[name].values, b.weights[name].values
        assert wj.shape == wb.shape
        np.testing.assert_allclose(wj, wb, rtol=1e-9, atol=1e-12)
    for mon, var in (("bcm", "theta"), ("bcm", "y"), ("sensory_rate", "y")):
        np.testing.assert_allclose(j.states[mon][var], b.states[mon][var], rtol=1e-9,
                                   atol=1e-9)
    assert np.ptp(j.weights["W"].values[:, 0]) > 0  # it learned


@pytest.mark.slow
def test_bcm_units_become_selective_to_one_stimulus_each():
    net = mixed.build()
    res = sp.simulate(net, 20 * sp.second)
    resp = res.weights["W"].matrix(-1) @ mixed.stimuli().T
    for k in range(2):
        assert resp[k, k] > 1.0 and abs(resp[k, 1 - k]) < 0.2 * resp[k, k]
