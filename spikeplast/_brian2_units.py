"""Brian2's units now, the rest of Brian2 when something imports it.

A spec needs Brian2's units (``ms``, ``mV``, ...), but ``import brian2.units`` first runs
Brian2's package ``__init__``, which imports its code generators, Cython's compiler
modules, sympy's solvers and, through ``pylab``, matplotlib's pyplot: about 1.0 s on the
project's machine, against 0.4 s for the units package alone (numpy and sympy), and 0.1 s
without sympy, which the units use only to write powers in LaTeX (imported on the first
call that needs it, see :func:`_latex`). Only the brian2 backend needs the rest.

:func:`load_units` loads ``brian2.units`` as the package it is, from the spec the import
system finds for it (so its modules and classes are the ones Brian2 itself uses), without
running Brian2's ``__init__``. It also registers a finder for the first ``import brian2``
from anywhere (the brian2 backend, or user code): that import runs Brian2's own
``__init__`` as usual (which reuses the loaded units) and then does what the import
system does for a subpackage it loads, bind ``brian2.units`` on the package. Brian2's
``__init__`` also replaces ``sys.excepthook`` with one that reports every uncaught
exception (spikeplast's ``SpecError`` included) as a Brian2 bug; the hook in place
before it is put back, as ``import spikeplast`` always did.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any

__all__ = ["load_units"]


def load_units() -> None:
    """Import ``brian2.units`` without ``brian2`` (nothing to do once either is loaded)."""
    if "brian2" in sys.modules or "brian2.units" in sys.modules:
        return
    package = importlib.util.find_spec("brian2")
    if package is None or not package.submodule_search_locations:
        return  # not installed: the plain import that follows says so
    spec = importlib.machinery.PathFinder.find_spec(
        "brian2.units", list(package.submodule_search_locations))
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["brian2.units"] = module
    # the units take one name from sympy, latex, for powers of units (metre ** 5:
    # "^{5}", a Python int) and LaTeX reprs; they call it only later. sympy's import is
    # 0.25 s: while the units load, a stand-in sympy holding _latex is in its place, so
    # they bind _latex (an int as sympy writes it; anything else through sympy, imported
    # then); afterwards sympy imports as usual (a thread importing sympy at that moment
    # would be given the stand-in)
    stand_in = None
    if "sympy" not in sys.modules:
        stand_in = sys.modules["sympy"] = ModuleType("sympy")
        stand_in.latex = _latex  # type: ignore[attr-defined]
    # the units import matplotlib only to look for version 1.3.1 (a workaround for its
    # bug; spikeplast needs 3.8 or later): 0.15 s. While they load, matplotlib is marked
    # absent, so they take Brian2's path without it; afterwards it imports as usual (a
    # thread importing matplotlib at that moment would be told it is absent)
    hidden = "matplotlib" not in sys.modules
    if hidden:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["brian2.units"]
        raise
    finally:
        if hidden and sys.modules.get("matplotlib", 0) is None:
            del sys.modules["matplotlib"]
        if stand_in is not None and sys.modules.get("sympy") is stand_in:
            del sys.modules["sympy"]
    sys.meta_path.insert(0, _Brian2Finder())


def _latex(expr: Any, **settings: Any) -> str:
    """``sympy.latex``, with sympy imported on the first call that needs it: a Python
    int is written as sympy writes it, its decimal digits."""
    if type(expr) is int and not settings:
        return str(expr)
    stand_in = sys.modules.get("sympy")
    if stand_in is not None and getattr(stand_in, "latex", None) is _latex:
        del sys.modules["sympy"]  # called while the units load: the real one from now on
    import sympy

    return str(sympy.latex(expr, **settings))


class _Brian2Finder(importlib.abc.MetaPathFinder):
    """Finds ``brian2`` with the spec the other finders give, and a loader that completes
    the package after Brian2's ``__init__`` has run; it leaves ``sys.meta_path`` then
    (not when merely asked: ``importlib.util.find_spec("brian2")`` imports nothing)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "brian2":
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None) if finder is not self else None
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Brian2Loader(spec.loader, self)
                return spec
        return None


class _Brian2Loader(importlib.abc.Loader):
    """Brian2's own loader, and afterwards: ``brian2.units`` bound, the excepthook kept,
    the module's loader set back to Brian2's own, and the finder gone."""

    def __init__(self, loader: importlib.abc.Loader, finder: _Brian2Finder) -> None:
        self._loader = loader
        self._finder = finder

    def __getattr__(self, name: str) -> Any:  # resource readers, get_data, is_package
        return getattr(self._loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        hook = sys.excepthook
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        module.units = sys.modules["brian2.units"]
        if getattr(sys.excepthook, "__name__", "") == "brian_excepthook":
            sys.excepthook = hook
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
