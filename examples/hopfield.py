"""Hopfield storage and recall with the trainer facade: store 10×10 ±1 images, recall
from probes with 20 % of the pixels flipped, plot patterns, probes, recalls and energy.

    python examples/hopfield.py --backend jax
    python examples/hopfield.py --backend brian2 --out hopfield_brian2.png
"""

from __future__ import annotations

import argparse

import numpy as np
from matplotlib.figure import Figure

from spikeplast.train import HebbianTrainer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--backend", default="jax", choices=("jax", "brian2"))
    ap.add_argument("--patterns", type=int, default=4)
    ap.add_argument("--out", default="hopfield.png")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    pats = rng.choice([-1.0, 1.0], (args.patterns, 100))
    probes = pats.copy()
    for p in probes:
        p[rng.choice(100, 20, replace=False)] *= -1
    net = HebbianTrainer(backend=args.backend)
    net.train(pats)
    recalled = net.predict_batch(probes, num_iter=10, tol=0.0)
    overlap = np.sum(recalled * pats, axis=1) / 100
    print("overlap with the stored pattern:", np.round(overlap, 3))
    print("sweeps used:", net.last.sweeps, "converged:", net.last.converged)

    fig = Figure(figsize=(2 * args.patterns + 3, 6.5), layout="constrained")
    axes = fig.subplots(3, args.patterns + 1, squeeze=False)
    for k in range(args.patterns):
        for row, (img, title) in enumerate(((pats[k], "stored"), (probes[k], "probe"),
                                            (recalled[k], f"recalled ({overlap[k]:.2f})"))):
            ax = axes[row, k]
            ax.imshow(img.reshape(10, 10), cmap="gray", vmin=-1, vmax=1)
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, -1].imshow(net.W, cmap="RdBu_r")
    axes[0, -1].set_title("W", fontsize=9)
    ax = axes[1, -1]
    for e in net.last.energy:
        ax.plot(e, marker=".")
    ax.set_title("energy per step", fontsize=9)
    axes[2, -1].axis("off")
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
