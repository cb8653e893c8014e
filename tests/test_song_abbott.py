"""Song, Miller & Abbott (2000): the bimodal weight distribution, on both backends (slow)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import BACKENDS

import spikeplast as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
import song_abbott  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", BACKENDS)
def test_song_abbott_weights_become_u_shaped(backend):
    res = sp.simulate(song_abbott.build(), 100 * sp.second, backend=backend)
    w = res.weights["stdp"].values[-1] / 0.1e-9  # in units of g_max, at t = 99 s
    rate = res.spikes["neuron"].mean_rate(100.0)
    # hand-written Brian2 on this machine: ~27 % below 0.1 g_max, ~17 % above 0.9 g_max,
    # mean ≈ 0.44 g_max, output 20-25 Hz
    assert abs(np.mean(w < 0.1) - 0.27) < 0.06
    assert abs(np.mean(w > 0.9) - 0.17) < 0.06
    assert abs(w.mean() - 0.44) < 0.06
    assert 18 < rate < 28
    # bimodal: both ends hold more than the middle
    hist = np.histogram(w, bins=10, range=(0, 1))[0]
    assert hist[0] > hist[3:7].max() and hist[-1] > hist[3:7].max()
