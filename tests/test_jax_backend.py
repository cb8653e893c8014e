"""JAX backend mechanics: overflow, compile reuse, chunking, precision, the CUBA regime."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import run_python

import spikeplast as sp
from spikeplast import Hz, ms, mV
from spikeplast.backends.jax import compile_count

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
import cuba  # noqa: E402


def burst_network(n=400, tau_m=20 * ms, weight=3 * mV):
    """Every neuron is pushed over threshold at once: hundreds of spikes in one step."""
    pop = sp.LIF(name="pop", n=n, tau_m=tau_m, v_rest=-65 * mV, v_reset=-65 * mV,
                 v_th=-50 * mV, t_ref=2 * ms, ports=(sp.CurrentPort(name="ge", tau=5 * ms),),
                 init={"v": sp.Uniform(-51 * mV, -49.9 * mV)})
    noise = sp.PoissonInput(name="noise", n=50, rate=30 * Hz)
    return sp.Network(
        seed=5, populations=(noise, pop),
        projections=(sp.Projection(name="in", source="noise", target="pop", port="ge",
                                   connectivity=sp.FixedProbability(p=0.3), weight=weight),
                     sp.Projection(name="rec", source="pop", target="pop", port="ge",
                                   connectivity=sp.FixedProbability(p=0.05), weight=0.5 * mV,
                                   delay=1 * ms)),
        monitors=(sp.SpikeMonitor(population="pop"),))


def test_spike_buffer_overflow_raises_when_asked():
    with pytest.raises(sp.SimulationError,
                       match=r"\d+ spikes in one step.*'pop' emitted at least \d+.*holds 8"):
        sp.simulate(burst_network(), 50 * ms, spike_capacity=8, on_overflow="raise")


def test_spike_buffer_overflow_grows_and_loses_nothing():
    small = sp.simulate(burst_network(), 100 * ms, spike_capacity=4, dtype="float64")
    big = sp.simulate(burst_network(), 100 * ms, spike_capacity=400, dtype="float64")
    first_step = np.sum(big.spikes["pop"].times == big.spikes["pop"].times.min())
    assert first_step > 4  # the small buffer really overflowed
    assert np.array_equal(small.spikes["pop"].indices, big.spikes["pop"].indices)
    assert np.array_equal(small.spikes["pop"].times, big.spikes["pop"].times)


def test_spike_record_of_a_busy_chunk_grows_and_loses_nothing():
    """A chunk records its spikes one step after another into a buffer sized for an
    average rate; 64 neurons driven far above threshold fire as soon as refractoriness
    allows (every 1, 2, 3 or 4 steps from step 0, where v first crosses: 33 spikes per
    step), far past that average. Oracle: the closed form of each neuron's train, every
    chunk (the last one shorter) included, in a single run and in a sweep (whose variants
    share one record size)."""
    refs = np.tile([1, 2, 3, 4], 16)
    fast = sp.LIF(name="fast", n=refs.size, tau_m=20 * ms, v_rest=-65 * mV,
                  v_reset=-65 * mV, v_th=-50 * mV, t_ref=refs * 0.1 * ms, drive=10_000 * mV)
    net = sp.Network(seed=1, populations=(fast,), monitors=(sp.SpikeMonitor(population="fast"),))
    n_steps = 1000

    def closed_form(indices, steps, scale=1):
        for i, r in enumerate(refs * scale):
            assert np.array_equal(steps[indices == i], np.arange(0, n_steps, r)), i

    sim = sp.build(net, backend="jax", dtype="float64", chunk_steps=300)
    _, rec = sim.run(n_steps)
    closed_form(*rec.spike_steps("fast"))
    assert sim._per_step > 8  # the record really grew past its first size (8 per step)
    # the quieter variant first: its record alone would be too small for the other's
    batch = sp.sweep(net, {"fast.t_ref": [refs * 0.2 * ms, refs * 0.1 * ms]}, 100 * ms,
                     dtype="float64", chunk_steps=300)
    for res, scale in zip(batch, (2, 1)):
        s = res.spikes["fast"]
        closed_form(s.indices, np.round(s.times / res.dt).astype(int), scale=scale)


def test_new_parameter_values_reuse_the_compiled_scan():
    sp.simulate(burst_network(), 20 * ms)
    before = compile_count()
    r1 = sp.simulate(burst_network(tau_m=10 * ms, weight=4 * mV), 20 * ms)
    r2 = sp.simulate(burst_network().replace(seed=11), 20 * ms)
    assert compile_count() == before
    assert r1.metadata["timings"]["compile"] == 0.0 == r2.metadata["timings"]["compile"]
    # and the values really changed the run
    r0 = sp.simulate(burst_network(), 20 * ms)
    assert len(r1.spikes["pop"]) != len(r0.spikes["pop"])


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_while_lowering_and_left_as_it_was(enabled, monkeypatch):
    """Python's garbage collector is off while JAX traces and lowers a chunk function (a
    full collection there cost 40-70 ms), and afterwards as the user had it: on, or off."""
    import gc

    from spikeplast.backends.jax import _backend

    jitted = _backend._jitted
    seen = []

    class Lowering:
        def __init__(self, fn):
            self.fn = fn

        def lower(self, *args):
            seen.append(gc.isenabled())
            return self.fn.lower(*args)

    monkeypatch.setattr(_backend, "_jitted", lambda *a, **k: Lowering(jitted(*a, **k)))
    (gc.enable if enabled else gc.disable)()
    try:
        # chunk lengths no other run compiles, so that this one traces and lowers
        res = sp.simulate(burst_network(), 5 * ms, dtype="float64", compile_cache=False,
                          chunk_steps=31 if enabled else 37)
        assert gc.isenabled() == enabled
    finally:
        gc.enable()
    assert seen and not any(seen)
    assert len(res.spikes["pop"]) > 0


def test_chunked_run_equals_single_chunk_bit_for_bit():
    a = sp.simulate(burst_network(), 200 * ms, dtype="float64", chunk_steps=2000)
    b = sp.simulate(burst_network(), 200 * ms, dtype="float64", chunk_steps=137)
    assert np.array_equal(a.spikes["pop"].indices, b.spikes["pop"].indices)
    assert np.array_equal(a.spikes["pop"].times, b.spikes["pop"].times)


def test_build_once_run_twice_continues_the_state():
    sim = sp.build(burst_network(), dtype="float64")
    state, rec1 = sim.run(1000)
    _, rec2 = sim.run(1000, state)
    whole = sp.simulate(burst_network(), 200 * ms, dtype="float64")
    i1, s1 = rec1.spike_steps("pop")
    i2, s2 = rec2.spike_steps("pop")
    assert np.array_equal(np.concatenate([s1, s2]) * 1e-4, whole.spikes["pop"].times)
    assert np.array_equal(np.concatenate([i1, i2]), whole.spikes["pop"].indices)


def test_float32_is_default_and_float64_on_request():
    sim32 = sp.build(burst_network())
    sim64 = sp.build(burst_network(), dtype="float64")
    s32, _ = sim32.run(10)
    s64, _ = sim64.run(10)
    assert s32["pops"]["pop"]["v"].dtype == np.float32
    assert s64["pops"]["pop"]["v"].dtype == np.float64


def test_cuba_fires_in_the_asynchronous_irregular_regime():
    res = sp.simulate(cuba.build(), 1 * sp.second)
    for pop in ("exc", "inh"):
        s = res.spikes[pop]
        rate = s.mean_rate(1.0)
        assert 2 < rate < 20, rate  # Brian2 gives ~5.7 Hz
        # irregular: coefficient of variation of inter-spike intervals near 1
        cvs = []
        for i in range(0, s.n, 10):
            t = s.times[s.indices == i]
            if t.size > 5:
                isi = np.diff(t)
                cvs.append(isi.std() / isi.mean())
        assert np.mean(cvs) > 0.5
        # asynchronous: the population rate fluctuates much less than a synchronous one
        counts = np.histogram(s.times, np.arange(0, 1.0001, 5e-3))[0]
        assert counts.std() / counts.mean() < 0.6


def test_spike_compaction_returns_every_spike_in_ascending_order():
    """The backend relies on this: each population's spikes are a contiguous run of the
    compacted buffer (STDP loops over them), an overflowing step keeps the lowest
    indices, and the count is exact even past the capacity. Oracle: numpy's nonzero."""
    import jax
    import jax.numpy as jnp

    from spikeplast.backends.jax._backend import _compact_spikes

    def visit(acc, i):  # a hash of the sequence of visited entries
        return (acc * 31 + i) % 1_048_573

    compact = jax.jit(lambda m: _compact_spikes(m, 64, visit, jnp.int32(7)))
    into = jax.jit(lambda m, b, s: _compact_spikes(m, 64, into=(b, s)))
    rng = np.random.default_rng(0)
    for trial in range(160):
        # packed words (a whole number of them, or not), or blocks of the mask
        n = (4000, 4001, 8192, 8193, 20_000, 32_768, 32_769, 40_000)[trial % 8]
        mask = rng.random(n) < rng.random() * (0.03 if trial % 2 else 0.5)
        mask[rng.integers(0, 2, 2) * (n - 1)] = trial % 3 == 0  # the first and last neuron
        idx, count, seen = compact(jnp.asarray(mask))
        want = np.nonzero(mask)[0]
        k = min(want.size, 64)
        assert int(count) == want.size
        assert np.array_equal(np.asarray(idx)[:k], want[:k])
        assert not np.asarray(idx)[k:].any()
        # every true entry is visited once, in ascending order, also past the buffer
        expected = 7
        for i in want:
            expected = (expected * 31 + int(i)) % 1_048_573
        assert int(seen) == expected
        # written into a longer buffer from a given slot on, the rest of it untouched
        start = int(rng.integers(0, 100))
        record, count, _ = into(jnp.asarray(mask), jnp.full(200, -1, jnp.int32), start)
        record = np.asarray(record)
        assert int(count) == want.size
        assert np.array_equal(record[start:start + k], want[:k])
        assert (np.delete(record, np.arange(start, start + k)) == -1).all()


CACHED_RUN = r"""
import json, sys
sys.path.insert(0, {models!r})
import cuba, spikeplast as sp
from spikeplast.backends.jax import compile_count
res = sp.simulate(cuba.build(n=400), 50 * sp.ms, chunk_steps=250)
s = res.spikes["exc"]
print(json.dumps({{"traced": compile_count(), "t": s.times.tolist(), "i": s.indices.tolist()}}))
"""


def test_compiled_chunks_are_kept_on_disk_for_later_processes(tmp_path):
    """A second process loads the executable instead of tracing and compiling it, and
    gets the same spikes; a damaged entry is compiled again and replaced."""
    def run() -> dict:
        code = CACHED_RUN.format(models=str(Path(__file__).resolve().parent.parent / "models"))
        return run_python(code, env={"SPIKEPLAST_CACHE": str(tmp_path)})

    first = run()
    entries = sorted((tmp_path / "jax").glob("*.npz"))
    assert first["traced"] >= 1 and entries and first["t"]
    second = run()
    assert second["traced"] == 0
    assert second["t"] == first["t"] and second["i"] == first["i"]
    for f in entries:  # truncate every entry
        f.write_bytes(f.read_bytes()[:200])
    third = run()
    assert third["traced"] >= 1 and third["t"] == first["t"] and third["i"] == first["i"]
    assert run()["traced"] == 0  # rewritten whole


def test_an_unwritable_compile_cache_costs_only_the_compile(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    net = cuba.build(n=400)
    a = sp.simulate(net, 20 * ms, chunk_steps=123, cache_dir=blocked)
    b = sp.simulate(net, 20 * ms, chunk_steps=123, compile_cache=False)
    assert np.array_equal(a.spikes["exc"].indices, b.spikes["exc"].indices)
    assert blocked.read_text() == "not a directory"


def test_the_written_out_threefry_is_jax_threefry():
    """Constant-rate Poisson inputs hash (step, input) with a Threefry-2x32 written as
    elementwise code. Oracles: the Random123 known-answer vector, and JAX's own
    ``threefry_2x32`` on random counters."""
    import jax.extend.random as jr
    import jax.numpy as jnp

    from spikeplast.backends.jax._backend import _threefry2x32

    u32 = jnp.uint32
    got = _threefry2x32(u32(0x13198A2E), u32(0x03707344), u32(0x243F6A88), u32(0x85A308D3))
    assert [int(x) for x in got] == [0xC4923A9C, 0x483DF7A0]
    rng = np.random.default_rng(5)
    key = rng.integers(0, 2**32, 2, dtype=np.uint64).astype(np.uint32)
    x = rng.integers(0, 2**32, 4000, dtype=np.uint64).astype(np.uint32)
    a, b = _threefry2x32(u32(key[0]), u32(key[1]), jnp.asarray(x[:2000]),
                         jnp.asarray(x[2000:]))
    want = np.asarray(jr.threefry_2x32(jnp.asarray(key), jnp.asarray(x)))
    assert np.array_equal(np.concatenate([a, b]), want)


@pytest.mark.parametrize("x64", [False, True])
def test_the_steps_where_is_jnp_where(x64):
    """The step's ``where`` (one ``select``, no nested jit) against ``jnp.where``: the
    same dtype, weak type, shape and values, for the mixes of arrays and Python scalars
    the step passes, in float32 and float64 mode."""
    import jax
    import jax.numpy as jnp

    from spikeplast.backends.jax._ops import where

    rng = np.random.default_rng(2)
    with jax.enable_x64(x64):
        f = jnp.asarray(rng.normal(size=(5, 3)), jnp.float32)
        i = jnp.asarray(rng.integers(-9, 9, size=(3,)), jnp.int32)
        u = jnp.asarray(rng.integers(0, 9, size=()), jnp.uint32)
        c = jnp.asarray(rng.random((5, 3)) < 0.5)
        cases = [(c, f, 0.0), (c[0], i, 7), (c, f, i), (True, u, 3), (c[:, :1], 2.5, f),
                 (c[0, 0], i, u), (c, 1, 2), (c[0], 1.5, i)]
        for cond, x, y in cases:
            got, want = where(cond, x, y), jnp.where(cond, x, y)
            assert got.dtype == want.dtype and got.shape == want.shape
            assert got.weak_type == want.weak_type
            assert np.array_equal(np.asarray(got), np.asarray(want))


def test_live_poisson_spikes_do_not_depend_on_chunks_or_buffer_size():
    """Constant-rate inputs draw the gap to each input's next spike from (source, step,
    input) alone: other chunk lengths and spike capacities give the same spikes."""
    net = burst_network()
    runs = [sp.simulate(net, 80 * ms, dtype="float64", chunk_steps=c, spike_capacity=k)
            for c, k in ((10_000, None), (137, 4), (50, 512))]
    noise = [sp.simulate(net.replace(monitors=(sp.SpikeMonitor(population="noise"),)),
                         80 * ms, chunk_steps=c, spike_capacity=k).spikes["noise"]
             for c, k in ((10_000, None), (137, 4))]
    assert len(noise[0]) > 50
    assert np.array_equal(noise[0].indices, noise[1].indices)
    assert np.array_equal(noise[0].times, noise[1].times)
    for r in runs[1:]:
        assert np.array_equal(r.spikes["pop"].indices, runs[0].spikes["pop"].indices)
        assert np.array_equal(r.spikes["pop"].times, runs[0].spikes["pop"].times)


def test_delayed_plastic_synapses_lose_nothing_when_the_spike_buffers_overflow():
    """Delayed STDP keeps each step's spikes in a history buffer as wide as the spike
    buffer: when a step overflows both grow and the chunk re-runs. Oracle: the same run
    with buffers that never overflow (float64, bit for bit)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_checkpoint import stdp_net

    net = stdp_net(delay_ms=1.5, rate=1500.0)  # about 9 input spikes per step
    net = net.replace(monitors=(*net.monitors, sp.SpikeMonitor(population="inputs")))
    small = sp.simulate(net, 60 * ms, dtype="float64", spike_capacity=4)
    big = sp.simulate(net, 60 * ms, dtype="float64", spike_capacity=256)
    steps = np.round(big.spikes["inputs"].times / net.dt).astype(int)
    assert np.bincount(steps).max() > 4  # the small buffers really overflowed
    for pop in ("inputs", "cells"):
        assert np.array_equal(small.spikes[pop].indices, big.spikes[pop].indices)
        assert np.array_equal(small.spikes[pop].times, big.spikes[pop].times)
    assert len(big.spikes["cells"]) > 0
    assert np.array_equal(small.final_state["plastic/w"], big.final_state["plastic/w"])


@pytest.mark.parametrize("delay_ms", [0.0, 1.5])
def test_vector_delivery_equals_the_spike_loop_bit_for_bit(delay_ms):
    """``delivery="vector"`` (the default on GPUs: every slot of the spike buffer at once,
    for synapses and STDP alike) against ``"loop"`` (one spike after another, the CPU
    default), float64, on a recurrent STDP network with and without delays, with a buffer
    small enough to overflow and grow. Oracle: the loop; on the CPU the two must be
    identical bit for bit, spikes, weights and every state variable."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_checkpoint import assert_same_state, stdp_net

    net = stdp_net(delay_ms=delay_ms, rate=400.0)
    net = net.replace(monitors=(*net.monitors, sp.SpikeMonitor(population="inputs")))
    runs = [sp.simulate(net, 80 * ms, dtype="float64", spike_capacity=2, delivery=d)
            for d in ("loop", "vector")]
    steps = np.round(runs[0].spikes["inputs"].times / net.dt).astype(int)
    assert np.bincount(steps).max() > 2  # the buffer overflowed and grew
    assert len(runs[0].spikes["cells"]) > 10
    for pop in ("inputs", "cells"):
        assert np.array_equal(runs[0].spikes[pop].indices, runs[1].spikes[pop].indices)
        assert np.array_equal(runs[0].spikes[pop].times, runs[1].spikes[pop].times)
    assert_same_state(runs[0].final_state, runs[1].final_state)


def test_vector_delivery_equals_the_spike_loop_past_the_packed_compaction():
    """Above 32768 sources the loop finds spikes by blocks and delivers them in a loop of
    its own (below, in the pass that finds them). 40000 Poisson inputs (20 spikes per
    step; their next spike steps come from the step's compacted indices) onto STDP cells.
    Oracle: ``delivery="vector"`` (a prefix sum, every slot at once), bit for bit."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_checkpoint import assert_same_state, stdp_net

    net = stdp_net(rate=5.0)
    inputs = sp.PoissonInput(name="inputs", n=40_000, rate=5 * Hz)
    plastic = dataclasses.replace(net.projections[0], connectivity=sp.FixedProbability(p=0.01))
    net = net.replace(populations=(inputs, net.populations[1]),
                      projections=(plastic, net.projections[1]))
    runs = [sp.simulate(net, 30 * ms, dtype="float64", delivery=d) for d in ("loop", "vector")]
    assert len(runs[0].spikes["cells"]) > 10
    assert np.array_equal(runs[0].spikes["cells"].indices, runs[1].spikes["cells"].indices)
    assert np.array_equal(runs[0].spikes["cells"].times, runs[1].spikes["cells"].times)
    assert_same_state(runs[0].final_state, runs[1].final_state)


def test_compile_cache_entries_are_keyed_by_spikeplast_source(tmp_path, monkeypatch):
    """An executable compiled by other spikeplast code must never be loaded: the entry's
    name changes with the source digest (oracle: the digest of the files themselves)."""
    import hashlib

    from spikeplast.backends.jax import _cache

    root = Path(sp.__file__).parent
    digest = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        digest.update(f.relative_to(root).as_posix().encode())
        digest.update(f.read_bytes())
    assert _cache.source_digest() == digest.hexdigest()
    before = _cache.entry(tmp_path, "structure")
    monkeypatch.setattr(_cache, "source_digest", lambda: "edited")
    assert _cache.entry(tmp_path, "structure") != before


def test_compile_cache_entries_are_keyed_by_xla_flags(tmp_path, monkeypatch):
    """XLA_FLAGS change the compiled code (read when a process compiles), so an entry
    written under one set of flags is not the entry another set looks up."""
    from spikeplast.backends.jax import _cache

    monkeypatch.delenv("XLA_FLAGS", raising=False)
    plain = _cache.entry(tmp_path, "structure")
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=true")
    assert _cache.entry(tmp_path, "structure") != plain
    monkeypatch.delenv("XLA_FLAGS")
    assert _cache.entry(tmp_path, "structure") == plain


def test_more_synapses_than_int32_indices_is_unsupported_before_building():
    """Synapses are indexed with int32 in the JAX tables: a network past that limit is an
    UnsupportedFeature naming the backend (checked on the plan's counts; no such network
    fits this machine's memory to build)."""
    from types import SimpleNamespace

    from spikeplast.backends.jax._backend import check

    limit = int(np.iinfo(np.int32).max)
    plan = SimpleNamespace(projections={"a": SimpleNamespace(n_synapses=limit - 1),
                                        "b": SimpleNamespace(n_synapses=2)})
    with pytest.raises(sp.UnsupportedFeature, match="'jax'.* 2147483648 synapses"):
        check(plan, {})
    plan.projections["b"].n_synapses = 1
    check(plan, {})  # int32's largest value: still the index of the padding sink


def _interleaving_net(delay_ms: float) -> sp.Network:
    """Poisson inputs (64) → 96 LIF cells with STDP, recurrent static synapses, per-neuron
    parameters and initial values: both sources are whole 32-neuron words."""
    from spikeplast import nS, pF

    rng = np.random.default_rng(4)
    n = 96
    inputs = sp.PoissonInput(name="inputs", n=64, rate=80 * Hz)
    cells = sp.LIF(name="cells", n=n, tau_m=rng.uniform(8, 14, n) * ms, c_m=100 * pF,
                   v_rest=-70 * mV, v_reset=-60 * mV, v_th=rng.uniform(-56, -52, n) * mV,
                   t_ref=rng.choice([1.0, 2.0, 3.0], n) * ms,
                   ports=(sp.ConductancePort(name="ge", tau=5 * ms, e_rev=0 * mV),),
                   init={"v": rng.uniform(-70, -55, n) * mV, "ge": rng.uniform(0, 2, n) * nS})
    stdp = sp.STDP(a_plus=0.002 * nS, a_minus=-0.0021 * nS, w_max=1 * nS,
                   tau_plus=20 * ms, tau_minus=20 * ms)
    delay = {"delay": delay_ms * ms} if delay_ms else {}
    return sp.Network(
        name="interleaved", seed=9, populations=(inputs, cells),
        projections=(
            sp.Projection(name="plastic", source="inputs", target="cells", port="ge",
                          connectivity=sp.FixedProbability(p=0.3),
                          weight=sp.Uniform(0 * nS, 1 * nS), plasticity=stdp, **delay),
            sp.Projection(name="recurrent", source="cells", target="cells", port="ge",
                          connectivity=sp.FixedProbability(p=0.1), weight=0.3 * nS, **delay)),
        monitors=(sp.SpikeMonitor(population="cells"), sp.SpikeMonitor(population="inputs"),
                  sp.StateMonitor(population="cells", variables=("v", "ge"),
                                  indices=[0, 1, 31, 32, 33, 70, 95])))


def _assert_same_run(net: sp.Network, a: sp.Results, b: sp.Results) -> None:
    """Two runs of ``_interleaving_net`` alike bit for bit: both populations' spikes, the
    state monitor's ``v`` and ``ge`` traces and the end state."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_checkpoint import assert_same_state

    for pop in ("inputs", "cells"):
        assert np.array_equal(a.spikes[pop].indices, b.spikes[pop].indices)
        assert np.array_equal(a.spikes[pop].times, b.spikes[pop].times)
    mon = next(m.name for m in net.monitors if isinstance(m, sp.StateMonitor))
    for var in ("v", "ge"):
        assert np.array_equal(a.states[mon][var], b.states[mon][var])
    assert_same_state(a.final_state, b.final_state)


@pytest.mark.parametrize("delay_ms", [0.0, 1.5])
def test_interleaved_populations_give_the_results_of_neuron_order(delay_ms):
    """Where the loop finds spikes from packed words, a population of a multiple of 32
    neurons is stored interleaved (neuron 32 j + b at position b W + j) so that packing is
    a sum over the major axis. Oracle: ``delivery="vector"``, which stores every
    population in neuron order: bit for bit the same spikes, state-monitor traces of
    chosen neurons, end state (SimState) and decoded connectivity, and a snapshot of one
    restored into the other continues identically."""
    from spikeplast.backends.jax import build
    from spikeplast.lowering import lower

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_checkpoint import assert_same_state

    net = _interleaving_net(delay_ms)
    sims = {d: build(lower(net), dtype="float64", delivery=d) for d in ("loop", "vector")}
    assert set(sims["loop"]._order) == {"cells"}  # the LIF source; Poisson inputs as before
    assert not sims["vector"]._order
    for q in net.projections:  # oracle: the plan's synapses, sorted by (i, j)
        plan_q = sims["vector"].plan.projections[q.name]
        order = np.lexsort((plan_q.j, plan_q.i))
        for sim in sims.values():
            i, j = sim.connectivity()[q.name]
            assert np.array_equal(i, plan_q.i[order]) and np.array_equal(j, plan_q.j[order])
    runs = {d: sp.simulate(net, 60 * ms, dtype="float64", delivery=d) for d in sims}
    a, b = runs["loop"], runs["vector"]
    # a buffer as large as the sources: found by a prefix sum over masks gathered back
    whole = sp.simulate(net, 60 * ms, dtype="float64", delivery="loop", spike_capacity=160)
    assert len(a.spikes["cells"]) > 30
    _assert_same_run(net, a, b)
    for pop in ("inputs", "cells"):
        assert np.array_equal(whole.spikes[pop].indices, b.spikes[pop].indices)
        assert np.array_equal(whole.spikes[pop].times, b.spikes[pop].times)
    # a snapshot taken from the interleaved run continues in the neuron-ordered one
    more = {d: sp.simulate(net, 20 * ms, dtype="float64", delivery=d,
                           initial_state=runs["loop"].final_state) for d in sims}
    assert np.array_equal(more["loop"].spikes["cells"].indices,
                          more["vector"].spikes["cells"].indices)
    assert_same_state(more["loop"].final_state, more["vector"].final_state)


def test_interleaved_positions_invert_the_storage_order():
    """Position ``b W + j`` holds neuron ``32 j + b``; ``_positions`` says where each neuron
    is stored. Oracles: the definition, element by element, and numpy's argsort."""
    from spikeplast.backends.jax._backend import _interleaved, _positions

    for n in (32, 64, 96, 3200):
        W = n // 32
        order = _interleaved(n)
        assert all(order[b * W + j] == 32 * j + b for b in range(32) for j in range(W))
        assert np.array_equal(_positions(n), np.argsort(order))


def test_a_fault_in_an_interleaved_population_names_the_neuron():
    """Neuron 37 of a 64-neuron population (stored at position 11 when interleaved)
    receives two synapses of 3e38 V: the report names neuron 37."""
    kick = sp.SpikeTrainInput(name="kick", n=2, indices=[0, 1], times=[5, 5] * ms)
    post = sp.LIF(name="post", n=64, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                  v_th=-50 * mV, ports=(sp.CurrentPort(name="ge", tau=5 * ms),))
    net = sp.Network(populations=(kick, post), projections=(
        sp.Projection(name="huge", source="kick", target="post", port="ge",
                      connectivity=sp.FromIndices(i=[0, 1], j=[37, 37]), weight=3e41 * mV),),
        monitors=(sp.SpikeMonitor(population="post"),))
    with pytest.raises(sp.SimulationError, match="population 'post', variable 'ge', neuron 37"):
        sp.simulate(net, 10 * ms, compile_cache=False)


def test_a_spike_adds_exactly_its_synapses_weights_and_padding_adds_nothing():
    """The delivery tables are padded to a bucketed width; the padding adds the zero
    weight to inputs spread over the row (not all to one sink address). Oracle: the plan's
    synapses. One step after 8 of 32 LIF drivers and 10 of 40 spike-train sources fire
    (random weights, float64), each cell's port holds exactly the sum of the weights of
    its synapses from them, added in source order, and a cell with none holds exactly 0."""
    from spikeplast.backends.jax import build
    from spikeplast.lowering import lower

    fired = np.arange(0, 32, 4)  # drivers start above threshold and spike in step 0
    drivers = sp.LIF(name="drivers", n=32, tau_m=10 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                     v_th=-50 * mV, t_ref=5 * ms,
                     init={"v": np.where(np.isin(np.arange(32), fired), -40.0, -65.0) * mV})
    kick = sp.SpikeTrainInput(name="kick", n=40, indices=np.arange(0, 40, 4),
                              times=np.zeros(10) * ms)
    ports = (sp.CurrentPort(name="ge", tau=5 * ms), sp.CurrentPort(name="gi", tau=10 * ms))
    cells = sp.LIF(name="cells", n=96, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                   v_th=1000 * mV, t_ref=2 * ms, ports=ports)
    net = sp.Network(
        seed=3, populations=(drivers, kick, cells),
        projections=(
            sp.Projection(name="d", source="drivers", target="cells", port="ge",
                          connectivity=sp.FixedProbability(p=0.2),
                          weight=sp.Uniform(0.1 * mV, 1.0 * mV)),
            sp.Projection(name="k", source="kick", target="cells", port="gi",
                          connectivity=sp.FixedProbability(p=0.15),
                          weight=sp.Uniform(-1.0 * mV, -0.1 * mV))),
        monitors=(sp.StateMonitor(population="cells", variables=("ge", "gi")),))
    sim = build(lower(net), dtype="float64")
    tables = sim._params["adj"]
    assert all(np.any(a["wix"] == a["wix"].max()) for a in tables.values())  # padded
    res = sp.simulate(net, 2 * ms, dtype="float64")
    for name, port, sources in (("d", "ge", fired), ("k", "gi", np.arange(0, 40, 4))):
        q = sim.plan.projections[name]
        expected = np.zeros(96)
        on = np.isin(q.i, sources)
        order = np.argsort(q.i[on], kind="stable")  # delivered source by source
        np.add.at(expected, q.j[on][order], q.w[on][order])
        trace = res.states["cells"][port]
        first = np.flatnonzero(np.any(trace != 0, axis=1))[0]  # the step after delivery
        assert np.count_nonzero(expected) > 20 and np.any(expected == 0)
        assert np.array_equal(trace[first], expected)


def _grouped_and_one_piece(monkeypatch, field: str, run):
    """``run()`` as the CPU runs it (``field`` of the chunk's config true: conditionals,
    checked), then with the step in one piece (``sequenced=False``)."""
    from spikeplast.backends.jax import _backend

    grouped = run()
    config = _backend.JaxSimulation._config
    seen = []

    def one_piece(self, length, diagnose=False):
        cfg = config(self, length, diagnose)
        seen.append(getattr(cfg, field))
        return dataclasses.replace(cfg, sequenced=False)

    monkeypatch.setattr(_backend.JaxSimulation, "_config", one_piece)
    whole = run()
    assert seen and all(seen)  # the default on the CPU was grouped
    return grouped, whole


def test_rate_updates_in_conditionals_give_the_results_of_one_piece(monkeypatch):
    """On the CPU a rate population updated every step updates inside a conditional that
    is always taken, so that XLA runs its kernels in sequence (BCM 100k patterns: 0.017
    against 0.052 s). Oracle: the same update unconditional (``sequenced=False``),
    float64: BCM, its ODE form, Oja, Sanger and the online Hebbian rule give bit for bit
    the same weights along the run and the same end state (W, y, θ)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(600, 10)) * 0.3 + 0.5
    rules = {"bcm": sp.BCM(learning_rate=1e-3), "ode": sp.BCMODE(tau_w=1e3, tau_theta=10.0),
             "oja": sp.Oja(learning_rate=1e-3), "sanger": sp.Sanger(learning_rate=1e-3),
             "online": sp.OnlineHebbian(learning_rate=1e-4)}
    pops = [sp.RatePatterns(name="data", patterns=x)]
    projs, mons = [], []
    for name, rule in rules.items():
        pops.append(sp.RatePopulation(name=name, n=3))
        w0 = rng.uniform(0, 0.1, (3, 10))
        projs.append(sp.Projection(name=f"W_{name}", source="data", target=name,
                                   port="input", plasticity=rule,
                                   connectivity=sp.DenseMatrix(weights=w0, keep_zeros=True)))
        mons.append(sp.WeightMonitor(projection=f"W_{name}", every=50))
    net = sp.Network(name="rates", populations=tuple(pops), projections=tuple(projs),
                     monitors=tuple(mons))
    grouped, whole = _grouped_and_one_piece(
        monkeypatch, "sequenced", lambda: sp.simulate(net, 600 * 0.1 * ms, dtype="float64"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_checkpoint import assert_same_state

    for name in rules:
        a, b = grouped.weights[f"W_{name}"].values, whole.weights[f"W_{name}"].values
        assert a.shape[0] == 12 and not np.array_equal(a[0], a[-1])  # they learned
        assert np.array_equal(a, b), name
    assert_same_state(grouped.final_state, whole.final_state)


@pytest.mark.parametrize("delay_ms", [0.0, 1.5])
def test_a_step_cut_into_conditionals_gives_the_results_of_one_piece(delay_ms, monkeypatch):
    """On the CPU a step of spiking groups runs as conditionals (the groups' update and
    the ports' decay; the compaction and delivery) so that XLA runs each piece's kernels
    in sequence. Oracle: the same step written in one piece (``sequenced=False``; every
    step with rate or discrete layers runs so), float64, with and without delays and with a
    spike buffer small enough to grow: bit for bit the same spikes, traces and end
    state."""
    net = _interleaving_net(delay_ms)
    grouped, whole = _grouped_and_one_piece(
        monkeypatch, "grouped",
        lambda: sp.simulate(net, 40 * ms, dtype="float64", spike_capacity=2))
    assert len(grouped.spikes["cells"]) > 30
    _assert_same_run(net, grouped, whole)
