"""Trainers: ``train`` / ``predict`` / ``predict_batch`` for each rate rule, in the shape
the seed packages (canns's trainers) offer them — built on the spec and the scheduler.

Every call builds a small :class:`~spikeplast.Network` and runs it on the chosen backend:
``train`` presents the patterns through a :class:`~spikeplast.RatePatterns` input to a
rate population whose incoming projection carries the rule, and reads the weights back;
``predict`` runs the trained weights without the rule. So a trainer gives exactly what a
spec with the same rule gives, on JAX or on Brian2::

    hopfield = HebbianTrainer(backend="brian2")
    hopfield.train(patterns)                     # W ← W + Σ t tᵀ / P, diag 0
    recalled = hopfield.predict_batch(noisy, num_iter=20)

    pca = SangerTrainer(4, learning_rate=1e-3)
    pca.train(data, epochs=10, order="shuffled")
    components = pca.W                           # (4, n_in)

``predict_batch`` on JAX runs all inputs at once: Hopfield recall as one
``jit(vmap)`` over the initial states with the weights shared, feed-forward rules as one
run presenting the inputs in order. On Brian2 Hopfield recall runs once per probe,
through one compiled binary.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from brian2.units import second

from .errors import SimulationError, SpecError
from .results import Results
from .simulate import build, simulate
from .spec import (
    BCM,
    BCMODE,
    AntiHebbian,
    DenseMatrix,
    Hebbian,
    Network,
    Oja,
    OnlineHebbian,
    Projection,
    RatePatterns,
    RatePopulation,
    Sanger,
    StateMonitor,
)

__all__ = ["HebbianTrainer", "AntiHebbianTrainer", "OjaTrainer", "SangerTrainer",
           "BCMTrainer", "BCMODETrainer", "OnlineHebbianTrainer", "Recall"]


def _patterns(where: str, patterns: Any, n: int | None = None) -> np.ndarray:
    """Patterns as a finite float array ``(P, n)``."""
    try:
        p = np.asarray(patterns, dtype=float)
    except (TypeError, ValueError):
        raise SpecError(f"{where}: patterns must be numbers; got "
                        f"{type(patterns).__name__}.") from None
    if p.ndim == 1:
        p = p[None]
    if p.ndim != 2 or 0 in p.shape:
        raise SpecError(f"{where}: patterns must be a 2-D array (patterns × units); got shape "
                        f"{p.shape}.")
    if n is not None and p.shape[1] != n:
        raise SpecError(f"{where}: patterns have {p.shape[1]} units; this trainer has {n}.")
    if not np.all(np.isfinite(p)):
        raise SpecError(f"{where}: patterns contain NaN or infinite values.")
    return p


def _final_matrix(res: Results, projection: str, shape: tuple[int, ...]) -> np.ndarray:
    """The dense W (``[post, pre]``) of a DenseMatrix projection (keeping zeros) at the
    end of a run; its synapses are numbered by source, then target."""
    w = np.array(res.final_state[f"{projection}/w"], dtype=float)
    return w.reshape(shape[1], shape[0]).T.copy()


class _Trainer:
    """Backend choice and the runs every trainer makes."""

    def __init__(self, backend: str, seed: int, options: dict[str, Any]) -> None:
        self.backend, self.seed, self.options = backend, seed, dict(options)
        if backend == "jax":
            self.options.setdefault("dtype", "float64")

    def _simulate(self, net: Network, n_steps: int) -> Results:
        res = simulate(net, n_steps * float(net.dt) * second, backend=self.backend,
                       **self.options)
        stop = res.metadata.get("stopped")
        if stop is not None:  # on_nan="stop": no end state to take weights from
            raise SimulationError(
                f"{type(self).__name__}: the run stopped at t = {stop['time']:g} s "
                f"({stop['where']} became NaN or infinite); the trainer's weights are left "
                f"as they were. Lower the learning rate or normalise the weights.")
        return res


class HebbianTrainer(_Trainer):
    """Hopfield storage and recall (canns HebbianTrainer with an AmariHopfieldNetwork).

    ``train(patterns)`` adds ``Σ_μ t_μ t_μᵀ`` (``t = x − ρ`` with ``subtract_mean``; ÷P with
    ``normalize_by_patterns``; diagonal zeroed with ``zero_diagonal``) to ``W``, presenting
    one pattern per step through a :class:`~spikeplast.Hebbian` projection. ``predict``
    runs ``s ← f((W s − threshold)/T)`` from the probe: ``update="sync"`` (every unit per
    iteration) or ``"async"`` (one unit at a time, a fresh random order per sweep).

    Args:
        n: units (default: taken from the first patterns trained).
        subtract_mean, zero_diagonal, normalize_by_patterns: the storage options (canns
            defaults).
        activation: ``sign`` (canns's default), ``tanh`` or ``sigmoid``.
        threshold: subtracted from every unit's input (``bias = −threshold``).
        temperature: ``T`` of ``tanh``/``sigmoid``.
        update: ``sync`` or ``async``.
        backend: ``"jax"`` or ``"brian2"``; ``seed`` drives the asynchronous orders.
        **options: backend options (JAX default ``dtype="float64"``).
    """

    rule = Hebbian

    def __init__(self, n: int | None = None, *, subtract_mean: bool = True,
                 zero_diagonal: bool = True, normalize_by_patterns: bool = True,
                 activation: str = "sign", threshold: float = 0.0, temperature: float = 1.0,
                 update: str = "sync", backend: str = "jax", seed: int = 0,
                 **options: Any) -> None:
        super().__init__(backend, seed, options)
        self.storage = self.rule(subtract_mean=subtract_mean, zero_diagonal=zero_diagonal,
                                 normalize_by_patterns=normalize_by_patterns)
        self.activation, self.threshold = activation, threshold
        self.temperature, self.update = temperature, update
        self.W: np.ndarray | None = None if n is None else np.zeros((n, n))
        self.last: Recall | None = None
        self._sim: tuple[Any, Any] | None = None  # the recall simulation, for reuse
        if n is not None:
            self._recall_net(np.zeros((1, n)), 1, None)  # check the recall options now

    @property
    def n(self) -> int | None:
        return None if self.W is None else self.W.shape[0]

    def train(self, patterns: Any) -> np.ndarray:
        """Store ``patterns`` (``(P, n)``) onto the existing weights; returns the new W."""
        name = type(self).__name__
        p = _patterns(f"{name}.train", patterns, self.n)
        if self.W is None:
            self.W = np.zeros((p.shape[1], p.shape[1]))
        n_pat = p.shape[0]
        net = Network(
            name="hebbian_storage", seed=self.seed,
            populations=(RatePatterns(name="patterns", patterns=p),
                         RatePopulation(name="memory", n=p.shape[1])),
            projections=(Projection(name="W", source="patterns", target="memory",
                                    port="input", plasticity=self.storage,
                                    connectivity=DenseMatrix(weights=self.W, keep_zeros=True)),),
            )
        self.W = _final_matrix(self._simulate(net, n_pat), "W", self.W.shape)
        return self.W

    def _recall_net(self, probes: np.ndarray, num_iter: int, tol: float | None,
                    energy: bool = True) -> Network:
        """The recall network; the result is the final state of ``memory``. Updates stop
        after ``num_iter`` sweeps when something runs past them (the energy monitor's
        last step, which records the final state) or when convergence is tested; with
        neither, the network runs exactly ``num_iter`` sweeps and nothing gates them."""
        n = probes.shape[1]
        W = self.W if self.W is not None else np.zeros((n, n))
        gated = energy or tol is not None
        return Network(
            name="hopfield_recall", seed=self.seed,
            populations=(RatePopulation(name="memory", n=n, activation=self.activation,
                                        bias=-self.threshold, init=probes[0],
                                        temperature=self.temperature, update=self.update,
                                        max_sweeps=num_iter if gated else None, tol=tol),),
            projections=(Projection(name="W", source="memory", target="memory", port="input",
                                    connectivity=DenseMatrix(weights=W, keep_zeros=True)),),
            monitors=(StateMonitor(name="recall", population="memory", indices=[0],
                                   variables=("energy",)),) if energy else ())

    def _steps(self, n: int, num_iter: int, energy: bool) -> int:
        """Steps for ``num_iter`` sweeps, plus one to record the final energy."""
        return num_iter * (n if self.update == "async" else 1) + int(energy)

    def predict(self, pattern: Any, num_iter: int = 20, tol: float | None = None,
                energy: bool = True) -> np.ndarray:
        """Recall from one probe: at most ``num_iter`` sweeps, stopping early after a sweep
        that changes ``Σ|Δs|`` by at most ``tol`` (``None``: run all ``num_iter``, as canns).
        ``self.last`` holds the energy trace (unless ``energy=False``, which saves one
        ``W·s`` per step), sweeps used and convergence."""
        return self.predict_batch(pattern, num_iter=num_iter, tol=tol, energy=energy)[0]

    def predict_batch(self, patterns: Any, num_iter: int = 20, tol: float | None = None,
                      energy: bool = True) -> np.ndarray:
        """Recall from every probe in ``patterns`` (``(B, n)``); returns ``(B, n)``."""
        name = type(self).__name__
        probes = _patterns(f"{name}.predict", patterns, self.n)
        net = self._recall_net(probes, num_iter, tol, energy)
        n_steps = self._steps(probes.shape[1], num_iter, energy)
        if self.backend == "jax":
            key = (hash(net.projections[0].connectivity.weights.tobytes()), num_iter, tol,
                   probes.shape[1], energy)
            if self._sim is None or self._sim[0] != key:
                self._sim = (key, build(net, backend="jax", **self.options))
            traces, end = self._sim[1].run_states({"memory": {"y": probes}}, n_steps)
            final = {v: end["memory"][v] for v in ("y", "sweeps", "converged")}
            trace = traces["recall"]["energy"][:, :, 0] if energy else None
        else:
            pop = net.populations[0]
            results = [self._simulate(net.replace(populations=(
                dataclasses.replace(pop, init=probe),)), n_steps) for probe in probes]
            final = {v: np.stack([r.final_state[f"memory/{v}"] for r in results])
                     for v in ("y", "sweeps", "converged")}
            trace = (np.stack([r.states["recall"]["energy"][:, 0] for r in results])
                     if energy else None)
        if not (energy or tol is not None):  # ungated, uncounted: all num_iter ran
            final["sweeps"] = np.full(probes.shape[0], num_iter)
        self.last = Recall(trace, final["sweeps"], final["converged"].astype(bool))
        return np.asarray(final["y"], dtype=float)


class AntiHebbianTrainer(HebbianTrainer):
    """Anti-Hebbian unlearning (canns AntiHebbianTrainer): ``train`` subtracts
    ``Σ t tᵀ`` (same options). Share ``W`` with the trainer that stored the patterns
    (``anti.W = hebb.W``); to forget one pattern and keep the others, store and unlearn with
    ``normalize_by_patterns=False, subtract_mean=False`` (see :class:`~spikeplast.Hebbian`)."""

    rule = AntiHebbian


@dataclasses.dataclass(frozen=True)
class Recall:
    """What a batch of recalls did, per probe: the energy at the start of every step
    (``(B, steps)``; None when not recorded), the sweeps run and whether it converged."""

    energy: np.ndarray | None
    sweeps: np.ndarray
    converged: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "sweeps", np.asarray(self.sweeps).astype(int))
        object.__setattr__(self, "converged", np.asarray(self.converged).astype(bool))


class _FeedForwardTrainer(_Trainer):
    """A linear rate layer ``y = W x`` learning with one rate rule."""

    def __init__(self, n_out: int, rule: Any, *, W: Any = None, init_scale: float = 0.1,
                 backend: str = "jax", seed: int = 0, **options: Any) -> None:
        super().__init__(backend, seed, options)
        if isinstance(n_out, bool) or not isinstance(n_out, int) or n_out < 1:
            raise SpecError(f"{type(self).__name__}: n_out = {n_out!r} is invalid; it must be "
                            f"a whole number >= 1.")
        self.n_out, self.rule, self.init_scale = n_out, rule, init_scale
        self.W: np.ndarray | None = None if W is None else np.array(W, dtype=float)
        self.theta: np.ndarray | None = None

    def _net(self, x: np.ndarray, rule: Any, epochs: int, order: str,
             monitors: tuple) -> Network:
        return Network(
            name=f"{type(self).__name__}", seed=self.seed,
            populations=(RatePatterns(name="inputs", patterns=x, epochs=epochs, order=order),
                         RatePopulation(name="outputs", n=self.n_out)),
            projections=(Projection(name="W", source="inputs", target="outputs", port="input",
                                    connectivity=DenseMatrix(weights=self.W, keep_zeros=True),
                                    plasticity=rule),),
            monitors=monitors)

    def train(self, patterns: Any, epochs: int = 1, order: str = "in_order") -> np.ndarray:
        """Present ``patterns`` (``(P, n_in)``) ``epochs`` times (``in_order`` or
        ``shuffled`` from the seed), one per step, learning with the rule; returns W.
        W starts uniform in ±``init_scale`` from the seed; θ of BCM carries over calls."""
        x = _patterns(f"{type(self).__name__}.train", patterns,
                      None if self.W is None else self.W.shape[1])
        if self.W is None:
            rng = np.random.default_rng(self.seed)
            self.W = rng.uniform(-self.init_scale, self.init_scale, (self.n_out, x.shape[1]))
        rule = self.rule
        if isinstance(rule, (BCM, BCMODE)) and self.theta is not None:
            rule = dataclasses.replace(rule, theta0=self.theta)
        res = self._simulate(self._net(x, rule, epochs, order, ()), x.shape[0] * epochs)
        self.W = _final_matrix(res, "W", self.W.shape)
        if isinstance(rule, (BCM, BCMODE)):
            self.theta = np.array(res.final_state["outputs/theta"])
        return self.W

    def predict(self, pattern: Any) -> np.ndarray:
        """``y = W x`` for one input."""
        return self.predict_batch(pattern)[0]

    def predict_batch(self, patterns: Any) -> np.ndarray:
        """``y = W x`` for every input (``(B, n_in)`` → ``(B, n_out)``), in one run."""
        if self.W is None:
            raise SpecError(f"{type(self).__name__}.predict: train first (or pass W=).")
        x = _patterns(f"{type(self).__name__}.predict", patterns, self.W.shape[1])
        net = self._net(x, None, 1, "in_order",
                        (StateMonitor(population="outputs", variables=("y",)),))
        res = self._simulate(net, x.shape[0] + 1)
        return res.states["outputs"]["y"][1:]


class OjaTrainer(_FeedForwardTrainer):
    """Oja's rule (canns OjaTrainer): ``n_out`` linear units, ``learning_rate`` 0.01,
    ``normalize_weights`` True."""

    def __init__(self, n_out: int = 1, *, learning_rate: float = 0.01,
                 normalize_weights: bool = True, **kwargs: Any) -> None:
        super().__init__(n_out, Oja(learning_rate=learning_rate, normalize=normalize_weights),
                         **kwargs)


class SangerTrainer(_FeedForwardTrainer):
    """Sanger's rule / GHA (canns SangerTrainer): the top ``n_out`` principal components."""

    def __init__(self, n_out: int, *, learning_rate: float = 0.01,
                 normalize_weights: bool = True, **kwargs: Any) -> None:
        super().__init__(n_out, Sanger(learning_rate=learning_rate,
                                       normalize=normalize_weights), **kwargs)


class OnlineHebbianTrainer(_FeedForwardTrainer):
    """Plain online Hebb ``W ← W + η y xᵀ``."""

    def __init__(self, n_out: int, *, learning_rate: float = 0.01, **kwargs: Any) -> None:
        super().__init__(n_out, OnlineHebbian(learning_rate=learning_rate), **kwargs)


class BCMTrainer(_FeedForwardTrainer):
    """BCM with a discrete sliding threshold (canns BCMTrainer; θ0 0.1, τ_θ 100)."""

    def __init__(self, n_out: int, *, learning_rate: float = 0.01, threshold_tau: float = 100.0,
                 theta0: float = 0.1, w_clip: float = 10.0, **kwargs: Any) -> None:
        super().__init__(n_out, BCM(learning_rate=learning_rate, threshold_tau=threshold_tau,
                                    theta0=theta0, w_clip=w_clip), **kwargs)


class BCMODETrainer(_FeedForwardTrainer):
    """BCM as ngc-learn's BCMSynapse ODE (θ0 defaults to 1, not ngc-learn's −1)."""

    def __init__(self, n_out: int, *, tau_w: float, tau_theta: float, **rule: Any) -> None:
        keys = {"dt", "theta0", "w_bound", "w_decay", "resist_scale"}
        super().__init__(n_out, BCMODE(tau_w=tau_w, tau_theta=tau_theta,
                                       **{k: v for k, v in rule.items() if k in keys}),
                         **{k: v for k, v in rule.items() if k not in keys})

