"""Models as data: Brian2-syntax equations turned into blocks of update statements.

Brian2's own parser, unit checks and state updaters do the work (:func:`compile_neuron`);
the result is small frozen data (:class:`NeuronIR`) that the Brian2 backend passes back to
Brian2 as strings and the JAX backend renders into ``jax.numpy`` kernels. It is cached on
disk by a digest of the model, so a warm process does not import Brian2's code generation.
"""

from ._neuron import (
    FROZEN_DRAW,
    FrozenMethod,
    NeuronIR,
    ParamSpec,
    Statement,
    StateVar,
    compile_neuron,
    freeze_draws,
    frozen_draws,
    given_frozen,
)

__all__ = ["NeuronIR", "ParamSpec", "Statement", "StateVar", "compile_neuron", "freeze_draws",
           "frozen_draws", "FrozenMethod", "FROZEN_DRAW", "given_frozen"]
