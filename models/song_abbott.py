"""Song, Miller & Abbott (2000): STDP makes the weight distribution bimodal.

1000 Poisson inputs at 15 Hz drive one conductance-based LIF neuron through
plastic excitatory synapses (additive STDP, all-to-all pairing, τ± = 20 ms,
A+ = 0.01·g_max, A− = −1.05·A+·τ+/τ−, weights in [0, g_max], initially
uniform). The equations are those of Brian2's example of the paper:
``dv/dt = (ge (E_e − v) + E_L − v)/τ_m`` with ``ge`` in units of the leak
conductance; here g_L = c_m/τ_m = 10 nS, so g_max = 0.01·g_L = 0.1 nS. After
100 s the weights pile up near 0 and near g_max (Brian2 here: ~27 % below
0.1·g_max, ~17 % above 0.9·g_max, mean ≈ 0.44·g_max, output 20–25 Hz).
"""

from __future__ import annotations

import spikeplast as sp
from spikeplast import Hz, ms, mV, nS, pF


def build(n_inputs: int = 1000, rate: float = 15.0, g_max: float = 0.1, seed: int = 0,
          record_every: int = 10_000, learning_rate: float = 1.0) -> sp.Network:
    """The Song–Abbott network.

    Args:
        n_inputs: Poisson inputs.
        rate: their rate (Hz).
        g_max: the weight bound (nS).
        seed: network seed.
        record_every: record all weights every this many steps (default 1 s).
        learning_rate: STDP learning rate (0 freezes the weights).
    """
    gmax = g_max * nS
    inputs = sp.PoissonInput(name="inputs", n=n_inputs, rate=rate * Hz)
    neuron = sp.LIF(name="neuron", n=1, tau_m=10 * ms, c_m=100 * pF, v_rest=-74 * mV,
                    v_reset=-60 * mV, v_th=-54 * mV, method="euler",
                    ports=(sp.ConductancePort(name="ge", tau=5 * ms, e_rev=0 * mV),))
    a_plus = 0.01 * gmax
    stdp = sp.STDP(a_plus=a_plus, a_minus=-1.05 * a_plus * (20 / 20), w_max=gmax,
                   tau_plus=20 * ms, tau_minus=20 * ms, learning_rate=learning_rate)
    return sp.Network(
        name="song_abbott", dt=0.1 * ms, seed=seed, populations=(inputs, neuron),
        projections=(sp.Projection(name="stdp", source="inputs", target="neuron", port="ge",
                                   connectivity=sp.AllToAll(),
                                   weight=sp.Uniform(0 * nS, gmax), plasticity=stdp),),
        monitors=(sp.SpikeMonitor(population="neuron"), sp.RateMonitor(population="neuron"),
                  sp.WeightMonitor(projection="stdp", every=record_every)))
