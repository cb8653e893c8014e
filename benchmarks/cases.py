"""The networks of the benchmark suite (``python -m benchmarks``) and their event counts.

A case name is ``cuba-4k``, ``coba-16k``, ``adex-4k`` (``models/adex_ei.py``), ``hh-4k``
(COBAHH, ``models/cobahh.py``), ``song-abbott`` or ``rate-<rule>``; every case
builds the same spec for both backends. Imported by the suite's child processes with
``models/`` and ``benchmarks/`` on ``sys.path``.
"""

from __future__ import annotations

from typing import Any

import spikeplast as sp
from spikeplast.lowering import PoissonPlan

SIZES = {"4k": 4_000, "16k": 16_000, "64k": 64_000, "1m": 1_000_000}
RATE_RULES = ("oja", "sanger", "bcm", "bcmode", "hebbian", "online")


def cases(quick: bool) -> list[str]:
    """The cases of a suite run: quick mode keeps the 4k networks, a short Song–Abbott and
    three rate rules (Oja, BCM, Hebbian storage) on fewer patterns."""
    sizes = ("4k",) if quick else ("4k", "16k", "64k")
    rules = ("oja", "bcm", "hebbian") if quick else RATE_RULES
    return ([f"{m}-{s}" for m in ("cuba", "coba") for s in sizes] + ["adex-4k", "hh-4k"]
            + ["song-abbott"]
            + [f"rate-{r}" for r in rules])


def build(case: str, quick: bool) -> tuple[sp.Network, float]:
    """The network of ``case`` and its simulated duration in seconds."""
    model, _, size = case.partition("-")
    if model in ("cuba", "coba", "adex", "hh"):  # equation models: catalogue components
        module = __import__({"adex": "adex_ei", "hh": "cobahh"}.get(model, model))
        return module.build(n=SIZES[size]), 1.0
    if model == "song":
        import song_abbott

        return song_abbott.build(), 10.0 if quick else 100.0
    if model == "rate":
        import rate_rules

        n = 20_000 if quick else 100_000
        if size == "hebbian":
            n //= 10
        x = rate_rules.data(size, n)
        return rate_rules.network(size, x), n * 1e-4  # one pattern per 0.1 ms step
    raise ValueError(f"unknown benchmark case {case!r}")


def synaptic_events(net: sp.Network, res: sp.Results, n_steps: int) -> float:
    """Synaptic events of a run: for every projection, the spikes of its source times the
    mean out-degree (a Poisson source that is not recorded counts its expected spikes);
    a rate projection counts one event per synapse per update step."""
    plan = sp.lower(net, n_steps=n_steps)
    total = 0.0
    for proj in plan.projections.values():
        source = plan.populations[proj.source]
        if proj.source in res.spikes:
            spikes: float = len(res.spikes[proj.source])
        elif isinstance(source, PoissonPlan):
            spikes = float(source.rates.mean(0).sum() * n_steps * net.dt)
        else:  # rate source: every synapse is used every step
            total += proj.n_synapses * n_steps
            continue
        total += spikes * proj.n_synapses / max(proj.n_pre, 1)
    return total


def describe(case: str) -> dict[str, Any]:
    """What a case is, for the JSON file."""
    model, _, size = case.partition("-")
    if model in ("cuba", "coba", "adex", "hh"):
        n = SIZES[size]
        return {"model": {"hh": "cobahh", "adex": "adex_ei"}.get(model, model), "neurons": n,
                "in_degree": 80}
    if model == "song":
        return {"model": "song_abbott", "inputs": 1000}
    return {"model": "rate", "rule": size}
