"""Parameter sweeps: B variants of one network, compiled once.

``sweep(net, {"exc.tau_m": [10*ms, 20*ms], "exc_exc.weight": [1*mV, 2*mV]}, 1*second)``
runs two variants (the value lists are zipped). A key is ``"seed"``, or
``"<population or projection>.<field>"``, or ``"<projection>.plasticity.<field>"``.
On the JAX backend the variants share one executable that compiles once (on a single CPU
device the single-run one, called for as many variants at once as there are cores;
vmapped on accelerators; the batch is sharded over all devices when there are several),
and variants that differ only in values share their connectivity; on Brian2 they run one
after another through one compiled binary with ``run_args``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .backends import get_backend
from .errors import SpecError, did_you_mean
from .lowering import lower_variants
from .results import Results
from .simulate import n_steps_for, simulate, versions
from .spec import Network

__all__ = ["sweep", "variants"]


def _set(net: Network, path: str, value: Any) -> Network:
    if path == "seed":
        return net.replace(seed=value)
    name, _, rest = path.partition(".")
    if not rest:
        raise SpecError(f"sweep(): key {path!r} is invalid; write 'seed', "
                        f"'<population>.<field>' or '<projection>.<field>'.")
    objects = {o.name: o for o in (*net.populations, *net.projections)}
    if name not in objects:
        raise SpecError(f"sweep(): key {path!r} names no population or projection; known: "
                        f"{', '.join(objects)}.{did_you_mean(name, objects)}")
    obj = objects[name]
    field, _, sub = rest.partition(".")
    if sub:  # e.g. projection.plasticity.learning_rate
        inner = getattr(obj, field, None)
        if not dataclasses.is_dataclass(inner) or sub not in {f.name for f in
                                                              dataclasses.fields(inner)}:
            raise SpecError(f"sweep(): key {path!r}: {field!r} of '{name}' has no field "
                            f"{sub!r}.")
        value = dataclasses.replace(inner, **{sub: value})
    elif field not in {f.name for f in dataclasses.fields(obj) if f.init}:
        known = [f.name for f in dataclasses.fields(obj) if f.init]
        raise SpecError(f"sweep(): key {path!r}: {type(obj).__name__} '{name}' has no field "
                        f"{field!r}; known: {', '.join(known)}.{did_you_mean(field, known)}")
    new = dataclasses.replace(obj, **{field: value})
    pops = tuple(new if p is obj else p for p in net.populations)
    projs = tuple(new if p is obj else p for p in net.projections)
    return net.replace(populations=pops, projections=projs)


def variants(net: Network, params: Mapping[str, Sequence[Any]]) -> list[Network]:
    """The networks of a sweep: variant ``b`` sets every key to its ``b``-th value."""
    if not params:
        raise SpecError("sweep(): give at least one parameter to vary.")
    lengths = {k: len(v) for k, v in params.items()}
    if len(set(lengths.values())) != 1:
        raise SpecError(f"sweep(): every value list must have the same length; got "
                        f"{lengths}.")
    out = []
    for b in range(next(iter(lengths.values()))):
        variant = net
        for path, values in params.items():
            variant = _set(variant, path, values[b])
        out.append(variant)
    return out


def sweep(net: Network, params: Mapping[str, Sequence[Any]], duration: Any, *,
          backend: str = "jax", freeze_inputs: bool = False, shard: bool = True,
          progress: Callable[[int, int], None] | None = None, **options: Any
          ) -> list[Results]:
    """Run the variants of ``net`` given by ``params`` and return one result each.

    Args:
        net: the base network.
        params: key -> one value per variant (see the module docstring).
        duration: simulated time of every variant.
        backend: ``"jax"`` (one executable) or ``"brian2"`` (one binary, ``run_args``).
        freeze_inputs: pre-draw Poisson inputs per variant (from its seed).
        shard: on JAX, split the batch over all devices when there are several.
        **options: backend options.
    """
    nets = variants(net, params)
    if backend != "jax":
        results = []
        for k, v in enumerate(nets):
            res = simulate(v, duration, backend=backend, freeze_inputs=freeze_inputs,
                           **options)
            res.metadata["sweep"] = {p: str(vals[k]) for p, vals in params.items()}
            results.append(res)
        return results
    module = get_backend("jax")
    n_steps = n_steps_for(duration, net.dt)
    tic = time.perf_counter()
    lowered = lower_variants(nets, n_steps=n_steps, freeze_inputs=freeze_inputs)
    plans = [next(lowered)]
    module.check(plans[0], options)
    from .backends.jax._batch import JaxBatch, compile_ahead

    sims = [module.build(plans[0], **options)]
    # XLA compiles the first variant's executable while the others are lowered, checked
    # (variants differ in values only, so they check as the first) and built
    ahead = compile_ahead(sims[0], n_steps, shard=shard)
    for plan in lowered:
        module.check(plan, options)
        plans.append(plan)
    sims += [sims[0].variant(plan) for plan in plans[1:]]
    found = versions("jax")  # while XLA compiles
    batch = JaxBatch(sims, shard=shard, ahead=ahead)
    recordings = batch.run(n_steps, progress=progress)
    import jax

    total = time.perf_counter() - tic
    out = []
    for k, (v, plan, rec) in enumerate(zip(nets, plans, recordings)):
        meta = {"backend": "jax", "backend_options": dict(options), "versions": dict(found),
                "network": v.name, "seed": v.seed, "spec_hash": plan.spec_hash, "dt": v.dt,
                "duration": n_steps * v.dt, "n_steps": n_steps, "freeze_inputs": freeze_inputs,
                "populations": {n: int(p.n) for n, p in plan.populations.items()},
                "sweep": {p: str(vals[k]) for p, vals in params.items()},
                "batch": {"size": len(nets), "devices": len(jax.devices()) if shard else 1},
                "timings": {**batch.timings, "total": total}}
        out.append(rec.results(n_steps, meta))
    return out
