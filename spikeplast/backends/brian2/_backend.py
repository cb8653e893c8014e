"""The Brian2 backend: C++ standalone by default, Brian2's runtime targets on request.

C++ standalone
    A plan's *structure* (sizes, equations, connectivity, monitors, duration)
    is hashed into a cache key. The first run of a structure generates and
    compiles a Brian2 project into ``<cache>/<key>/`` — in a private temporary
    directory under a file lock, renamed into place when complete, so
    concurrent processes never share a half-built directory. Every run,
    including the first, then executes the compiled binary directly with all
    values passed as Brian2 ``run_args`` files and a private results
    directory, and reads the result files. Brian2's global device state is
    touched only while generating code and is reset afterwards; a run needs
    no Brian2 state at all, so many runs in one process, in any order, work.
runtime (``target="cython"`` or ``"numpy"``)
    The objects are built and run in-process with Brian2's runtime device.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..._files import cache_root, source_digest
from ...errors import SimulationError, SpecError, UnsupportedFeature
from ...lowering import Plan, SpikeTrainPlan
from ...results import Recording
from ...state import NEVER, SimState, compacted_sources, in_flight, state_array
from ._model import (
    NEVER_S,
    RESTORE_ENV,
    RNG_FILE,
    RNG_SAVE_CODE,
    Model,
    blocks,
    construct,
    energy_watched,
    has_control,
    order_updates,
    restore_code,
    run_values,
    shared_parameters,
    state_layout,
    synapse_groups,
)

__all__ = ["Brian2Simulation", "build", "check", "default_cache_dir", "TARGETS"]

TARGETS = ("cpp_standalone", "cython", "numpy")
_OPTIONS = {"target", "cache_dir", "dtype", "on_nan"}
PROJECT_FILE = "spikeplast_project.json"


def default_cache_dir() -> Path:
    """``$SPIKEPLAST_CACHE`` or ``~/.cache/spikeplast``, plus ``brian2``."""
    return cache_root() / "brian2"


def check(plan: Plan, options: dict[str, Any]) -> None:
    """Reject options and features this backend cannot run, before anything compiles."""
    unknown = set(options) - _OPTIONS
    if unknown:
        raise SpecError(f"backend 'brian2': unknown option(s) {', '.join(sorted(unknown))}; "
                        f"valid: {', '.join(sorted(_OPTIONS))}.")
    target = options.get("target", "cpp_standalone")
    if target not in TARGETS:
        raise SpecError(f"backend 'brian2': target = {target!r} is invalid; it must be one of "
                        f"{', '.join(TARGETS)}.")
    if options.get("on_nan", "raise") != "raise":
        raise UnsupportedFeature("brian2", f"on_nan = {options['on_nan']!r}",
                                 "A Brian2 run cannot stop part-way; it reports a NaN or "
                                 "infinite state after the run (on_nan='raise').")
    if options.get("dtype", "float64") != "float64":
        raise UnsupportedFeature("brian2", f"dtype = {options['dtype']!r}",
                                 "Brian2 simulates in float64 only; omit dtype.")
    for pop in plan.neurons():
        if pop.method != "exact":
            continue
        for port in pop.ports:
            same = np.asarray(port.tau) == np.asarray(pop.params["tau_m"])
            if np.any(same):
                raise UnsupportedFeature(
                    "brian2", f"population {pop.name!r}, port {port.name!r}: tau = tau_m "
                    f"({float(np.asarray(port.tau).flat[int(np.argmax(same))]) * 1e3:g} ms, "
                    f"{int(np.sum(same))} of {pop.n} neurons) with method = 'exact'",
                    "Brian2's exact solution divides by tau - tau_m and gives NaN there; "
                    "run backend='jax' (which has the closed form of this case), choose "
                    "method='exponential_euler' or 'euler', or give the port another tau.")
    if target in ("cpp_standalone", "cython") and not _compiler():
        raise UnsupportedFeature(
            "brian2", f"target = {target!r} without a C++ compiler",
            "No C++ compiler (c++, g++ or clang++) was found on PATH; install one, or run "
            "with backend='brian2', target='numpy' (no compiler needed, slower).")


def _compiler() -> str | None:
    for cc in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if cc and shutil.which(cc):
            return cc
    return None


# -- the structure key ----------------------------------------------------------------
def structure_key(plan: Plan, n_steps: int) -> str:
    """Hash of everything that shapes Brian2's generated code (not the values)."""
    import brian2

    h = hashlib.sha256()

    def put(*xs: Any) -> None:
        for x in xs:
            if isinstance(x, np.ndarray):
                h.update(f"{x.dtype}{x.shape}".encode())
                h.update(np.ascontiguousarray(x).tobytes())
            else:
                h.update(repr(x).encode())

    put("v10", source_digest(), brian2.__version__, plan.dt, n_steps)
    for b in blocks(plan):
        put(b, sorted(shared_parameters(plan, b)))
    for name, p in plan.populations.items():
        put(name, p.kind, p.n)
        if p.kind == "lif":
            put(p.method, tuple((q.name, q.kind) for q in p.ports))
        elif p.kind == "poisson":
            put(p.rates.shape, p.rate_steps, plan.seed)
        elif p.kind == "spiketrain":
            put(p.indices, p.steps)
        elif p.kind == "rate":
            put(p.activation, p.every, p.update, p.recurrent, has_control(plan, p),
                energy_watched(plan, p), order_updates(plan, p, n_steps))
        elif p.kind == "filtered":
            put(p.source)
        elif p.kind == "patterns":  # their values are run_args of a TimedArray
            put(p.patterns.shape, p.sequence.size, p.every)
        elif p.kind == "equations":  # the emitted code, and which parameters are shared
            put(p.ir.digest, sorted((k, np.ndim(v)) for k, v in p.params.items()),
                sorted((k, tp.values.shape, tp.every) for k, tp in p.timed.items()))
    for name, q in plan.projections.items():
        put(name, q.source, q.target, q.port, q.i, q.j)
        rule = q.plasticity  # the rule's kind and options shape the generated code
        put(type(rule).__name__, getattr(rule, "pairing", ""), getattr(rule, "dependence", ""),
            getattr(rule, "normalize", None), getattr(rule, "w_bound", 0) > 0,
            getattr(rule, "zero_diagonal", None))
    for g in synapse_groups(plan):
        # Brian2 builds a different spike queue when every delay of a pathway is equal: a
        # binary built for equal delays ignores unequal ones passed through run_args, and
        # keeps its one delay when run with another (measured: a network built with all
        # delays 1.5 ms and rerun with 0 gave the delayed spikes), so that delay is
        # structure too
        d = np.concatenate([plan.projections[m[0]].delay_steps for m in g.members])
        equal = bool(d.size == 0 or np.all(d == d[0]))
        put(g.name, equal, int(d[0]) if equal and d.size else None)
    put(dict(plan.spike_monitors), dict(plan.rate_monitors))
    for name, m in plan.state_monitors.items():
        put(name, m.population, m.variables, m.indices, m.every)
    for name, m in plan.weight_monitors.items():
        put(name, m.projection, m.synapses, m.every)
    return h.hexdigest()[:24]


@contextlib.contextmanager
def _brian2_device(name: str, **kwargs: Any) -> Iterator[Any]:
    """Make a Brian2 device active for the duration of a block, then restore the previous."""
    from brian2.devices.device import get_device, reset_device, set_device

    previous = get_device()
    set_device(name, **kwargs)
    dev = get_device()
    try:
        yield dev
    finally:
        if name == "cpp_standalone":
            dev.reinit()
        reset_device(previous)


def _array_name(var: Any) -> str:
    """The name Brian2 standalone's ``set_variable_by_name`` knows a variable by."""
    return f"{var.owner.name}.{var.name}"


# -- C++ standalone projects ------------------------------------------------------------
@dataclass
class _Project:
    """A compiled standalone project and how to feed and read it (stored as JSON)."""

    directory: Path
    inputs: list[dict[str, Any]]  # {"name": "pop_exc.tau_m", "dtype": "<f8"}, in run_values order
    outputs: dict[str, dict[str, Any]]  # key -> {"file": ..., "dtype": ...}
    compile_seconds: float = 0.0

    def save(self) -> None:
        data = {"inputs": self.inputs, "outputs": self.outputs,
                "compile_seconds": self.compile_seconds}
        (self.directory / PROJECT_FILE).write_text(json.dumps(data))

    @classmethod
    def load(cls, directory: Path) -> _Project | None:
        f = directory / PROJECT_FILE
        if not f.is_file() or not (directory / "main").is_file():
            return None
        data = json.loads(f.read_text())
        return cls(directory, data["inputs"], data["outputs"], data.get("compile_seconds", 0))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _outputs(model: Model, dev: Any, plan: Plan) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def add(key: str, var: Any) -> None:
        out[key] = {"file": dev.get_array_filename(var), "dtype": np.dtype(var.dtype).str}

    for name, mon in model.spike_mons.items():
        add(f"spikes/{name}/i", mon.variables["i"])
        add(f"spikes/{name}/t", mon.variables["t"])
    for name, mon in model.rate_mons.items():
        add(f"rates/{name}/rate", mon.variables["rate"])
    for name, mon in model.state_mons.items():
        add(f"states/{name}/t", mon.variables["t"])
        for var in mon.record_variables:
            add(f"states/{name}/{var}", mon.variables[var])
    for name, mon in model.weight_mons.items():
        add(f"weights/{name}/t", mon.variables["t"])
        add(f"weights/{name}/w", mon.variables[mon.record_variables[0]])
    for name, owner, var in _checked(model):  # final state, checked for NaN/Inf
        add(f"final/{name}/{var}", owner.variables[var])
    for group, var in _state_arrays(model, plan):  # the portable state
        add(f"state/{group.name}/{var}", group.variables[var])
    for name, syn in model.synapses.items():
        add(f"synapses/{name}/i", syn.variables["_synaptic_pre"])
        add(f"synapses/{name}/j", syn.variables["_synaptic_post"])
    return out


def _state_arrays(model: Model, plan: Plan) -> list[tuple[Any, str]]:
    """The Brian2 ``(group, variable)`` of every array of the portable state."""
    by_name = {o.name: o for o in model.objects}
    return list(dict.fromkeys((by_name[e.group], e.var) for e in state_layout(plan)
                              if e.kind != "zero"))


def _checked(model: Model) -> list[tuple[str, Any, str]]:
    """``(group name, Brian2 group, variable)`` of every simulated float state variable:
    the non-constant variables of each NeuronGroup's equations, and synaptic weights."""
    from brian2 import NeuronGroup

    out = []
    for group in model.objects:
        if isinstance(group, NeuronGroup):
            for eq in group.equations.values():
                v = group.variables.get(eq.varname)
                if "constant" in eq.flags or "shared" in eq.flags or "linked" in eq.flags or \
                        v is None or not np.issubdtype(v.dtype, np.floating):
                    continue
                out.append((group.name, group, eq.varname))
    out += [(name, syn, "w_syn" if "w_syn" in syn.variables else "w")
            for name, syn in model.synapses.items()]
    return out


def _generate_and_compile(plan: Plan, n_steps: int, directory: Path) -> _Project:
    """Generate the Brian2 project of ``plan`` into ``directory`` and compile it."""
    import brian2 as b2

    tic = time.perf_counter()
    with _brian2_device("cpp_standalone", directory=None, build_on_run=False) as dev:
        model = construct(plan, b2, n_steps)
        b2.seed(plan.seed)  # also without random inputs: the checkpointed generator bytes
        dev.insert_code("before_network_run", restore_code(plan, model, dev))
        dev.insert_code("after_network_run", RNG_SAVE_CODE)
        net = b2.Network(model.objects, name="network")
        net.run(n_steps * plan.dt * b2.second, namespace={})
        try:
            dev.build(directory=str(directory), compile=False, run=False, with_output=False)
        except Exception as e:  # noqa: BLE001 - Brian2 raises many types here
            raise SimulationError(f"backend 'brian2': code generation failed: "
                                  f"{type(e).__name__}: {e}") from e
        inputs = [{"name": _array_name(var), "dtype": np.dtype(var.dtype).str}
                  for var in model.values]
        outputs = _outputs(model, dev, plan)
    make = subprocess.run(["make", f"-j{os.cpu_count() or 1}"], cwd=directory,
                          capture_output=True, text=True)
    if make.returncode != 0:
        raise SimulationError(
            f"backend 'brian2': compiling the C++ standalone project in {directory} failed "
            f"(make exit code {make.returncode}). Compiler output:\n"
            f"{(make.stdout + make.stderr)[-8000:]}")
    project = _Project(directory, inputs, outputs, time.perf_counter() - tic)
    project.save()
    return project


#: errors of a build directory that is read-only, full or not ours
_UNWRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT,
               errno.ENOTDIR, errno.EEXIST}


@contextlib.contextmanager
def _writable(cache: Path) -> Iterator[None]:
    """Turn a failure to write the build cache (read-only, full, a file in the way) into a
    :class:`SimulationError` naming the directory, the file and the reason; the builder
    has already removed anything half-written."""
    try:
        yield
    except OSError as e:
        if e.errno not in _UNWRITABLE:
            raise
        where = f" ({e.filename})" if e.filename else ""
        raise SimulationError(f"backend 'brian2': cannot write the build cache {cache}: "
                              f"{e.strerror or e}{where}. Free space there or pass cache_dir= "
                              f"a writable directory.") from None


def _project_for(plan: Plan, n_steps: int, cache_dir: Path) -> tuple[_Project, bool]:
    """The compiled project of a plan's structure, building it if needed.

    Returns the project and whether it was built now.
    """
    key = structure_key(plan, n_steps)
    final = cache_dir / key
    project = _Project.load(final)
    if project is not None:
        return project, False
    with _locked(cache_dir / f"{key}.lock"):
        project = _Project.load(final)  # another process may have finished it meanwhile
        if project is not None:
            return project, False
        if final.exists():  # an incomplete leftover from a crash: rebuild
            shutil.rmtree(final, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{key}.", suffix=".build", dir=cache_dir))
        try:
            project = _generate_and_compile(plan, n_steps, tmp)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        project.directory = final
        return project, True


def _run_project(project: _Project, values: list[np.ndarray],
                 env: dict[str, str] | None = None
                 ) -> tuple[dict[str, np.ndarray], float, float]:
    """Run the binary with ``values`` (one per project input) and the environment
    ``env`` (default: this process's); read every output."""
    d = project.directory
    args = []
    static = d / "static_arrays"
    for spec, value in zip(project.inputs, values):
        arr = np.ascontiguousarray(value, dtype=np.dtype(spec["dtype"]))
        fname = f"init_{spec['name']}_{hashlib.md5(arr.tobytes()).hexdigest()}.dat"
        path = static / fname
        if not path.exists():
            tmp = static / f".{fname}.{uuid.uuid4().hex}"
            try:
                arr.tofile(tmp)
                os.replace(tmp, path)
            except BaseException:  # e.g. a full disk: leave no partial input behind
                tmp.unlink(missing_ok=True)
                raise
        args.append(f"{spec['name']}=static_arrays/{fname}")
    results = Path(tempfile.mkdtemp(prefix="results_", dir=d))
    try:
        tic = time.perf_counter()
        proc = subprocess.run(["./main", "--results_dir", str(results) + os.sep, *args], cwd=d,
                              capture_output=True, text=True, env=env)
        wall = time.perf_counter() - tic
        if proc.returncode != 0:
            raise SimulationError(f"backend 'brian2': the standalone binary in {d} failed "
                                  f"(exit code {proc.returncode}):\n"
                                  f"{(proc.stdout + proc.stderr)[-4000:]}")
        info = (results / "last_run_info.txt").read_text().split()
        sim_time = float(info[0])
        out = {}
        for key, spec in project.outputs.items():
            out[key] = np.fromfile(results / spec["file"], dtype=np.dtype(spec["dtype"]))
        out["rng"] = np.fromfile(results / RNG_FILE, dtype=np.uint8)
    finally:
        shutil.rmtree(results, ignore_errors=True)
    return out, sim_time, wall


#: the state entry of Brian2's random generators (bytes; other backends ignore it)
RNG_KEY = "brian2/rng"


# -- the simulation object ------------------------------------------------------------
@dataclass
class Brian2Simulation:
    """A plan ready to run on Brian2.

    Args:
        plan: the lowered network.
        target: ``"cpp_standalone"`` (default), ``"cython"`` or ``"numpy"``.
        cache_dir: where compiled standalone projects are kept (default
            :func:`default_cache_dir`).
    """

    plan: Plan
    target: str = "cpp_standalone"
    cache_dir: Path | None = None
    dtype: str = "float64"
    timings: dict[str, float] = field(default_factory=dict)
    last_connectivity: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def initial_state(self) -> None:
        """A run without a state starts from the plan's initial values."""
        return None

    def run(self, n_steps: int, state: Any = None,
            progress: Callable[[int, int], None] | None = None
            ) -> tuple[SimState | None, Recording]:
        """Simulate ``n_steps`` steps from the initial values, or from ``state`` (a
        :class:`SimState` of a spiking network, see :func:`~._model.restore_code`);
        returns the final portable state (spikes in flight through delays rebuilt from
        the sources' last spikes) and the recording."""
        start = 0
        if state is not None:
            self._check_resumable(state)
            start = state.step
        tic = time.perf_counter()
        if self.target == "cpp_standalone":
            out = self._run_standalone(n_steps, state)
        else:
            out = self._run_runtime(n_steps)
        rec = self._recording(out, n_steps, start)
        self.timings["total_backend"] = time.perf_counter() - tic
        if progress is not None:
            progress(n_steps, n_steps)
        return self._snapshot(out, start + n_steps), rec

    def _check_resumable(self, state: SimState) -> None:
        """Raise before anything compiles if ``state`` cannot be continued here."""
        if self.target != "cpp_standalone":
            raise UnsupportedFeature(
                "brian2", f"continuing a saved state with target = {self.target!r}",
                "continue it with target='cpp_standalone' (the default) or on JAX.")
        if self.plan.equations():  # their state is not in the portable snapshot yet
            raise UnsupportedFeature("brian2", "continuing a run of NeuronGroup populations "
                                     "from a SimState", "Run the whole duration at once.")
        for e in state_layout(self.plan):
            state_array(state, e.key, e.shape)

    def _restore(self, state: SimState, n_steps: int, values: list[np.ndarray],
                 directory: Path) -> list[np.ndarray]:
        """The run-time inputs of a run continuing ``state``, and the files of
        :func:`~._model.restore_code` written into ``directory``."""
        plan, s0 = self.plan, state.step
        slot = {(o, v): k for k, (o, v, _) in enumerate(run_values(plan, n_steps))}
        values = list(values)
        for e in state_layout(plan):
            if e.kind == "zero":
                continue
            k = slot[(e.group, e.var)]
            x = state_array(state, e.key, e.shape).astype(np.float64).reshape(-1)
            values[k] = np.array(values[k], np.float64)
            if e.kind == "time":
                values[k][e.index] = np.where(x <= NEVER, NEVER_S, x * plan.dt)
            elif e.kind == "per_pre":  # every synapse holds its source's trace
                values[k][:] = x[plan.projections[e.key.split("/")[0]].i]
            else:
                values[k][e.index] = x
        for r in plan.rate():  # a population that stopped stays stopped
            if has_control(plan, r):
                maxsw = values[slot[(f"ctl_{r.name}", "maxsw")]][0]
                done = (state[f"{r.name}/converged"] > 0) | (state[f"{r.name}/sweeps"]
                                                            >= maxsw - 0.5)
                values[slot[(f"ctl_{r.name}", "go")]] = np.array([0.0 if done else 1.0])
        seed = int(np.random.SeedSequence([plan.seed, s0]).generate_state(1)[0])
        (directory / "start.txt").write_text(f"{s0} {seed}\n")
        if RNG_KEY in state.values:
            np.asarray(state[RNG_KEY], np.uint8).tofile(directory / "rng.dat")
        for sg in synapse_groups(plan):
            q = plan.projections[sg.members[0][0]]
            if sg.rule is None or not q.n_synapses or q.delay_steps.max() == 0:
                continue
            src = plan.populations[q.source]
            if isinstance(src, SpikeTrainPlan):
                idx, steps = np.asarray(src.indices), np.asarray(src.steps)
            elif f"{q.source}/recent_steps" in state.values:
                idx = np.asarray(state[f"{q.source}/recent_indices"])
                steps = np.asarray(state[f"{q.source}/recent_steps"])
            else:
                raise SpecError(f"SimState: continuing '{q.name}' (delayed STDP) needs the "
                                f"recent spikes of '{q.source}' ('{q.source}/recent_steps'), "
                                f"which this state lacks.")
            keep = (steps < s0) & (steps >= s0 - int(q.delay_steps.max()))
            pairs = []
            by_source = np.argsort(q.i, kind="stable")
            bounds = np.searchsorted(q.i[by_source], np.arange(q.n_pre + 1))
            for i, e in zip(idx[keep], steps[keep]):
                syn = by_source[bounds[i]:bounds[i + 1]]
                due = e + q.delay_steps[syn] >= s0
                pairs += [(s, 1 + e + q.delay_steps[s] - s0) for s in syn[due]]
            np.asarray(pairs, np.int32).reshape(-1, 2).tofile(directory / f"queue_{sg.name}.dat")
        for b in blocks(plan):
            for port in plan.populations[b.members[0][0]].ports:
                parts = [(first, n, state.values[f"{pop}/{port.name}/pending"])
                         for pop, first, n in b.members
                         if f"{pop}/{port.name}/pending" in state.values]
                if not parts:
                    continue
                pending = np.zeros((max(np.shape(p)[0] for *_, p in parts), b.n))
                for first, n, p in parts:
                    pending[:np.shape(p)[0], first:first + n] = p
                pending.tofile(directory / f"pending_{b.name}_{port.name}.dat")
        return values

    def _run_standalone(self, n_steps: int, state: SimState | None = None
                        ) -> dict[str, np.ndarray]:
        cache = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        tic = time.perf_counter()
        with _writable(cache):
            project, built = _project_for(self.plan, n_steps, cache)
        self.timings["build"] = time.perf_counter() - tic
        self.timings["compile"] = project.compile_seconds if built else 0.0
        tic = time.perf_counter()
        values = [v for _, _, v in run_values(self.plan, n_steps)]
        with _writable(cache), tempfile.TemporaryDirectory(prefix="spikeplast-resume-") as d:
            env = None
            if state is not None:
                values = self._restore(state, n_steps, values, Path(d))
                env = {**os.environ, RESTORE_ENV: d}
            # a run writes its inputs and outputs in the project
            out, sim_time, wall = _run_project(project, values, env)
        self.timings["run"] = sim_time
        self.timings["run_process"] = wall
        self.timings["prepare_values"] = time.perf_counter() - tic - wall
        return out

    def _run_runtime(self, n_steps: int) -> dict[str, np.ndarray]:
        import brian2 as b2

        tic = time.perf_counter()
        with _brian2_device("runtime"):
            old_target = b2.prefs.codegen.target
            b2.prefs.codegen.target = self.target
            try:
                model = construct(self.plan, b2, n_steps)
                for var, (_, _, value) in zip(model.values, run_values(self.plan, n_steps)):
                    var.set_value(np.asarray(value, dtype=var.dtype))
                if any(p.kind == "poisson" for p in self.plan.populations.values()):
                    b2.seed(self.plan.seed)
                net = b2.Network(model.objects)
                self.timings["build"] = time.perf_counter() - tic
                tic = time.perf_counter()
                net.run(n_steps * self.plan.dt * b2.second, namespace={})
                self.timings["run"] = time.perf_counter() - tic
                out = {}
                for name, mon in model.spike_mons.items():
                    out[f"spikes/{name}/i"] = np.asarray(mon.i[:])
                    out[f"spikes/{name}/t"] = np.asarray(mon.t_[:])
                for name, mon in model.rate_mons.items():
                    out[f"rates/{name}/rate"] = np.asarray(mon.rate_[:])
                for name, mon in model.state_mons.items():
                    out[f"states/{name}/t"] = np.asarray(mon.t_[:])
                    for var in mon.record_variables:
                        out[f"states/{name}/{var}"] = np.asarray(getattr(mon, var + "_")).T
                for name, mon in model.weight_mons.items():
                    out[f"weights/{name}/t"] = np.asarray(mon.t_[:])
                    out[f"weights/{name}/w"] = np.asarray(mon.w_).T
                for name, owner, var in _checked(model):
                    out[f"final/{name}/{var}"] = np.asarray(owner.variables[var].get_value())
                for group, var in _state_arrays(model, self.plan):
                    out[f"state/{group.name}/{var}"] = np.asarray(
                        group.variables[var].get_value())
                for name, syn in model.synapses.items():  # raw, as standalone writes them
                    out[f"synapses/{name}/i"] = syn.variables["_synaptic_pre"].get_value()
                    out[f"synapses/{name}/j"] = syn.variables["_synaptic_post"].get_value()
            finally:
                b2.prefs.codegen.target = old_target
        self.timings["compile"] = 0.0
        return out

    def _check_finite(self, out: dict[str, np.ndarray], n_steps: int) -> None:
        """Raise a SimulationError naming the first non-finite value of the final state."""
        members = {b.name: b.members for b in blocks(self.plan)}
        for key, values in out.items():
            if not key.startswith("final/") or np.all(np.isfinite(values)):
                continue
            _, group, var = key.split("/")
            k = int(np.argmax(~np.isfinite(values)))
            where = f"Brian2 group '{group}', variable '{var}', element {k}"
            for pop, first, n in members.get(group, ()):
                if first <= k < first + n:
                    where = f"population '{pop}', variable '{var}', neuron {k - first}"
            if group.startswith("pop_"):
                where = f"population '{group[4:]}', variable '{var}', neuron {k}"
            raise SimulationError(
                f"backend 'brian2': {where} is NaN or infinite at the end of the run "
                f"(t = {n_steps * self.plan.dt:g} s); Brian2 standalone cannot tell when it "
                f"first became so — record the variable with a StateMonitor, or run the JAX "
                f"backend, which reports the step.")

    def _recording(self, out: dict[str, np.ndarray], n_steps: int, start: int = 0
                   ) -> Recording:
        plan, dt = self.plan, self.plan.dt
        self._check_finite(out, start + n_steps)
        rec = Recording.empty(plan, start)
        steps_of = lambda t: np.floor(np.asarray(t) / dt + 0.5).astype(np.int64)  # noqa: E731
        for mon, pop in plan.spike_monitors.items():
            rec.add_spikes(pop, out[f"spikes/{mon}/i"], steps_of(out[f"spikes/{mon}/t"]))
        for mon, pop in plan.rate_monitors.items():
            counts = np.rint(out[f"rates/{mon}/rate"] * plan.populations[pop].n * dt)
            rec.add_counts(pop, counts.astype(np.int64)[:n_steps])
        for mon, m in plan.state_monitors.items():
            t = out[f"states/{mon}/t"]
            cols = m.indices.size
            values = {v: out[f"states/{mon}/{v}"].reshape(-1, cols)[:t.size]
                      for v in m.variables}
            rec.add_states(mon, values, steps_of(t))
        for mon, m in plan.weight_monitors.items():
            if f"weights/{mon}/t" not in out:
                rec.add_weights(mon, np.zeros((0, m.synapses.size)), np.zeros(0, np.int64))
                continue
            t = out[f"weights/{mon}/t"]
            rec.add_weights(mon, out[f"weights/{mon}/w"].reshape(-1, m.synapses.size)[:t.size],
                            steps_of(t))
        # split each Synapses object's (i, j) back into its projections, in creation order;
        # Brian2 stores indices into the whole NeuronGroup, so subtract subgroup offsets
        first_of = {m: first for b in blocks(plan) for m, first, _ in b.members}
        self.last_connectivity = {}
        for sg in synapse_groups(plan):
            i = out[f"synapses/{sg.name}/i"].astype(np.int64) - first_of.get(sg.source, 0)
            j = out[f"synapses/{sg.name}/j"].astype(np.int64)
            for name, start, n, first in sg.members:
                self.last_connectivity[name] = (i[start:start + n], j[start:start + n] - first)
        return rec

    def _snapshot(self, out: dict[str, np.ndarray], n_steps: int) -> SimState | None:
        """The portable state at the end of the run. Spikes still in flight through
        delays are rebuilt from the sources' recorded spikes (Brian2's queues cannot be
        read back): see :func:`~spikeplast.state.in_flight`."""
        plan = self.plan
        values = {}
        if any(q.n_synapses and q.delay_steps.max() > 0 for q in plan.projections.values()):
            values.update(in_flight(plan, self._source_spikes(out), n_steps,
                                    compacted_sources(plan)))
        for e in state_layout(plan):
            if e.kind == "zero":
                values[e.key] = np.zeros((), np.int32 if e.var != "acc" else np.float64)
                continue
            a = out[f"state/{e.group}/{e.var}"]
            if e.kind == "per_pre":
                values[e.key] = np.where(e.index >= 0, a[np.maximum(e.index, 0)], 0.0)
            elif e.kind == "time":
                t = a[e.index]  # before the run (Brian2: -1e4 s): never
                steps = np.floor(np.where(t >= 0, t, 0.0) / plan.dt + 0.5).astype(np.int64)
                values[e.key] = np.where(t >= 0, steps, NEVER)
            else:
                values[e.key] = a[e.index].reshape(e.shape)
                if e.var in ("sweeps", "converged"):
                    values[e.key] = values[e.key].astype(np.int32)
        if "rng" in out:  # the random stream, continued exactly by a Brian2 resume
            values[RNG_KEY] = out["rng"]
        meta = {"backend": "brian2", "spec_hash": plan.spec_hash, "dt": plan.dt,
                "dtype": self.dtype}
        return SimState(n_steps, values, meta)

    def _source_spikes(self, out: dict[str, np.ndarray]
                       ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``(indices, steps)`` of every spike source: recorded by a spike monitor (the
        spec's or the one a delayed network adds), or a spike train of the plan."""
        plan = self.plan
        monitor_of = {pop: mon for mon, pop in plan.spike_monitors.items()}
        spikes = {}
        for name, src in plan.populations.items():
            if isinstance(src, SpikeTrainPlan):
                spikes[name] = (np.asarray(src.indices), np.asarray(src.steps))
                continue
            mon = monitor_of.get(name, f"_ckpt_{name}")
            if f"spikes/{mon}/i" in out:
                t = np.asarray(out[f"spikes/{mon}/t"])
                spikes[name] = (out[f"spikes/{mon}/i"].astype(np.int64),
                                np.floor(t / plan.dt + 0.5).astype(np.int64))
        return spikes

    def connectivity(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The synapses ``(i, j)`` per projection as Brian2 created them (after a run)."""
        return dict(self.last_connectivity)


def build(plan: Plan, **options: Any) -> Brian2Simulation:
    """A simulation of ``plan`` on Brian2 (see :class:`Brian2Simulation`)."""
    check(plan, options)
    return Brian2Simulation(plan, **options)
