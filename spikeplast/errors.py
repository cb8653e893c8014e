"""The typed exceptions spikeplast raises.

Every error a user can cause by writing a spec is a :class:`SpecError`; a
feature that one backend cannot run is an :class:`UnsupportedFeature`; a fault
detected while a simulation runs (a NaN, an overflowing buffer, a failed
compile) is a :class:`SimulationError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "SpikeplastError",
    "SpecError",
    "UnsupportedFeature",
    "SimulationError",
    "ResultsFileError",
    "did_you_mean",
]


class SpikeplastError(Exception):
    """Base class of every error raised by spikeplast."""


class SpecError(SpikeplastError, ValueError):
    """An invalid network specification; raised before anything compiles or runs."""


class UnsupportedFeature(SpikeplastError):
    """A backend cannot run a feature of the spec; raised before anything compiles.

    Attributes:
        backend: the backend's name, e.g. ``"brian2"``.
        feature: a short description of the feature it cannot run.
    """

    def __init__(self, backend: str, feature: str, hint: str = "") -> None:
        self.backend = backend
        self.feature = feature
        msg = f"backend '{backend}' does not support {feature}"
        super().__init__(msg + (f". {hint}" if hint else ""))


class SimulationError(SpikeplastError, RuntimeError):
    """A fault detected while building or running a simulation."""


class ResultsFileError(SpikeplastError, OSError):
    """A results file that cannot be read: truncated, corrupted or of an unknown version."""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest known name, or ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""
