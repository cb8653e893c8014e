"""Numerical faults are reported with their place and time, or stop the run keeping what
was recorded before them — never carried on silently."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_python

import spikeplast as sp
from spikeplast import Hz, ms, mV


def overflowing_network():
    """Two synapses of 3e38 V arrive at neuron 1 of 'post' at 5 ms: in float32 the port
    overflows to infinity. A second population fires normally all along."""
    kick = sp.SpikeTrainInput(name="kick", n=2, indices=[0, 1], times=[5, 5] * ms)
    post = sp.LIF(name="post", n=3, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                  v_th=-50 * mV, ports=(sp.CurrentPort(name="ge", tau=5 * ms),))
    busy = sp.LIF(name="busy", n=5, tau_m=10 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                  v_th=-50 * mV, drive=100 * mV)
    noise = sp.PoissonInput(name="noise", n=3, rate=10 * Hz)
    return sp.Network(populations=(kick, noise, post, busy), projections=(
        sp.Projection(name="huge", source="kick", target="post", port="ge",
                      connectivity=sp.FromIndices(i=[0, 1], j=[1, 1]), weight=3e41 * mV),),
        monitors=(sp.SpikeMonitor(population="busy"),
                  sp.StateMonitor(population="post", variables=("v",))))


def test_nan_or_inf_is_reported_with_population_variable_neuron_and_time():
    with pytest.raises(sp.SimulationError) as info:
        sp.simulate(overflowing_network(), 20 * ms)
    msg = str(info.value)
    for words in ("population 'post'", "variable 'ge'", "neuron 1", "step 50", "t = 0.005 s"):
        assert words in msg, msg


def test_the_accelerator_check_inside_the_executable_finds_the_fault(monkeypatch):
    """On accelerators the end state's finiteness is reduced inside the chunk's
    executable (on CPU the host reads the state); force that path here."""
    import dataclasses

    from spikeplast.backends.jax._backend import JaxSimulation

    config = JaxSimulation._config
    monkeypatch.setattr(JaxSimulation, "_config", lambda self, *a, **k: dataclasses.replace(
        config(self, *a, **k), device_check=True))
    with pytest.raises(sp.SimulationError, match="neuron 1"):
        sp.simulate(overflowing_network(), 20 * ms, compile_cache=False)
    with pytest.raises(sp.SimulationError, match="variant 1 became NaN"):
        sp.sweep(overflowing_network(), {"huge.weight": [1 * mV, 3e41 * mV]}, 20 * ms,
                 compile_cache=False)
    assert "stopped" not in sp.simulate(overflowing_network(), 20 * ms, dtype="float64",
                                        compile_cache=False).metadata


def test_stop_on_nan_keeps_everything_recorded_before_the_fault():
    res = sp.simulate(overflowing_network(), 20 * ms, on_nan="stop", chunk_steps=120)
    stop = res.metadata["stopped"]
    assert stop["step"] == 50 and "neuron 1" in stop["where"]
    assert res.duration == pytest.approx(0.005)
    # what happened before the fault is all there, and equals an uninterrupted run of 5 ms
    clean = sp.simulate(overflowing_network(), 5 * ms)
    assert np.array_equal(res.spikes["busy"].times, clean.spikes["busy"].times)
    assert len(res.spikes["busy"]) > 0
    assert res.states["post"]["v"].shape[0] == 50
    assert np.all(np.isfinite(res.states["post"]["v"]))


def test_a_sweep_reports_the_variant_that_became_non_finite():
    """Variant 1 of 3 has the overflowing weight; the others are harmless. Every
    variant's end state is checked after each chunk, so the sweep names variant 1."""
    net = overflowing_network()
    with pytest.raises(sp.SimulationError, match="variant 1 became NaN or infinite"):
        sp.sweep(net, {"huge.weight": [1 * mV, 3e41 * mV, 2 * mV]}, 20 * ms)
    ok = sp.sweep(net, {"huge.weight": [1 * mV, 2 * mV]}, 20 * ms)
    assert all(np.isfinite(r.states["post"]["v"]).all() for r in ok)


def test_float64_runs_the_same_network_without_fault():
    res = sp.simulate(overflowing_network(), 20 * ms, dtype="float64")
    assert "stopped" not in res.metadata


def test_invalid_on_nan_is_rejected():
    with pytest.raises(sp.SpecError, match="on_nan"):
        sp.simulate(overflowing_network(), 1 * ms, on_nan="ignore")


@pytest.mark.brian2
def test_brian2_reports_a_non_finite_state_after_the_run(tmp_path):
    net = overflowing_network()
    q = net.projections[0]
    net = net.replace(projections=(q.__class__(**{
        **{f: getattr(q, f) for f in ("name", "source", "target", "port", "connectivity")},
        "weight": 1e308 * sp.volt}),))  # two of 1e308 V overflow float64
    with pytest.raises(sp.SimulationError, match="population 'post', variable 'ge', neuron 1"):
        sp.simulate(net, 10 * ms, backend="brian2", cache_dir=tmp_path)
    with pytest.raises(sp.UnsupportedFeature, match="on_nan"):
        sp.simulate(net, 10 * ms, backend="brian2", on_nan="stop")


@pytest.mark.parametrize("backend", ["jax", "brian2"])
def test_same_spec_and_seed_give_identical_results_across_processes(tmp_path, backend):
    """Live (not frozen) Poisson noise included: JAX keys come from the seed, Brian2 seeds
    its generator from it; two fresh processes must agree exactly."""
    import textwrap
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    script = textwrap.dedent(f"""
        import sys, json, numpy as np
        sys.path.insert(0, {str(root / 'tests')!r})
        from test_cross_backend import small_network
        import spikeplast as sp
        r = sp.simulate(small_network("current", "exact"), 100 * sp.ms, backend={backend!r})
        r.save(sys.argv[1])
        print(json.dumps({{k: len(v) for k, v in r.spikes.items()}}))
    """)
    outs = []
    for k in range(2):
        path = tmp_path / f"r{k}.npz"
        counts = run_python(script, str(path))
        outs.append(sp.load_results(path))
        assert sum(counts.values()) > 0
    a, b = outs
    for name in a.spikes:
        assert np.array_equal(a.spikes[name].indices, b.spikes[name].indices)
        assert np.array_equal(a.spikes[name].times, b.spikes[name].times)
    for key in ("seed", "spec_hash", "versions", "backend_options", "dt", "duration"):
        assert a.metadata[key] == b.metadata[key]


def test_a_monitor_that_would_exceed_memory_is_refused_before_running():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
    import cuba

    from spikeplast.backends.jax import compile_count

    net = cuba.build(record_v=3200)  # v, ge, gi of 3200 neurons every step
    before = compile_count()
    gib = 3 * 3200 * 10_000_000 * 8 / 2**30  # 3 float64 variables of 3200 neurons, 1e7 steps
    with pytest.raises(sp.SimulationError, match=f"StateMonitor 'exc' alone takes {gib:.2f} GiB"):
        sp.simulate(net, 1000 * sp.second, max_record_bytes=2**30)  # 10 M steps
    assert compile_count() == before  # nothing was built or run
    # the estimate is exact: a small run records what it said
    from spikeplast.simulate import recording_bytes
    res = sp.simulate(cuba.build(n=400, record_v=5), 10 * sp.ms)
    plan = sp.lower(cuba.build(n=400, record_v=5))
    expected = recording_bytes(plan, 100)["StateMonitor 'exc'"]
    assert sum(v.nbytes for v in res.states["exc"].values.values()) == expected
