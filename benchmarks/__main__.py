"""The benchmark suite: every case on JAX and on Brian2 C++ standalone, in one invocation.

    python -m benchmarks [--quick] [--json bench.json] [--cases cuba-4k,coba-4k]
                         [--no-brian2] [--all-cores]

Cases (``benchmarks/cases.py``): CUBA and COBA at N = 4k, 16k, 64k (in-degree 80), AdEx
and Hodgkin-Huxley (COBAHH) E/I networks of 4k (equation models),
Song–Abbott STDP, and each rate rule. Every measurement runs in a fresh Python process,
so import, lowering, tracing and compiling are real:

* Each backend runs every case twice: cold, with an empty cache (JAX: traces and
  compiles its chunk function; Brian2: generates and compiles its C++ project), and warm,
  the same spec again in a new process (JAX loads the compiled executable, Brian2 reruns
  its binary).
* JAX: simulation time (the scan alone, warm run), jit time (cold run), time to results
  cold and warm (process start to ``Results``), peak memory (the process's peak RSS) and
  synaptic events per second of simulation time. JAX processes are pinned to one CPU
  core unless ``--all-cores``.
* Brian2: simulation time as the standalone binary measures it, compile time, time to
  results cold and warm, peak memory of the binary. The binary is single-threaded.
* The ratios JAX / Brian2 of simulation time and of time to results (cold and warm).
* Before the first case, one untimed process imports spikeplast, JAX and Brian2 and
  compiles a small JAX function, so that the first case does not also time the operating
  system reading their libraries from disk (CUBA 4k cold, after dropping the file cache:
  2.23 s without it, 1.89 after imports alone, 1.53-1.66 after this; 1.30-1.35 s when
  nothing was dropped); every case then starts from a warm file cache.

``--quick`` keeps the 4k networks, Song–Abbott for 10 s and three rate rules on 20 000
patterns (about 80 s here); the full mode (about 3 minutes) prints its own run time.
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
# models/ first: benchmarks/ has scripts named like the models (song_abbott.py)
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


def warm_file_cache() -> None:
    """Import what every case imports and compile one small JAX function, once, in an
    untimed process (see the docstring)."""
    code = ("import jax, numpy, spikeplast, spikeplast.backends.jax._backend, "
            "spikeplast.backends.brian2._backend, brian2; "
            "jax.jit(lambda x: (x * 2.0 + 1.0).sum())(numpy.ones(3))")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def run_case(case: str, quick: bool, brian2: bool, core: int | None) -> dict[str, Any]:
    """A case cold (empty build / compile caches) and warm (the same caches again) on each
    backend."""
    row: dict[str, Any] = {"case": case, **describe(case)}
    runs: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for backend in ("jax", "brian2") if brian2 else ("jax",):
        cache = tempfile.mkdtemp(prefix=f"spikeplast-bench-{backend}-")
        try:
            opts = {"cache_dir": cache}
            pin = core if backend == "jax" else None
            runs[backend] = (measure(case, backend, quick, opts, pin),
                             measure(case, backend, quick, opts, pin))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    cold, warm = runs["jax"]
    row["jax"] = {"sim_s": warm["run"], "jit_s": cold["compile"],
                  "cold_total_s": cold["total"], "warm_total_s": warm["total"],
                  "peak_mib": warm["peak_mib"], "events_per_s": warm["events"] / warm["run"],
                  "spikes": warm["spikes"], "duration_s": warm["duration"]}
    if brian2:
        b_cold, b_warm = runs["brian2"]
        row["brian2"] = {"sim_s": b_warm["run"], "compile_s": b_cold["compile"],
                         "cold_total_s": b_cold["total"], "warm_total_s": b_warm["total"],
                         "peak_mib": max(b_warm["peak_mib"], b_warm["child_peak_mib"]),
                         "events_per_s": b_warm["events"] / b_warm["run"],
                         "spikes": b_warm["spikes"]}
        row["ratio"] = {"sim": warm["run"] / b_warm["run"],
                        "time_to_results_warm": warm["total"] / b_warm["total"],
                        "time_to_results_cold": cold["total"] / b_cold["total"]}
    return row


def table(rows: list[dict[str, Any]]) -> str:
    """The suite's numbers as a text table."""
    head = (f"{'case':12s} {'jax sim':>8s} {'jit':>5s} {'cold':>6s} {'warm':>6s} {'MiB':>5s} "
            f"{'events/s':>8s} | {'b2 sim':>7s} {'compile':>7s} {'cold':>6s} {'warm':>6s} "
            f"{'MiB':>5s} | {'sim':>5s} {'cold':>5s} {'warm':>5s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        j = r["jax"]
        line = (f"{r['case']:12s} {j['sim_s']:8.3f} {j['jit_s']:5.2f} {j['cold_total_s']:6.2f} "
                f"{j['warm_total_s']:6.2f} {j['peak_mib']:5.0f} {j['events_per_s']:8.2g}")
        if "brian2" in r:
            b, q = r["brian2"], r["ratio"]
            line += (f" | {b['sim_s']:7.3f} {b['compile_s']:7.1f} {b['cold_total_s']:6.2f} "
                     f"{b['warm_total_s']:6.2f} {b['peak_mib']:5.0f} | {q['sim']:5.2f} "
                     f"{q['time_to_results_cold']:5.2f} {q['time_to_results_warm']:5.2f}")
        lines.append(line)
    lines.append("seconds. sim: the simulation loop alone (warm run); cold / warm: process start "
                 "to Results with empty / filled compile caches; MiB: peak memory; last three "
                 "columns: JAX / Brian2.")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="4k networks, short runs (~80 s)")
    ap.add_argument("--cases", help="comma-separated case names (default: all of the mode)")
    ap.add_argument("--json", default="benchmarks.json", help="write the numbers here")
    ap.add_argument("--no-brian2", action="store_true", help="JAX only")
    ap.add_argument("--all-cores", action="store_true",
                    help="let JAX use every core (default: pinned to one)")
    args = ap.parse_args()
    names = args.cases.split(",") if args.cases else cases(args.quick)
    core = None if args.all_cores else min(os.sched_getaffinity(0))
    warm_file_cache()
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
