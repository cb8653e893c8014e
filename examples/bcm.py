"""BCM selectivity in both forms (models/bcm_selectivity.py) and BCM on a spiking layer's
rates (models/mixed.py): plot each unit's response to each pattern over time.

    python examples/bcm.py --backend jax
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))

import bcm_selectivity  # noqa: E402
import mixed  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import spikeplast as sp  # noqa: E402
from spikeplast import plot  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--backend", default="jax", choices=("jax", "brian2"))
    ap.add_argument("--mixed-seconds", type=float, default=20.0)
    ap.add_argument("--out", default="bcm.png")
    args = ap.parse_args()
    res = sp.simulate(bcm_selectivity.build(), 4001 * 0.1 * sp.ms, backend=args.backend)
    mix = sp.simulate(mixed.build(duration_s=args.mixed_seconds),
                      args.mixed_seconds * sp.second, backend=args.backend)
    fig = Figure(figsize=(12, 4), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, (name, pats, r) in zip(axes, (
            ("W_bcm", bcm_selectivity.patterns(), res), ("W_ode", bcm_selectivity.patterns(),
                                                         res), ("W", mixed.stimuli(), mix))):
        trace = r.weights[name]
        resp = np.array([trace.matrix(i) @ pats.T for i in range(trace.values.shape[0])])
        for unit in range(resp.shape[1]):
            ax.plot(trace.times, resp[:, unit, :], color=f"C{unit}")
        ax.set_title(f"{r.metadata['network']} {name}: response of each unit to each input",
                     fontsize=9)
        ax.set_xlabel("time (s)")
        print(name, "final responses (unit × pattern):\n", np.round(resp[-1], 2))
    fig.savefig(args.out, dpi=110)
    plot.raster(mix).savefig(Path(args.out).with_suffix(".raster.png"), dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
