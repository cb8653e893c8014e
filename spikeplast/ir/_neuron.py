"""A neuron model's equations, threshold, reset and refractoriness -> update statements.

:func:`compile_neuron` checks a model with Brian2's own ``Equations`` and unit system and
integrates it with Brian2's own state updaters, by building a (runtime-device)
``NeuronGroup`` and asking each of its code runners for its abstract code, the code Brian2
itself generates C++ from. What Brian2 does in its templates rather than in that code is
recorded as data for the backends: which variables synaptic writes skip while a neuron is
refractory (Brian2's conditional writes), and the refractoriness mode.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from .._files import cache_root, source_digest, write_text_atomic
from ..errors import SpecError, did_you_mean

__all__ = ["NeuronIR", "ParamSpec", "Statement", "StateVar", "compile_neuron", "METHODS",
           "FUNCTIONS", "BUILTIN_NAMES", "unit_name", "FROZEN_DRAW", "freeze_draws",
           "frozen_draws", "FrozenMethod", "given_frozen"]

#: integration methods, as Brian2 names them (None: Brian2's own choice)
METHODS = ("exact", "euler", "exponential_euler", "rk2", "rk4", "heun", "milstein")
#: Brian2 functions an expression may call (each has an explicit JAX rendering)
FUNCTIONS = ("exp", "log", "log10", "sqrt", "abs", "sign", "sin", "cos", "tan", "sinh", "cosh",
             "tanh", "arcsin", "arccos", "arctan", "clip", "exprel", "expm1", "log1p", "int",
             "floor", "ceil", "rand", "randn", "timestep")
#: names every model may read without declaring them
BUILTIN_NAMES = ("t", "dt", "i", "N")
#: bump when the IR's form changes (cached entries of another version are ignored)
_IR_VERSION = 3
#: the TimedArrays a frozen model reads its random draws from: ``frozen_draw_<k>(t, i)``
FROZEN_DRAW = "frozen_draw_"
_DRAW = re.compile(r"\b(randn|rand)\(\)")
_STATEMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=|\+=|-=|\*=|/=)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Statement:
    """``target op expr``; ``expr`` in Brian2 syntax with SI numbers for units."""

    target: str
    op: str  # "=", "+=", "-=", "*=", "/="
    expr: str


@dataclass(frozen=True)
class StateVar:
    """A state variable: its name, Brian2 dimension (7 SI exponents) and flags."""

    name: str
    dim: tuple[float, ...]
    unit: str  # as Brian2 equations write it, e.g. "volt", "siemens", "1"
    unless_refractory: bool = False


@dataclass(frozen=True)
class ParamSpec:
    """What the IR needs to know of a parameter: its unit, and whether it is one value
    for the whole group (``shared``) or one per neuron; a ``TimedArray`` has
    ``timed`` = its number of dimensions (1: ``f(t)``, 2: ``f(t, i)``)."""

    dim: tuple[float, ...]
    shared: bool = True
    timed: int = 0

    @property
    def unit(self) -> str:
        return unit_name(self.dim)


@dataclass(frozen=True)
class NeuronIR:
    """A neuron model as blocks of statements (all names and expressions in Brian2 syntax).

    Attributes:
        digest: what the cache knows the model by.
        variables: state variables, in equation order.
        subexpressions: ``(name, expression)`` in dependency order (inlined where read).
        method: the integration method used (Brian2's choice when none was asked).
        refractory: ``""`` (none), ``"time"`` or ``"condition"`` (Brian2's three modes).
        update: the ``groups`` slot's statements (refractoriness, then the state update).
        threshold: the spike condition (``and not_refractory`` included), or ``""``.
        reset: the ``resets`` slot's statements.
        gated: variables whose synaptic writes Brian2 skips while a neuron is refractory.
        noise: ``xi`` names of the equations (white noise, one normal draw each a step).
        equations: the full equations Brian2 was given (the user's plus parameter lines).
        given: the threshold, reset and refractoriness as given (``""`` where none), for
            a backend that hands the model to Brian2 again.
        frozen: for a model whose random draws are pre-drawn (:func:`freeze_draws`), the
            kind (``"randn"``, ``"rand"``) of each draw ``frozen_draw_<k>``; else empty.
    """

    digest: str
    variables: tuple[StateVar, ...]
    subexpressions: tuple[tuple[str, str], ...]
    method: str
    refractory: str
    update: tuple[Statement, ...]
    threshold: str
    reset: tuple[Statement, ...]
    gated: tuple[str, ...]
    noise: tuple[str, ...]
    equations: str
    given: tuple[str, str, str]
    frozen: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def variable(self, name: str) -> StateVar:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(name)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> NeuronIR:
        d = json.loads(text)
        return cls(digest=d["digest"],
                   variables=tuple(StateVar(v["name"], tuple(v["dim"]), v["unit"],
                                            v["unless_refractory"]) for v in d["variables"]),
                   subexpressions=tuple(tuple(s) for s in d["subexpressions"]),
                   method=d["method"], refractory=d["refractory"],
                   update=tuple(Statement(**s) for s in d["update"]),
                   threshold=d["threshold"], reset=tuple(Statement(**s) for s in d["reset"]),
                   gated=tuple(d["gated"]), noise=tuple(d["noise"]), equations=d["equations"],
                   given=tuple(d["given"]), frozen=tuple(d["frozen"]))


# -- frozen draws ----------------------------------------------------------------------
def frozen_draws(code: str, start: int = 0) -> tuple[str, tuple[str, ...]]:
    """``code`` with its ``rand()``/``randn()`` calls, in the order written, read from the
    TimedArrays ``frozen_draw_<start + k>(t, i)``; and the kind of each draw.

    Both backends number a model's draws with this one function (the state update's,
    then the threshold's, then the reset's), so each reads the same pre-drawn value.
    """
    kinds: list[str] = []

    def read(m: re.Match[str]) -> str:
        kinds.append(m.group(1))
        return f"{FROZEN_DRAW}{start + len(kinds) - 1}(t, i)"

    return _DRAW.sub(read, code), tuple(kinds)


def freeze_draws(ir: NeuronIR) -> NeuronIR:
    """The model with every random draw read from a pre-drawn TimedArray (see
    :func:`frozen_draws`): white noise ``xi`` is ``dt**.5 * randn()`` in Brian2's
    stochastic state updaters, so a network frozen this way gives the same spikes on
    every backend. The same IR when the model draws nothing."""
    kinds: list[str] = []

    def freeze(statements: tuple[Statement, ...]) -> tuple[Statement, ...]:
        out = []
        for s in statements:
            expr, k = frozen_draws(s.expr, len(kinds))
            kinds.extend(k)
            out.append(Statement(s.target, s.op, expr))
        return tuple(out)

    update = freeze(ir.update)
    threshold, k = frozen_draws(ir.threshold, len(kinds))
    kinds.extend(k)
    reset = freeze(ir.reset)
    if not kinds:
        return ir
    digest = hashlib.sha256(f"{ir.digest} frozen".encode()).hexdigest()[:24]
    return dataclasses.replace(ir, digest=digest, update=update, threshold=threshold,
                               reset=reset, frozen=tuple(kinds))


def given_frozen(ir: NeuronIR) -> tuple[str, str, str]:
    """``ir.given`` with the threshold's and the reset's draws frozen as in ``ir``."""
    threshold, reset, refractory = ir.given
    if not ir.frozen:
        return ir.given
    n_reset = len(_DRAW.findall(reset))
    n_threshold = len(_DRAW.findall(threshold))
    threshold = frozen_draws(threshold, len(ir.frozen) - n_reset - n_threshold)[0]
    reset = frozen_draws(reset, len(ir.frozen) - n_reset)[0]
    return threshold, reset, refractory


@dataclass(frozen=True)
class FrozenMethod:
    """A Brian2 state updater (``NeuronGroup(method=...)``): Brian2's own ``method``, with
    its draws read from the TimedArrays of :func:`frozen_draws`."""

    method: str

    def __call__(self, equations: Any, variables: Any, method_options: Any = None) -> str:
        from brian2.stateupdaters.base import StateUpdateMethod
        code = StateUpdateMethod.apply_stateupdater(equations, variables, self.method,
                                                    method_options)
        return frozen_draws(code)[0]


# -- entry point -----------------------------------------------------------------------
def compile_neuron(where: str, *, equations: str, threshold: str | None, reset: str | None,
                   refractory: str | float | None, method: str | None,
                   params: Mapping[str, ParamSpec], cache: bool = True) -> NeuronIR:
    """The IR of a neuron model, from the disk cache when it was compiled before.

    Args:
        where: the owning object for messages, e.g. ``NeuronGroup 'exc'``.
        equations: Brian2 equations (``dv/dt = ... : volt (unless refractory)``).
        threshold: the spike condition, or None for a group that never spikes.
        reset: statements run for the neurons that spiked (``;`` or newlines between).
        refractory: None, a time in seconds, or an expression (a time or a condition).
        method: one of :data:`METHODS`, or None for Brian2's default choice.
        params: every external identifier of the model (see :class:`ParamSpec`).
    """
    key = _digest(equations, threshold, reset, refractory, method, params)
    path = cache_root() / "ir" / f"{key}.json"
    if cache:
        try:
            ir = NeuronIR.from_json(path.read_text())
            if ir.digest == key:
                return ir
        except (OSError, ValueError, KeyError, TypeError):
            pass  # absent or damaged: compile again
    ir = _compile(where, key, equations, threshold or "", reset or "", refractory, method,
                  params)
    if cache:
        try:
            write_text_atomic(path, ir.to_json())
        except OSError:
            pass  # an unwritable cache only costs the next process a compile
    return ir


def _digest(*parts: Any) -> str:
    *head, params = parts
    # spikeplast's source: an entry made by other checks or another IR is never reused
    text = json.dumps([_IR_VERSION, source_digest(), _brian2_version(), *map(repr, head),
                       sorted((k, asdict(v)) for k, v in params.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _brian2_version() -> str:
    from importlib.metadata import version
    return version("brian2")


# -- checks before Brian2 sees the model ---------------------------------------------
def _lines(text: str) -> list[tuple[int, str]]:
    """Non-empty lines of a block with their 1-based numbers (comments dropped)."""
    out = []
    for k, line in enumerate(text.split("\n"), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append((k, line))
    return out


def _statements_of(code: str) -> list[str]:
    """A code block's statements (newlines or ``;`` between them)."""
    return [s.strip() for _, line in _lines(code) for s in line.split(";") if s.strip()]


def _parse_equations(where: str, text: str) -> Any:
    from brian2 import Equations
    from brian2.equations.equations import EquationError

    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"{where}: equations = {text!r} is invalid; it must be a non-empty "
                        f"string of Brian2 equations (e.g. 'dv/dt = -v/tau : volt').")
    try:
        return Equations(text)
    except (EquationError, SyntaxError, ValueError, TypeError, KeyError) as err:
        for k, line in _lines(text):  # name the first line that fails on its own
            try:
                Equations(line)
            except Exception as line_err:  # noqa: BLE001 - any Brian2 parse failure
                raise SpecError(f"{where}: equations line {k} {line!r} is invalid: "
                                f"{_brief(line_err)}") from None
        raise SpecError(f"{where}: equations are invalid: {_brief(err)}") from None


def _brief(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text if len(text) < 400 else text[:400] + " ..."


def _default_names() -> dict[str, Any]:
    from brian2.core.functions import DEFAULT_CONSTANTS, DEFAULT_FUNCTIONS
    from brian2.core.namespace import DEFAULT_UNITS
    return {**DEFAULT_UNITS, **DEFAULT_CONSTANTS, **DEFAULT_FUNCTIONS}


def _line_of(text: str, name: str) -> str:
    """``line k`` of the equation defining ``name``, for messages."""
    pat = re.compile(rf"^\s*(d\s*{re.escape(name)}\s*/\s*dt|{re.escape(name)})\s*[=:]")
    for k, line in _lines(text):
        if pat.match(line):
            return f"line {k} ({line!r})"
    return "equations"


def _check_names(where: str, eqs: Any, equations: str, threshold: str, reset: str,
                 refractory: Any, params: Mapping[str, ParamSpec]) -> None:
    from brian2.utils.stringtools import get_identifiers

    for name in eqs.names:
        if name in params:
            raise SpecError(f"{where}: '{name}' is defined by the equations "
                            f"({_line_of(equations, name)}) and given in params too; a name "
                            f"is either a state variable or a parameter.")
        if name.startswith(("_", FROZEN_DRAW)) or name in ("lastspike", "not_refractory",
                                                           *BUILTIN_NAMES):
            raise SpecError(f"{where}: {_line_of(equations, name)} defines '{name}', a name "
                            f"Brian2 (or spikeplast's frozen noise) reserves; rename the variable.")
    for name in params:
        if not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", name) or name in BUILTIN_NAMES or \
                name in ("lastspike", "not_refractory") or name.startswith(("xi", FROZEN_DRAW)):
            raise SpecError(f"{where}: params names '{name}', which is not a valid parameter "
                            f"name (an identifier not starting with '_', 'xi' or "
                            f"'{FROZEN_DRAW}', and none of "
                            f"t, dt, i, N, lastspike, not_refractory).")
    defaults = _default_names()
    known = set(eqs.names) | set(params) | set(BUILTIN_NAMES) | {"lastspike", "not_refractory"}
    blocks = [("equations", equations)]
    if threshold:
        blocks.append(("threshold", threshold))
    if reset:
        blocks.append(("reset", reset))
    if isinstance(refractory, str):
        blocks.append(("refractory", refractory))
    for block, text in blocks:
        for k, line in _lines(text):
            if block == "equations":  # the unit and flags after ':' are not expressions
                expr = re.sub(r"^\s*d\s*[A-Za-z_][A-Za-z0-9_]*\s*/\s*dt", "",
                              line.split(":", 1)[0])
            else:
                expr = line
            for name in sorted(get_identifiers(expr)):
                if name in known or name in defaults or re.match(r"^xi(_\w+)?$", name):
                    continue
                at = f"line {k} ({line.strip()!r})" if block == "equations" else repr(text)
                raise SpecError(f"{where}: {block} {at} uses '{name}', which is neither a "
                                f"variable of the equations nor a parameter; add it to "
                                f"params or the equations."
                                f"{did_you_mean(name, sorted(known - {'lastspike'}))}")
    if reset:
        writable = {n for n in eqs.names if n not in eqs.subexpr_names}
        for stmt in _statements_of(reset):
            m = _STATEMENT.match(stmt)
            if m is None:
                raise SpecError(f"{where}: reset statement {stmt!r} is invalid; it must be an "
                                f"assignment such as 'v = v_r' or 'w += b'.")
            target = m.group(1)
            if target not in writable:
                what = ("a parameter" if target in params else "a subexpression"
                        if target in eqs.names else "not a variable of the equations")
                raise SpecError(f"{where}: reset statement {stmt!r} writes '{target}', which is "
                                f"{what}; a reset may write the state variables "
                                f"({', '.join(sorted(writable))})."
                                f"{did_you_mean(target, writable)}")


# -- Brian2 does the rest -------------------------------------------------------------
@contextmanager
def _runtime_device() -> Iterator[None]:
    """Brian2's runtime device while a model is compiled (whatever the caller had active):
    a ``NeuronGroup`` made under a standalone device would become part of its project."""
    from brian2.devices.device import get_device, reset_device, runtime_device, set_device

    previous = get_device()
    if previous is runtime_device:
        yield
        return
    set_device("runtime")
    try:
        yield
    finally:
        reset_device(previous)


def _group(where: str, eqs_text: str, threshold: str, reset: str, refractory: Any,
           method: str | None, params: Mapping[str, ParamSpec]) -> Any:
    import numpy as np
    from brian2 import NeuronGroup, TimedArray, second
    from brian2.units.fundamentalunits import Quantity

    namespace: dict[str, Any] = {}
    for name, p in params.items():
        if p.timed:
            shape = (2,) if p.timed == 1 else (2, 1)
            namespace[name] = TimedArray(Quantity(np.zeros(shape), dim=_dimension(p.dim)),
                                         dt=1 * second, name=name)
    ref: Any = False
    if isinstance(refractory, str):
        ref = refractory
    elif refractory is not None:
        ref = float(refractory) * second
    kwargs: dict[str, Any] = {"threshold": threshold or None, "reset": reset or None,
                              "refractory": ref, "namespace": namespace, "name": "model"}
    if method is not None:
        kwargs["method"] = method
    return NeuronGroup(1, eqs_text, **kwargs)


def _compile(where: str, key: str, equations: str, threshold: str, reset: str,
             refractory: Any, method: str | None, params: Mapping[str, ParamSpec]) -> NeuronIR:
    import logging

    from brian2.units.fundamentalunits import DimensionMismatchError

    if method is not None and method not in METHODS:
        raise SpecError(f"{where}: method = {method!r} is invalid; it must be one of "
                        f"{', '.join(METHODS)}, or None for Brian2's choice."
                        f"{did_you_mean(str(method), METHODS)}")
    eqs = _parse_equations(where, equations)
    _check_names(where, eqs, equations, threshold, reset, refractory, params)
    lines = [equations.rstrip()]
    for name, p in params.items():
        if not p.timed:
            flags = "shared, constant" if p.shared else "constant"
            lines.append(f"{name} : {p.unit} ({flags})")
    full = "\n".join(lines)
    # the model's NeuronGroup is never run, which Brian2 would warn about when it is freed
    logging.getLogger("brian2.core.base.unused_brian_object").setLevel(logging.ERROR)
    # spikeplast records the method it picks; Brian2 would log it as news
    logging.getLogger("brian2.stateupdaters.base.method_choice").setLevel(logging.WARNING)
    with _runtime_device():
        try:
            group = _group(where, full, threshold, reset, refractory, method, params)
        except (SyntaxError, ValueError, TypeError, KeyError, DimensionMismatchError) as err:
            raise SpecError(f"{where}: {_brian2_message(err, equations)}") from None
        try:
            group.equations.check_units(group, run_namespace={})
        except Exception as err:  # noqa: BLE001 - DimensionMismatchError and others
            raise SpecError(f"{where}: {_brian2_message(err, equations)}") from None
        runners = [("equations", group.state_updater)]
        if threshold:
            runners.append(("threshold", group.thresholder["spike"]))
        if reset:
            runners.append(("reset", group.resetter["spike"]))
        codes = {}
        for block, runner in runners:
            try:
                runner.update_abstract_code(run_namespace={})
                codes[block] = runner.abstract_code
                if block == "reset":
                    _check_statement_units(reset, group)
            except Exception as err:  # noqa: BLE001 - Brian2 raises many kinds here
                if str(err).startswith("Refractory"):
                    block = "refractory"
                elif block == "equations" and method is not None:
                    block = f"equations (method {method!r})"
                raise SpecError(f"{where}: {block}: {_brian2_message(err, equations)}"
                                ) from None
        if threshold:
            from brian2.parsing.expressions import is_boolean_expression
            if not is_boolean_expression(threshold, group.variables):
                raise SpecError(f"{where}: threshold {threshold!r} is not a condition; it "
                                f"must be true or false for each neuron (e.g. 'v > v_th').")
            from brian2.parsing.expressions import parse_expression_dimensions
            try:
                parse_expression_dimensions(threshold, {
                    **group.variables, **group.resolve_all(_identifiers(threshold), {},
                                                           user_identifiers=set())})
            except Exception as err:  # noqa: BLE001 - DimensionMismatchError and others
                raise SpecError(f"{where}: threshold {threshold!r}: {_brief(err)}") from None
        chosen = method or _chosen_method(group)
        variables = []
        for name in eqs.keys():  # in the order of the equations
            if name in group.equations.subexpr_names:
                continue
            eq = group.equations[name]
            if name in params or name in ("lastspike", "not_refractory"):
                continue
            var = group.variables[name]
            variables.append(StateVar(name, tuple(float(x) for x in var.dim._dims),
                                      unit_name(tuple(float(x) for x in var.dim._dims)),
                                      "unless refractory" in eq.flags))
        subexpr = tuple((s.varname, _si(str(s.expr), group)) for s in
                        group.equations.ordered if s.varname in group.equations.subexpr_names)
        gated = tuple(v.name for v in variables if v.unless_refractory)
    update = _statements(codes["equations"], group)
    noise = tuple(sorted(eqs.stochastic_variables))
    thr = ""
    if threshold:
        thr = _si(codes["threshold"].split("=", 1)[1].strip(), group)
    mode = "" if refractory is None else ("time" if not isinstance(refractory, str) or
                                          "timestep(" in codes["equations"] else "condition")
    given = (threshold, reset, "" if refractory is None else str(refractory))
    return NeuronIR(key, tuple(variables), subexpr, chosen, mode, update, thr,
                    _statements(codes.get("reset", ""), group), gated, noise, full, given)


def _check_statement_units(code: str, group: Any) -> None:
    """Brian2's unit check of each statement of a code block (it names the statement)."""
    from brian2.equations.unitcheck import check_units_statements

    variables = group.resolve_all(set(group.variables) | _identifiers(code), {},
                                  user_identifiers=set())
    check_units_statements(code, {**group.variables, **variables})


def _identifiers(code: str) -> set[str]:
    from brian2.utils.stringtools import get_identifiers
    return set(get_identifiers(code))


def _chosen_method(group: Any) -> str:
    """The method Brian2 picks by default: the first of its choices that applies."""
    from brian2.stateupdaters.base import StateUpdateMethod, UnsupportedEquationsException

    variables = group.resolve_all(group.equations.identifiers | set(group.equations.names)
                                  | {"dt", "t"}, {}, user_identifiers=set())
    for m in group.state_updater.method_choice:  # as Brian2 tries them
        try:
            StateUpdateMethod.apply_stateupdater(group.equations, variables, m)
        except UnsupportedEquationsException:
            continue
        return str(m)
    return str(group.state_updater.method_choice[0])


def _dimension(dim: tuple[float, ...]) -> Any:
    from brian2.units.fundamentalunits import get_or_create_dimension
    return get_or_create_dimension(dim)


def unit_name(dim: tuple[float, ...]) -> str:
    """The unit of a dimension as Brian2 equations write it (``volt``, ``1``)."""
    from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit
    d = _dimension(dim)
    return "1" if d is DIMENSIONLESS else repr(get_unit(d))


def _brian2_message(err: BaseException, equations: str) -> str:
    text = _brief(err)
    m = re.search(r"defining variable '?(\w+)", text) or re.search(r"equation for '?(\w+)", text)
    if m:
        return f"{_line_of(equations, m.group(1))}: {text}"
    return text


def _si(expr: str, group: Any) -> str:
    """``expr`` with units and constants written as SI numbers (``10*ms`` -> ``10*0.001``)."""
    from brian2.core.functions import DEFAULT_CONSTANTS
    from brian2.core.namespace import DEFAULT_UNITS
    from brian2.utils.stringtools import get_identifiers, word_substitute

    subs = {}
    for name in get_identifiers(expr):
        if name in group.variables or name in ("True", "False", "inf"):
            continue
        if name in DEFAULT_UNITS:
            subs[name] = f"({float(DEFAULT_UNITS[name])!r})"
        elif name in DEFAULT_CONSTANTS:
            subs[name] = f"({float(DEFAULT_CONSTANTS[name].value)!r})"
    return word_substitute(expr, subs) if subs else expr


def _statements(code: str, group: Any) -> tuple[Statement, ...]:
    out = []
    for stmt in _statements_of(code):
        m = _STATEMENT.match(stmt)
        if m is None:  # pragma: no cover - Brian2 checked the code
            raise SpecError(f"cannot read the statement {stmt!r}")
        out.append(Statement(m.group(1), m.group(2), _si(m.group(3), group)))
    return tuple(out)
