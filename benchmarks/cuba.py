"""CUBA 4000 for 1 s on the JAX backend: jit, simulation and total time to results.

Each measurement runs in a fresh Python process so that import, lowering, build
and jit costs are real. Brian2 C++ standalone runs on the same machine in the
same invocation for the ratio (its project cached from an earlier run unless
--cold is given).

    python benchmarks/cuba.py [--repeats 3] [--no-brian2] [--cold]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {models!r})
import spikeplast as sp
import cuba
t_import = time.perf_counter() - t0
opts = json.loads({opts!r})
res = sp.simulate(cuba.build(), 1 * sp.second, backend={backend!r}, **opts)
t = res.metadata["timings"]
print(json.dumps({{"import": t_import, "lower": t["lower"], "build": t.get("build", 0),
                  "compile": t["compile"], "run": t["run"], "simulate_total": t["total"],
                  "process_total": time.perf_counter() - t0,
                  "rate_exc": res.spikes["exc"].mean_rate(1.0)}}))
"""


def measure(backend: str, opts: dict) -> dict:
    code = CHILD.format(models=str(ROOT / "models"), opts=json.dumps(opts), backend=backend)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-brian2", action="store_true")
    ap.add_argument("--cold", action="store_true", help="Brian2 in a fresh cache directory")
    ap.add_argument("--json", help="also write the numbers to this file")
    args = ap.parse_args()
    rows = {"jax float32": ("jax", {}), "jax float64": ("jax", {"dtype": "float64"})}
    if not args.no_brian2:
        opts = {"cache_dir": tempfile.mkdtemp()} if args.cold else {}
        rows["brian2 standalone"] = ("brian2", opts)
    results = {}
    for label, (backend, opts) in rows.items():
        runs = [measure(backend, opts) for _ in range(args.repeats)]
        results[label] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        results[label]["first_compile"] = runs[0]["compile"]
    keys = ("import", "build", "compile", "run", "simulate_total", "process_total", "rate_exc")
    print(f"{'CUBA 4000, 1 s (median of ' + str(args.repeats) + ')':<34}"
          + "".join(f"{k:>15}" for k in keys))
    for label, r in results.items():
        print(f"{label:<34}" + "".join(f"{r[k]:>15.3f}" for k in keys))
    if "brian2 standalone" in results:
        b = results["brian2 standalone"]["run"]
        for label in ("jax float32", "jax float64"):
            print(f"simulation time {label} / brian2: {results[label]['run'] / b:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
