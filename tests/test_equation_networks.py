"""The equation-model networks of models/ (COBAHH, the AdEx E/I network): recurrent
networks of catalogue components with conductance ports give the same spikes on both
backends (float64), checked for 100 ms at 400 neurons, before the chaos of a recurrent
network amplifies the last bit of float64."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import spikeplast as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))


@pytest.mark.slow
@pytest.mark.brian2
@pytest.mark.parametrize("model", ["cobahh", "adex_ei"])
def test_equation_networks_spike_identically_on_both_backends(model):
    net = __import__(model).build(n=400)
    runs = {b: sp.simulate(net, 0.1 * sp.second, backend=b,
                           **({"dtype": "float64"} if b == "jax" else {}))
            for b in ("jax", "brian2")}
    for pop in ("exc", "inh"):
        a, b = runs["jax"].spikes[pop], runs["brian2"].spikes[pop]
        assert len(a) > 50, f"{model}.{pop} barely spikes: the comparison would be weak"
        got = sorted(zip(np.round(a.times / 1e-4).astype(int).tolist(), a.indices.tolist()))
        want = sorted(zip(np.round(b.times / 1e-4).astype(int).tolist(), b.indices.tolist()))
        assert got == want
