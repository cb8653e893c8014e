"""The JAX backend (imported lazily by :func:`spikeplast.simulate`)."""

from ._backend import JaxSimulation, build, check, compile_count

NAME = "jax"
__all__ = ["JaxSimulation", "build", "check", "compile_count", "NAME"]
