"""An E/I network of adaptive exponential IF neurons with conductance synapses.

Brette & Gerstner's (2005) regular-spiking AdEx (their Table 1) in the wiring of Brette
et al. (2007) benchmark 1: 4000 neurons (3200 excitatory, 800 inhibitory), p = 0.02,
exponential conductances (5 ms, 0 mV, +``we`` nS; 10 ms, -80 mV, +``wi`` nS), spikes
cut at V_T + 5 Delta_T, 2 ms refractory, dt = 0.1 ms. Each neuron receives a constant
current drawn uniformly from 0.5-0.9 nA (the RS cell's rheobase is about 0.6 nA), so
part of the network fires on its own and the recurrent conductances shape the rest.
"""

from __future__ import annotations

from _ei import ei_network  # sibling module (models/ is on sys.path)

import spikeplast as sp
from spikeplast import components as c
from spikeplast import ms, mV, nA, nS


def build(n: int = 4000, p: float | None = None, seed: int = 0, we: float = 2.0,
          wi: float = 20.0, monitor: bool = True, record_v: int = 0) -> sp.Network:
    """The network (arguments as for :func:`coba.build`)."""
    def group(name: str, size: int) -> sp.NeuronGroup:
        return c.AdEx(
            name, size, refractory=2 * ms,
            params={"V_cut": -40.4 * mV, "I": sp.Uniform(0.5 * nA, 0.9 * nA)},
            ports=[c.exponential("ge", 5 * ms, e_rev=0 * mV),
                   c.exponential("gi", 10 * ms, e_rev=-80 * mV)],
            init={"v": sp.Uniform(-70.6 * mV, -50.4 * mV)})

    return ei_network("adex_ei", group, n=n, p=p, seed=seed, we=we * nS, wi=wi * nS,
                      monitor=monitor, record_v=record_v)
