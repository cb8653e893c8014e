"""Synaptic port kinds of the catalogue (exponential, alpha, bi-exponential, NMDA) on both
backends, against their closed forms: the conductance or current after one spike, the
membrane's postsynaptic potential, and the Jahr-Stevens magnesium block."""

from __future__ import annotations

import numpy as np
import pytest
from brian2.units import mM

import spikeplast as sp
from spikeplast import components as c
from spikeplast import ms, mV, nS, pA, pF, second

DT = 0.1 * ms
T0 = 20  # the input spike's step
TAU_M, C_M = 20e-3, 200e-12
W_I, W_G = 50e-12, 1e-9  # amp, siemens
MEMBRANE = "dv/dt = -v/tau_m + ({current})/C : volt"
V_CLAMP = np.array([-80.0, -60.0, -40.0, -20.0, 0.0]) * 1e-3


def _psp_group(name: str, port: c.SynapticPort) -> sp.NeuronGroup:
    """A passive membrane (rest 0 V) with one current port, integrated exactly."""
    return sp.NeuronGroup(name=name, n=1, equations=MEMBRANE.format(current=port.current)
                          + "\n" + port.equations, method="exact",
                          params={"tau_m": TAU_M * second, "C": C_M * sp.farad, **port.params})


def _nmda_group() -> sp.NeuronGroup:
    """v held at five values; q integrates the NMDA current, so q(t) is (E - v) B(v)/C
    times the integral of the conductance."""
    port = c.nmda("gn", tau_rise=2 * ms, tau_decay=100 * ms, e_rev=0 * mV, mg=1 * mM)
    eqs = f"dv/dt = 0*volt/second : volt\ndq/dt = ({port.current})/C : volt\n{port.equations}"
    return sp.NeuronGroup(name="nmda", n=V_CLAMP.size, equations=eqs, method="euler",
                          params={"C": C_M * sp.farad, **port.params},
                          init={"v": V_CLAMP * sp.volt})


PORTS = {
    "exp": c.exponential("ie", 5 * ms),
    "alpha": c.alpha("ia", 3 * ms),
    "biexp": c.biexponential("ib", 1 * ms, 6 * ms),
    "alpha_g": c.alpha("ga", 3 * ms, e_rev=0 * mV),
}


@pytest.fixture(scope="module")
def runs() -> dict:
    groups = [_psp_group(k, p) for k, p in PORTS.items() if k != "alpha_g"]
    groups.append(sp.NeuronGroup(  # a conductance port's shape (its current unused)
        name="alpha_g", n=1, equations=PORTS["alpha_g"].equations, method="exact",
        params={k: v for k, v in PORTS["alpha_g"].params.items() if k != "E_ga"}))
    groups.append(_nmda_group())
    spike = sp.SpikeTrainInput(name="spike", n=1, indices=[0], times=[T0 * DT])
    projs = [sp.Projection(name=f"to_{g.name}", source="spike", target=g.name,
                           port=PORTS[g.name].name if g.name in PORTS else "gn",
                           connectivity=sp.AllToAll(),
                           weight=W_G * sp.siemens if g.name in ("alpha_g", "nmda")
                           else W_I * sp.amp) for g in groups]
    mons = [sp.StateMonitor(population=g.name, variables=g.variables) for g in groups]
    net = sp.Network(dt=DT, seed=1, populations=(spike, *groups), projections=tuple(projs),
                     monitors=tuple(mons))
    return {b: sp.simulate(net, 0.3 * second, backend=b,
                           **({"dtype": "float64"} if b == "jax" else {}))
            for b in ("jax", "brian2")}


def _since(res: sp.Results, group: str, var: str) -> tuple[np.ndarray, np.ndarray]:
    """Time since the spike's delivery (s) at each sample after it, and the values. The
    weight is added after the state update of the spike's step (Brian2's order): the
    next sample shows it undecayed."""
    x = np.asarray(res.states[group].values[var])[:, 0]
    assert np.all(x[:T0 + 1] == 0), "nothing may arrive before the spike is delivered"
    t = (np.arange(x.size) - T0 - 1) * float(DT)
    return t[T0 + 1:], x[T0 + 1:]


def _psp(kernel_terms: list[tuple[float, float]], t: np.ndarray) -> np.ndarray:
    """The passive membrane's response to a current ``sum a_k exp(-t/tau_k)`` (amp)."""
    out = np.zeros_like(t)
    for a, tau in kernel_terms:
        out += a / C_M * (np.exp(-t / tau) - np.exp(-t / TAU_M)) / (1 / TAU_M - 1 / tau)
    return out


@pytest.mark.brian2
@pytest.mark.parametrize("backend", ["jax", "brian2"])
def test_exponential_port_and_its_psp(runs, backend):
    t, i = _since(runs[backend], "exp", "ie")
    np.testing.assert_allclose(i, W_I * np.exp(-t / 5e-3), rtol=1e-9)
    _, v = _since(runs[backend], "exp", "v")
    np.testing.assert_allclose(v, _psp([(W_I, 5e-3)], t), rtol=1e-8, atol=1e-15)


@pytest.mark.brian2
@pytest.mark.parametrize("backend", ["jax", "brian2"])
def test_alpha_port_peaks_at_the_weight_at_tau_and_its_psp(runs, backend):
    tau = 3e-3
    t, i = _since(runs[backend], "alpha", "ia_s")
    np.testing.assert_allclose(i, W_I * t / tau * np.exp(1 - t / tau), rtol=1e-9, atol=1e-20)
    assert abs(t[np.argmax(i)] - tau) < float(DT) / 2 and abs(i.max() - W_I) < 1e-6 * W_I
    # v(t) = (W e/(C tau)) exp(-t/tau_m) int_0^t s exp(-a s) ds, a = 1/tau - 1/tau_m
    a = 1 / tau - 1 / TAU_M
    want = W_I * np.e / (C_M * tau) * np.exp(-t / TAU_M) * (1 - np.exp(-a * t) * (1 + a * t)) / a**2
    _, v = _since(runs[backend], "alpha", "v")
    np.testing.assert_allclose(v, want, rtol=1e-8, atol=1e-15)
    t, g = _since(runs[backend], "alpha_g", "ga_s")
    np.testing.assert_allclose(g, W_G * t / tau * np.exp(1 - t / tau), rtol=1e-9, atol=1e-20)


@pytest.mark.brian2
@pytest.mark.parametrize("backend", ["jax", "brian2"])
def test_biexponential_port_peaks_at_the_weight_and_its_psp(runs, backend):
    tr, td = 1e-3, 6e-3
    t_peak = td * tr / (td - tr) * np.log(td / tr)
    norm = 1 / (np.exp(-t_peak / td) - np.exp(-t_peak / tr))
    t, i = _since(runs[backend], "biexp", "ib_s")
    np.testing.assert_allclose(i, W_I * norm * (np.exp(-t / td) - np.exp(-t / tr)), rtol=1e-9,
                               atol=1e-20)
    assert abs(i.max() - W_I) < 1e-3 * W_I  # sampled every 0.1 ms near the peak
    _, v = _since(runs[backend], "biexp", "v")
    np.testing.assert_allclose(v, _psp([(W_I * norm, td), (-W_I * norm, tr)], t), rtol=1e-8,
                               atol=1e-15)


@pytest.mark.brian2
@pytest.mark.parametrize("backend", ["jax", "brian2"])
def test_nmda_port_is_blocked_by_magnesium_as_jahr_and_stevens(runs, backend):
    """q after 0.3 s: (E - v) B(v)/C times the integral of the bi-exponential conductance
    (Euler's sum of it: dq/dt is integrated with the conductance of each step), with
    B(v) = 1/(1 + [Mg]/3.57 mM exp(-0.062 v/mV))."""
    res = runs[backend]
    g = np.asarray(res.states["nmda"].values["gn_s"])  # (samples, 5), one per step
    q = np.asarray(res.states["nmda"].values["q"])
    block = 1 / (1 + 1 / 3.57 * np.exp(-0.062 * V_CLAMP * 1e3))
    want = (0 - V_CLAMP) * block / C_M * g[:-1, 0].sum() * float(DT)
    np.testing.assert_allclose(q[-1], want, rtol=1e-9, atol=1e-18)
    t, gs = _since(res, "nmda", "gn_s")
    # Euler integrates the conductance: its peak is the weight within the method's error
    assert abs(gs.max() - W_G) < 0.02 * W_G


def test_ports_validate_their_time_constants():
    with pytest.raises(sp.SpecError, match="alpha port 'g'.*tau.*> 0"):
        c.alpha("g", -1 * ms)
    with pytest.raises(sp.SpecError, match="biexponential port 'g'.*shorter than tau_decay"):
        c.biexponential("g", 5 * ms, 2 * ms)
    with pytest.raises(sp.SpecError, match="exponential port 'g'.*a time"):
        c.exponential("g", 5 * mV)
    with pytest.raises(sp.SpecError, match="ports contains"):
        c.AdEx("a", 2, ports=["ge"])


def test_ports_add_to_a_catalogue_neuron():
    g = c.AdEx("a", 2, ports=[c.exponential("ge", 5 * ms, e_rev=0 * mV), c.nmda("gn")],
               params=dict(tau_ge=3 * ms))
    assert {"ge", "gn", "gn_s"} <= set(g.variables)
    assert g.port("gn").weight_dim == tuple(sp._units.dim_of(nS))
    assert float(g.values["tau_ge"]) == pytest.approx(3e-3)
    assert g.port("ge").weight_dim != tuple(sp._units.dim_of(pA * pF))
