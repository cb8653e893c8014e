"""Shared body of the model examples: run a model on a backend and plot it."""

from __future__ import annotations

import argparse
from pathlib import Path

import spikeplast as sp
from spikeplast import plot
from spikeplast.cli import load_model


def run_example(model_name: str, doc: str, default_out: str) -> None:
    """Parse ``--backend --duration --out``, simulate the model ``models/<model_name>.py``
    (``build(record_v=3)``) and plot its raster and v traces."""
    model = load_model(str(Path(__file__).resolve().parent.parent / "models" /
                           f"{model_name}.py"))
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--backend", default="jax", choices=("jax", "brian2"))
    ap.add_argument("--duration", type=float, default=1.0, help="seconds")
    ap.add_argument("--out", default=default_out)
    args = ap.parse_args()
    res = sp.simulate(model.build(record_v=3), args.duration * sp.second, backend=args.backend)
    print(res)
    print("timings:", {k: round(v, 3) for k, v in res.metadata["timings"].items()})
    plot.raster(res).savefig(args.out, dpi=120)
    plot.state_traces(res, variables=["v"]).savefig(Path(args.out).with_suffix(".v.png"))
    print(f"wrote {args.out}")
