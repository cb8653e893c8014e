"""Translate a plan into Brian2 objects, fed from the plan's arrays.

Every value that may change between runs of one structure — neuron parameters,
initial values, weights, delays, Poisson rates — is a per-element Brian2
variable, set after construction (runtime) or through ``run_args``
(C++ standalone), so the generated code depends only on the structure.

Slots map onto Brian2's default ``when`` values: inputs emit in ``thresholds``
before delivery, neurons integrate in ``groups``, synapses deliver in
``synapses``, resets in ``resets``; state monitors record at ``start``, spike
monitors in ``thresholds`` — the order of ``spikeplast.schedule``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...lowering import NeuronPlan, Plan, PoissonPlan, SpikeTrainPlan

__all__ = ["Model", "construct", "neuron_equations", "run_values"]

#: unit names of the port kinds
_PORT_UNIT = {"current": "volt", "conductance": "siemens"}


def _uniform(a: np.ndarray) -> bool:
    return bool(a.size) and bool(np.all(a == a.flat[0]))


def neuron_parameters(p: NeuronPlan, dt: float) -> dict[str, np.ndarray]:
    """Every parameter of a LIF population by its Brian2 name (SI, one value per neuron)."""
    conductance = any(q.kind == "conductance" for q in p.ports)
    out = {k: v for k, v in p.params.items() if k != "c_m" or conductance}
    out["ref"] = p.ref_steps * dt
    for q in p.ports:
        out[f"tau_{q.name}"] = q.tau
        if q.e_rev is not None:
            out[f"e_rev_{q.name}"] = q.e_rev
    return out


def shared_parameters(p: NeuronPlan, dt: float) -> frozenset[str]:
    """Parameters with one value for the whole population: Brian2 ``(shared, constant)``
    variables, so that expressions of them are computed once per step, not per neuron."""
    return frozenset(k for k, v in neuron_parameters(p, dt).items() if _uniform(v))


def _param_unit(name: str) -> str:
    """Brian2 unit of a LIF parameter (time constants and refractoriness are times)."""
    if name.startswith("tau") or name == "ref":
        return "second"
    return "farad" if name == "c_m" else "volt"


def neuron_equations(p: NeuronPlan, dt: float) -> str:
    """Brian2 equations of a LIF population; parameters are constant variables, shared
    where uniform."""
    cur = [q.name for q in p.ports if q.kind == "current"]
    cond = [f"{q.name}*(e_rev_{q.name} - v)" for q in p.ports if q.kind == "conductance"]
    rhs = f"(v_rest - v + drive{''.join(' + ' + c for c in cur)})/tau_m"
    if cond:
        rhs += f" + ({' + '.join(cond)})/c_m"
    lines = [f"dv/dt = {rhs} : volt (unless refractory)"]
    lines += [f"d{q.name}/dt = -{q.name}/tau_{q.name} : {_PORT_UNIT[q.kind]}" for q in p.ports]
    shared = shared_parameters(p, dt)
    for k in neuron_parameters(p, dt):
        flags = "shared, constant" if k in shared else "constant"
        lines.append(f"{k} : {_param_unit(k)} ({flags})")
    return "\n".join(lines)


def run_values(plan: Plan) -> list[tuple[str, str, np.ndarray]]:
    """Every value set before a run, as ``(brian2 object name, variable, SI array)``.

    The order is the order of the project's run-time inputs; only the plan is needed,
    so a cached project can be run without constructing any Brian2 object.
    """
    out: list[tuple[str, str, np.ndarray]] = []
    for name, pop in plan.populations.items():
        g = f"pop_{name}"
        if isinstance(pop, NeuronPlan):
            shared = shared_parameters(pop, plan.dt)
            out += [(g, k, v[:1] if k in shared else v)
                    for k, v in neuron_parameters(pop, plan.dt).items()]
            out += [(g, var, v) for var, v in pop.init.items()]
        elif isinstance(pop, PoissonPlan) and pop.rates.shape[0] == 1:
            out.append((g, "rates", pop.rates[0]))
    for name, q in plan.projections.items():
        if q.n_synapses:
            out.append((f"syn_{name}", "w", q.w))
            out.append((f"syn_{name}_pre", "delay", q.delay_steps * plan.dt))
    return [(o, v, np.asarray(a, np.float64)) for o, v, a in out]


@dataclass
class Model:
    """Brian2 objects of a plan and how to reach their values.

    Attributes:
        objects: everything to put into a ``brian2.Network``.
        values: the Brian2 ``Variable`` of each entry of :func:`run_values`, in order.
        spike_mons / rate_mons / state_mons / weight_mons / synapses: the Brian2
            monitor or Synapses object per spikeplast name.
    """

    objects: list[Any] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    groups: dict[str, Any] = field(default_factory=dict)
    synapses: dict[str, Any] = field(default_factory=dict)
    spike_mons: dict[str, Any] = field(default_factory=dict)
    rate_mons: dict[str, Any] = field(default_factory=dict)
    state_mons: dict[str, Any] = field(default_factory=dict)
    weight_mons: dict[str, Any] = field(default_factory=dict)


def construct(plan: Plan, b2: Any) -> Model:
    """Build the Brian2 objects of ``plan`` (inside whatever device is active)."""
    m = Model()
    dt = plan.dt * b2.second
    clock = b2.Clock(dt=dt, name="clock_main")
    clocks: dict[int, Any] = {1: clock}

    def clock_every(k: int) -> Any:
        if k not in clocks:
            clocks[k] = b2.Clock(dt=k * dt, name=f"clock_every_{k}")
        return clocks[k]

    for name, pop in plan.populations.items():
        if isinstance(pop, NeuronPlan):
            g = b2.NeuronGroup(pop.n, neuron_equations(pop, plan.dt), threshold="v > v_th",
                               reset="v = v_reset", refractory="ref", method=pop.method,
                               clock=clock, name=f"pop_{name}", namespace={})
        elif isinstance(pop, PoissonPlan):
            if pop.rates.shape[0] == 1:
                g = b2.PoissonGroup(pop.n, rates=pop.rates[0] * b2.Hz, clock=clock,
                                    name=f"pop_{name}")
            else:
                ta = b2.TimedArray(pop.rates * b2.Hz, dt=pop.rate_steps * dt,
                                   name=f"rates_{name}")
                g = b2.PoissonGroup(pop.n, rates=f"rates_{name}(t, i)", clock=clock,
                                    name=f"pop_{name}", namespace={f"rates_{name}": ta})
        else:
            assert isinstance(pop, SpikeTrainPlan)
            g = b2.SpikeGeneratorGroup(pop.n, pop.indices.astype(np.int32),
                                       pop.steps * dt, clock=clock, name=f"pop_{name}")
        m.groups[name] = g
        m.objects.append(g)
    for name, q in plan.projections.items():
        if q.n_synapses == 0:
            continue
        unit = _PORT_UNIT[q.port_kind]
        s = b2.Synapses(m.groups[q.source], m.groups[q.target], model=f"w : {unit}",
                        on_pre=f"{q.port}_post += w", clock=clock, name=f"syn_{name}",
                        namespace={})
        s.connect(i=q.i.astype(np.int32), j=q.j.astype(np.int32))
        s.delay = q.delay_steps * dt
        m.synapses[name] = s
        m.objects.append(s)
    for mon, pop in plan.spike_monitors.items():
        m.spike_mons[mon] = b2.SpikeMonitor(m.groups[pop], name=f"spikes_{mon}")
    for mon, pop in plan.rate_monitors.items():
        m.rate_mons[mon] = b2.PopulationRateMonitor(m.groups[pop], name=f"rate_{mon}")
    for mon, st in plan.state_monitors.items():
        m.state_mons[mon] = b2.StateMonitor(m.groups[st.population], list(st.variables),
                                            record=st.indices.astype(np.int32), when="start",
                                            clock=clock_every(st.every), name=f"state_{mon}")
    for mon, wm in plan.weight_monitors.items():
        syn = m.synapses.get(wm.projection)
        if syn is None or wm.synapses.size == 0:
            continue
        m.weight_mons[mon] = b2.StateMonitor(syn, "w", record=wm.synapses.astype(np.int32),
                                             when="start", clock=clock_every(wm.every),
                                             name=f"weights_{mon}")
    owners = {o.name: o for o in m.objects}
    owners.update({f"{s.name}_pre": s.pre for s in m.synapses.values()})
    m.values = [owners[o].variables[v] for o, v, _ in run_values(plan)]
    m.objects += [*m.spike_mons.values(), *m.rate_mons.values(), *m.state_mons.values(),
                  *m.weight_mons.values()]
    return m
