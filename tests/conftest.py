"""Shared test fixtures and settings."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

#: every backend the feature tests run on
BACKENDS = ("jax", "brian2")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def eps(dtype: str) -> float:
    """Machine epsilon of a float type name."""
    import numpy as np
    return float(np.finfo(dtype).eps)
