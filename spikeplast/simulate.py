"""The one entry point: ``simulate(net, duration, backend=...)``, and ``build`` for reruns."""

from __future__ import annotations

import dataclasses
import os
import platform
import time
from collections.abc import Callable
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np

from ._units import as_si
from .backends import get_backend
from .errors import SimulationError, SpecError
from .lowering import Plan, lower
from .results import Results
from .spec import Network
from .state import SimState, check_snapshot, snapshot_step

__all__ = ["simulate", "build", "n_steps_for", "versions"]


def n_steps_for(duration: Any, dt: float) -> int:
    """The number of steps in ``duration`` (a time quantity, a multiple of dt)."""
    seconds = as_si(duration, where="simulate()", field="duration", dim="time")
    steps = seconds / dt
    if seconds <= 0 or abs(steps - round(steps)) > 1e-6 * max(1.0, steps):
        raise SpecError(f"simulate(): duration = {duration} is invalid; it must be > 0 and a "
                        f"multiple of dt = {dt:g} s.")
    return int(round(steps))


def physical_memory() -> int:
    """Bytes of physical memory of this machine (0 when unknown)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def recording_bytes(plan: Plan, n_steps: int) -> dict[str, int]:
    """Bytes the results of each state, weight and rate monitor will take (float64)."""
    out = {}
    for name, m in plan.state_monitors.items():
        records = -(-n_steps // m.every)
        out[f"StateMonitor '{name}'"] = 8 * records * len(m.variables) * m.indices.size
    for name, m in plan.weight_monitors.items():
        out[f"WeightMonitor '{name}'"] = 8 * -(-n_steps // m.every) * m.synapses.size
    for name in plan.rate_monitors:
        out[f"RateMonitor '{name}'"] = 16 * n_steps
    return out


def check_recording_size(plan: Plan, n_steps: int, limit: int | None) -> None:
    """Raise before running when the monitors would record more than ``limit`` bytes."""
    if limit is None:
        limit = physical_memory() // 2 or None
    if not limit:
        return
    sizes = recording_bytes(plan, n_steps)
    total = sum(sizes.values())
    if total > limit:
        worst = max(sizes, key=sizes.get)
        raise SimulationError(
            f"the monitors would record {total / 2**30:.2f} GiB over {n_steps} steps, more "
            f"than the {limit / 2**30:.2f} GiB allowed (max_record_bytes; default half the "
            f"memory); {worst} alone takes {sizes[worst] / 2**30:.2f} GiB — record fewer "
            f"neurons or synapses, a larger every, or a shorter run.")


def versions(backend: str) -> dict[str, str]:
    """Versions of the packages a result depends on."""
    out = {"python": platform.python_version()}
    for pkg in ("spikeplast", "numpy", "jax", "jaxlib", "brian2"):
        if pkg in ("jax", "jaxlib") and backend != "jax":
            continue
        try:
            out[pkg] = importlib_metadata.version(pkg)
        except importlib_metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def build(net_or_plan: Network | Plan, *, backend: str = "jax", **options: Any) -> Any:
    """Lower (if given a network) and build a simulation to run one or more times.

    The returned object has ``run(n_steps, state=None, progress=None)`` returning
    ``(state, Recording)``; building the same structure again with other values
    reuses the compiled code.
    """
    plan = lower(net_or_plan) if isinstance(net_or_plan, Network) else net_or_plan
    module = get_backend(backend)
    module.check(plan, options)
    return module.build(plan, **options)


def simulate(net: Network, duration: Any, *, backend: str = "jax", freeze_inputs: bool = False,
             progress: Callable[[int, int], None] | None = None,
             max_record_bytes: int | None = None, initial_state: SimState | None = None,
             **options: Any) -> Results:
    """Run a network for ``duration`` on a backend and return its :class:`Results`.

    Args:
        net: the network spec.
        duration: simulated time (a time quantity, a multiple of dt).
        backend: ``"jax"`` or ``"brian2"``.
        freeze_inputs: draw Poisson inputs once in lowering so every backend replays the
            same spikes.
        progress: called as ``progress(steps_done, n_steps)`` during long runs.
        max_record_bytes: refuse to start when the state, weight and rate monitors would
            record more than this (default: half the physical memory).
        initial_state: continue from this snapshot (``Results.final_state`` or
            :func:`~spikeplast.load_state`) of the same network, from either backend:
            the run covers steps ``initial_state.step`` to ``+ duration``, and so do its
            recordings.
        **options: backend options (JAX: ``dtype``, ``chunk_steps``, ``spike_capacity``,
            ``on_overflow``, ``on_nan`` — ``"raise"`` a SimulationError naming the place
            and time of the first NaN/Inf, or ``"stop"`` there and return what was
            recorded before; see each backend).
    """
    if not isinstance(net, Network):
        raise SpecError(f"simulate() needs a Network as its first argument; got "
                        f"{type(net).__name__}.")
    module = get_backend(backend)
    n_steps = n_steps_for(duration, net.dt)
    start = 0 if initial_state is None else snapshot_step(initial_state)
    tic = time.perf_counter()
    plan = lower(net, n_steps=start + n_steps, freeze_inputs=freeze_inputs)
    t_lower = time.perf_counter() - tic
    if initial_state is not None:
        check_snapshot(plan, initial_state)
    module.check(plan, options)
    check_recording_size(plan, n_steps, max_record_bytes)
    sim = module.build(plan, **options)
    final, recording = sim.run(n_steps, state=initial_state, progress=progress)
    timings = {"lower": t_lower, **sim.timings}
    timings["total"] = time.perf_counter() - tic
    meta = {
        "backend": backend,
        "backend_options": {k: v for k, v in options.items() if _jsonable(v)},
        "versions": versions(backend),
        "network": net.name,
        "seed": net.seed,
        "spec_hash": plan.spec_hash,
        "dt": net.dt,
        "duration": n_steps * net.dt,
        "n_steps": n_steps,
        "start_step": start,
        "freeze_inputs": freeze_inputs,
        "populations": {k: int(p.n) for k, p in plan.populations.items()},
        "timings": timings,
    }
    if getattr(recording, "stopped", None):
        stop = recording.stopped
        meta["stopped"] = {"step": stop["step"], "time": stop["step"] * net.dt,
                           "where": stop["where"], "reason": "non-finite value"}
        n_steps = stop["step"]
        meta["duration"] = n_steps * net.dt
    results = recording.results(n_steps, meta)
    if final is not None and not getattr(recording, "stopped", None):
        snap = final if isinstance(final, SimState) else sim.export_state(final)
        results = dataclasses.replace(results, final_state=snap)
    return results


def _jsonable(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool, type(None))) or isinstance(v, np.generic)
