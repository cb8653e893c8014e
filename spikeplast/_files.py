"""``.npz`` files with JSON metadata: written atomically, read without pickle, checked."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ResultsFileError

__all__ = ["cache_root", "write_npz", "read_npz", "write_text_atomic"]


def cache_root() -> Path:
    """Where spikeplast keeps builds between processes: ``$SPIKEPLAST_CACHE`` or
    ``~/.cache/spikeplast`` (Brian2 projects under ``brian2/``, compiled JAX chunk
    functions under ``jax/``)."""
    return Path(os.environ.get("SPIKEPLAST_CACHE") or Path.home() / ".cache" / "spikeplast")


@functools.cache
def source_digest() -> str:
    """A digest of spikeplast's own Python source. Compile caches include it in their
    keys, so that code generated or traced by other spikeplast code is never reused."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        digest.update(f.relative_to(root).as_posix().encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a temporary file renamed over it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_npz(path: str | os.PathLike[str], arrays: dict[str, np.ndarray],
              meta: dict[str, Any], version: int, what: str) -> Path:
    """Write ``arrays`` and ``meta`` (with every array's shape and the kind of file,
    ``what``) to ``path`` atomically: a crash mid-write leaves any old file intact."""
    path = Path(path)
    meta = {**meta, "kind": what, "shapes": {k: list(np.shape(v)) for k, v in arrays.items()}}
    arrays = {**arrays, "__format__": np.array(version),
              "__metadata__": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_npz(path: str | os.PathLike[str], what: str, version: int
             ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and metadata of a file written by :func:`write_npz`; raises
    :class:`ResultsFileError` naming the file and the problem (truncated, corrupted, wrong
    version, an array whose shape disagrees with the metadata)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as e:
        raise ResultsFileError(f"{path}: not a readable spikeplast {what} file "
                               f"(truncated or corrupted?): {e}") from None
    if "__format__" not in arrays or "__metadata__" not in arrays:
        raise ResultsFileError(f"{path}: not a spikeplast {what} file (no format marker).")
    found = int(arrays.pop("__format__"))
    if found != version:
        raise ResultsFileError(f"{path}: {what} format version {found}; this spikeplast "
                               f"reads version {version}.")
    try:
        meta = json.loads(arrays.pop("__metadata__").tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ResultsFileError(f"{path}: metadata is corrupted: {e}") from None
    kind = meta.pop("kind", "results")
    if kind != what:
        raise ResultsFileError(f"{path}: a spikeplast {kind} file, not a {what} file.")
    for k, shape in meta.pop("shapes", {}).items():
        if k not in arrays or list(arrays[k].shape) != shape:
            got = list(arrays[k].shape) if k in arrays else "missing"
            raise ResultsFileError(f"{path}: array '{k}' has shape {got}; the metadata says "
                                   f"{shape}.")
    return arrays, meta
