"""Networks shared by the tests, each with the closed forms that check it.

``analytic_network`` packs several independent scenarios into one network so
that each backend builds (and, for Brian2, compiles) it once per test module.
"""

from __future__ import annotations

import numpy as np

import spikeplast as sp
from spikeplast import Hz, ms, mV

TAU_M = 20e-3
V_REST = -65e-3
V_TH = -50e-3
DRIVES = np.array([16.0, 18.0, 20.0, 25.0, 40.0]) * 1e-3  # R·I, volt
T_REF_DRIVE = 2e-3
TAU_S = 5e-3
W_SYN = 2e-3
SPIKE_T = 10e-3
DELAY = 1e-3
REFS = np.array([0.1, 1.0, 2.05, 5.0]) * 1e-3  # refractory periods of the 'refr' neurons
POISSON_RATE = 20.0
TIMED = (10.0, 40.0)  # Hz in the first and second half second
DELAY_STEPS = np.arange(10) * 3  # delays of the 'delayed' synapses, in steps


def first_spike_time(drive: float | np.ndarray) -> np.ndarray:
    """Closed form: v from v_reset = v_rest reaches v_th at τ ln(RI / (RI − (θ − V_reset)))."""
    return TAU_M * np.log(drive / (drive - (V_TH - V_REST)))


def psp(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed form of the port variable and membrane after a jump of W_SYN at t = 0."""
    t = np.maximum(t, 0.0)
    x = W_SYN * np.exp(-t / TAU_S)
    v = V_REST + W_SYN * TAU_S / (TAU_S - TAU_M) * (np.exp(-t / TAU_S) - np.exp(-t / TAU_M))
    return x, v


def analytic_network() -> sp.Network:
    """Five scenarios, independent of each other, in one network."""
    drive = sp.LIF(name="drive", n=DRIVES.size, tau_m=TAU_M * 1e3 * ms, v_rest=V_REST * 1e3 * mV,
                   v_reset=V_REST * 1e3 * mV, v_th=V_TH * 1e3 * mV, t_ref=T_REF_DRIVE * 1e3 * ms,
                   drive=DRIVES * 1e3 * mV)
    syn = sp.LIF(name="syn", n=1, tau_m=TAU_M * 1e3 * ms, v_rest=V_REST * 1e3 * mV,
                 v_reset=V_REST * 1e3 * mV, v_th=0 * mV,
                 ports=(sp.CurrentPort(name="ge", tau=TAU_S * 1e3 * ms),))
    kick = sp.SpikeTrainInput(name="kick", n=1, indices=[0], times=[SPIKE_T * 1e3] * ms)
    refr = sp.LIF(name="refr", n=REFS.size, tau_m=TAU_M * 1e3 * ms, v_rest=V_REST * 1e3 * mV,
                  v_reset=V_REST * 1e3 * mV, v_th=V_TH * 1e3 * mV, t_ref=REFS * 1e3 * ms,
                  drive=10_000 * mV)
    delayed = sp.LIF(name="delayed", n=DELAY_STEPS.size, tau_m=TAU_M * 1e3 * ms,
                     v_rest=V_REST * 1e3 * mV, v_reset=V_REST * 1e3 * mV, v_th=0 * mV,
                     ports=(sp.CurrentPort(name="ge", tau=TAU_S * 1e3 * ms),))
    poisson = sp.PoissonInput(name="poisson", n=1000, rate=POISSON_RATE * Hz)
    timed = sp.PoissonInput(name="timed", n=1000, rate=sp.TimedRates(
        values=np.array(TIMED) * Hz, interval=500 * ms))
    return sp.Network(
        name="analytic", dt=0.1 * ms, seed=7,
        populations=(drive, syn, kick, refr, delayed, poisson, timed),
        projections=(sp.Projection(name="kick_syn", source="kick", target="syn", port="ge",
                                   connectivity=sp.OneToOne(), weight=W_SYN * 1e3 * mV,
                                   delay=DELAY * 1e3 * ms),
                     sp.Projection(name="kick_delayed", source="kick", target="delayed",
                                   port="ge", connectivity=sp.AllToAll(), weight=W_SYN * 1e3 * mV,
                                   delay=DELAY_STEPS * 0.1 * ms)),
        monitors=(sp.SpikeMonitor(population="drive"), sp.SpikeMonitor(population="refr"),
                  sp.SpikeMonitor(population="poisson"), sp.SpikeMonitor(population="timed"),
                  sp.StateMonitor(population="syn", variables=("v", "ge")),
                  sp.StateMonitor(population="refr", variables=("v",)),
                  sp.StateMonitor(population="delayed", variables=("ge",), every=1)),
    )
