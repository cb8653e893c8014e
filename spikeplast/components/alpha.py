"""Alpha synapse: ``g(t) = w (t/tau) exp(1 - t/tau)`` after a spike, peaking at ``w`` at
``t = tau``.

Rall, W. (1967). Distinguishing theoretical synaptic potentials computed for different
soma-dendritic distributions of synaptic input. J. Neurophysiol. 30, 1138-1168; the
normalisation of NEST's ``iaf_psc_alpha`` (the weight is the peak). Written as two
linear equations: projections add ``w`` to ``name``, which drives ``name_s``.

| parameter | unit | meaning |
|---|---|---|
| tau_<name> | second | time to peak (both time constants) |
| E_<name> | volt | reversal potential (conductance port only) |
"""

from __future__ import annotations

from typing import Any

from ._base import SynapticPort, time_constant

__all__ = ["alpha"]


def alpha(name: str, tau: Any, *, e_rev: Any = None, unit: str = "amp") -> SynapticPort:
    """An alpha-shaped port: projections target ``name``; ``name_s`` is the conductance
    (siemens, with ``e_rev``) or current (``unit``) the membrane sees."""
    time_constant(f"alpha port '{name}'", "tau", tau)
    u = "siemens" if e_rev is not None else unit
    eqs = (f"d{name}/dt = -{name}/tau_{name} : {u}\n"
           f"d{name}_s/dt = (exp(1)*{name} - {name}_s)/tau_{name} : {u}")
    params: dict[str, Any] = {f"tau_{name}": tau}
    current = f"{name}_s"
    if e_rev is not None:
        params[f"E_{name}"] = e_rev
        current = f"{name}_s*(E_{name} - v)"
    return SynapticPort("alpha", name, f"{name}_s", eqs, current, params)
