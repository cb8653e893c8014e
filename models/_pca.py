"""Shared data and network of the Oja and Sanger PCA models."""

from __future__ import annotations

import numpy as np

import spikeplast as sp

#: variances of the data along its principal directions
VARIANCES = (16.0, 8.0, 4.0, 2.0)


def data(n_in: int = 20, samples: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian samples ``(samples, n_in)`` with known principal directions (columns of the
    returned orthogonal matrix, in order of variance)."""
    rng = np.random.default_rng(seed)
    var = np.array(list(VARIANCES) + [0.1] * (n_in - len(VARIANCES)))
    Q = np.linalg.qr(rng.normal(size=(n_in, n_in)))[0]
    return rng.normal(size=(samples, n_in)) * np.sqrt(var) @ Q.T, Q


def network(name: str, rule, n_out: int, n_in: int, samples: int, epochs: int,
            seed: int) -> sp.Network:
    x, _ = data(n_in, samples, seed)
    w0 = np.random.default_rng(seed + 1).uniform(-0.1, 0.1, (n_out, n_in))
    total = samples * epochs
    return sp.Network(
        name=name, seed=seed,
        populations=(sp.RatePatterns(name="data", patterns=x, order="shuffled", epochs=epochs),
                     sp.RatePopulation(name="components", n=n_out)),
        projections=(sp.Projection(name="W", source="data", target="components", port="input",
                                   connectivity=sp.DenseMatrix(weights=w0, keep_zeros=True),
                                   plasticity=rule),),
        monitors=(sp.WeightMonitor(projection="W", every=max(1, total // 50)),))
