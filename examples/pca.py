"""Oja and Sanger learn principal components (models/oja_pca.py, models/sanger_pca.py);
plot each learned row next to the true component, as images, and the angle over time.

    python examples/pca.py --backend jax
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))

import _pca  # noqa: E402
import numpy as np  # noqa: E402
import oja_pca  # noqa: E402
import sanger_pca  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import spikeplast as sp  # noqa: E402


def angles(W: np.ndarray, Q: np.ndarray) -> np.ndarray:
    cos = np.abs(np.sum(W * Q[:, :W.shape[0]].T, axis=1)) / np.linalg.norm(W, axis=1)
    return np.degrees(np.arccos(np.minimum(cos, 1.0)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--backend", default="jax", choices=("jax", "brian2"))
    ap.add_argument("--out", default="pca.png")
    args = ap.parse_args()
    _, Q = _pca.data()
    fig = Figure(figsize=(11, 5), layout="constrained")
    axes = fig.subplots(2, 6)
    for row, (mod, epochs) in enumerate(((oja_pca, 20), (sanger_pca, 40))):
        res = sp.simulate(mod.build(), (2000 * epochs + 1) * 0.1 * sp.ms, backend=args.backend)
        trace = res.weights["W"]
        W = trace.matrix(-1)
        a = angles(W, Q)
        print(f"{mod.__name__}: angles to the true components (°):", np.round(a, 2))
        for k in range(W.shape[0]):
            sign = np.sign(W[k] @ Q[:, k])
            axes[row, k].imshow(np.stack([sign * W[k] / np.linalg.norm(W[k]), Q[:, k]]),
                                cmap="RdBu_r", vmin=-0.8, vmax=0.8, aspect="auto")
            axes[row, k].set_title(f"PC{k + 1}: {a[k]:.1f}°", fontsize=9)
            axes[row, k].set_yticks([0, 1], ["learned", "true"])
        for k in range(W.shape[0], 5):
            axes[row, k].axis("off")
        history = np.array([angles(trace.matrix(i), Q) for i in range(trace.values.shape[0])])
        axes[row, 5].plot(trace.times, history)
        axes[row, 5].set_yscale("log")
        axes[row, 5].set_title(f"{mod.__name__}: angle (°)", fontsize=9)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
