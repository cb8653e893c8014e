"""Quadratic integrate-and-fire neuron (QIF), the normal form of a saddle-node spike.

Ermentrout, G. B. & Kopell, N. (1986). Parabolic bursting in an excitable system coupled
with a slow oscillation. SIAM J. Appl. Math. 46, 233-253; as in Latham, P. E. et al.
(2000) J. Neurophysiol. 83, 808-827: ``tau dv/dt = k (v - E_L)(v - V_c) + R I``.

| parameter | unit | default | meaning |
|---|---|---|---|
| tau_m | second | 10 ms | membrane time constant |
| k | 1/volt | 0.04/mV | curvature |
| E_L | volt | -65 mV | rest (stable fixed point) |
| V_c | volt | -50 mV | critical voltage (unstable fixed point) |
| V_peak | volt | 0 mV | spike cut-off |
| V_r | volt | -70 mV | reset |
| R_I | volt | 0 mV | constant input (resistance times current) |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from brian2.units import ms, mV

from ..spec import NeuronGroup
from ._base import SynapticPort, component

__all__ = ["QIF", "QIF_DEFAULTS"]

QIF_DEFAULTS = dict(tau_m=10 * ms, k=0.04 / mV, E_L=-65 * mV, V_c=-50 * mV, V_peak=0 * mV,
                    V_r=-70 * mV, R_I=0 * mV)


def QIF(name: str, n: int, *, params: dict[str, Any] | None = None,
        current: str = "0*volt", extra: str = "", ports: Sequence[SynapticPort] = (),
        refractory: Any = None, method: str | None = "euler",
        init: dict[str, Any] | None = None) -> NeuronGroup:
    """``n`` QIF neurons; ``current`` (volt) is added to the drive."""
    return component(
        "QIF", name, n, equations="""
        dv/dt = (k*(v - E_L)*(v - V_c) + R_I + {current})/tau_m : volt""",
        threshold="v > V_peak", reset="v = V_r", refractory=refractory, method=method,
        defaults=QIF_DEFAULTS, params=params or {}, current=current, extra=extra, ports=ports,
        init={"v": QIF_DEFAULTS["E_L"], **(init or {})})
