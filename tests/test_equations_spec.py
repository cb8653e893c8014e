"""Bad equation models: each a SpecError naming the group and the place, at construction
(before anything compiles), with Brian2's own checks as the judge of validity."""

from __future__ import annotations

import numpy as np
import pytest

import spikeplast as sp
from spikeplast import ms, mV, nA, nS, pF

GOOD = dict(equations="dv/dt = (E_L - v)/tau + I/C : volt (unless refractory)",
            threshold="v > v_th", reset="v = v_r",
            params=dict(E_L=-65 * mV, tau=10 * ms, I=0.5 * nA, C=200 * pF, v_th=-50 * mV,
                        v_r=-65 * mV))


def group(**changes):
    kw = {"name": "g", "n": 3, **GOOD, **changes}
    return sp.NeuronGroup(**kw)


def test_a_good_model_builds():
    g = group()
    assert g.variables == ("v",)
    assert g.ir.method == "exact"  # Brian2's default choice for linear equations


P = GOOD["params"]
BAD = [
    # (changes, words the message must contain)
    (dict(equations="dv/dt = (E_L - v)/tau + I/C : volt\ndw/dt = = 3 : amp"),
     ["line 2", "dw/dt = = 3"]),
    (dict(equations="dv/dt = (E_L - v)/tau + I : volt"), ["line 1", "inconsistent units"]),
    (dict(equations="dv/dt = (E_L - v)/tau_m + I/C : volt"),
     ["line 1", "'tau_m'", "Did you mean 'tau'"]),
    (dict(threshold="v > v_thr"), ["threshold", "'v_thr'", "Did you mean 'v_th'"]),
    (dict(threshold="v + v_th"), ["threshold", "not a boolean"]),
    (dict(threshold="v > 3*nS"), ["threshold"]),
    (dict(reset="u = v_r"), ["reset", "'u'"]),
    (dict(reset="v_r = -60*mV"), ["reset", "'v_r'", "a parameter"]),
    (dict(reset="v = 3*nS"), ["reset", "v = 3*nS"]),
    (dict(reset="v == v_r"), ["reset", "v == v_r"]),
    (dict(method="rk5"), ["method", "'rk5'", "rk4"]),
    (dict(method="exact", equations="dv/dt = (E_L - v)**2/(tau*mV) + I/C : volt"),
     ["exact"]),
    (dict(refractory="3*mV"), ["refractory"]),
    (dict(refractory=-2 * ms), ["refractory", ">= 0"]),
    (dict(refractory=2 * mV), ["refractory", "second"]),
    (dict(params={**P, "v": 1 * mV}), ["'v'", "params"]),
    (dict(params={**P, "tau": 10 * mV}), ["inconsistent units"]),
    (dict(params={k: v for k, v in P.items() if k != "C"}), ["'C'"]),
    (dict(params={**P, "I": np.ones(5) * nA}), ["params['I']", "(3,)"]),
    (dict(params={**P, "I": np.nan * nA}), ["params['I']", "finite"]),
    (dict(init={"u": 1 * mV}), ["init", "'u'", "known: v"]),
    (dict(init={"v": 1 * nS}), ["init['v']", "volt"]),
    (dict(equations=""), ["equations", "non-empty"]),
    (dict(equations="dlastspike/dt = -lastspike/tau : second"), ["'lastspike'"]),
    (dict(params={**P, "I_ext": sp.TimedArray(np.ones((4, 2)) * nA, dt=1 * ms)}),
     ["TimedArray", "one per neuron (3)"]),
    (dict(params={**P, "frozen_draw_0": 1 * mV}), ["'frozen_draw_0'", "params"]),
    (dict(equations="dfrozen_draw_1/dt = -frozen_draw_1/tau : 1\n" + GOOD["equations"]),
     ["line 1", "'frozen_draw_1'", "reserves"]),
]


@pytest.mark.parametrize("changes,words", BAD, ids=[f"bad{k}" for k in range(len(BAD))])
def test_bad_models_are_spec_errors_naming_the_place(changes, words):
    with pytest.raises(sp.SpecError) as info:
        group(**changes)
    msg = str(info.value)
    assert msg.startswith("NeuronGroup 'g'"), msg
    for w in words:
        assert w.lower() in msg.lower(), f"{w!r} not in: {msg}"


def test_projection_onto_an_unknown_variable_names_the_known_ones():
    g = group()
    inp = sp.PoissonInput(name="inp", n=5, rate=10 * sp.Hz)
    with pytest.raises(sp.SpecError, match="no state variable 'vv'.*Did you mean 'v'"):
        sp.Network(populations=(inp, g), projections=(sp.Projection(
            name="p", source="inp", target="g", port="vv", connectivity=sp.AllToAll(),
            weight=1 * mV),))
    with pytest.raises(sp.SpecError, match="weight.*volt"):
        sp.Network(populations=(inp, g), projections=(sp.Projection(
            name="p", source="inp", target="g", port="v", connectivity=sp.AllToAll(),
            weight=1 * nS),))


def test_a_group_without_threshold_cannot_drive_or_be_spike_monitored():
    quiet = group(threshold=None, reset=None)
    with pytest.raises(sp.SpecError, match="no threshold"):
        sp.Network(populations=(quiet,), monitors=(sp.SpikeMonitor(population="g"),))


def test_timed_array_dt_must_be_a_multiple_of_dt():
    g = group(equations="dv/dt = (E_L - v)/tau + I_ext(t)/C : volt",
              params={**P, "I_ext": sp.TimedArray([0, 1] * nA, dt=0.25 * ms)})
    net = sp.Network(dt=0.1 * ms, populations=(g,))
    with pytest.raises(sp.SpecError, match="multiple of the network's dt"):
        sp.lower(net)


def test_continuing_a_neuron_group_run_is_refused_not_silently_reset():
    """The portable snapshot does not hold a NeuronGroup's variables yet: continuing
    from one must fail clearly instead of restarting the group from its initial state."""
    net = sp.Network(populations=(group(),), monitors=(sp.SpikeMonitor(population="g"),))
    res = sp.simulate(net, 1 * ms, backend="jax")
    with pytest.raises(sp.UnsupportedFeature, match="NeuronGroup"):
        sp.simulate(net, 1 * ms, backend="jax", initial_state=res.final_state)


def test_freezing_noise_beyond_memory_is_refused_before_running():
    """Frozen noise is one float64 per draw, neuron and step: a run that would need more
    than 2 GiB is a SpecError saying how much, not a MemoryError."""
    noisy = group(equations="dv/dt = (E_L - v)/tau + I/C + 5*mV*xi/sqrt(tau) : volt", n=10_000)
    net = sp.Network(dt=0.1 * ms, populations=(noisy,))
    with pytest.raises(sp.SpecError, match=r"NeuronGroup 'g'.*GiB.*freeze_inputs=False"):
        sp.lower(net, n_steps=10**5, freeze_inputs=True)
