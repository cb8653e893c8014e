"""Spiking and rate populations on one clock: BCM learns from a spiking layer's rates.

Two stimuli alternate every 100 ms: Poisson inputs with 40 Hz on one half of 40
channels and 2 Hz on the other. Each channel drives one LIF neuron (one-to-one, one
input spike is enough to fire it), whose spikes a :class:`~spikeplast.FilteredRate`
turns into a rate estimate (τ = 20 ms, in Hz). Two BCM rate units (the discrete
sliding-threshold rule, updated every 1 ms, τ_θ = 100 ms) read those rates; from
positive weights leaning 10 % towards one stimulus each, each becomes selective to
its stimulus within 20 s: its response to the other falls to about 0. A third rate unit
learns from the BCM units' outputs with online Hebbian learning (a rate → rate
projection). Everything runs in the same scheduler on JAX or Brian2.
"""

from __future__ import annotations

import numpy as np

import spikeplast as sp
from spikeplast import Hz, ms, mV


def stimuli(n: int = 40, high: float = 40.0, low: float = 2.0) -> np.ndarray:
    """The two stimuli's rates (Hz), ``(2, n)``."""
    a = np.where(np.arange(n) < n // 2, high, low)
    return np.stack([a, a[::-1]])


def build(n: int = 40, duration_s: float = 20.0, seed: int = 0, every: int = 10,
          learning_rate: float = 3e-8, threshold_tau: float = 100.0,
          record_every: int = 1000) -> sp.Network:
    """The mixed network.

    Args:
        n: input channels (and LIF neurons).
        duration_s: the stimulus schedule's length (s); afterwards the last stimulus stays.
        seed: network seed (Poisson noise, initial weights).
        every: steps between rate updates.
        learning_rate, threshold_tau: the BCM rule's η and τ_θ (in updates).
        record_every: steps between weight and θ records.
    """
    blocks = max(1, int(round(duration_s / 0.1)))
    rates = np.tile(stimuli(n), (blocks // 2 + 1, 1))[:blocks]
    # positive weights, unit k leaning slightly (10 %) towards stimulus k, plus noise
    w0 = 0.002 * (1 + 0.1 * (stimuli(n, 1.0, -1.0))
                  + 0.05 * np.random.default_rng(seed).standard_normal((2, n)))
    return sp.Network(
        name="mixed", seed=seed, dt=0.1 * ms,
        populations=(
            sp.PoissonInput(name="inputs", n=n, rate=sp.TimedRates(values=rates * Hz,
                                                                   interval=100 * ms)),
            sp.LIF(name="sensory", n=n, tau_m=10 * ms, v_rest=-70 * mV, v_reset=-70 * mV,
                   v_th=-50 * mV, t_ref=2 * ms, ports=(sp.CurrentPort(name="syn", tau=2 * ms),)),
            sp.FilteredRate(name="sensory_rate", source="sensory", n=n, tau=20 * ms),
            sp.RatePopulation(name="bcm", n=2, every=every),
            sp.RatePopulation(name="readout", n=1, every=every)),
        projections=(
            sp.Projection(name="drive", source="inputs", target="sensory", port="syn",
                          connectivity=sp.OneToOne(), weight=200 * mV),
            sp.Projection(name="W", source="sensory_rate", target="bcm", port="input",
                          connectivity=sp.DenseMatrix(weights=w0, keep_zeros=True),
                          plasticity=sp.BCM(learning_rate=learning_rate,
                                            threshold_tau=threshold_tau, theta0=0.0)),
            sp.Projection(name="hebb", source="bcm", target="readout", port="input",
                          connectivity=sp.AllToAll(), weight=0.5,
                          plasticity=sp.OnlineHebbian(learning_rate=1e-4, normalize=True))),
        monitors=(sp.SpikeMonitor(population="sensory"),
                  sp.WeightMonitor(projection="W", every=record_every),
                  sp.WeightMonitor(projection="hebb", every=record_every),
                  sp.StateMonitor(population="bcm", variables=("y", "theta"), every=every),
                  sp.StateMonitor(population="sensory_rate", variables=("y",), indices=[0, n - 1],
                                  every=every)))
