"""Rate rules on the JAX backend: patterns per second and first-call time, next to a bare
jit-compiled loop of the same rule (the NumPy reference as a ``lax.scan``) in the same run.

    python benchmarks/rate_rules.py [--patterns 200000] [--json out.json]

For each rule: ``first call`` is the wall time of the first ``simulate()`` in a fresh
process (lowering, tracing, compiling and running ``--first`` patterns; imports not
counted; compiled code not kept on disk, so nothing comes from earlier runs);
``spikeplast`` is patterns per second of a warm run of ``--patterns`` patterns (the scan
only; no monitors: W is read from ``Results.final_state``); ``bare`` is the same for the
bare loop; both are the best of five runs. Hopfield recall is batched
(``predict_batch(energy=False)``, probes per second, 20 synchronous iterations each, the
whole call timed, best of 20 calls of a few milliseconds; the bare loop likewise; its
first call is the first ``predict_batch`` after storing the patterns).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

RULES = {"oja": (20, 1), "sanger": (20, 4), "bcm": (20, 4), "bcmode": (20, 4),
         "hebbian": (100, 100), "online": (20, 4)}


def network(kind: str, x: np.ndarray):
    import spikeplast as sp

    n_in, n_out = RULES[kind]
    rule = {"oja": sp.Oja(learning_rate=1e-4), "sanger": sp.Sanger(learning_rate=1e-4),
            "bcm": sp.BCM(learning_rate=1e-4), "bcmode": sp.BCMODE(tau_w=1e4, tau_theta=10.0),
            "hebbian": sp.Hebbian(), "online": sp.OnlineHebbian(learning_rate=1e-6)}[kind]
    w0 = np.random.default_rng(0).uniform(0, 0.1, (n_out, n_in))
    return sp.Network(
        name=kind, populations=(sp.RatePatterns(name="data", patterns=x),
                                sp.RatePopulation(name="out", n=n_out)),
        projections=(sp.Projection(name="W", source="data", target="out", port="input",
                                   connectivity=sp.DenseMatrix(weights=w0, keep_zeros=True),
                                   plasticity=rule),))  # W is read from the final state


def data(kind: str, n: int) -> np.ndarray:
    n_in = RULES[kind][0]
    rng = np.random.default_rng(1)
    if kind == "hebbian":
        return rng.choice([-1.0, 1.0], (n, n_in))
    return rng.normal(size=(n, n_in)) * 0.3 + (0.5 if kind.startswith("bcm") else 0.0)


def bare(kind: str, x: np.ndarray) -> float:
    """Patterns/s of the rule as a plain jitted lax.scan over the inputs (float32)."""
    import jax
    import jax.numpy as jnp

    n_in, n_out = RULES[kind]
    W0 = jnp.asarray(np.random.default_rng(0).uniform(0, 0.1, (n_out, n_in)), jnp.float32)
    xs = jnp.asarray(x, jnp.float32)
    rho = float(x.mean())

    def body(c, xv):
        W, th = c
        y = W @ xv
        if kind == "oja":
            W = W + 1e-4 * (jnp.outer(y, xv) - (y * y)[:, None] * W)
            W = W / jnp.linalg.norm(W, axis=1, keepdims=True)
        elif kind == "sanger":
            W = W + 1e-4 * (jnp.outer(y, xv) - jnp.tril(jnp.outer(y, y)) @ W)
            W = W / jnp.linalg.norm(W, axis=1, keepdims=True)
        elif kind == "bcm":
            W = jnp.clip(W + 1e-4 * jnp.outer(y * (y - th), xv), -10, 10)
            th = th + (y * y - th) / 100
        elif kind == "bcmode":
            W = W + jnp.outer(y * (y - th) / (th + 1e-7), xv) / 1e4
            th = th + (y * y - th) / 10
        elif kind == "online":
            W = W + 1e-6 * jnp.outer(y, xv)
        else:
            t = xv - rho
            W = W + jnp.outer(t, t) / xs.shape[0]
            W = W - jnp.diag(jnp.diag(W))
        return (W, th), None

    run = jax.jit(lambda W, xs: jax.lax.scan(body, (W, jnp.full(n_out, 0.1)), xs)[0])
    jax.block_until_ready(run(W0, xs))
    return xs.shape[0] / best(lambda: jax.block_until_ready(run(W0, xs)))


def best(call, repeat: int = 5) -> float:
    """The shortest wall time of ``repeat`` calls (seconds): the least disturbed by the
    machine's other work, as ``timeit`` advises; ours and the bare loop alike."""
    times = []
    for _ in range(repeat):
        tic = time.perf_counter()
        call()
        times.append(time.perf_counter() - tic)
    return min(times)


def first_call(kind: str, n: int) -> float:
    """Seconds of the first simulate() (for ``hopfield``: the first ``predict_batch`` of
    ``n`` probes after storing the patterns) in a fresh process, imports excluded, with no
    compiled code kept on disk (``compile_cache=False``): tracing and XLA compiling count."""
    if kind == "hopfield":
        setup = ("from spikeplast.train import HebbianTrainer\n"
                 "pats = np.random.default_rng(2).choice([-1.0, 1.0], (10, 100))\n"
                 "h = HebbianTrainer(dtype='float32', compile_cache=False); h.train(pats)\n")
        call = f"h.predict_batch(np.resize(pats, ({n}, 100)), num_iter=20, energy=False)"
    else:
        setup = f"x = b.data({kind!r}, {n}); net = b.network({kind!r}, x)\n"
        call = ("sp.simulate(net, x.shape[0] * 0.1 * sp.ms, dtype='float32', "
                "compile_cache=False)")
    code = (f"import sys; sys.path.insert(0, {repr(str(__file__).rsplit('/', 1)[0])}); "
            "import rate_rules as b, time, spikeplast as sp, numpy as np\n" + setup
            + f"tic = time.perf_counter(); {call}; print(time.perf_counter() - tic)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def ours(kind: str, x: np.ndarray) -> float:
    import spikeplast as sp

    net = network(kind, x)
    sp.simulate(net, x.shape[0] * 0.1 * sp.ms, dtype="float32")  # compile
    runs = []
    for _ in range(5):  # the best of five, as for the bare loop
        res = sp.simulate(net, x.shape[0] * 0.1 * sp.ms, dtype="float32")
        assert res.final_state["W/w"].size == np.prod(RULES[kind])
        runs.append(res.metadata["timings"]["run"])
    return x.shape[0] / min(runs)


def hopfield(n: int, probes: int) -> dict[str, float]:
    import jax
    import jax.numpy as jnp

    from spikeplast.train import HebbianTrainer

    rng = np.random.default_rng(2)
    pats = rng.choice([-1.0, 1.0], (n // 10, n))
    noisy = np.repeat(pats, probes // len(pats) + 1, axis=0)[:probes]
    h = HebbianTrainer(dtype="float32")
    h.train(pats)
    h.predict_batch(noisy, num_iter=20, energy=False)
    ours_rate = probes / best(lambda: h.predict_batch(noisy, num_iter=20, energy=False), 20)
    W, S = jnp.asarray(h.W, jnp.float32), jnp.asarray(noisy, jnp.float32)
    run = jax.jit(lambda S: jax.lax.fori_loop(0, 20, lambda _, s: jnp.sign(s @ W.T), S))
    jax.block_until_ready(run(S))
    return {"first_call_s": first_call("hopfield", probes), "ours_per_s": ours_rate,
            "bare_per_s": probes / best(lambda: jax.block_until_ready(run(S)), 20)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patterns", type=int, default=200_000)
    ap.add_argument("--first", type=int, default=1000)
    ap.add_argument("--probes", type=int, default=2000)
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = {}
    print(f"{'rule':10s} {'first call (s)':>15s} {'spikeplast (1/s)':>17s} {'bare (1/s)':>12s} "
          f"{'ratio':>6s}")
    for kind in RULES:
        n = args.patterns if kind != "hebbian" else args.patterns // 10
        x = data(kind, n)
        row = {"first_call_s": first_call(kind, args.first), "ours_per_s": ours(kind, x),
               "bare_per_s": bare(kind, x)}
        rows[kind] = row
        print(f"{kind:10s} {row['first_call_s']:15.2f} {row['ours_per_s']:17.3g} "
              f"{row['bare_per_s']:12.3g} {row['ours_per_s'] / row['bare_per_s']:6.2f}")
    row = rows["hopfield_recall"] = hopfield(100, args.probes)
    print(f"{'hopfield':10s} {row['first_call_s']:15.2f} {row['ours_per_s']:17.3g} "
          f"{row['bare_per_s']:12.3g} {row['ours_per_s'] / row['bare_per_s']:6.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
