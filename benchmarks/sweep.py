"""A sweep of B CUBA 4k variants for 1 s: JAX against Brian2 run_args.

    python benchmarks/sweep.py [--variants 32] [--json out.json]

Each side runs in a fresh process with an empty cache, so its compile is counted:
JAX traces and compiles one chunk function for all variants; Brian2 builds one C++
project and runs its binary once per variant with new weights through ``run_args``.
Times are wall clock from the sweep call to the list of results (imports excluded).
JAX runs twice: pinned to one core (as Brian2's runs use one), and on every core of the
machine (a CPU sweep runs as many variants at once as there are cores). Brian2 runs
twice too: through spikeplast's brian2 backend, and as the hand-written Brian2 script a
user would write without spikeplast (Brian2's CUBA example with ``method='exact'``, one
``device.build`` and then ``device.run(run_args={Ce.w: w})`` per variant).
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
sys.path.insert(0, str(ROOT / "benchmarks"))
from brian2_handwritten import CUBA_GROUP  # noqa: E402

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, {models!r})
import numpy as np, spikeplast as sp, cuba
if {backend!r} == "jax":
    import jax
    if {one_core!r}:
        os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})
weights = np.linspace(1.2, 2.0, {b}) * sp.mV
from spikeplast.backends import get_backend
get_backend({backend!r})  # imports the backend (and Brian2): outside the timing, as every import
tic = time.perf_counter()
res = sp.sweep(cuba.build(), {{"exc_exc.weight": list(weights), "exc_inh.weight": list(weights)}},
               1 * sp.second, backend={backend!r}, cache_dir={cache!r})
wall = time.perf_counter() - tic
print(json.dumps({{"wall_s": wall, "rates": [r.spikes["exc"].mean_rate(1.0) for r in res],
                  "first": [r.spikes["exc"].indices[:50].tolist() for r in res[:3]],
                  "timings": res[0].metadata["timings"]}}))
"""

# the same sweep written in plain Brian2: the excitatory weight is a synaptic variable so
# that run_args can set it (all excitatory synapses, as exc_exc and exc_inh above)
HANDWRITTEN = r"""
import json, sys, time
from brian2 import *
set_device('cpp_standalone', build_on_run=False)
tic = time.perf_counter()
""" + CUBA_GROUP + r"""
Ce = Synapses(P, P, 'w : volt (constant)', on_pre='ge += w')
Ci = Synapses(P, P, on_pre='gi += wi', namespace={{'wi': -9*mV}})
Ce.connect('i<3200', p=0.02)
Ci.connect('i>=3200', p=0.02)
Ce.w = 1.62*mV
s_mon = SpikeMonitor(P[:3200])
run(1 * second)
device.build(directory={cache!r}, run=False)
first = time.perf_counter() - tic
rates = []
for w in np.linspace(1.2, 2.0, {b}):
    device.run(run_args={{Ce.w: w * mV}})
    rates.append(float(s_mon.num_spikes) / 3200)
print(json.dumps({{"wall_s": time.perf_counter() - tic, "build_s": first, "rates": rates}}))
"""


def run(backend: str, b: int, one_core: bool = True) -> dict:
    """One sweep in a fresh process; ``backend`` is 'jax', 'brian2' or 'handwritten'."""
    cache = tempfile.mkdtemp(prefix=f"spikeplast-sweep-{backend}-")
    try:
        template = HANDWRITTEN if backend == "handwritten" else CHILD
        code = template.format(models=str(ROOT / "models"), backend=backend, b=b, cache=cache,
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
    hand = run("handwritten", args.variants)
    agree = sum(a == b for a, b in zip(jax["first"], brian2["first"]))
    out = {"variants": args.variants, "jax_s": jax["wall_s"], "brian2_s": brian2["wall_s"],
           "speedup": brian2["wall_s"] / jax["wall_s"], "jax_timings": jax["timings"],
           "brian2_first_timings": brian2["timings"],
           "jax_all_cores_s": jax_all["wall_s"], "cores": len(os.sched_getaffinity(0)),
           "speedup_all_cores": brian2["wall_s"] / jax_all["wall_s"],
           "max_rate_difference_hz": max(abs(a - b) for a, b in zip(jax["rates"],
                                                                     brian2["rates"])),
           "first_spikes_identical_in": f"{agree} of {len(jax['first'])}",
           "handwritten_brian2_s": hand["wall_s"], "handwritten_build_s": hand["build_s"],
           "speedup_vs_handwritten": hand["wall_s"] / jax["wall_s"],
           "speedup_all_cores_vs_handwritten": hand["wall_s"] / jax_all["wall_s"],
           "exc_rates_hz": {"jax": [min(jax["rates"]), max(jax["rates"])],
                            "handwritten": [min(hand["rates"]), max(hand["rates"])]}}
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
