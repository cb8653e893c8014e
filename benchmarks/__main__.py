"""The benchmark suite: every case on JAX and on Brian2 C++ standalone, in one invocation.

    python -m benchmarks [--quick] [--json bench.json] [--cases cuba-4k,coba-4k]
                         [--no-brian2] [--all-cores]

Cases (``benchmarks/cases.py``): CUBA and COBA at N = 4k, 16k, 64k (in-degree 80),
Song–Abbott STDP, and each rate rule. Every measurement runs in a fresh Python process,
so import, lowering, tracing and compiling are real:

* JAX: simulation time (the scan alone), jit time, total time to results (process start
  to ``Results``), peak memory (the process's peak RSS) and synaptic events per second of
  simulation time. JAX processes are pinned to one CPU core unless ``--all-cores``.
* Brian2: a cold run in an empty build directory (compile time, simulation time as the
  standalone binary measures it) and a warm rerun of the same spec (the cached binary:
  total time to results, peak memory of the binary). The binary is single-threaded.
* The ratios JAX / Brian2 of simulation time and of time to results (against the warm
  rerun; Brian2's cold compile is listed apart).

``--quick`` keeps the 4k networks, Song–Abbott for 10 s and the rate rules on 20 000
patterns (under 2 minutes here); the full mode prints its own run time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# models/ first: benchmarks/ has scripts named like the models (cuba.py)
sys.path[:0] = [str(ROOT / "models"), str(ROOT / "benchmarks")]

from cases import cases, describe  # noqa: E402

CHILD = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
core = {core!r}
if core is not None:
    os.sched_setaffinity(0, {{core}})
sys.path[:0] = {paths!r}
import spikeplast as sp
import cases
t_import = time.perf_counter() - t0
net, duration = cases.build({case!r}, {quick!r})
res = sp.simulate(net, duration * sp.second, backend={backend!r}, **{opts!r})
total = time.perf_counter() - t0
t = res.metadata["timings"]
events = cases.synaptic_events(net, res, res.metadata["n_steps"])
kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({{"import": t_import, "compile": t.get("compile", 0.0), "run": t["run"],
                  "total": total, "events": events, "duration": duration,
                  "peak_mib": kib / 1024, "child_peak_mib": child_kib / 1024,
                  "spikes": sum(len(s) for s in res.spikes.values())}}))
"""


def measure(case: str, backend: str, quick: bool, opts: dict[str, Any],
            core: int | None) -> dict[str, Any]:
    """One run of ``case`` in a fresh process; its numbers."""
    code = CHILD.format(core=core, paths=sys.path[:2],
                        case=case, quick=quick, backend=backend, opts=opts)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark {case} on {backend} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_case(case: str, quick: bool, brian2: bool, core: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {"case": case, **describe(case)}
    jax = measure(case, "jax", quick, {}, core)
    row["jax"] = {"sim_s": jax["run"], "jit_s": jax["compile"], "total_s": jax["total"],
                  "peak_mib": jax["peak_mib"], "events_per_s": jax["events"] / jax["run"],
                  "spikes": jax["spikes"], "duration_s": jax["duration"]}
    if brian2:
        build_dir = tempfile.mkdtemp(prefix="spikeplast-bench-")
        try:
            cold = measure(case, "brian2", quick, {"cache_dir": build_dir}, None)
            warm = measure(case, "brian2", quick, {"cache_dir": build_dir}, None)
        finally:
            shutil.rmtree(build_dir, ignore_errors=True)
        row["brian2"] = {"sim_s": warm["run"], "compile_s": cold["compile"],
                         "cold_total_s": cold["total"], "warm_total_s": warm["total"],
                         "peak_mib": max(warm["peak_mib"], warm["child_peak_mib"]),
                         "events_per_s": warm["events"] / warm["run"],
                         "spikes": warm["spikes"]}
        row["ratio"] = {"sim": jax["run"] / warm["run"],
                        "time_to_results_warm": jax["total"] / warm["total"],
                        "time_to_results_cold": jax["total"] / cold["total"]}
    return row


def table(rows: list[dict[str, Any]]) -> str:
    head = (f"{'case':14s} {'jax sim':>8s} {'jit':>6s} {'total':>6s} {'MiB':>6s} "
            f"{'events/s':>9s} | {'b2 sim':>7s} {'compile':>7s} {'warm':>6s} {'MiB':>6s} | "
            f"{'sim ratio':>9s} {'ttr ratio':>9s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        j = r["jax"]
        line = (f"{r['case']:14s} {j['sim_s']:8.3f} {j['jit_s']:6.2f} {j['total_s']:6.2f} "
                f"{j['peak_mib']:6.0f} {j['events_per_s']:9.3g}")
        if "brian2" in r:
            b = r["brian2"]
            line += (f" | {b['sim_s']:7.3f} {b['compile_s']:7.1f} {b['warm_total_s']:6.2f} "
                     f"{b['peak_mib']:6.0f} | {r['ratio']['sim']:9.2f} "
                     f"{r['ratio']['time_to_results_warm']:9.2f}")
        lines.append(line)
    lines.append("seconds; sim = simulation loop only; total/warm = process start to Results; "
                 "ratios = JAX / Brian2 (warm)")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="4k networks, short runs (< 2 min)")
    ap.add_argument("--cases", help="comma-separated case names (default: all of the mode)")
    ap.add_argument("--json", default="benchmarks.json", help="write the numbers here")
    ap.add_argument("--no-brian2", action="store_true", help="JAX only")
    ap.add_argument("--all-cores", action="store_true",
                    help="let JAX use every core (default: pinned to one)")
    args = ap.parse_args()
    names = args.cases.split(",") if args.cases else cases(args.quick)
    core = None if args.all_cores else min(os.sched_getaffinity(0))
    tic = time.perf_counter()
    rows = []
    for name in names:
        rows.append(run_case(name, args.quick, not args.no_brian2, core))
        print(f"  {name}: done ({time.perf_counter() - tic:.0f} s)", file=sys.stderr)
    wall = time.perf_counter() - tic
    print(table(rows))
    print(f"suite run time: {wall:.0f} s ({'quick' if args.quick else 'full'} mode)")
    import jax

    meta = {"mode": "quick" if args.quick else "full", "suite_seconds": wall,
            "jax_pinned_core": core, "machine": platform.platform(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "jax": jax.__version__, "jax_devices": [str(d) for d in jax.devices()]}
    tmp = Path(args.json).with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"meta": meta, "cases": rows}, indent=1))
    os.replace(tmp, args.json)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
