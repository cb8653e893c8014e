"""Many variants of one network structure: the single-run executable per variant on one CPU
device, or one vmapped, optionally sharded, scan."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ...errors import SimulationError, SpecError
from ...results import Recording
from ._backend import (
    JaxSimulation,
    _compile_lowered,
    _executable,
    _finite,
    _start_executable,
    _Sweep,
)

__all__ = ["JaxBatch"]


def _pad_trains(datas: list[dict]) -> list[dict]:
    """Spike-train chunks of different lengths padded to the longest (same shapes)."""
    for name in datas[0]["trains"]:
        size = max(d["trains"][name]["idx"].size for d in datas)
        for d in datas:
            idx = d["trains"][name]["idx"]
            d["trains"][name]["idx"] = np.pad(idx, (0, size - idx.size))
    return datas


def _cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _stack(trees: Sequence[Any]) -> Any:
    return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *trees)


def _split(trees: Sequence[Any]) -> tuple[tuple[bool, ...], list[Any], list[tuple[Any, ...]]]:
    """Per leaf of the variants' trees, whether it is equal in all of them; the equal
    leaves once and the others as one value per variant."""
    mask, shared, varying = [], [], []
    for column in zip(*(jax.tree_util.tree_leaves(t) for t in trees)):
        first = np.asarray(column[0])
        same = all(x is column[0] or np.array_equal(first, x) for x in column[1:])
        mask.append(same)
        if same:
            shared.append(first)
        else:
            varying.append(column)
    return tuple(mask), shared, varying


def _one_at_a_time(shard: bool) -> bool:
    """Whether a batch runs its variants through the single-run executable (one CPU
    device, or sharding off on a CPU) rather than one vmapped executable."""
    devices = jax.devices()
    return (not shard or len(devices) == 1) and devices[0].platform == "cpu"


def compile_ahead(first: JaxSimulation, n_steps: int, shard: bool = True
                  ) -> Future[float] | None:
    """Start compiling, in a background thread, the executable that a batch of variants of
    ``first`` runs its first chunk with, so that XLA compiles while the caller builds the
    other variants; pass the future to :class:`JaxBatch`. None where the batch is
    vmapped (that executable takes every variant's arguments). The result is the
    seconds spent compiling; a batch whose arguments turn out to differ in shape (spike
    trains of other lengths) compiles its own."""
    if not _one_at_a_time(shard):
        return None
    length = min(first.chunk_steps, n_steps)
    # tracing and lowering hold the GIL: they run here, before the variants are built,
    # and only XLA's compile (which lets go of it) in the background; built meanwhile,
    # the variants slowed the tracing (32 CUBA 4k variants: compile 0.56 s in the sweep
    # against 0.45 alone)
    with jax.enable_x64(first.dtype == "float64"):
        args = (first._params, first.initial_state(), first._chunk_data(0, length))
        started = _start_executable(first._config(length), args, disk=first.disk_cache)
    pool = ThreadPoolExecutor(1)
    future = pool.submit(lambda: _compile_lowered(*started)[1])
    pool.shutdown(wait=False)  # the thread ends with the compile
    return future


class JaxBatch:
    """B simulations of one structure, run by one executable per chunk: on accelerators
    and sharded batches the chunk function ``vmap``-ed over the variants, on a single CPU
    device the single-run executable called for one variant after another (the same
    executable as ``simulate``'s, shared with it in memory and on disk).

    Parameters equal in every variant (e.g. connectivity tables when only weights vary)
    are passed once, not stacked.

    The batch axis is sharded over all of ``jax.devices()`` with a named sharding when
    ``shard`` is true and there is more than one device (the batch is padded with copies
    of the last variant up to a multiple of the device count; the copies are dropped).

    Args:
        sims: the variants, built by the JAX backend from plans of one structure.
        shard: split the batch over the available devices.
        ahead: the executable of the first chunk being compiled (:func:`compile_ahead`).
    """

    def __init__(self, sims: Sequence[JaxSimulation], shard: bool = True,
                 ahead: Future[float] | None = None) -> None:
        if not sims:
            raise SpecError("sweep(): no variants to run.")
        self.sims = list(sims)
        self.timings: dict[str, float] = {"compile": 0.0, "run": 0.0}
        self._check()
        devices = jax.devices()
        self.mesh = Mesh(np.array(devices), ("batch",)) if shard and len(devices) > 1 \
            else None
        self.mode = "calls" if _one_at_a_time(shard) else "vmap"
        self._ahead = ahead
        params = [s._params for s in self.sims]
        shared, self._shared, self._varying = _split(params)
        self.sweep = _Sweep(shared, jax.tree_util.tree_structure(params[0]))
        self._shared_device: list[Any] | None = None
        self._stacked: list[np.ndarray] | None = None

    def _check(self) -> None:
        first = self.sims[0]
        for k, sim in enumerate(self.sims[1:], 1):
            if sim._config(1) != first._config(1):
                raise SpecError(f"sweep(): variant {k} has a different structure from variant "
                                f"0 (sizes, methods, monitors, delays or buffer widths "
                                f"differ); a sweep varies values only.")
            a = jax.tree_util.tree_structure(sim._params)
            b = jax.tree_util.tree_structure(first._params)
            shapes_a = [np.shape(x) for x in jax.tree_util.tree_leaves(sim._params)]
            shapes_b = [np.shape(x) for x in jax.tree_util.tree_leaves(first._params)]
            if a != b or shapes_a != shapes_b:
                raise SpecError(f"sweep(): variant {k} has parameters of other shapes than "
                                f"variant 0 (e.g. a parameter uniform in one and per-neuron in "
                                f"the other); a sweep varies values only.")

    def _place(self, tree: Any, n_real: int) -> Any:
        """The arguments of a chunk: the shared parameters (replicated), then the batched
        ``tree`` padded to the device count and sharded, when sharding."""
        if self.mesh is None:
            return (self._shared, *tree)
        n_dev = self.mesh.devices.size
        pad = (-n_real) % n_dev
        if pad:
            tree = jax.tree_util.tree_map(
                lambda a: np.concatenate([a, np.repeat(np.asarray(a)[-1:], pad, axis=0)]), tree)
        shared = jax.device_put(self._shared, NamedSharding(self.mesh, PartitionSpec()))
        return (shared, *jax.device_put(tree, NamedSharding(self.mesh, PartitionSpec("batch"))))

    def run(self, n_steps: int, progress: Callable[[int, int], None] | None = None
            ) -> list[Recording]:
        """Advance every variant ``n_steps`` steps from its initial state."""
        with jax.enable_x64(self.sims[0].dtype == "float64"):
            return self._run(n_steps, progress)

    def _run(self, n_steps: int, progress: Callable[[int, int], None] | None
             ) -> list[Recording]:
        sims = self.sims
        states = [s.initial_state() for s in sims]
        recs = [Recording.empty(s.plan, 0) for s in sims]
        chunk = sims[0].chunk_steps
        done = 0
        while done < n_steps:
            length = min(chunk, n_steps - done)
            t0 = done
            datas = _pad_trains([s._chunk_data(t0, length) for s in sims])
            new_states, outs, finite, parts = self._chunk(states, datas, length, t0)
            grown = [s._overflowed(o, t0) for s, o in zip(sims, outs)]
            if any(grown):  # one buffer and record size for all variants: the largest,
                # then re-run
                cap = max(s._capacity for s in sims)
                per_step = max(s._per_step for s in sims)
                for s in sims:
                    s._capacity, s._per_step = cap, per_step
                states = [s._fit_history(st) for s, st in zip(sims, states)]
                continue
            bad = np.flatnonzero(~finite)
            if bad.size:  # every variant's end state is checked
                raise SimulationError(
                    f"sweep(): a state of variant {bad[0]} became NaN or infinite between "
                    f"steps {t0} and {t0 + length}; run that variant alone with simulate() "
                    f"to locate the place and time.")
            for s, r, o, part in zip(sims, recs, outs, parts):
                if part is None:
                    s._collect(r, o, t0, length)
                else:
                    r.extend(part)
            states = new_states
            done += length
            if progress is not None:
                progress(done, n_steps)
        return recs

    def _chunk(self, states: list[Any], datas: list[Any], length: int, t0: int
               ) -> tuple[list[Any], list[Any], np.ndarray, list[Recording | None]]:
        """Run one chunk of every variant: the new states, the outputs (on the host),
        whether each end state is finite, and each variant's recording of the chunk when
        it was collected already (else None)."""
        sims, B = self.sims, len(self.sims)
        cfg = sims[0]._config(length)
        if self._ahead is not None:  # compiled while the variants were being built
            self.timings["compile"] += self._ahead.result()
            self._ahead = None
        if self.mode == "calls":
            # each variant through the single-run executable, as many at once as there are
            # cores (no vmap: a vmapped step runs its spike loops to the longest variant's
            # count, selecting whole buffers each pass; 32 CUBA 4k variants: 6.8 s against
            # 2.3 s run one after another)
            params = [self._variant_params(b) for b in range(B)]
            fn, seconds = _executable(cfg, (params[0], states[0], datas[0]),
                                      disk=sims[0].disk_cache)
            self.timings["compile"] += seconds
            tic = time.perf_counter()
            x64 = sims[0].dtype == "float64"

            def call(b: int) -> tuple[Any, Any, bool, Recording | None]:
                """Variant b's chunk, its finiteness and, unless its spike buffer
                overflowed, its recording (collected here, while other threads run)."""
                with jax.enable_x64(x64):  # the mode is per thread
                    new, out = jax.device_get(fn(params[b], states[b], datas[b]))
                ok = bool(_finite(new, out)[0])
                part = None
                if ok and not sims[b]._spilled(out):
                    part = Recording.empty(sims[b].plan, t0)
                    sims[b]._collect(part, out, t0, length)
                return new, out, ok, part

            # XLA lets go of the GIL; one thread more than cores, so that a core runs a
            # variant while a thread dispatches or collects in Python (about 5 ms a call;
            # 32 CUBA 4k variants on 2 cores: runs 0.725 against 0.760 s, mean of 9
            # alternating pairs)
            with ThreadPoolExecutor(min(B, _cores() + 1)) as pool:
                results = list(pool.map(call, range(B)))
            self.timings["run"] += time.perf_counter() - tic
            return ([r[0] for r in results], [r[1] for r in results],
                    np.array([r[2] for r in results]), [r[3] for r in results])
        if self._stacked is None:  # the varying parameters along a new leading axis, once
            self._stacked = [np.stack([np.asarray(x) for x in col]) for col in self._varying]
        args = self._place((self._stacked, _stack(states), _stack(datas)), B)
        fn, seconds = _executable(cfg, args, batched=self.sweep, disk=sims[0].disk_cache)
        self.timings["compile"] += seconds
        tic = time.perf_counter()
        new, out = jax.device_get(fn(*args))
        self.timings["run"] += time.perf_counter() - tic
        finite = _finite(new, out, batched=True)[:B]
        unstack = [jax.tree_util.tree_map(lambda a, b=b: a[b], (new, out)) for b in range(B)]
        return [u[0] for u in unstack], [u[1] for u in unstack], finite, [None] * B

    def _variant_params(self, b: int) -> Any:
        """The parameters of variant ``b``, its shared leaves on the device once."""
        if self._shared_device is None:
            self._shared_device = jax.device_put(self._shared)
        return self.sweep.merge(self._shared_device, [v[b] for v in self._varying])
