"""Translate a plan into Brian2 objects, fed from the plan's arrays.

Every value that may change between runs of one structure — neuron parameters,
initial values, weights, delays, Poisson rates — is a Brian2 variable set after
construction (runtime) or through ``run_args`` (C++ standalone), so the
generated code depends only on the structure. Parameters with one value for a
whole group are ``(shared, constant)``, so Brian2 computes expressions of them
once per step.

To generate and compile as little code as a hand-written script would, LIF
populations with the same equations (method and ports) share one
``NeuronGroup`` (a *block*; each population is a subgroup of it), and
projections from the same source onto the same port of the same block share
one ``Synapses`` object (a *synapse group*). Results are split back per
population and projection.

Slots map onto Brian2's default ``when`` values: inputs emit in ``thresholds``
before delivery, neurons integrate in ``groups``, synapses deliver in
``synapses``, resets in ``resets``; state monitors record at ``start``, spike
monitors in ``thresholds`` — the order of ``spikeplast.schedule``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...ir import FrozenMethod, given_frozen
from ...lowering import (
    EquationPlan,
    FilteredRatePlan,
    NeuronPlan,
    Plan,
    PoissonPlan,
    RatePatternsPlan,
    RatePopPlan,
    SpikeTrainPlan,
    async_order,
    hebbian_constants,
)
from ...spec import BCM, BCMODE, DiscreteSTDP, Hebbian, ResolvedSTDP
from ...state import compacted_sources

__all__ = ["Model", "Block", "SynapseGroup", "StateEntry", "blocks", "synapse_groups",
           "construct", "neuron_equations", "run_values", "shared_parameters", "state_layout"]

#: unit names of the port kinds
#: Brian2's ``lastspike`` before any spike (seconds)
NEVER_S = -1e4
_PORT_UNIT = {"current": "volt", "conductance": "siemens", "discrete": "1"}


@dataclass(frozen=True)
class Block:
    """LIF populations with identical equations, simulated as one ``NeuronGroup``.

    ``members`` are ``(population, first neuron in the block, n)``.
    """

    name: str
    members: tuple[tuple[str, int, int], ...]

    @property
    def n(self) -> int:
        return sum(m[2] for m in self.members)


@dataclass(frozen=True)
class SynapseGroup:
    """Projections from one source onto one port of one block, as one ``Synapses``.

    ``members`` are ``(projection, first synapse in the group, n synapses, first
    neuron of the projection's target in the block)``.
    """

    name: str
    source: str
    block: str
    port: str
    kind: str
    members: tuple[tuple[str, int, int, int], ...]
    rule: ResolvedSTDP | DiscreteSTDP | None = None  # plastic groups hold one projection
    #: the weight's Brian2 name: ``w``, unless the target group has a variable of that name
    weight: str = "w"


def blocks(plan: Plan) -> list[Block]:
    """The neuron blocks of a plan, in population order."""
    groups: dict[tuple, list[NeuronPlan]] = {}
    for p in plan.neurons():
        key = (p.method, tuple((q.name, q.kind) for q in p.ports))
        groups.setdefault(key, []).append(p)
    out = []
    for k, members in enumerate(groups.values()):
        firsts = np.cumsum([0] + [p.n for p in members])
        out.append(Block(f"neurons_{k}", tuple((p.name, int(f), p.n)
                                               for p, f in zip(members, firsts))))
    return out


def synapse_groups(plan: Plan) -> list[SynapseGroup]:
    """The synapse groups of a plan (projections with synapses only)."""
    where = {m: (b.name, first) for b in blocks(plan) for m, first, _ in b.members}
    where.update({d.name: (f"pop_{d.name}", 0) for d in plan.discrete()})
    where.update({p.name: (f"eq_{p.name}", 0) for p in plan.equations()})
    groups: dict[tuple, list[tuple[str, int, int, int]]] = {}
    kinds: dict[tuple, str] = {}
    for name, q in plan.projections.items():
        if q.n_synapses == 0 or q.port_kind == "rate":
            continue
        block, first = where[q.target]
        # a plastic projection keeps a Synapses object of its own
        key = (q.source, block, q.port, name if q.plasticity else None)
        members = groups.setdefault(key, [])
        start = sum(m[2] for m in members)
        members.append((name, start, q.n_synapses, first))
        kinds[key] = q.port_kind
    taken = {f"eq_{p.name}": set(p.variables) | set(p.params) | set(p.timed)
             for p in plan.equations()}
    return [SynapseGroup(f"syn_{k}", key[0], key[1], key[2], kinds[key], tuple(m),
                         plan.projections[key[3]].plasticity if key[3] else None,
                         "w_syn" if "w" in taken.get(key[1], ()) else "w")
            for k, (key, m) in enumerate(groups.items())]


#: a DiscreteLIF layer (canns SpikingLayer); updated in 'after_synapses' by run_regularly.
#: Traces: ``xtr`` (presynaptic, per synapse) and ``ytr`` (postsynaptic); Brian2 reserves
#: the ``_pre``/``_post`` suffixes
DISCRETE_MODEL = """v : 1
input : 1
spk : 1
ytr : 1
leak : 1 (shared, constant)
vth : 1 (shared, constant)
vreset : 1 (shared, constant)
decay : 1 (shared, constant)"""
#: v <- leak v + I; spike at v >= vth; reset; post trace (both traces include this step)
DISCRETE_UPDATE = """v = leak*v + input
input = 0
spk = int(v >= vth)
v = vreset*spk + v*(1 - spk)
ytr = decay*ytr + spk"""
DENSE_MODEL = """w : 1
xtr : 1
x : 1
lr : 1 (shared, constant)
Ap : 1 (shared, constant)
Am : 1 (shared, constant)
xdecay : 1 (shared, constant)
wmin : 1 (shared, constant)
wmax : 1 (shared, constant)"""
#: W <- clip(W + lr (A+ s trace_pre - A- trace_post x)), as canns, once per step
DENSE_UPDATE = """w = clip(w + lr*(Ap*spk_post*xtr - Am*ytr_post*x), wmin, wmax)
x = 0"""
#: Brian2 names of the DiscreteSTDP parameters
_DENSE_VARS = (("lr", "learning_rate"), ("Ap", "a_plus"), ("Am", "a_minus"),
               ("xdecay", "trace_decay"), ("wmin", "w_min"), ("wmax", "w_max"))


#: activations of rate units, as Brian2 expressions of their summed input ``u``
ACTIVATION_CODE = {"linear": "u", "tanh": "tanh(u)", "sign": "sign(u)",
                   "sigmoid": "1/(1 + exp(-u))", "relu": "u*int(u > 0)"}


def rate_inputs(plan: Plan, name: str) -> list[str]:
    """The projections into a rate population, in plan order."""
    return [q.name for q in plan.projections.values() if q.target == name]


def stdp_code(g: SynapseGroup) -> tuple[str, str, str]:
    """Brian2 ``model``, ``on_pre`` and ``on_post`` of a plastic synapse group."""
    assert g.rule is not None
    unit = _PORT_UNIT[g.kind]
    model = "\n".join([
        f"w : {unit}",
        f"dapre/dt = -apre/taupre : {unit} (event-driven)",
        f"dapost/dt = -apost/taupost : {unit} (event-driven)",
        "taupre : second (shared, constant)", "taupost : second (shared, constant)",
        f"Apre : {unit} (shared, constant)", f"Apost : {unit} (shared, constant)",
        f"wmin : {unit} (shared, constant)", f"wmax : {unit} (shared, constant)",
        "lr : 1 (shared, constant)"])
    op = "+=" if g.rule.pairing == "all_to_all" else "="
    soft = g.rule.dependence == "multiplicative"
    f_pre = "*(w - wmin)/(wmax - wmin)" if soft else ""
    f_post = "*(wmax - w)/(wmax - wmin)" if soft else ""
    on_pre = (f"{g.port}_post += w\napre {op} Apre\n"
              f"w = clip(w + lr*apost{f_pre}, wmin, wmax)")
    on_post = f"apost {op} Apost\nw = clip(w + lr*apre{f_post}, wmin, wmax)"
    return model, on_pre, on_post


#: Brian2 names of the rule parameters (shared constants of a plastic Synapses)
_RULE_VARS = (("taupre", "tau_plus"), ("taupost", "tau_minus"), ("Apre", "a_plus"),
              ("Apost", "a_minus"), ("wmin", "w_min"), ("wmax", "w_max"),
              ("lr", "learning_rate"))


def _uniform(a: np.ndarray) -> bool:
    return bool(a.size) and bool(np.all(a == a.flat[0]))


def neuron_parameters(plan: Plan, block: Block) -> dict[str, np.ndarray]:
    """Every parameter of a block by its Brian2 name (SI, one value per neuron)."""
    pops = [plan.populations[m] for m, _, _ in block.members]
    first = pops[0]
    cat = lambda f: np.concatenate([f(p) for p in pops])  # noqa: E731
    conductance = any(q.kind == "conductance" for q in first.ports)
    out = {k: cat(lambda p, k=k: p.params[k]) for k in first.params
           if k != "c_m" or conductance}
    out["ref"] = cat(lambda p: p.ref_steps * plan.dt)
    for k, q in enumerate(first.ports):
        out[f"tau_{q.name}"] = cat(lambda p, k=k: p.ports[k].tau)
        if q.e_rev is not None:
            out[f"e_rev_{q.name}"] = cat(lambda p, k=k: p.ports[k].e_rev)
    return out


def shared_parameters(plan: Plan, block: Block) -> frozenset[str]:
    """Parameters with one value for the whole block: Brian2 ``(shared, constant)``
    variables, so that expressions of them are computed once per step, not per neuron."""
    return frozenset(k for k, v in neuron_parameters(plan, block).items() if _uniform(v))


def _param_unit(name: str) -> str:
    """Brian2 unit of a LIF parameter (time constants and refractoriness are times)."""
    if name.startswith("tau") or name == "ref":
        return "second"
    return "farad" if name == "c_m" else "volt"


def neuron_equations(plan: Plan, block: Block) -> str:
    """Brian2 equations of a block; parameters are constant variables, shared where
    uniform."""
    p = plan.populations[block.members[0][0]]
    cur = [q.name for q in p.ports if q.kind == "current"]
    cond = [f"{q.name}*(e_rev_{q.name} - v)" for q in p.ports if q.kind == "conductance"]
    rhs = f"(v_rest - v + drive{''.join(' + ' + c for c in cur)})/tau_m"
    if cond:
        rhs += f" + ({' + '.join(cond)})/c_m"
    lines = [f"dv/dt = {rhs} : volt (unless refractory)"]
    lines += [f"d{q.name}/dt = -{q.name}/tau_{q.name} : {_PORT_UNIT[q.kind]}" for q in p.ports]
    shared = shared_parameters(plan, block)
    for k in neuron_parameters(plan, block):
        flags = "shared, constant" if k in shared else "constant"
        lines.append(f"{k} : {_param_unit(k)} ({flags})")
    return "\n".join(lines)


def port_unit(plan: Plan, g: SynapseGroup) -> str:
    """The Brian2 unit of a synapse group's weights: its target variable's."""
    if g.kind == "variable":
        target = plan.projections[g.members[0][0]].target
        return plan.populations[target].ir.variable(g.port).unit
    return _PORT_UNIT[g.kind]


def equation_values(p: EquationPlan) -> list[tuple[str, str, np.ndarray]]:
    """The run-time values of a NeuronGroup written as equations: its parameters, its
    TimedArrays' values, its initial state."""
    name = f"eq_{p.name}"
    out = [(name, k, np.atleast_1d(v)) for k, v in p.params.items()]
    out += [(f"{name}_{k}", "values", tp.values.ravel()) for k, tp in p.timed.items()]
    out += [(name, v, p.init[v]) for v in p.variables]
    if p.ir.refractory:
        out.append((name, "lastspike", np.full(p.n, NEVER_S)))
        out.append((name, "not_refractory", np.ones(p.n)))
    return out


def run_values(plan: Plan, n_steps: int) -> list[tuple[str, str, np.ndarray]]:
    """Every value set before a run, as ``(brian2 object name, variable, SI array)``.

    The order is the order of the project's run-time inputs; only the plan is needed,
    so a cached project can be run without constructing any Brian2 object.
    """
    out: list[tuple[str, str, np.ndarray]] = []
    for b in blocks(plan):
        shared = shared_parameters(plan, b)
        out += [(b.name, k, v[:1] if k in shared else v)
                for k, v in neuron_parameters(plan, b).items()]
        pops = [plan.populations[m] for m, _, _ in b.members]
        out += [(b.name, var, np.concatenate([p.init[var] for p in pops]))
                for var in pops[0].variables]
        out.append((b.name, "lastspike", np.full(b.n, NEVER_S)))  # state: set on resume
    for p in plan.equations():
        out += equation_values(p)
    for d in plan.discrete():
        rule = next((q.plasticity for q in plan.projections.values() if q.target == d.name
                     and isinstance(q.plasticity, DiscreteSTDP)), None)
        decay = rule.trace_decay if rule else 0.0
        out += [(f"pop_{d.name}", k, np.array([v])) for k, v in
                (("leak", d.leak), ("vth", d.threshold), ("vreset", d.v_reset),
                 ("decay", decay))]
        out.append((f"pop_{d.name}", "v", d.init["v"]))
        out.append((f"pop_{d.name}", "ytr", np.zeros(d.n)))  # state
    for name, pop in plan.populations.items():
        if isinstance(pop, PoissonPlan) and pop.rates.shape[0] == 1:
            out.append((f"pop_{name}", "rates", pop.rates[0]))
        elif isinstance(pop, RatePatternsPlan):  # the presented inputs, a TimedArray
            out.append((f"shown_{name}", "values", presented(pop).ravel()))
        elif isinstance(pop, RatePopPlan):
            out.append((f"pop_{name}", "bias", pop.bias))
            rule = next((q.plasticity for q in plan.projections.values() if q.target == name
                         and isinstance(q.plasticity, (BCM, BCMODE))), None)
            out.append((f"pop_{name}", "theta", np.full(pop.n, rule.theta0 if rule else 0.0)))
            out.append((f"pop_{name}", "alpha", np.array([
                (1.0 / rule.threshold_tau if rule.threshold_tau > 0 else 1.0)
                if isinstance(rule, BCM) else (rule.dt / rule.tau_theta if rule else 0.0)])))
            out.append((f"pop_{name}", "y", pop.init))
            out.append((f"pop_{name}", "invT", np.array([1.0 / pop.temperature])))
            if has_control(plan, pop):
                out += [(f"ctl_{name}", k, np.array([v])) for k, v in (
                    ("go", 1.0), ("tol", -1.0 if pop.tol is None else pop.tol),
                    ("maxsw", float(min(pop.max_sweeps or 2**31 - 1, 2**31 - 1))),
                    ("nsweep", float(pop.sweep)),
                    ("acc", 0.0), ("sweeps", 0.0), ("converged", 0.0))]  # state
            if pop.update == "async":
                out.append((f"order_{name}", "values",
                            async_order(plan.seed, pop, order_updates(plan, pop, n_steps))))
        elif isinstance(pop, FilteredRatePlan):
            out += [(f"pop_{name}", "tau", np.array([pop.tau])),
                    (f"pop_{name}", "inc", np.array([1.0 / pop.tau])),
                    (f"pop_{name}", "y", np.zeros(pop.n))]  # state
    for q in plan.projections.values():
        if q.port_kind == "rate":  # weight element e = post * n_pre + pre
            w = np.zeros(q.n_post * q.n_pre)
            w[q.j * q.n_pre + q.i] = q.w
            out.append((f"wmatrix_{q.name}", "w", w))
            r = q.plasticity
            out += [(f"wmatrix_{q.name}", k, np.array([v])) for k, v in (
                ("lr", getattr(r, "learning_rate", 0.0)), ("wclip", getattr(r, "w_clip", 0.0)),
                ("wb", getattr(r, "w_bound", 0.0)), ("wd", getattr(r, "w_decay", 0.0)),
                ("rdtw", r.dt / r.tau_w if isinstance(r, BCMODE) else 0.0))]
            out.append((f"pop_{q.target}", f"scale_{q.name}",
                        np.array([r.resist_scale if isinstance(r, BCMODE) else 1.0])))
            if isinstance(r, Hebbian):
                src = plan.populations[q.source]
                c = hebbian_constants(r, src)
                out += [(f"wmatrix_{q.name}", "rho", np.array([c["rho"]])),
                        (f"wmatrix_{q.name}", "gain", np.array([c["gain"]])),
                        (f"wmatrix_{q.name}", "offd",
                         (np.repeat(np.arange(q.n_post), q.n_pre)
                          != np.tile(np.arange(q.n_pre), q.n_post)).astype(float)),
                        (f"wmatrix_{q.name}", "tend", np.array([
                            (src.sequence.size - 0.5) * src.every * plan.dt]))]
    for g in synapse_groups(plan):
        qs = [plan.projections[m[0]] for m in g.members]
        out.append((g.name, g.weight, np.concatenate([q.w for q in qs])))
        out.append((f"{g.name}_pre", "delay",
                    np.concatenate([q.delay_steps for q in qs]) * plan.dt))
        if g.rule is not None:
            names = _DENSE_VARS if isinstance(g.rule, DiscreteSTDP) else _RULE_VARS
            out += [(g.name, b2_name, np.array([getattr(g.rule, field)]))
                    for b2_name, field in names]
            n = sum(plan.projections[m[0]].n_synapses for m in g.members)
            out += [(g.name, v, np.zeros(n)) for v in  # state: set on resume
                    (("xtr",) if isinstance(g.rule, DiscreteSTDP) else
                     ("apre", "apost", "lastupdate"))]
    return [(o, v, np.asarray(a, np.float64)) for o, v, a in out]


@dataclass
class Model:
    """Brian2 objects of a plan and how to reach their values.

    Attributes:
        objects: everything to put into a ``brian2.Network``.
        values: the Brian2 ``Variable`` of each entry of :func:`run_values`, in order.
        views: population name -> its group or subgroup.
        synapses: synapse group name -> ``Synapses``.
        spike_mons / rate_mons / state_mons / weight_mons: monitor per spikeplast name.
    """

    objects: list[Any] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    views: dict[str, Any] = field(default_factory=dict)
    synapses: dict[str, Any] = field(default_factory=dict)
    spike_mons: dict[str, Any] = field(default_factory=dict)
    rate_mons: dict[str, Any] = field(default_factory=dict)
    state_mons: dict[str, Any] = field(default_factory=dict)
    weight_mons: dict[str, Any] = field(default_factory=dict)


def construct(plan: Plan, b2: Any, n_steps: int) -> Model:
    """Build the Brian2 objects of ``plan`` (inside whatever device is active)."""
    m = Model()
    dt = plan.dt * b2.second
    clock = b2.Clock(dt=dt, name="clock_main")
    clocks: dict[int, Any] = {1: clock}

    def clock_every(k: int) -> Any:
        if k not in clocks:
            clocks[k] = b2.Clock(dt=k * dt, name=f"clock_every_{k}")
        return clocks[k]

    owners: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    for b in blocks(plan):
        p = plan.populations[b.members[0][0]]
        g = b2.NeuronGroup(b.n, neuron_equations(plan, b), threshold="v > v_th",
                           reset="v = v_reset", refractory="ref", method=p.method,
                           clock=clock, name=b.name, namespace={})
        groups[b.name] = owners[b.name] = g
        m.objects.append(g)
        for pop, first, n in b.members:
            m.views[pop] = g if n == b.n else g[first:first + n]
    for p in plan.equations():
        name = f"eq_{p.name}"
        namespace = {}
        for k, tp in p.timed.items():  # standalone: run-time inputs; the shape is code
            unit = b2.Quantity(1.0, dim=b2.get_or_create_dimension(tp.dim))
            ta = b2.TimedArray(tp.values * unit, dt=tp.every * dt,
                               name=f"{name}_{k}")
            namespace[k] = owners[f"{name}_{k}"] = ta
        threshold, reset, refractory = given_frozen(p.ir)
        method = FrozenMethod(p.ir.method) if p.ir.frozen else p.ir.method
        g = b2.NeuronGroup(p.n, p.ir.equations, threshold=threshold or None,
                           reset=reset or None, refractory=refractory or False,
                           method=method, clock=clock, name=name, namespace=namespace)
        groups[name] = owners[name] = m.views[p.name] = g
        m.objects.append(g)
    for d in plan.discrete():
        g = b2.NeuronGroup(d.n, DISCRETE_MODEL, threshold="spk > 0.5", reset="", clock=clock,
                           name=f"pop_{d.name}", namespace={})
        g.run_regularly(DISCRETE_UPDATE, when="after_synapses", order=1, name=f"update_{d.name}")
        g.thresholder["spike"].when, g.thresholder["spike"].order = "after_synapses", 3
        groups[f"pop_{d.name}"] = owners[f"pop_{d.name}"] = m.views[d.name] = g
        m.objects.append(g)
    _construct_rates(plan, b2, m, owners, clock_every, n_steps)
    for name, pop in plan.populations.items():
        if isinstance(pop, PoissonPlan):
            if pop.rates.shape[0] == 1:
                g = b2.PoissonGroup(pop.n, rates=pop.rates[0] * b2.Hz, clock=clock,
                                    name=f"pop_{name}")
            else:
                ta = b2.TimedArray(pop.rates * b2.Hz, dt=pop.rate_steps * dt,
                                   name=f"rates_{name}")
                g = b2.PoissonGroup(pop.n, rates=f"rates_{name}(t, i)", clock=clock,
                                    name=f"pop_{name}", namespace={f"rates_{name}": ta})
        elif isinstance(pop, SpikeTrainPlan):
            g = b2.SpikeGeneratorGroup(pop.n, pop.indices.astype(np.int32),
                                       pop.steps * dt, clock=clock, name=f"pop_{name}")
        else:
            continue
        m.views[name] = owners[f"pop_{name}"] = g
        m.objects.append(g)
    for sg in synapse_groups(plan):
        qs = [plan.projections[mem[0]] for mem in sg.members]
        if isinstance(sg.rule, DiscreteSTDP):
            s = b2.Synapses(m.views[sg.source], groups[sg.block], model=DENSE_MODEL,
                            on_pre="input_post += w\nx = 1", clock=clock, name=sg.name,
                            namespace={})
            s.run_regularly("xtr = xdecay*xtr + x", when="after_synapses",
                            order=0, name=f"{sg.name}_trace")
            s.run_regularly(DENSE_UPDATE, when="after_synapses", order=2,
                            name=f"{sg.name}_learn")
        elif sg.rule is None:
            s = b2.Synapses(m.views[sg.source], groups[sg.block],
                            model=f"{sg.weight} : {port_unit(plan, sg)}",
                            on_pre=f"{sg.port}_post += {sg.weight}",
                            clock=clock, name=sg.name, namespace={})
        else:
            model, on_pre, on_post = stdp_code(sg)
            s = b2.Synapses(m.views[sg.source], groups[sg.block], model=model, on_pre=on_pre,
                            on_post=on_post, clock=clock, name=sg.name, namespace={})
            s.post.order = 1  # after every presynaptic pathway of the step (see STDP)
        s.connect(i=np.concatenate([q.i for q in qs]).astype(np.int32),
                  j=np.concatenate([q.j + mem[3] for q, mem in zip(qs, sg.members)])
                  .astype(np.int32))
        s.delay = np.concatenate([q.delay_steps for q in qs]) * dt
        m.synapses[sg.name] = owners[sg.name] = s
        owners[f"{sg.name}_pre"] = s.pre
        m.objects.append(s)
    discrete = {d.name for d in plan.discrete()}
    for mon, pop in plan.spike_monitors.items():
        m.spike_mons[mon] = b2.SpikeMonitor(m.views[pop], name=f"spikes_{mon}")
        if pop in discrete:  # its spikes are detected in 'after_synapses'
            m.spike_mons[mon].when, m.spike_mons[mon].order = "after_synapses", 4
    if any(q.n_synapses and q.delay_steps.max() > 0 for q in plan.projections.values()):
        # spikes still travelling at the end are rebuilt from the sources' last spikes
        # (the spike queues cannot be read back): record every source nobody records
        for pop in delay_sources(plan):
            if pop not in plan.spike_monitors.values():
                m.spike_mons[f"_ckpt_{pop}"] = b2.SpikeMonitor(m.views[pop],
                                                               name=f"spikes__ckpt_{pop}")
    for mon, pop in plan.rate_monitors.items():
        m.rate_mons[mon] = b2.PopulationRateMonitor(m.views[pop], name=f"rate_{mon}")
    for mon, st in plan.state_monitors.items():
        m.state_mons[mon] = b2.StateMonitor(m.views[st.population], list(st.variables),
                                            record=st.indices.astype(np.int32), when="start",
                                            clock=clock_every(st.every), name=f"state_{mon}")
    for mon, wm in plan.weight_monitors.items():
        q = plan.projections[wm.projection]
        if q.port_kind == "rate":  # the weight elements of synapses (pre i, post j)
            m.weight_mons[mon] = b2.StateMonitor(
                owners[f"wmatrix_{q.name}"], "w",
                record=(q.j[wm.synapses] * q.n_pre + q.i[wm.synapses]).astype(np.int32),
                when="start", clock=clock_every(wm.every), name=f"weights_{mon}")
            continue
        found = [(sg, mem) for sg in synapse_groups(plan) for mem in sg.members
                 if mem[0] == wm.projection]
        if not found or wm.synapses.size == 0:
            continue
        sg, mem = found[0]
        m.weight_mons[mon] = b2.StateMonitor(
            m.synapses[sg.name], sg.weight, record=(mem[1] + wm.synapses).astype(np.int32),
            when="start", clock=clock_every(wm.every), name=f"weights_{mon}")
    m.values = [TimedValues(_Named(o)) if isinstance(owners[o], b2.TimedArray)
                else owners[o].variables[v] for o, v, _ in run_values(plan, n_steps)]
    m.objects += [*m.spike_mons.values(), *m.rate_mons.values(), *m.state_mons.values(),
                  *m.weight_mons.values()]
    return m


def order_updates(plan: Plan, pop: RatePopPlan, n_steps: int) -> int:
    """Entries of an asynchronous population's update order: the updates up to the end of
    the plan (a continued run indexes it by absolute time)."""
    return max(n_steps, plan.n_steps or 0) // pop.every + 1


def presented(pop: RatePatternsPlan) -> np.ndarray:
    """The input of every update of a pattern source, then a row of zeros (held after)."""
    return np.vstack([pop.patterns[pop.sequence], np.zeros((1, pop.n))])


@dataclass(frozen=True)
class _Named:
    name: str


@dataclass(frozen=True)
class TimedValues:
    """A TimedArray's values as a run-time input: Brian2 standalone sets them from the
    command line as ``<name>.values`` (runtime targets have them baked in already)."""

    owner: _Named
    name: str = "values"
    dtype: Any = np.float64

    def set_value(self, value: np.ndarray) -> None:
        """Nothing to do at runtime: the TimedArray was built with these values."""


def has_control(plan: Plan, r: RatePopPlan) -> bool:
    """Whether a rate population needs its control group: stopping, asynchronous
    updates, or a monitor of its energy, sweeps or convergence."""
    watched = any(m.population == r.name and set(m.variables) - {"y", "theta"}
                  for m in plan.state_monitors.values())
    return r.stops or r.update == "async" or watched


def energy_watched(plan: Plan, r: RatePopPlan) -> bool:
    """Whether a monitor records the population's energy (only then is it computed)."""
    return any(m.population == r.name and "energy" in m.variables
               for m in plan.state_monitors.values())


def _construct_rates(plan: Plan, b2: Any, m: Model, owners: dict[str, Any],
                     clock_every: Any, n_steps: int) -> None:
    """Rate populations, pattern inputs, filters and rules, as Brian2 groups updated in
    the ``groups`` slot (same order as the JAX backend).

    Each weight matrix is a NeuronGroup of elements ``e = post·n_pre + pre`` whose ``x`` and
    ``y`` are linked to the input and output; summed variables give ``W x``, Sanger's
    ``Σ_{k≤i} y_k W_kj`` (Synapses from element (k, j) to (i, j), k ≤ i) and row norms.
    Order per update: inputs (``start``); ``x`` kept and ``w·x`` (groups, −1),
    ``h = Σ w·x`` (0); ``y`` (1); Sanger's ``y·w`` (2) and sum (3); rule (4); row norms (5);
    normalisation (6); θ (7);
    ``Σ|Δy|`` (8) and the control group's sweep bookkeeping (9). A control group (one
    element) holds ``go`` (updates still running), the sweep count, convergence, and the
    energy, summed at ``start`` before the monitors record.
    """
    for name, pop in plan.populations.items():
        if isinstance(pop, RatePatternsPlan):
            ta = b2.TimedArray(presented(pop), dt=pop.every * plan.dt * b2.second,
                               name=f"shown_{name}")
            owners[f"shown_{name}"] = ta
            g = b2.NeuronGroup(pop.n, "x : 1", name=f"pop_{name}", clock=clock_every(1),
                               namespace={f"shown_{name}": ta})
            g.run_regularly(f"x = shown_{name}(t, i)", when="start", order=0,
                            dt=pop.every * plan.dt * b2.second, name=f"present_{name}")
            owners[f"pop_{name}"] = m.views[name] = g
            m.objects.append(g)
    for f in plan.filtered():
        g = b2.NeuronGroup(f.n, "dy/dt = -y/tau : 1\ntau : second (shared, constant)\n"
                           "inc : 1 (shared, constant)", method="exact",
                           clock=clock_every(1), name=f"pop_{f.name}", namespace={})
        syn = b2.Synapses(m.views[f.source], g, on_pre="y_post += inc_post",
                          name=f"spikes_to_{f.name}", clock=clock_every(1), namespace={})
        syn.connect(j="i")
        owners[f"pop_{f.name}"] = m.views[f.name] = g
        m.objects += [g, syn]
    for r in plan.rate():
        inputs = rate_inputs(plan, r.name)
        k = r.every
        ctl = has_control(plan, r)
        watch = energy_watched(plan, r)
        go = "go" if ctl else "1"
        model = "\n".join(["y : 1", "theta : 1", "bias : 1 (constant)", "ynew : 1", "dy : 1",
                            "alpha : 1 (shared, constant)", "invT : 1 (shared, constant)"]
                           + [f"h_{p} : 1" for p in inputs] + [f"n2_{p} : 1" for p in inputs]
                           + [f"scale_{p} : 1 (shared, constant)" for p in inputs]
                           + ([f"{v} : 1 (linked)" for v in ("go", "energy", "sweeps",
                                                              "converged")] if ctl else []))
        namespace: dict[str, Any] = {}
        if r.update == "async":
            order = async_order(plan.seed, r, order_updates(plan, r, n_steps))
            ta = b2.TimedArray(order.astype(np.float64), dt=k * plan.dt * b2.second,
                               name=f"order_{r.name}")
            owners[f"order_{r.name}"] = namespace[f"order_{r.name}"] = ta
        out = b2.NeuronGroup(r.n, model, name=f"pop_{r.name}", clock=clock_every(k),
                             namespace=namespace)
        u = " + ".join(["bias"] + [f"scale_{p}*h_{p}" for p in inputs])
        fy = ACTIVATION_CODE[r.activation].replace("u", f"(({u})*invT)")
        if r.update == "async":  # sel is 1 for the unit of this update only
            sel = f"int(abs(i - order_{r.name}(t)) < 0.5)"
            fy = f"{sel}*{fy} + (1 - {sel})*y"
        code = f"y = {fy}" if not ctl else (
            f"ynew = {fy}\ndy = go*abs(ynew - y)\ny = go*ynew + (1 - go)*y")
        out.run_regularly(code, when="groups", order=1, name=f"rate_{r.name}")
        owners[f"pop_{r.name}"] = m.views[r.name] = out
        m.objects.append(out)
        if ctl:
            _control_group(plan, b2, m, owners, clock_every, r, out)
        for p in inputs:
            q = plan.projections[p]
            rule = type(q.plasticity).__name__ if q.plasticity is not None else ""
            n_el = q.n_post * q.n_pre
            post_of = np.repeat(np.arange(q.n_post), q.n_pre)
            pre_of = np.tile(np.arange(q.n_pre), q.n_post)
            hebb = rule in ("Hebbian", "AntiHebbian")
            extra = (["xq : 1 (linked)", "rho : 1 (shared, constant)",
                      "gain : 1 (shared, constant)", "offd : 1 (constant)",
                      "tend : second (shared, constant)"] if hebb else []) + (
                ["go : 1 (linked)"] if ctl else []) + (
                ["wxy : 1"] if p in r.recurrent and watch else [])
            wg = b2.NeuronGroup(n_el, "\n".join([
                "w : 1", "lt : 1", "wx : 1", "xo : 1", "yw : 1", "lr : 1 (shared, constant)",
                "wclip : 1 (shared, constant)", "wb : 1 (shared, constant)",
                "wd : 1 (shared, constant)", "rdtw : 1 (shared, constant)",
                "x : 1 (linked)", "y : 1 (linked)", "n2 : 1 (linked)", "theta : 1 (linked)",
                *extra]), name=f"wmatrix_{p}", clock=clock_every(k), namespace={})
            source = m.views[q.source]
            xvar = "x" if isinstance(plan.populations[q.source], RatePatternsPlan) else "y"
            wg.x = b2.linked_var(source, xvar, index=pre_of)
            wg.y = b2.linked_var(out, "y", index=post_of)
            wg.n2 = b2.linked_var(out, f"n2_{p}", index=post_of)
            wg.theta = b2.linked_var(out, "theta", index=post_of)
            if hebb:
                wg.xq = b2.linked_var(source, xvar, index=post_of)
            if ctl:
                wg.go = b2.linked_var(owners[f"ctl_{r.name}"], "go",
                                      index=np.zeros(n_el, np.int64))
            owners[f"wmatrix_{p}"] = wg
            # Synapses cannot read linked variables: the products are stored first; the
            # input is kept (xo) for the rule, as a source may change within the step
            wg.run_regularly("xo = x\nwx = w*xo", when="groups", order=-1, name=f"wx_{p}")
            dot = b2.Synapses(wg, out, f"h_{p}_post = wx_pre : 1 (summed)",
                              name=f"dot_{p}", clock=clock_every(k), namespace={})
            dot.connect(i=np.arange(n_el), j=post_of)
            _order(dot, 0)
            m.objects += [wg, dot]
            if p in r.recurrent and watch:  # the energy's Σ w y_i y_j, at start
                wg.run_regularly("wxy = w*x*y", when="start", order=-3, name=f"wxy_{p}")
                e = b2.Synapses(wg, owners[f"ctl_{r.name}"], f"Ew_{p}_post = wxy_pre : 1 "
                                "(summed)", name=f"energy_{p}", clock=clock_every(k),
                                namespace={})
                e.connect(i=np.arange(n_el), j=np.zeros(n_el, np.int32))
                _order(e, -2, "start")
                m.objects.append(e)
            if rule == "Sanger":
                wg.run_regularly("yw = y*w", when="groups", order=2, name=f"yw_{p}")
                lt = b2.Synapses(wg, wg, "lt_post = yw_pre : 1 (summed)", name=f"lt_{p}",
                                 clock=clock_every(k), namespace={})
                ii, kk = np.nonzero(np.tril(np.ones((q.n_post, q.n_post))))  # k <= i
                cols = np.arange(q.n_pre)
                lt.connect(i=(kk[:, None] * q.n_pre + cols).ravel().astype(np.int32),
                           j=(ii[:, None] * q.n_pre + cols).ravel().astype(np.int32))
                _order(lt, 3)
                m.objects.append(lt)
                wg.run_regularly(f"w = w + {go}*lr*(y*xo - y*lt)", when="groups", order=4,
                                 name=f"sanger_{p}")
            elif rule == "BCM":  # θ is updated after every weight, from the old θ
                wg.run_regularly(f"w = clip(w + {go}*lr*((y*(y - theta))*xo), -wclip, wclip)",
                                 when="groups", order=4, name=f"bcm_{p}")
                out.run_regularly(f"theta = theta + {go}*alpha*(y*y - theta)", when="groups",
                                  order=7, name=f"theta_{r.name}")
            elif rule == "BCMODE":
                bound = "*(wb - abs(w))" if q.plasticity.w_bound > 0 else ""
                wg.run_regularly(f"w = w + {go}*(((y*(y - theta))/(theta + 1e-7))*xo{bound} - "
                                 f"wd*w)*rdtw", when="groups", order=4, name=f"bcmode_{p}")
                out.run_regularly(f"theta = theta + {go}*(y*y - theta)*alpha", when="groups",
                                  order=7, name=f"theta_{r.name}")
            elif rule == "Oja":
                wg.run_regularly(f"w = w + {go}*lr*(y*xo - y**2*w)", when="groups", order=4,
                                 name=f"oja_{p}")
            elif rule == "OnlineHebbian":
                wg.run_regularly(f"w = w + {go}*lr*(y*xo)", when="groups", order=4,
                                 name=f"hebb_{p}")
            elif hebb:  # storage of the presented pattern while the source presents
                diag = "offd*" if q.plasticity.zero_diagonal else ""
                wg.run_regularly(f"w = {diag}(w + ({go}*gain*int(t < tend))*((xq - rho)*"
                                 f"(xo - rho)))", when="groups", order=4, name=f"store_{p}")
            if rule and q.plasticity.normalize:
                norm = b2.Synapses(wg, out, f"n2_{p}_post = w_pre**2 : 1 (summed)",
                                   name=f"norm_{p}", clock=clock_every(k), namespace={})
                norm.connect(i=np.arange(n_el), j=post_of)
                _order(norm, 5)
                m.objects.append(norm)
                scaled = "w / (sqrt(n2)*int(sqrt(n2) >= 1e-10) + int(sqrt(n2) < 1e-10))"
                wg.run_regularly(f"w = {scaled}" if not ctl else
                                 f"w = go*{scaled} + (1 - go)*w", when="groups", order=6,
                                 name=f"normalize_{p}")


def _control_group(plan: Plan, b2: Any, m: Model, owners: dict[str, Any], clock_every: Any,
                   r: RatePopPlan, out: Any) -> None:
    """One element per rate population: ``go``, sweeps, convergence and (when monitored)
    the energy."""
    watch = energy_watched(plan, r)
    rec = [f"Ew_{p} : 1" for p in r.recurrent] if watch else []
    ctl = b2.NeuronGroup(1, "\n".join([
        "go : 1", "acc : 1", "endsw : 1", "sweeps : 1", "converged : 1", "chg : 1", "Eb : 1",
        "energy : 1",
        "tol : 1 (constant)", "maxsw : 1 (constant)", "nsweep : 1 (constant)", *rec]),
        clock=clock_every(r.every), name=f"ctl_{r.name}", namespace={})
    owners[f"ctl_{r.name}"] = ctl
    zeros = np.zeros(r.n, np.int64)
    for v in ("go", "energy", "sweeps", "converged"):
        setattr(out, v, b2.linked_var(ctl, v, index=zeros))
    change = b2.Synapses(out, ctl, "chg_post = dy_pre : 1 (summed)", name=f"change_{r.name}",
                         clock=clock_every(r.every), namespace={})
    change.connect(i=np.arange(r.n), j=zeros)
    _order(change, 8)
    m.objects += [ctl, change]
    if watch:
        bias = b2.Synapses(out, ctl, "Eb_post = bias_pre*y_pre : 1 (summed)",
                           name=f"bias_energy_{r.name}", clock=clock_every(r.every),
                           namespace={})
        bias.connect(i=np.arange(r.n), j=zeros)
        _order(bias, -2, "start")
        energy = " + ".join(f"Ew_{p}" for p in r.recurrent)
        ctl.run_regularly(f"energy = -0.5*({energy}) - Eb", when="start", order=-1,
                          name=f"energy_{r.name}")
        m.objects.append(bias)
    ctl.run_regularly("acc = acc + go*chg\n"
                      "endsw = go*int((int(t/dt + 0.5) % int(nsweep + 0.5)) == "
                      "int(nsweep + 0.5) - 1)\n"
                      "sweeps = sweeps + endsw\n"
                      "converged = int(converged > 0.5 or (endsw > 0.5 and acc <= tol))\n"
                      "acc = acc*(1 - endsw)\n"
                      "go = int(converged < 0.5 and sweeps < maxsw - 0.5)",
                      when="groups", order=9, name=f"sweeps_{r.name}")


def _order(synapses: Any, order: int, when: str = "groups") -> None:
    """Run a Synapses object's summed-variable update at (``when``, order)."""
    for updater in synapses.summed_updaters.values():
        updater.when, updater.order = when, order


@dataclass(frozen=True)
class StateEntry:
    """Where one array of the portable state lives in the Brian2 model.

    ``index`` picks the entries (in the plan's order) from the Brian2 array; ``kind`` says
    how to read them: ``value``; ``time`` (seconds, exported in steps); ``per_pre``
    (a per-synapse copy of a presynaptic trace: ``index`` gives, per source neuron, one
    of its synapses, or −1 for none); ``zero`` (no Brian2 array: the value is 0).
    """

    key: str
    group: str
    var: str
    index: np.ndarray
    kind: str = "value"

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape in the state (a control group's values are scalars)."""
        if self.kind == "zero" or self.group.startswith("ctl_"):
            return ()
        return tuple(self.index.shape)


def delay_sources(plan: Plan) -> list[str]:
    """The live spike sources whose recent spikes a delayed network's end state needs:
    the compacted sources and the sources of delayed projections (not spike trains,
    which the plan holds)."""
    delayed = {q.source for q in plan.projections.values()
               if q.n_synapses and q.delay_steps.max() > 0}
    return [name for name, src in plan.populations.items()
            if isinstance(src, (NeuronPlan, PoissonPlan))
            and (name in compacted_sources(plan) or name in delayed)]


def state_layout(plan: Plan) -> list[StateEntry]:
    """Every array of the portable state (see :mod:`spikeplast.state`) and where Brian2
    keeps it. Delayed spikes in flight are not among them (Brian2's spike queues cannot
    be read from a standalone run; the backend rebuilds them with
    :func:`~spikeplast.state.in_flight`)."""
    out = []
    for b in blocks(plan):
        for pop, first, n in b.members:
            ix = np.arange(first, first + n)
            out.append(StateEntry(f"{pop}/v", b.name, "v", ix))
            out += [StateEntry(f"{pop}/{q.name}", b.name, q.name, ix)
                    for q in plan.populations[pop].ports]
            out.append(StateEntry(f"{pop}/lastspike", b.name, "lastspike", ix, "time"))
    for sg in synapse_groups(plan):
        if sg.rule is None:
            continue
        q = plan.projections[sg.members[0][0]]
        ix = np.arange(q.n_synapses)
        out.append(StateEntry(f"{q.name}/w", sg.name, "w", ix))
        if isinstance(sg.rule, DiscreteSTDP):
            first = np.full(q.n_pre, -1, np.int64)
            first[q.i[::-1]] = ix[::-1]  # one synapse per source neuron (its first)
            out.append(StateEntry(f"{q.name}/trace_pre", sg.name, "xtr", first, "per_pre"))
        else:
            out += [StateEntry(f"{q.name}/apre", sg.name, "apre", ix),
                    StateEntry(f"{q.name}/apost", sg.name, "apost", ix),
                    StateEntry(f"{q.name}/lastupdate", sg.name, "lastupdate", ix, "time")]
    one = np.zeros(1, np.int64)
    for r in plan.rate():
        ix = np.arange(r.n)
        out += [StateEntry(f"{r.name}/y", f"pop_{r.name}", "y", ix),
                StateEntry(f"{r.name}/theta", f"pop_{r.name}", "theta", ix)]
        ctl = has_control(plan, r)
        out += [StateEntry(f"{r.name}/{v}", f"ctl_{r.name}", v, one, "value" if ctl else "zero")
                for v in ("acc", "sweeps", "converged")]
        for p in rate_inputs(plan, r.name):
            q = plan.projections[p]
            if q.plasticity is not None:
                out.append(StateEntry(f"{p}/w", f"wmatrix_{p}", "w", q.j * q.n_pre + q.i))
    out += [StateEntry(f"{f.name}/y", f"pop_{f.name}", "y", np.arange(f.n))
            for f in plan.filtered()]
    dense_targets = {q.target for q in plan.projections.values()
                     if isinstance(q.plasticity, DiscreteSTDP)}
    for d in plan.discrete():
        out.append(StateEntry(f"{d.name}/v", f"pop_{d.name}", "v", np.arange(d.n)))
        if d.name in dense_targets:
            out.append(StateEntry(f"{d.name}/trace_post", f"pop_{d.name}", "ytr",
                                  np.arange(d.n)))
    return out


#: what :func:`restore_code` reads from the directory named by this environment variable
RESTORE_ENV = "SPIKEPLAST_RESTORE"
#: the random generators' state at the end of a run (``rng.dat`` in the results), so that
#: a checkpoint continues Brian2's random stream exactly: each ``RandomGenerator``'s
#: Mersenne twister, its first member (a standard-layout class; the twister is trivially
#: copyable and has no padding). Its stored second Gaussian is not kept: no spikeplast
#: model draws Gaussians. Read back only by a binary whose twisters have the same size.
RNG_FILE = "spikeplast_rng.dat"
RNG_SAVE_CODE = (
    "{ std::ofstream _f(brian::results_dir + \"" + RNG_FILE + "\", std::ios::binary);\n"
    "  for (size_t _k = 0; _k < _random_generators.size(); _k++)\n"
    "      _f.write(reinterpret_cast<const char*>(&_random_generators[_k]),\n"
    "               sizeof(std::mt19937)); }")


def restore_code(plan: Plan, model: Model, dev: Any) -> str:
    """C++ run before the network of a standalone project, that continues a saved state
    when the environment variable :data:`RESTORE_ENV` names a directory (else nothing).

    The state's arrays arrive as ordinary run-time inputs (``run_values``); this code does
    what inputs cannot: ``start.txt`` holds the state's step and a seed, and the network's
    clocks start at that step (times, TimedArrays and monitors keep the absolute time);
    the random generators get the state saved by a Brian2 run (``rng.dat``), or, for a
    state without it (JAX's), are reseeded (live Poisson inputs draw afresh). A spike
    generator skips the spikes before the step. ``queue_<synapses>.dat`` (int32 pairs:
    synapse, steps from now + 1) puts spikes of the last steps back into the spike queue
    of a delayed plastic pathway, so that each reaches its synapse — and its rule — when
    due. ``pending_<group>_<port>.dat`` (float64, delay slots × neurons) is input of
    static synapses already under way, added to the port at the end of each of the first
    steps (nothing reads a port between the synapses and the end of a step).
    """
    lines = [f'if (const char* _sp_env = std::getenv("{RESTORE_ENV}")) {{',
             "    const std::string _sp_dir(_sp_env);",
             "    static int64_t _sp_step = 0;",
             "    unsigned long _sp_seed = 0;",
             '    { std::ifstream _f(_sp_dir + "/start.txt"); _f >> _sp_step >> _sp_seed; }',
             "    network.t = _sp_step * _array_clock_main_dt[0];"]
    # each clock's time as Network::run will set it (it sets only the step: t follows at
    # the first tick, too late for the first step)
    clocks: set[str] = set()

    def collect(objs: list[Any]) -> None:
        for o in objs:
            if hasattr(o, "clock"):
                clocks.add(o.clock.name)
            collect(list(getattr(o, "contained_objects", ())))

    collect(model.objects)
    lines += [f"    {c}.set_interval(network.t, network.t); {c}.t[0] = {c}.timestep[0] * "
              f"{c}.dt[0];" for c in sorted(clocks)]
    lines += [
             "    for (size_t _k = 0; _k < _random_generators.size(); _k++)",
             "        _random_generators[_k].seed(_sp_seed + _k);",
             # the generators' own state, when the checkpoint holds it (see RNG_SAVE_CODE)
             '    { std::ifstream _f(_sp_dir + "/rng.dat", std::ios::binary);',
             "      std::vector<char> _b((std::istreambuf_iterator<char>(_f)),",
             "                           std::istreambuf_iterator<char>());",
             "      const size_t _m = sizeof(std::mt19937);",
             "      if (_b.size() == _m * _random_generators.size())",
             "          for (size_t _k = 0; _k < _random_generators.size(); _k++) {",
             "              char* _d = reinterpret_cast<char*>(&_random_generators[_k]);",
             "              for (size_t _j = 0; _j < _m; _j++) _d[_j] = _b[_k * _m + _j]; } }"]
    for name, pop in plan.populations.items():
        if isinstance(pop, SpikeTrainPlan):
            g = model.views[name]
            bins = dev.get_array_name(g.variables["_timebins"], access_data=False)
            last = dev.get_array_name(g.variables["_lastindex"])
            lines += [f"    {{ size_t _k = 0; while (_k < {bins}.size() && {bins}[_k] < "
                      f"_sp_step) _k++; {last}[0] = _k; }}"]
    for sg in synapse_groups(plan):
        if sg.rule is None or isinstance(sg.rule, DiscreteSTDP):
            continue
        if not any(plan.projections[m[0]].delay_steps.max() > 0 for m in sg.members):
            continue
        lines += [f'    {{ std::ifstream _f(_sp_dir + "/queue_{sg.name}.dat", std::ios::binary);',
                  "      int32_t _p[2];",
                  f"      CSpikeQueue* _q = {sg.name}_pre.queue[0];",
                  "      while (_f.read(reinterpret_cast<char*>(_p), sizeof(_p)))",
                  "          _q->queue[(_q->offset + _p[1]) % _q->queue.size()]"
                  ".push_back(_p[0]); }"]
    if any(q.n_synapses and q.delay_steps.max() > 0 and q.plasticity is None
           for q in plan.projections.values()):
        for b in blocks(plan):
            g = next(o for o in model.objects if o.name == b.name)
            for port in plan.populations[b.members[0][0]].ports:
                arr = dev.get_array_name(g.variables[port.name])
                tag = f"{b.name}_{port.name}"
                lines += [
                    f'    {{ std::ifstream _f(_sp_dir + "/pending_{tag}.dat", std::ios::binary);',
                    f"      static std::vector<double> _sp_{tag};",
                    "      double _x;",
                    f"      while (_f.read(reinterpret_cast<char*>(&_x), sizeof(_x))) "
                    f"_sp_{tag}.push_back(_x);",
                    f"      if (!_sp_{tag}.empty()) network.add(&clock_main, []() {{",
                    "          const int64_t _k = clock_main.timestep[0] - _sp_step;",
                    f"          if (_k < 0 || (size_t)((_k + 1) * {b.n}) > _sp_{tag}.size())",
                    "              return;",
                    f"          for (int _i = 0; _i < {b.n}; _i++) "
                    f"{arr}[_i] += _sp_{tag}[_k * {b.n} + _i];",
                    "      }); }"]
    lines.append("}")
    return "\n".join(lines)
