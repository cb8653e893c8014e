"""Checkpoints: the portable final state, resuming from it, and its file.

Oracles: the uninterrupted run (a resumed run must equal it bit for bit on JAX), and the
other backend (Brian2's final state equals JAX's; a Brian2 checkpoint continued on JAX
gives Brian2's own spikes).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import spikeplast as sp
from spikeplast import Hz, ms, mV, nS, pF
from spikeplast.errors import ResultsFileError, SpecError, UnsupportedFeature

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
import mixed  # noqa: E402


def stdp_net(delay_ms: float = 0.0, seed: int = 3, rate: float = 40.0) -> sp.Network:
    """Poisson → LIF with STDP (and a delay), plus recurrent static synapses."""
    inputs = sp.PoissonInput(name="inputs", n=60, rate=rate * Hz)
    cells = sp.LIF(name="cells", n=20, tau_m=10 * ms, c_m=100 * pF, v_rest=-70 * mV,
                   v_reset=-60 * mV, v_th=-54 * mV, t_ref=2 * ms,
                   ports=(sp.ConductancePort(name="ge", tau=5 * ms, e_rev=0 * mV),))
    stdp = sp.STDP(a_plus=0.002 * nS, a_minus=-0.0021 * nS, w_max=1 * nS,
                   tau_plus=20 * ms, tau_minus=20 * ms)
    delay = {"delay": delay_ms * ms} if delay_ms else {}
    return sp.Network(
        name="checkpointed", seed=seed, populations=(inputs, cells),
        projections=(
            sp.Projection(name="plastic", source="inputs", target="cells", port="ge",
                          connectivity=sp.FixedProbability(p=0.5),
                          weight=sp.Uniform(0 * nS, 1 * nS), plasticity=stdp, **delay),
            sp.Projection(name="recurrent", source="cells", target="cells", port="ge",
                          connectivity=sp.FixedProbability(p=0.2), weight=0.2 * nS,
                          **delay)),
        monitors=(sp.SpikeMonitor(population="cells"),
                  sp.StateMonitor(population="cells", variables=("v",), indices=[0, 5],
                                  every=7)))


def joined(a: sp.Results, b: sp.Results, mon: str) -> tuple[np.ndarray, np.ndarray]:
    return (np.concatenate([a.spikes[mon].indices, b.spikes[mon].indices]),
            np.concatenate([a.spikes[mon].times, b.spikes[mon].times]))


def assert_same_state(x: sp.SimState, y: sp.SimState, rtol: float = 0.0,
                      rng: bool = True) -> None:
    """Equal steps, arrays and values; Brian2's random-generator bytes are compared only
    when both states hold them (a JAX state has none) and ``rng``."""
    assert x.step == y.step
    key = "brian2/rng"
    assert set(x.values) - {key} == set(y.values) - {key}
    for k in x.values:
        if k == key and (key not in y.values or not rng):
            continue
        if rtol == 0.0:
            assert np.array_equal(x[k], y[k]), k
        else:
            assert np.allclose(x[k], y[k], rtol=rtol, atol=1e-15), k


@pytest.mark.parametrize("delay_ms", [0.0, 1.5])
def test_jax_resume_is_bit_for_bit(tmp_path, delay_ms):
    net = stdp_net(delay_ms)
    full = sp.simulate(net, 200 * ms, dtype="float64")
    for split in range(900, 1000, 7):  # a step with spikes in flight through the delays
        head = sp.simulate(net, split * 0.1 * ms, dtype="float64")
        if not delay_ms or np.any(head.final_state["cells/ge/pending"] != 0):
            break
    path = head.final_state.save(tmp_path / "ck.npz")
    snap = sp.load_state(path)
    assert snap.step == split and snap.metadata["backend"] == "jax"
    if delay_ms:  # spikes in flight and the history of delayed plastic synapses are kept
        assert "cells/ge/pending" in snap.values and "inputs/recent_steps" in snap.values
        assert np.any(snap["cells/ge/pending"] != 0)
    assert "inputs/next_spike" in snap.values  # the Poisson inputs' next spikes
    tail = sp.simulate(net, (2000 - split) * 0.1 * ms, dtype="float64", initial_state=snap)
    i, t = joined(head, tail, "cells")
    assert len(full.spikes["cells"]) > 50
    assert np.array_equal(i, full.spikes["cells"].indices)
    assert np.array_equal(t, full.spikes["cells"].times)
    v = np.concatenate([head.states["cells"]["v"], tail.states["cells"]["v"]])
    assert np.array_equal(v, full.states["cells"]["v"])
    assert np.array_equal(np.concatenate([head.states["cells"].times,
                                          tail.states["cells"].times]),
                          full.states["cells"].times)
    assert_same_state(tail.final_state, full.final_state)
    assert not np.array_equal(full.final_state["plastic/w"], head.final_state["plastic/w"])


def test_jax_resume_of_the_mixed_model_is_bit_for_bit():
    net = mixed.build(duration_s=0.3)
    full = sp.simulate(net, 300 * ms, dtype="float64")
    head = sp.simulate(net, 130 * ms, dtype="float64")
    tail = sp.simulate(net, 170 * ms, dtype="float64", initial_state=head.final_state)
    assert_same_state(tail.final_state, full.final_state)
    for mon in full.spikes:
        i, t = joined(head, tail, mon)
        assert np.array_equal(i, full.spikes[mon].indices)
        assert np.array_equal(t, full.spikes[mon].times)


def test_brian2_final_state_equals_jax_and_continues_on_jax():
    """Frozen inputs, float64: Brian2's exported state equals JAX's; continued on JAX it
    gives the spikes Brian2 itself produces in the uninterrupted run."""
    net = stdp_net()
    kw = {"freeze_inputs": True}
    b_full = sp.simulate(net, 160 * ms, backend="brian2", **kw)
    b_head = sp.simulate(net, 80 * ms, backend="brian2", **kw)
    j_head = sp.simulate(net, 80 * ms, dtype="float64", **kw)
    assert b_head.final_state.metadata["backend"] == "brian2"
    assert_same_state(b_head.final_state, j_head.final_state, rtol=1e-9)
    tail = sp.simulate(net, 80 * ms, dtype="float64", initial_state=b_head.final_state, **kw)
    assert len(tail.spikes["cells"]) > 20
    late = b_full.spikes["cells"].times >= 80e-3 - 1e-12
    assert np.array_equal(tail.spikes["cells"].indices, b_full.spikes["cells"].indices[late])
    assert np.allclose(tail.spikes["cells"].times, b_full.spikes["cells"].times[late],
                       rtol=0, atol=1e-12)
    assert np.allclose(tail.final_state["plastic/w"], b_full.final_state["plastic/w"],
                       rtol=1e-9, atol=1e-18)


def test_brian2_rate_and_filter_state_equals_jax():
    net = mixed.build(duration_s=0.1)
    b = sp.simulate(net, 100 * ms, backend="brian2", freeze_inputs=True)
    j = sp.simulate(net, 100 * ms, dtype="float64", freeze_inputs=True)
    assert_same_state(b.final_state, j.final_state, rtol=1e-9)


@pytest.mark.parametrize("delay_ms", [0.0, 1.5])
def test_brian2_resume_equals_the_uninterrupted_brian2_run(delay_ms):
    """Brian2 continues its own checkpoint: the state's arrays go in as run-time inputs,
    the clocks start at the state's step, spikes still in the delays go back into the
    spike queues (delayed STDP) or are added as pending input (static synapses). Oracle:
    Brian2's uninterrupted run, with frozen inputs; same binary arithmetic, so the
    spikes, the recorded samples and the whole end state must be identical."""
    net = stdp_net(delay_ms)
    kw = {"freeze_inputs": True}
    full = sp.simulate(net, 160 * ms, backend="brian2", **kw)
    head = sp.simulate(net, 80 * ms, backend="brian2", **kw)
    tail = sp.simulate(net, 80 * ms, backend="brian2", initial_state=head.final_state, **kw)
    if delay_ms:
        assert np.any(head.final_state["cells/ge/pending"] != 0)
    late = full.spikes["cells"].times >= 80e-3 - 1e-12
    assert late.sum() > 20
    assert np.array_equal(tail.spikes["cells"].indices, full.spikes["cells"].indices[late])
    assert np.array_equal(tail.spikes["cells"].times, full.spikes["cells"].times[late])
    mon = next(iter(full.states))
    later = full.states[mon].times >= 80e-3 - 1e-12  # sampled every 7 steps: 0.0805 s on
    assert np.array_equal(tail.states[mon].times, full.states[mon].times[later])
    assert np.array_equal(tail.states[mon]["v"], full.states[mon]["v"][later])
    assert tail.metadata["start_step"] == 800
    assert_same_state(tail.final_state, full.final_state)


def test_a_jax_checkpoint_continues_on_brian2():
    """A JAX state (float64, delays in flight: pending input and the recent spikes of
    delayed STDP) continued on Brian2 gives the spikes of Brian2's uninterrupted run
    (the two backends' states agree to 1e-9, test above)."""
    net = stdp_net(1.5)
    kw = {"freeze_inputs": True}
    full = sp.simulate(net, 160 * ms, backend="brian2", **kw)
    j_head = sp.simulate(net, 80 * ms, dtype="float64", **kw)
    tail = sp.simulate(net, 80 * ms, backend="brian2", initial_state=j_head.final_state, **kw)
    late = full.spikes["cells"].times >= 80e-3 - 1e-12
    assert late.sum() > 20
    assert np.array_equal(tail.spikes["cells"].indices, full.spikes["cells"].indices[late])
    assert np.allclose(tail.spikes["cells"].times, full.spikes["cells"].times[late],
                       rtol=0, atol=1e-12)
    # no generator state in a JAX checkpoint: reseeded (frozen inputs draw nothing)
    assert_same_state(tail.final_state, full.final_state, rtol=1e-9, rng=False)


def test_brian2_resume_with_live_inputs_continues_the_random_stream():
    """Live Poisson inputs: a Brian2 checkpoint holds its random generators' state, so the
    resumed run draws what the uninterrupted one draws (oracle: the uninterrupted run,
    exactly). A state without it (JAX's) reseeds from (seed, step): its input spikes must
    not repeat the first segment's, and their count is Poisson with the spec's rate
    (mean 60 inputs · 40 Hz · 80 ms = 192; within 4 sd)."""
    net = stdp_net()
    net = net.replace(monitors=(*net.monitors, sp.SpikeMonitor(population="inputs")))
    full = sp.simulate(net, 160 * ms, backend="brian2")
    head = sp.simulate(net, 80 * ms, backend="brian2")
    tail = sp.simulate(net, 80 * ms, backend="brian2", initial_state=head.final_state)
    for mon in ("inputs", "cells"):
        late = full.spikes[mon].times >= 80e-3 - 1e-12
        assert late.sum() > 20
        assert np.array_equal(tail.spikes[mon].indices, full.spikes[mon].indices[late])
        assert np.array_equal(tail.spikes[mon].times, full.spikes[mon].times[late])
    assert_same_state(tail.final_state, full.final_state)
    j_head = sp.simulate(net, 80 * ms, dtype="float64")
    fresh = sp.simulate(net, 80 * ms, backend="brian2", initial_state=j_head.final_state)
    a, b = head.spikes["inputs"], fresh.spikes["inputs"]
    assert b.times.min() >= 80e-3 - 1e-12
    assert not (len(a) == len(b) and np.array_equal(a.indices, b.indices))
    assert abs(len(b) - 192) < 4 * np.sqrt(192)


def _resume_cases() -> dict[str, tuple]:
    import hopfield
    from test_discrete_stdp import X
    from test_discrete_stdp import network as discrete

    return {  # network, total and head steps, options
        "mixed": (mixed.build(duration_s=0.2), 2000, 900, {"freeze_inputs": True}),
        "hopfield_async": (hopfield.build(update="async", max_sweeps=6), 601, 250, {}),
        "discrete_stdp": (discrete(), X.shape[0], X.shape[0] // 2, {}),
        "oja_shuffled_patterns": (oja_net(), 300, 131, {})}


def oja_net() -> sp.Network:
    """Oja on shuffled patterns shown every 3 steps over two epochs (the presentation and
    its own clock keep absolute time)."""
    x = np.random.default_rng(5).normal(size=(50, 6))
    return sp.Network(
        name="oja_resume", seed=2,
        populations=(sp.RatePatterns(name="data", patterns=x, every=3, order="shuffled",
                                     epochs=2),
                     sp.RatePopulation(name="out", n=2, every=3)),
        projections=(sp.Projection(name="W", source="data", target="out", port="input",
                                   connectivity=sp.AllToAll(), weight=sp.Uniform(0.0, 0.1),
                                   plasticity=sp.Oja(learning_rate=0.01)),),
        monitors=(sp.StateMonitor(population="out", variables=("y",), every=3),))


@pytest.mark.parametrize("case", ["mixed", "hopfield_async", "discrete_stdp",
                                  "oja_shuffled_patterns"])
def test_brian2_resumes_rate_filter_and_discrete_networks_exactly(case):
    """Rate populations (BCM on a spike-rate filter; an asynchronous Hopfield network
    with its sweep and convergence bookkeeping, stopped mid-sweep) and a discrete layer
    with discrete STDP, continued on Brian2. Oracle: Brian2's uninterrupted run — every
    spike, every recorded sample and the whole end state identical."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    net, total, head_n, kw = _resume_cases()[case]
    dt = net.dt
    full = sp.simulate(net, total * dt * sp.second, backend="brian2", **kw)
    head = sp.simulate(net, head_n * dt * sp.second, backend="brian2", **kw)
    tail = sp.simulate(net, (total - head_n) * dt * sp.second, backend="brian2",
                       initial_state=head.final_state, **kw)
    t0 = head_n * dt - 1e-12
    for mon in full.spikes:
        late = full.spikes[mon].times >= t0
        assert np.array_equal(tail.spikes[mon].indices, full.spikes[mon].indices[late])
        assert np.array_equal(tail.spikes[mon].times, full.spikes[mon].times[late])
    for mon, trace in full.states.items():
        later = trace.times >= t0
        assert later.sum() > 0
        assert np.array_equal(tail.states[mon].times, trace.times[later])
        for var in trace.values:
            assert np.array_equal(tail.states[mon][var], trace[var][later]), (mon, var)
    assert_same_state(tail.final_state, full.final_state)


def test_brian2_runtime_targets_cannot_continue_and_say_so():
    snap = sp.simulate(stdp_net(), 10 * ms, dtype="float64").final_state
    with pytest.raises(UnsupportedFeature, match="brian2.*target = 'numpy'"):
        sp.simulate(stdp_net(), 10 * ms, backend="brian2", target="numpy", initial_state=snap)


def test_brian2_state_with_spikes_in_flight_equals_jax_and_continues_on_jax():
    """Brian2's queues cannot be read back: the input still travelling through the
    delays is rebuilt from the sources' last spikes. Oracles: JAX's own ring buffer, and
    Brian2's uninterrupted run for the continuation."""
    net = stdp_net(1.5)
    kw = {"freeze_inputs": True}
    b_full = sp.simulate(net, 160 * ms, backend="brian2", **kw)
    b_head = sp.simulate(net, 80 * ms, backend="brian2", **kw)
    j_head = sp.simulate(net, 80 * ms, dtype="float64", **kw)
    snap = b_head.final_state
    assert np.any(snap["cells/ge/pending"] != 0)
    assert_same_state(snap, j_head.final_state, rtol=1e-9)
    tail = sp.simulate(net, 80 * ms, dtype="float64", initial_state=snap, **kw)
    late = b_full.spikes["cells"].times >= 80e-3 - 1e-12
    assert len(tail.spikes["cells"]) > 20
    assert np.array_equal(tail.spikes["cells"].indices, b_full.spikes["cells"].indices[late])
    assert np.allclose(tail.spikes["cells"].times, b_full.spikes["cells"].times[late],
                       rtol=0, atol=1e-12)


def test_spikes_in_flight_rebuilt_from_recorded_spikes_equal_the_jax_buffers():
    """``in_flight`` (what Brian2's export uses) against the JAX backend's ring buffer and
    spike history, with live inputs so that delayed plastic synapses keep a history."""
    from spikeplast.state import compacted_sources, in_flight

    net = stdp_net(1.5)
    net = net.replace(monitors=(*net.monitors, sp.SpikeMonitor(population="inputs")))
    res = sp.simulate(net, 73 * ms, dtype="float64")
    snap = res.final_state
    plan = sp.lower(net, n_steps=snap.step)
    spikes = {name: (res.spikes[name].indices, np.round(res.spikes[name].times / net.dt)
                     .astype(np.int64)) for name in ("inputs", "cells")}
    rebuilt = in_flight(plan, spikes, snap.step, compacted_sources(plan))
    assert {"cells/ge/pending", "inputs/recent_steps", "cells/recent_indices"} <= set(rebuilt)
    assert snap["inputs/recent_steps"].size > 0 and np.any(snap["cells/ge/pending"] != 0)
    for k, a in rebuilt.items():
        assert np.allclose(a, snap[k], rtol=1e-12, atol=0), k


def test_a_snapshot_of_another_network_or_shape_is_refused(tmp_path):
    net = stdp_net()
    snap = sp.simulate(net, 10 * ms).final_state
    with pytest.raises(SpecError, match="another network"):
        sp.simulate(stdp_net(seed=4), 10 * ms, initial_state=snap)
    broken = sp.SimState(snap.step, {k: v for k, v in snap.values.items() if k != "cells/v"},
                         snap.metadata)
    short = sp.SimState(snap.step, {**snap.values, "cells/v": np.zeros(3)}, snap.metadata)
    for backend in ("jax", "brian2"):  # refused before anything compiles
        with pytest.raises(SpecError, match="cells/v"):
            sp.simulate(net, 10 * ms, backend=backend, initial_state=broken)
        with pytest.raises(SpecError, match=r"'cells/v' has shape \(3,\)"):
            sp.simulate(net, 10 * ms, backend=backend, initial_state=short)
    with pytest.raises(SpecError, match="SimState"):
        sp.simulate(net, 10 * ms, initial_state={"cells/v": np.zeros(20)})


def test_checkpoint_files_are_checked(tmp_path):
    snap = sp.simulate(stdp_net(), 10 * ms).final_state
    path = snap.save(tmp_path / "ck.npz")
    again = sp.load_state(path)
    assert_same_state(snap, again)
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ResultsFileError, match="cut.npz"):
        sp.load_state(tmp_path / "cut.npz")
    results = sp.simulate(stdp_net(), 5 * ms).save(tmp_path / "results.npz")
    with pytest.raises(ResultsFileError, match="results file, not a checkpoint"):
        sp.load_state(results)  # a results file is not a checkpoint
    snap.save(path)  # overwriting keeps a whole file (written to a temporary, then renamed)
    assert_same_state(sp.load_state(path), snap)
