"""Sweeps on Dask distributed: a real scheduler and workers, resume after a kill, bad input.

The protocol swept is ``werfel`` (NumPy only, deterministic for a seed), so
the tests exercise the engine, not Brian2 compilation.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dendrites.errors import ModelError
from protocols import load
from protocols.cli import main
from protocols.registry import get_protocol, run
from protocols.sweep import parse_grid, plan, point_name, run_sweep

pytest.importorskip("distributed")

DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]
FAST = ["--quick", "--grid", "max_examples=400,600"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout, what):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def cluster(tmp_path):
    """A `dask scheduler` and two single-thread `dask worker` processes on 127.0.0.1."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DENDRITES_CACHE=str(tmp_path / "cache"), PYTHONWARNINGS="ignore")
    procs = [subprocess.Popen(DASK + ["--host", "127.0.0.1", "--port", str(port),
                                      "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    _wait_for(lambda: _can_connect(port), 60, "the scheduler")
    workers = [subprocess.Popen(WORKER + [address, "--nthreads", "1", "--no-nanny",
                                          "--name", f"w{k}", "--no-dashboard"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for k in range(2)]
    procs += workers
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)
    try:
        yield address, workers
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        for p in procs:
            p.wait(timeout=30)


def _can_connect(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _metrics(out, name):
    return load(Path(out) / "points" / name)["metrics"]


def test_sweep_on_a_running_scheduler_matches_single_runs(cluster, tmp_path):
    address, _ = cluster
    out = tmp_path / "sweep"
    assert main(["sweep", "werfel", *FAST, "--seeds", "2", "--scheduler", address,
                 "--out", str(out)]) == 0
    meta = json.loads((out / "sweep.json").read_text())
    assert [p["status"] for p in meta["points"]] == ["done"] * 4
    assert meta["grid"] == {"max_examples": [400, 600]} and meta["seeds"] == [1, 2]
    lines = (out / "sweep.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["point", "seed", "max_examples"] and len(lines) == 5
    assert "gd_over_np_loglog_slope" in header
    # a point equals the same run made directly, in this process
    summary, _ = run("werfel", None, seed=2, overrides={"max_examples": 600}, quick=True)
    stored = _metrics(out, point_name({"max_examples": 600}, 2))
    assert stored["gd_over_np"] == summary["metrics"]["gd_over_np"]
    # a second call finds every point stored and runs nothing
    before = {p: (out / "points" / p / "summary.json").stat().st_mtime_ns
              for p in os.listdir(out / "points")}
    meta2 = run_sweep("werfel", out, ["max_examples=400,600"], seeds=2, scheduler=address,
                      quick=True)
    assert meta2["stored_before"] == 4
    assert before == {p: (out / "points" / p / "summary.json").stat().st_mtime_ns
                      for p in os.listdir(out / "points")}


def test_killed_worker_and_client_resume_only_the_missing_points(cluster, tmp_path):
    address, workers = cluster
    out = tmp_path / "sweep"
    args = [sys.executable, "-m", "protocols", "sweep", "werfel", "--quick", "--grid",
            "n_runs=24,32,40", "--seeds", "2",
            "--scheduler", address, "--out", str(out)]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    client = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    points = out / "points"

    def n_done():
        return sum((p / "summary.json").exists() for p in points.iterdir()) if points.exists() else 0

    _wait_for(lambda: n_done() >= 2, 120, "two stored points")
    workers[0].kill()                              # a worker dies mid-sweep ...
    client.send_signal(signal.SIGINT)              # ... and the sweep is interrupted
    client.wait(timeout=60)
    time.sleep(1.0)                                # a point in flight on w1 may still land
    stored = {p.name: (p / "summary.json").stat().st_mtime_ns for p in points.iterdir()
              if (p / "summary.json").exists()}
    assert 2 <= len(stored) < 6
    assert not [p for p in points.iterdir() if not (p / "summary.json").exists()]
    meta = run_sweep("werfel", out, ["n_runs=24,32,40"], seeds=2, scheduler=address,
                     quick=True)
    assert [p["status"] for p in meta["points"]] == ["done"] * 6
    assert meta["stored_before"] >= len(stored)
    for name, mtime in stored.items():             # nothing stored was run again
        assert (points / name / "summary.json").stat().st_mtime_ns == mtime
    # and what was run after the interruption equals an uninterrupted run
    again = [n for n in os.listdir(points) if n not in stored][0]
    overrides, seed = {}, None
    for part in again.split("__"):
        key, value = part.split("-", 1)
        if key == "seed":
            seed = int(value)
        else:
            overrides[key] = int(value)
    summary, _ = run("werfel", None, seed=seed, overrides=overrides, quick=True)
    assert _metrics(out, again)["gd_over_np"] == summary["metrics"]["gd_over_np"]


def test_local_cluster_sweep_with_seeds_only(tmp_path):
    out = tmp_path / "local"
    meta = run_sweep("werfel", out, [], seeds=2, workers=2, quick=True)
    assert [p["point"] for p in meta["points"]] == ["seed-1", "seed-2"]
    assert (out / "points" / "seed-2" / "summary.json").exists()


def test_one_worker_sweep_runs_in_process_and_matches_single_runs(tmp_path, monkeypatch):
    import brian2

    import protocols.sweep as sweep

    def no_cluster(*args):
        raise AssertionError("a one-worker sweep must not start a cluster")

    monkeypatch.setattr(sweep, "_client", no_cluster)
    level = brian2.BrianLogger.console_handler.level
    out = tmp_path / "one"
    meta = run_sweep("werfel", out, ["max_examples=400,600"], seeds=1, workers=1, quick=True)
    assert [p["status"] for p in meta["points"]] == ["done", "done"]
    assert brian2.BrianLogger.console_handler.level == level     # logging restored
    summary, _ = run("werfel", None, seed=1, overrides=dict(max_examples=600), quick=True)
    stored = json.loads((out / "points" / "max_examples-600__seed-1" / "summary.json").read_text())
    assert stored["metrics"]["gd_over_np"] == summary["metrics"]["gd_over_np"]
    again = run_sweep("werfel", out, ["max_examples=400,600"], seeds=1, workers=1, quick=True)
    assert again["stored_before"] == 2


def test_grid_parsing_and_planning():
    proto = get_protocol("werfel")
    grid = parse_grid(proto, ["sigma=1e-3,1e-2", "m=1"])
    assert grid == {"sigma": [1e-3, 1e-2], "m": [[1]]}
    names = [n for _, _, n in plan(grid, [1, 2])]
    assert names == ["sigma-0.001__m-1__seed-1", "sigma-0.001__m-1__seed-2",
                     "sigma-0.01__m-1__seed-1", "sigma-0.01__m-1__seed-2"]
    passive = get_protocol("passive-transfer")
    key = next(k for k, v in passive.defaults.items() if hasattr(v, "dim"))
    grid = parse_grid(passive, [f"{key}=1*{passive.defaults[key].get_best_unit()!s},2*"
                                f"{passive.defaults[key].get_best_unit()!s}"])
    assert len(grid[key]) == 2


@pytest.mark.parametrize("grid, match", [
    (["nonsense=1,2"], "Unknown parameter 'nonsense'"),
    (["sigma="], "Malformed --grid"),
    (["sigma=1e-3,,1e-2"], "no empty values"),
    (["sigma"], "Malformed --grid"),
    (["seed=1,2"], "use --seeds"),
    (["sigma=1e-3", "sigma=1e-2"], "given twice"),
    (["sigma=1e-3,1e-3"], "repeats a value"),
    (["sigma=1*ms"], "wrong dimensions"),
])
def test_bad_grids_are_refused_and_nothing_is_written(tmp_path, grid, match):
    out = tmp_path / "bad"
    with pytest.raises(ModelError, match=match):
        run_sweep("werfel", out, grid, seeds=1, workers=1)
    assert not out.exists()


def test_bad_seeds_scheduler_and_out(tmp_path, capsys):
    out = tmp_path / "bad"
    with pytest.raises(ModelError, match="'--seeds' = 0"):
        run_sweep("werfel", out, [], seeds=0)
    with pytest.raises(ModelError, match="must be an address"):
        run_sweep("werfel", out, [], scheduler="localhost")
    t0 = time.perf_counter()
    with pytest.raises(ModelError, match="Cannot reach the Dask scheduler"):
        run_sweep("werfel", out, [], scheduler=f"tcp://127.0.0.1:{_free_port()}")
    assert time.perf_counter() - t0 < 15
    assert not (out / "sweep.json").exists()
    shutil.rmtree(out, ignore_errors=True)
    assert main(["sweep", "no-such-protocol", "--out", str(out)]) == 2
    assert "Unknown protocol" in capsys.readouterr().err
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ModelError, match="not a sweep directory"):
        run_sweep("werfel", other, [], seeds=1)


def test_progress_bar_on_a_terminal_only():
    import io

    from protocols.progress import progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term, pipe = Terminal(), io.StringIO()
    assert list(progress(range(3), stream=term)) == [0, 1, 2]
    assert "3/3 seeds" in term.getvalue() and term.getvalue().endswith("\n")
    assert list(progress(range(3), stream=pipe)) == [0, 1, 2]
    assert pipe.getvalue() == ""
