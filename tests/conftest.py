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


def run_python(script: str, *args: str, env: dict[str, str] | None = None) -> Any:
    """Run ``script`` in a fresh Python (``args`` as its ``sys.argv[1:]``, ``env`` added to
    this process's environment); it must succeed. The JSON of its last line of output."""
    out = subprocess.run([sys.executable, "-c", script, *args], env={**os.environ, **(env or {})},
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_on_cpu_devices(script: str, devices: int = 4) -> Any:
    """:func:`run_python` with the CPU split into ``devices`` JAX devices (the flag must be
    set before JAX starts)."""
    flag = f"--xla_force_host_platform_device_count={devices}"
    return run_python(script, env={"XLA_FLAGS": flag})
