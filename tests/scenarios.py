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


def alpha_psp(t: np.ndarray) -> np.ndarray:
    """Closed form of the membrane after a jump of W_SYN at t = 0 into a current port whose
    time constant is the membrane's (τ_s = τ_m = τ): v_rest + W t/τ e^{−t/τ}."""
    t = np.maximum(t, 0.0)
    return V_REST + W_SYN * t / TAU_M * np.exp(-t / TAU_M)


def alpha_network() -> sp.Network:
    """One neuron whose current port decays with the membrane's time constant, kicked once
    at SPIKE_T without delay (method 'exact': the degenerate case of the closed form)."""
    return sp.Network(
        name="alpha", dt=0.1 * ms, seed=7,
        populations=(sp.LIF(name="syn", n=1, tau_m=TAU_M * 1e3 * ms, v_rest=V_REST * 1e3 * mV,
                            v_reset=V_REST * 1e3 * mV, v_th=0 * mV,
                            ports=(sp.CurrentPort(name="ge", tau=TAU_M * 1e3 * ms),)),
                     sp.SpikeTrainInput(name="kick", n=1, indices=[0],
                                        times=[SPIKE_T * 1e3] * ms)),
        projections=(sp.Projection(name="kick_syn", source="kick", target="syn", port="ge",
                                   connectivity=sp.OneToOne(), weight=W_SYN * 1e3 * mV),),
        monitors=(sp.StateMonitor(population="syn", variables=("v",)),))


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


# -- STDP protocols --------------------------------------------------------------------
STDP_TAU = 20e-3
A_PLUS, A_MINUS, W0, W_MAX = 0.01e-3, -0.0105e-3, 0.5e-3, 1e-3  # volt
WINDOW = np.arange(-50, 51, 5) * 1e-3  # Δt = t_post − t_pre
T0 = 0.1  # first spike of every protocol (s)
#: protocols as (pre spike times, post spike times), in s
TRIPLETS = {"pre_pre_post": ((T0, T0 + 0.005), (T0 + 0.010,)),
            "post_post_pre": ((T0 + 0.010,), (T0, T0 + 0.005))}
BOUNDS = {"w_near_max": 0.95e-3, "w_near_min": 0.05e-3}


def _protocol(name: str, pre: list[list[float]], post: list[list[float]], rule: sp.STDP,
              w0: np.ndarray | float = W0) -> tuple:
    """Pairs of (pre source i → post neuron i); post neuron i is forced to spike at the
    times in post[i] by a strong kick one step before."""
    n = len(pre)
    pre_i = [i for i, ts in enumerate(pre) for _ in ts]
    post_i = [i for i, ts in enumerate(post) for _ in ts]
    pre_t = [t for ts in pre for t in ts]
    kick_t = [t - 1e-4 for ts in post for t in ts]
    pops = (
        sp.SpikeTrainInput(name=f"{name}_pre", n=n, indices=pre_i,
                           times=np.array(pre_t) * 1e3 * ms),
        sp.SpikeTrainInput(name=f"{name}_kick", n=n, indices=post_i,
                           times=np.array(kick_t) * 1e3 * ms),
        sp.LIF(name=f"{name}_post", n=n, tau_m=10 * ms, v_rest=-70 * mV, v_reset=-70 * mV,
               v_th=-50 * mV, t_ref=2 * ms, ports=(sp.CurrentPort(name="ge", tau=0.1 * ms),)))
    projs = (
        sp.Projection(name=f"{name}_force", source=f"{name}_kick", target=f"{name}_post",
                      port="ge", connectivity=sp.OneToOne(), weight=10_000 * mV),
        sp.Projection(name=f"{name}_syn", source=f"{name}_pre", target=f"{name}_post",
                      port="ge", connectivity=sp.OneToOne(),
                      weight=np.broadcast_to(w0, (n,)) * 1e3 * mV, plasticity=rule))
    mons = (sp.SpikeMonitor(population=f"{name}_post"),
            sp.WeightMonitor(projection=f"{name}_syn", every=10))
    return pops, projs, mons


def stdp_protocol_network() -> sp.Network:
    """The STDP window, triplets under both pairings, soft and hard bounds: one network."""
    def rule(**kw):
        base = dict(a_plus=A_PLUS * 1e3 * mV, a_minus=A_MINUS * 1e3 * mV,
                    w_max=W_MAX * 1e3 * mV, tau_plus=20 * ms, tau_minus=20 * ms)
        base.update(kw)
        return sp.STDP(**base)

    parts = [_protocol("window", [[T0]] * WINDOW.size, [[T0 + d] for d in WINDOW], rule())]
    for pairing in ("all_to_all", "nearest"):
        pre, post = zip(*TRIPLETS.values())
        parts.append(_protocol(f"triplet_{pairing}", list(map(list, pre)),
                               list(map(list, post)), rule(pairing=pairing)))
    w0 = np.array(list(BOUNDS.values()))
    # soft bounds: one potentiating and one depressing pair per starting weight
    parts.append(_protocol("soft", [[T0], [T0], [T0 + 0.005], [T0 + 0.005]],
                           [[T0 + 0.005], [T0 + 0.005], [T0], [T0]],
                           rule(dependence="multiplicative"), np.tile(w0, 2)))
    # hard bounds: amplitudes large enough to cross the bounds
    parts.append(_protocol("hard", [[T0], [T0 + 0.005]], [[T0 + 0.005], [T0]],
                           rule(a_plus=0.8 * mV, a_minus=-0.8 * mV), w0))
    # learning rate 0: nothing changes
    parts.append(_protocol("frozen", [[T0]], [[T0 + 0.005]], rule(learning_rate=0.0)))
    return sp.Network(name="stdp_protocols", seed=1,
                      populations=sum((p[0] for p in parts), ()),
                      projections=sum((p[1] for p in parts), ()),
                      monitors=sum((p[2] for p in parts), ()))
