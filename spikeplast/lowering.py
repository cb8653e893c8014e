"""Lowering: from a spec to a plan of explicit arrays and a fixed schedule.

Everything random or implicit is resolved here, once, with NumPy, from the
network seed: connectivity index arrays, weights, delays, initial values and —
when asked — frozen input spike trains. Every backend receives the same arrays,
so two backends can agree spike for spike.

Each random draw has its own stream, seeded by ``(seed, object name, purpose)``,
so adding a population does not change the draws of the others.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Union

import numpy as np

from .errors import SpecError
from .ir import FROZEN_DRAW, NeuronIR, freeze_draws
from .schedule import Operation, Schedule
from .spec import (
    BCM,
    BCMODE,
    LIF,
    AllToAll,
    DenseMatrix,
    DiscreteLIF,
    DiscreteSTDP,
    FilteredRate,
    FixedInDegree,
    FixedOutDegree,
    FixedProbability,
    FromIndices,
    Hebbian,
    Network,
    NeuronGroup,
    Oja,
    OneToOne,
    PoissonInput,
    Projection,
    RateMonitor,
    RatePatterns,
    RatePopulation,
    ResolvedRates,
    ResolvedSTDP,
    Sanger,
    SIDist,
    SpikeMonitor,
    SpikeTrainInput,
    StateMonitor,
    TimedArray,
    WeightMonitor,
    steps_of,
)
from .spec._rate import RATE_RULES

__all__ = ["Plan", "NeuronPlan", "EquationPlan", "TimedPlan", "DiscretePlan", "PortPlan",
           "PoissonPlan", "SpikeTrainPlan",
           "ProjectionPlan",
           "RatePopPlan", "RatePatternsPlan", "FilteredRatePlan", "async_order",
           "hebbian_constants",
           "StateMonitorPlan", "WeightMonitorPlan", "lower", "lower_variants", "spec_hash",
           "rng_for"]


def _ro(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class PortPlan:
    """A synaptic port with per-neuron parameters (SI)."""

    name: str
    kind: str  # "current" | "conductance"
    tau: np.ndarray
    e_rev: np.ndarray | None


@dataclass(frozen=True, eq=False)
class NeuronPlan:
    """A LIF population with every parameter and initial value as an ``(n,)`` array (SI).

    ``params`` holds ``tau_m, v_rest, v_reset, v_th, drive`` and ``c_m`` (NaN when the
    population has no conductance port); ``ref_steps`` is the refractory period in
    whole steps; ``init`` the initial value of ``v`` and of each port.
    """

    name: str
    n: int
    method: str
    ports: tuple[PortPlan, ...]
    params: Mapping[str, np.ndarray]
    ref_steps: np.ndarray
    init: Mapping[str, np.ndarray]
    kind = "lif"

    @property
    def variables(self) -> tuple[str, ...]:
        return ("v",) + tuple(p.name for p in self.ports)


@dataclass(frozen=True, eq=False)
class TimedPlan:
    """A :class:`~spikeplast.TimedArray` in SI: row ``min(step // every, T-1)`` holds at a
    step (``values`` of shape ``(T,)`` or ``(T, n)``)."""

    values: np.ndarray
    every: int
    dim: tuple[float, ...] = (0.0,) * 7  # the values' dimension (Brian2's 7 exponents)


@dataclass(frozen=True, eq=False)
class EquationPlan:
    """A :class:`~spikeplast.NeuronGroup`: its compiled model and every value in SI.

    ``params`` maps each parameter to a float (one value for the group) or an ``(n,)``
    array; ``timed`` each TimedArray parameter; ``init`` each state variable to ``(n,)``.
    """

    name: str
    n: int
    ir: NeuronIR
    params: Mapping[str, Any]
    timed: Mapping[str, TimedPlan]
    init: Mapping[str, np.ndarray]
    kind = "equations"

    @property
    def variables(self) -> tuple[str, ...]:
        return self.ir.names

    @property
    def method(self) -> str:
        return self.ir.method


@dataclass(frozen=True, eq=False)
class PoissonPlan:
    """Poisson sources: ``rates[row, i]`` (Hz), row ``min(step // rate_steps, T-1)``."""

    name: str
    n: int
    rates: np.ndarray
    rate_steps: int
    kind = "poisson"


@dataclass(frozen=True, eq=False)
class SpikeTrainPlan:
    """Spike sources replaying ``(indices, steps)``, sorted by step then index.

    ``frozen`` is True when lowering drew these spikes from a :class:`PoissonInput`.
    """

    name: str
    n: int
    indices: np.ndarray
    steps: np.ndarray
    frozen: bool = False
    kind = "spiketrain"


@dataclass(frozen=True, eq=False)
class DiscretePlan:
    """A discrete-time LIF layer: ``v <- leak v + I``, spike at ``v >= threshold``, reset."""

    name: str
    n: int
    leak: float
    threshold: float
    v_reset: float
    init: Mapping[str, np.ndarray]
    kind = "discrete"
    variables = ("v",)


@dataclass(frozen=True, eq=False)
class RatePopPlan:
    """Rate units updated every ``every`` steps: ``y = activation((Σ W x + bias)/T)``,
    all units at once (``sync``) or one unit per update (``async``, in
    :func:`async_order`); updates stop after ``max_sweeps`` sweeps or at the first sweep
    changing ``Σ|Δy|`` by at most ``tol`` (when given)."""

    name: str
    n: int
    activation: str
    bias: np.ndarray
    every: int
    init: np.ndarray
    temperature: float
    update: str
    max_sweeps: int | None
    tol: float | None
    #: the projections onto this population from itself (the energy's W)
    recurrent: tuple[str, ...]
    kind = "rate"
    variables = ("y", "theta", "energy", "sweeps", "converged")

    @property
    def stops(self) -> bool:
        return self.max_sweeps is not None or self.tol is not None

    @property
    def sweep(self) -> int:
        """Updates per sweep."""
        return self.n if self.update == "async" else 1


@dataclass(frozen=True, eq=False)
class FilteredRatePlan:
    """``dy/dt = −y/tau``; ``y += 1/tau`` at each spike of ``source`` (same index)."""

    name: str
    source: str
    n: int
    tau: float
    kind = "filtered"
    variables = ("y",)


@dataclass(frozen=True, eq=False)
class RatePatternsPlan:
    """Pattern ``sequence[u]`` (a row of ``patterns``) is the input of update ``u``; after
    the sequence the input is zero."""

    name: str
    patterns: np.ndarray
    sequence: np.ndarray
    every: int
    kind = "patterns"

    @property
    def n(self) -> int:
        return int(self.patterns.shape[1])


SourcePlan = Union[NeuronPlan, EquationPlan, DiscretePlan, RatePopPlan, RatePatternsPlan,
                   FilteredRatePlan,
                   PoissonPlan, SpikeTrainPlan]


@dataclass(frozen=True, eq=False)
class ProjectionPlan:
    """Explicit synapses ``i[s] → j[s]`` with weight ``w[s]`` (SI) and delay in steps.

    All arrays are read-only; a weight or delay that is one value for every synapse is a
    stride-0 view of that value (no memory per synapse)."""

    name: str
    source: str
    target: str
    port: str
    port_kind: str
    n_pre: int
    n_post: int
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray
    delay_steps: np.ndarray
    #: mean and variance of a source neuron's out-degree under the connectivity rule (for
    #: explicit connectivity: the largest realised out-degree and 0); backends size padded
    #: buffers from these so that a new seed keeps the same shapes
    fanout_mean: float = 0.0
    fanout_var: float = 0.0
    #: the plasticity rule in SI, or None for static weights
    plasticity: ResolvedSTDP | DiscreteSTDP | Oja | Sanger | BCM | BCMODE | None = None

    @property
    def n_synapses(self) -> int:
        return int(self.i.size)


@dataclass(frozen=True, eq=False)
class StateMonitorPlan:
    """Record ``variables`` of neurons ``indices`` at the start of steps ``k·every``."""

    name: str
    population: str
    variables: tuple[str, ...]
    indices: np.ndarray
    every: int


@dataclass(frozen=True, eq=False)
class WeightMonitorPlan:
    """Record weights of synapses ``synapses`` at the start of steps ``k·every``."""

    name: str
    projection: str
    synapses: np.ndarray
    every: int


@dataclass(frozen=True, eq=False)
class Plan:
    """A network resolved into explicit arrays plus the shared schedule.

    Attributes:
        dt: time step (s).
        seed: the network seed everything was drawn from.
        populations: name -> neuron, Poisson or spike-train plan, in spec order.
        projections: name -> projection plan, in spec order.
        spike_monitors / rate_monitors: monitor name -> population name.
        state_monitors / weight_monitors: monitor name -> plan.
        schedule: the order of operations in each step (print it).
        spec_hash: a hash of the spec this plan came from.
        n_steps: the run length the plan was lowered for (needed for frozen inputs).
    """

    name: str
    dt: float
    seed: int
    populations: Mapping[str, SourcePlan]
    projections: Mapping[str, ProjectionPlan]
    spike_monitors: Mapping[str, str]
    rate_monitors: Mapping[str, str]
    state_monitors: Mapping[str, StateMonitorPlan]
    weight_monitors: Mapping[str, WeightMonitorPlan]
    schedule: Schedule
    spec_hash: str
    n_steps: int | None = None

    def neurons(self) -> list[NeuronPlan]:
        """The LIF populations, in order."""
        return [p for p in self.populations.values() if isinstance(p, NeuronPlan)]

    def equations(self) -> list[EquationPlan]:
        """The populations written as equations (NeuronGroup), in order."""
        return [p for p in self.populations.values() if isinstance(p, EquationPlan)]

    def rate(self) -> list[RatePopPlan]:
        """The rate populations, in order."""
        return [p for p in self.populations.values() if isinstance(p, RatePopPlan)]

    def filtered(self) -> list[FilteredRatePlan]:
        """The spike-rate filters, in order."""
        return [p for p in self.populations.values() if isinstance(p, FilteredRatePlan)]

    def discrete(self) -> list[DiscretePlan]:
        """The discrete-time LIF layers, in order."""
        return [p for p in self.populations.values() if isinstance(p, DiscretePlan)]

    def replace(self, **changes: Any) -> Plan:
        """A copy with fields replaced (e.g. new weights for a sweep)."""
        return dataclasses.replace(self, **changes)


# -- random streams ------------------------------------------------------------------
_PURPOSES = {"connect": 1, "weight": 2, "delay": 3, "init": 4, "input": 5, "order": 6,
             "param": 7, "noise": 8}


def rng_for(seed: int, name: str, purpose: str) -> np.random.Generator:
    """The independent random stream of one object and purpose."""
    key = [int(seed), zlib.crc32(name.encode()), _PURPOSES[purpose]]
    return np.random.default_rng(np.random.SeedSequence(key))


def hebbian_constants(rule: Hebbian, source: RatePatternsPlan) -> dict[str, float]:
    """``rho`` (subtracted from every presented pattern) and ``gain`` (the factor of
    ``t tᵀ``) of Hebbian storage from a pattern source, as canns computes them from the
    whole set: ρ = mean of all entries, gain = ±1/P with ``normalize_by_patterns``."""
    p = np.asarray(source.patterns)
    return {"rho": float(p.mean()) if rule.subtract_mean else 0.0,
            "gain": rule.sign / (p.shape[0] if rule.normalize_by_patterns else 1)}


def async_order(seed: int, pop: RatePopPlan, n_updates: int) -> np.ndarray:
    """The unit updated at each of the first ``n_updates`` updates of an asynchronous
    population: a fresh random permutation of its units per sweep, from the seed."""
    rng = rng_for(seed, pop.name, "order")
    sweeps = -(-max(n_updates, 1) // pop.n)
    return np.concatenate([rng.permutation(pop.n) for _ in range(sweeps)])[:max(n_updates, 1)]


# -- connectivity --------------------------------------------------------------------
def _bernoulli_positions(rng: np.random.Generator, total: int, p: float) -> np.ndarray:
    """Sorted positions in ``[0, total)`` each kept independently with probability p."""
    if p <= 0 or total == 0:
        return np.zeros(0, np.int64)
    if p >= 1:
        return np.arange(total, dtype=np.int64)
    out: list[np.ndarray] = []
    start = -1
    while True:  # once, but for a 6-sigma shortfall; in place (fresh memory is slow)
        mean = (total - start) * p
        size = int(mean + 6 * np.sqrt(mean) + 64)
        pos = rng.geometric(p, size).astype(np.int64, copy=False)
        np.cumsum(pos, out=pos)
        pos += start
        out.append(pos[:np.searchsorted(pos, total)])
        if pos[-1] >= total:
            break
        start = int(pos[-1])
    return out[0] if len(out) == 1 else np.concatenate(out)


def _distinct_choices(rng: np.random.Generator, rows: int, avail: int, k: int) -> np.ndarray:
    """``(rows, k)`` sorted picks without replacement from ``range(avail)`` per row."""
    if k == 0:
        return np.zeros((rows, 0), np.int64)
    if 2 * k > avail:
        keys = rng.random((rows, avail))
        return np.sort(np.argpartition(keys, k - 1, axis=1)[:, :k], axis=1)
    picks = rng.integers(0, avail, (rows, k))
    while True:
        picks.sort(axis=1)
        dup = np.zeros_like(picks, dtype=bool)
        dup[:, 1:] = picks[:, 1:] == picks[:, :-1]
        n_dup = int(dup.sum())
        if n_dup == 0:
            return picks
        picks[dup] = rng.integers(0, avail, n_dup)


def _skip_self(picks: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Map picks from ``range(n - 1)`` to ``range(n)`` minus each row's own index."""
    return picks + (picks >= own[:, None])


def connect(proj: Projection, n_pre: int, n_post: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The synapse index arrays ``(i, j)`` of a projection (int64).

    Generated kinds are ordered by source then target; :class:`FromIndices` keeps
    the order it was given in.
    """
    c = proj.connectivity
    rng = rng_for(seed, proj.name, "connect")
    same = proj.source == proj.target
    no_self = same and getattr(c, "allow_self", True) is False
    if isinstance(c, FromIndices):
        return c.i.copy(), c.j.copy()
    if isinstance(c, OneToOne):
        return np.arange(n_pre), np.arange(n_post)
    if isinstance(c, DenseMatrix):
        w = np.asarray(c.weights)
        jj, ii = np.nonzero(np.ones_like(w, dtype=bool) if c.keep_zeros else w != 0)
        order = np.lexsort((jj, ii))
        return ii[order].astype(np.int64), jj[order].astype(np.int64)
    if isinstance(c, AllToAll):
        i = np.repeat(np.arange(n_pre), n_post)
        j = np.tile(np.arange(n_post), n_pre)
    elif isinstance(c, FixedProbability):
        width = n_post - 1 if no_self else n_post
        i = _bernoulli_positions(rng, n_pre * width, float(c.p))
        j = np.empty_like(i)
        np.divmod(i, max(width, 1), out=(i, j))  # the positions become the sources
        if no_self:
            j += j >= i
        return i, j
    elif isinstance(c, FixedInDegree):
        own = np.arange(n_post)
        picks = _distinct_choices(rng, n_post, n_pre - (1 if no_self else 0), c.k)
        if no_self:
            picks = _skip_self(picks, own)
        i, j = picks.ravel(), np.repeat(own, c.k)
        order = np.lexsort((j, i))
        return i[order], j[order]
    elif isinstance(c, FixedOutDegree):
        own = np.arange(n_pre)
        picks = _distinct_choices(rng, n_pre, n_post - (1 if no_self else 0), c.k)
        if no_self:
            picks = _skip_self(picks, own)
        return np.repeat(own, c.k), picks.ravel()
    else:  # pragma: no cover - the spec rejects other kinds
        raise SpecError(f"{proj.where}: unknown connectivity {c!r}")
    if no_self:
        keep = i != j
        i, j = i[keep], j[keep]
    return i, j


def fanout_moments(proj: Projection, n_pre: int, n_post: int, i: np.ndarray
                   ) -> tuple[float, float]:
    """Mean and variance of one source neuron's out-degree under the projection's rule."""
    c = proj.connectivity
    width = n_post - (1 if proj.source == proj.target and
                      getattr(c, "allow_self", True) is False else 0)
    if isinstance(c, FixedProbability):
        return width * c.p, width * c.p * (1 - c.p)
    if isinstance(c, FixedInDegree):
        q = c.k / max(n_pre, 1)
        return n_post * q, n_post * q * (1 - q)
    if isinstance(c, FixedOutDegree):
        return float(c.k), 0.0
    if isinstance(c, AllToAll):
        return float(width), 0.0
    return float(np.bincount(i).max()) if i.size else 0.0, 0.0


def _one_value(value: Any) -> bool:
    """Whether a per-synapse field is one value for every synapse (not an array or a
    distribution): the plan then holds it as a stride-0 view."""
    return np.ndim(value) == 0 and not isinstance(value, SIDist)


def _per_element(value: Any, size: int, rng: np.random.Generator, where: str,
                 field: str) -> np.ndarray:
    """A constant, array or distribution as a float64 array of ``size`` values."""
    if isinstance(value, SIDist):
        return value.sample(rng, size)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(size, float(arr))
    if arr.shape != (size,):
        raise SpecError(f"{where}: {field} has {arr.size} values but there are {size} "
                        f"synapses; give one value per synapse, a constant or a distribution.")
    return arr.copy()


# -- inputs --------------------------------------------------------------------------
def freeze_poisson(pop: PoissonPlan, n_steps: int, seed: int, dt: float) -> SpikeTrainPlan:
    """Draw a Poisson population's spikes for ``n_steps`` steps (Bernoulli per step).

    A source spikes in step ``s`` when a uniform draw is below ``rate·dt`` — the
    rule of Brian2's PoissonGroup — so the frozen trains have the same statistics.
    """
    rng = rng_for(seed, pop.name, "input")
    steps: list[np.ndarray] = []
    idx: list[np.ndarray] = []
    block = max(1, min(n_steps, 2_000_000 // max(pop.n, 1)))
    for s0 in range(0, n_steps, block):
        s = np.arange(s0, min(n_steps, s0 + block))
        rows = np.minimum(s // pop.rate_steps, pop.rates.shape[0] - 1)
        p = pop.rates[rows] * dt
        hit_s, hit_i = np.nonzero(rng.random((s.size, pop.n)) < p)
        steps.append(s[hit_s])
        idx.append(hit_i)
    return SpikeTrainPlan(pop.name, pop.n, _ro(np.concatenate(idx).astype(np.int64)),
                          _ro(np.concatenate(steps).astype(np.int64)), frozen=True)


#: the most memory the frozen draws of one group may take
_MAX_FROZEN_BYTES = 2 * 2**30


def freeze_noise(plan: EquationPlan, n_steps: int, seed: int) -> EquationPlan:
    """Pre-draw an equation group's random numbers (its white noise ``xi`` and any
    ``rand()``/``randn()``) for ``n_steps`` steps, one value per neuron and step for each
    draw of the model, read by both backends as the 2-D TimedArrays of
    :func:`~spikeplast.ir.freeze_draws`."""
    ir = freeze_draws(plan.ir)
    if not ir.frozen:
        return plan
    size = len(ir.frozen) * max(n_steps, 1) * plan.n * 8
    if size > _MAX_FROZEN_BYTES:
        raise SpecError(f"NeuronGroup '{plan.name}': freezing its noise for {n_steps} steps "
                        f"needs {size / 2**30:.1f} GiB ({len(ir.frozen)} draws x {plan.n} "
                        f"neurons x {n_steps} steps, float64); at most "
                        f"{_MAX_FROZEN_BYTES / 2**30:.0f} GiB. Run shorter segments or use "
                        f"freeze_inputs=False.")
    rng = rng_for(seed, plan.name, "noise")
    timed = dict(plan.timed)
    for k, kind in enumerate(ir.frozen):
        shape = (max(n_steps, 1), plan.n)
        values = rng.standard_normal(shape) if kind == "randn" else rng.random(shape)
        timed[f"{FROZEN_DRAW}{k}"] = TimedPlan(_ro(values), 1, (0.0,) * 7)
    return dataclasses.replace(plan, ir=ir, timed=MappingProxyType(timed))


# -- the plan ------------------------------------------------------------------------
def _lower_lif(pop: LIF, dt: float, seed: int) -> NeuronPlan:
    n = pop.n
    full = lambda v: _ro(np.broadcast_to(np.asarray(v, np.float64), (n,)).copy())  # noqa: E731
    params = {f: full(getattr(pop, f)) for f in ("tau_m", "v_rest", "v_reset", "v_th", "drive")}
    params["c_m"] = full(np.nan if pop.c_m is None else pop.c_m)
    ports = tuple(PortPlan(p.name, p.kind, full(p.tau),
                           full(p.e_rev) if p.kind == "conductance" else None) for p in pop.ports)
    rng = rng_for(seed, pop.name, "init")
    init = {}
    for var in pop.variables:
        default = params["v_rest"] if var == "v" else np.zeros(n)
        value = pop.init.get(var)
        init[var] = _ro(default.copy() if value is None else
                        _per_element(value, n, rng, pop.where, f"init['{var}']"))
    return NeuronPlan(pop.name, n, pop.method, ports, MappingProxyType(params),
                      _ro(steps_of(full(pop.t_ref), dt)), MappingProxyType(init))


def _lower_equations(pop: NeuronGroup, dt: float, seed: int) -> EquationPlan:
    n = pop.n
    rng = rng_for(seed, pop.name, "init")
    params: dict[str, Any] = {}
    timed: dict[str, TimedPlan] = {}
    for name, value in pop.values.items():
        if isinstance(value, TimedArray):
            every = value.dt / dt
            if abs(every - round(every)) > 1e-6 * max(1.0, every) or round(every) < 1:
                raise SpecError(f"{pop.where}: params['{name}'] is a TimedArray with dt = "
                                f"{value.dt:g} s; it must be a multiple of the network's "
                                f"dt = {dt:g} s.")
            timed[name] = TimedPlan(value.values, int(round(every)), value.dim)
        elif isinstance(value, SIDist) or np.ndim(value):
            params[name] = _ro(_per_element(value, n, rng_for(seed, pop.name, "param"),
                                            pop.where, f"params['{name}']"))
        else:
            params[name] = float(value)
    init = {var: _ro(_per_element(pop.initial.get(var, 0.0), n, rng, pop.where,
                                  f"init['{var}']")) for var in pop.variables}
    return EquationPlan(pop.name, n, pop.ir, MappingProxyType(params), MappingProxyType(timed),
                        MappingProxyType(init))


def _lower_input(pop: PoissonInput | SpikeTrainInput, dt: float) -> PoissonPlan | SpikeTrainPlan:
    if isinstance(pop, SpikeTrainInput):
        steps = steps_of(pop.times, dt) if pop.indices.size else np.zeros(0, np.int64)
        order = np.lexsort((pop.indices, steps))
        return SpikeTrainPlan(pop.name, pop.n, _ro(pop.indices[order].copy()),
                              _ro(steps[order].astype(np.int64)))
    if isinstance(pop.rate, ResolvedRates):
        rates, rate_steps = pop.rate.values, int(round(pop.rate.interval / dt))
    else:
        rates, rate_steps = np.broadcast_to(np.asarray(pop.rate), (1, pop.n)), 1
    return PoissonPlan(pop.name, pop.n, _ro(np.array(rates, np.float64)), rate_steps)


def _connect_once(proj: Projection, n_pre: int, n_post: int, seed: int,
                  drawn: dict[Any, tuple[np.ndarray, np.ndarray]] | None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`connect`, drawn once per seed, projection, sizes and rule object when
    ``drawn`` (a dict shared by the variants of a sweep, which share their rule objects)
    is given. Rules compare by identity, so the key holds the object itself."""
    if drawn is None:
        return connect(proj, n_pre, n_post, seed)
    key = (seed, proj.name, proj.source == proj.target, proj.connectivity, n_pre, n_post)
    if key not in drawn:
        drawn[key] = connect(proj, n_pre, n_post, seed)
    return drawn[key]


def _lower_projection(net: Network, proj: Projection, pops: Mapping[str, SourcePlan],
                      drawn: dict[Any, tuple[np.ndarray, np.ndarray]] | None = None
                      ) -> ProjectionPlan:
    pre, post = pops[proj.source], pops[proj.target]
    i, j = _connect_once(proj, pre.n, post.n, net.seed, drawn)
    m = i.size
    weight = net.weights[proj.name]
    if isinstance(proj.connectivity, DenseMatrix):
        w = np.asarray(weight)[j, i].astype(np.float64)
    elif _one_value(weight):  # a stride-0 view, no copies
        w = np.broadcast_to(np.float64(weight), (m,))
    else:
        w = _per_element(weight, m, rng_for(net.seed, proj.name, "weight"), proj.where, "weight")
    if isinstance(post, DiscretePlan):
        kind = "discrete"
    elif isinstance(post, EquationPlan):
        kind = "variable"
    elif isinstance(post, RatePopPlan):
        kind = "rate"
    else:
        kind = next(p for p in post.ports if p.name == proj.port).kind
    if kind == "conductance" and np.any(w < 0):
        raise SpecError(f"{proj.where}: weight drew {int(np.sum(w < 0))} negative conductances "
                        f"(e.g. {w[w < 0][0]:g} S); on a conductance port weights must be >= 0 — "
                        f"use a distribution that stays non-negative.")
    if _one_value(proj.delay):
        d = np.array([float(proj.delay)])
        delay_steps = np.broadcast_to(np.int64(np.round(d[0] / net.dt)), (m,))
    else:
        d = _per_element(proj.delay, m, rng_for(net.seed, proj.name, "delay"), proj.where,
                         "delay")
        delay_steps = np.round(d / net.dt).astype(np.int64)
    if np.any(delay_steps < 0):
        raise SpecError(f"{proj.where}: delay drew negative values (e.g. {d[d < 0][0]:g} s); "
                        f"delays must be >= 0.")
    mean, var = fanout_moments(proj, pre.n, post.n, i)
    rule = proj.plasticity if isinstance(proj.plasticity, (DiscreteSTDP, *RATE_RULES)) else \
        net.plasticity.get(proj.name)
    return ProjectionPlan(proj.name, proj.source, proj.target, proj.port, kind, pre.n,
                          post.n, _ro(i.astype(np.int64, copy=False)),
                          _ro(j.astype(np.int64, copy=False)), _ro(w),
                          _ro(delay_steps), mean, var, rule)


def _schedule(net: Network, pops: Mapping[str, SourcePlan],
              projs: Mapping[str, ProjectionPlan]) -> Schedule:
    ops: list[Operation] = []
    for p in pops.values():
        if isinstance(p, PoissonPlan):
            ops.append(Operation("start", p.name, f"Poisson draw, {p.n} sources"))
        elif isinstance(p, SpikeTrainPlan):
            what = "frozen Poisson replay" if p.frozen else "spike train replay"
            ops.append(Operation("start", p.name, f"{what}, {p.indices.size} spikes"))
    for m in net.monitors:
        if isinstance(m, StateMonitor):
            ops.append(Operation("start", m.name, f"record {', '.join(m.variables)} of "
                                 f"{m.population} every {m.every} step(s)"))
        elif isinstance(m, WeightMonitor):
            ops.append(Operation("start", m.name, f"record weights of {m.projection} every "
                                 f"{m.every} step(s)"))
    for p in pops.values():
        if isinstance(p, NeuronPlan):
            ports = ", ".join(f"{q.name} ({q.kind})" for q in p.ports) or "no ports"
            ops.append(Operation("groups", p.name, f"integrate v, {ports} [{p.method}]"))
        elif isinstance(p, EquationPlan):
            ops.append(Operation("groups", p.name, f"integrate {', '.join(p.variables)} "
                                 f"[{p.method}]"))
    for p in pops.values():
        if isinstance(p, NeuronPlan):
            ops.append(Operation("thresholds", p.name, "spike if v > v_th and not refractory"))
        elif isinstance(p, EquationPlan) and p.ir.threshold:
            ops.append(Operation("thresholds", p.name, f"spike if {p.ir.threshold}"))
    for q in projs.values():
        if q.port_kind == "rate":
            continue  # read by the rate update in the groups slot, not delivered as spikes
        d = q.delay_steps
        if d.size == 0:
            delay = "no synapses"
        elif d.min() == d.max():
            delay = f"delay {d.min()} steps"
        else:
            delay = f"delays {d.min()}..{d.max()} steps"
        ops.append(Operation("synapses", q.name, f"{q.source} → {q.target}.{q.port} += w, "
                             f"{q.n_synapses} synapses, {delay}"))
    for p in pops.values():
        if isinstance(p, DiscretePlan):
            ops.append(Operation("synapses", p.name, "after this step's input: v <- leak v + I; "
                                 "spike if v >= threshold; v = v_reset"))
    for p in pops.values():
        if isinstance(p, RatePatternsPlan):
            ops.append(Operation("start", p.name, f"present pattern sequence[step // "
                                 f"{p.every}] ({p.sequence.size} presentations)"))
    for p in pops.values():
        if isinstance(p, FilteredRatePlan):
            ops.append(Operation("groups", p.name, f"y ← y·exp(−dt/τ), τ = {p.tau:g} s"))
    for p in pops.values():
        if isinstance(p, RatePopPlan):
            what = "y" if p.update == "sync" else "y[one unit, fresh order per sweep]"
            stop = (f"; stop after {p.max_sweeps} sweeps" if p.max_sweeps else "") + (
                f"; stop when a sweep changes Σ|Δy| <= {p.tol:g}" if p.tol is not None else "")
            ops.append(Operation("groups", p.name, f"every {p.every} step(s): {what} = "
                                 f"{p.activation}(Σ W x + bias), W before this update{stop}"))
    for q in projs.values():
        if isinstance(q.plasticity, RATE_RULES):
            ops.append(Operation("groups", q.name, f"{type(q.plasticity).__name__}: W update "
                                 f"from x and y of this update"))
    for p in pops.values():
        if isinstance(p, FilteredRatePlan):
            ops.append(Operation("synapses", p.name, f"y += 1/τ for each spike of {p.source}"))
    for q in projs.values():
        if isinstance(q.plasticity, DiscreteSTDP):
            ops.append(Operation("synapses", q.name, "DiscreteSTDP: trace_pre, trace_post, "
                                 "W <- clip(W + lr (A+ s trace_pre' - A- trace_post x'))"))
    for q in projs.values():
        if isinstance(q.plasticity, ResolvedSTDP):
            r = q.plasticity
            ops.append(Operation("synapses", q.name, f"STDP on presynaptic arrivals "
                                 f"({r.pairing}, {r.dependence}): a_pre, w += η·a_post"))
    for q in projs.values():
        if isinstance(q.plasticity, ResolvedSTDP):
            ops.append(Operation("synapses", q.name, f"STDP on {q.target} spikes (after every "
                                 f"presynaptic event of the step): a_post, w += η·a_pre"))
    for p in pops.values():
        if isinstance(p, NeuronPlan):
            ops.append(Operation("resets", p.name, "v = v_reset; refractory for "
                                 f"{int(p.ref_steps.max()) if p.n else 0} steps"))
        elif isinstance(p, EquationPlan) and p.ir.reset:
            ops.append(Operation("resets", p.name, "; ".join(
                f"{s.target} {s.op} {s.expr}" for s in p.ir.reset)))
    for m in net.monitors:
        if isinstance(m, SpikeMonitor):
            ops.append(Operation("end", m.name, f"spikes of {m.population}"))
        elif isinstance(m, RateMonitor):
            ops.append(Operation("end", m.name, f"population rate of {m.population}"))
    return Schedule(net.dt, tuple(ops))


def lower_variants(nets: Sequence[Network], *, n_steps: int | None = None,
                   freeze_inputs: bool = False) -> Iterator[Plan]:
    """:func:`lower` each network of a sweep, one at a time as they are taken (a sweep
    starts compiling the first while it lowers the others); a projection's connectivity
    is drawn once for all variants with the same seed, rule and sizes (the same draw each
    would make)."""
    drawn: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    return (_lower(net, n_steps, freeze_inputs, drawn) for net in nets)


def lower(net: Network, *, n_steps: int | None = None, freeze_inputs: bool = False) -> Plan:
    """Resolve a network into a :class:`Plan`.

    Args:
        net: the network spec.
        n_steps: the number of steps the plan will run; required with ``freeze_inputs``.
        freeze_inputs: draw every Poisson input's spikes now (for ``n_steps``) so that
            all backends replay the same noise.
    """
    return _lower(net, n_steps, freeze_inputs, None)


def _lower(net: Network, n_steps: int | None, freeze_inputs: bool,
           drawn: dict[Any, tuple[np.ndarray, np.ndarray]] | None) -> Plan:
    if not isinstance(net, Network):
        raise SpecError(f"lower() needs a Network; got {type(net).__name__}.")
    if freeze_inputs and n_steps is None:
        raise SpecError("lower(): freeze_inputs=True needs n_steps (the run length).")
    pops: dict[str, SourcePlan] = {}
    for pop in net.populations:
        if isinstance(pop, LIF):
            pops[pop.name] = _lower_lif(pop, net.dt, net.seed)
        elif isinstance(pop, NeuronGroup):
            eq = _lower_equations(pop, net.dt, net.seed)
            pops[pop.name] = freeze_noise(eq, int(n_steps or 0), net.seed) if freeze_inputs \
                else eq
        elif isinstance(pop, RatePopulation):
            rec = tuple(q.name for q in net.projections if q.source == q.target == pop.name)
            pops[pop.name] = RatePopPlan(pop.name, pop.n, pop.activation,
                                         _ro(np.array(pop.bias, np.float64)), pop.every,
                                         _ro(np.array(pop.init, np.float64)),
                                         float(pop.temperature), pop.update, pop.max_sweeps,
                                         None if pop.tol is None else float(pop.tol), rec)
        elif isinstance(pop, FilteredRate):
            pops[pop.name] = FilteredRatePlan(pop.name, pop.source, pop.n, float(pop.tau))
        elif isinstance(pop, RatePatterns):
            n_pat = pop.patterns.shape[0]
            rng = rng_for(net.seed, pop.name, "input")
            seq = np.concatenate([rng.permutation(n_pat) if pop.order == "shuffled"
                                  else np.arange(n_pat) for _ in range(pop.epochs)])
            pops[pop.name] = RatePatternsPlan(pop.name, _ro(pop.patterns.copy()),
                                              _ro(seq.astype(np.int64)), pop.every)
        elif isinstance(pop, DiscreteLIF):
            v0 = _per_element(pop.init.get("v", 0.0), pop.n, rng_for(net.seed, pop.name, "init"),
                              pop.where, "init['v']")
            pops[pop.name] = DiscretePlan(pop.name, pop.n, float(pop.leak),
                                          float(pop.threshold), float(pop.v_reset),
                                          MappingProxyType({"v": _ro(v0)}))
        else:
            plan = _lower_input(pop, net.dt)
            if freeze_inputs and isinstance(plan, PoissonPlan):
                plan = freeze_poisson(plan, int(n_steps or 0), net.seed, net.dt)
            pops[pop.name] = plan
    projs = {p.name: _lower_projection(net, p, pops, drawn) for p in net.projections}
    state_mons = {}
    weight_mons = {}
    for m in net.monitors:
        if isinstance(m, StateMonitor):
            idx = np.arange(pops[m.population].n) if m.indices is None else m.indices
            state_mons[m.name] = StateMonitorPlan(m.name, m.population, m.variables,
                                                  _ro(np.asarray(idx, np.int64)), m.every)
        elif isinstance(m, WeightMonitor):
            q = projs[m.projection]
            syn = np.arange(q.n_synapses) if m.synapses is None else m.synapses
            if syn.size and syn.max() >= q.n_synapses:
                raise SpecError(f"{m.where}: synapses contains {int(syn.max())}; projection "
                                f"'{q.name}' has {q.n_synapses} synapses.")
            weight_mons[m.name] = WeightMonitorPlan(m.name, m.projection,
                                                    _ro(np.asarray(syn, np.int64)), m.every)
    return Plan(
        name=net.name, dt=net.dt, seed=net.seed,
        populations=MappingProxyType(pops), projections=MappingProxyType(projs),
        spike_monitors=MappingProxyType({m.name: m.population for m in net.monitors
                                         if isinstance(m, SpikeMonitor)}),
        rate_monitors=MappingProxyType({m.name: m.population for m in net.monitors
                                        if isinstance(m, RateMonitor)}),
        state_monitors=MappingProxyType(state_mons), weight_monitors=MappingProxyType(weight_mons),
        schedule=_schedule(net, pops, projs), spec_hash=spec_hash(net), n_steps=n_steps,
    )


# -- hashing -------------------------------------------------------------------------
def _canonical(obj: Any, h: Any) -> None:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(type(obj).__name__.encode())
        for f in dataclasses.fields(obj):
            h.update(f.name.encode())
            _canonical(getattr(obj, f.name), h)
    elif isinstance(obj, np.ndarray):
        h.update(f"{obj.dtype}{obj.shape}".encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, Mapping):
        for k in sorted(obj):
            h.update(repr(k).encode())
            _canonical(obj[k], h)
    elif isinstance(obj, (tuple, list)):
        h.update(f"[{len(obj)}".encode())
        for x in obj:
            _canonical(x, h)
    else:
        h.update(repr(obj).encode())


def spec_hash(net: Network) -> str:
    """A stable SHA-256 (hex, 16 chars) of everything in a network spec."""
    h = hashlib.sha256()
    _canonical(net, h)
    return h.hexdigest()[:16]
