"""Quantities in, SI floats out: the one place spec fields meet Brian2's units.

Spec fields with a dimension accept :mod:`brian2.units` quantities, reject bare
numbers and wrong dimensions with a :class:`~spikeplast.errors.SpecError` that
names the object, the field and the expected unit, and are stored as SI floats
(or read-only float64 arrays).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from brian2.units import fundamentalunits as fu
from brian2.units.allunits import amp, farad, hertz, metre, second, siemens, volt

from .errors import SpecError

__all__ = ["DIMS", "as_si", "fmt", "frozen_array", "fail", "SIFloat", "SIArray", "Dim",
           "dim_of", "si_of"]

#: a dimension as Brian2 stores it: the exponents of the 7 SI base units
Dim = tuple[float, ...]
_DIMENSIONLESS: Dim = (0.0,) * 7


class SIFloat(float):
    """A float already converted to SI by :func:`as_si` (accepted again as is, so that
    ``dataclasses.replace`` on a spec re-validates without units)."""


class SIArray(np.ndarray):
    """A read-only float64 array already converted to SI by :func:`as_si`."""

#: the dimensions spec fields use: name -> (brian2 unit, example for messages)
DIMS: dict[str, tuple[Any, str]] = {
    "time": (second, "20*ms"),
    "voltage": (volt, "-65*mV"),
    "conductance": (siemens, "6*nS"),
    "capacitance": (farad, "200*pF"),
    "current": (amp, "1*nA"),
    "rate": (hertz, "15*Hz"),
    "length": (metre, "1*um"),
    "dimensionless": (None, "0.5"),
}


def fmt(value: Any) -> str:
    """A short text for a value in an error message."""
    if isinstance(value, np.ndarray) and value.size > 6:
        return f"array of shape {value.shape}"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"{type(value).__name__} of length {len(value)}"
    return repr(value) if isinstance(value, str) else str(value)


def fail(where: str, field: str, value: Any, must: str) -> SpecError:
    """Build the standard error: ``<where>: <field> = <value> is invalid; it must <must>.``"""
    return SpecError(f"{where}: {field} = {fmt(value)} is invalid; it must {must}.")


def frozen_array(a: Any, dtype: Any = np.float64) -> np.ndarray:
    """A read-only copy of ``a`` as a NumPy array of ``dtype``."""
    out = np.array(a, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def _dim_name(dim: str) -> str:
    unit, example = DIMS[dim]
    if unit is None:
        return "a dimensionless number"
    return f"a {dim} in {unit.dim!s} units (e.g. {example})"


def as_si(
    value: Any,
    *,
    where: str,
    field: str,
    dim: str,
    n: int | None = None,
    finite: bool = True,
) -> float | np.ndarray:
    """Convert a quantity (scalar or array) to SI after checking its dimension.

    Args:
        value: a Brian2 quantity, or a plain number/array when ``dim`` is dimensionless.
        where: the owning object for messages, e.g. ``"LIF 'exc'"``.
        field: the field name for messages.
        dim: a key of :data:`DIMS`.
        n: when given, an array value must have shape ``(n,)``; when ``None`` only
            scalars are accepted.
        finite: reject NaN and infinities.

    Returns:
        a float for a scalar, else a read-only float64 array of shape ``(n,)``.
    """
    if isinstance(dim, tuple):  # any dimension, e.g. a state variable's
        return si_of(value, where=where, field=field, dim=dim, n=n)
    unit, _ = DIMS[dim]
    if isinstance(value, (SIFloat, SIArray)):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise fail(where, field, value, f"be {_dim_name(dim)}")
    if isinstance(value, (list, tuple)) and any(isinstance(x, fu.Quantity) for x in value):
        try:  # a list of quantities, e.g. [10*ms, 20*ms]
            value = fu.Quantity(value)
        except Exception:  # noqa: BLE001 - Brian2 raises DimensionMismatchError and others
            raise fail(where, field, value, f"have one unit for every entry ({_dim_name(dim)})"
                       ) from None
    if unit is not None and type(value) in (int, float) and value == 0:
        return SIFloat(0.0)  # a bare zero is unambiguous in any unit
    if unit is not None:
        if not isinstance(value, fu.Quantity):
            if isinstance(value, (int, float, np.number, np.ndarray, list, tuple)):
                raise SpecError(
                    f"{where}: {field} = {fmt(value)} has no unit; it must be {_dim_name(dim)}."
                )
            raise fail(where, field, value, f"be {_dim_name(dim)}")
        if not fu.have_same_dimensions(value, unit):
            raise SpecError(
                f"{where}: {field} = {fmt(value)} has dimension "
                f"{fu.get_dimensions(value)!s}; it must be {_dim_name(dim)}."
            )
    elif isinstance(value, fu.Quantity) and not fu.is_dimensionless(value):
        raise SpecError(
            f"{where}: {field} = {fmt(value)} has dimension "
            f"{fu.get_dimensions(value)!s}; it must be a dimensionless number."
        )
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(where, field, value, f"be {_dim_name(dim)}") from None
    if arr.ndim == 0:
        out: float | np.ndarray = SIFloat(arr)
    elif n is not None and arr.shape == (n,):
        out = frozen_array(arr).view(SIArray)
    elif n is None:
        raise fail(where, field, value, "be a scalar")
    else:
        raise SpecError(
            f"{where}: {field} has shape {arr.shape}; it must be a scalar or have shape ({n},)."
        )
    if finite and not np.all(np.isfinite(arr)):
        raise fail(where, field, value, "be finite (no NaN or infinity)")
    return out


def dim_of(value: Any) -> Dim:
    """The 7 SI exponents of a quantity (plain numbers are dimensionless)."""
    d = fu.get_dimensions(value)
    return _DIMENSIONLESS if d is fu.DIMENSIONLESS else tuple(float(x) for x in d._dims)


def si_of(value: Any, *, where: str, field: str, dim: Dim, n: int | None) -> float | np.ndarray:
    """A quantity of dimension ``dim`` in SI: a float, or a read-only ``(n,)`` array."""
    from .ir._neuron import unit_name

    if isinstance(value, (SIFloat, SIArray)):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise fail(where, field, value, f"be a quantity in {unit_name(dim)}")
    if isinstance(value, (list, tuple)):
        try:
            value = fu.Quantity(value)
        except Exception:  # noqa: BLE001 - mixed units and others
            raise fail(where, field, value, f"have one unit ({unit_name(dim)}) for every "
                       f"entry") from None
    got = dim_of(value)
    zero = type(value) in (int, float) and value == 0
    if got != dim and not zero:
        raise SpecError(f"{where}: {field} = {fmt(value)} is in {unit_name(got)}; it must be "
                        f"in {unit_name(dim)}.")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(where, field, value, f"be a quantity in {unit_name(dim)}") from None
    if not np.all(np.isfinite(arr)):
        raise fail(where, field, value, "be finite (no NaN or infinity)")
    if arr.ndim == 0:
        return SIFloat(arr)
    if n is not None and arr.shape == (n,):
        return frozen_array(arr).view(SIArray)
    raise SpecError(f"{where}: {field} has shape {arr.shape}; it must be a scalar"
                    + (f" or have shape ({n},)." if n is not None else "."))
