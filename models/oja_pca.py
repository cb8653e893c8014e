"""Oja's rule finds the leading principal component of 20-D Gaussian data.

One linear unit, Oja's rule with row normalisation (canns OjaTrainer), 2000 samples
presented in a fresh shuffled order for 20 epochs, η = 5e-5. Run
``spikeplast run models/oja_pca.py --duration 4.0001s`` (one sample per 0.1 ms step).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pca  # noqa: E402

import spikeplast as sp  # noqa: E402


def build(samples: int = 2000, epochs: int = 20, learning_rate: float = 5e-5,
          seed: int = 0) -> sp.Network:
    return _pca.network("oja_pca", sp.Oja(learning_rate=learning_rate), 1, 20, samples,
                        epochs, seed)
