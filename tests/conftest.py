"""Shared test fixtures and settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

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


def run_on_cpu_devices(script: str, devices: int = 4) -> Any:
    """Run ``script`` in a fresh Python whose CPU is split into ``devices`` JAX devices
    (the flag must be set before JAX starts) and return the JSON of its last line."""
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])
