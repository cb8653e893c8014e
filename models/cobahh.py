"""COBAHH: Brette et al. (2007) benchmark 3, a conductance-based Hodgkin-Huxley network.

4000 Traub-Miles HH neurons (3200 excitatory, 800 inhibitory) of 20 000 um^2, p = 0.02;
exponential conductances (5 ms excitatory, reversal 0 mV, +6 nS per spike; 10 ms
inhibitory, reversal -80 mV, +67 nS per spike); a spike is v crossing -20 mV (3 ms
refractory); dt = 0.1 ms, exponential Euler. As in the benchmark (and Brian2's
``COBAHH`` example), v starts at E_L + N(-5, 5) mV, ge at N(40, 15) nS and gi at
N(200, 120) nS, and the activity is then self-sustained.
"""

from __future__ import annotations

from _ei import ei_network  # sibling module (models/ is on sys.path)

import spikeplast as sp
from spikeplast import components as c
from spikeplast import ms, mV, nS


def build(n: int = 4000, p: float | None = None, seed: int = 0, we: float = 6.0,
          wi: float = 67.0, monitor: bool = True, record_v: int = 0) -> sp.Network:
    """The COBAHH network (arguments as for :func:`coba.build`)."""
    def group(name: str, size: int) -> sp.NeuronGroup:
        return c.HodgkinHuxley(
            name, size, ports=[c.exponential("ge", 5 * ms, e_rev=0 * mV),
                               c.exponential("gi", 10 * ms, e_rev=-80 * mV)],
            init={"v": sp.Normal(-65 * mV, 5 * mV), "ge": sp.Normal(40 * nS, 15 * nS),
                  "gi": sp.Normal(200 * nS, 120 * nS)})

    return ei_network("cobahh", group, n=n, p=p, seed=seed, we=we * nS, wi=wi * nS,
                      monitor=monitor, record_v=record_v)
