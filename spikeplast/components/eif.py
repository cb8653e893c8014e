"""Exponential integrate-and-fire neuron (EIF).

Fourcaud-Trocmé, N., Hansel, D., van Vreeswijk, C. & Brunel, N. (2003). How spike
generation mechanisms determine the neuronal response to fluctuating inputs.
J. Neurosci. 23, 11628-11640.

| parameter | unit | default | meaning |
|---|---|---|---|
| C | farad | 200 pF | membrane capacitance |
| g_L | siemens | 10 nS | leak conductance |
| E_L | volt | -65 mV | leak reversal |
| V_T | volt | -50 mV | threshold of the exponential |
| Delta_T | volt | 3.5 mV | slope factor |
| V_r | volt | -68 mV | reset |
| V_cut | volt | -30 mV | spike cut-off |
| t_ref | second | 1.7 ms | refractory period (not integrated) |
| I | amp | 0 pA | constant input current |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from brian2.units import ms, mV, nS, pA, pF

from ..spec import NeuronGroup
from ._base import SynapticPort, component

__all__ = ["EIF", "EIF_DEFAULTS"]

EIF_DEFAULTS = dict(C=200 * pF, g_L=10 * nS, E_L=-65 * mV, V_T=-50 * mV, Delta_T=3.5 * mV,
                    V_r=-68 * mV, V_cut=-30 * mV, I=0 * pA)


def EIF(name: str, n: int, *, params: dict[str, Any] | None = None,
        current: str = "0*amp", extra: str = "", ports: Sequence[SynapticPort] = (),
        refractory: Any = 1.7 * ms, method: str | None = "exponential_euler",
        init: dict[str, Any] | None = None) -> NeuronGroup:
    """``n`` EIF neurons (``current`` and ``extra`` as for :func:`AdEx`)."""
    return component(
        "EIF", name, n, equations="""
        dv/dt = (g_L*(E_L - v) + g_L*Delta_T*exp((v - V_T)/Delta_T) + I + {current})/C : volt (unless refractory)""",  # noqa: E501
        threshold="v > V_cut", reset="v = V_r", refractory=refractory, method=method,
        defaults=EIF_DEFAULTS, params=params or {}, current=current, extra=extra,
        ports=ports,         init={"v": EIF_DEFAULTS["E_L"], **(init or {})})
