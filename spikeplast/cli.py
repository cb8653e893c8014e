"""Command line: ``spikeplast run|compare|schedule MODEL``, ``spikeplast plot FILE``.

A MODEL is a Python file, or the name of a file in ``models/`` (looked up in the
current directory, then beside the installed package), that defines
``build(**kwargs) -> Network``. ``--set key=value`` passes keyword arguments
(Python literals) to ``build``.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import SpikeplastError

__all__ = ["main", "load_model", "parse_duration"]

_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "min": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """``"1s"``, ``"500 ms"``, ``"2min"`` -> seconds."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(s|ms|us|min|h)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(
            f"duration {text!r} is invalid; write a number and a unit (s, ms, us, min, h), "
            f"e.g. 1s or 500ms")
    return float(m.group(1)) * _UNITS[m.group(2)]


def _model_path(model: str) -> Path:
    p = Path(model)
    if p.suffix == ".py":
        if not p.is_file():
            raise SystemExit(f"spikeplast: model file {model} does not exist")
        return p
    here = Path(__file__).resolve().parent.parent / "models"
    for d in (Path.cwd() / "models", here):
        if (d / f"{model}.py").is_file():
            return d / f"{model}.py"
    known = sorted({f.stem for d in (Path.cwd() / "models", here) if d.is_dir()
                    for f in d.glob("*.py") if not f.stem.startswith("_")})
    raise SystemExit(f"spikeplast: no model '{model}'; give a .py file or one of: "
                     f"{', '.join(known) or '(no models/ directory found)'}")


def load_model(model: str) -> ModuleType:
    """Import a model file (or a name in ``models/``) as a module."""
    path = _model_path(model)
    spec = importlib.util.spec_from_file_location(f"spikeplast_model_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # like a script, a model file may import modules that sit beside it
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    if not callable(getattr(module, "build", None)):
        raise SystemExit(f"spikeplast: model file {path} defines no build() function returning "
                         f"a Network")
    return module


def _kwargs(pairs: Sequence[str]) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise SystemExit(f"spikeplast: --set {pair!r} is invalid; write key=value")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


class _Progress:
    """A one-line progress bar on stderr, drawn only for runs longer than one chunk."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if done == total and done == 0:
            return
        frac = done / total
        bar = "#" * int(30 * frac)
        elapsed = time.perf_counter() - self.start
        sys.stderr.write(f"\r  [{bar:<30}] {100 * frac:5.1f}%  {elapsed:6.1f} s")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _run(args: argparse.Namespace) -> int:
    import spikeplast as sp

    from .plot import raster

    module = load_model(args.model)
    net = module.build(**_kwargs(args.set))
    if args.seed is not None:
        net = net.replace(seed=args.seed)
    options: dict[str, Any] = {}
    if args.dtype:
        options["dtype"] = args.dtype
    print(f"spikeplast: {net.name} for {args.duration:g} s on {args.backend}", file=sys.stderr)
    res = sp.simulate(net, args.duration * sp.second, backend=args.backend,
                      freeze_inputs=args.freeze_inputs, progress=_Progress(), **options)
    print(res)
    t = res.metadata["timings"]
    print("timings: " + ", ".join(f"{k} {v:.3f} s" for k, v in t.items()))
    if args.out:
        print(f"results written to {res.save(args.out)}")
    if args.plot:
        raster(res).savefig(args.plot, dpi=120)
        print(f"raster written to {args.plot}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    import spikeplast as sp

    from .compare import compare

    module = load_model(args.model)
    net = module.build(**_kwargs(args.set))
    options = {"jax": {"dtype": args.dtype}} if args.dtype else {}
    print(f"spikeplast: comparing {net.name} for {args.duration:g} s on brian2 and jax",
          file=sys.stderr)
    report = compare(net, args.duration * sp.second, freeze_inputs=not args.live_inputs,
                     options=options)
    print(report)
    if args.plot:
        report.plot().savefig(args.plot, dpi=120)
        print(f"comparison plot written to {args.plot}")
    return 0


def _plot(args: argparse.Namespace) -> int:
    from . import plot
    from .results import load_results

    res = load_results(args.file)
    kinds = {"raster": lambda: plot.raster(res), "states": lambda: plot.state_traces(res),
             "weights": lambda: plot.weight_matrix(res),
             "weight-hist": lambda: plot.weight_histogram(res),
             "weight-evolution": lambda: plot.weight_evolution(res)}
    fig = kinds[args.kind]()
    fig.savefig(args.output, dpi=120)
    print(f"{args.kind} plot written to {args.output}")
    return 0


def _schedule(args: argparse.Namespace) -> int:
    from .lowering import lower

    module = load_model(args.model)
    print(lower(module.build(**_kwargs(args.set))).schedule)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``spikeplast`` command."""
    parser = argparse.ArgumentParser(prog="spikeplast", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a model")
    run.add_argument("model", help="a .py file or a name in models/ (e.g. cuba)")
    run.add_argument("--backend", default="jax", choices=("jax", "brian2"))
    run.add_argument("--duration", type=parse_duration, default=1.0, help="e.g. 1s, 500ms")
    run.add_argument("--out", help="write results to this .npz file")
    run.add_argument("--plot", help="write a raster plot to this image file")
    run.add_argument("--seed", type=int, help="override the network seed")
    run.add_argument("--dtype", choices=("float32", "float64"), help="JAX precision")
    run.add_argument("--freeze-inputs", action="store_true",
                     help="pre-draw Poisson inputs (identical noise on every backend)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="keyword argument for the model's build()")
    run.set_defaults(func=_run)
    cmp = sub.add_parser("compare", help="run a model on brian2 and jax and compare")
    cmp.add_argument("model")
    cmp.add_argument("--duration", type=parse_duration, default=1.0)
    cmp.add_argument("--plot", help="write side-by-side rasters to this image file")
    cmp.add_argument("--dtype", choices=("float32", "float64"), help="JAX precision")
    cmp.add_argument("--live-inputs", action="store_true",
                     help="let each backend draw its own Poisson noise (default: frozen)")
    cmp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    cmp.set_defaults(func=_compare)
    pl = sub.add_parser("plot", help="plot a saved results file")
    pl.add_argument("file")
    pl.add_argument("--kind", default="raster",
                    choices=("raster", "states", "weights", "weight-hist", "weight-evolution"))
    pl.add_argument("-o", "--output", default="plot.png")
    pl.set_defaults(func=_plot)
    sc = sub.add_parser("schedule", help="print a model's resolved schedule")
    sc.add_argument("model")
    sc.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    sc.set_defaults(func=_schedule)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SpikeplastError as e:
        print(f"spikeplast: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
