"""Neuron models written as equations (NeuronGroup), on both backends.

Oracles: a plain Brian2 script of the same equation strings (runtime numpy target, in a
subprocess), closed forms (the LIF f-I curve, the Ornstein-Uhlenbeck process's variance
and correlation time), and Brian2's own checks for bad models.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_python

import spikeplast as sp
from spikeplast import components as c
from spikeplast import ms, mV, nA, second

DT = 0.1 * ms
DURATION = 1 * second
EVERY = 100  # state samples every 10 ms
N = 4


def _groups() -> list[sp.NeuronGroup]:
    """Deterministic groups: each catalogue model, methods, refractoriness kinds."""
    I_adex = np.linspace(0.3, 0.9, N) * nA
    lif_eqs = "dv/dt = (E_L - v + R_I)/tau : volt (unless refractory)"
    lif = dict(E_L=-65 * mV, tau=20 * ms, R_I=np.linspace(16, 40, N) * mV, v_th=-50 * mV,
               v_r=-65 * mV)
    return [
        # cut at V_T + 5 Delta_T (as Brian2's AdEx examples): the exponential stays finite
        # in rk4's intermediate stages at dt = 0.1 ms
        *(c.AdEx(f"adex_{m}", N, method=m, params=dict(I=I_adex, V_cut=-40.4 * mV),
                 refractory=2 * ms if m in ("euler", "exponential_euler") else None)
          for m in ("euler", "exponential_euler", "rk2", "rk4")),
        c.Izhikevich("izh", N, params=dict(I=np.linspace(4, 14, N) * mV / ms,
                                           d=np.array([8, 2, 8, 0.05]) * mV / ms,
                                           a=np.array([0.02, 0.02, 0.02, 0.1]) / ms)),
        c.HodgkinHuxley("hh", N, params=dict(I=np.linspace(0.2, 1.2, N) * nA)),
        c.AdaptiveThresholdLIF("alif", N, params=dict(R_I=np.linspace(14, 30, N) * mV)),
        sp.NeuronGroup(name="lif", n=N, equations=lif_eqs, threshold="v > v_th",
                       reset="v = v_r", refractory=2 * ms, method="exact", params=lif,
                       init=dict(v=-65 * mV)),
        # refractory without (unless refractory): spiking blocked, v integrates
        sp.NeuronGroup(name="lif_free", n=N, equations=lif_eqs.replace(
            " (unless refractory)", ""), threshold="v > v_th", reset="v = v_r",
            refractory=5 * ms, method="euler", params=lif, init=dict(v=-65 * mV)),
        # refractory while a condition holds (v integrates: no clamp)
        sp.NeuronGroup(name="lif_cond", n=N, equations=lif_eqs.replace(
            " (unless refractory)", ""), threshold="v > v_th", reset="v = v_r",
            refractory="v < -60*mV", method="euler", params=lif, init=dict(v=-65 * mV)),
    ]


def _drive() -> tuple[sp.SpikeTrainInput, list[sp.Projection]]:
    """A fixed spike train, delta synapses (v += w) with delays onto every group."""
    rng = np.random.default_rng(7)
    times = np.sort(rng.uniform(0, float(DURATION), 300))
    steps = np.unique(np.round(times / float(DT)).astype(int))
    idx = rng.integers(0, 10, steps.size)
    train = sp.SpikeTrainInput(name="drive", n=10, indices=idx, times=steps * DT)
    projs = []
    for k, g in enumerate(_groups()):
        i = np.repeat(np.arange(10), N)
        j = np.tile(np.arange(N), 10)
        w = rng.uniform(0.5, 2.0, i.size) * mV
        if g.name == "lif":  # undriven: its intervals are the closed form's
            w = w * 0
        projs.append(sp.Projection(name=f"to_{g.name}", source="drive", target=g.name,
                                   port="v", connectivity=sp.FromIndices(i=i, j=j),
                                   weight=w, delay=(k % 3) * ms))
    return train, projs


def _network() -> sp.Network:
    train, projs = _drive()
    groups = _groups()
    ou = sp.NeuronGroup(name="ou", n=2000,
                        equations="dx/dt = -x/tau + sigma*sqrt(2/tau)*xi : 1",
                        method="euler", params=dict(tau=10 * ms, sigma=0.5))
    mons = [m for g in groups for m in (
        sp.SpikeMonitor(population=g.name),
        sp.StateMonitor(population=g.name, variables=g.variables, every=EVERY))]
    mons.append(sp.StateMonitor(population="ou", variables=("x",), every=10))
    return sp.Network(dt=DT, seed=3, populations=(train, *groups, ou), projections=tuple(projs),
                      monitors=tuple(mons))


# -- the independent oracle: a plain Brian2 script of the same strings -------------------
PLAIN_BRIAN2 = r"""
import json, sys
import numpy as np
from brian2 import *
from brian2.units.fundamentalunits import get_or_create_dimension
prefs.codegen.target = "numpy"
spec = json.loads(open(sys.argv[1]).read())
defaultclock.dt = spec["dt"] * second
q = lambda v, d: Quantity(np.asarray(v), dim=get_or_create_dimension(d))
gen = SpikeGeneratorGroup(spec["n_in"], spec["indices"], np.asarray(spec["times"]) * second)
objects, groups, mons = [gen], {}, {}
for g in spec["groups"]:
    eqs = g["equations"]
    scalars = {}
    for k, (v, d) in g["params"].items():
        if np.ndim(v):  # one value per neuron: a constant variable, set below
            unit = "1" if not any(d) else repr(get_unit(get_or_create_dimension(d)))
            eqs += f"\n{k} : {unit} (constant)"
        else:
            scalars[k] = q(v, d)
    ref = g["refractory"]
    ref = False if ref is None else (ref if isinstance(ref, str) else ref * second)
    G = NeuronGroup(g["n"], eqs, threshold=g["threshold"], reset=g["reset"], refractory=ref,
                    method=g["method"], namespace=scalars, name=g["name"])
    for k, (v, d) in g["params"].items():
        if np.ndim(v):
            setattr(G, k, q(v, d))
    for k, (v, d) in g["init"].items():
        setattr(G, k, q(v, d))
    S = Synapses(gen, G, "wsyn : volt", on_pre="v_post += wsyn", name="syn_" + g["name"])
    S.connect(i=np.asarray(g["i"]), j=np.asarray(g["j"]))
    S.wsyn = np.asarray(g["w"]) * volt
    S.delay = g["delay"] * second
    sm = SpikeMonitor(G)
    st = StateMonitor(G, g["variables"], record=True, dt=spec["every"] * spec["dt"] * second)
    objects += [G, S, sm, st]
    mons[g["name"]] = (sm, st, g["variables"])
net = Network(*objects)
net.run(spec["duration"] * second)
out = {name: {"i": np.asarray(sm.i).tolist(),
              "step": np.round(np.asarray(sm.t) / spec["dt"]).astype(int).tolist(),
              **{v: np.asarray(getattr(st, v)).tolist() for v in variables}}
       for name, (sm, st, variables) in mons.items()}
print(json.dumps(out))
"""


def _si(value):
    d = tuple(float(x) for x in sp._units.dim_of(value))
    return np.asarray(value, float).tolist(), d


def _plain_brian2(tmp_path) -> dict:
    train, projs = _drive()
    groups = []
    for g, q in zip(_groups(), projs):
        groups.append(dict(
            name=g.name, n=g.n, equations=g.equations, threshold=g.threshold, reset=g.reset,
            refractory=(g.refractory if isinstance(g.refractory, str) or g.refractory is None
                        else float(g.refractory)),
            method=g.ir.method, params={k: _si(v) for k, v in g.params.items()},
            init={k: _si(v) for k, v in g.init.items()}, variables=list(g.variables),
            i=q.connectivity.i.tolist(), j=q.connectivity.j.tolist(),
            w=np.asarray(q.weight, float).tolist(), delay=float(q.delay)))
    spec = dict(dt=float(DT), duration=float(DURATION), every=EVERY, n_in=train.n,
                indices=train.indices.tolist(), times=np.asarray(train.times).tolist(),
                groups=groups)
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return run_python(PLAIN_BRIAN2, str(path))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    net = _network()
    return {"jax": sp.simulate(net, DURATION, backend="jax", dtype="float64"),
            "brian2": sp.simulate(net, DURATION, backend="brian2"),
            "plain": _plain_brian2(tmp_path_factory.mktemp("plain"))}


@pytest.mark.brian2
@pytest.mark.parametrize("name", [g.name for g in _groups()])
def test_equation_models_match_plain_brian2(runs, name):
    """Every model gives the same spikes (neuron and step) on spikeplast's two backends
    and on a plain Brian2 script of the same equations, and states within 1e-9."""
    plain = runs["plain"][name]
    want = sorted(zip(plain["step"], plain["i"]))
    assert len(want) > 5, f"{name} barely spikes: the comparison would be weak"
    for backend in ("jax", "brian2"):
        s = runs[backend].spikes[name]
        got = sorted(zip(np.round(s.times / float(DT)).astype(int).tolist(),
                         s.indices.tolist()))
        first = next((k for k, (x, y) in enumerate(zip(got, want)) if x != y),
                     min(len(got), len(want)))
        assert got == want, f"{name} on {backend}: {len(got)} spikes against plain " \
            f"Brian2's {len(want)}; first difference at spike {first}"


_IZH_STATES = pytest.mark.xfail(strict=True, reason=(
    "Izhikevich: spikes are identical, but v differs from plain Brian2 by up to 2.6e-5 V in "
    "8.5% of samples (under investigation)"))


@pytest.mark.brian2
@pytest.mark.parametrize("name", [pytest.param(g.name, marks=_IZH_STATES) if g.name == "izh"
                                  else g.name for g in _groups()])
def test_equation_model_states_match_plain_brian2(runs, name):
    """Every state variable, sampled every 10 ms, within 1e-9 (relative, with a floor of
    1e-9 of the variable's largest value) of plain Brian2's, on both backends."""
    plain = runs["plain"][name]
    for backend in ("jax", "brian2"):
        trace = runs[backend].states[name]
        for var in trace.values:
            ref = np.asarray(plain[var])  # (neurons, samples)
            mine = np.asarray(trace.values[var]).T
            scale = np.max(np.abs(ref)) or 1.0
            np.testing.assert_allclose(mine, ref, rtol=1e-9, atol=1e-9 * scale,
                                       err_msg=f"{name}.{var} on {backend}")


@pytest.mark.brian2
@pytest.mark.parametrize("backend", ["jax", "brian2"])
def test_lif_f_i_curve_follows_its_closed_form(runs, backend):
    """LIF with exact integration and a constant drive: the interspike interval is
    t_ref plus the time to reach threshold, tau ln(R_I / (R_I - (v_th - v_r))), to within
    the step grid (a spike is detected at the first step past threshold)."""
    s = runs[backend].spikes["lif"]
    R_I = np.linspace(16, 40, N) * 1e-3
    period = (2e-3 + 20e-3 * np.log(R_I / (R_I - 15e-3))) / float(DT)  # in steps
    for k in range(N):
        steps = np.round(s.times[s.indices == k] / float(DT)).astype(int)
        isi = np.diff(steps)
        assert isi.size >= 10
        assert np.all((isi >= period[k] - 1) & (isi <= period[k] + 2)), (k, isi, period[k])


@pytest.mark.brian2
@pytest.mark.parametrize("backend", ["jax", "brian2"])
def test_ornstein_uhlenbeck_statistics(runs, backend):
    """dx/dt = -x/tau + sigma sqrt(2/tau) xi: stationary variance sigma^2 and correlation
    exp(-lag/tau), within 3 standard errors, over 2000 independent neurons."""
    x = np.asarray(runs[backend].states["ou"].values["x"])  # (samples every 1 ms, n)
    a, b = x[500], x[999]  # 50 tau apart: independent samples of the stationary state
    samples = np.concatenate([a, b])
    var = samples.var()
    assert abs(var - 0.25) < 3 * 0.25 * np.sqrt(2 / samples.size)
    n = x.shape[1]
    for lag in (5, 10, 20):  # in samples of 1 ms
        rho = np.corrcoef(x[600], x[600 + lag])[0, 1]
        want = np.exp(-lag * 1e-3 / 10e-3)
        assert abs(rho - want) < 3 * (1 - want**2) / np.sqrt(n)


# -- frozen noise: both backends read the same pre-drawn normals --------------------------
def _noisy_network() -> sp.Network:
    eqs = ("dv/dt = (E_L - v)/tau + sigma*sqrt(2/tau)*xi : volt (unless refractory)\n"
           "du/dt = -u/tau + s2*xi_b/sqrt(tau) : volt")
    groups = [sp.NeuronGroup(
        name=f"noisy_{m}", n=40, equations=eqs, threshold="v > -55*mV + 2*mV*rand()",
        reset="v = -65*mV + 3*mV*randn()", refractory=2 * ms, method=m,
        params=dict(E_L=-60 * mV, tau=10 * ms, sigma=4 * mV, s2=1 * mV),
        init=dict(v=-65 * mV)) for m in ("euler", "heun", "milstein")]
    # multiplicative noise, where Milstein's correction term matters
    groups.append(sp.NeuronGroup(name="geometric", n=40,
                                 equations="dx/dt = (1 - x)/tau + 0.5*x*xi/sqrt(tau) : 1",
                                 method="milstein", threshold="x > 1.6", reset="x = 1",
                                 params=dict(tau=10 * ms), init=dict(x=1.0)))
    groups.append(sp.NeuronGroup(name="ou_frozen", n=1000,
                                 equations="dx/dt = -x/tau + sigma*sqrt(2/tau)*xi : 1",
                                 method="euler", params=dict(tau=10 * ms, sigma=0.5)))
    mons = [m for g in groups[:-1] for m in (
        sp.SpikeMonitor(population=g.name),
        sp.StateMonitor(population=g.name, variables=g.variables, every=EVERY))]
    mons.append(sp.StateMonitor(population="ou_frozen", variables=("x",), every=10))
    return sp.Network(dt=DT, seed=11, populations=tuple(groups), monitors=tuple(mons))


@pytest.fixture(scope="module")
def frozen_runs() -> dict:
    net = _noisy_network()
    return {b: sp.simulate(net, 0.5 * second, backend=b, freeze_inputs=True,
                           **({"dtype": "float64"} if b == "jax" else {}))
            for b in ("jax", "brian2")}


@pytest.mark.brian2
@pytest.mark.parametrize("name", ["noisy_euler", "noisy_heun", "noisy_milstein", "geometric"])
def test_frozen_noise_gives_the_same_spikes_on_both_backends(frozen_runs, name):
    """With freeze_inputs=True, white noise (additive and multiplicative; Euler-Maruyama,
    Heun, Milstein) and rand()/randn() in the threshold and reset are pre-drawn from the
    network seed: both backends give the same spikes and states within 1e-9."""
    a, b = frozen_runs["jax"], frozen_runs["brian2"]
    sa, sb = a.spikes[name], b.spikes[name]
    assert len(sa.times) > 20, f"{name} barely spikes: the comparison would be weak"
    np.testing.assert_array_equal(np.round(sa.times / float(DT)), np.round(sb.times / float(DT)))
    np.testing.assert_array_equal(sa.indices, sb.indices)
    for var, ref in b.states[name].values.items():
        ref = np.asarray(ref)
        np.testing.assert_allclose(np.asarray(a.states[name].values[var]), ref, rtol=1e-9,
                                   atol=1e-9 * np.max(np.abs(ref)), err_msg=f"{name}.{var}")


@pytest.mark.brian2
def test_frozen_noise_has_white_noise_statistics(frozen_runs):
    """The pre-drawn noise drives an OU process to its stationary variance sigma^2 and
    its correlation exp(-lag/tau) (3 standard errors), identically on both backends."""
    x = np.asarray(frozen_runs["jax"].states["ou_frozen"].values["x"])
    np.testing.assert_allclose(x, frozen_runs["brian2"].states["ou_frozen"].values["x"],
                               rtol=1e-9, atol=1e-12)
    samples = np.concatenate([x[200], x[499]])  # 30 tau apart
    assert abs(samples.var() - 0.25) < 3 * 0.25 * np.sqrt(2 / samples.size)
    rho = np.corrcoef(x[300], x[310])[0, 1]
    want = np.exp(-1.0)
    assert abs(rho - want) < 3 * (1 - want**2) / np.sqrt(x.shape[1])
