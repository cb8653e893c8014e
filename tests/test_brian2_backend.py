"""Brian2 backend: runtime targets, compiler faults, concurrent builds, many runs per process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import spikeplast as sp
from spikeplast import ms, mV
from spikeplast.backends import brian2 as b2backend

pytestmark = pytest.mark.brian2
ROOT = Path(__file__).resolve().parent.parent


def tiny(seed=0, tau=10.0, n_kick=3):
    pop = sp.LIF(name="pop", n=20, tau_m=tau * ms, v_rest=-65 * mV, v_reset=-70 * mV,
                 v_th=-55 * mV, t_ref=2 * ms, ports=(sp.CurrentPort(name="ge", tau=3 * ms),),
                 init={"v": sp.Uniform(-70 * mV, -56 * mV)})
    kick = sp.SpikeTrainInput(name="kick", n=n_kick, indices=np.arange(n_kick),
                              times=np.arange(n_kick) * 5 * ms + 1 * ms)
    return sp.Network(seed=seed, populations=(kick, pop), projections=(
        sp.Projection(name="k", source="kick", target="pop", port="ge",
                      connectivity=sp.AllToAll(), weight=40 * mV, delay=0.5 * ms),
        sp.Projection(name="rec", source="pop", target="pop", port="ge",
                      connectivity=sp.FixedProbability(p=0.3), weight=sp.Normal(1 * mV, 0.2 * mV),
                      delay=1 * ms)),
        monitors=(sp.SpikeMonitor(population="pop"),
                  sp.StateMonitor(population="pop", variables=("v",), indices=[0, 1])))


def test_numpy_runtime_target_matches_cpp_standalone():
    net = tiny()
    a = sp.simulate(net, 40 * ms, backend="brian2")
    b = sp.simulate(net, 40 * ms, backend="brian2", target="numpy")
    assert len(a.spikes["pop"]) > 10
    assert np.array_equal(a.spikes["pop"].indices, b.spikes["pop"].indices)
    assert np.array_equal(a.spikes["pop"].times, b.spikes["pop"].times)
    assert np.allclose(a.states["pop"]["v"], b.states["pop"]["v"], rtol=0, atol=1e-12)


def test_many_runs_in_one_process_mixed_with_jax_in_any_order(tmp_path):
    nets = [tiny(seed=s, tau=t) for s, t in ((0, 10.0), (1, 12.0), (0, 10.0))]
    out = []
    for k, net in enumerate(nets):
        backend = "brian2" if k != 1 else "jax"
        opts = {"cache_dir": tmp_path} if backend == "brian2" else {"dtype": "float64"}
        out.append(sp.simulate(net, 40 * ms, backend=backend, **opts))
        out.append(sp.simulate(net, 40 * ms, backend="brian2", target="numpy"))
    # the same network gives the same spikes however runs were interleaved
    assert np.array_equal(out[0].spikes["pop"].times, out[4].spikes["pop"].times)
    assert np.array_equal(out[2].spikes["pop"].indices, out[3].spikes["pop"].indices)


def test_compiler_failure_surfaces_the_compiler_output_and_keeps_the_cache_clean(tmp_path,
                                                                               monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "make").write_text("#!/bin/sh\necho 'objects.cpp:12:3: error: expected ; "
                               "before }' >&2\nexit 2\n")
    (fake / "make").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    cache = tmp_path / "cache"
    with pytest.raises(sp.SimulationError, match=r"(?s)make exit code 2.*expected ; before"):
        sp.simulate(tiny(n_kick=4), 10 * ms, backend="brian2", cache_dir=cache)
    # nothing half-built is left where a later run would pick it up
    assert not [p for p in cache.iterdir() if p.is_dir()]


def test_missing_compiler_says_how_to_fall_back(monkeypatch):
    monkeypatch.setattr(b2backend._backend, "_compiler", lambda: None)
    with pytest.raises(sp.UnsupportedFeature, match="target='numpy'") as info:
        sp.simulate(tiny(), 10 * ms, backend="brian2")
    assert info.value.backend == "brian2"
    # the runtime numpy target needs no compiler (the kicks at 1 and 6 ms make it fire)
    assert len(sp.simulate(tiny(), 10 * ms, backend="brian2", target="numpy").spikes["pop"]) > 0


def test_unsupported_option_is_rejected_before_compiling():
    with pytest.raises(sp.UnsupportedFeature, match="brian2.*float64 only"):
        sp.simulate(tiny(), 10 * ms, backend="brian2", dtype="float32")
    with pytest.raises(sp.SpecError, match="target = 'cuda'"):
        sp.simulate(tiny(), 10 * ms, backend="brian2", target="cuda")


def test_two_processes_building_the_same_structure_at_once(tmp_path):
    script = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {str(ROOT / 'tests')!r})
        from test_brian2_backend import tiny
        import spikeplast as sp
        r = sp.simulate(tiny(n_kick=5), 30 * sp.ms, backend="brian2", cache_dir={str(tmp_path)!r})
        np.save(sys.argv[1], np.stack([r.spikes["pop"].indices, r.spikes["pop"].times]))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / f"out{k}.npy")],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for k in range(2)]
    for p in procs:
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0, out.decode()[-3000:]
    a, b = (np.load(tmp_path / f"out{k}.npy") for k in range(2))
    assert np.array_equal(a, b) and a.shape[1] > 0
    projects = [p for p in tmp_path.iterdir() if (p / "main").exists()]
    assert len(projects) == 1
    assert not list(tmp_path.glob("*.build"))


def test_structure_key_covers_every_projection_rule():
    """Regression: the rule of each projection (not only the last one) shapes the key."""
    from spikeplast.backends.brian2 import structure_key

    base = tiny()
    q = base.projections[0]
    keys = set()
    for rule in (None, sp.STDP(a_plus=0.1 * mV, a_minus=-0.1 * mV, w_max=50 * mV),
                 sp.STDP(a_plus=0.1 * mV, a_minus=-0.1 * mV, w_max=50 * mV, pairing="nearest"),
                 sp.STDP(a_plus=0.1 * mV, a_minus=-0.1 * mV, w_max=50 * mV,
                         dependence="multiplicative")):
        net = base.replace(projections=(q.__class__(**{
            **{f: getattr(q, f) for f in ("name", "source", "target", "port", "connectivity",
                                          "weight", "delay")}, "plasticity": rule}),
            base.projections[1]))
        keys.add(structure_key(sp.lower(net), 100))
    assert len(keys) == 4


def test_a_full_build_directory_is_a_clear_error_and_leaves_nothing_half_built(tmp_path,
                                                                              monkeypatch):
    """The disk fills up in the middle of generating the project: the error names the
    cache and the reason, nothing half-built is left, and the next run builds normally."""
    import errno

    cache = tmp_path / "cache"
    real = b2backend._backend._generate_and_compile

    def fills_up(plan, n_steps, directory):
        (directory / "objects.cpp").write_text("// half written")
        raise OSError(errno.ENOSPC, "No space left on device", str(directory / "main.o"))

    monkeypatch.setattr(b2backend._backend, "_generate_and_compile", fills_up)
    with pytest.raises(sp.SimulationError,
                       match=rf"cannot write the build cache {cache}: No space left.*main\.o"):
        sp.simulate(tiny(n_kick=3), 10 * ms, backend="brian2", cache_dir=cache)
    assert not [p for p in cache.iterdir() if p.is_dir()]
    monkeypatch.setattr(b2backend._backend, "_generate_and_compile", real)
    res = sp.simulate(tiny(n_kick=3), 10 * ms, backend="brian2", cache_dir=cache)
    assert len(res.spikes["pop"]) > 0


def test_a_read_only_build_directory_is_a_clear_error(tmp_path, monkeypatch):
    """Root ignores permission bits, so the read-only file system is injected where the
    backend makes its first directory in the cache."""
    import errno

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", kwargs.get("dir"))

    monkeypatch.setattr(b2backend._backend.tempfile, "mkdtemp", read_only)
    cache = tmp_path / "ro"
    with pytest.raises(sp.SimulationError,
                       match=rf"cannot write the build cache {cache}: Read-only file system"):
        sp.simulate(tiny(n_kick=2), 10 * ms, backend="brian2", cache_dir=cache)
    # a path that is a file is refused the same way, before anything is built
    blocked = tmp_path / "file"
    blocked.write_text("x")
    monkeypatch.undo()
    with pytest.raises(sp.SimulationError, match="cannot write the build cache"):
        sp.simulate(tiny(n_kick=2), 10 * ms, backend="brian2", cache_dir=blocked)


def test_a_binary_built_for_one_uniform_delay_is_not_reused_for_another(tmp_path):
    """Brian2 bakes a pathway's delay into its spike queue when all its delays are equal.
    Oracle: JAX on the same spec, after the cache already holds the other delay's build."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_checkpoint import stdp_net

    kw = {"freeze_inputs": True}
    sp.simulate(stdp_net(1.5), 60 * ms, backend="brian2", cache_dir=tmp_path, **kw)
    b = sp.simulate(stdp_net(0.0), 60 * ms, backend="brian2", cache_dir=tmp_path, **kw)
    j = sp.simulate(stdp_net(0.0), 60 * ms, dtype="float64", **kw)
    assert len(j.spikes["cells"]) > 10
    assert np.array_equal(b.spikes["cells"].indices, j.spikes["cells"].indices)
    assert np.allclose(b.spikes["cells"].times, j.spikes["cells"].times, rtol=0, atol=1e-12)
