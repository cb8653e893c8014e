"""Leaky integrate-and-fire neuron with an adaptive threshold.

The threshold ``theta`` jumps by ``d_theta`` at each spike and relaxes to ``theta_0``
(e.g. Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition using
spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99, their excitatory cells).

| parameter | unit | default | meaning |
|---|---|---|---|
| tau_m | second | 20 ms | membrane time constant |
| E_L | volt | -65 mV | rest |
| V_r | volt | -65 mV | reset |
| theta_0 | volt | -52 mV | threshold at rest |
| d_theta | volt | 2 mV | threshold increment per spike |
| tau_theta | second | 100 ms | threshold relaxation |
| R_I | volt | 0 mV | constant input (resistance times current) |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from brian2.units import ms, mV

from ..spec import NeuronGroup
from ._base import SynapticPort, component

__all__ = ["AdaptiveThresholdLIF", "ADAPTIVE_LIF_DEFAULTS"]

ADAPTIVE_LIF_DEFAULTS = dict(tau_m=20 * ms, E_L=-65 * mV, V_r=-65 * mV, theta_0=-52 * mV,
                             d_theta=2 * mV, tau_theta=100 * ms, R_I=0 * mV)


def AdaptiveThresholdLIF(name: str, n: int, *, params: dict[str, Any] | None = None,
        current: str = "0*volt", extra: str = "", ports: Sequence[SynapticPort] = (),
        refractory: Any = 2 * ms, method: str | None = None,
        init: dict[str, Any] | None = None) -> NeuronGroup:
    """``n`` adaptive-threshold LIF neurons; ``current`` (volt) is added to the drive."""
    return component(
        "AdaptiveThresholdLIF", name, n, equations="""
        dv/dt = (E_L - v + R_I + {current})/tau_m : volt (unless refractory)
        dtheta/dt = (theta_0 - theta)/tau_theta : volt""",
        threshold="v > theta", reset="v = V_r; theta += d_theta", refractory=refractory,
        method=method, defaults=ADAPTIVE_LIF_DEFAULTS, params=params or {}, current=current,
        extra=extra, init={"v": ADAPTIVE_LIF_DEFAULTS["E_L"],
                           "theta": ADAPTIVE_LIF_DEFAULTS["theta_0"], **(init or {})})
