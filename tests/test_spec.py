"""Spec validation: every invalid spec raises SpecError naming object, field and value."""

from __future__ import annotations

import numpy as np
import pytest

import spikeplast as sp
from spikeplast import Hz, ms, mV, nS, pF


def lif(**kw):
    base = dict(name="exc", n=10, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                v_th=-50 * mV, ports=(sp.CurrentPort(name="ge", tau=5 * ms),))
    base.update(kw)
    return sp.LIF(**base)


def proj(**kw):
    base = dict(name="p", source="inp", target="exc", port="ge",
                connectivity=sp.FixedProbability(p=0.1), weight=1 * mV)
    base.update(kw)
    return sp.Projection(**base)


def net(*, pops=None, projs=(), mons=(), **kw):
    pops = pops if pops is not None else (sp.PoissonInput(name="inp", n=5, rate=10 * Hz), lif())
    return sp.Network(populations=pops, projections=projs, monitors=mons, **kw)


# (case id, a callable building the invalid spec, words the message must contain)
INVALID = [
    ("negative tau_m", lambda: lif(tau_m=-20 * ms), ["LIF 'exc'", "tau_m", "-20", "> 0"]),
    ("dt <= 0", lambda: net(dt=0 * ms), ["Network", "dt", "0", "> 0"]),
    ("dt without unit", lambda: net(dt=0.1), ["Network", "dt", "0.1", "no unit", "time"]),
    ("wrong unit", lambda: lif(v_th=-50 * ms), ["LIF 'exc'", "v_th", "dimension", "voltage"]),
    ("bare number", lambda: lif(tau_m=20), ["LIF 'exc'", "tau_m", "20", "no unit"]),
    ("probability > 1", lambda: sp.FixedProbability(p=1.5), ["FixedProbability", "p", "1.5",
                                                             "[0, 1]"]),
    ("unknown source", lambda: net(projs=(proj(source="inpt"),)),
     ["Projection 'p'", "source", "inpt", "Did you mean 'inp'"]),
    ("unknown port", lambda: net(projs=(proj(port="gi"),)), ["LIF 'exc'", "port", "gi", "ge"]),
    ("array shape mismatch", lambda: lif(tau_m=np.ones(3) * 20 * ms),
     ["LIF 'exc'", "tau_m", "(3,)", "(10,)"]),
    ("NaN weight", lambda: net(projs=(proj(weight=float("nan") * mV),)),
     ["Projection 'p'", "weight", "nan", "finite"]),
    ("duplicate names", lambda: net(pops=(lif(), lif())), ["Network", "exc", "unique"]),
    ("delay not multiple of dt", lambda: net(projs=(proj(delay=0.25 * ms),)),
     ["Projection 'p'", "delay", "0.00025", "multiple of dt"]),
    ("v_th below v_reset", lambda: lif(v_th=-70 * mV), ["LIF 'exc'", "v_th", "v_reset"]),
    ("negative rate", lambda: sp.PoissonInput(name="inp", n=3, rate=-5 * Hz),
     ["PoissonInput 'inp'", "rate", "-5", ">= 0"]),
    ("rate above 1/dt", lambda: net(pops=(sp.PoissonInput(name="inp", n=5, rate=20000 * Hz),
                                          lif())),
     ["PoissonInput 'inp'", "rate", "20000", "1/dt"]),
    ("in-degree too large", lambda: net(projs=(proj(connectivity=sp.FixedInDegree(k=6)),)),
     ["Projection 'p'", "connectivity.k", "6", "at most 5"]),
    ("negative conductance weight",
     lambda: net(pops=(sp.PoissonInput(name="inp", n=5, rate=10 * Hz),
                       lif(c_m=200 * pF, ports=(sp.ConductancePort(name="ge", tau=5 * ms,
                                                                   e_rev=0 * mV),))),
                 projs=(proj(weight=-1 * nS),)),
     ["Projection 'p'", "weight", ">= 0", "conductance"]),
    ("weight unit for port", lambda: net(projs=(proj(weight=1 * nS),)),
     ["Projection 'p'", "weight", "dimension", "voltage"]),
    ("conductance port without c_m",
     lambda: lif(ports=(sp.ConductancePort(name="ge", tau=5 * ms, e_rev=0 * mV),)),
     ["LIF 'exc'", "c_m", "required"]),
    ("exact with conductances",
     lambda: lif(c_m=200 * pF, method="exact",
                 ports=(sp.ConductancePort(name="ge", tau=5 * ms, e_rev=0 * mV),)),
     ["LIF 'exc'", "exact", "linear"]),
    ("unknown method", lambda: lif(method="rk4"), ["LIF 'exc'", "method", "rk4", "euler"]),
    ("bad population name", lambda: lif(name="2exc"), ["LIF '2exc'", "name", "identifier"]),
    ("reserved name", lambda: lif(name="t"), ["LIF 't'", "name", "reserved"]),
    ("n = 0", lambda: lif(n=0), ["LIF 'exc'", "n", "0", ">= 1"]),
    ("unknown init variable", lambda: lif(init={"u": -65 * mV}),
     ["LIF 'exc'", "init", "'u'", "v, ge"]),
    ("spike index out of range",
     lambda: sp.SpikeTrainInput(name="st", n=3, indices=[0, 3], times=[1, 2] * ms),
     ["SpikeTrainInput 'st'", "indices", "3", "[0, 3)"]),
    ("two spikes in one step",
     lambda: net(pops=(sp.SpikeTrainInput(name="st", n=3, indices=[1, 1],
                                          times=[1.0, 1.04] * ms), lif())),
     ["SpikeTrainInput 'st'", "source 1", "two spikes", "step"]),
    ("one-to-one size mismatch", lambda: net(projs=(proj(connectivity=sp.OneToOne()),)),
     ["Projection 'p'", "OneToOne", "5", "10"]),
    ("monitor of unknown variable",
     lambda: net(mons=(sp.StateMonitor(population="exc", variables=("vv",)),)),
     ["StateMonitor 'exc'", "vv", "Did you mean 'v'"]),
    ("weight array length", lambda: sp.lower(net(projs=(proj(connectivity=sp.AllToAll(),
                                                             weight=np.ones(3) * mV),))),
     ["Projection 'p'", "weight", "3 values", "50 synapses"]),
    ("target is an input", lambda: net(projs=(proj(target="inp"),)),
     ["Projection 'p'", "target 'inp'", "PoissonInput", "neuron population"]),
    ("negative seed", lambda: net(seed=-1), ["Network", "seed", "-1", ">= 0"]),
    ("missing weight", lambda: proj(weight=None), ["Projection 'p'", "weight", "required"]),
    ("uniform low > high", lambda: lif(init={"v": sp.Uniform(-50 * mV, -60 * mV)}),
     ["LIF 'exc'", "init['v']", "low <= high"]),
    ("monitor every = 0",
     lambda: sp.StateMonitor(population="exc", variables=("v",), every=0),
     ["StateMonitor 'exc'", "every", "0", ">= 1"]),
]


@pytest.mark.parametrize("build, words", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_spec_raises_spec_error_naming_object_field_value(build, words):
    with pytest.raises(sp.SpecError) as info:
        build()
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in message: {msg}"


def test_at_least_thirty_distinct_invalid_kinds():
    """Issue 7 asks for 30 distinct kinds of invalid spec, each named in its error (the
    backend options above add seven more)."""
    assert len({c[0] for c in INVALID}) >= 30


def test_values_are_stored_in_si_and_arrays_are_read_only():
    p = lif(tau_m=np.linspace(10, 20, 10) * ms)
    assert p.v_th == pytest.approx(-0.05)
    assert p.tau_m[0] == pytest.approx(0.01)
    with pytest.raises(ValueError):
        p.tau_m[0] = 1.0


def test_replace_revalidates_without_losing_units():
    n = net()
    n2 = n.replace(seed=3)
    assert n2.dt == n.dt and n2.seed == 3
    with pytest.raises(sp.SpecError, match="seed"):
        n.replace(seed=-2)


def test_spec_hash_changes_with_values_and_not_with_identity():
    a, b = sp.lower(net()), sp.lower(net())
    c = sp.lower(net(seed=1))
    assert a.spec_hash == b.spec_hash != c.spec_hash


def test_schedule_prints_every_slot_in_brian2_order():
    text = str(sp.lower(net(projs=(proj(),), mons=(sp.SpikeMonitor(population="exc"),))).schedule)
    slots = ["start", "groups", "thresholds", "synapses", "resets", "end"]
    positions = [text.index(s) for s in slots]
    assert positions == sorted(positions)
    assert "inp → exc.ge" in text


def test_unknown_backend_and_option_are_rejected_before_running():
    with pytest.raises(sp.SpecError, match="backend.*'jx'.*Did you mean 'jax'"):
        sp.simulate(net(), 1 * ms, backend="jx")
    with pytest.raises(sp.SpecError, match="unknown option"):
        sp.simulate(net(), 1 * ms, backend="jax", dtyp="float64")


@pytest.mark.parametrize("option, value, valid", [
    ("dtype", "float16", "'float32' or 'float64'"),
    ("on_overflow", "ignore", "'grow' or 'raise'"),
    ("on_nan", "skip", "'raise' or 'stop'"),
    ("spike_capacity", 0, "whole number >= 1"),
    ("chunk_steps", 2.5, "whole number >= 1"),
    ("compile_cache", "yes", "True or False"),
    ("delivery", "gpu", "'auto', 'loop' or 'vector'"),
])
def test_invalid_jax_options_are_named_with_what_is_valid(option, value, valid):
    with pytest.raises(sp.SpecError, match=f"{option} = {value!r} is invalid.*{valid}"):
        sp.simulate(net(), 1 * ms, backend="jax", **{option: value})
