"""One switch for the Brian2 code-generation backend, with explicit build directories.

``numpy`` (no compilation; debugging and short tests), ``cython`` (default
runtime target) and ``cpp_standalone`` (the whole simulation compiled once,
re-runnable with ``run_args``).  ``cuda_standalone`` needs brian2cuda and a GPU.
A :class:`Backend` is a context manager: inside it, Brian2 objects are created
for that backend; :meth:`Backend.run` advances a network and
:meth:`Backend.finish` builds and runs a standalone project (a no-op at
runtime), after which monitors can be read.  :meth:`Backend.run_phases`
runs phases that Python code sets up between them (runtime backends) as one
run.

Re-running a ``cpp_standalone`` build: :meth:`Backend.compile` compiles the
project without running it and :meth:`Backend.rerun` runs the binary with new
values of state variables (``run_args``) and a new random seed, with no code
generation and no compilation.  The seed is read at start-up from the
environment variable ``DENDRITES_SEED`` (:data:`SEED_ENV`) at the point where
``brian2.seed`` would have set it, and falls back to the seed of the build, so
a re-run with seed *s* draws exactly the random numbers of a build made with
seed *s* (tested).

Where the binary's result files go: every run of a ``cpp_standalone`` binary
writes every state variable to ``<build>/results`` (33 MB per run for the
foundation network at N = 10,000: 2 million synapses).  On a disk-backed file
system that took 35-70 ms of each run's exit here, against 15-19 ms on a
memory file system, so ``results`` is a link into a private directory under
``/dev/shm`` (:data:`MEMORY_ROOT`) while the backend is open, when that
has at least :data:`MEMORY_MIN_FREE` free; it is removed on exit (with
``keep_build``, and where there is no such file system, the files stay in the
build directory).  A binary that could not write a result file raises a
`ModelError` instead of leaving stale files to be read.
"""

import gc
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import brian2
import numpy as np
from brian2 import defaultclock, device, prefs, set_device
from brian2.devices.device import reset_device

from dendrites.errors import ModelError, check_choice, check_quantity

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "SEED_ENV", "Backend", "check_finite",
           "cython_cache_dir"]

logger = logging.getLogger(__name__)

BACKENDS = ("numpy", "cython", "cpp_standalone", "cuda_standalone")
DEFAULT_BACKEND = "cython"
#: Environment variable from which a ``cpp_standalone`` binary takes its seed.
SEED_ENV = "DENDRITES_SEED"
#: Memory file system for the result files of ``cpp_standalone`` runs, and the free
#: space it needs (below half of it, runs go back to the build directory).
MEMORY_ROOT = Path("/dev/shm")
MEMORY_MIN_FREE = 4 * 2 ** 30
_MEMORY_PREFIX = "dendrites-results-"


def _free_bytes(path):
    try:
        st = os.statvfs(path)
    except OSError:
        return 0
    return st.f_bavail * st.f_frsize


def _remove_stale_memory_dirs():
    """Remove result directories in :data:`MEMORY_ROOT` of processes that are gone."""
    for d in MEMORY_ROOT.glob(f"{_MEMORY_PREFIX}*"):
        try:
            pid = int(d.name[len(_MEMORY_PREFIX):].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (ValueError, OSError):
            continue


def _check_cuda():
    """Raise a `ModelError` naming what ``cuda_standalone`` lacks here: brian2cuda, an
    NVIDIA GPU (``nvidia-smi -L`` lists one) or the CUDA compiler (``nvcc`` in
    ``$CUDA_PATH/bin`` or on the PATH), before anything is built."""
    if importlib.util.find_spec("brian2cuda") is None:
        raise ModelError("Backend 'cuda_standalone' needs the brian2cuda package "
                         "(pip install '.[cuda]' on Python >= 3.12) and an NVIDIA GPU.")
    smi = shutil.which("nvidia-smi")
    listed = ""
    if smi:
        try:
            listed = subprocess.run([smi, "-L"], capture_output=True, text=True,
                                    timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            listed = ""
    if "GPU" not in listed:
        raise ModelError("Backend 'cuda_standalone' found no NVIDIA GPU here ("
                         + ("'nvidia-smi -L' lists none" if smi else "no nvidia-smi")
                         + "); allowed without one: numpy, cython, cpp_standalone.")
    cuda_path = os.environ.get("CUDA_PATH")
    if not (shutil.which("nvcc")
            or (cuda_path and Path(cuda_path, "bin", "nvcc").is_file())):
        raise ModelError("Backend 'cuda_standalone' needs the CUDA compiler nvcc (on the PATH "
                         "or in $CUDA_PATH/bin); a GPU is there but nvcc was not found.")


def cython_cache_dir():
    """Where compiled Cython extensions are cached (``$DENDRITES_CYTHON_CACHE`` or Brian2's)."""
    return os.environ.get("DENDRITES_CYTHON_CACHE") or os.path.expanduser(
        "~/.cython/brian_extensions")


def check_finite(net):
    """Raise a `ModelError` if a neuron state variable of *net* is NaN or infinite.

    A state that is no longer finite after a run means the integration
    diverged (a conductance, current or rate too large for ``dt``, or a time
    constant shorter than it); Brian2 only logs a warning and the traces
    would be NaN.  The error names the group, the variable, how many neurons
    and ``dt``.  Neuron groups only (synaptic weights are bounded by their
    rules); *net* None is a no-op.
    """
    if net is None:
        return
    for obj in net.objects:
        if not isinstance(obj, brian2.NeuronGroup):
            continue
        for name, var in obj.variables.items():
            if (name.startswith("_") or not isinstance(var, brian2.core.variables.ArrayVariable)
                    or var.read_only or not np.issubdtype(var.dtype, np.floating)):
                continue
            values = np.asarray(var.get_value())
            bad = ~np.isfinite(values)
            if np.any(bad):
                raise ModelError(
                    f"The simulation diverged: variable '{name}' of group '{obj.name}' is NaN "
                    f"or infinite in {int(np.sum(bad))} of {values.size} neurons after the run "
                    f"(dt = {obj.clock.dt}).  The integration is unstable: a conductance, "
                    "current or rate too large for this dt, or a time constant shorter than "
                    "it; lower dt or the offending parameter.")


class Backend:
    """Select a Brian2 backend for the objects created inside ``with``.

    Parameters
    ----------
    name : str
        One of ``numpy``, ``cython``, ``cpp_standalone``, ``cuda_standalone``.
    build_dir : str or Path, optional
        Standalone project directory (a fresh temporary one if omitted, removed
        on exit unless ``keep_build``).
    seed : int, optional
        Seeds Brian2's and NumPy's random generators (inside the generated
        code for standalone backends).
    dt : `Quantity`, optional
        ``defaultclock.dt`` for the run.
    threads : int
        OpenMP threads for ``cpp_standalone``.
    """

    def __init__(self, name=DEFAULT_BACKEND, build_dir=None, seed=None, dt=None, threads=1,
                 keep_build=False):
        check_choice("backend", name, BACKENDS)
        if dt is not None:
            check_quantity("dt", dt, brian2.ms, positive=True)
        if name == "cuda_standalone":
            _check_cuda()
        self.name, self.seed, self.dt, self.threads = name, seed, dt, int(threads)
        self._tmp = build_dir is None
        self.build_dir = Path(build_dir) if build_dir else None
        self.keep_build = keep_build
        self.build_seconds = 0.0
        self._net = None            # the last network run, checked after standalone runs
        self.results_in_memory = None   # the memory directory of the result files, if any

    @property
    def standalone(self):
        return self.name.endswith("_standalone")

    def __enter__(self):
        self._previous_target = prefs.codegen.target
        reset_device("runtime")
        device.reinit()
        brian2.start_scope()
        if self.standalone:
            if self.name == "cuda_standalone":
                import brian2cuda  # noqa: F401  registers the device

                # CUDA >= 13 ships Thrust/CUB/libcu++ that refuse anything older than
                # C++17; Brian2's default host flags ask for C++11.
                prefs.codegen.cpp.extra_compile_args_gcc = [
                    "-std=c++17" if a.startswith("-std=") else a
                    for a in prefs.codegen.cpp.extra_compile_args_gcc]
                nvcc = prefs.devices.cuda_standalone.cuda_backend.extra_compile_args_nvcc
                if not any(a.startswith("-std=") for a in nvcc):
                    prefs.devices.cuda_standalone.cuda_backend.extra_compile_args_nvcc = [
                        *nvcc, "-std=c++17"]
            if self.build_dir is None:
                self.build_dir = Path(tempfile.mkdtemp(prefix="dendrites-build-"))
            set_device(self.name, directory=str(self.build_dir), build_on_run=False)
            # Brian2's default `make -j` is unbounded: one job per core instead
            prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
            if self.name == "cpp_standalone":
                # 0 = no OpenMP (single thread); Brian2 warns for any OpenMP use
                prefs.devices.cpp_standalone.openmp_threads = self.threads if self.threads > 1 else 0
                if not self.keep_build:
                    self._results_to_memory()
        else:
            prefs.codegen.target = self.name
            prefs.codegen.runtime.cython.cache_dir = cython_cache_dir()
        if self.dt is not None:
            defaultclock.dt = self.dt
        if self.seed is not None:
            if self.name == "cpp_standalone":
                self._runtime_seed(int(self.seed))
            else:
                brian2.seed(int(self.seed))
        # Brian2 collects garbage at every run (0.1-0.5 s in a process that has
        # run other protocols, the main job): collect once here and freeze what
        # survives, so that those collections only scan objects made inside.
        gc.collect()
        gc.freeze()
        return self

    @staticmethod
    def _runtime_seed(seed):
        """Seed the standalone generators from ``$DENDRITES_SEED`` or *seed*.

        The same code as ``brian2.seed(seed)`` generates (one generator per
        OpenMP thread, seeded ``seed + thread``), with the value read when the
        binary starts, so that :meth:`rerun` can change it.
        """
        threads = max(int(prefs.devices.cpp_standalone.openmp_threads), 1)
        device.insert_code("main", f"""{{
    const char* _dendrites_seed = std::getenv("{SEED_ENV}");
    const long _seed = _dendrites_seed ? std::atol(_dendrites_seed) : {seed}L;
    for (int _i=0; _i<{threads}; _i++)
        brian::_random_generators[_i].seed(_seed + _i);
}}""")

    def run(self, net, duration, report=None):
        """Run *net* for *duration*, with Brian2's progress report on a terminal.

        At runtime the neuron state is checked afterwards (:func:`check_finite`):
        a diverged integration raises a `ModelError` instead of leaving NaN
        traces.  Standalone backends check after :meth:`finish` and :meth:`rerun`.
        """
        if report is None and sys.stderr.isatty() and not self.standalone:
            report = "stderr"
        net.run(duration, report=report, report_period=10 * brian2.second)
        self._net = net
        if not self.standalone:
            check_finite(net)

    def run_phases(self, net, phases, total, lengths):
        """Run the phases of a generator as one run of *net* lasting *total*.

        *phases* is a generator that changes the network between phases and
        yields each phase's duration; it resumes with the state at the end of
        the phase, as between consecutive :meth:`run` calls: a
        `NetworkOperation` at the start of the first time step of each phase
        (``when="start"``, before any group is updated) resumes it, and it is
        resumed once more after the run to read the last phase.  *lengths*
        lists every duration it may yield (the operation ticks at their
        greatest common divisor).  The results are those of one run per phase,
        random numbers included (tested); one run builds the code objects and
        collects garbage once instead of once per phase (about 0.5 s per run
        for the XOR network of :mod:`circuits.burstprop`).  Runtime backends
        only: the generator is Python code.
        """
        if self.standalone:
            raise ModelError(f"Backend '{self.name}' cannot run phases set in Python between "
                             "time steps; allowed: numpy, cython.")
        dt = defaultclock.dt
        steps = lambda T: int(round(float(T / dt)))  # noqa: E731
        tick = max(int(np.gcd.reduce([steps(T) for T in lengths])), 1)
        state = dict(next=0)

        def advance():
            now = int(round(float(net.t / dt)))
            while now >= state["next"]:
                duration = next(phases, None)
                if duration is None:
                    raise ModelError(f"The phases end at {net.t}, before the run ({total}).")
                state["next"] = now + steps(duration)

        op = brian2.NetworkOperation(advance, dt=tick * dt, when="start", order=-100,
                                     name="phases")
        net.add(op)
        try:
            self.run(net, total)
        finally:
            net.remove(op)
        for duration in phases:
            if steps(duration) > 0:
                raise ModelError(f"The phases last longer than the run ({total}).")

    def finish(self, run_args=None):
        """Compile and run a standalone project (no-op at runtime)."""
        if not self.standalone:
            return
        import time

        t0 = time.perf_counter()
        previous = os.environ.pop(SEED_ENV, None)     # the build's own seed applies
        try:
            device.build(directory=str(self.build_dir), compile=True, run=True,
                         run_args=run_args, with_output=False)
        except OSError:
            self._check_written()
            raise
        finally:
            if previous is not None:
                os.environ[SEED_ENV] = previous
        self.build_seconds = time.perf_counter() - t0
        self._check_written()
        check_finite(self._net)

    def compile(self):
        """Generate and compile a standalone project without running it."""
        if not self.standalone:
            raise ModelError(f"Backend '{self.name}' has nothing to compile; allowed: "
                             "cpp_standalone, cuda_standalone.")
        import time

        t0 = time.perf_counter()
        device.build(directory=str(self.build_dir), compile=True, run=False, with_output=False)
        self.build_seconds = time.perf_counter() - t0
        return self.build_seconds

    def rerun(self, run_args=None, seed=None):
        """Run the compiled binary again with *run_args* and *seed*; returns its run time (s).

        *run_args* maps state variables (``group.var``) to values, as
        ``device.run(run_args=...)``; *seed* replaces the build's seed
        (``cpp_standalone`` only).  Monitors read afterwards see this run.
        """
        if self.name != "cpp_standalone":
            raise ModelError(f"Backend '{self.name}' cannot re-run a compiled binary with "
                             "run_args; allowed: cpp_standalone.")
        if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ModelError(f"Parameter 'seed' = {seed!r} must be a non-negative integer.")
        if (self.results_in_memory is not None
                and _free_bytes(self.results_in_memory) < MEMORY_MIN_FREE // 2):
            self._results_to_disk()
        previous = os.environ.get(SEED_ENV)
        if seed is not None:
            os.environ[SEED_ENV] = str(int(seed))
        try:
            device.run(directory=str(self.build_dir), with_output=False, run_args=run_args)
        except OSError:             # Brian2 read a result file that was not written
            self._check_written()
            raise
        finally:
            if previous is None:
                os.environ.pop(SEED_ENV, None)
            else:
                os.environ[SEED_ENV] = previous
        self._check_written()
        check_finite(self._net)
        return float(device._last_run_time)

    def _results_to_memory(self):
        """Make ``<build>/results`` a link to a new directory in :data:`MEMORY_ROOT`."""
        if not (MEMORY_ROOT.is_dir() and os.access(MEMORY_ROOT, os.W_OK)
                and _free_bytes(MEMORY_ROOT) >= MEMORY_MIN_FREE):
            return
        _remove_stale_memory_dirs()
        mem = Path(tempfile.mkdtemp(prefix=f"{_MEMORY_PREFIX}{os.getpid()}-", dir=MEMORY_ROOT))
        link = self.build_dir / "results"
        self.build_dir.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.is_dir():
            shutil.rmtree(link)
        link.symlink_to(mem, target_is_directory=True)
        self.results_in_memory = mem

    def _results_to_disk(self):
        """Put the result files back into the build directory (memory running short)."""
        mem, self.results_in_memory = self.results_in_memory, None
        link = self.build_dir / "results"
        if link.is_symlink():
            link.unlink()
            link.mkdir()
        shutil.rmtree(mem, ignore_errors=True)
        logger.info("Result files of the standalone runs go to %s again (%s is short of "
                    "memory).", link, MEMORY_ROOT)

    def _check_written(self):
        """Raise if the binary reported a result file it could not write (a full disk)."""
        out = self.build_dir / "results" / "stdout.txt"
        try:
            text = out.read_text(errors="replace")
        except OSError:
            return
        bad = [line for line in text.splitlines() if line.startswith("Error writing")]
        if bad:
            raise ModelError(f"The standalone binary could not write {len(bad)} result files "
                             f"to {out.parent} (is the file system full?): {bad[0]}")

    def __exit__(self, *exc):
        if self.results_in_memory is not None:
            link = self.build_dir / "results"
            if link.is_symlink():
                link.unlink()
            shutil.rmtree(self.results_in_memory, ignore_errors=True)
            self.results_in_memory = None
        if self.standalone:
            device.reinit()
            reset_device("runtime")
            set_device("runtime")
            if self._tmp and not self.keep_build and self.build_dir is not None:
                shutil.rmtree(self.build_dir, ignore_errors=True)
                self.build_dir = None
        prefs.codegen.target = self._previous_target
        defaultclock.dt = 0.1 * brian2.ms
        gc.unfreeze()
        return False
