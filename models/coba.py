"""COBA: Brette et al. (2007) benchmark 1, conductance-based LIF network (Vogels & Abbott 2005).

4000 LIF neurons (3200 excitatory, 800 inhibitory), p = 0.02, C_m = 200 pF,
g_L = 10 nS (tau_m = 20 ms), E_L = -60 mV, threshold -50 mV, reset -60 mV,
refractory 5 ms; exponential conductances (5 ms excitatory, reversal 0 mV, +6 nS
per spike; 10 ms inhibitory, reversal -80 mV, +67 nS per spike); dt = 0.1 ms.
Activity is started, as in the benchmark, by random initial conductances and
membrane potentials and is then self-sustained.
"""

from __future__ import annotations

from _ei import ei_network  # sibling module (models/ is on sys.path)

import spikeplast as sp
from spikeplast import ms, mV, nS, pF


def build(n: int = 4000, p: float | None = None, seed: int = 0, we: float = 6.0,
          wi: float = 67.0, method: str = "euler", monitor: bool = True,
          record_v: int = 0) -> sp.Network:
    """The COBA network.

    Args:
        n: total neurons (80 % excitatory).
        p: connection probability (default 0.02 for n = 4000, else 80/n: in-degree 80).
        seed: network seed.
        we, wi: excitatory / inhibitory conductance increments in nS.
        method: integration method of the neurons. "euler" is what Brian2 chooses by default
            for these equations; with "exponential_euler" (more accurate for large
            conductances) the self-sustained activity of this marginal network dies out
            within ~200 ms at these parameters.
        monitor: record spikes and population rates of both populations.
        record_v: record v, ge, gi of this many excitatory neurons every step.
    """
    def group(name: str, size: int) -> sp.LIF:
        return sp.LIF(
            name=name, n=size, tau_m=20 * ms, c_m=200 * pF, v_rest=-60 * mV, v_reset=-60 * mV,
            v_th=-50 * mV, t_ref=5 * ms, method=method,
            ports=(sp.ConductancePort(name="ge", tau=5 * ms, e_rev=0 * mV),
                   sp.ConductancePort(name="gi", tau=10 * ms, e_rev=-80 * mV)),
            init={"v": sp.Uniform(-60 * mV, -50 * mV), "ge": sp.Uniform(0 * nS, 80 * nS),
                  "gi": sp.Uniform(0 * nS, 400 * nS)},
        )

    return ei_network("coba", group, n=n, p=p, seed=seed, we=we * nS, wi=wi * nS,
                      monitor=monitor, record_v=record_v)
