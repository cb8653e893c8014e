"""Many variants of one network structure as one vmapped, optionally sharded, scan."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ...errors import SimulationError, SpecError
from ...results import Recording
from ._backend import JaxSimulation, _executable, _finite

__all__ = ["JaxBatch"]


def _pad_trains(datas: list[dict]) -> list[dict]:
    """Spike-train chunks of different lengths padded to the longest (same shapes)."""
    for name in datas[0]["trains"]:
        size = max(d["trains"][name]["idx"].size for d in datas)
        for d in datas:
            idx = d["trains"][name]["idx"]
            d["trains"][name]["idx"] = np.pad(idx, (0, size - idx.size))
    return datas


def _stack(trees: Sequence[Any]) -> Any:
    return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *trees)


class JaxBatch:
    """B simulations of one structure, run by one executable per chunk: ``vmap`` of the
    chunk function on accelerators and sharded batches, ``lax.map`` (the variants one
    after another) on a single CPU device.

    The batch axis is sharded over all of ``jax.devices()`` with a named sharding when
    ``shard`` is true and there is more than one device (the batch is padded with copies
    of the last variant up to a multiple of the device count; the copies are dropped).

    Args:
        sims: the variants, built by the JAX backend from plans of one structure.
        shard: split the batch over the available devices.
    """

    def __init__(self, sims: Sequence[JaxSimulation], shard: bool = True) -> None:
        if not sims:
            raise SpecError("sweep(): no variants to run.")
        self.sims = list(sims)
        self.timings: dict[str, float] = {"compile": 0.0, "run": 0.0}
        self._check()
        devices = jax.devices()
        self.mesh = Mesh(np.array(devices), ("batch",)) if shard and len(devices) > 1 \
            else None
        # on one CPU device the variants run one after another inside one executable: a
        # vmapped step runs its spike loops to the longest variant's count, selecting
        # whole buffers each pass (32 CUBA 4k variants: 6.8 s against 2.3 s)
        self.mode = "map" if self.mesh is None and devices[0].platform == "cpu" else True

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
        """Pad the batch to the device count and shard it, when sharding."""
        if self.mesh is None:
            return tree
        n_dev = self.mesh.devices.size
        pad = (-n_real) % n_dev
        if pad:
            tree = jax.tree_util.tree_map(
                lambda a: np.concatenate([a, np.repeat(np.asarray(a)[-1:], pad, axis=0)]), tree)
        sharding = NamedSharding(self.mesh, PartitionSpec("batch"))
        return jax.device_put(tree, sharding)

    def run(self, n_steps: int, progress: Callable[[int, int], None] | None = None
            ) -> list[Recording]:
        """Advance every variant ``n_steps`` steps from its initial state."""
        with jax.enable_x64(self.sims[0].dtype == "float64"):
            return self._run(n_steps, progress)

    def _run(self, n_steps: int, progress: Callable[[int, int], None] | None
             ) -> list[Recording]:
        sims, B = self.sims, len(self.sims)
        states = _stack([s.initial_state() for s in sims])
        recs = [Recording.empty(s.plan, 0) for s in sims]
        chunk = sims[0].chunk_steps
        done = 0
        while done < n_steps:
            length = min(chunk, n_steps - done)
            t0 = done
            datas = _pad_trains([s._chunk_data(t0, length) for s in sims])
            args = self._place((_stack([s._params for s in sims]), states, _stack(datas)), B)
            fn, seconds = _executable(sims[0]._config(length), args, batched=self.mode,
                                      disk=sims[0].disk_cache)
            self.timings["compile"] += seconds
            tic = time.perf_counter()
            new_states, out = fn(*args)
            out = jax.device_get(out)
            self.timings["run"] += time.perf_counter() - tic
            outs = [jax.tree_util.tree_map(lambda a, b=b: a[b], out) for b in range(B)]
            grown = [s._overflowed(o, t0) for s, o in zip(sims, outs)]
            if any(grown):  # one buffer size for all variants: the largest, then re-run
                cap = max(s._capacity for s in sims)
                for s in sims:
                    s._capacity = cap
                states = _stack([s._fit_history(jax.tree_util.tree_map(
                    lambda a, b=b: np.asarray(a)[b], states)) for b, s in enumerate(sims)])
                continue
            bad = np.flatnonzero(~_finite(new_states, out, batched=True)[:B])
            if bad.size:  # every variant's end state is checked
                raise SimulationError(
                    f"sweep(): a state of variant {bad[0]} became NaN or infinite between "
                    f"steps {t0} and {t0 + length}; run that variant alone with simulate() "
                    f"to locate the place and time.")
            for s, r, o in zip(sims, recs, outs):
                s._collect(r, o, t0, length)
            states = jax.tree_util.tree_map(lambda a: np.asarray(a)[:B], new_states)
            done += length
            if progress is not None:
                progress(done, n_steps)
        return recs
