"""Compiled chunk functions kept on disk, so that a new process skips tracing and XLA.

XLA compiles a CUBA chunk in 0.3–0.6 s on this CPU; loading the serialised executable
takes about 10 ms. An entry is keyed by everything that shapes the executable: the
chunk structure, the argument signature, the JAX/jaxlib versions, spikeplast's own
source (a changed step function must never be served from an old entry), the platform, the
device kind and count (an executable is loaded for a device assignment), the host
CPU's model and flags (XLA:CPU compiles for the host) and ``XLA_FLAGS`` (compiler
options change the code: an executable built under other flags is not served).
Entries are ``.npz`` files written atomically by the same writer as results (no pickle:
the payload is XLA's own serialisation and the argument trees are protocol buffers).
An unreadable entry is compiled again and replaced; a cache that cannot be written
only costs the compile. Only processes with one device use the cache: XLA loads a
deserialised executable onto every local device.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
from pathlib import Path
from typing import Any

import jax
import numpy as np

from ..._files import read_npz, source_digest, write_npz
from ...errors import ResultsFileError

__all__ = ["load", "store", "entry"]

_VERSION = 1
_KIND = "compiled chunk"


@functools.cache
def _host() -> str:
    """The host CPU, as XLA:CPU sees it (model name and instruction-set flags)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    keep = [line for line in text.splitlines() if line.split(":")[0].strip() in
            ("model name", "flags", "Features", "CPU part")]
    return "\n".join(sorted(set(keep)))


def entry(directory: Path, *parts: Any) -> Path:
    """The file of the executable described by ``parts`` (their ``repr``s)."""
    import jaxlib

    device = jax.devices()[0]
    key = repr((parts, jax.__version__, jaxlib.__version__, source_digest(), device.platform,
                device.device_kind, jax.device_count(), jax.process_count(),
                _host() if device.platform == "cpu" else "", os.environ.get("XLA_FLAGS", "")))
    return directory / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.npz"


def load(path: Path) -> Any | None:
    """The executable stored at ``path``, or None if there is none or it is unusable."""
    from jax.experimental import serialize_executable

    try:
        arrays, _ = read_npz(path, _KIND, _VERSION)
        trees = [jax.tree_util.PyTreeDef.deserialize_using_proto(
            jax.tree_util.default_registry, arrays[k].tobytes()) for k in ("in_tree", "out_tree")]
        return serialize_executable.deserialize_and_load(arrays["payload"].tobytes(), *trees)
    except FileNotFoundError:
        return None
    except (ResultsFileError, KeyError, ValueError, RuntimeError, jax.errors.JaxRuntimeError):
        return None  # written by another version or damaged: compile again


def store(path: Path, compiled: Any) -> None:
    """Keep ``compiled`` at ``path`` (atomically); a failure to write is not an error."""
    from jax.experimental import serialize_executable

    try:
        payload, in_tree, out_tree = serialize_executable.serialize(compiled)
        arrays = {"payload": np.frombuffer(payload, np.uint8),
                  "in_tree": np.frombuffer(in_tree.serialize_using_proto(), np.uint8),
                  "out_tree": np.frombuffer(out_tree.serialize_using_proto(), np.uint8)}
        write_npz(path, arrays, {}, _VERSION, _KIND)
    except (OSError, ValueError, TypeError):
        pass  # read-only or full cache directory, or a tree that cannot be serialised
