"""spikeplast — spiking and plastic neural networks on Brian2 and JAX.

Write a network spec, then ``simulate(net, 1*second, backend="jax")`` or
``backend="brian2"``. Units are Brian2's, re-exported here (``ms``, ``mV``, ...).
"""
# ruff: noqa: E402 - brian2.units must be loaded (alone) before it is imported

from ._brian2_units import load_units as _load_units

_load_units()  # Brian2's units without the rest of Brian2 (0.4 s against 1.0 s)

from brian2.units import (
    Hz,
    amp,
    farad,
    hertz,
    kHz,
    mA,
    mS,
    ms,
    msecond,
    mV,
    mvolt,
    nA,
    nF,
    nS,
    pA,
    pF,
    second,
    siemens,
    uA,
    uF,
    uS,
    volt,
)

from . import components
from .compare import Comparison, compare
from .errors import (
    ResultsFileError,
    SimulationError,
    SpecError,
    SpikeplastError,
    UnsupportedFeature,
)
from .lowering import Plan, lower
from .results import RateTrace, Results, SpikeTrains, StateTrace, WeightTrace, load_results
from .simulate import build, simulate
from .spec import (
    BCM,
    BCMODE,
    LIF,
    STDP,
    AllToAll,
    AntiHebbian,
    ConductancePort,
    CurrentPort,
    DenseMatrix,
    DiscreteLIF,
    DiscreteSTDP,
    FilteredRate,
    FixedInDegree,
    FixedOutDegree,
    FixedProbability,
    FromIndices,
    Hebbian,
    Network,
    NeuronGroup,
    Normal,
    Oja,
    OneToOne,
    OnlineHebbian,
    PoissonInput,
    Projection,
    RateMonitor,
    RatePatterns,
    RatePopulation,
    Sanger,
    SpikeMonitor,
    SpikeTrainInput,
    StateMonitor,
    TimedArray,
    TimedRates,
    Uniform,
    WeightMonitor,
)
from .state import SimState, load_state
from .sweep import sweep

__version__ = "0.1.0"

__all__ = [
    "SimState",
    "load_state",
    "components",
    # spec
    "Network", "LIF", "NeuronGroup", "TimedArray", "CurrentPort", "ConductancePort",
    "PoissonInput", "SpikeTrainInput",
    "TimedRates", "Projection", "AllToAll", "OneToOne", "FixedProbability", "FixedInDegree",
    "FixedOutDegree", "FromIndices", "DenseMatrix", "SpikeMonitor", "StateMonitor",
    "RateMonitor", "WeightMonitor", "Uniform", "Normal", "STDP", "DiscreteLIF", "DiscreteSTDP",
    "RatePopulation", "RatePatterns", "Oja", "Sanger", "BCM", "BCMODE",
    "Hebbian", "AntiHebbian", "OnlineHebbian", "FilteredRate",
    # running
    "lower", "Plan", "build", "simulate", "sweep", "compare", "Comparison",
    # results
    "Results", "SpikeTrains", "StateTrace", "RateTrace", "WeightTrace", "load_results",
    # errors
    "SpikeplastError", "SpecError", "UnsupportedFeature", "SimulationError", "ResultsFileError",
    # units
    "second", "msecond", "ms", "Hz", "hertz", "kHz", "volt", "mvolt", "mV", "siemens", "mS",
    "uS", "nS", "farad", "uF", "nF", "pF", "amp", "mA", "uA", "nA", "pA",
]
