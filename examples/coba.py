"""Run the COBA benchmark network and plot its raster.

    python examples/coba.py --backend jax --duration 1 --out coba.png
    python examples/coba.py --backend brian2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))

import coba  # noqa: E402

import spikeplast as sp  # noqa: E402
from spikeplast import plot  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--backend", default="jax", choices=("jax", "brian2"))
    ap.add_argument("--duration", type=float, default=1.0, help="seconds")
    ap.add_argument("--out", default="coba.png")
    args = ap.parse_args()
    res = sp.simulate(coba.build(record_v=3), args.duration * sp.second, backend=args.backend)
    print(res)
    print("timings:", {k: round(v, 3) for k, v in res.metadata["timings"].items()})
    plot.raster(res).savefig(args.out, dpi=120)
    plot.state_traces(res, variables=["v"]).savefig(Path(args.out).with_suffix(".v.png"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
