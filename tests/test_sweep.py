"""Sweeps: batched and sharded runs equal the single runs; one compile; clear errors."""

from __future__ import annotations

import dataclasses
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import run_on_cpu_devices

import spikeplast as sp
from spikeplast.backends.jax import compile_count

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "models"))
import cuba  # noqa: E402

WE = [1.4, 1.62, 1.9]
PARAMS = {"exc_exc.weight": [w * sp.mV for w in WE], "exc_inh.weight": [w * sp.mV for w in WE],
          "seed": [0, 1, 2]}


def same(a: sp.Results, b: sp.Results) -> bool:
    return all(np.array_equal(a.spikes[k].times, b.spikes[k].times)
               and np.array_equal(a.spikes[k].indices, b.spikes[k].indices) for k in a.spikes)


def test_batched_sweep_equals_single_runs_bit_for_bit_and_compiles_once(tmp_path):
    net = cuba.build(n=800)
    before = compile_count()
    batch = sp.sweep(net, PARAMS, 200 * sp.ms, dtype="float64", shard=False,
                     cache_dir=tmp_path)  # an empty compile cache: it really compiles
    assert compile_count() - before == 1
    for k, w in enumerate(WE):
        single = sp.simulate(cuba.build(n=800, we=w, seed=k), 200 * sp.ms, dtype="float64")
        assert same(batch[k], single), k
        assert batch[k].metadata["sweep"]["seed"] == str(k)
    assert len({len(r.spikes["exc"]) for r in batch}) == 3  # the values really differ


def test_sharded_sweep_equals_unsharded_on_four_cpu_devices(tmp_path):
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(ROOT / 'models')!r})
        import jax, numpy as np, spikeplast as sp, cuba
        assert len(jax.devices()) == 4
        params = {{"exc_exc.weight": [w * sp.mV for w in (1.3, 1.5, 1.62, 1.7, 1.9)]}}
        a = sp.sweep(cuba.build(n=800), params, 100 * sp.ms, dtype="float64", shard=True)
        b = sp.sweep(cuba.build(n=800), params, 100 * sp.ms, dtype="float64", shard=False)
        ok = [bool(np.array_equal(x.spikes["exc"].times, y.spikes["exc"].times) and
                   np.array_equal(x.spikes["exc"].indices, y.spikes["exc"].indices))
              for x, y in zip(a, b)]
        print(json.dumps({{"ok": ok, "devices": a[0].metadata["batch"]["devices"],
                           "n": [len(x.spikes["exc"]) for x in a]}}))
    """)
    res = run_on_cpu_devices(script)
    assert res["devices"] == 4
    assert all(res["ok"]) and len(res["ok"]) == 5  # 5 variants: padded to 8 on 4 devices


def test_sweep_rejects_structural_changes_and_bad_keys():
    net = cuba.build(n=400)
    with pytest.raises(sp.SpecError, match="different structure|other shapes"):
        sp.sweep(net, {"exc_exc.delay": [0 * sp.ms, 1 * sp.ms]}, 10 * sp.ms)
    with pytest.raises(sp.SpecError, match="names no population.*Did you mean 'exc_exc'"):
        sp.sweep(net, {"exc_ex.weight": [1 * sp.mV]}, 10 * sp.ms)
    with pytest.raises(sp.SpecError, match="same length"):
        sp.sweep(net, {"seed": [1, 2], "exc_exc.weight": [1 * sp.mV]}, 10 * sp.ms)


@pytest.mark.brian2
def test_brian2_sweep_reuses_one_binary_and_matches_jax(tmp_path):
    net = cuba.build(n=400)
    params = {"exc_exc.weight": [w * sp.mV for w in WE], "exc_inh.weight": [w * sp.mV for w in WE]}
    b = sp.sweep(net, params, 100 * sp.ms, backend="brian2", cache_dir=tmp_path)
    assert b[0].metadata["timings"]["compile"] > 0
    assert all(r.metadata["timings"]["compile"] == 0 for r in b[1:])
    j = sp.sweep(net, params, 100 * sp.ms, dtype="float64", shard=False)
    for x, y in zip(b, j):
        assert same(x, y)


def test_variants_share_equal_connectivity_and_only_that():
    """A sweep lowers and builds its variants once per connectivity: variants drawn with
    the same seed share the JAX tables, another seed gets its own; each decodes to the
    synapses its own network lowers to on its own. (A fixed in-degree gives every seed the
    same synapse count, so only the synapses themselves tell the seeds apart.)"""
    from spikeplast.lowering import lower_variants
    from spikeplast.sweep import variants

    base = cuba.build(n=800)
    base = base.replace(projections=tuple(dataclasses.replace(
        q, connectivity=sp.FixedInDegree(k=40)) for q in base.projections))
    nets = variants(base, {"exc_exc.weight": [1.4 * sp.mV, 1.9 * sp.mV, 1.4 * sp.mV],
                           "seed": [0, 0, 3]})
    plans = list(lower_variants(nets))
    alone = [sp.lower(n) for n in nets]
    first = sp.build(plans[0])
    sims = [first, first.variant(plans[1]), first.variant(plans[2])]
    tables = [s._params["adj"]["events"]["tgt"] for s in sims]
    assert tables[1] is tables[0] and tables[2] is not tables[0]
    for sim, plan, lowered in zip(sims, alone, plans):
        found = sim.connectivity()
        for name, q in plan.projections.items():
            assert np.array_equal(lowered.projections[name].i, q.i), name
            assert np.array_equal(lowered.projections[name].j, q.j), name
            order = np.lexsort((q.j, q.i))
            assert np.array_equal(found[name][0], q.i[order]), name
            assert np.array_equal(found[name][1], q.j[order]), name
    assert not np.array_equal(alone[0].projections["exc_exc"].i, alone[2].projections["exc_exc"].i)


def test_weight_only_sweep_equals_single_runs_bit_for_bit():
    weights = [1.3, 1.62, 1.9, 2.0]
    batch = sp.sweep(cuba.build(n=800), {"exc_exc.weight": [w * sp.mV for w in weights],
                                         "exc_inh.weight": [w * sp.mV for w in weights]},
                     200 * sp.ms, dtype="float64")
    for k, w in enumerate(weights):
        assert same(batch[k], sp.simulate(cuba.build(n=800, we=w), 200 * sp.ms,
                                          dtype="float64")), k
    assert len({len(r.spikes["exc"]) for r in batch}) == 4


def test_sweep_whose_spike_buffer_grows_mid_run_equals_single_runs():
    """Each variant's chunk is recorded while the other variants run; when any variant's
    spike buffer overflowed, every variant runs the chunk again with the larger buffer
    and what was recorded of it is dropped. Oracle: single runs with the same options
    (spikes, rates and v). Variant 1 overflows a buffer of 8 in chunks 3 and 4 of 7."""
    weights = [1.2, 2.4]
    opts = {"dtype": "float64", "spike_capacity": 8, "chunk_steps": 300}
    batch = sp.sweep(cuba.build(n=800, record_v=3),
                     {"exc_exc.weight": [w * sp.mV for w in weights],
                      "exc_inh.weight": [w * sp.mV for w in weights]}, 200 * sp.ms, **opts)
    for k, w in enumerate(weights):
        single = sp.simulate(cuba.build(n=800, we=w, record_v=3), 200 * sp.ms, **opts)
        assert same(batch[k], single), k
        for name, trace in single.rates.items():
            assert np.array_equal(batch[k].rates[name].rate, trace.rate), (k, name)
        assert np.array_equal(batch[k].states["exc"]["v"], single.states["exc"]["v"]), k
    # in variant 1 (the last single run) the buffer really overflowed after the first chunk
    per_step = sum(np.bincount(np.round(single.spikes[p].times / single.dt).astype(int),
                               minlength=2000) for p in ("exc", "inh"))
    assert (per_step[300:] > 8).any()
