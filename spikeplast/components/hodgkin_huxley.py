"""Hodgkin-Huxley neuron with Traub-Miles channels, as in COBAHH.

Traub, R. D. & Miles, R. (1991). Neuronal Networks of the Hippocampus. Cambridge UP;
parameters of Brette, R. et al. (2007). Simulation of networks of spiking neurons: a
review of tools and strategies. J. Comput. Neurosci. 23, 349-398 (benchmark 3), for a
membrane patch of 20 000 µm².

| parameter | unit | default | meaning |
|---|---|---|---|
| Cm | farad | 200 pF | capacitance (1 µF/cm²) |
| gl | siemens | 10 nS | leak (5e-5 S/cm²) |
| El | volt | -60 mV | leak reversal |
| g_na | siemens | 20 µS | sodium (100 mS/cm²) |
| ENa | volt | 50 mV | sodium reversal |
| g_kd | siemens | 6 µS | potassium (30 mS/cm²) |
| EK | volt | -90 mV | potassium reversal |
| VT | volt | -63 mV | shift of the rate functions |
| I | amp | 0 nA | constant input current |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from brian2.units import ms, mV, nA, nS, pF, uS

from ..spec import NeuronGroup
from ._base import SynapticPort, component

__all__ = ["HodgkinHuxley", "HH_DEFAULTS"]

HH_DEFAULTS = dict(Cm=200 * pF, gl=10 * nS, El=-60 * mV, g_na=20 * uS, ENa=50 * mV,
                   g_kd=6 * uS, EK=-90 * mV, VT=-63 * mV, I=0 * nA)


def HodgkinHuxley(name: str, n: int, *, params: dict[str, Any] | None = None,
        current: str = "0*amp", extra: str = "", ports: Sequence[SynapticPort] = (),
        refractory: Any = 3 * ms, method: str | None = "exponential_euler",
        init: dict[str, Any] | None = None) -> NeuronGroup:
    """``n`` Traub-Miles HH neurons; a spike is ``v`` crossing -20 mV."""
    return component(
        "HodgkinHuxley", name, n, equations="""
        dv/dt = (gl*(El - v) - g_na*(m*m*m)*h*(v - ENa) - g_kd*(n*n*n*n)*(v - EK) + I + {current})/Cm : volt
        dm/dt = 0.32*(mV**-1)*4*mV/exprel((13*mV - v + VT)/(4*mV))/ms*(1 - m) - 0.28*(mV**-1)*5*mV/exprel((v - VT - 40*mV)/(5*mV))/ms*m : 1
        dn/dt = 0.032*(mV**-1)*5*mV/exprel((15*mV - v + VT)/(5*mV))/ms*(1 - n) - 0.5*exp((10*mV - v + VT)/(40*mV))/ms*n : 1
        dh/dt = 0.128*exp((17*mV - v + VT)/(18*mV))/ms*(1 - h) - 4/(1 + exp((40*mV - v + VT)/(5*mV)))/ms*h : 1""",  # noqa: E501
        threshold="v > -20*mV", reset="", refractory=refractory, method=method,
        defaults=HH_DEFAULTS, params=params or {}, current=current, extra=extra,
        ports=ports,         init={"v": HH_DEFAULTS["El"], **(init or {})})
