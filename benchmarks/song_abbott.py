"""Song–Abbott STDP for 100 s: JAX simulation and jit time against Brian2 C++ standalone.

Both run in fresh processes in one invocation (Brian2 in an empty cache, so its
compile is real).

    python benchmarks/song_abbott.py [--duration 100]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
sys.path.insert(0, {models!r})
import numpy as np, spikeplast as sp, song_abbott
opts = json.loads({opts!r})
t0 = time.perf_counter()
res = sp.simulate(song_abbott.build(), {duration} * sp.second, backend={backend!r}, **opts)
w = res.weights["stdp"].values[-1] / 0.1e-9
t = res.metadata["timings"]
print(json.dumps({{"compile": t["compile"], "run": t["run"], "total": time.perf_counter() - t0,
                  "rate": res.spikes["neuron"].mean_rate(res.duration),
                  "low": float(np.mean(w < 0.1)), "high": float(np.mean(w > 0.9)),
                  "mean": float(w.mean())}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=float, default=100.0)
    args = ap.parse_args()
    rows = {"jax float32": ("jax", {}),
            "brian2 standalone": ("brian2", {"cache_dir": tempfile.mkdtemp()})}
    out = {}
    for label, (backend, opts) in rows.items():
        code = CHILD.format(models=str(ROOT / "models"), opts=json.dumps(opts),
                            duration=args.duration, backend=backend)
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
        out[label] = json.loads(p.stdout.strip().splitlines()[-1])
    keys = ("compile", "run", "total", "rate", "low", "high", "mean")
    print(f"{'Song-Abbott ' + str(args.duration) + ' s':<22}" + "".join(f"{k:>10}" for k in keys))
    for label, r in out.items():
        print(f"{label:<22}" + "".join(f"{r[k]:>10.3f}" for k in keys))
    ratio = out["jax float32"]["run"] / out["brian2 standalone"]["run"]
    print(f"simulation jax / brian2: {ratio:.2f}")


if __name__ == "__main__":
    main()
