"""Results files: exact round trip, no pickle, clear errors, atomic writes."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from scenarios import analytic_network

import spikeplast as sp
from spikeplast.results import load_results


@pytest.fixture(scope="module")
def res():
    net = analytic_network()
    net = net.replace(monitors=net.monitors + (sp.RateMonitor(population="poisson"),))
    return sp.simulate(net, 100 * sp.ms)


def test_save_load_round_trip_is_exact(res, tmp_path):
    path = res.save(tmp_path / "r.npz")
    back = load_results(path)
    assert set(back.spikes) == set(res.spikes)
    for k in res.spikes:
        assert np.array_equal(back.spikes[k].indices, res.spikes[k].indices)
        assert np.array_equal(back.spikes[k].times, res.spikes[k].times)
        assert back.spikes[k].n == res.spikes[k].n
    for k in res.states:
        for var in res.states[k].values:
            assert np.array_equal(back.states[k][var], res.states[k][var])
    assert np.array_equal(back.rates["poisson"].rate, res.rates["poisson"].rate)
    assert back.metadata == res.metadata


def test_file_holds_no_pickled_objects(res, tmp_path):
    path = res.save(tmp_path / "r.npz")
    with np.load(path, allow_pickle=False) as z:
        for k in z.files:
            assert z[k].dtype != object


def test_metadata_records_what_reproduces_the_run(res):
    m = res.metadata
    for key in ("backend", "versions", "seed", "spec_hash", "dt", "duration", "timings"):
        assert key in m
    assert {"lower", "build", "compile", "run"} <= set(m["timings"])
    assert m["seed"] == 7 and "jax" in m["versions"]


def test_truncated_file_gives_a_clear_error(res, tmp_path):
    path = res.save(tmp_path / "r.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(sp.ResultsFileError, match="r.npz"):
        load_results(path)


def tampered(res, tmp_path, change):
    """A saved results file with its arrays changed by ``change(arrays)``."""
    path = res.save(tmp_path / "r.npz")
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    np.savez(path, **arrays)
    return path


def test_wrong_version_gives_a_clear_error(res, tmp_path):
    path = tampered(res, tmp_path, lambda a: a.update({"__format__": np.array(99)}))
    with pytest.raises(sp.ResultsFileError, match="version 99"):
        load_results(path)


def test_shape_mismatch_is_detected(res, tmp_path):
    key = "spikes/poisson/times"
    path = tampered(res, tmp_path, lambda a: a.update({key: a[key][:-1]}))
    with pytest.raises(sp.ResultsFileError, match=key):
        load_results(path)


def test_failed_write_leaves_the_previous_file_intact(res, tmp_path, monkeypatch):
    path = res.save(tmp_path / "r.npz")
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError, match="disk full"):
        res.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.npz"]
    assert zipfile.is_zipfile(path)


@pytest.mark.parametrize("shuffle", [False, True])
def test_recorded_spike_chunks_come_out_sorted_by_step_then_index(shuffle):
    """Oracle: numpy's lexsort of all chunks; in-order chunks (the JAX backend's) are
    merged without sorting, others (Brian2's) are sorted."""
    from spikeplast.results import Recording

    rng = np.random.default_rng(3)
    idx = rng.integers(0, 50, 3000)
    steps = np.sort(rng.integers(0, 400, 3000))
    order = np.lexsort((idx, steps))
    keep = np.r_[True, (np.diff(steps[order]) > 0) | (np.diff(idx[order]) > 0)]
    idx, steps = idx[order][keep], steps[order][keep]  # distinct (step, index) pairs
    rec = Recording.empty(sp.lower(analytic_network(), n_steps=400))
    cuts = np.sort(rng.choice(np.arange(1, idx.size), 9, replace=False))
    chunks = list(zip(np.split(idx, cuts), np.split(steps, cuts)))
    if shuffle:
        chunks = [chunks[k] for k in rng.permutation(len(chunks))]
    for i, s in chunks:
        rec.add_spikes("pop", i, s)
    got_i, got_s = rec.spike_steps("pop")
    assert np.array_equal(got_i, idx) and np.array_equal(got_s, steps)
    again = rec.spike_steps("pop")  # merged in place, same answer
    assert np.array_equal(again[0], idx) and np.array_equal(again[1], steps)
