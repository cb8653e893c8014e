"""BCM selectivity: from positive weights, each unit comes to respond to one of four input
patterns only, with both published forms of the rule side by side.

Four patterns of 20 inputs (one block of five active inputs each) are presented in a
fresh shuffled order for 1000 epochs. Unit population ``bcm`` learns with the discrete
sliding-threshold rule (canns BCMTrainer; η = 0.002, τ_θ = 10), ``ode`` with ngc-learn's
ODE form (τ_w = 20, τ_θ = 5, soft bound 1, decay 0.001, θ0 = 1).
"""

from __future__ import annotations

import numpy as np

import spikeplast as sp

K, D = 4, 20


def patterns() -> np.ndarray:
    """``(4, 20)``: pattern k activates inputs 5k … 5k+4."""
    p = np.zeros((K, D))
    for k in range(K):
        p[k, 5 * k:5 * k + 5] = 1.0
    return p


def build(epochs: int = 1000, seed: int = 2) -> sp.Network:
    w0 = np.random.default_rng(1).uniform(0.0, 0.2, (K, D))
    data = sp.RatePatterns(name="data", patterns=patterns(), order="shuffled", epochs=epochs)
    pops, projs, mons = [data], [], []
    rules = (("bcm", sp.BCM(learning_rate=0.002, threshold_tau=10.0, theta0=0.1)),
             ("ode", sp.BCMODE(tau_w=20.0, tau_theta=5.0, theta0=1.0, w_bound=1.0,
                               w_decay=0.001)))
    for name, rule in rules:
        pops.append(sp.RatePopulation(name=name, n=K))
        projs.append(sp.Projection(name=f"W_{name}", source="data", target=name, port="input",
                                   connectivity=sp.DenseMatrix(weights=w0, keep_zeros=True),
                                   plasticity=rule))
        mons += [sp.WeightMonitor(projection=f"W_{name}", every=max(1, epochs * K // 50)),
                 sp.StateMonitor(population=name, variables=("theta",),
                                 every=max(1, epochs * K // 50))]
    return sp.Network(name="bcm_selectivity", seed=seed, populations=tuple(pops),
                      projections=tuple(projs), monitors=tuple(mons))
