"""Izhikevich's simple model (2003).

Izhikevich, E. M. (2003). Simple model of spiking neurons. IEEE Trans. Neural Netw. 14,
1569-1572: ``v' = 0.04 v² + 5 v + 140 - u + I`` (v in mV, t in ms), ``u' = a (b v - u)``,
at ``v >= 30 mV``: ``v = c``, ``u += d``. Defaults: regular spiking (their Fig. 2).

| parameter | unit | default | meaning |
|---|---|---|---|
| a | 1/second | 0.02/ms | recovery rate |
| b | 1/second | 0.2/ms | sensitivity of u to v |
| c | volt | -65 mV | reset of v |
| d | volt/second | 8 mV/ms | reset increment of u |
| I | volt/second | 0 mV/ms | input (the paper's I, in mV/ms) |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from brian2.units import ms, mV

from ..spec import NeuronGroup
from ._base import SynapticPort, component

__all__ = ["Izhikevich", "IZHIKEVICH_DEFAULTS"]

IZHIKEVICH_DEFAULTS = dict(a=0.02 / ms, b=0.2 / ms, c=-65 * mV, d=8 * mV / ms, I=0 * mV / ms)


def Izhikevich(name: str, n: int, *, params: dict[str, Any] | None = None,
        current: str = "0*volt/second", extra: str = "", ports: Sequence[SynapticPort] = (),
        method: str | None = "euler",
        init: dict[str, Any] | None = None) -> NeuronGroup:
    """``n`` Izhikevich neurons; ``current`` is added to ``dv/dt`` (volt/second)."""
    return component(
        "Izhikevich", name, n, equations="""
        dv/dt = (0.04/ms/mV)*v**2 + (5/ms)*v + 140*mV/ms - u + I + {current} : volt
        du/dt = a*(b*v - u) : volt/second""",
        threshold="v >= 30*mV", reset="v = c; u += d", refractory=None, method=method,
        defaults=IZHIKEVICH_DEFAULTS, params=params or {}, current=current, extra=extra,
        ports=ports, init={"v": -65 * mV, "u": -13 * mV / ms, **(init or {})})
