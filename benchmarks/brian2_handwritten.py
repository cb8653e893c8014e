"""spikeplast's brian2 backend against a hand-written Brian2 script of the same CUBA network.

Both run C++ standalone in fresh processes on this machine, in one invocation:
cold (empty build directory / cache) and warm (the same structure again: Brian2
rebuilds its project in the same directory; spikeplast reruns its cached binary).

    python benchmarks/brian2_handwritten.py [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Brian2's CUBA example, the 4000 neurons ``P`` (shared with ``sweep.py``)
CUBA_GROUP = r"""
taum = 20*ms; taue = 5*ms; taui = 10*ms
Vt = -50*mV; Vr = -60*mV; El = -49*mV
eqs = '''
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
'''
P = NeuronGroup(4000, eqs, threshold='v>Vt', reset='v = Vr', refractory=5*ms, method='exact')
P.v = 'Vr + rand() * (Vt - Vr)'
"""

HANDWRITTEN = r"""
import sys, time, json
t0 = time.perf_counter()
from brian2 import *
set_device('cpp_standalone', directory=sys.argv[1])
""" + CUBA_GROUP + r"""
P.ge = 0*mV
P.gi = 0*mV
we = (60*0.27/10)*mV
wi = (-20*4.5/10)*mV
Ce = Synapses(P, P, on_pre='ge += we')
Ci = Synapses(P, P, on_pre='gi += wi')
Ce.connect('i<3200', p=0.02)
Ci.connect('i>=3200', p=0.02)
s_mon = SpikeMonitor(P)
run(1 * second)
print(json.dumps({"run": device._last_run_time, "total": time.perf_counter() - t0,
                  "rate": s_mon.num_spikes / 4000.0}))
"""

SPIKEPLAST = r"""
import sys, time, json
t0 = time.perf_counter()
sys.path.insert(0, {models!r})
import spikeplast as sp, cuba
res = sp.simulate(cuba.build(), 1 * sp.second, backend="brian2", cache_dir=sys.argv[1])
rate = (len(res.spikes["exc"]) + len(res.spikes["inh"])) / 4000.0
print(json.dumps({{"run": res.metadata["timings"]["run"], "total": time.perf_counter() - t0,
                  "compile": res.metadata["timings"]["compile"], "rate": rate}}))
"""


def run(code: str, directory: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, directory], capture_output=True,
                         text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    rows: dict[str, list[dict]] = {k: [] for k in ("hand cold", "hand warm", "spikeplast cold",
                                                   "spikeplast warm")}
    sp_code = SPIKEPLAST.format(models=str(ROOT / "models"))
    for _ in range(args.repeats):
        for who, code in (("hand", HANDWRITTEN), ("spikeplast", sp_code)):
            d = tempfile.mkdtemp(prefix=f"bench_{who}_")
            rows[f"{who} cold"].append(run(code, d))
            rows[f"{who} warm"].append(run(code, d))
            shutil.rmtree(d, ignore_errors=True)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("run", "total", "rate")}
           for k, v in rows.items()}
    print(f"{'CUBA 4000, 1 s, C++ standalone':<22}{'simulation (s)':>16}{'total wall (s)':>16}"
          f"{'rate (Hz)':>11}")
    for k, r in med.items():
        print(f"{k:<22}{r['run']:>16.3f}{r['total']:>16.3f}{r['rate']:>11.2f}")
    for phase in ("cold", "warm"):
        h, s = med[f"hand {phase}"], med[f"spikeplast {phase}"]
        print(f"{phase}: spikeplast / hand-written  simulation {s['run'] / h['run']:.3f}, "
              f"total {s['total'] / h['total']:.3f}")
    print(f"measured {time.strftime('%Y-%m-%d %H:%M')} on {sys.platform}, "
          f"median of {args.repeats}")


if __name__ == "__main__":
    main()
