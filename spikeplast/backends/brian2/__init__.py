"""The Brian2 backend (imported lazily by :func:`spikeplast.simulate`)."""

from ._backend import TARGETS, Brian2Simulation, build, check, default_cache_dir, structure_key
from ._model import blocks, neuron_equations, shared_parameters, synapse_groups

NAME = "brian2"
__all__ = ["Brian2Simulation", "build", "check", "default_cache_dir", "structure_key",
           "neuron_equations", "shared_parameters", "blocks", "synapse_groups", "TARGETS", "NAME"]
