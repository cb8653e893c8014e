"""A sweep of B CUBA 4k variants for 1 s: one vmapped JAX scan against Brian2 run_args.

    python benchmarks/sweep.py [--variants 32] [--json out.json]

Each side runs in a fresh process with an empty cache, so its compile is counted:
JAX traces and compiles one chunk function for all variants; Brian2 builds one C++
project and runs its binary once per variant with new weights through ``run_args``.
Times are wall clock from the sweep call to the list of results (imports excluded).
JAX runs twice: pinned to one core (as Brian2's runs use one), and on every core of the
machine (a CPU sweep runs as many variants at once as there are cores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, {models!r})
import numpy as np, spikeplast as sp, cuba
if {backend!r} == "jax":
    import jax
    if {one_core!r}:
        os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})
weights = np.linspace(1.2, 2.0, {b}) * sp.mV
tic = time.perf_counter()
res = sp.sweep(cuba.build(), {{"exc_exc.weight": list(weights), "exc_inh.weight": list(weights)}},
               1 * sp.second, backend={backend!r}, cache_dir={cache!r})
wall = time.perf_counter() - tic
print(json.dumps({{"wall_s": wall, "rates": [r.spikes["exc"].mean_rate(1.0) for r in res],
                  "first": [r.spikes["exc"].indices[:50].tolist() for r in res[:3]],
                  "timings": res[0].metadata["timings"]}}))
"""


def run(backend: str, b: int, one_core: bool = True) -> dict:
    cache = tempfile.mkdtemp(prefix=f"spikeplast-sweep-{backend}-")
    try:
        code = CHILD.format(models=str(ROOT / "models"), backend=backend, b=b, cache=cache,
                            one_core=one_core)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variants", type=int, default=32)
    ap.add_argument("--json")
    args = ap.parse_args()
    jax = run("jax", args.variants)
    jax_all = run("jax", args.variants, one_core=False)
    brian2 = run("brian2", args.variants)
    agree = sum(a == b for a, b in zip(jax["first"], brian2["first"]))
    out = {"variants": args.variants, "jax_s": jax["wall_s"], "brian2_s": brian2["wall_s"],
           "speedup": brian2["wall_s"] / jax["wall_s"], "jax_timings": jax["timings"],
           "brian2_first_timings": brian2["timings"],
           "jax_all_cores_s": jax_all["wall_s"], "cores": len(os.sched_getaffinity(0)),
           "speedup_all_cores": brian2["wall_s"] / jax_all["wall_s"],
           "max_rate_difference_hz": max(abs(a - b) for a, b in zip(jax["rates"],
                                                                     brian2["rates"])),
           "first_spikes_identical_in": f"{agree} of {len(jax['first'])}"}
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
