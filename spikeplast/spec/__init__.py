"""The declarative network spec: frozen, validated data with no execution code."""

from ._discrete import DiscreteLIF, DiscreteSTDP
from ._groups import NeuronGroup, TimedArray
from ._inputs import PoissonInput, ResolvedRates, SpikeTrainInput, TimedRates
from ._monitors import RateMonitor, SpikeMonitor, StateMonitor, WeightMonitor
from ._network import Network, steps_of
from ._neurons import LIF, METHODS, ConductancePort, CurrentPort
from ._plasticity import STDP, ResolvedSTDP
from ._projections import (
                           AllToAll,
                           DenseMatrix,
                           FixedInDegree,
                           FixedOutDegree,
                           FixedProbability,
                           FromIndices,
                           OneToOne,
                           Projection,
)
from ._rate import (
    ACTIVATIONS,
    BCM,
    BCMODE,
    AntiHebbian,
    FilteredRate,
    Hebbian,
    Oja,
    OnlineHebbian,
    RatePatterns,
    RatePopulation,
    Sanger,
)
from ._values import Normal, SIDist, Uniform

__all__ = [
    "Network", "LIF", "NeuronGroup", "TimedArray", "CurrentPort", "ConductancePort", "METHODS",
    "PoissonInput", "SpikeTrainInput", "TimedRates", "ResolvedRates",
    "Projection", "AllToAll", "OneToOne", "FixedProbability", "FixedInDegree",
    "FixedOutDegree", "FromIndices", "DenseMatrix",
    "SpikeMonitor", "StateMonitor", "RateMonitor", "WeightMonitor",
    "Uniform", "Normal", "SIDist", "steps_of", "STDP", "ResolvedSTDP", "DiscreteLIF",
    "DiscreteSTDP", "RatePopulation", "RatePatterns", "Oja", "Sanger", "BCM", "BCMODE",
    "Hebbian", "AntiHebbian", "OnlineHebbian", "FilteredRate",
    "ACTIVATIONS",
]
