"""A Hopfield network: Hebbian storage of random ±1 patterns, then recall from noisy
probes, both in the scheduler (canns's HebbianTrainer + AmariHopfieldNetwork).

``build()`` is the recall network: the weights are stored by the Hebbian rule (canns
defaults: centred, ÷P, zero diagonal) from ``patterns()``, the population starts from a
probe with 10 % of one pattern's bits flipped and updates synchronously with
``sign``, stopping at convergence; its energy and state are recorded. ``storage()`` is
the network that learns the weights (one pattern per step).
"""

from __future__ import annotations

import numpy as np

import spikeplast as sp


def patterns(n: int = 100, p: int = 5, seed: int = 0) -> np.ndarray:
    """``p`` random ±1 patterns of ``n`` units."""
    return np.random.default_rng(seed).choice([-1.0, 1.0], (p, n))


def probe(pattern: np.ndarray, flip: float = 0.1, seed: int = 1) -> np.ndarray:
    """``pattern`` with a fraction ``flip`` of its bits flipped."""
    out = pattern.copy()
    rng = np.random.default_rng(seed)
    out[rng.choice(out.size, int(round(flip * out.size)), replace=False)] *= -1
    return out


def stored_weights(pats: np.ndarray) -> np.ndarray:
    """W ← Σ t tᵀ / P with t = x − mean, diagonal zero — canns's storage arithmetic."""
    t = pats - pats.mean()
    W = t.T @ t / len(pats)
    np.fill_diagonal(W, 0.0)
    return W


def storage(n: int = 100, p: int = 5, seed: int = 0) -> sp.Network:
    """The storage network: patterns presented one per step to a Hebbian projection."""
    return sp.Network(
        name="hopfield_storage", seed=seed,
        populations=(sp.RatePatterns(name="memories", patterns=patterns(n, p, seed)),
                     sp.RatePopulation(name="memory", n=n)),
        projections=(sp.Projection(name="W", source="memories", target="memory",
                                   port="input", connectivity=sp.AllToAll(), weight=0.0,
                                   plasticity=sp.Hebbian()),),
        monitors=(sp.WeightMonitor(projection="W", every=p),))


def build(n: int = 100, p: int = 5, seed: int = 0, update: str = "sync",
          max_sweeps: int = 20) -> sp.Network:
    """The recall network for a probe of pattern 0 (run ``max_sweeps`` sweeps + 1 step)."""
    pats = patterns(n, p, seed)
    return sp.Network(
        name="hopfield", seed=seed,
        populations=(sp.RatePopulation(name="memory", n=n, activation="sign",
                                       init=probe(pats[0], seed=seed + 1), update=update,
                                       max_sweeps=max_sweeps, tol=0.0),),
        projections=(sp.Projection(name="W", source="memory", target="memory", port="input",
                                   connectivity=sp.DenseMatrix(weights=stored_weights(pats),
                                                               keep_zeros=True)),),
        monitors=(sp.StateMonitor(population="memory", variables=("y",),
                                  every=n if update == "async" else 1),
                  sp.StateMonitor(name="energy", population="memory", indices=[0],
                                  variables=("energy", "sweeps", "converged"))))
