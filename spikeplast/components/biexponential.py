"""Bi-exponential synapse: ``g(t) = w N (exp(-t/tau_decay) - exp(-t/tau_rise))``,
normalised so that its peak is ``w``.

E.g. Roth, A. & van Rossum, M. C. W. (2009). Modeling synapses. In: Computational
Modeling Methods for Neuroscientists, MIT Press, ch. 6: the peak, at
``t_p = tau_d tau_r / (tau_d - tau_r) ln(tau_d / tau_r)``, sets ``N``. Written as two
linear equations: projections add ``w`` to ``name`` (decaying with ``tau_rise``), which
drives ``name_s`` (decaying with ``tau_decay``).

| parameter | unit | meaning |
|---|---|---|
| tau_rise_<name> | second | rise time constant (< tau_decay) |
| tau_decay_<name> | second | decay time constant |
| norm_<name> | 1 | ``N (tau_d - tau_r)/tau_r``, from the time constants |
| E_<name> | volt | reversal potential (conductance port only) |
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SpecError
from ._base import SynapticPort, time_constant

__all__ = ["biexponential", "peak_factor"]


def peak_factor(tau_rise: np.ndarray, tau_decay: np.ndarray) -> np.ndarray:
    """``1/max_t (exp(-t/tau_d) - exp(-t/tau_r))`` (time constants in seconds)."""
    t_peak = tau_decay * tau_rise / (tau_decay - tau_rise) * np.log(tau_decay / tau_rise)
    return 1.0 / (np.exp(-t_peak / tau_decay) - np.exp(-t_peak / tau_rise))


def biexponential(name: str, tau_rise: Any, tau_decay: Any, *, e_rev: Any = None,
                  unit: str = "amp", kind: str = "biexponential") -> SynapticPort:
    """A bi-exponential port: projections target ``name``; ``name_s`` is the conductance
    (siemens, with ``e_rev``) or current (``unit``) the membrane sees."""
    where = f"{kind} port '{name}'"
    tr = time_constant(where, "tau_rise", tau_rise)
    td = time_constant(where, "tau_decay", tau_decay)
    if not np.all(td > tr):
        raise SpecError(f"{where}: tau_rise = {tau_rise!r} must be shorter than tau_decay = "
                        f"{tau_decay!r} (equal time constants: use an alpha port).")
    u = "siemens" if e_rev is not None else unit
    eqs = (f"d{name}/dt = -{name}/tau_rise_{name} : {u}\n"
           f"d{name}_s/dt = (norm_{name}*{name} - {name}_s)/tau_decay_{name} : {u}")
    params: dict[str, Any] = {f"tau_rise_{name}": tau_rise, f"tau_decay_{name}": tau_decay,
                              f"norm_{name}": peak_factor(tr, td) * (td - tr) / tr}
    current = f"{name}_s"
    if e_rev is not None:
        params[f"E_{name}"] = e_rev
        current = f"{name}_s*(E_{name} - v)"
    return SynapticPort(kind, name, f"{name}_s", eqs, current, params)
