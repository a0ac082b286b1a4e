"""The backend switch: the same deterministic network gives the same spikes everywhere."""

import importlib.util

import numpy as np
import pytest
from brian2 import Network, SpikeGeneratorGroup, SpikeMonitor, Synapses, ms, nS, pA

import protocols.backend as backend_module
from dendrites import ModelError, presets
from protocols.backend import BACKENDS, Backend

DT = 0.1 * ms
DURATION = 300 * ms


def simulate(backend, build_dir=None):
    """5 Payeur neurons: somatic steps of different amplitudes plus apical AMPA input.

    The apical volleys (through ``model.on_pre``) trigger dendritic Ca2+ spikes and so
    bursts, which makes the spike trains sensitive to the whole model, synapses included.
    Returns spike times (in steps of dt) and indices, read inside the backend context.
    """
    model = presets.payeur_2021()
    with Backend(backend, build_dir=build_dir, seed=1, dt=DT) as be:
        group = model.build(5, name="cells", dt=DT)
        group.I_ext_soma = np.array([300, 400, 500, 600, 700]) * pA
        times = np.array([50, 52, 54, 56, 150, 152, 154, 156, 158, 250]) * ms
        stim = SpikeGeneratorGroup(1, np.zeros(len(times), int), times, name="volleys")
        syn = Synapses(stim, group, "w : siemens", on_pre=model.on_pre("ampa", "apical"),
                       name="apical_ampa")
        syn.connect()
        syn.w = 15 * nS
        mon = SpikeMonitor(group, name="spikes")
        be.run(Network(group, stim, syn, mon), DURATION)
        be.finish()
        steps = np.round(np.asarray(mon.t / DT)).astype(int)
        return steps, np.asarray(mon.i).astype(int), np.asarray(mon.t / ms)


@pytest.fixture(scope="module")
def reference():
    steps, idx, t = simulate("numpy")
    # sanity: every neuron fires and the apical volleys produce bursts (ISI < 16 ms)
    assert set(idx) == set(range(5))
    isis = np.concatenate([np.diff(t[idx == k]) for k in range(5)])
    assert np.any(isis < 16)
    return steps, idx, t


def _assert_same(reference, other, name):
    steps, idx, t = reference
    o_steps, o_idx, o_t = other
    order, o_order = np.lexsort((idx, steps)), np.lexsort((o_idx, o_steps))
    assert len(o_steps) == len(steps), (name, len(o_steps), len(steps))
    np.testing.assert_array_equal(o_steps[o_order], steps[order], err_msg=name)
    np.testing.assert_array_equal(o_idx[o_order], idx[order], err_msg=name)
    # times are the same multiples of dt (to round-off of the clock arithmetic)
    np.testing.assert_allclose(o_t[o_order], t[order], rtol=0, atol=1e-9)


@pytest.mark.cython
@pytest.mark.slow      # about 30 s with a cold Cython cache on 2 cores (under 1 s warm)
def test_cython_gives_the_same_spikes_as_numpy(reference, tmp_path):
    _assert_same(reference, simulate("cython"), "cython")


@pytest.mark.standalone  # about 10 s: compiles one small project
def test_cpp_standalone_gives_the_same_spikes_as_numpy(reference, tmp_path):
    build = tmp_path / "build"
    _assert_same(reference, simulate("cpp_standalone", build_dir=build), "cpp_standalone")
    assert (build / "main").exists() or any(build.glob("main*"))


def test_unknown_backend_lists_the_backends():
    with pytest.raises(ModelError, match=r"Unknown backend 'nope'; allowed: numpy, cython, "
                                         r"cpp_standalone, cuda_standalone"):
        Backend("nope")
    assert BACKENDS == ("numpy", "cython", "cpp_standalone", "cuda_standalone")


@pytest.mark.skipif(importlib.util.find_spec("brian2cuda") is not None,
                    reason="brian2cuda is installed")
def test_cuda_standalone_without_brian2cuda_is_a_clear_error():
    with pytest.raises(ModelError, match=r"'cuda_standalone' needs the brian2cuda package"):
        Backend("cuda_standalone")


def test_cuda_standalone_without_a_gpu_or_nvcc_is_a_clear_error(monkeypatch):
    """With brian2cuda importable, a machine without an NVIDIA GPU (no nvidia-smi, or
    one that lists none) or without nvcc is refused before anything is built."""
    import shutil
    import subprocess
    import types

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: (
        object() if name == "brian2cuda" else real_find_spec(name, *a)))
    tools = {}
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: tools.get(name))
    monkeypatch.delenv("CUDA_PATH", raising=False)
    with pytest.raises(ModelError, match=r"found no NVIDIA GPU here \(no nvidia-smi\)"):
        Backend("cuda_standalone")
    tools["nvidia-smi"] = "/usr/bin/nvidia-smi"
    listing = {"stdout": "No devices were found\n"}
    monkeypatch.setattr(subprocess, "run",
                        lambda *a, **k: types.SimpleNamespace(stdout=listing["stdout"]))
    with pytest.raises(ModelError, match=r"'nvidia-smi -L' lists none.*numpy, cython, "
                                         r"cpp_standalone"):
        Backend("cuda_standalone")
    listing["stdout"] = "GPU 0: NVIDIA H200 (UUID: GPU-0)\n"
    with pytest.raises(ModelError, match="needs the CUDA compiler nvcc"):
        Backend("cuda_standalone")
    tools["nvcc"] = "/usr/local/cuda/bin/nvcc"
    assert Backend("cuda_standalone").name == "cuda_standalone"


def test_backend_restores_runtime_state():
    from brian2 import defaultclock, get_device, prefs

    with Backend("numpy", dt=0.05 * ms):
        assert prefs.codegen.target == "numpy"
        assert defaultclock.dt == 0.05 * ms
    assert defaultclock.dt == 0.1 * ms
    assert type(get_device()).__name__ == "RuntimeDevice"
    with pytest.raises(ModelError, match=r"'dt' = -1\. ms"):
        Backend("numpy", dt=-1 * ms)


# ------------------------------------------------------------------ phases in one run
@pytest.mark.parametrize("backend", ["numpy", "cython"])
def test_run_phases_equals_one_run_per_phase(backend):
    """One run with a phase generator gives the state of one run per phase, bit for bit.

    The generator changes a drive between phases and reads the state at each
    phase end; noise (``xi``) and spikes (``rand()``) check that the random
    streams are the same as well.
    """
    from brian2 import NeuronGroup

    lengths = [3 * ms, 5 * ms, 2 * ms]
    drives = [0.5, 2.0, 1.0, 3.0]

    def simulate_phases(one_run):
        with Backend(backend, seed=7, dt=DT) as be:
            g = NeuronGroup(4, "dv/dt = (drive - v)/(2*ms) + 0.3*xi/sqrt(ms) : 1\ndrive : 1",
                            threshold="rand() < 0.2*v", reset="v = 0", method="euler")
            net = Network(g)
            seen = []

            def phases():
                for k, d in enumerate(drives):
                    g.drive = d
                    yield lengths[k % len(lengths)]
                    seen.append(np.asarray(g.v[:]).copy())

            if one_run:
                total = sum(lengths[k % len(lengths)] for k in range(len(drives)))
                be.run_phases(net, phases(), total, lengths)
                assert len(net.objects) == 1          # the operation is removed again
            else:
                for duration in phases():
                    be.run(net, duration)
            return np.array(seen)

    one, many = simulate_phases(True), simulate_phases(False)
    assert one.shape == (4, 4) and np.ptp(one) > 0
    np.testing.assert_array_equal(one, many)


def test_run_phases_refuses_standalone(tmp_path):
    with (Backend("cpp_standalone", build_dir=tmp_path / "build") as be,
          pytest.raises(ModelError, match="numpy, cython")):
        be.run_phases(Network(), iter([]), 1 * ms, [1 * ms])


def test_run_phases_checks_the_total_duration():
    with Backend("numpy", dt=DT) as be:
        with pytest.raises(ModelError, match="phases end"):
            be.run_phases(Network(), iter([1 * ms]), 2 * ms, [1 * ms])
        with pytest.raises(ModelError, match="longer than the run"):
            be.run_phases(Network(), iter([1 * ms, 1 * ms]), 1 * ms, [1 * ms])


def test_a_diverged_run_is_a_clear_error_not_nan_traces():
    """A conductance far too large for dt (the XOR network's SST -> hid2 synapses at
    3,000 nS gave NaN apical voltages with only Brian2 warnings) raises, naming the
    group, the variable and dt; the same network with a sane conductance runs."""
    model = presets.payeur_2021()

    def run(w):
        with Backend("numpy", seed=1, dt=0.2 * ms) as be:
            group = model.build(2, name="cells", dt=0.2 * ms)
            stim = SpikeGeneratorGroup(1, [0, 0, 0], [5, 6, 7] * ms, name="volley")
            syn = Synapses(stim, group, "w : siemens", on_pre=model.on_pre("gaba", "apical"),
                           name="apical_gaba")
            syn.connect()
            syn.w = w
            be.run(Network(group, stim, syn), 30 * ms)
            return np.asarray(group.v_apical)

    assert np.all(np.isfinite(run(5 * nS)))
    with pytest.raises(ModelError, match=r"diverged.*of group 'cells'.*dt = 200\. us"):
        run(1e6 * nS)


@pytest.mark.standalone  # about 10 s: compiles one small project
def test_a_diverged_standalone_run_or_rerun_is_a_clear_error(tmp_path):
    """The same check after a cpp_standalone build (finish) and after a re-run of the
    binary whose run_args make it diverge; a sane re-run afterwards is finite."""
    model = presets.payeur_2021()
    with Backend("cpp_standalone", build_dir=tmp_path / "build", seed=1, dt=0.2 * ms) as be:
        group = model.build(2, name="cells", dt=0.2 * ms)
        stim = SpikeGeneratorGroup(1, [0, 0, 0], [5, 6, 7] * ms, name="volley")
        syn = Synapses(stim, group, "w : siemens", on_pre=model.on_pre("gaba", "apical"),
                       name="apical_gaba")
        syn.connect()
        syn.w = 5 * nS
        be.run(Network(group, stim, syn), 30 * ms)
        be.finish()
        assert np.all(np.isfinite(np.asarray(group.v_apical)))
        with pytest.raises(ModelError, match=r"diverged.*of group 'cells'.*dt = 200\. us"):
            be.rerun(run_args={syn.w: 1e6 * nS})
        be.rerun(run_args={syn.w: 5 * nS})
        assert np.all(np.isfinite(np.asarray(group.v_apical)))


@pytest.mark.standalone  # about 10 s: compiles one small project
@pytest.mark.skipif(backend_module._free_bytes(backend_module.MEMORY_ROOT)
                    < backend_module.MEMORY_MIN_FREE, reason="no memory file system with room")
def test_standalone_result_files_live_in_memory_and_go_with_the_backend(tmp_path, monkeypatch):
    """The binary writes its result files to a private directory in /dev/shm (a link
    from the build directory), removed on exit; a directory left by a process that is
    gone is removed; a file the binary cannot write raises instead of being read stale;
    with memory short the files go back to the build directory, same results."""
    from brian2 import device

    stale = backend_module.MEMORY_ROOT / f"{backend_module._MEMORY_PREFIX}999999999-x"
    stale.mkdir()
    link = tmp_path / "build" / "results"
    model = presets.payeur_2021()
    with Backend("cpp_standalone", build_dir=tmp_path / "build", seed=1, dt=0.2 * ms) as be:
        mem = be.results_in_memory
        assert mem is not None and mem.parent == backend_module.MEMORY_ROOT
        assert link.is_symlink() and link.resolve() == mem.resolve()
        assert not stale.exists()
        group = model.build(2, name="cells", dt=0.2 * ms)
        group.I_ext_soma = np.array([300, 600]) * pA
        mon = SpikeMonitor(group, name="spikes")
        be.run(Network(group, mon), 100 * ms)
        be.finish()
        v, n = np.array(group.v_apical), mon.num_spikes
        assert n > 0 and (mem / device.get_array_filename(group.variables["v_apical"])).is_file()

        # a file the binary cannot write (a directory in its place, even for root): a
        # state variable Brian2 reads itself after the run, and one only a user reads
        for name in ("v_soma", "I_ext_soma"):
            blocked = mem / device.get_array_filename(group.variables[name])
            blocked.unlink()
            blocked.mkdir()
            with pytest.raises(ModelError, match=f"could not write 1 result files.*{name}"):
                be.rerun(seed=1)
            blocked.rmdir()

        monkeypatch.setattr(backend_module, "MEMORY_MIN_FREE", 2 ** 62)
        be.rerun(seed=1)
        assert be.results_in_memory is None and not mem.exists()
        assert link.is_dir() and not link.is_symlink()
        np.testing.assert_array_equal(np.asarray(group.v_apical), v)
        assert mon.num_spikes == n
    monkeypatch.undo()
    with Backend("cpp_standalone", build_dir=tmp_path / "build") as be:
        mem = be.results_in_memory
        assert link.is_symlink()             # the build directory's files made way
    assert not mem.exists() and not link.exists() and not link.is_symlink()
