"""compare(): the report's numbers against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import spikeplast as sp
from spikeplast.compare import first_divergence, van_rossum_distance
from spikeplast.results import SpikeTrains


def trains(pairs, n=3):
    i, t = (np.array(x) for x in zip(*pairs)) if pairs else (np.zeros(0, int), np.zeros(0))
    return SpikeTrains(np.asarray(i, np.int64), np.asarray(t, float), n)


def test_first_divergence_finds_the_earliest_differing_spike():
    a = trains([(0, 0.001), (1, 0.002), (2, 0.005)])
    assert first_divergence(a, trains([(0, 0.001), (1, 0.002), (2, 0.005)])) is None
    assert first_divergence(a, trains([(0, 0.001), (2, 0.002), (2, 0.005)])) == 0.002
    assert first_divergence(a, trains([(0, 0.001), (1, 0.002)])) == 0.005
    assert first_divergence(a, trains([(0, 0.001), (1, 0.002), (2, 0.005), (0, 0.009)])) == 0.009


def test_van_rossum_distance_closed_forms():
    tau = 0.01
    a = trains([(0, 0.1)])
    assert van_rossum_distance(a, a, tau) == 0.0
    # one unmatched spike: D² = 1/2 for that neuron; mean over 3 neurons
    assert van_rossum_distance(a, trains([]), tau) == pytest.approx(np.sqrt(0.5) / 3)
    # two spikes shifted by s: D² = 1 - e^{-s/τ}
    s = 0.004
    d = van_rossum_distance(a, trains([(0, 0.1 + s)]), tau)
    assert d == pytest.approx(np.sqrt(1 - np.exp(-s / tau)) / 3)


@pytest.mark.brian2
def test_compare_report_on_a_deterministic_network():
    import test_cross_backend as x

    net = x.small_network("current", "exact")
    rep = sp.compare(net, 200 * sp.ms, options={"jax": {"dtype": "float64"}})
    assert rep.identical
    for p in rep.populations:
        assert p.counts[0] == p.counts[1] > 0 and p.distance == 0.0
    assert max(rep.states.values()) < 1e-9
    text = str(rep)
    assert "identical" in text and "brian2" in text and "jax" in text
    assert isinstance(rep.plot(), Figure)
    # float32 on a chaotic network: rates close, trains diverge at some point
    rep32 = sp.compare(net, 200 * sp.ms)
    for p in rep32.populations:
        assert p.rate_difference < 0.2
