"""Plots return figures with the recorded data; the CLI runs a model to files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from scenarios import analytic_network

import spikeplast as sp
from spikeplast import ms, plot
from spikeplast.cli import main, parse_duration

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def res():
    net = analytic_network()
    net = net.replace(monitors=net.monitors + (sp.WeightMonitor(projection="kick_delayed",
                                                                every=100),))
    return sp.simulate(net, 200 * ms)


def test_raster_draws_every_spike_of_each_population_in_its_own_colour(res):
    fig = plot.raster(res, ["drive", "refr"])
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    offsets = [c.get_offsets() for c in ax.collections]
    assert [len(o) for o in offsets] == [len(res.spikes["drive"]), len(res.spikes["refr"])]
    # the second population is stacked above the first
    assert np.min(offsets[1][:, 1]) >= res.spikes["drive"].n
    colours = {tuple(np.round(c.get_facecolor()[0], 3)) for c in ax.collections}
    assert len(colours) == 2


def test_state_and_weight_plots(res, tmp_path):
    fig = plot.state_traces(res, "syn")
    line = fig.axes[0].lines[0]
    assert np.array_equal(line.get_ydata(), res.states["syn"]["v"][:, 0])
    w = res.weights["kick_delayed"]
    fig = plot.weight_matrix(res)
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (10, 1) and np.allclose(image[:, 0], w.values[-1])
    for fig in (plot.weight_histogram(res), plot.weight_evolution(res)):
        fig.savefig(tmp_path / "w.png")
    with pytest.raises(sp.SpecError, match="no weight recording 'nope'"):
        plot.weight_matrix(res, "nope")


def test_parse_duration():
    assert parse_duration("1s") == 1.0
    assert parse_duration("250 ms") == pytest.approx(0.25)
    with pytest.raises(Exception, match="unit"):
        parse_duration("10")


def test_cli_run_writes_results_and_raster(tmp_path, capsys):
    out, png = tmp_path / "r.npz", tmp_path / "raster.png"
    code = main(["run", str(ROOT / "models" / "cuba.py"), "--duration", "50ms",
                 "--set", "n=400", "--out", str(out), "--plot", str(png)])
    assert code == 0
    res = sp.load_results(out)
    assert res.spikes["exc"].n == 320 and res.duration == pytest.approx(0.05)
    assert png.stat().st_size > 10_000
    assert main(["plot", str(out), "-o", str(tmp_path / "p.png")]) == 0


def test_cli_schedule_prints_the_model_schedule(capsys):
    assert main(["schedule", "cuba", "--set", "n=400"]) == 0
    assert "exc_exc" in capsys.readouterr().out


def test_cli_reports_spec_errors_without_traceback(tmp_path, capsys):
    model = tmp_path / "bad.py"
    model.write_text("import spikeplast as sp\nfrom spikeplast import ms, mV\n"
                     "def build():\n    return sp.Network(dt=-1*ms)\n")
    assert main(["run", str(model)]) == 2
    assert "SpecError" in capsys.readouterr().err


@pytest.mark.brian2
def test_cli_runs_coba_on_brian2(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKEPLAST_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "coba.npz"
    assert main(["run", "coba", "--backend", "brian2", "--duration", "100ms",
                 "--set", "n=400", "--out", str(out)]) == 0
    res = sp.load_results(out)
    assert res.backend == "brian2" and len(res.spikes["exc"]) > 0


@pytest.mark.parametrize("script, args", [("cuba.py", ["--duration", "0.05"]),
                                          ("coba.py", ["--duration", "0.05"]),
                                          ("stdp.py", ["--duration", "0.2"])])
def test_examples_run_and_write_their_plots(tmp_path, script, args):
    import subprocess
    import sys

    out = tmp_path / "plot.png"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args,
                           "--out", str(out)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.stat().st_size > 10_000
