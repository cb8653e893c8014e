"""CUBA: Brette et al. (2007) benchmark 2, current-based LIF network (Vogels & Abbott 2005).

4000 LIF neurons (3200 excitatory, 800 inhibitory), each pair connected with
probability 0.02, exponential current synapses (5 ms / 10 ms), v_rest = -49 mV
above threshold (-50 mV) as in the Brian2 example, refractory 5 ms, dt = 0.1 ms.
Brian2 gives about 5.7 Hz per neuron.
"""

from __future__ import annotations

from _ei import ei_network  # sibling module (models/ is on sys.path)

import spikeplast as sp
from spikeplast import ms, mV


def build(n: int = 4000, p: float | None = None, seed: int = 0, we: float = 1.62,
          wi: float = -9.0, monitor: bool = True, record_v: int = 0) -> sp.Network:
    """The CUBA network.

    Args:
        n: total neurons (80 % excitatory).
        p: connection probability (default 0.02 for n = 4000, else 80/n: in-degree 80).
        seed: network seed.
        we, wi: excitatory / inhibitory weight in mV.
        monitor: record spikes and population rates of both populations.
        record_v: record v of this many excitatory neurons every step.
    """
    def group(name: str, size: int) -> sp.LIF:
        return sp.LIF(
            name=name, n=size, tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV,
            v_th=-50 * mV, t_ref=5 * ms, method="exact",
            ports=(sp.CurrentPort(name="ge", tau=5 * ms), sp.CurrentPort(name="gi", tau=10 * ms)),
            init={"v": sp.Uniform(-60 * mV, -50 * mV)},
        )

    return ei_network("cuba", group, n=n, p=p, seed=seed, we=we * mV, wi=wi * mV,
                      monitor=monitor, record_v=record_v)
