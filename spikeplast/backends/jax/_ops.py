"""Array operations that the step uses many times, written so that tracing them is cheap."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

Array = Any
__all__ = ["where"]


def _weak(x: Any) -> bool:
    """Whether ``x`` is weakly typed: a Python scalar, or an array marked so."""
    return type(x) in (bool, int, float) or bool(getattr(x, "weak_type", False))


def where(condition: Array, x: Array, y: Array) -> Array:
    """``jnp.where(condition, x, y)``: the same promotion, broadcasting and result, bit for
    bit, as one ``select`` in the caller's computation.

    ``jnp.where`` is a jitted function of its own: each call leaves a nested computation
    in the traced step that JAX lowers and XLA inlines again. The CUBA chunk had 22 of
    them; without them its trace and lowering take about 8 ms less (one core, alternating
    runs; XLA's compile the same within its noise)."""
    if _weak(x) or _weak(y):  # jnp decides whether the result is weakly typed
        return jnp.where(condition, x, y)
    dtype = jnp.result_type(x, y)
    c, a, b = jnp.asarray(condition, bool), jnp.asarray(x, dtype), jnp.asarray(y, dtype)
    shape = jnp.broadcast_shapes(c.shape, a.shape, b.shape)
    return jax.lax.select(jnp.broadcast_to(c, shape), jnp.broadcast_to(a, shape),
                          jnp.broadcast_to(b, shape))
