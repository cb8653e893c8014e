"""NMDA synapse: a bi-exponential conductance with the voltage-dependent magnesium block
of Jahr & Stevens.

Jahr, C. E. & Stevens, C. F. (1990). Voltage dependence of NMDA-activated macroscopic
conductances predicted by single-channel kinetics. J. Neurosci. 10, 3178-3182:
``B(v) = 1/(1 + [Mg2+]/3.57 mM exp(-0.062 v/mV))``. Default kinetics and concentration
as in Wang, X.-J. (2002). Probabilistic decision making by slow reverberation in cortical
circuits. Neuron 36, 955-968 (rise 2 ms, decay 100 ms, 1 mM, E = 0 mV); the saturating
per-synapse gating of that paper is a synapse model, not this port.

| parameter | unit | meaning |
|---|---|---|
| tau_rise_<name>, tau_decay_<name>, norm_<name> | | as the bi-exponential port |
| E_<name> | volt | reversal potential |
| Mg_<name> | mmolar | extracellular magnesium |
"""

from __future__ import annotations

import dataclasses
from typing import Any

from brian2.units import mM, ms, mV

from ._base import SynapticPort
from .biexponential import biexponential

__all__ = ["nmda"]


def nmda(name: str, tau_rise: Any = 2 * ms, tau_decay: Any = 100 * ms, *,
         e_rev: Any = 0 * mV, mg: Any = 1 * mM) -> SynapticPort:
    """An NMDA port: projections target ``name`` (siemens); ``name_s`` is the unblocked
    conductance and the current ``name_s*(E - v)*B(v)``."""
    port = biexponential(name, tau_rise, tau_decay, e_rev=e_rev, kind="nmda")
    block = f"(1 + Mg_{name}/(3.57*mM)*exp(-0.062*v/mV))"
    return dataclasses.replace(port, current=f"{port.current}/{block}",
                               params={**port.params, f"Mg_{name}": mg})
