"""Property: hostile spec values raise SpecError (or build a valid spec) — never anything else."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spikeplast as sp
from spikeplast import Hz, ms, mV, nS, pF

# huge random values overflow inside Brian2's unit arithmetic; that is what is being tested
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6))
UNITS = st.sampled_from([ms, mV, nS, pF, Hz, 1.0, None])
NAMES = st.one_of(st.text(max_size=8), st.sampled_from(["exc", "inh", "t", "2x", "a b", ""]))


def has_unit(u) -> bool:
    return u is not None and not isinstance(u, float)


@st.composite
def quantity(draw):
    """A number with a random (often wrong) unit, a bare number, an array, or junk."""
    unit = draw(UNITS)
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(NUMBERS) * unit if has_unit(unit) else draw(NUMBERS)
    if kind == 1:
        n = draw(st.integers(0, 4))
        values = np.array([draw(NUMBERS) for _ in range(n)], dtype=float)
        return values * unit if has_unit(unit) else values
    if kind == 2:
        return draw(st.sampled_from([None, "20 ms", [1, 2], {}, object(), True]))
    return draw(st.floats(0.1, 100)) * (unit if has_unit(unit) else ms)


def valid_or_spec_error(build):
    try:
        return build()
    except sp.SpecError as e:
        assert str(e), "a SpecError must say what is wrong"
        return None


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES, n=st.one_of(st.integers(-3, 50), st.floats(), st.none()),
       tau_m=quantity(), v_rest=quantity(), v_reset=quantity(), v_th=quantity(),
       t_ref=quantity(), c_m=quantity(), tau_port=quantity(),
       method=st.sampled_from([None, "exact", "euler", "exponential_euler", "rk4", 3]))
def test_lif_construction_raises_only_spec_errors(name, n, tau_m, v_rest, v_reset, v_th, t_ref,
                                                  c_m, tau_port, method):
    def build():
        port = sp.CurrentPort(name="ge", tau=tau_port)
        return sp.LIF(name=name, n=n, tau_m=tau_m, v_rest=v_rest, v_reset=v_reset, v_th=v_th,
                      t_ref=t_ref, c_m=c_m, method=method, ports=(port,))
    pop = valid_or_spec_error(build)
    if pop is not None:  # a spec that was accepted is really valid
        assert pop.n >= 1 and np.all(np.asarray(pop.tau_m) > 0)
        assert np.all(np.asarray(pop.v_th) > np.asarray(pop.v_reset))


@settings(max_examples=200, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(p=st.one_of(NUMBERS, st.none()), k=st.one_of(st.integers(-5, 500), st.floats()),
       weight=quantity(), delay=quantity(), rate=quantity(), dt=quantity(),
       source=NAMES, port=st.sampled_from(["ge", "gi", "v", ""]), seed=st.integers(-2, 5))
def test_network_construction_raises_only_spec_errors(p, k, weight, delay, rate, dt, source,
                                                      port, seed):
    def build():
        pre = sp.PoissonInput(name="inp", n=20, rate=rate)
        post = sp.LIF(name="exc", n=10, tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                      v_th=-50 * mV, ports=(sp.CurrentPort(name="ge", tau=5 * ms),))
        conn = sp.FixedProbability(p=p) if not isinstance(k, int) else sp.FixedInDegree(k=k)
        proj = sp.Projection(name="proj", source=source, target="exc", port=port,
                             connectivity=conn, weight=weight, delay=delay)
        return sp.Network(populations=(pre, post), projections=(proj,), dt=dt, seed=seed)
    net = valid_or_spec_error(build)
    if net is not None:
        plan = valid_or_spec_error(lambda: sp.lower(net))
        if plan is not None:
            q = plan.projections["proj"]
            assert np.all(np.isfinite(q.w)) and np.all(q.delay_steps >= 0)
            assert not math.isnan(plan.dt) and plan.dt > 0
