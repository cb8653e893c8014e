"""The JAX code generator: a neuron model's IR rendered into ``jax.numpy`` kernels.

Each block of the IR (state update, threshold, reset) becomes one Python function of
the group's state, its parameters and the step (:func:`source`); expressions are rendered
by Brian2's own ``NumpyNodeRenderer`` and every Brian2 function is mapped to an explicit
``jax.numpy`` implementation (:data:`_FUNCTIONS`), with Brian2's C++ semantics where
they differ from NumPy's (``exprel``, ``int``, ``timestep``). The source depends only on
the IR, so it is cached on disk by the IR's digest and a warm process neither imports
Brian2's code generation nor renders again.

What Brian2 does in its templates rather than in the abstract code is the engine's: the
refractory bookkeeping at a spike (``lastspike``, ``not_refractory``), skipping synaptic
writes to ``(unless refractory)`` variables while refractory, and the random numbers.
``lastspike`` is kept in whole steps, so ``timestep(t - lastspike, dt)`` (Brian2's
refractoriness test, exact for times that are multiples of dt) is an integer difference.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from ..._files import cache_root, write_text_atomic
from ...ir import NeuronIR, Statement

__all__ = ["Kernels", "source", "kernels"]

Array = Any
_CODEGEN_VERSION = 1
_RANDOM = re.compile(r"\b(randn|rand)\(\)")


def _int(x: Array) -> Array:
    """Brian2's ``int``: a bool as 0/1, a number truncated toward zero (as C++ casts)."""
    x = jnp.asarray(x)
    if x.dtype == jnp.bool_:
        return x.astype(jnp.int32)
    return jnp.trunc(x) if jnp.issubdtype(x.dtype, jnp.floating) else x


def _exprel(x: Array) -> Array:
    """``(exp(x) - 1)/x``, 1 at 0, as Brian2's C++ ``_exprel``."""
    small = jnp.abs(x) < 1e-16
    return jnp.where(small, 1.0, jnp.expm1(x) / jnp.where(small, 1.0, x))


def _timestep(t: Array, dt: Array) -> Array:
    """Brian2's ``timestep``: whole steps in a time, ``int((t + 1e-3 dt)/dt)``."""
    return jnp.trunc((t + 1e-3 * dt) / dt).astype(jnp.int32)


#: every Brian2 function an expression may call, by the name the renderer writes
_FUNCTIONS: dict[str, Callable[..., Array]] = {
    "exp": jnp.exp, "log": jnp.log, "log10": jnp.log10, "sqrt": jnp.sqrt, "abs": jnp.abs,
    "sign": jnp.sign, "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan, "sinh": jnp.sinh,
    "cosh": jnp.cosh, "tanh": jnp.tanh, "arcsin": jnp.arcsin, "arccos": jnp.arccos,
    "arctan": jnp.arctan, "clip": jnp.clip, "exprel": _exprel, "expm1": jnp.expm1,
    "log1p": jnp.log1p, "int": _int, "floor": jnp.floor, "ceil": jnp.ceil,
    "timestep": _timestep, "logical_not": jnp.logical_not, "inf": jnp.inf,
}


@dataclass(frozen=True)
class Kernels:
    """The generated functions of one model (``None`` where a block is empty).

    ``update(s, p, env) -> s``, ``threshold(s, p, env) -> mask`` and
    ``reset(s, p, env) -> s`` take the state ``s`` (a dict of ``(n,)`` arrays, with
    ``lastspike`` in steps and ``not_refractory``), the parameters ``p`` and ``env``:
    ``t`` (s), ``step``, ``dt``, ``i``, ``N``, ``timed(name, arg, column)`` and
    ``random(kind, k)`` (draw ``k`` of the step, ``"rand"`` or ``"randn"``).
    """

    update: Callable[..., dict[str, Array]] | None
    threshold: Callable[..., Array] | None
    reset: Callable[..., dict[str, Array]] | None
    source: str


def _render(expr: str) -> str:
    from brian2.parsing.rendering import NumpyNodeRenderer
    return NumpyNodeRenderer().render_expr(expr)


def _block(name: str, ir: NeuronIR, statements: tuple[Statement, ...], result: str | None,
           timed: dict[str, int]) -> list[str]:
    """The source of one kernel: read the state and parameters, run the statements."""
    reads = set()
    body = []
    draws = [0]

    def expression(expr: str) -> str:
        expr = expr.replace("timestep(t - lastspike, dt)", "(_step - lastspike)")
        code = _render(expr)

        def draw(m: re.Match[str]) -> str:
            draws[0] += 1
            return f"_random({m.group(1)!r}, {draws[0] - 1})"

        code = _RANDOM.sub(draw, code)
        for tname, ndim in timed.items():  # f(t) / f(t, i): the row of this step, exactly
            step_arg = r"t\)" if ndim == 1 else r"t,\s*i\)"
            code = re.sub(rf"\b{tname}\({step_arg}", f"_timed({tname!r}, None)", code)
            code = re.sub(rf"\b{tname}\(", f"_timed_at({tname!r}, ", code)
        reads.update(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", re.sub(r"'[^']*'", "", code)))
        return code

    subexpr = [(n, expression(e)) for n, e in ir.subexpressions]
    for target, code in subexpr:
        body.append(f"    {target} = {code}")
    for s in statements:
        code = expression(s.expr)
        if s.op == "=":
            body.append(f"    {s.target} = {code}")
        else:
            body.append(f"    {s.target} = {s.target} {s.op[0]} ({code})")
        reads.add(s.target)
    state = [v.name for v in ir.variables] + ["lastspike", "not_refractory"]
    head = [f"def {name}(_s, _p, _env):"]
    for var in state:
        if var in reads:
            head.append(f"    {var} = _s[{var!r}]")
    for k in ("t", "dt", "i", "N"):
        if k in reads:
            head.append(f"    {k} = _env[{k!r}]")
    if "_step" in reads:
        head.append("    _step = _env['step']")
    if draws[0]:
        head.append("    _random = _env['random']")
    if "_timed" in reads or "_timed_at" in reads:
        head.append("    _timed, _timed_at = _env['timed'], _env['timed_at']")
    local = {s.target for s in statements} | {n for n, _ in subexpr}
    params = sorted(r for r in reads if r not in state and r not in _FUNCTIONS and r not in
                    ("t", "dt", "i", "N", "_step", "_random", "_timed", "_timed_at", "True", "None",
                     "False") and not r.startswith("_") and r not in local
                    and r not in timed)
    for p in params:
        head.append(f"    {p} = _p[{p!r}]")
    if result is not None:  # a condition
        tail = [f"    return jnp.broadcast_to({result}, _env['shape'])"]
    else:
        written = [v for v in state if any(s.target == v for s in statements)]
        tail = ["    return {" + ", ".join(
            f"{v!r}: jnp.broadcast_to({v}, _env['shape'])" for v in written) + "}"]
    return head + body + tail


def source(ir: NeuronIR, timed: dict[str, int]) -> str:
    """The Python source of a model's kernels (``update``, ``threshold``, ``reset``)."""
    lines = [f"# generated by spikeplast from IR {ir.digest}", ""]
    lines += _block("update", ir, ir.update, None, timed) + [""]
    if ir.threshold:
        thr = Statement("_cond", "=", ir.threshold)
        lines += _block("threshold", ir, (thr,), "_cond", timed) + [""]
    if ir.reset:
        lines += _block("reset", ir, ir.reset, None, timed) + [""]
    return "\n".join(lines)


@functools.lru_cache(maxsize=256)
def kernels(ir: NeuronIR, timed: tuple[tuple[str, int], ...]) -> Kernels:
    """The kernels of a model: the cached source when there is one, else rendered now."""
    key = f"{ir.digest}-{_CODEGEN_VERSION}-" + "-".join(f"{k}{d}" for k, d in timed)
    path = cache_root() / "codegen" / f"{key}.py"
    try:
        text = path.read_text()
        if not text.startswith(f"# generated by spikeplast from IR {ir.digest}"):
            raise ValueError("another model")
    except (OSError, ValueError):
        text = source(ir, dict(timed))
        try:
            write_text_atomic(path, text)
        except OSError:
            pass  # an unwritable cache costs only the next process a rendering
    namespace: dict[str, Any] = {"jnp": jnp, "jax": jax, **_FUNCTIONS}
    exec(compile(text, f"<spikeplast kernels {ir.digest}>", "exec"), namespace)  # noqa: S102
    return Kernels(namespace.get("update"), namespace.get("threshold"), namespace.get("reset"),
                   text)
