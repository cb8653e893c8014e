"""LIF update formulas for one step of ``dt``, written once per integration method.

The formulas are those Brian2's state updaters generate for the same equations
(``exact``: the closed-form solution of the linear system; ``euler``: forward
Euler with all right-hand sides from the old state; ``exponential_euler``: each
variable's linearisation solved exactly), so a deterministic network gives the
same spikes on both backends. ``coefficients`` runs on the host when a simulation is
built (float64 NumPy, then the simulation's dtype: every derived constant is one less
kernel for XLA to compile, about 4 ms each on CPU); ``integrate`` runs every step.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from ._ops import where

Array = Any
__all__ = ["coefficients", "integrate"]


def coefficients(method: str, kinds: tuple[str, ...], p: dict[str, np.ndarray], dt: float,
                 dtype: Any) -> dict[str, np.ndarray]:
    """Per-neuron constants of the update, computed in float64 and given in ``dtype``.

    Args:
        method: ``"exact"``, ``"euler"`` or ``"exponential_euler"``.
        kinds: the kind of each port, ``"current"`` or ``"conductance"``.
        p: parameters: ``tau_m, v_rest, drive, c_m`` and per port ``tau_<k>`` (all in
            SI, scalars or shape ``(n,)``).
        dt: the time step (s).
        dtype: the simulation's float type.
    """
    p = {k: np.asarray(v, np.float64) for k, v in p.items()}
    c = {"v_inf": p["v_rest"] + p["drive"]}
    if method == "exact":
        em = np.exp(-dt / p["tau_m"])
        c["em"] = em
        for k, _ in enumerate(kinds):
            tau = p[f"tau_{k}"]
            ek = np.exp(-dt / tau)
            c[f"decay_{k}"] = ek
            # x(t) = x0 e^{-t/tau} drives v through x/tau_m: its contribution over dt
            # is x0 tau/(tau - tau_m) (e^{-dt/tau} - e^{-dt/tau_m}); dt/tau_m e^{-dt/tau_m}
            # in the degenerate case tau = tau_m
            diff = tau - p["tau_m"]
            safe = np.where(diff == 0, 1.0, diff)
            c[f"gain_{k}"] = np.where(diff == 0, dt / p["tau_m"] * em, tau / safe * (ek - em))
    elif method == "euler":
        c["dt_tau_m"] = dt / p["tau_m"]
        for k, kind in enumerate(kinds):
            c[f"decay_{k}"] = 1.0 - dt / p[f"tau_{k}"]
            if kind == "conductance":
                c[f"dt_c_{k}"] = dt / p["c_m"]
    else:  # exponential_euler
        for k, _ in enumerate(kinds):
            c[f"decay_{k}"] = np.exp(-dt / p[f"tau_{k}"])
    return {k: np.asarray(v, dtype) for k, v in c.items()}


def integrate(method: str, kinds: tuple[str, ...], p: dict[str, Array], c: dict[str, Array],
              dt: Array, v: Array, xs: list[Array], active: Array) -> tuple[Array, list[Array]]:
    """One step of ``dt`` for ``v`` and the port variables ``xs``.

    ``v`` only changes where ``active`` (not refractory); ports always decay.
    """
    cur = [x for x, kind in zip(xs, kinds) if kind == "current"]
    drive = c["v_inf"] + (sum(cur) if cur else 0.0)
    if method == "exact":
        v_new = c["v_inf"] + (v - c["v_inf"]) * c["em"]
        for k, x in enumerate(xs):
            v_new = v_new + x * c[f"gain_{k}"]
    elif method == "euler":
        dv = (drive - v) * c["dt_tau_m"]
        for k, (x, kind) in enumerate(zip(xs, kinds)):
            if kind == "conductance":
                dv = dv + x * (p[f"e_rev_{k}"] - v) * c[f"dt_c_{k}"]
        v_new = v + dv
    else:  # exponential_euler: dv/dt = A + B v, solved exactly over dt with A, B frozen
        b = -1.0 / p["tau_m"]
        a = drive / p["tau_m"]
        for k, (x, kind) in enumerate(zip(xs, kinds)):
            if kind == "conductance":
                b = b - x / p["c_m"]
                a = a + x * p[f"e_rev_{k}"] / p["c_m"]
        ba = a / b
        v_new = -ba + (ba + v) * jnp.exp(b * dt)
    xs_new = [x * c[f"decay_{k}"] for k, x in enumerate(xs)]
    return where(active, v_new, v), xs_new
