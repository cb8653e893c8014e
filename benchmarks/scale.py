"""Scale on the JAX backend: a 1 000 000-neuron CUBA network, and an hour of CUBA 4k.

    python benchmarks/scale.py million [--duration 0.1]
    python benchmarks/scale.py hour [--duration 3600]

``million``: CUBA with N = 10^6 (in-degree 80, 80 M synapses), spikes recorded; prints
the lowering, build, jit and simulation times and the process's peak memory.

``hour``: CUBA 4k for an hour of biological time with a spike monitor. The scan runs
in chunks of ``chunk_steps`` steps; after each chunk the chunk's spikes move to host
memory, so the device holds one chunk's recording at a time. Prints the peak memory
of the process after every tenth of the run: it grows only by the recorded spikes.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def million(duration: float) -> dict:
    import cuba

    import spikeplast as sp

    net = cuba.build(n=1_000_000)
    res = sp.simulate(net, duration * sp.second)
    t = res.metadata["timings"]
    out = {"neurons": 1_000_000, "duration_s": duration, "lower_s": t["lower"],
           "build_s": t["build"], "jit_s": t["compile"], "sim_s": t["run"],
           "total_s": t["total"], "spikes": sum(len(s) for s in res.spikes.values()),
           "rate_hz": dict(res.mean_rates()), "peak_mib": peak_mib()}
    del res  # count the synapses after the peak was taken
    plan = sp.lower(net, n_steps=round(duration / net.dt))
    out["synapses"] = sum(q.n_synapses for q in plan.projections.values())
    return out


def hour(duration: float) -> dict:
    import cuba
    import numpy as np

    import spikeplast as sp

    trace = []
    tic = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if not trace or done * 10 // total > trace[-1]["tenth"]:
            trace.append({"tenth": done * 10 // total, "step": done,
                          "wall_s": time.perf_counter() - tic, "peak_mib": peak_mib()})

    res = sp.simulate(cuba.build(), duration * sp.second, progress=progress)
    spikes = sum(len(s) for s in res.spikes.values())
    recorded_mib = sum(s.times.nbytes + s.indices.nbytes for s in res.spikes.values()) / 2**20
    t = res.metadata["timings"]
    return {"duration_s": duration, "sim_s": t["run"], "total_s": t["total"],
            "spikes": spikes, "recorded_mib": recorded_mib,
            "rate_hz": float(np.mean(list(res.mean_rates().values()))),
            "memory_trace": trace, "peak_mib": peak_mib()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("million", "hour"))
    ap.add_argument("--duration", type=float, help="simulated seconds")
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.what == "million":
        out = million(args.duration or 0.1)
    else:
        out = hour(args.duration or 3600.0)
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text)


if __name__ == "__main__":
    main()
