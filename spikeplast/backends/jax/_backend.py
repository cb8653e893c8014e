"""The JAX backend: one jit-compiled ``lax.scan`` per chunk, event-driven delivery.

Layout:

* Every port of every neuron population owns a slice of one flat input vector
  of ``M`` entries. A ring buffer of ``D`` such vectors (``D`` = the longest
  delay + 1) holds input due in future steps; entry ``D·M`` is a sink. A row's
  padding adds the zero weight to distinct inputs (column ``c``: input ``c mod M``).
* Each spike source (neuron population or input) has a padded adjacency of
  ``F`` (its largest fan-out) entries per neuron: flat target index, delay in
  steps and the position of the synapse's weight. A step touches only the rows
  of neurons that spiked: a loop finds the step's spikes one per pass, in
  ascending order (``_compact_spikes``: from bit-packed words up to 32768
  sources, else by blocks), writes each into the chunk's spike record and
  scatters its row into the ring buffer (up to 32768 sources in the same pass).
* A spiking population of ``32 W`` neurons whose spikes that loop finds is stored
  interleaved (neuron ``32 j + b`` at position ``b W + j``, :func:`_interleaved`), so
  that packing its spikes into words is a sum over the major axis; every order and
  result is that of neuron order.
* On the CPU, a step of spiking groups is two conditionals (the groups' update with
  the ports' decay; the compaction with the delivery), so that XLA:CPU runs each
  piece's kernels in sequence, not as a dataflow graph (:func:`_grouped`); so is
  each rate population's update every step.
* The record holds the chunk's spikes one step after another (at most ``K`` a
  step), ``R`` in all. If a step has more spikes than ``K``, or the chunk more
  than ``R − K``, the chunk is discarded and re-run from its starting state with
  a larger ``K`` or ``R`` (or, for ``K`` with ``on_overflow="raise"``, a
  :class:`~spikeplast.errors.SimulationError`): no spike is ever dropped.
* Parameters, weights and connectivity are traced arrays; the compiled chunk
  function depends only on the *structure* (sizes, methods, capacities, chunk
  length, dtype), so new values never recompile.
"""

from __future__ import annotations

import functools
import gc
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..._files import cache_root
from ...errors import SimulationError, SpecError, UnsupportedFeature
from ...lowering import (
    DiscretePlan,
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
from ...results import Recording
from ...spec import DiscreteSTDP, ResolvedSTDP
from ...state import SimState, check_snapshot, compacted_sources
from . import _cache
from . import _equations as eqs
from ._neuron import coefficients, integrate
from ._ops import where
from ._state import export_state, import_state

__all__ = ["JaxSimulation", "build", "check", "compile_count"]

Array = Any
_COUNTERS = {"compiles": 0}
#: Poisson draws per chunk computed in one batch when at most this many (else per step)
_MAX_BATCHED_DRAWS = 1 << 24


def compile_count() -> int:
    """How many chunk functions this process has traced and compiled (for tests)."""
    return _COUNTERS["compiles"]


# -- static structure ----------------------------------------------------------------
@dataclass(frozen=True)
class _Pop:
    name: str
    n: int
    method: str
    kinds: tuple[str, ...]
    offset: int  # start of this population's ports in the flat input vector


def _port_slice(p: _Pop, k: int) -> slice:
    """Where port ``k`` of population ``p`` lies in the flat input vector."""
    return slice(p.offset + k * p.n, p.offset + (k + 1) * p.n)


def _interleaved(n: int) -> np.ndarray:
    """The neuron at each position of a population of ``n = 32 W`` neurons stored
    interleaved: position ``b W + j`` holds neuron ``32 j + b``.

    Word ``j`` of the packed spike mask holds neurons ``32 j`` to ``32 j + 31`` (bit ``b``:
    neuron ``32 j + b``), which are then ``W`` apart in memory: the packing is a sum over
    the major axis of a ``(32, W)`` view, which XLA:CPU vectorises along the words,
    instead of 32 neighbours gathered into each word, which it emits as scalar code (CUBA
    4k: a step 19 % shorter). Spikes are still found, recorded and delivered in ascending
    neuron order, so results do not change."""
    W = n // 32
    at = np.arange(n)
    return (32 * (at % W) + at // W).astype(np.int32)


def _positions(n: int) -> np.ndarray:
    """Where each neuron of an interleaved population of ``n`` neurons is stored (the
    inverse of :func:`_interleaved`): neuron ``32 j + b`` at ``b W + j``."""
    i = np.arange(n)
    return ((i % 32) * (n // 32) + i // 32).astype(np.int32)


def _pack_interleaved(mask: Array) -> Array:
    """:func:`_pack_bits` of the neuron-ordered mask of an interleaved population, from
    its mask in storage order."""
    W = mask.shape[0] // 32
    return jnp.sum(mask.reshape(32, W).astype(jnp.uint32)
                   << jnp.arange(32, dtype=jnp.uint32)[:, None], axis=0, dtype=jnp.uint32)


@dataclass(frozen=True)
class _Part:
    """A source whose spikes are compacted: a neuron population or a live Poisson input.

    All parts are stacked into one event vector of ``n_events`` entries (this part at
    ``offset``), so one compaction and one delivery loop serve them all each step.
    """

    name: str
    kind: str  # "lif" | "poisson" (a draw per input and step) | "gaps" (constant rates)
    n: int
    offset: int
    record: bool  # its spike indices go to the host (spike monitor)
    interleaved: bool = False  # a population stored interleaved (:func:`_interleaved`)


@dataclass(frozen=True)
class _Train:
    """A spike-train source (replayed from the plan) with outgoing synapses."""

    name: str
    n: int
    static: bool  # has static (non-plastic) synapses, delivered through its own table


@dataclass(frozen=True)
class _Plastic:
    """A projection with STDP: its weights and traces live in the scan state."""

    name: str
    source: str  # a part (compacted source) or a train
    source_is_train: bool
    target: str  # a LIF population (a part)
    pairing: str
    dependence: str
    lags: tuple[int, ...]  # the distinct transmission delays of its synapses (steps)


@dataclass(frozen=True)
class _Discrete:
    """A DiscreteLIF layer: input slice ``offset`` of the flat input vector; ``dense`` is
    its DiscreteSTDP projection (dense W in the state), if any."""

    name: str
    n: int
    offset: int
    dense: str | None
    source: str | None  # the dense projection's source
    source_is_train: bool
    n_pre: int


@dataclass(frozen=True)
class _Filtered:
    """A spike-rate filter of ``source`` (a part or a train), read like a dense source."""

    name: str
    source: str
    source_is_train: bool
    n_pre: int


@dataclass(frozen=True)
class _RateIn:
    """One projection into a rate population: dense W in the state, optional rule."""

    name: str
    source: str
    from_patterns: bool
    rule: str  # "", "oja", "sanger", "bcm", "bcmode", "online" or "hebbian"
    normalize: bool
    bounded: bool = False  # BCMODE with w_bound > 0
    zero_diagonal: bool = False  # Hebbian storage
    decays: bool = False  # BCMODE with w_decay > 0


@dataclass(frozen=True)
class _Rate:
    name: str
    n: int
    activation: str
    every: int
    inputs: tuple[_RateIn, ...]
    update: str  # "sync" or "async"
    stops: bool  # a sweep limit or a convergence test
    counts: bool  # sweeps and convergence are tracked (stopping, or recorded)
    scaled: bool  # a temperature other than 1
    recurrent: tuple[str, ...]

    @property
    def sweep(self) -> int:
        return self.n if self.update == "async" else 1


@dataclass(frozen=True)
class _StateMon:
    name: str
    pop: str
    variables: tuple[str, ...]
    m: int
    every: int


@dataclass(frozen=True)
class _WeightMon:
    name: str
    m: int
    every: int
    plastic: str | None  # the projection when its weights are state, not parameters


@dataclass(frozen=True)
class _Config:
    dtype: str
    length: int  # steps per chunk (scan length)
    delay_slots: int  # D
    inputs: int  # M
    pops: tuple[_Pop, ...]
    parts: tuple[_Part, ...]
    n_events: int
    capacity: int  # K: spikes per step the compacted buffer holds
    fanout: int  # F of the event adjacency (0: no outgoing synapses)
    trains: tuple[_Train, ...]
    plastic: tuple[_Plastic, ...]
    history: int  # H: steps of compacted spikes kept for delayed plastic synapses
    back: int  # steps of spike-train look-back for delayed plastic synapses
    discrete: tuple[_Discrete, ...]
    filtered: tuple[_Filtered, ...]
    rates: tuple[_Rate, ...]
    state_mons: tuple[_StateMon, ...]
    weight_mons: tuple[_WeightMon, ...]
    diagnose: bool = False  # also return, per step, the first non-finite index per variable
    vector: bool = False  # deliver every slot of the spike buffer at once (GPU), not a loop
    states_batched: bool = False  # mapped over a batch of states (run_states)
    # the end state's finiteness is reduced inside the executable (accelerators: the
    # state stays there); on CPU the host reads the state instead, which costs no compile
    device_check: bool = False
    # R: spike indices the chunk's record holds, the steps' spikes one after another
    record: int = 0
    # XLA:CPU: pieces of the step in conditionals of at most 8 kernels each (_grouped)
    sequenced: bool = False
    eqs: tuple[eqs.EqGroup, ...] = ()  # populations written as equations

    @property
    def grouped(self) -> bool:
        """Whether the spiking groups' step is cut into conditionals: not where rate,
        filtered or discrete layers read the old ports after the groups' decay."""
        return self.sequenced and not (self.rates or self.filtered or self.discrete)


def _first_bad(a: Array) -> Array:
    """Index of the first non-finite entry of a float array (flattened), or -1."""
    bad = ~jnp.isfinite(a.reshape(-1))
    return where(jnp.any(bad), jnp.argmax(bad), -1).astype(jnp.int32)


def _finite(state: Any, out: dict[str, Any], batched: bool = False) -> np.ndarray:
    """Whether every simulated float of a chunk's end state is finite, per copy of a
    batch (``batched``: the leading axis) or for the one state: the executable's own flag
    on accelerators, else read from the state on the host (on CPU a view, and nothing to
    compile; small JAX reductions would each compile on a first run, 0.2 s in all)."""
    if "finite" in out:
        return np.asarray(out["finite"]).reshape(-1)
    ok: Any = True
    for _, a in _float_leaves(state):
        a = np.asarray(a)
        ok = ok & np.isfinite(a.reshape(a.shape[0] if batched else 1, -1)).all(axis=1)
    return np.atleast_1d(ok)


def _float_leaves(state: Any) -> list[tuple[str, Any]]:
    """``(path, array)`` of every float array of a state that is simulated (not records)."""
    out = []
    for group in ("pops", "plastic", "dense"):
        for owner, variables in state.get(group, {}).items():
            for var, a in variables.items():
                if jnp.issubdtype(np.result_type(a), jnp.floating):
                    out.append((f"{group}/{owner}/{var}", a))
    if "X" in state:  # the ports of every population
        out.append(("ports/X", state["X"]))
    return out


def check(plan: Plan, options: dict[str, Any]) -> None:
    """Raise before compiling if the plan or options are outside what this backend runs."""
    dtype = options.get("dtype", "float32")
    if dtype not in ("float32", "float64"):
        raise SpecError(f"backend 'jax': dtype = {dtype!r} is invalid; it must be 'float32' "
                        f"or 'float64'.")
    on_overflow = options.get("on_overflow", "grow")
    if on_overflow not in ("grow", "raise"):
        raise SpecError(f"backend 'jax': on_overflow = {on_overflow!r} is invalid; it must be "
                        f"'grow' or 'raise'.")
    for key in ("chunk_steps", "spike_capacity"):
        v = options.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise SpecError(f"backend 'jax': {key} = {v!r} is invalid; it must be a whole "
                            f"number >= 1.")
    on_nan = options.get("on_nan", "raise")
    if on_nan not in ("raise", "stop"):
        raise SpecError(f"backend 'jax': on_nan = {on_nan!r} is invalid; it must be 'raise' or "
                        f"'stop'.")
    if not isinstance(options.get("compile_cache", True), bool):
        raise SpecError(f"backend 'jax': compile_cache = {options['compile_cache']!r} is "
                        f"invalid; it must be True or False.")
    cache_dir = options.get("cache_dir")
    if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
        raise SpecError(f"backend 'jax': cache_dir = {cache_dir!r} is invalid; it must be a "
                        f"directory path.")
    delivery = options.get("delivery", "auto")
    if delivery not in ("auto", "loop", "vector"):
        raise SpecError(f"backend 'jax': delivery = {delivery!r} is invalid; it must be "
                        f"'auto', 'loop' or 'vector'.")
    n_syn = sum(q.n_synapses for q in plan.projections.values())
    if n_syn > 2**31 - 1:  # the index n_syn itself is the tables' padding sink
        raise UnsupportedFeature("jax", f"{n_syn} synapses (they are indexed with 32-bit "
                                 f"integers: at most {2**31 - 1})",
                                 "Split the network or use backend='brian2'.")
    valid = {"dtype", "on_overflow", "on_nan", "chunk_steps", "spike_capacity",
             "compile_cache", "cache_dir", "delivery"}
    unknown = set(options) - valid
    if unknown:
        raise SpecError(f"backend 'jax': unknown option(s) {', '.join(sorted(unknown))}; valid: "
                        f"{', '.join(sorted(valid))}.")


def _pow2(x: int) -> int:
    return 1 << max(0, int(x) - 1).bit_length()


def _compact(a: np.ndarray, dtype: Any) -> np.ndarray:
    """A parameter as a scalar when every neuron has the same value, else per neuron.

    Scalars keep the step's memory traffic to the state arrays (as Brian2's shared
    variables do); the shape is part of the compiled signature, so changing a uniform
    value still reuses the compiled code.
    """
    a = np.asarray(a)
    return np.asarray(a.flat[0], dtype) if a.size and np.all(a == a.flat[0]) else a.astype(dtype)


def _synapse_table(rows: int, index: np.ndarray, mean: float, var: float, sink: int
                   ) -> np.ndarray:
    """Row ``r`` lists the synapses ``s`` with ``index[s] == r``, padded with ``sink``; one
    extra row of ``sink`` only. The width is bucketed from the degree distribution's mean +
    5 sd, so a new seed keeps the shape."""
    fan = np.bincount(index, minlength=rows)
    width = _bucket(max(int(fan.max()), int(np.ceil(mean + 5 * np.sqrt(var)))))
    order = np.argsort(index, kind="stable")
    col = np.arange(index.size) - np.repeat(np.cumsum(fan) - fan, fan)
    a = np.full((rows + 1, width), sink, np.int32)
    a[index[order], col] = order
    return a


def _bucket(x: int) -> int:
    """Round a fan-out up to 4 sizes per octave, so that a new seed or connectivity with a
    slightly different largest fan-out keeps the same shapes (and compiled code)."""
    if x <= 8:
        return x
    step = _pow2(x) // 8
    return -(-x // step) * step


# -- the step --------------------------------------------------------------------------
def _bit_columns(mask: Array) -> Array:
    """``mask`` padded to whole 32-bit words, as a ``(W, 32)`` uint32 array of 0 and 1."""
    W = -(-mask.shape[0] // 32)
    return jnp.concatenate([mask, jnp.zeros(W * 32 - mask.shape[0], bool)]
                           ).reshape(W, 32).astype(jnp.uint32)


def _pack_bits(mask: Array) -> Array:
    """Booleans as uint32 words: bit ``b`` of word ``j`` is ``mask[32 j + b]``.

    Written as 32 shifted columns OR-ed together, which XLA:CPU fuses into one pass over
    the words (CUBA 4k: 4.2-4.5 µs per step against 4.8-5.4 with ``sum`` over a
    ``(W, 32)`` reshape, a row reduction per word; session 12, alternating runs)."""
    m = _bit_columns(mask)
    words = m[:, 0]
    for b in range(1, 32):
        words = words | (m[:, b] << b)
    return words


def _pack_few(mask: Array) -> Array:
    """:func:`_pack_bits` for masks of a few words (at most 1024 entries), as a sum over
    the ``(W, 32)`` reshape: one small kernel. XLA copies ``_pack_bits``' 32 columns into
    each consumer of the words (the compaction's summary had four: four kernels of 160
    HLO lines each)."""
    return jnp.sum(_bit_columns(mask) << jnp.arange(32, dtype=jnp.uint32), axis=1,
                   dtype=jnp.uint32)


def _lowest_bit(w: Array) -> Array:
    """Position of the lowest set bit of a nonzero uint32."""
    return jax.lax.population_count((w & (~w + jnp.uint32(1))) - jnp.uint32(1)
                                    ).astype(jnp.int32)


def _nothing(*xs: Any) -> Array:
    """Zero (also for NaN) computed from one element of each array of ``xs``: added to a
    value, it makes that value's computation wait for those arrays without changing it
    (XLA keeps ``0.0 × b``). A value that overwrites a buffer in place must be computed
    after every reader of the old contents; XLA:CPU's default copy insertion copies the
    buffer (a kernel of its own, per loop pass) unless a data dependency orders them."""
    leaves = jax.tree_util.tree_leaves(xs)
    return sum(((x.reshape(-1)[0] < -1e30).astype(jnp.float32) * 0.0 for x in leaves),
               jnp.zeros((), jnp.float32))


def _for(n: Array, body: Callable[[Array, Any], Any], init: Any) -> Any:
    """``lax.fori_loop(0, n, body, init)`` whose counter moves on after the pass's results
    (:func:`_nothing`): without that XLA copies the counter at every pass."""
    def step(c: tuple[Array, Any]) -> tuple[Array, Any]:
        k, x = c
        x = body(k, x)
        return k + 1 + _nothing(x).astype(k.dtype), x

    return jax.lax.while_loop(lambda c: c[0] < n, step, (jnp.zeros((), jnp.int32), init))[1]


_PACKED = 32768  # the most sources whose spikes are compacted from packed bits


def _compact_spikes(mask: Array, capacity: int,
                    visit: Callable[[Any, Array], Any] | None = None, acc: Any = None,
                    into: tuple[Array, Array] | None = None, words: Array | None = None
                    ) -> tuple[Array, Array, Any]:
    """The indices of the first ``capacity`` true entries of ``mask``, ascending (0 after
    them unless ``into`` is given), the number of true entries, and ``acc`` after
    ``acc = visit(acc, i)`` for every true entry ``i`` in ascending order, inside the loop
    that finds them (the delivery: one loop pass per spike instead of two). With
    ``into = (buffer, start)`` the indices are written into ``buffer`` from ``start`` on
    (the chunk's spike record) and the buffer is returned in their place. ``words``, up to
    32768 entries: the mask already packed (:func:`_pack_bits`), e.g. per source.

    A loop that takes one spike per pass: with the few spikes per step of a cortical
    network this beats ``lax.top_k`` and ``jnp.nonzero(size=...)`` on CPU, and it needs no
    separate count (a step with more spikes than ``capacity`` still counts them all, so
    that the buffer grows once). Up to 32768 entries the mask is packed into 32-bit words,
    the words' nonzero flags into summary words (at most 32) and theirs into one word; a
    pass takes the lowest set bit of the current word and, when the word is spent, finds
    the next nonzero word from the bits above it: scalar work, no pass over the mask (CUBA
    4k: 4.8 µs per step against 5.8 with a masked minimum over the whole mask per spike,
    and 7 more with ``top_k``; 16k and 32k: 10-15 % faster than the blocks below). Above, the
    mask is cut into about √n blocks of a power-of-two size, and a pass takes the minimum
    within the current block and over the blocks' minima (64k: 56 against 98 µs per
    step for ``top_k``, and 5 % faster than packing).
    """
    n = mask.shape[0]
    buffer, start = into if into is not None else (jnp.zeros(capacity, jnp.int32), 0)

    def put(idx: Array, k: Array, i: Array) -> Array:
        """Write spike ``i`` at slot ``k`` (dropped past the capacity)."""
        return idx.at[where(k < capacity, start + k, idx.shape[0])].set(i, mode="drop")

    if n <= _PACKED:
        words = _pack_bits(mask) if words is None else words
        W = words.shape[0]
        summary = _pack_few(words != 0)  # bit b of word s: word 32 s + b is nonzero
        S = summary.shape[0]
        top = _pack_few(summary != 0)[0]  # bit s: summary word s is nonzero (S <= 32)

        def after(j: Array) -> Array:
            """The first nonzero word after word ``j`` (``W`` when there is none): scalar
            work on the summary word of ``j + 1`` and on ``top``."""
            s, b = (j + 1) >> 5, ((j + 1) & 31).astype(jnp.uint32)
            above = where(s < S, summary[jnp.minimum(s, S - 1)], jnp.uint32(0)) & ~(
                (jnp.uint32(1) << b) - jnp.uint32(1))  # its bits from word j + 1 on
            # the summary words after s (a shift by 32 or more gives 0)
            later = top & ~((jnp.uint32(2) << s.astype(jnp.uint32)) - jnp.uint32(1))
            s = where(above != 0, s, where(later != 0, _lowest_bit(later), S))
            bits = where(above != 0, above, summary[jnp.minimum(s, S - 1)])
            return where(s < S, s * 32 + _lowest_bit(bits), W)

        def word(j: Array) -> Array:
            return words[jnp.minimum(j, W - 1)]

        def body(c: tuple[Array, Array, Any]) -> tuple[Array, Array, Any]:
            s, idx, acc = c  # s: the pass's count, word index and word, as one uint32[3]
            k, j, w = s[0].astype(jnp.int32), s[1].astype(jnp.int32), s[2]
            i = j * 32 + _lowest_bit(w)
            idx = put(idx, k, i)
            if visit is not None:
                acc = visit(acc, i)
            later = _nothing(idx, acc).astype(jnp.uint32)  # s moves on after the writes
            rest = w & (w - jnp.uint32(1))  # the word without its lowest bit
            nxt = where(rest != 0, j, after(j))
            return jnp.stack([(k + 1).astype(jnp.uint32), nxt.astype(jnp.uint32),
                              where(rest != 0, rest, word(nxt))]) + later, idx, acc

        first = after(jnp.int32(-1))
        s, idx, acc = jax.lax.while_loop(
            lambda c: c[0][1] < jnp.uint32(W), body,
            (jnp.stack([jnp.uint32(0), first.astype(jnp.uint32), word(first)]),
             buffer, acc))
        k = s[0].astype(jnp.int32)
        return idx, k, acc
    size = 1 << int(np.ceil(np.log2(np.sqrt(n))))
    blocks = -(-n // size)
    padded = jnp.concatenate([mask, jnp.zeros(blocks * size - n, bool)])
    key = where(padded, jnp.arange(blocks * size, dtype=jnp.int32), n
                ).reshape(blocks, size)
    block_min = jnp.min(key, axis=1)
    block_ids = jnp.arange(blocks, dtype=jnp.int32)

    def after(i: Array) -> Array:
        b = i // size
        row = jax.lax.dynamic_index_in_dim(key, b, keepdims=False)
        return jnp.minimum(jnp.min(where(row > i, row, n)),
                           jnp.min(where(block_ids > b, block_min, n)))

    def step(c: tuple[Array, Array, Array, Any]) -> tuple[Array, Array, Array, Any]:
        k, i, idx, acc = c
        idx = put(idx, k, i)
        if visit is not None:
            acc = visit(acc, i)
        later = _nothing(idx, acc).astype(jnp.int32)  # k and i move on after the writes
        return k + 1 + later, after(i) + later, idx, acc

    first = after(jnp.int32(-1))  # not min(block_min): XLA rewrites that as a pass over n
    k, _, idx, acc = jax.lax.while_loop(
        lambda c: c[1] < n, step, (jnp.int32(0), first, buffer, acc))
    return idx, k, acc


def _threefry2x32(k0: Array, k1: Array, x0: Array, x1: Array) -> tuple[Array, Array]:
    """Threefry-2x32, 20 rounds (Salmon et al. 2011; the hash of ``jax.random``) of the
    counters ``(x0, x1)`` under the key ``(k0, k1)``, all uint32, written out as
    elementwise arithmetic. JAX lowers its own for CPU as a loop of five passes, each a
    handful of kernels: inside a scan step that cost about 1 µs per call."""
    def rotl(v: Array, d: int) -> Array:
        return (v << jnp.uint32(d)) | (v >> jnp.uint32(32 - d))

    ks = (k0, k1, k0 ^ k1 ^ jnp.uint32(0x1BD11BDA))
    x0, x1 = x0 + ks[0], x1 + ks[1]
    for r in range(5):
        for d in ((13, 15, 26, 6), (17, 29, 16, 24))[r % 2]:
            x0 = x0 + x1
            x1 = rotl(x1, d) ^ x0
        x0, x1 = x0 + ks[(r + 1) % 3], x1 + ks[(r + 2) % 3] + jnp.uint32(r + 1)
    return x0, x1


def _gap(key: Array, t: Array, i: Array, p: Array) -> Array:
    """The step of the next spike of inputs ``i`` after a spike (or a start) at step ``t``:
    ``t + G`` with ``G`` geometric on 1, 2, ... with success probability ``p`` (a
    Bernoulli process of probability ``p`` per step has independent geometric gaps).

    A constant-rate Poisson input thus costs one draw per spike instead of one per step
    (Song–Abbott's 1000 inputs: 13 against 2 µs per step). The draw for input ``i`` is
    Threefry of the counter ``(t, i)`` under ``key`` (uint32[2], the source's own): it
    depends only on these, not on buffer sizes or chunking. Inputs with ``p = 0`` never
    spike (step 2^31 − 1).
    """
    bits, _ = _threefry2x32(key[0], key[1], jnp.asarray(t).astype(jnp.uint32),
                            jnp.asarray(i).astype(jnp.uint32))
    # 23 random mantissa bits as a float in [1, 2), as jax.random.uniform does
    u = 2.0 - jax.lax.bitcast_convert_type((bits >> jnp.uint32(9)) | jnp.uint32(0x3F800000),
                                           jnp.float32)  # (0, 1]
    p = jnp.clip(jnp.asarray(p, jnp.float32), 0.0, 1.0)
    g = jnp.floor(jnp.log(u) / jnp.log1p(-p)) + 1.0  # p = 1: log(u)/-inf = 0
    never = jnp.int32(2**31 - 1)
    g = where(p > 0, jnp.clip(g, 1.0, 2.0**30), 2.0**30).astype(jnp.int32)
    return where((p > 0) & (t < never - g), t + g, never)


def _grouped(on: bool, go: Array, fn: Callable[[Any], Any], args: Any,
             skip: Callable[[Any], Any] = lambda a: a) -> Any:
    """``fn(args)``; where ``on``, inside a conditional on ``go`` (always true).

    XLA:CPU runs the kernels of a step in order, one after another, only where the step
    has at most 8 of them (or each waits for the one before); with more it runs them as a
    dataflow graph, handing ready kernels to its thread pool: an allocation and a
    hand-off per step, and, with sweep variants running on every core, threads waiting
    on each other. A conditional counts as one kernel, and its branch runs as a sequence
    of its own, so a step of spiking groups is cut into a few conditionals (the groups'
    update; the spikes' compaction and delivery) of at most 8 kernels each. The other
    branch, ``skip`` (never taken), returns the values unchanged. A rate population
    updated every step is one such conditional too (``rate_update``; BCM, 4 × 20, 100k
    patterns: 0.017 against 0.052 s, its step had 9 kernels)."""
    if not on:
        return fn(args)
    return jax.lax.cond(go, fn, skip, args)


def _chunk_fn(cfg: _Config) -> Callable[..., Any]:
    """The jit-compiled function that advances the state by ``cfg.length`` steps."""
    fdt = jnp.float32 if cfg.dtype == "float32" else jnp.float64
    D, M = cfg.delay_slots, cfg.inputs
    sink = D * M

    pop_of = {p.name: p for p in cfg.pops}

    def ports_of(p: _Pop, X: Array) -> dict[str, Array]:
        """Population ``p``'s ports, ``x0``, ``x1``, ..., in the flat input vector."""
        return {f"x{k}": X[_port_slice(p, k)] for k in range(len(p.kinds))}

    def run_chunk(params: dict, state: dict, data: dict) -> tuple[dict, dict]:
        _COUNTERS["compiles"] += 1  # runs only while tracing
        dt = params["dt"]
        coef, decay = params["coef"], params["decay"]  # computed on the host (_neuron)
        adj = {name: (a["tgt"], a.get("dly"), params["weights"][a["wix"]])
               for name, a in params["adj"].items()}
        # true, and unknown to XLA (a parameter): the predicate of _grouped's conditionals,
        # computed once per chunk (the loop does not change it)
        go = jnp.asarray(dt) > 0

        def next_spikes(part: _Part, nxt: Array, idx: Array, n_spk: Array, t: Array) -> Array:
            """The next spike step of each input of a constant-rate Poisson source that
            spiked at step ``t``: ``t`` plus a geometric gap (see :func:`_gap`)."""
            slots = jnp.arange(idx.shape[0])
            held = slots < jnp.minimum(n_spk, cfg.capacity)
            mine = held & (idx >= part.offset) & (idx < part.offset + part.n)
            i = where(mine, idx - part.offset, part.n)  # part.n: dropped
            prm = params["poisson"][part.name]
            p = prm["p"][0][jnp.minimum(i, part.n - 1)]
            return nxt.at[i].set(_gap(prm["gap_key"], t, i, p), mode="drop")

        def deliver(buf: Array, t: Array, name: str, idx: Array, start: Array, count: Array
                    ) -> Array:
            """Add the weights of the synapses of spikes ``idx[start:start + count]`` to
            the input buffer: one spike at a time (``loop``), or every slot of the
            compacted buffer at once, the slots past ``count`` masked (``vector``; spike
            trains, whose index arrays hold the whole run, always loop)."""
            if not cfg.vector or name != "events":
                return _for(count, lambda k, b: deliver_one(b, t, name, idx[start + k]), buf)
            tgt, dly, w = adj[name]
            held = jnp.arange(idx.shape[0]) < count  # start is 0 for the events
            flat = tgt[idx]
            if D > 1:
                flat = where(flat < M, ((t + dly[idx]) % D) * M + flat, sink)
            flat = where(held[:, None], flat, sink)
            # rows in order, so a sequential scatter (XLA:CPU) adds exactly as the loop
            return buf.at[flat].add(where(held[:, None], w[idx], 0))

        def deliver_one(b: Array, t: Array, name: str, i: Array) -> Array:
            tgt, dly, w = adj[name]
            flat = tgt[i]
            if D > 1:
                flat = where(flat < M, ((t + dly[i]) % D) * M + flat, sink)
            return b.at[flat].add(w[i])

        def stdp(pl: _Plastic, prm: dict, st: dict, buf: Array, t: Array,
                 pres: list[tuple[int, tuple]], post: tuple) -> tuple[Array, dict]:
            """Pair-based STDP of one projection for one step, as Brian2 computes it:
            every presynaptic arrival (deliver w, update a_pre, w += η a_post f₋(w)), then
            every postsynaptic spike (update a_post, w += η a_pre f₊(w)); traces decay
            exactly from each synapse's last update; w is clipped to [w_min, w_max].

            ``pres`` holds, per transmission delay L, the spikes emitted L steps ago: a
            presynaptic event reaches a synapse (and its rule) after the synapse's delay."""
            span = prm["w_max"] - prm["w_min"]
            slot = (t % D) * M if D > 1 else 0

            def rows(spikes: tuple, k: Array) -> Array:
                ids, start, _, off = spikes
                return ids[start + k] - off

            def decay(stv: dict, syn: Array) -> tuple[Array, Array]:
                lag = (t - stv["lu"][syn]).astype(fdt) * dt
                return (stv["apre"][syn] * jnp.exp(-lag / prm["tau_plus"]),
                        stv["apost"][syn] * jnp.exp(-lag / prm["tau_minus"]))

            def store(stv: dict, syn: Array, w: Array, ap: Array, am: Array,
                      first: Array | None = None) -> dict:
                """Write the synapses' new values, each array after the last reader of its
                old values (``first`` read w; w's update read a_post; every update read
                lu): value-free data dependencies order the writes, so that XLA updates
                each array in place instead of copying it per spike."""
                if first is not None:
                    w = w + _nothing(first).astype(w.dtype)
                new = {"w": stv["w"].at[syn].set(w)}
                new["apost"] = stv["apost"].at[syn].set(am + _nothing(new["w"]).astype(am.dtype))
                new["apre"] = stv["apre"].at[syn].set(ap + _nothing(new["apost"]).astype(ap.dtype))
                new["lu"] = stv["lu"].at[syn].set(t + _nothing(new["apre"]).astype(t.dtype))
                return new

            def synapses(table: Array, r: Array) -> Array:
                """The synapses of rows ``r`` (a row of −1: the sink's)."""
                sink = prm["dly"].shape[0] - 1
                syn = table[jnp.maximum(r, 0)]
                return where((r >= 0)[..., None], syn, sink) if r.ndim else syn

            def on_pre(k: Array, c: tuple, pre: tuple, lag: int,
                       rows_of: Array | None = None) -> tuple:
                b, stv = c
                syn = synapses(prm["out"], rows(pre, k) if rows_of is None else rows_of)
                if len(pl.lags) > 1:  # only the synapses with this delay receive it now
                    syn = where(prm["dly"][syn] == lag, syn, prm["dly"].shape[0] - 1)
                ap, am = decay(stv, syn)
                w = stv["w"][syn]
                tgt = prm["tgt"][syn]
                b = b.at[where(tgt < M, slot + tgt, D * M)].add(w)
                ap = ap + prm["a_plus"] if pl.pairing == "all_to_all" else \
                    jnp.full_like(ap, prm["a_plus"])
                f = 1.0 if pl.dependence == "additive" else (w - prm["w_min"]) / span
                w = jnp.clip(w + prm["lr"] * am * f, prm["w_min"], prm["w_max"])
                return b, store(stv, syn, w, ap, am, first=b)

            def on_post(k: Array, stv: dict, rows_of: Array | None = None) -> dict:
                syn = synapses(prm["in"], rows(post, k) if rows_of is None else rows_of)
                ap, am = decay(stv, syn)
                w = stv["w"][syn]
                am = am + prm["a_minus"] if pl.pairing == "all_to_all" else \
                    jnp.full_like(am, prm["a_minus"])
                f = 1.0 if pl.dependence == "additive" else (prm["w_max"] - w) / span
                w = jnp.clip(w + prm["lr"] * ap * f, prm["w_min"], prm["w_max"])
                return store(stv, syn, w, ap, am)

            def every(spikes: tuple) -> Array:
                """All slots of a spike list at once; a slot past its count is the
                row whose synapses are the sink (disjoint synapses otherwise: each
                synapse has one source, and a source spikes at most once per step)."""
                ids, start, count, off = spikes
                k = jnp.arange(ids.shape[0])
                return where(k < count, ids[jnp.minimum(start + k, ids.shape[0] - 1)]
                             - off, -1)

            for lag, pre in pres:
                if cfg.vector and not pl.source_is_train:
                    r = every(pre)
                    buf, st = on_pre(r, (buf, st), pre, lag, rows_of=r)
                else:
                    buf, st = _for(pre[2], lambda k, c, pre=pre, lag=lag: on_pre(k, c, pre, lag),
                                   (buf, st))
            if cfg.vector:
                r = every(post)
                st = on_post(r, st, rows_of=r)
            else:
                st = _for(post[2], on_post, st)
            # the sink entry absorbed the padding: keep it inert
            sink = st["w"].shape[0] - 1
            st = {k: v.at[sink].set(0) for k, v in st.items()}
            return buf, st

        part_of = {q.name: q for q in cfg.parts}
        rate_of = {r.name: r for r in cfg.rates}

        def activate(kind: str, h: Array) -> Array:
            if kind == "tanh":
                return jnp.tanh(h)
            if kind == "sign":
                return jnp.sign(h)
            if kind == "sigmoid":
                return 1.0 / (1.0 + jnp.exp(-h))
            if kind == "relu":
                return jnp.maximum(h, 0.0)
            return h

        def weights_of(name: str, dense_: dict) -> Array:
            """The dense W of a rate projection: state when a rule changes it, else a
            parameter (shared by every member of a batch of initial states)."""
            return dense_[name]["W"] if name in dense_ else params["rate_w"][name]

        def rate_input(inp: _RateIn, pops_: dict, u: Array, every: int, shown: dict
                       ) -> tuple[Array, Array]:
            """The input vector of a rate projection at update ``u``, and whether its
            source is live (patterns: still presenting; other sources: always)."""
            if not inp.from_patterns:
                return pops_[inp.source]["y"], jnp.bool_(True)
            seq = params["patterns"][inp.source]["sequence"]
            live = u < seq.shape[0]
            if f"{inp.source}/{every}" in shown:  # this step's row, gathered per chunk
                return shown[f"{inp.source}/{every}"], live
            row = params["patterns"][inp.source]["patterns"][seq[jnp.minimum(
                u, seq.shape[0] - 1)]]
            return where(live, row, 0.0), live

        def presented(t0: Array) -> dict[str, Array]:
            """The pattern rows of every step of the chunk, per pattern source and update
            interval, gathered at once and handed to the steps as scan inputs: a row
            looked up inside the step is fused into its consumers and re-addressed per
            element (Hebbian storage, 100 units: 3.4x slower). Sources too large for a
            chunk of rows (over 2^24 values) are looked up per step."""
            shown = {}
            for r in cfg.rates:
                for inp in r.inputs:
                    prm = params["patterns"].get(inp.source) if inp.from_patterns else None
                    if prm is None or cfg.length * prm["patterns"].shape[1] > 2**24:
                        continue
                    seq = prm["sequence"]
                    u = (t0 + jnp.arange(cfg.length, dtype=t0.dtype)) // r.every
                    rows = prm["patterns"][seq[jnp.minimum(u, seq.shape[0] - 1)]]
                    shown[f"{inp.source}/{r.every}"] = where(
                        (u < seq.shape[0])[:, None], rows, 0.0)
            return shown

        def energy(r: _Rate, pops_: dict, dense_: dict) -> Array:
            """``E = −½ yᵀ W y − bias·y`` over the recurrent projections."""
            y = pops_[r.name]["y"]
            wy = sum((weights_of(q, dense_) @ y for q in r.recurrent), jnp.zeros_like(y))
            return -0.5 * jnp.dot(y, wy) - jnp.dot(params["rate"][r.name]["bias"], y)

        def rate_update(r: _Rate, pops: dict, dense: dict, t: Array, local: Array,
                        shown: dict) -> tuple[dict, dict]:
            """One update of a rate population and the rules of its inputs (RULES.md): y
            from W before the update, then each rule changes its W; sweeps and
            convergence are counted, and a stopped population no longer updates."""
            prm = params["rate"][r.name]

            def update(args: tuple) -> tuple:
                pops_, dense_ = args
                dense_ = dict(dense_)
                st = pops_[r.name]
                u = t // r.every
                xs, live = {}, {}
                for inp in r.inputs:
                    xs[inp.name], live[inp.name] = rate_input(inp, pops_, u, r.every, shown)
                if r.update == "async":  # one unit: its row of every W only
                    k = data["order"][r.name][local]
                    h = prm["bias"][k]
                    for inp in r.inputs:
                        h = h + weights_of(inp.name, dense_)[k] @ xs[inp.name]
                    y = st["y"].at[k].set(activate(r.activation, h * prm["inv_T"]))
                else:
                    h = prm["bias"]
                    for inp in r.inputs:
                        wx = weights_of(inp.name, dense_) @ xs[inp.name]
                        h = h + (params["dense"][inp.name]["scale"] * wx
                                 if inp.rule == "bcmode" else wx)
                    y = activate(r.activation, h * prm["inv_T"] if r.scaled else h)
                theta = st["theta"]  # the threshold before this update
                new_theta = theta
                for inp in r.inputs:
                    if not inp.rule:
                        continue
                    W, x, rp = dense_[inp.name]["W"], xs[inp.name], params["dense"][inp.name]
                    lr = rp["lr"]
                    if inp.rule == "bcm":  # canns: W before, old θ, clip, then θ
                        W = jnp.clip(W + lr * jnp.outer(y * (y - theta), x), -rp["w_clip"],
                                     rp["w_clip"])
                        new_theta = theta + rp["alpha"] * (y * y - theta)
                    elif inp.rule == "bcmode":  # ngc-learn: divides by the old θ
                        dW = jnp.outer(y * (y - theta) / (theta + 1e-7), x)
                        if inp.bounded:
                            dW = dW * (rp["w_bound"] - jnp.abs(W))
                        if inp.decays:
                            dW = dW - rp["w_decay"] * W
                        W = W + dW * rp["rdt_w"]
                        new_theta = theta + (y * y - theta) * rp["rdt_theta"]
                    elif inp.rule == "oja":
                        W = W + lr * (jnp.outer(y, x) - (y * y)[:, None] * W)
                    elif inp.rule == "sanger":  # lower triangle of y yᵀ, diagonal included
                        W = W + lr * (jnp.outer(y, x) - jnp.tril(jnp.outer(y, y)) @ W)
                    elif inp.rule == "online":
                        W = W + lr * jnp.outer(y, x)
                    else:  # hebbian storage of the presented pattern, while presenting
                        c = x - rp["rho"]
                        W = W + where(live[inp.name], rp["gain"], 0.0) * jnp.outer(c, c)
                        if inp.zero_diagonal:
                            W = W - jnp.diag(jnp.diag(W))
                    if inp.normalize:
                        norm = jnp.sqrt(jnp.sum(W * W, axis=1, keepdims=True))
                        W = where(norm >= 1e-10, W / where(norm > 0, norm, 1.0), W)
                    dense_[inp.name] = {"W": W}
                if not r.counts:  # nobody reads the sweep counters
                    return {**st, "y": y, "theta": new_theta}, dense_
                acc = st["acc"] + jnp.sum(jnp.abs(y - st["y"]))
                end = (u + 1) % r.sweep == 0  # the last update of a sweep
                return {"y": y, "theta": new_theta, "acc": where(end, 0.0, acc).astype(fdt),
                        "sweeps": st["sweeps"] + end.astype(jnp.int32),
                        "converged": (st["converged"] | (end & (acc <= prm["tol"]))
                                      ).astype(jnp.int32)}, dense_

            st = pops[r.name]

            def keep(args: tuple) -> tuple:
                return dict(args[0][r.name]), args[1]

            if not r.stops and r.every == 1:  # every step, unconditionally; on XLA:CPU in
                # a conditional always taken, so that its kernels run in sequence (_grouped)
                return _grouped(cfg.sequenced, go, update, (pops, dense), keep)
            due = (st["converged"] == 0) & (st["sweeps"] < prm["max_sweeps"])
            if r.every > 1:
                due = due & (t % r.every == 0)
            if cfg.states_batched:  # a batched predicate: a cond would broadcast every
                # operand (the shared W too) to the batch; select between the two instead
                new = update((pops, dense))
                return jax.tree_util.tree_map(lambda a, b: where(due, a, b),
                                              new, (dict(st), dense))
            return jax.lax.cond(due, update, keep, (pops, dense))

        def presynaptic(d: _Discrete | _Filtered, idx: Array, n_spk: Array, local: Array
                        ) -> Array:
            """This step's spikes of a dense projection's source as a 0/1 vector."""
            if d.source_is_train:
                csr = data["trains"][d.source]
                start = csr["offsets"][local + cfg.back]
                count = csr["offsets"][local + cfg.back + 1] - start
                ids = jax.lax.dynamic_slice(csr["idx"], (start,), (d.n_pre,))
                ids = where(jnp.arange(d.n_pre) < count, ids, d.n_pre)
            else:
                q = part_of[d.source]
                held = jnp.arange(idx.shape[0]) < jnp.minimum(n_spk, cfg.capacity)
                inside = held & (idx >= q.offset) & (idx < q.offset + q.n)
                ids = where(inside, idx - q.offset, d.n_pre)
            return jnp.zeros(d.n_pre + 1, fdt).at[ids].set(1.0)[:d.n_pre]

        def step(carry: dict, xs: tuple[Array, dict]) -> tuple[dict, dict]:
            local, shown = xs
            t = carry["t"]
            zero = jnp.zeros((), t.dtype)
            pops = dict(carry["pops"])
            for p in cfg.pops:  # the ports are views of the flat input vector
                pops[p.name] = {**pops[p.name], **ports_of(p, carry["X"])}
            for g in cfg.eqs:
                pops[g.name] = eqs._with_ports(g, pops[g.name], carry["X"])
            recs = dict(carry["recs"])
            out: dict[str, Any] = {}
            # start: state and weight monitors record the value at t
            def record(mon: Any, values: Callable[[], Array]) -> None:
                """Record ``values()``: every step as a scan output, else into row
                (t − first)/every of the monitor's buffer on recording steps only."""
                if mon.every == 1:
                    out[f"rec/{mon.name}"] = values().astype(fdt)
                    return

                def write(b: Array) -> Array:
                    row = (t - data["rec0"][mon.name]) // mon.every
                    v = values().astype(fdt)[None]
                    return jax.lax.dynamic_update_slice(b, v, (row,) + (zero,) * (b.ndim - 1))
                recs[mon.name] = jax.lax.cond(t % mon.every == 0, write, lambda b: b,
                                              recs[mon.name])

            def variable(pop: str, v: str) -> Array:
                """A state variable, per unit (population scalars repeated)."""
                if v == "energy":
                    a = energy(rate_of[pop], pops, carry["dense"])
                else:
                    a = pops[pop][v]
                return jnp.broadcast_to(a, (rate_of[pop].n,)) if a.ndim == 0 else a

            for mon in cfg.state_mons:
                ix = params["mon_idx"][mon.name]
                record(mon, lambda mon=mon, ix=ix: jnp.stack(
                    [variable(mon.pop, v)[ix].astype(fdt) for v in mon.variables]))
            for mon in cfg.weight_mons:
                if mon.plastic in carry["dense"] or mon.plastic in params["rate_w"]:
                    source = weights_of(mon.plastic, carry["dense"]).reshape(-1)
                elif mon.plastic:
                    source = carry["plastic"][mon.plastic]["w"]
                else:
                    source = params["weights"]
                ix = params["mon_idx"][mon.name]
                record(mon, lambda source=source, ix=ix: source[ix])
            # groups: integrate, threshold, reset. Written so that each carried array is
            # rewritten in place by its last reader and XLA copies none of them per step:
            # lastspike first (from the old v, ports and lastspike); v from the new
            # lastspike (a neuron that spiked now has lastspike = t; one that did not has
            # the old value, so its refractoriness is unchanged); the spikes from the new
            # lastspike; the ports' decay (decayed) after every v. Grouped, the groups'
            # update and the decay are one conditional, the spikes' compaction and
            # delivery another (_grouped).
            gaps = dict(carry["gaps"])

            def groups(args: tuple[dict, Array]) -> tuple[dict, Array]:
                """Every group's new v and lastspike and, grouped, the decayed ports."""
                lif, X = args
                new = {}
                for p in cfg.pops:
                    s = {**lif[p.name], **ports_of(p, X)}
                    prm = params["pops"][p.name]
                    xs = [s[f"x{k}"] for k in range(len(p.kinds))]

                    def update(last: Array, p: _Pop = p, s: dict = s, prm: dict = prm,
                               xs: list = xs) -> Array:
                        active = (t - last) >= prm["ref_steps"]
                        return integrate(p.method, p.kinds, prm, coef[p.name], dt, s["v"], xs,
                                         active)[0]

                    old = s["lastspike"]
                    last = where(((t - old) >= prm["ref_steps"]) & (update(old) > prm["v_th"]),
                                 t, old)
                    new[p.name] = {"v": where(last == t, prm["v_reset"], update(last)),
                                   "lastspike": last}
                return new, decayed(new, X) if cfg.grouped else X

            def decayed(new: dict, X: Array) -> Array:
                """The decayed ports (and zeroed inputs of discrete layers), after every new
                v (the other readers of the old ports), so that they overwrite them in
                place."""
                return X * decay + _nothing(*(new[p.name]["v"] for p in cfg.pops if p.n)
                                            ).astype(fdt)

            lif = {p.name: {k: pops[p.name][k] for k in ("v", "lastspike")} for p in cfg.pops}
            new_pops, X = _grouped(cfg.grouped, go, groups, (lif, carry["X"]))
            new_pops = dict(new_pops)
            # rate populations: synchronous update from their inputs of this update
            dense = dict(carry["dense"])
            for f in cfg.filtered:
                new_pops[f.name] = {"y": pops[f.name]["y"] * params["filtered"][f.name]["decay"]}
            for r in cfg.rates:
                new_pops[r.name], dense = rate_update(r, pops, dense, t, local, shown)
            # synapses: compact, deliver, apply what is due now. The decayed ports: one
            # vector that spikes without delay are added to in place, else a ring buffer
            # of future input
            if not cfg.grouped:
                X = decayed(new_pops, X)
            # equation populations: update and thresholds (their kernels), then delivery
            # below; what it wrote to gated variables of refractory neurons is undone
            eq_env = {g.name: eqs.env(g, params["eqs"][g.name], t, dt, fdt) for g in cfg.eqs}
            gated = {}
            for g in cfg.eqs:
                new_pops[g.name], X = eqs.update(g, carry["pops"][g.name], X,
                                                 params["eqs"][g.name], eq_env[g.name])
                gated[g.name] = eqs.gated_values(g, X)
            buf = carry["buf"] if D > 1 else X
            for tr in cfg.trains:
                if not tr.static:
                    continue
                csr = data["trains"][tr.name]
                start = csr["offsets"][local + cfg.back]
                buf = deliver(buf, t, f"train/{tr.name}", csr["idx"], start,
                              csr["offsets"][local + cfg.back + 1] - start)
            def spiking() -> list[Array]:
                """The step's spikes of each part, as a mask."""
                masks = []
                for part in cfg.parts:
                    if part.kind == "gaps":
                        mask = carry["gaps"][part.name] == t
                    elif part.kind == "poisson":
                        prm = params["poisson"][part.name]
                        row = jnp.minimum(t // prm["rate_steps"], prm["p"].shape[0] - 1)
                        if part.name in draws:
                            u = draws[part.name][local]
                        else:
                            u = jax.random.uniform(jax.random.fold_in(prm["key"], t),
                                                   (part.n,), fdt)
                        mask = u < prm["p"][row]
                    else:
                        mask = new_pops[part.name]["lastspike"] == t
                    masks.append(mask)
                return masks

            if cfg.parts:
                # interleaved populations' masks are in storage order (only the packed
                # loop below reads them so; the prefix sum needs neuron order)
                interleaved = any(part.interleaved for part in cfg.parts)
                # the step's spikes follow the chunk's earlier ones in the record
                pos, held = carry["spikes"]
                # up to 32768 sources the loop that finds the spikes delivers each in
                # the pass that finds it; above, the blocks' search makes that pass dearer
                # than a loop of its own (CUBA 64k: 0.82 against 0.68 s per simulated s)
                looped = not (cfg.vector or cfg.capacity >= cfg.n_events)
                fused = looped and cfg.fanout and cfg.n_events <= _PACKED
                if not looped:  # a prefix sum, no loop
                    masks = [m[_positions(part.n)] if part.interleaved else m  # neuron order
                             for part, m in zip(cfg.parts, spiking())]
                    mask = jnp.concatenate(masks) if len(masks) > 1 else masks[0]
                    n_spk = jnp.sum(mask, dtype=jnp.int32)
                    idx = jnp.nonzero(mask, size=min(cfg.capacity, cfg.n_events),
                                      fill_value=0)[0].astype(jnp.int32)
                    # the whole buffer: the next step's spikes overwrite its tail
                    held = jax.lax.dynamic_update_slice(held, idx, (pos,))
                else:  # found one by one and written into the record
                    def find(args: tuple[Array, Array]) -> tuple[Array, Array, Array]:
                        held, buf = args
                        masks = spiking()
                        mask = jnp.concatenate(masks) if len(masks) > 1 else masks[0]
                        # interleaved: each part packed on its own (all but the last are
                        # whole words)
                        words = jnp.concatenate([
                            _pack_interleaved(m) if part.interleaved else _pack_bits(m)
                            for part, m in zip(cfg.parts, masks)]) if interleaved else None
                        held, n_spk, acc = _compact_spikes(
                            mask, cfg.capacity,
                            (lambda b, i: deliver_one(b, t, "events", i)) if fused else None,
                            buf if fused else None, into=(held, pos), words=words)
                        return held, n_spk, acc if fused else buf

                    held, n_spk, buf = _grouped(cfg.grouped, go, find, (held, buf),
                                                lambda a: (a[0], jnp.int32(0), a[1]))
                    idx = where(jnp.arange(cfg.capacity) < n_spk,
                                jax.lax.dynamic_slice(held, (pos,), (cfg.capacity,)), 0)
                if cfg.fanout and not fused:
                    buf = deliver(buf, t, "events", idx, 0, jnp.minimum(n_spk, cfg.capacity))
                out["events/n"] = n_spk
                spikes = (pos + jnp.minimum(n_spk, cfg.capacity)
                          + _nothing(held).astype(jnp.int32), held)
                for part in cfg.parts:
                    if part.kind == "gaps":
                        gaps[part.name] = next_spikes(part, gaps[part.name], idx, n_spk, t)
            hist = carry.get("hist")
            if cfg.history:  # keep this step's spikes for delayed plastic synapses
                hist = {"idx": hist["idx"].at[t % cfg.history].set(idx),
                        "n": hist["n"].at[t % cfg.history].set(n_spk)}
            plastic = dict(carry["plastic"])
            if cfg.plastic:
                def span(part: _Part, ids: Array = idx, n: Array = n_spk) -> tuple:
                    """The spikes of one part: a contiguous run of the compacted indices,
                    which are in ascending order (tested)."""
                    held = jnp.arange(ids.shape[0]) < jnp.minimum(n, cfg.capacity)
                    first = jnp.sum(held & (ids < part.offset), dtype=jnp.int32)
                    inside = held & (ids >= part.offset) & (ids < part.offset + part.n)
                    return (ids, first, jnp.sum(inside, dtype=jnp.int32), part.offset)

                def arrivals(pl: _Plastic, lag: int) -> tuple:
                    """The source's spikes emitted ``lag`` steps ago."""
                    if pl.source_is_train:
                        csr = data["trains"][pl.source]
                        start = csr["offsets"][local + cfg.back - lag]
                        return (csr["idx"], start,
                                csr["offsets"][local + cfg.back - lag + 1] - start, 0)
                    if lag == 0:
                        return span(part_of[pl.source])
                    row = (t - lag) % cfg.history
                    return span(part_of[pl.source], hist["idx"][row], hist["n"][row])

                for pl in cfg.plastic:
                    pres = [(lag, arrivals(pl, lag)) for lag in pl.lags]
                    buf, plastic[pl.name] = stdp(pl, params["plastic"][pl.name],
                                                 plastic[pl.name], buf, t, pres,
                                                 span(part_of[pl.target]))
            if D > 1:
                slot = (t % D) * M
                X = X.at[:M].add(jax.lax.dynamic_slice(buf, (slot,), (M,)))
                buf = jax.lax.dynamic_update_slice(buf, jnp.zeros(M, fdt), (slot,))
            else:
                X = buf
            for g in cfg.eqs:  # resets, after delivery
                X = eqs.gate(g, new_pops[g.name], gated[g.name], X)
                new_pops[g.name], X = eqs.reset(g, new_pops[g.name], X, params["eqs"][g.name],
                                                eq_env[g.name])
            for f in cfg.filtered:
                spk = presynaptic(f, idx if cfg.parts else None, n_spk if cfg.parts else None,
                                  local)
                new_pops[f.name]["y"] = new_pops[f.name]["y"] + spk * params["filtered"][
                    f.name]["inc"]
            for d in cfg.discrete:
                st = new_pops[d.name] = dict(pops[d.name])
                prm = params["discrete"][d.name]
                current = X[d.offset:d.offset + d.n]
                if d.dense:
                    dn, rule = dict(dense[d.dense]), params["dense"][d.dense]
                    x = presynaptic(d, idx if cfg.parts else None,
                                    n_spk if cfg.parts else None, local)
                    dn["trace_pre"] = rule["decay"] * dn["trace_pre"] + x
                    current = current + dn["W"] @ x  # W from before this step's update
                v = prm["leak"] * st["v"] + current
                spk = v >= prm["threshold"]
                st["v"] = where(spk, prm["v_reset"], v)
                out[f"discrete/{d.name}"] = spk
                if d.dense:
                    s_f = spk.astype(fdt)
                    st["trace_post"] = rule["decay"] * st["trace_post"] + s_f
                    ltp = rule["a_plus"] * jnp.outer(s_f, dn["trace_pre"])
                    ltd = rule["a_minus"] * jnp.outer(st["trace_post"], x)
                    dn["W"] = jnp.clip(dn["W"] + rule["lr"] * (ltp - ltd), rule["w_min"],
                                       rule["w_max"])
                    dense[d.dense] = dn
            if cfg.diagnose:
                seen = {k: {**v, **ports_of(p, X)} if (p := pop_of.get(k)) else v
                        for k, v in new_pops.items()}
                for g in cfg.eqs:
                    seen[g.name] = eqs._with_ports(g, seen[g.name], X)
                for path, a in _float_leaves({"pops": seen, "plastic": plastic,
                                              "dense": dense}):
                    out[f"nan/{path}"] = _first_bad(a)
            new = {"t": t + 1, "pops": new_pops, "recs": recs, "plastic": plastic,
                   "dense": dense, "X": X, "gaps": gaps}
            if cfg.parts:
                new["spikes"] = spikes
            if cfg.history:
                new["hist"] = hist
            if D > 1:
                new["buf"] = buf
            return new, out

        # monitors recording every step are scan outputs; the others fill a buffer of
        # rows in the carry
        recs = {m.name: jnp.zeros((cfg.length // m.every + 2, len(m.variables), m.m), fdt)
                for m in cfg.state_mons if m.every > 1}
        recs.update({m.name: jnp.zeros((cfg.length // m.every + 2, m.m), fdt)
                     for m in cfg.weight_mons if m.every > 1})
        # Poisson draws of the whole chunk at once (the same numbers as drawing step by
        # step: one key per step, folded from the step index), unless that is too large
        steps = state["t"] + jnp.arange(cfg.length, dtype=jnp.int32)
        draws = {}
        for part in cfg.parts:
            if part.kind == "poisson" and cfg.length * part.n <= _MAX_BATCHED_DRAWS:
                key = params["poisson"][part.name]["key"]
                draws[part.name] = jax.vmap(lambda tt, key=key, n=part.n: jax.random.uniform(
                    jax.random.fold_in(key, tt), (n,), fdt))(steps)
        # every port is a slice of one flat vector "X", in the carry and between chunks
        # (deliveries add to it directly; per population, the chunk would begin with a
        # concatenation and end with a slice per port: five kernels for XLA to compile
        # in CUBA, about 35 ms)
        carry = {"t": state["t"], "recs": recs, "plastic": state["plastic"],
                 "dense": state["dense"], "X": state["X"], "gaps": state["gaps"],
                 "pops": state["pops"]}
        if cfg.history:
            carry["hist"] = state["hist"]
        if D > 1:
            carry["buf"] = state["buf"]
        if cfg.parts:
            carry["spikes"] = (jnp.zeros((), jnp.int32), jnp.zeros(cfg.record, jnp.int32))
        carry, out = jax.lax.scan(step, carry, (jnp.arange(cfg.length, dtype=jnp.int32),
                                                presented(state["t"])))
        new_state = {"t": carry["t"], "plastic": carry["plastic"], "dense": carry["dense"],
                     "gaps": carry["gaps"], "pops": carry["pops"], "X": carry["X"]}
        if cfg.history:
            new_state["hist"] = carry["hist"]
        if D > 1:
            new_state["buf"] = carry["buf"]
        recs = {**carry["recs"], **{k[4:]: out.pop(k) for k in list(out) if k[:4] == "rec/"}}
        result = {"steps": out, "recs": recs}
        if cfg.parts:
            result["spikes"] = carry["spikes"][1]
        if cfg.device_check:  # every simulated float of the end state is finite
            flags = [jnp.all(jnp.isfinite(a)) for _, a in _float_leaves(new_state)]
            result["finite"] = jnp.all(jnp.stack(flags)) if flags else jnp.bool_(True)
        return new_state, result

    return run_chunk


def _named(x: Any) -> str:
    """The sharding of a batch-sharded array (part of the compiled signature), else ''."""
    sharding = getattr(x, "sharding", None)
    return str(sharding) if isinstance(sharding, jax.sharding.NamedSharding) else ""


@dataclass(frozen=True)
class _Sweep:
    """The parameters of a sweep's variants: the leaves marked in ``shared`` (leaf order
    of the ``params`` tree) are equal in every variant and kept once (32 CUBA 4k variants
    share one adjacency); vmapped, they are passed unbatched."""

    shared: tuple[bool, ...]
    params: Any  # the PyTreeDef of the parameters

    def merge(self, shared: Sequence[Any], varying: Sequence[Any]) -> Any:
        """The parameter tree of one variant from the shared and its own leaves."""
        it_s, it_v = iter(shared), iter(varying)
        return self.params.unflatten([next(it_s) if s else next(it_v) for s in self.shared])


@functools.lru_cache(maxsize=64)
def _jitted(cfg: _Config, batched: str | _Sweep | None = None) -> Callable[..., Any]:
    """The jitted chunk function of a structure; a :class:`_Sweep` vmaps it over the
    variants of a sweep (arguments: shared parameter leaves, then the variants' own
    leaves, states and inputs with a leading batch axis), ``"states"`` over the state
    only (many initial states, parameters and inputs shared)."""
    fn = _chunk_fn(cfg)
    if batched == "states":
        # the step counter is shared: conditions on it (recording steps, update periods)
        # stay branches instead of becoming selects that copy every buffer every step
        axes: dict[str, Any] = {"t": None, "pops": 0, "plastic": 0, "dense": 0, "gaps": 0,
                                "X": 0}
        if cfg.history:
            axes["hist"] = 0
        if cfg.delay_slots > 1:
            axes["buf"] = 0
        return jax.jit(jax.vmap(fn, in_axes=(None, axes, None),
                                out_axes=({**axes, "t": None}, 0)))
    if isinstance(batched, _Sweep):
        sweep = batched

        def one(shared: Any, varying: Any, state: Any, data: Any) -> Any:
            return fn(sweep.merge(shared, varying), state, data)

        return jax.jit(jax.vmap(one, in_axes=(None, 0, 0, 0)))
    return jax.jit(fn)

_EXECUTABLES: OrderedDict[Any, Any] = OrderedDict()
# No XLA compile options: XLA:CPU's copy insertion with region analysis
# (xla_cpu_copy_insertion_use_region_analysis) saved copies of carried arrays, but it
# let the step index be overwritten with the next one before a spike-delivery loop read
# it (every arrival one step late; test_simultaneous_spikes_arrive_at_their_step_...)


def _executable(cfg: _Config, args: tuple[Any, ...], batched: str | _Sweep | None = None,
                disk: Path | None = None) -> tuple[Any, float]:
    """The compiled chunk function for a structure and argument signature (shapes, dtypes
    and, for sharded batches, shardings), and the seconds spent compiling it now (0.0 when
    it was cached in this process). With ``disk``, a directory, executables are also kept
    there for later single-device processes (``_cache``); loading one counts as compiling."""
    return _compile_lowered(*_start_executable(cfg, args, batched, disk))


def _start_executable(cfg: _Config, args: tuple[Any, ...], batched: str | _Sweep | None = None,
                      disk: Path | None = None) -> tuple[Any, Any, Path | None, float]:
    """The first half of :func:`_executable`, which holds the GIL: the cache lookups and,
    when neither cache has the executable, tracing and lowering (in Python). Returns what
    :func:`_compile_lowered` finishes with: the key, the executable (cached) or the lowered
    computation, the disk entry and the seconds spent so far."""
    leaves, tree = jax.tree_util.tree_flatten(args)
    signature = tuple((np.shape(x), np.result_type(x).str, _named(x)) for x in leaves)
    key = (cfg, batched, tree, signature)
    if key in _EXECUTABLES:
        _EXECUTABLES.move_to_end(key)
        return key, _EXECUTABLES[key], None, 0.0
    tic = time.perf_counter()
    path = None
    # a deserialised executable is loaded onto every local device, so the disk cache
    # serves single-device processes only
    if disk is not None and jax.device_count() == 1:
        path = _cache.entry(disk, cfg, batched, str(tree), signature)
    compiled = _cache.load(path) if path is not None else None
    if compiled is None:
        with _collector_paused():
            compiled = _jitted(cfg, batched).lower(*args)
    else:
        path = None  # nothing to store
    return key, compiled, path, time.perf_counter() - tic


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused (if it runs) while JAX traces and lowers a
    chunk function. Tracing allocates heavily, and a full collection that falls into it
    walks every object of the process (JAX, NumPy, Brian2's units): 40-70 ms on this
    project's machine, once in each cold CUBA 4k run and sweep measured. Cyclic garbage
    made meanwhile waits for the collector's next pass; reference counting frees the rest
    as usual."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def _compile_lowered(key: Any, compiled: Any, path: Path | None, seconds: float
                     ) -> tuple[Any, float]:
    """The second half of :func:`_executable`: XLA's compile of a lowered computation
    (which lets go of the GIL, so that another thread can run Python meanwhile), kept in
    this process and, with ``path``, on disk."""
    if isinstance(compiled, jax.stages.Lowered):
        tic = time.perf_counter()
        compiled = compiled.compile()
        if path is not None:
            _cache.store(path, compiled)
        seconds += time.perf_counter() - tic
    _EXECUTABLES[key] = compiled
    if len(_EXECUTABLES) > 64:
        _EXECUTABLES.popitem(last=False)
    return compiled, seconds


# -- host side -----------------------------------------------------------------------
@dataclass
class JaxSimulation:
    """A plan compiled for the JAX backend; ``run`` may be called repeatedly.

    Args:
        plan: the lowered network.
        dtype: ``"float32"`` (default) or ``"float64"``.
        chunk_steps: steps per compiled chunk; recordings move to host memory after
            each chunk, so device memory is bounded by one chunk's recordings.
        spike_capacity: initial capacity ``K`` of the compacted spike buffer of a step
            (default: 1/64 of all spike sources, rounded up to a power of two, within
            64..4096, and at most the number of sources).
        on_overflow: ``"grow"`` (re-run the chunk with a larger buffer) or ``"raise"``.
        on_nan: ``"raise"`` or ``"stop"`` (end the run at the fault, keeping what was
            recorded).
        compile_cache: keep compiled chunk functions on disk for later processes.
        cache_dir: their directory (default ``$SPIKEPLAST_CACHE/jax``, i.e.
            ``~/.cache/spikeplast/jax``).
        delivery: how a step's spikes reach their synapses (and STDP rules): ``"loop"``,
            one spike after another (work in proportion to the spikes: fastest on a
            CPU); ``"vector"``, every slot of the spike buffer at once, the empty ones
            masked (work in proportion to the buffer, no loop: fastest on a GPU);
            ``"auto"`` (default), ``loop`` on CPU and ``vector`` on other devices. Both
            give the same results (bit-for-bit on CPU).
        reuse: a simulation of another variant of the same network (see :meth:`variant`)
            whose connectivity tables are taken instead of built again where they are
            equal.
    """

    plan: Plan
    dtype: str = "float32"
    chunk_steps: int = 10_000
    spike_capacity: int | None = None
    on_overflow: str = "grow"
    on_nan: str = "raise"
    compile_cache: bool = True
    cache_dir: str | os.PathLike[str] | None = None
    delivery: str = "auto"
    timings: dict[str, float] = field(default_factory=dict)
    reuse: JaxSimulation | None = field(default=None, repr=False, compare=False)

    @property
    def vectorised(self) -> bool:
        """Whether spikes are delivered a buffer at a time (``delivery``)."""
        if self.delivery == "auto":
            return jax.devices()[0].platform != "cpu"
        return self.delivery == "vector"

    def __post_init__(self) -> None:
        t0 = time.perf_counter()
        with jax.enable_x64(self.dtype == "float64"):
            self._prepare()
        self.timings["build"] = time.perf_counter() - t0
        self.timings.setdefault("compile", 0.0)

    def variant(self, plan: Plan) -> JaxSimulation:
        """A simulation of ``plan``, a variant of this plan's network with other values
        (a sweep), with this one's options; equal connectivity tables are shared."""
        options = {f.name: getattr(self, f.name) for f in fields(self)
                   if f.init and f.name not in ("plan", "timings", "reuse")}
        return JaxSimulation(plan, **options, reuse=self)

    @property
    def disk_cache(self) -> Path | None:
        """The directory of compiled chunk functions, or None when not kept on disk."""
        if not self.compile_cache:
            return None
        return Path(self.cache_dir) if self.cache_dir is not None else cache_root() / "jax"

    # structure and traced parameters
    def _prepare(self) -> None:
        plan = self.plan
        fdt = np.float32 if self.dtype == "float32" else np.float64
        self._fdt = fdt
        pops, offset = [], 0
        for p in plan.neurons():
            pops.append(_Pop(p.name, p.n, p.method, tuple(q.kind for q in p.ports), offset))
            offset += p.n * len(p.ports)
        self._pops = tuple(pops)
        groups = []
        for p in plan.equations():
            targeted = {q.port for q in plan.projections.values() if q.target == p.name}
            g = eqs.layout(p, targeted, offset, plan.dt)
            groups.append(g)
            offset += p.n * len(g.ports)
        self._eqs = tuple(groups)
        discrete = plan.discrete()
        d_offset = {}
        for d in discrete:
            d_offset[d.name] = offset
            offset += d.n
        M = offset
        port_offset = {(p.name, k): p.offset + i * p.n for p in pops
                       for i, k in enumerate(plan.populations[p.name].variables[1:])}
        port_offset.update({(name, "input"): o for name, o in d_offset.items()})
        port_offset.update({(g.name, v): g.port_slice(k).start for g in self._eqs
                            for k, v in enumerate(g.ports)})
        self._port_offset = port_offset
        self._prepare_discrete(d_offset, fdt)
        projs = list(plan.projections.values())
        # delay slots (the tables hold delays only when there are more than one)
        self._D = 1 + max([int(q.delay_steps.max()) for q in projs if q.n_synapses] or [0])
        w_offsets = np.cumsum([0] + [q.n_synapses for q in projs])
        self._w_offset = {q.name: int(o) for q, o in zip(projs, w_offsets)}
        n_w = int(w_offsets[-1])
        # padded with zeros (index n_w is the sink of padded adjacency entries) to a size
        # bucket, so a new seed with a few more or fewer synapses reuses compiled code
        weights = np.zeros(_bucket(n_w + 1), fdt)
        for q in projs:
            weights[self._w_offset[q.name]:self._w_offset[q.name] + q.n_synapses] = q.w
        filtered_sources = {f.source for f in plan.filtered()}
        compacted = set(compacted_sources(plan))
        parts, trains, offset = [], [], 0
        for name, src in plan.populations.items():
            has_out = any(q.source == name and q.n_synapses for q in projs) \
                or name in filtered_sources
            if isinstance(src, (DiscretePlan, RatePopPlan, RatePatternsPlan, FilteredRatePlan)):
                continue  # discrete layers return their spikes whole; rate units spike not
            if isinstance(src, SpikeTrainPlan):
                if has_out:
                    trains.append(_Train(name, src.n, any(
                        q.source == name and q.n_synapses and q.plasticity is None
                        for q in projs)))
            elif name in compacted:
                kind = src.kind
                if isinstance(src, PoissonPlan) and src.rates.shape[0] == 1:
                    kind = "gaps"  # constant rates: draw the gap to each input's next spike
                parts.append(_Part(name, kind, src.n, offset,
                                   record=name in plan.spike_monitors.values()))
                offset += src.n
        # spiking populations of a multiple of 32 neurons are stored interleaved where
        # their spikes are found from packed words (the loop, up to 32768 sources), if
        # every part before them is whole words and nothing writes a dense matrix into
        # their ports
        dense_targets = {q.target for q in projs if q.port_kind == "rate"
                         or isinstance(q.plasticity, DiscreteSTDP)}
        if not self.vectorised and offset <= _PACKED and all(
                part.n % 32 == 0 for part in parts[:-1]):
            parts = [replace(part, interleaved=True) if part.kind == "lif" and part.n
                     and part.n % 32 == 0 and part.name not in dense_targets else part
                     for part in parts]
        # neuron at each stored position, per interleaved population
        self._order = {part.name: _interleaved(part.n) for part in parts if part.interleaved}
        self._parts, self._trains, self._n_events = tuple(parts), tuple(trains), offset
        tables = {"events": [(p.name, p.offset) for p in parts]}
        tables.update({f"train/{t.name}": [(t.name, 0)] for t in trains if t.static})
        adj, fanout = {}, {}
        self._adjacency_built: list[tuple[Any, list[np.ndarray], dict[str, np.ndarray] | None]] = []
        for table, members in tables.items():
            rows = sum(plan.populations[m].n for m, _ in members)
            a = self._adjacency(rows, members, projs, port_offset, M, n_w)
            if a is not None:
                adj[table], fanout[table] = a, a["tgt"].shape[1]
        # the compaction costs per actual spike, not per slot: start with room for 1/64 of
        # the sources spiking in one step (64k neurons: 1024), so that large networks do not
        # overflow and re-run their first chunk; a slot costs only room in the record
        self._capacity = min(self._n_events, self.spike_capacity
                             or min(4096, max(64, _pow2(self._n_events // 64))))
        # the chunk's spike record holds this many spikes per step on average (1/256 of
        # the sources: 39 Hz at dt = 0.1 ms) and grows like the buffer when a chunk has more
        self._per_step = min(self._capacity, max(8, _pow2(self._n_events // 256)))
        self._fanout = fanout.get("events", 0)
        self._M = M
        self._tables = tables
        self._prepare_plastic(projs, port_offset, M, fdt)
        self._prepare_rates(fdt)

        # state keys: "v" and the ports as "x0", "x1", ... (in the population's port order)
        key_of = {p.name: {v: ("v" if k == 0 else f"x{k - 1}") for k, v in
                           enumerate(plan.populations[p.name].variables)} for p in pops}
        key_of.update({d.name: {"v": "v"} for d in discrete})
        key_of.update({r.name: {v: v for v in r.variables} for r in plan.rate()})
        key_of.update({f.name: {"y": "y"} for f in plan.filtered()})
        key_of.update({g.name: {v: v for v in g.ir.names} for g in self._eqs})
        mon_idx = {m.name: self._position(m.population, m.indices).astype(np.int32)
                   for m in plan.state_monitors.values()}
        for m in plan.weight_monitors.values():
            q = plan.projections[m.projection]
            if isinstance(q.plasticity, DiscreteSTDP) or q.port_kind == "rate":  # dense W
                ix = q.j[m.synapses] * q.n_pre + q.i[m.synapses]
            elif q.plasticity is not None:
                ix = m.synapses
            else:
                ix = self._w_offset[m.projection] + m.synapses
            mon_idx[m.name] = ix.astype(np.int32)

        self._state_mons = tuple(
            _StateMon(m.name, m.population, tuple(key_of[m.population][v] for v in m.variables),
                      m.indices.size, m.every) for m in plan.state_monitors.values())
        self._weight_mons = tuple(
            _WeightMon(m.name, m.synapses.size, m.every,
                       m.projection if plan.projections[m.projection].plasticity
                       or plan.projections[m.projection].port_kind == "rate" else None)
            for m in plan.weight_monitors.values())
        # each population's parameters and the constants of its update; every port
        # decays by a factor each step: one factor per element of the flat input vector
        # (0 for the inputs of discrete layers and the sink, zeroed per step)
        pop_params, coef, decay = {}, {}, np.zeros(M + 1, fdt)
        for p, layout in zip(plan.neurons(), pops):
            full = dict(p.params)
            for k, q in enumerate(p.ports):
                full[f"tau_{k}"] = q.tau
                if q.e_rev is not None:
                    full[f"e_rev_{k}"] = q.e_rev
            full = {k: self._stored(p.name, v) for k, v in full.items()}
            prm = {k: _compact(v, fdt) for k, v in full.items()}
            prm["ref_steps"] = _compact(self._stored(p.name, p.ref_steps), np.int32)
            pop_params[p.name] = prm
            c = coefficients(p.method, layout.kinds, full, plan.dt, fdt)
            for k in range(len(layout.kinds)):
                decay[layout.offset + k * p.n:layout.offset + (k + 1) * p.n] = c[f"decay_{k}"]
            coef[p.name] = {k: _compact(v, fdt) for k, v in c.items()}
        for g in self._eqs:  # their ports change only by their kernels and deliveries
            decay[g.offset:g.offset + g.n * len(g.ports)] = 1
        root = jax.random.PRNGKey(plan.seed)
        eq_params = {g.name: eqs.params_of(plan.populations[g.name], jax.random.fold_in(
            root, 0x5EED0000 + list(plan.populations).index(g.name)), fdt) for g in self._eqs}
        poisson = {}
        for part in parts:
            src = plan.populations[part.name]
            if isinstance(src, PoissonPlan):
                key = jax.random.fold_in(jax.random.PRNGKey(plan.seed),
                                         list(plan.populations).index(part.name))
                poisson[part.name] = {"p": np.asarray(src.rates * plan.dt, fdt),
                                      "rate_steps": np.int32(src.rate_steps), "key": key,
                                      "gap_key": np.asarray(jax.random.key_data(
                                          jax.random.fold_in(key, 0x6A17)), np.uint32)}
        self._params = {"dt": fdt(plan.dt), "pops": pop_params, "coef": coef, "decay": decay,
                        "adj": adj, "weights": weights,
                        "poisson": poisson, "mon_idx": mon_idx,
                        "plastic": self._plastic_params, "discrete": self._discrete_params,
                        "dense": self._dense_params, "rate": self._rate_params,
                        "patterns": self._pattern_params, "filtered": self._filtered_params,
                        "rate_w": self._rate_w, "eqs": eq_params}

    def _prepare_rates(self, fdt: Any) -> None:
        """Rate populations, pattern inputs, spike-rate filters and the dense W of every
        rate projection."""
        plan = self.plan
        rates, rate_params, pattern_params = [], {}, {}
        self._rate_w: dict[str, np.ndarray] = {}
        kinds = {"Oja": "oja", "Sanger": "sanger", "BCM": "bcm", "BCMODE": "bcmode",
                 "OnlineHebbian": "online", "Hebbian": "hebbian", "AntiHebbian": "hebbian"}
        for r in plan.rate():
            inputs, theta0 = [], 0.0
            for q in plan.projections.values():
                if q.target != r.name:
                    continue
                r_ = q.plasticity
                rule = kinds.get(type(r_).__name__, "")
                src = plan.populations[q.source]
                inputs.append(_RateIn(q.name, q.source, isinstance(src, RatePatternsPlan), rule,
                                      bool(getattr(r_, "normalize", False)),
                                      rule == "bcmode" and r_.w_bound > 0,
                                      bool(getattr(r_, "zero_diagonal", False)),
                                      rule == "bcmode" and r_.w_decay > 0))
                W = np.zeros((q.n_post, q.n_pre), fdt)
                W[q.j, q.i] = q.w
                if rule:
                    self._dense_state[q.name] = {"W": W}
                else:
                    self._rate_w[q.name] = W
                rp = {"lr": fdt(getattr(r_, "learning_rate", 0.0)), "scale": fdt(1.0)}
                if rule == "bcm":
                    rp.update(w_clip=fdt(r_.w_clip), alpha=fdt(
                        1.0 / r_.threshold_tau if r_.threshold_tau > 0 else 1.0))
                    theta0 = r_.theta0
                elif rule == "bcmode":
                    rp.update(scale=fdt(r_.resist_scale), w_bound=fdt(r_.w_bound),
                              w_decay=fdt(r_.w_decay), rdt_w=fdt(r_.dt / r_.tau_w),
                              rdt_theta=fdt(r_.dt / r_.tau_theta))
                    theta0 = r_.theta0
                elif rule == "hebbian":
                    rp.update(hebbian_constants(r_, src))
                    rp = {k: fdt(v) for k, v in rp.items()}
                self._dense_params[q.name] = rp
            watched = {v for m in plan.state_monitors.values() if m.population == r.name
                       for v in m.variables}
            rates.append(_Rate(r.name, r.n, r.activation, r.every, tuple(inputs), r.update,
                               r.stops, r.stops or bool(watched & {"sweeps", "converged"}),
                               r.temperature != 1.0, r.recurrent))
            rate_params[r.name] = {
                "bias": np.asarray(r.bias, fdt), "inv_T": fdt(1.0 / r.temperature),
                "tol": fdt(-1.0 if r.tol is None else r.tol),
                "max_sweeps": np.int32(min(r.max_sweeps or 2**31 - 1, 2**31 - 1))}
            self._discrete_state[r.name] = {
                "y": np.asarray(r.init, fdt), "theta": np.full(r.n, theta0, fdt),
                "acc": fdt(0.0), "sweeps": np.int32(0), "converged": np.int32(0)}
        for p in plan.populations.values():
            if isinstance(p, RatePatternsPlan):
                pattern_params[p.name] = {"patterns": np.asarray(p.patterns, fdt),
                                          "sequence": p.sequence.astype(np.int32)}
        self._filtered = tuple(
            _Filtered(f.name, f.source, isinstance(plan.populations[f.source], SpikeTrainPlan),
                      f.n) for f in plan.filtered())
        self._filtered_params = {f.name: {"decay": fdt(np.exp(-plan.dt / f.tau)),
                                          "inc": fdt(1.0 / f.tau)} for f in plan.filtered()}
        for f in plan.filtered():
            self._discrete_state[f.name] = {"y": np.zeros(f.n, fdt)}
        self._rates = tuple(rates)
        self._rate_params, self._pattern_params = rate_params, pattern_params
        self._orders: dict[str, np.ndarray] = {}

    def _order_chunk(self, t0: int, length: int) -> dict[str, np.ndarray]:
        """The unit each asynchronous population updates at each step of a chunk."""
        out = {}
        for r in self.plan.rate():
            if r.update != "async":
                continue
            need = (t0 + length) // r.every + 1
            if self._orders.get(r.name, np.empty(0)).size < need:
                self._orders[r.name] = async_order(self.plan.seed, r, max(need, 2 * need))
            steps = np.arange(t0, t0 + length)
            out[r.name] = self._orders[r.name][steps // r.every].astype(np.int32)
        return out

    def _prepare_discrete(self, d_offset: dict[str, int], fdt: Any) -> None:
        """Layers, dense DiscreteSTDP weights (``W[post, pre]``) and their initial state."""
        plan = self.plan
        layers, params, dense_params, dense_state, states = [], {}, {}, {}, {}
        for d in plan.discrete():
            q = next((q for q in plan.projections.values() if q.target == d.name
                      and isinstance(q.plasticity, DiscreteSTDP)), None)
            src = plan.populations[q.source] if q else None
            layers.append(_Discrete(d.name, d.n, d_offset[d.name], q.name if q else None,
                                    q.source if q else None,
                                    isinstance(src, SpikeTrainPlan), src.n if src else 0))
            params[d.name] = {"leak": fdt(d.leak), "threshold": fdt(d.threshold),
                              "v_reset": fdt(d.v_reset)}
            states[d.name] = {"v": np.asarray(d.init["v"], fdt)}
            if q is not None:
                r = q.plasticity
                W = np.zeros((q.n_post, q.n_pre), fdt)
                W[q.j, q.i] = q.w
                dense_params[q.name] = {"lr": fdt(r.learning_rate), "a_plus": fdt(r.a_plus),
                                        "a_minus": fdt(r.a_minus), "decay": fdt(r.trace_decay),
                                        "w_min": fdt(r.w_min), "w_max": fdt(r.w_max)}
                dense_state[q.name] = {"W": W, "trace_pre": np.zeros(q.n_pre, fdt)}
                states[d.name]["trace_post"] = np.zeros(d.n, fdt)
        self._discrete = tuple(layers)
        self._discrete_params, self._discrete_state = params, states
        self._dense_params, self._dense_state = dense_params, dense_state

    def _prepare_plastic(self, projs: list[Any], port_offset: dict[tuple[str, str], int],
                         M: int, fdt: Any) -> None:
        """Synapse tables, rule parameters and initial state of every plastic projection.

        Per projection: ``out[i]`` lists the synapses of source neuron ``i`` and ``in[j]``
        those onto target neuron ``j`` (padded with a sink synapse, the last entry, and a
        sink row); ``tgt[s]`` is synapse ``s``'s entry in the flat input vector.
        """
        cfgs, params, state = [], {}, {}
        for q in projs:
            r = q.plasticity
            if not isinstance(r, ResolvedSTDP) or q.n_synapses == 0:
                continue
            n = q.n_synapses
            n_pad = _bucket(n + 1)
            sink = n_pad - 1

            scale = q.n_pre / max(q.n_post, 1)
            tgt = np.full(n_pad, M, np.int32)
            tgt[:n] = port_offset[(q.target, q.port)] + self._position(q.target, q.j)
            params[q.name] = {
                "out": _synapse_table(q.n_pre, q.i, q.fanout_mean, q.fanout_var, sink),
                "in": _synapse_table(q.n_post, q.j, q.fanout_mean * scale,
                                     q.fanout_var * scale, sink),
                "tgt": tgt, "lr": fdt(r.learning_rate),
                **{k: fdt(getattr(r, k)) for k in ("tau_plus", "tau_minus", "a_plus",
                                                   "a_minus", "w_min", "w_max")}}
            w = np.zeros(n_pad, fdt)
            w[:n] = q.w
            state[q.name] = {"w": w, "apre": np.zeros(n_pad, fdt),
                             "apost": np.zeros(n_pad, fdt), "lu": np.zeros(n_pad, np.int32)}
            dly = np.full(n_pad, -1, np.int32)
            dly[:n] = q.delay_steps
            params[q.name]["dly"] = dly
            source = self.plan.populations[q.source]
            lags = tuple(int(x) for x in np.unique(q.delay_steps))
            cfgs.append(_Plastic(q.name, q.source, isinstance(source, SpikeTrainPlan),
                                 q.target, r.pairing, r.dependence, lags))
        self._plastic = tuple(cfgs)
        self._history = 1 + max([max(p.lags) for p in cfgs if not p.source_is_train] or [-1])
        self._back = max([max(p.lags) for p in cfgs if p.source_is_train] or [0])
        self._plastic_params = params
        self._plastic_state = state

    def _adjacency(self, rows: int, members: list[tuple[str, int]], projs: list[Any],
                   port_offset: dict[tuple[str, str], int], M: int, n_w: int
                   ) -> dict[str, np.ndarray] | None:
        """Padded adjacency of the sources ``members`` (name, row offset) stacked in ``rows``
        rows: flat target, delay (steps) and weight position of every synapse; padding
        points at the zero weight ``n_w`` and, in column ``c``, at input ``c mod M``."""
        outs = {name: [q for q in projs if q.source == name and q.n_synapses
                       and q.plasticity is None and q.port_kind != "rate"]
                for name, _ in members}
        # everything the tables are made of (delays kept or not included); a variant with the
        # same takes the same tables
        key = (rows, tuple(members), M, n_w, self._D > 1, tuple(
            (q.name, self._w_offset[q.name], port_offset[(q.target, q.port)], q.fanout_mean,
             q.fanout_var) for out in outs.values() for q in out))
        arrays = [a for out in outs.values() for q in out for a in (q.i, q.j, q.delay_steps)]
        built = self.reuse._adjacency_built if self.reuse is not None else []
        table = next((t for key0, arrays0, t in built if key0 == key and all(
            a is b or np.array_equal(a, b) for a, b in zip(arrays0, arrays))), None)
        if table is None:
            table = self._build_adjacency(rows, members, outs, port_offset, M, n_w)
        self._adjacency_built.append((key, arrays, table))
        return table

    def _build_adjacency(self, rows: int, members: list[tuple[str, int]],
                         outs: dict[str, list[Any]], port_offset: dict[tuple[str, str], int],
                         M: int, n_w: int) -> dict[str, np.ndarray] | None:
        if not any(outs[name] for name, _ in members):
            return None
        fan, bound = np.zeros(rows, np.int64), 0.0
        count = {q.name: np.bincount(q.i, minlength=q.n_pre) for out in outs.values()
                 for q in out}  # each source's synapses, per projection
        for name, off in members:
            out = outs[name]
            if out:
                bound = max(bound, sum(q.fanout_mean for q in out)
                            + 5 * np.sqrt(sum(q.fanout_var for q in out)))
            for q in out:
                fan[off:off + q.n_pre] += count[q.name]
        # pad to a bound of the fan-out distribution, not the realised maximum, so that a
        # new seed keeps the same shapes (and compiled code)
        F = _bucket(max(int(fan.max()), int(np.ceil(bound))))
        # int32 throughout (the tables' type); without delay slots no delay table
        a = {"tgt": np.full((rows, F), M, np.int32), "wix": np.full((rows, F), n_w, np.int32)}
        if self._D > 1:
            a["dly"] = np.zeros((rows, F), np.int32)
        fill, cols = np.zeros(rows, np.int64), np.arange(F)
        for name, off in members:
            for q in outs[name]:  # a row lists its projections in order, each by source
                w0 = self._w_offset[q.name]
                values = {"tgt": np.add(self._position(q.target, q.j),
                                        port_offset[(q.target, q.port)], dtype=np.int32,
                                        casting="unsafe"),
                          "wix": np.arange(w0, w0 + q.n_synapses, dtype=np.int32)}
                if "dly" in a:
                    values["dly"] = q.delay_steps
                if np.any(q.i[1:] < q.i[:-1]):  # FromIndices keeps the order it was given in
                    order = np.argsort(q.i, kind="stable")
                    values = {k: v[order] for k, v in values.items()}
                below = fill[off:off + q.n_pre]
                # this projection's columns of each row; a boolean mask is filled in row-major
                # order, which is the order of synapses sorted by source
                here = (cols >= below[:, None]) & (cols < (below + count[q.name])[:, None])
                for key, table in a.items():
                    table[off:off + q.n_pre][here] = values[key]
                below += count[q.name]
        # a row's padding adds the zero weight to distinct inputs (column c: input c mod
        # M), not all to the sink: XLA:CPU's scatter adds entry by entry, and a run of adds
        # to one address waits on each previous store (CUBA 4k, 48 of a row's 128 entries
        # are padding: 0.0353-0.0360 against 0.0369-0.0372 s per simulated second)
        pad = a["wix"] == n_w
        a["tgt"][pad] = np.broadcast_to(cols % M, pad.shape)[pad]
        for x in a.values():  # variants share them (reuse)
            x.flags.writeable = False
        return a

    def connectivity(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The synapses ``(i, j)`` per projection, decoded from the padded adjacency tables
        this backend propagates spikes through (sorted by ``(i, j)``)."""
        projs = list(self.plan.projections.values())
        n_w = sum(q.n_synapses for q in projs)
        starts = np.array([self._w_offset[q.name] for q in projs] + [np.iinfo(np.int64).max])
        base = self._port_offset
        found: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {q.name: [] for q in projs}
        for table, a in self._params["adj"].items():
            rows, cols = np.nonzero(a["wix"] < n_w)
            which = np.searchsorted(starts, a["wix"][rows, cols], side="right") - 1
            for k, q in enumerate(projs):
                off = dict(self._tables[table]).get(q.source)
                sel = which == k
                if off is not None and sel.any():
                    tgt = a["tgt"][rows[sel], cols[sel]]
                    found[q.name].append((rows[sel] - off, self._neuron(
                        q.target, tgt - base[(q.target, q.port)])))
        for q in projs:  # dense DiscreteSTDP weights: every (pre, post) pair exists
            if q.name in self._dense_params:
                jj, ii = np.nonzero(np.ones((q.n_post, q.n_pre), bool))
                found[q.name].append((ii, jj))
        for q in projs:  # plastic projections: decode their own synapse tables
            prm = self._plastic_params.get(q.name)
            if prm is not None:
                rows, cols = np.nonzero(prm["out"][:-1] < q.n_synapses)
                syn = prm["out"][rows, cols]
                found[q.name].append((rows, self._neuron(
                    q.target, prm["tgt"][syn] - base[(q.target, q.port)])))
        result = {}
        for q in projs:
            i = np.concatenate([f[0] for f in found[q.name]] or [np.zeros(0, np.int64)])
            j = np.concatenate([f[1] for f in found[q.name]] or [np.zeros(0, np.int64)])
            order = np.lexsort((j, i))
            result[q.name] = (i[order].astype(np.int64), j[order].astype(np.int64))
        return result

    def _config(self, length: int, diagnose: bool = False) -> _Config:
        return _Config(self.dtype, length, self._D, self._M, self._pops, self._parts,
                       self._n_events, self._capacity, self._fanout, self._trains,
                       self._plastic, self._history, self._back, self._discrete,
                       self._filtered, self._rates, self._state_mons, self._weight_mons,
                       diagnose, vector=self.vectorised,
                       device_check=jax.devices()[0].platform != "cpu",
                       record=length * self._per_step + self._width if self._parts else 0,
                       sequenced=jax.devices()[0].platform == "cpu", eqs=self._eqs)

    @property
    def _width(self) -> int:
        """Slots of a step's compacted spike buffer."""
        return min(self._capacity, self._n_events)

    def initial_state(self) -> dict[str, Any]:
        """The state at t = 0 (from the plan's initial values)."""
        fdt = self._fdt
        pops = {p.name: {"v": self._stored(p.name, np.asarray(p.init["v"], fdt)),
                         "lastspike": self._stored(p.name, -p.ref_steps.astype(np.int32) - 1)}
                for p in self.plan.neurons()}
        pops.update({k: {f: a.copy() for f, a in v.items()}
                     for k, v in self._discrete_state.items()})
        X = np.zeros(self._M + 1, fdt)  # every port; then discrete layers' inputs, the sink
        for g in self._eqs:
            pops[g.name] = eqs.initial(g, self.plan.populations[g.name], fdt, X)
        for p in self.plan.neurons():
            for q in p.ports:
                o = self._port_offset[p.name, q.name]
                X[o:o + p.n] = self._stored(p.name, p.init[q.name])
        state: dict[str, Any] = {"t": np.int32(0), "pops": pops, "X": X,
                                 "dense": {k: {f: a.copy() for f, a in v.items()}
                                           for k, v in self._dense_state.items()},
                                 "plastic": {k: {f: a.copy() for f, a in v.items()}
                                             for k, v in self._plastic_state.items()}}
        state["gaps"] = self.first_spikes(0)
        if self._D > 1:
            state["buf"] = np.zeros(self._D * self._M + 1, fdt)
        if self._history:
            state["hist"] = {"idx": np.zeros((self._history, self._capacity), np.int32),
                             "n": np.zeros(self._history, np.int32)}
        return state

    def first_spikes(self, t: int, only: Mapping[str, np.ndarray] | None = None
                     ) -> dict[str, np.ndarray]:
        """The first spike step at or after ``t`` of every constant-rate Poisson input
        (``t - 1 +`` a geometric gap: the process is memoryless), except the sources given
        in ``only`` (kept as given)."""
        out = {}
        for part in self._parts:
            if part.kind != "gaps":
                continue
            if only is not None and part.name in only:
                out[part.name] = np.asarray(only[part.name], np.int32)
                continue
            prm = self._params["poisson"][part.name]
            out[part.name] = np.asarray(_gap(prm["gap_key"], jnp.int32(t - 1),
                                             jnp.arange(part.n), prm["p"][0]))
        return out

    def _fit_history(self, state: dict[str, Any]) -> dict[str, Any]:
        """Pad the spike history of a state to the current buffer capacity."""
        if "hist" not in state or state["hist"]["idx"].shape[1] == self._capacity:
            return state
        idx = state["hist"]["idx"]
        pad = jnp.zeros((idx.shape[0], self._capacity - idx.shape[1]), idx.dtype)
        return {**state, "hist": {"idx": jnp.concatenate([idx, pad], axis=1),
                                  "n": state["hist"]["n"]}}

    # running
    def _train_chunk(self, t0: int, length: int) -> dict[str, Any]:
        trains = {}
        for s in self._trains:
            src = self.plan.populations[s.name]
            # offsets from `back` steps before the chunk: delayed plastic arrivals look back
            lo, hi = np.searchsorted(src.steps, [t0 - self._back, t0 + length])
            idx = src.indices[lo:hi].astype(np.int32)
            offsets = np.searchsorted(src.steps[lo:hi],
                                      np.arange(t0 - self._back, t0 + length + 1))
            padded = np.zeros(_pow2(idx.size + s.n), np.int32)  # + n: slices of n per step
            padded[:idx.size] = idx
            trains[s.name] = {"offsets": offsets.astype(np.int32), "idx": padded}
        return trains

    def run(self, n_steps: int, state: dict[str, Any] | SimState | None = None,
            progress: Callable[[int, int], None] | None = None
            ) -> tuple[dict[str, Any], Recording]:
        """Advance ``n_steps`` steps from ``state`` (a scan state or a portable
        :class:`SimState`; default: the initial state).

        Returns the new scan state and the recordings, on the host.
        """
        with jax.enable_x64(self.dtype == "float64"):
            if isinstance(state, SimState):
                state = self.restore(state)
            return self._run(n_steps, state, progress)

    def restore(self, snap: SimState) -> dict[str, Any]:
        """The scan state of a portable snapshot (of this network, from either backend)."""
        check_snapshot(self.plan, snap)
        if self.plan.equations():  # their state is not in the portable snapshot yet
            raise UnsupportedFeature("jax", "continuing a run of NeuronGroup populations "
                                     "from a SimState", "Run the whole duration at once.")
        return import_state(self, snap)

    def export_state(self, state: dict[str, Any]) -> SimState:
        """The portable snapshot of a scan state."""
        return export_state(self, state)

    def run_states(self, initial: Mapping[str, Mapping[str, np.ndarray]], n_steps: int
                   ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, np.ndarray]]]:
        """Run ``B`` copies of the network that differ only in initial values, as one
        ``jit(vmap)`` over the state with parameters (static weights included) shared.

        Args:
            initial: population -> variable -> array ``(B, n)`` of initial values.
            n_steps: steps to run each copy.

        Returns:
            the state monitors' records: monitor -> variable -> ``(B, records, m)``
            (other monitors are not recorded in a batch of copies); and the copies' state
            at the end: population -> variable -> ``(B, ...)`` (this backend's names:
            rate populations' ``y``, ``theta``, ``sweeps``, ``converged``; spiking
            populations' ``v``, ``lastspike`` and ports ``x0``, ``x1``...).
        """
        with jax.enable_x64(self.dtype == "float64"):
            base = self.initial_state()
            sizes = {np.shape(a)[0] for v in initial.values() for a in v.values()}
            if len(sizes) != 1:
                raise SpecError(f"run_states(): every initial array needs the same batch "
                                f"size; got {sorted(sizes)}.")
            B = sizes.pop()
            states = jax.tree_util.tree_map(
                lambda a: np.broadcast_to(np.asarray(a), (B, *np.shape(a))).copy(), base)
            states["t"] = base["t"]  # one step counter for all copies
            ports = self._port_slices()
            for pop, variables in initial.items():
                for var, a in variables.items():
                    if (pop, var) in ports:
                        target = states["X"][:, ports[pop, var]]
                    else:
                        target = states["pops"][pop][var]
                    if np.shape(a) != target.shape:
                        raise SpecError(f"run_states(): initial '{pop}.{var}' has shape "
                                        f"{np.shape(a)}; it must be {target.shape}.")
                    target[...] = self._stored(pop, np.asarray(a, self._fdt))
            parts: dict[str, list[np.ndarray]] = {m.name: [] for m in self._state_mons}
            params = jax.device_put(self._params)  # once for every chunk (see _run)
            done = 0
            while done < n_steps:
                length = min(self.chunk_steps, n_steps - done)
                data = self._chunk_data(done, length)
                args = (params, states, data)
                cfg = replace(self._config(length), states_batched=True)
                fn, seconds = _executable(cfg, args, batched="states", disk=self.disk_cache)
                self.timings["compile"] += seconds
                tic = time.perf_counter()
                new_states, out = jax.device_get(fn(*args))
                self.timings["run"] = self.timings.get("run", 0.0) + time.perf_counter() - tic
                if self._parts and any(self._overflowed(jax.tree_util.tree_map(
                        lambda a, b=b: a[b], out), done) for b in range(B)):
                    states = self._fit_history(states)
                    continue
                ok = _finite(new_states, out, batched=True)
                if not ok.all():
                    raise SimulationError(
                        f"backend 'jax': a state of copy {int(np.argmin(ok))} became "
                        f"NaN or infinite in a batch run between steps {done} and "
                        f"{done + length}; run the copy alone to locate it.")
                for m in self._state_mons:
                    first = -(-done // m.every) * m.every
                    parts[m.name].append(out["recs"][m.name][:, :len(range(
                        first, done + length, m.every))])
                states = new_states
                done += length
            end = {pop: {var: self._neuron_order(pop, np.asarray(a)) for var, a in v.items()}
                   for pop, v in states["pops"].items()}
            for (pop, var), cols in ports.items():
                end[pop][var] = self._neuron_order(pop, np.asarray(states["X"])[:, cols])
            return ({m: {v: np.concatenate(parts[m], axis=1)[:, :, k, :]
                         for k, v in enumerate(self.plan.state_monitors[m].variables)}
                     for m in parts}, end)

    def _stored(self, pop: str, a: Any) -> Any:
        """Per-neuron values of ``pop`` (last axis), in the order the step stores them."""
        return self._permuted(pop, a, lambda order: order)

    def _neuron_order(self, pop: str, a: Any) -> Any:
        """Stored per-neuron values of ``pop`` (last axis) in neuron order."""
        return self._permuted(pop, a, lambda order: _positions(order.size))

    def _permuted(self, pop: str, a: Any, index: Callable[[np.ndarray], np.ndarray]) -> Any:
        """``a`` taken along its last axis at ``index(order)`` where ``pop`` is stored
        interleaved and ``a`` holds a value per neuron; else ``a`` itself (a value shared
        by every neuron, or a population in neuron order)."""
        order = self._order.get(pop)
        if order is None or np.ndim(a) == 0 or np.shape(a)[-1] != order.size:
            return a
        return np.asarray(a)[..., index(order)]

    def _position(self, pop: str, j: np.ndarray) -> np.ndarray:
        """Where neurons ``j`` of ``pop`` are stored."""
        order = self._order.get(pop)
        return j if order is None else _positions(order.size)[j]

    def _neuron(self, pop: str, at: np.ndarray) -> np.ndarray:
        """The neurons of ``pop`` stored at positions ``at``."""
        order = self._order.get(pop)
        return at if order is None else order[at]

    def _port_slices(self) -> dict[tuple[str, str], slice]:
        """Where each spiking population's ports ``x0``, ``x1``... lie in the state's flat
        port vector ``X``."""
        return {(p.name, f"x{k}"): _port_slice(p, k)
                for p in self._pops for k in range(len(p.kinds))}

    def _run(self, n_steps: int, state: dict[str, Any] | None,
             progress: Callable[[int, int], None] | None) -> tuple[dict[str, Any], Recording]:
        state = self.initial_state() if state is None else state
        state = self._fit_history(jax.device_put(state))  # no compiles (jnp.asarray: one each)
        # on the device once for every chunk, not copied there by each call (CUBA 4k: 5.5 MB,
        # 3-7 ms of a 35 ms simulated second); no larger at its peak, as a call holds its copy
        params = jax.block_until_ready(jax.device_put(self._params))
        t_start = int(state["t"])
        rec = Recording.empty(self.plan, t_start)
        done = 0
        run_time = 0.0
        while done < n_steps:
            length = min(self.chunk_steps, n_steps - done)
            t0 = t_start + done
            data = self._chunk_data(t0, length)
            fn = self._function(length, state, data)
            tic = time.perf_counter()
            new_state, out = jax.block_until_ready(fn(params, state, data))
            out = jax.device_get(out)
            run_time += time.perf_counter() - tic
            if self._overflowed(out, t0):
                state = self._fit_history(state)
                continue  # capacities grew: run the same chunk again
            if not _finite(new_state, out).all():
                step, where = self._locate_fault(state, data, length, t0)
                if self.on_nan == "raise":
                    raise SimulationError(
                        f"backend 'jax': {where} became NaN or infinite in step {step} "
                        f"(t = {step * self.plan.dt:g} s). Pass on_nan='stop' to keep what was "
                        f"recorded before it.")
                keep = step - t0  # record the steps before the fault, then stop
                if keep > 0:
                    head = self._chunk_data(t0, keep)
                    state, out = self._function(keep, state, head)(params, state, head)
                    self._collect(rec, jax.device_get(out), t0, keep)
                rec.stopped = {"step": step, "where": where}
                break
            self._collect(rec, out, t0, length)
            state = new_state
            done += length
            if progress is not None:
                progress(done, n_steps)
        self.timings["run"] = self.timings.get("run", 0.0) + run_time
        return state, rec

    def _chunk_data(self, t0: int, length: int) -> dict[str, Any]:
        return {"trains": self._train_chunk(t0, length), "order": self._order_chunk(t0, length),
                "rec0": {m.name: np.int32(-(-t0 // m.every) * m.every)
                         for m in self._state_mons + self._weight_mons}}

    def _locate_fault(self, state: Any, data: Any, length: int, t0: int) -> tuple[int, str]:
        """Re-run a chunk that produced a non-finite value, reporting per step the first
        bad element of each variable; return the step and a description of the place."""
        args = (self._params, state, data)
        fn, _ = _executable(self._config(length, diagnose=True), args)
        _, out = fn(*args)
        steps = jax.device_get(out["steps"])
        first, where = None, ""
        for key, idx in steps.items():
            if not key.startswith("nan/") or not np.any(idx >= 0):
                continue
            k = int(np.argmax(idx >= 0))
            if first is None or k < first:
                first, where = k, self._describe(key[4:], int(idx[k]))
        return t0 + (first or 0), where

    def _describe(self, path: str, index: int) -> str:
        """A state path and flat index in the model's terms."""
        group, owner, var = path.split("/")
        if group == "pops":
            pop = self.plan.populations[owner]
            names = {"v": "v", "y": "y", "theta": "theta", "trace_post": "trace_post",
                     "acc": "sweep change"}
            if var.startswith("x") and isinstance(pop, NeuronPlan):
                names[var] = pop.ports[int(var[1:])].name
            neuron = int(self._neuron(owner, np.int64(index)))  # stored position -> neuron
            return f"population '{owner}', variable '{names.get(var, var)}', neuron {neuron}"
        q = self.plan.projections[owner]
        if group == "dense":  # W[post, pre] flattened, or a per-pre trace
            if var == "W":
                j, i = divmod(index, q.n_pre)
                return f"projection '{owner}', weight of synapse {i} → {j}"
            return f"projection '{owner}', variable '{var}', element {index}"
        return f"projection '{owner}', variable '{var}', synapse {index}"

    def _function(self, length: int, state: Any, data: Any) -> Callable[..., Any]:
        fn, seconds = _executable(self._config(length), (self._params, state, data),
                                  disk=self.disk_cache)
        self.timings["compile"] = self.timings.get("compile", 0.0) + seconds
        return fn

    def _spilled(self, out: dict) -> bool:
        """Did a step of this chunk hold more spikes than the buffer, or the chunk more
        than its record?"""
        counts = out["steps"].get("events/n")
        if counts is None or not counts.size:
            return False
        return (self._capacity < self._n_events and int(counts.max()) > self._capacity
                ) or self._recorded(out) is None

    def _recorded(self, out: dict) -> np.ndarray | None:
        """The chunk's spike indices in order, or None when the record overflowed (a step
        is written intact when it starts at most ``R − width`` into the record)."""
        total = int(np.minimum(out["steps"]["events/n"], self._capacity).sum())
        return out["spikes"][:total] if total <= out["spikes"].shape[0] - self._width else None

    def _overflowed(self, out: dict, t0: int) -> bool:
        """After a chunk: did a step hold more spikes than the buffer, or the chunk more
        than its record? Then grow them (or raise) and tell the caller to run the chunk
        again."""
        if not self._spilled(out):
            return False
        counts = out["steps"]["events/n"]
        peak = int(counts.max())
        spikes = self._recorded(out)
        if spikes is None:  # no spike is lost: the record grows, silently
            total = int(np.minimum(counts, self._capacity).sum())
            self._per_step = max(2 * self._per_step, -(-(total + total // 4) // counts.size))
        if self._capacity >= self._n_events or peak <= self._capacity:
            return True
        step = t0 + int(np.argmax(counts > self._capacity))
        if self.on_overflow == "raise":
            where = ""
            if spikes is not None:
                start = int(np.minimum(counts[:step - t0], self._capacity).sum())
                held = spikes[start:start + self._capacity]
                per = {p.name: int(np.sum((held >= p.offset) & (held < p.offset + p.n)))
                       for p in self._parts}
                worst = max(per, key=per.get)
                where = (f"; population '{worst}' emitted at least {per[worst]} of the "
                         f"first {self._capacity}")
            raise SimulationError(
                f"backend 'jax': {peak} spikes in one step (first at step {step}, "
                f"t = {step * self.plan.dt:g} s{where}) but the spike buffer holds "
                f"{self._capacity}; pass spike_capacity >= {peak} or on_overflow='grow'.")
        # the count is exact (the compaction counts past the buffer): grow once, to at
        # least double
        self._capacity = min(self._n_events, max(2 * self._capacity,
                                                 _pow2(peak + peak // 4 + 1)))
        return True

    def _collect(self, rec: Recording, out: dict, t0: int, length: int) -> None:
        steps = out["steps"]
        if self._parts:
            # per-population counts and spikes from the compacted indices of every step
            counts = np.minimum(steps["events/n"], self._capacity)
            flat = np.asarray(self._recorded(out), np.int64)
            local = np.repeat(np.arange(length), counts)
            for part in self._parts:
                mine = (flat >= part.offset) & (flat < part.offset + part.n)
                rec.add_counts(part.name, np.bincount(local[mine], minlength=length))
                if part.record:
                    rec.add_spikes(part.name, flat[mine] - part.offset, t0 + local[mine])
        for d in self._discrete:
            spk = steps[f"discrete/{d.name}"]
            rows, cols = np.nonzero(spk)
            rec.add_counts(d.name, spk.sum(axis=1))
            rec.add_spikes(d.name, cols, t0 + rows)
        for m in self._state_mons:
            first = -(-t0 // m.every) * m.every
            n_rec = len(range(first, t0 + length, m.every))
            vals = out["recs"][m.name][:n_rec]
            names = self.plan.state_monitors[m.name].variables
            rec.add_states(m.name, {v: vals[:, k, :] for k, v in enumerate(names)},
                           np.arange(first, t0 + length, m.every))
        for m in self._weight_mons:
            first = -(-t0 // m.every) * m.every
            n_rec = len(range(first, t0 + length, m.every))
            rec.add_weights(m.name, out["recs"][m.name][:n_rec],
                            np.arange(first, t0 + length, m.every))
        for name, pop in self.plan.populations.items():
            if isinstance(pop, SpikeTrainPlan) and name in self.plan.spike_monitors.values():
                lo, hi = np.searchsorted(pop.steps, [t0, t0 + length])
                rec.add_spikes(name, pop.indices[lo:hi], pop.steps[lo:hi])
            if isinstance(pop, SpikeTrainPlan) and name in self.plan.rate_monitors.values():
                lo, hi = np.searchsorted(pop.steps, [t0, t0 + length])
                rec.add_counts(name, np.bincount(pop.steps[lo:hi] - t0, minlength=length))


def build(plan: Plan, **options: Any) -> JaxSimulation:
    """Compile-ready simulation of ``plan`` on the JAX backend (see :class:`JaxSimulation`)."""
    check(plan, options)
    return JaxSimulation(plan, **options)
