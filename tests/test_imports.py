"""``import spikeplast`` loads Brian2's units without the rest of Brian2, and a later
``import brian2`` (the brian2 backend's, or the user's) gives the package Python's own
import gives: checked in fresh interpreters against one that imports brian2 first."""

from __future__ import annotations

import pytest
from conftest import run_python

# what a process sees of brian2: its public names, its units' names, where its loader is
DESCRIBE = r"""
import json, sys
import numpy as np
hook = sys.excepthook
{first}
import brian2
ns = {{}}
exec("from brian2 import *", ns)
import spikeplast as sp
print(json.dumps({{
    "before": before,
    "names": sorted(n for n in dir(brian2) if not n.startswith("_")),
    "star": sorted(n for n in ns if not n.startswith("_")),
    "units_names": sorted(dir(brian2.units)),
    "units_bound": brian2.units is sys.modules["brian2.units"],
    "same_quantity": type(sp.ms) is brian2.Unit and isinstance(3 * sp.ms, brian2.Quantity)
                     and brian2.ms is sp.ms,
    "loader": type(brian2.__loader__).__name__,
    "spec_loader": type(brian2.__spec__.loader).__name__,
    "finders": [type(f).__name__ for f in sys.meta_path],
    "hook_kept": sys.excepthook is hook,
    # Brian2's units look for matplotlib 1.3.1 (whose bug needs unit-less ravel); the
    # class body binds the module it imported as Quantity.matplotlib
    "quantity_names": sorted(n for n in dir(brian2.Quantity) if n != "matplotlib"),
    "ravel": repr(brian2.Quantity.ravel(np.arange(3) * brian2.mV)),
    # the units name powers in LaTeX with sympy's latex (spikeplast defers sympy)
    "latex": sorted((k, v.latexname) for k, v in vars(brian2.units.allunits).items()
                    if isinstance(v, brian2.Unit)),
    "repr_latex": [(brian2.metre ** 5).latexname, (brian2.mV ** 7).latexname,
                   (brian2.ms ** -3).latexname, (3 * brian2.mV ** 2)._repr_latex_(),
                   (2.5 * brian2.nS / brian2.cm ** 2)._repr_latex_(),
                   brian2.units.fundamentalunits.latex(brian2.mV ** 0.5)],
}}))
"""

SPIKEPLAST_FIRST = """
import spikeplast
before = sorted(m for m in ("brian2", "brian2.codegen", "brian2.only", "pylab", "jax",
                            "matplotlib", "sympy") if m in sys.modules)
import importlib.util
assert importlib.util.find_spec("brian2") is not None  # asking imports nothing
"""

BRIAN2_FIRST = """
import brian2
before = []
"""


def describe(first: str) -> dict:
    return run_python(DESCRIBE.format(first=first))


@pytest.fixture(scope="module")
def both() -> tuple[dict, dict]:
    return describe(SPIKEPLAST_FIRST), describe(BRIAN2_FIRST)


def test_import_spikeplast_leaves_brian2_jax_matplotlib_and_sympy_unimported(both):
    lazy, _ = both
    assert lazy["before"] == []


def test_brian2_imported_later_is_the_package_a_plain_import_gives(both):
    lazy, plain = both
    for key in ("names", "star", "units_names", "loader", "spec_loader", "finders",
                "quantity_names", "ravel", "latex", "repr_latex"):
        assert lazy[key] == plain[key], key
    assert lazy["units_bound"] and lazy["same_quantity"]
    assert plain["units_bound"] and plain["same_quantity"]


def test_brian2s_excepthook_does_not_replace_the_users(both):
    # Brian2's __init__ installs a hook that reports every uncaught exception as a
    # Brian2 bug; with spikeplast imported first, the hook the user had stays
    lazy, plain = both
    assert lazy["hook_kept"]
    assert not plain["hook_kept"]  # what the check guards against: brian2 first replaces it
