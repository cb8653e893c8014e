"""Shared machinery of the frozen spec dataclasses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._units import as_si, fail, fmt
from ..errors import SpecError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: names the backends use internally; a user name may not clash with them
RESERVED = frozenset({"t", "dt", "i", "j", "N", "lastspike", "not_refractory", "w", "delay",
                      "x", "y", "rate", "rates", "spikes", "indices", "times"})


class SpecBase:
    """Mixin for frozen spec dataclasses: a readable location and in-place conversion."""

    name: str

    @property
    def where(self) -> str:
        """The object as error messages name it, e.g. ``LIF 'exc'``."""
        return f"{type(self).__name__} '{getattr(self, 'name', '?')}'"

    def _set(self, field: str, value: Any) -> None:
        object.__setattr__(self, field, value)

    def _si(self, field: str, dim: str, n: int | None = None, *, check: Any = None,
            must: str = "") -> Any:
        """Convert a field to SI in place; with ``check``, every value must satisfy it
        (the error shows the value as the user wrote it and says what it ``must`` be)."""
        original = getattr(self, field)
        value = as_si(original, where=self.where, field=field, dim=dim, n=n)
        if check is not None and not all_of(value, check):
            raise fail(self.where, field, original, must)
        self._set(field, value)
        return value


@dataclass(frozen=True)
class InputPort:
    """The one dimensionless input of a population that sums ``W x`` (discrete or rate)."""

    kind: str
    name: str = "input"
    weight_dim: str = "dimensionless"


def single_input_port(where: str, name: str, kind: str) -> InputPort:
    """The ``"input"`` port of a one-port population (SpecError for any other name)."""
    if name != "input":
        raise SpecError(f"{where} has no port '{name}'; known: input.")
    return InputPort(kind)


def check_name(where: str, field: str, name: Any) -> None:
    """A name must be an identifier that Brian2's code generation can use."""
    if not isinstance(name, str) or not _NAME.match(name) or name.startswith("_"):
        raise fail(where, field, name, "be a non-empty identifier: a letter, then letters, "
                   "digits or '_' (e.g. 'exc')")
    if name in RESERVED:
        raise fail(where, field, name, f"not be a reserved name ({', '.join(sorted(RESERVED))})")


def check_count(where: str, field: str, n: Any, *, minimum: int = 1) -> int:
    """A whole number ``>= minimum`` (bool rejected)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise fail(where, field, n, f"be a whole number >= {minimum}")
    return int(n)


def check_range(where: str, field: str, value: Any, ok: bool, must: str) -> None:
    """Raise the standard error (showing ``value``) unless ``ok``."""
    if not ok:
        raise fail(where, field, value, must)


def all_of(value: float | np.ndarray, predicate: Any) -> bool:
    """``predicate`` holds for the scalar or every element of the array."""
    return bool(np.all(predicate(np.asarray(value))))


def index_array(where: str, field: str, value: Any, upper: int | None = None) -> np.ndarray:
    """A read-only int64 array of indices in ``[0, upper)``."""
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - anything unconvertible is a spec error
        raise fail(where, field, value, "be a 1-D array of whole numbers") from None
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise fail(where, field, value, "be a 1-D array of whole numbers")
    arr = arr.astype(np.int64)
    if upper is not None and arr.size and (arr.min() < 0 or arr.max() >= upper):
        bad = arr[(arr < 0) | (arr >= upper)][0]
        raise SpecError(f"{where}: {field} contains {bad}; every index must be in [0, {upper}).")
    arr.setflags(write=False)
    return arr


__all__ = ["InputPort", "single_input_port", "SpecBase", "check_name", "check_count",
           "check_range", "all_of", "index_array", "fmt", "RESERVED"]
