"""Song, Miller & Abbott (2000) STDP: watch the weight distribution become bimodal.

    python examples/stdp.py --backend jax --duration 100
    python examples/stdp.py --backend brian2 --duration 100 --out stdp_brian2.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))

import numpy as np  # noqa: E402
import song_abbott  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import spikeplast as sp  # noqa: E402
from spikeplast import plot  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--backend", default="jax", choices=("jax", "brian2"))
    ap.add_argument("--duration", type=float, default=100.0, help="seconds")
    ap.add_argument("--out", default="stdp.png")
    args = ap.parse_args()
    res = sp.simulate(song_abbott.build(), args.duration * sp.second, backend=args.backend)
    w = res.weights["stdp"].values[-1] / 0.1e-9
    print(res)
    print(f"output {res.spikes['neuron'].mean_rate(res.duration):.1f} Hz; weights / g_max: "
          f"{100 * np.mean(w < 0.1):.1f} % below 0.1, {100 * np.mean(w > 0.9):.1f} % above "
          f"0.9, mean {w.mean():.3f}")
    plot.weight_evolution(res).savefig(args.out, dpi=120)
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    ax.hist(w, bins=40, range=(0, 1))
    ax.set_xlabel("w / g_max")
    ax.set_ylabel("synapses")
    ax.set_title(f"after {res.duration:g} s ({args.backend})")
    fig.savefig(Path(args.out).with_suffix(".final.png"), dpi=120)
    print(f"wrote {args.out} and {Path(args.out).with_suffix('.final.png')}")


if __name__ == "__main__":
    main()
