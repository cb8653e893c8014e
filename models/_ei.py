"""Excitatory/inhibitory random network wiring shared by the Brette et al. (2007) models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import spikeplast as sp


def ei_network(name: str, group: Callable[[str, int], sp.LIF], *, n: int, p: float | None,
               seed: int, we: Any, wi: Any, monitor: bool, record_v: int) -> sp.Network:
    """80 % excitatory / 20 % inhibitory populations made by ``group(name, size)``, each
    pair connected with probability ``p`` (default 0.02 for n = 4000, else 80/n);
    excitatory synapses (weight ``we``) target port ``ge``, inhibitory (``wi``) ``gi``."""
    p = (0.02 if n == 4000 else min(1.0, 80 / n)) if p is None else p
    n_exc = int(n * 0.8)
    pops = (group("exc", n_exc), group("inh", n - n_exc))
    projections = tuple(
        sp.Projection(name=f"{src}_{tgt}", source=src, target=tgt,
                      port="ge" if src == "exc" else "gi",
                      connectivity=sp.FixedProbability(p=p), weight=we if src == "exc" else wi)
        for src in ("exc", "inh") for tgt in ("exc", "inh"))
    monitors: tuple = ()
    if monitor:
        monitors = tuple(m(population=q) for q in ("exc", "inh")
                         for m in (sp.SpikeMonitor, sp.RateMonitor))
    if record_v:
        monitors += (sp.StateMonitor(population="exc", variables=("v", "ge", "gi"),
                                     indices=range(record_v)),)
    return sp.Network(name=name, dt=0.1 * sp.ms, seed=seed, populations=pops,
                      projections=projections, monitors=monitors)
