"""Plots of results; every function returns a matplotlib ``Figure`` and never shows it.

Figures are made with ``matplotlib.figure.Figure`` directly (no pyplot state), so
they work in scripts, notebooks and headless machines alike: ``fig.savefig(path)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .errors import SpecError, did_you_mean
from .results import Results

__all__ = ["raster", "state_traces", "weight_matrix", "weight_histogram", "weight_evolution",
           "COLORS"]

#: population colours, in order
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def _pick(kind: str, mapping: Any, name: str | None) -> str:
    names = list(mapping)
    if name is None:
        if not names:
            raise SpecError(f"the results hold no {kind} recordings; add a monitor for them.")
        return names[0]
    if name not in mapping:
        raise SpecError(f"the results hold no {kind} recording '{name}'; known: "
                        f"{', '.join(names) or 'none'}.{did_you_mean(name, names)}")
    return name


def raster(results: Results, populations: Sequence[str] | None = None, *,
           bin_size: float = 1e-3, title: str | None = None, max_points: int = 200_000
           ) -> Figure:
    """Spike raster (one colour per population, stacked) above a population rate histogram.

    Args:
        results: simulation results with spike monitors.
        populations: spike monitor names to show (default: all).
        bin_size: histogram bin width (s).
        title: figure title (default: network name and backend).
        max_points: at most this many spikes are drawn per population (evenly thinned);
            the histogram always uses all spikes.
    """
    names = list(results.spikes) if populations is None else list(populations)
    for n in names:
        _pick("spike", results.spikes, n)
    fig = Figure(figsize=(9, 5.5), layout="constrained")
    ax, ax_rate = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    offset = 0
    many = sum(len(results.spikes[n]) for n in names) > 5000
    edges = np.arange(0, results.duration + bin_size, bin_size)
    for k, name in enumerate(names):
        s = results.spikes[name]
        color = COLORS[k % len(COLORS)]
        step = max(1, len(s) // max_points)
        ax.scatter(s.times[::step], s.indices[::step] + offset, s=0.5, color=color,
                   marker="." if many else "|", linewidths=0.5, rasterized=True,
                   label=f"{name} ({s.mean_rate(results.duration):.2f} Hz)")
        ax.axhline(offset - 0.5, color="0.85", linewidth=0.5)
        counts, _ = np.histogram(s.times, edges)
        ax_rate.plot(edges[:-1], counts / (max(s.n, 1) * bin_size), color=color, linewidth=0.8)
        offset += s.n
    ax.set_ylabel("neuron")
    ax.set_ylim(-0.5, max(offset, 1) - 0.5)
    if names:
        ax.legend(loc="upper right", markerscale=8, fontsize="small")
    ax_rate.set_ylabel("rate (Hz)")
    ax_rate.set_xlabel("time (s)")
    ax_rate.set_xlim(0, results.duration)
    meta = results.metadata
    fig.suptitle(title or f"{meta.get('network', '')} — {results.backend}, "
                 f"{results.duration:g} s")
    return fig


def state_traces(results: Results, monitor: str | None = None,
                 variables: Sequence[str] | None = None, neurons: Sequence[int] | None = None
                 ) -> Figure:
    """Recorded state variables over time, one panel per variable (SI units)."""
    name = _pick("state", results.states, monitor)
    st = results.states[name]
    variables = list(st.values) if variables is None else list(variables)
    cols = np.arange(st.indices.size) if neurons is None else \
        np.array([int(np.nonzero(st.indices == n)[0][0]) for n in neurons])
    fig = Figure(figsize=(9, 2.2 * len(variables) + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(variables), 1, sharex=True))
    for ax, var in zip(axes, variables):
        vals = st.values[var]
        for c in cols[:20]:
            ax.plot(st.times, vals[:, c], linewidth=0.8, label=f"{st.indices[c]}")
        ax.set_ylabel(var)
    axes[-1].set_xlabel("time (s)")
    if len(cols) <= 10:
        axes[0].legend(title="neuron", fontsize="small", loc="upper right")
    fig.suptitle(f"{name}: state traces")
    return fig


def weight_matrix(results: Results, monitor: str | None = None, k: int = -1) -> Figure:
    """Heat map of the weights (target × source) at record ``k`` (default: the last)."""
    name = _pick("weight", results.weights, monitor)
    w = results.weights[name]
    fig = Figure(figsize=(6, 5), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(w.matrix(k), aspect="auto", interpolation="nearest", cmap="viridis")
    fig.colorbar(im, ax=ax, label="weight (SI)")
    ax.set_xlabel("source neuron")
    ax.set_ylabel("target neuron")
    t = w.times[k] if w.times.size else 0.0
    ax.set_title(f"{name} at t = {t:g} s")
    return fig


def weight_histogram(results: Results, monitor: str | None = None, k: int = -1,
                     bins: int = 50) -> Figure:
    """Histogram of the recorded weights at record ``k`` (default: the last)."""
    name = _pick("weight", results.weights, monitor)
    w = results.weights[name]
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    if w.values.shape[0]:
        ax.hist(w.values[k], bins=bins, color=COLORS[0])
    ax.set_xlabel("weight (SI)")
    ax.set_ylabel("synapses")
    t = w.times[k] if w.times.size else 0.0
    ax.set_title(f"{name} at t = {t:g} s")
    return fig


def weight_evolution(results: Results, monitor: str | None = None, bins: int = 50) -> Figure:
    """The weight histogram over time, as an image (time × weight, colour = synapses)."""
    name = _pick("weight", results.weights, monitor)
    w = results.weights[name]
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    if w.values.size:
        lo, hi = float(np.min(w.values)), float(np.max(w.values))
        edges = np.linspace(lo, hi if hi > lo else lo + 1e-12, bins + 1)
        hist = np.stack([np.histogram(row, edges)[0] for row in w.values], axis=1)
        t = w.times
        im = ax.imshow(hist, origin="lower", aspect="auto", cmap="magma",
                       extent=(t[0], t[-1] if t[-1] > t[0] else t[0] + 1e-9, lo, edges[-1]))
        fig.colorbar(im, ax=ax, label="synapses")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("weight (SI)")
    ax.set_title(f"{name}: weight distribution over time")
    return fig
