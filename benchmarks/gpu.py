"""The JAX backend on an accelerator: CUBA from 4k to 1M neurons, the two delivery modes,
batched sweeps, and Brian2 C++ standalone on the same machine's CPU for the ratio.

    python benchmarks/gpu.py [--sizes 4k,16k,64k,1m] [--sweep 32] [--brian2 4k,64k]
                             [--json gpu.json]

Runs in one process on ``jax.devices()[0]`` (a GPU where there is one; the script also
runs on a CPU). For each CUBA size: a cold run of ``--duration`` seconds (lowering,
building, tracing and compiling counted; no disk cache) and a warm one that reuses the
compiled chunk (its scan time is the simulation time), with the device's
peak memory. 64k also runs with ``delivery="loop"`` (one spike at a time, the CPU
default) to show what the vectorised delivery buys. A sweep runs ``--sweep`` CUBA 4k
variants (exc weights) for 1 s as one vmapped scan. Brian2 runs the named sizes for
the same duration (compile and simulation, single-threaded as the suite runs it).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))

SIZES = {"4k": 4_000, "16k": 16_000, "64k": 64_000, "1m": 1_000_000}


def device_peak_mib() -> float | None:
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    peak = stats.get("peak_bytes_in_use")
    return None if peak is None else peak / 2**20


def cuba_case(n: int, duration: float, delivery: str = "auto") -> dict[str, Any]:
    """``duration`` s of CUBA with ``n`` neurons, cold, then warm."""
    import cuba

    import spikeplast as sp

    net = cuba.build(n=n)
    tic = time.perf_counter()
    cold = sp.simulate(net, duration * sp.second, compile_cache=False, delivery=delivery)
    cold_wall = time.perf_counter() - tic
    tic = time.perf_counter()
    warm = sp.simulate(net, duration * sp.second, compile_cache=False, delivery=delivery)
    warm_wall = time.perf_counter() - tic
    t = warm.metadata["timings"]
    spikes = sum(len(s) for s in warm.spikes.values())
    return {"neurons": n, "delivery": delivery, "duration_s": duration,
            "cold_total_s": cold_wall, "cold_timings": cold.metadata["timings"],
            "warm_total_s": warm_wall, "sim_s": t["run"],
            "sim_s_per_bio_s": t["run"] / duration,
            "us_per_step": 1e6 * t["run"] / warm.metadata["n_steps"],
            "spikes": spikes, "rate_hz": spikes / n / duration,
            "device_peak_mib": device_peak_mib()}


def sweep_case(b: int, n: int) -> dict[str, Any]:
    """``b`` variants of CUBA ``n`` for 1 s as one batch, cold, then warm."""
    import cuba
    import numpy as np

    import spikeplast as sp

    weights = list(np.linspace(1.2, 2.0, b) * sp.mV)
    out: dict[str, Any] = {"variants": b, "neurons": n}
    for label in ("cold", "warm"):
        tic = time.perf_counter()
        res = sp.sweep(cuba.build(n=n), {"exc_exc.weight": weights,
                                         "exc_inh.weight": weights},
                       1 * sp.second, compile_cache=False)
        out[f"{label}_s"] = time.perf_counter() - tic
        out[f"{label}_timings"] = res[0].metadata["timings"]
    out["rates_hz"] = [r.spikes["exc"].mean_rate(1.0) for r in res]
    out["device_peak_mib"] = device_peak_mib()
    return out


def brian2_case(n: int, duration: float) -> dict[str, Any]:
    import cuba

    import spikeplast as sp

    with tempfile.TemporaryDirectory() as cache:
        net = cuba.build(n=n)
        tic = time.perf_counter()
        res = sp.simulate(net, duration * sp.second, backend="brian2", cache_dir=cache)
        cold = time.perf_counter() - tic
        tic = time.perf_counter()
        res = sp.simulate(net, duration * sp.second, backend="brian2", cache_dir=cache)
        warm = time.perf_counter() - tic
    t = res.metadata["timings"]
    spikes = sum(len(s) for s in res.spikes.values())
    return {"neurons": n, "duration_s": duration, "cold_total_s": cold,
            "warm_total_s": warm, "sim_s": t["run"], "sim_s_per_bio_s": t["run"] / duration,
            "spikes": spikes, "rate_hz": spikes / n / duration}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="4k,16k,64k,1m")
    ap.add_argument("--duration", type=float, default=1.0, help="simulated seconds (warm)")
    ap.add_argument("--loop", default="64k", help="sizes also run with delivery='loop'")
    ap.add_argument("--sweep", type=int, default=32, help="variants (0: no sweep)")
    ap.add_argument("--sweep-sizes", default="4k,64k")
    ap.add_argument("--brian2", default="4k,64k", help="sizes on Brian2 ('' for none)")
    ap.add_argument("--json", default="gpu.json")
    args = ap.parse_args()

    import jax

    tic = time.perf_counter()
    dev = jax.devices()[0]
    out: dict[str, Any] = {"device": f"{dev.platform}: {dev.device_kind}",
                           "jax": jax.__version__, "host": platform.processor(),
                           "cuba": [], "loop": [], "sweep": [], "brian2": []}

    def emit(key: str, row: dict[str, Any]) -> None:
        out[key].append(row)
        print(key, json.dumps(row), flush=True)
        Path(args.json).write_text(json.dumps(out, indent=1))

    for s in filter(None, args.sizes.split(",")):
        emit("cuba", cuba_case(SIZES[s], args.duration))
    for s in filter(None, args.loop.split(",")):
        emit("loop", cuba_case(SIZES[s], min(args.duration, 0.2), delivery="loop"))
    if args.sweep:
        for s in filter(None, args.sweep_sizes.split(",")):
            emit("sweep", sweep_case(args.sweep, SIZES[s]))
    for s in filter(None, args.brian2.split(",")):
        emit("brian2", brian2_case(SIZES[s], args.duration))
    out["wall_s"] = time.perf_counter() - tic
    Path(args.json).write_text(json.dumps(out, indent=1))
    print(f"done in {out['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
