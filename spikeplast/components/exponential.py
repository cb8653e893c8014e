"""Exponential synapse: an instantaneous jump by the weight, then an exponential decay.

The standard port of integrate-and-fire networks, e.g. Brette, R. et al. (2007).
Simulation of networks of spiking neurons: a review of tools and strategies. J. Comput.
Neurosci. 23, 349-398 (benchmarks 1 and 2). ``g(t) = w exp(-t/tau)`` after a spike.

| parameter | unit | meaning |
|---|---|---|
| tau_<name> | second | decay time constant |
| E_<name> | volt | reversal potential (conductance port only) |
"""

from __future__ import annotations

from typing import Any

from ._base import SynapticPort, time_constant

__all__ = ["exponential"]


def exponential(name: str, tau: Any, *, e_rev: Any = None, unit: str = "amp") -> SynapticPort:
    """A port ``name`` decaying with ``tau``: a conductance (siemens, current
    ``name*(E_name - v)``) when ``e_rev`` is given, else a current in ``unit``."""
    time_constant(f"exponential port '{name}'", "tau", tau)
    params: dict[str, Any] = {f"tau_{name}": tau}
    if e_rev is None:
        return SynapticPort("exponential", name, name,
                            f"d{name}/dt = -{name}/tau_{name} : {unit}", name, params)
    params[f"E_{name}"] = e_rev
    return SynapticPort("exponential", name, name,
                        f"d{name}/dt = -{name}/tau_{name} : siemens",
                        f"{name}*(E_{name} - v)", params)
