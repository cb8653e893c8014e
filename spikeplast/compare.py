"""Run one spec on two backends and report how they differ (DESIGN §6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import SpecError
from .results import Results, SpikeTrains
from .simulate import simulate
from .spec import Network

if TYPE_CHECKING:  # matplotlib is imported by plot() (0.27 s, not needed to compare)
    from matplotlib.figure import Figure

__all__ = ["compare", "Comparison", "PopulationDiff", "first_divergence",
           "van_rossum_distance"]


def first_divergence(a: SpikeTrains, b: SpikeTrains) -> float | None:
    """Time (s) of the first spike present in one train and not the other; None if equal.

    Both trains are sorted by (time, index); the first position where they differ
    gives the earlier of the two differing spikes.
    """
    n = min(len(a), len(b))
    ka = np.lexsort((a.indices, a.times))
    kb = np.lexsort((b.indices, b.times))
    ta, ia = a.times[ka], a.indices[ka]
    tb, ib = b.times[kb], b.indices[kb]
    diff = np.nonzero((ta[:n] != tb[:n]) | (ia[:n] != ib[:n]))[0]
    if diff.size:
        k = diff[0]
        return float(min(ta[k], tb[k]))
    if len(a) != len(b):
        return float((ta if len(a) > len(b) else tb)[n])
    return None


def van_rossum_distance(a: SpikeTrains, b: SpikeTrains, tau: float = 10e-3) -> float:
    """Mean over neurons of the van Rossum distance with an exponential kernel of ``tau``.

    Per neuron, ``D² = ½ (Σ e^{-|uᵢ-uⱼ|/τ} + Σ e^{-|vᵢ-vⱼ|/τ} − 2 Σ e^{-|uᵢ-vⱼ|/τ})``:
    0 for identical trains, about 0.71 for one unmatched spike.
    """
    n = max(a.n, b.n)
    if n == 0:
        return 0.0
    oa, ob = np.argsort(a.indices, kind="stable"), np.argsort(b.indices, kind="stable")
    sa = np.split(a.times[oa], np.searchsorted(a.indices[oa], np.arange(1, n)))
    sb = np.split(b.times[ob], np.searchsorted(b.indices[ob], np.arange(1, n)))

    def k(x: np.ndarray, y: np.ndarray) -> float:
        return float(np.exp(-np.abs(x[:, None] - y[None, :]) / tau).sum()) if x.size and \
            y.size else 0.0

    total = 0.0
    for u, v in zip(sa, sb):
        if u.size or v.size:
            total += np.sqrt(max(0.5 * (k(u, u) + k(v, v) - 2 * k(u, v)), 0.0))
    return total / n


@dataclass(frozen=True)
class PopulationDiff:
    """How one spike monitor differs between the two backends."""

    name: str
    counts: tuple[int, int]
    rates: tuple[float, float]
    first_divergence: float | None
    distance: float

    @property
    def rate_difference(self) -> float:
        """Relative rate difference ``|a − b| / max(a, b)``."""
        m = max(self.rates)
        return abs(self.rates[0] - self.rates[1]) / m if m > 0 else 0.0


@dataclass(frozen=True)
class Comparison:
    """The report of :func:`compare`; ``print`` it, or ``plot()`` side-by-side rasters."""

    backends: tuple[str, str]
    results: Mapping[str, Results]
    populations: tuple[PopulationDiff, ...]
    states: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        """Every spike of every monitored population is the same on both backends."""
        return all(p.first_divergence is None for p in self.populations)

    def __str__(self) -> str:
        a, b = self.backends
        lines = [f"Comparison {a} vs {b} ({self.results[a].duration:g} s)", "",
                 f"{'population':<14}{'spikes ' + a:>16}{'spikes ' + b:>16}{'rate ' + a:>13}"
                 f"{'rate ' + b:>13}{'Δrate':>8}{'first divergence':>18}{'vR dist':>9}"]
        for p in self.populations:
            div = "identical" if p.first_divergence is None else f"{p.first_divergence:.4f} s"
            lines.append(f"{p.name:<14}{p.counts[0]:>16}{p.counts[1]:>16}{p.rates[0]:>10.3f} Hz"
                         f"{p.rates[1]:>10.3f} Hz{100 * p.rate_difference:>7.2f}%{div:>18}"
                         f"{p.distance:>9.3f}")
        if self.states:
            lines += ["", "state variables (max |difference|, SI):"]
            lines += [f"  {k:<30}{v:.3e}" for k, v in self.states.items()]
        if self.weights:
            lines += ["", "weights (max |difference| SI, correlation):"]
            lines += [f"  {k:<30}{d:.3e}  {c:.6f}" for k, (d, c) in self.weights.items()]
        lines += ["", f"{'timings (s)':<14}" + "".join(f"{k:>11}" for k in
                                                       ("lower", "build", "compile", "run",
                                                        "total"))]
        for name in self.backends:
            t = self.results[name].metadata.get("timings", {})
            lines.append(f"{name:<14}" + "".join(f"{t.get(k, float('nan')):>11.3f}" for k in
                                                 ("lower", "build", "compile", "run", "total")))
        return "\n".join(lines)

    def plot(self, populations: list[str] | None = None) -> Figure:
        """Side-by-side rasters, one column per backend, with the first divergence marked."""
        from matplotlib.figure import Figure

        from .plot import COLORS

        names = populations or [p.name for p in self.populations]
        fig = Figure(figsize=(12, 5), layout="constrained")
        axes = fig.subplots(1, 2, sharey=True, sharex=True)
        for ax, backend in zip(axes, self.backends):
            res = self.results[backend]
            offset = 0
            for k, name in enumerate(names):
                s = res.spikes[name]
                ax.scatter(s.times, s.indices + offset, s=0.5, marker=".",
                           color=COLORS[k % len(COLORS)], rasterized=True,
                           label=f"{name} ({s.mean_rate(res.duration):.2f} Hz)")
                offset += s.n
            divs = [p.first_divergence for p in self.populations
                    if p.name in names and p.first_divergence is not None]
            if divs:
                ax.axvline(min(divs), color="k", linestyle="--", linewidth=0.8,
                           label=f"first divergence {min(divs):.4f} s")
            ax.set_title(backend)
            ax.set_xlabel("time (s)")
            ax.legend(loc="upper right", markerscale=8, fontsize="small")
        axes[0].set_ylabel("neuron")
        return fig


def compare(net: Network, duration: Any, backends: tuple[str, str] = ("brian2", "jax"), *,
            freeze_inputs: bool = True, options: Mapping[str, Mapping[str, Any]] | None = None,
            tau: float = 10e-3) -> Comparison:
    """Run ``net`` on two backends and compare spikes, states, weights and timings.

    Args:
        net: the network.
        duration: simulated time.
        backends: the two backends to compare.
        freeze_inputs: pre-draw Poisson inputs so both backends see identical noise
            (default True; then a deterministic network should match spike for spike).
        options: per-backend options, e.g. ``{"jax": {"dtype": "float64"}}``.
        tau: time constant of the van Rossum distance (s).
    """
    if len(backends) != 2 or backends[0] == backends[1]:
        raise SpecError(f"compare(): backends = {backends!r} is invalid; give two different "
                        f"backend names.")
    options = dict(options or {})
    results = {b: simulate(net, duration, backend=b, freeze_inputs=freeze_inputs,
                           **dict(options.get(b, {}))) for b in backends}
    ra, rb = (results[b] for b in backends)
    pops = tuple(
        PopulationDiff(name, (len(ra.spikes[name]), len(rb.spikes[name])),
                       (ra.spikes[name].mean_rate(ra.duration),
                        rb.spikes[name].mean_rate(rb.duration)),
                       first_divergence(ra.spikes[name], rb.spikes[name]),
                       van_rossum_distance(ra.spikes[name], rb.spikes[name], tau))
        for name in ra.spikes)
    states = {f"{mon}.{var}": float(np.max(np.abs(ra.states[mon][var] - rb.states[mon][var])))
              for mon in ra.states for var in ra.states[mon].values
              if ra.states[mon][var].shape == rb.states[mon][var].shape
              and ra.states[mon][var].size}
    weights = {}
    for mon in ra.weights:
        wa, wb = ra.weights[mon].values, rb.weights[mon].values
        if wa.shape == wb.shape and wa.size:
            c = np.corrcoef(wa.ravel(), wb.ravel())[0, 1] if wa.std() and wb.std() else 1.0
            weights[mon] = (float(np.max(np.abs(wa - wb))), float(c))
    return Comparison(tuple(backends), results, pops, states, weights)  # type: ignore[arg-type]
