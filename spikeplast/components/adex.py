"""Adaptive exponential integrate-and-fire neuron (AdEx).

Brette, R. & Gerstner, W. (2005). Adaptive exponential integrate-and-fire model as an
effective description of neuronal activity. J. Neurophysiol. 94, 3637-3642. Default
parameters: their Table 1 (the regular-spiking pyramidal cell).

| parameter | unit | default | meaning |
|---|---|---|---|
| C | farad | 281 pF | membrane capacitance |
| g_L | siemens | 30 nS | leak conductance |
| E_L | volt | -70.6 mV | leak reversal |
| V_T | volt | -50.4 mV | threshold of the exponential |
| Delta_T | volt | 2 mV | slope factor |
| tau_w | second | 144 ms | adaptation time constant |
| a | siemens | 4 nS | subthreshold adaptation |
| b | amp | 80.5 pA | spike-triggered adaptation |
| V_r | volt | -70.6 mV | reset |
| V_cut | volt | -30 mV | spike cut-off (threshold) |
| I | amp | 0 pA | constant input current |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from brian2.units import ms, mV, nS, pA, pF

from ..spec import NeuronGroup
from ._base import SynapticPort, component

__all__ = ["AdEx", "ADEX_DEFAULTS"]

ADEX_DEFAULTS = dict(C=281 * pF, g_L=30 * nS, E_L=-70.6 * mV, V_T=-50.4 * mV, Delta_T=2 * mV,
                     tau_w=144 * ms, a=4 * nS, b=80.5 * pA, V_r=-70.6 * mV, V_cut=-30 * mV,
                     I=0 * pA)


def AdEx(name: str, n: int, *, params: dict[str, Any] | None = None,
        current: str = "0*amp", extra: str = "", ports: Sequence[SynapticPort] = (),
        refractory: Any = None, method: str | None = "exponential_euler",
        init: dict[str, Any] | None = None) -> NeuronGroup:
    """``n`` AdEx neurons; ``current`` (an expression in amp, e.g. ``ge*(E_e - v)``) is
    added to the membrane current, ``extra`` equations define what it uses."""
    return component(
        "AdEx", name, n, equations="""
        dv/dt = (g_L*(E_L - v) + g_L*Delta_T*exp((v - V_T)/Delta_T) - w + I + {current})/C : volt (unless refractory)
        dw/dt = (a*(v - E_L) - w)/tau_w : amp""",  # noqa: E501
        threshold="v > V_cut", reset="v = V_r; w += b", refractory=refractory, method=method,
        defaults=ADEX_DEFAULTS, params=params or {}, current=current, extra=extra,
        ports=ports,         init={"v": ADEX_DEFAULTS["E_L"], **(init or {})})
