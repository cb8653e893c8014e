"""Sanger's rule (GHA) finds the top four principal components of 20-D Gaussian data.

Four linear units, Sanger's rule without normalisation (canns SangerTrainer with
``normalize_weights=False``; the rule itself keeps the rows orthonormal), 2000 samples
shuffled each epoch for 40 epochs, η = 2e-4 (``--duration 8.0001s``): each row ends
within about 3° of its component.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pca  # noqa: E402

import spikeplast as sp  # noqa: E402


def build(samples: int = 2000, epochs: int = 40, learning_rate: float = 2e-4,
          seed: int = 0) -> sp.Network:
    return _pca.network("sanger_pca", sp.Sanger(learning_rate=learning_rate, normalize=False),
                        4, 20, samples, epochs, seed)
