"""Re-run benchmark: a sweep of 20 points on one ``cpp_standalone`` build through ``run_args``.

Usage::

    python tests/benchmarks/rerun.py --out DIR [--N 1000,10000] [--points 20] [--duration 1]

For each N, the ``recurrent-stdp`` protocol (the foundation network, 1 s,
dt = 0.1 ms) is swept over ``--points`` input rates (and, separately, over
``--points`` seeds at one rate), each time in a fresh process and a fresh
build directory (cold compilation; the Cython cache is not involved):

``direct``
    :func:`protocols.sweep.run_variant` in this process (what a Dask worker
    does with its share of a sweep): build and compile once, then re-run the
    binary per point and store each point as a run directory.
``sweep``
    ``run_sweep(..., workers=1)``: the command-line sweep
    (``python -m protocols sweep ... --workers 1``), which runs a one-worker
    sweep in this process (no ``LocalCluster`` to start); grid parsing,
    planning, progress and the sweep index included.

Reported per case: ``compile_s`` (``make``: C++ compilation of the variant),
``build_s`` (network construction + code generation + compilation),
``sum_run_s`` (the binary's own simulation time, summed over points:
Brian2's ``device._last_run_time``), ``wall_s`` (the whole sweep) and
``ratio = wall_s / (sum_run_s + build_s)`` against issue 6's target of 1.1,
``sum_process_s`` (the binary's whole run per point, as the sweep sees it:
process start, synapse creation, spike-queue set-up, the loop, writing
results) and ``ratio_to_process`` (the sweep's own overhead on top of that:
Python, reading results, metrics, storing each point),
and ``cold_compile_ok`` against its 15 s for a cold compilation.  Writes
``DIR/rerun.json``.  ``--results disk`` keeps the binary's result files in the
build directory instead of memory (``/dev/shm``, the default of
:class:`protocols.backend.Backend`), for comparison.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO, TARGET_COMPILE_S = 1.1, 15.0


def _points(kind, n, N, duration):
    from brian2 import Hz, second

    base = dict(N=N, duration=duration * second)
    if kind == "rates":
        rates = [3.0 + 2.0 * k / max(n - 1, 1) for k in range(n)]   # 3 .. 5 Hz per synapse
        return [(dict(base, input_rate=r * Hz), 1, f"rate-{k:02d}") for k, r in enumerate(rates)]
    return [(dict(base), s, f"seed-{s:02d}") for s in range(1, n + 1)]


def _case(case, workdir):
    sys.path.insert(0, str(ROOT))
    os.environ["DENDRITES_CACHE"] = str(Path(workdir) / "cache")
    import protocols.backend
    from protocols.sweep import run_sweep, run_variant

    if case.get("results") == "disk":               # the binary's files in the build dir
        protocols.backend.MEMORY_MIN_FREE = float("inf")

    points = _points(case["kind"], case["points"], case["N"], case["duration"])
    out = Path(workdir) / "sweep"
    t0 = time.perf_counter()
    if case["mode"] == "direct":
        status = run_variant("recurrent-stdp", str(out / "points"), points, False,
                             "cpp_standalone", "bench")
        failures = {k: v for k, (s, v) in status.items() if s != "done"}
    else:
        grid = ([f"input_rate={','.join(str(p[0]['input_rate']).replace(' ', '*') for p in points)}"]
                if case["kind"] == "rates" else [])
        grid += [f"N={case['N']}", f"duration={case['duration']}*second"]
        seeds = 1 if case["kind"] == "rates" else case["points"]
        meta = run_sweep("recurrent-stdp", out, grid, seeds=seeds, workers=1,
                         backend="cpp_standalone")
        failures = meta["failures"]
    wall = time.perf_counter() - t0
    builds = [json.loads(p.read_text())["build"] for p in (out / "points").glob("*/summary.json")]
    first = next(b for b in builds if b["compiled"])
    sum_run = sum(b["run_s"] for b in builds)
    sum_process = sum(b.get("process_s", 0.0) for b in builds)
    return dict(case, wall_s=wall, build_s=first["build_s"], compile_s=first["compile_s"],
                sum_run_s=sum_run, n_points=len(builds), n_compiled=sum(b["compiled"] for b in builds),
                ratio=wall / (sum_run + first["build_s"]), failures=failures,
                sum_process_s=sum_process,
                ratio_to_process=wall / (sum_process + first["build_s"]),
                overhead_per_point_s=(wall - sum_run - first["build_s"]) / max(len(builds), 1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--N", default="1000,10000")
    ap.add_argument("--points", type=int, default=20)
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--modes", default="direct,sweep")
    ap.add_argument("--kinds", default="rates,seeds")
    ap.add_argument("--results", choices=("memory", "disk"), default="memory",
                    help="where the binary writes its result files (protocols.backend: "
                         "/dev/shm when it has room, or the build directory)")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.case:                                   # inside the case subprocess
        case = json.loads(args.case)
        result = _case(case, case.pop("workdir"))
        Path(args.out).write_text(json.dumps(result))
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cases = []
    for N in (int(n) for n in args.N.split(",")):
        for kind in args.kinds.split(","):
            for mode in args.modes.split(","):
                work = Path(tempfile.mkdtemp(prefix="dendrites-rerun-"))
                case = dict(N=N, kind=kind, mode=mode, points=args.points,
                            duration=args.duration, results=args.results, workdir=str(work))
                res_file = work / "result.json"
                load = os.getloadavg()[0]
                proc = subprocess.run([sys.executable, __file__, "--out", str(res_file),
                                       "--case", json.dumps(case)], cwd=ROOT)
                if proc.returncode == 0:
                    res = json.loads(res_file.read_text())
                else:
                    res = dict(case, error=f"exit status {proc.returncode}")
                res.update(load_before=load, load_after=os.getloadavg()[0])
                res.pop("workdir", None)
                shutil.rmtree(work, ignore_errors=True)
                cases.append(res)
                if "error" in res:
                    print(f"N={N} {kind} {mode}: {res['error']}")
                    continue
                print(f"N={N:>6} {kind:<5} {mode:<6} wall {res['wall_s']:7.2f} s = "
                      f"{res['ratio']:.3f} x (sum run {res['sum_run_s']:.2f} s + build "
                      f"{res['build_s']:.1f} s, compile {res['compile_s']:.1f} s); "
                      f"{res['n_compiled']} compiled of {res['n_points']}; "
                      f"{res['ratio_to_process']:.3f} x of the binary runs", flush=True)
    ok = [c for c in cases if "error" not in c]
    summary = dict(target_ratio=TARGET_RATIO, target_compile_s=TARGET_COMPILE_S,
                   max_ratio=max((c["ratio"] for c in ok), default=None),
                   max_compile_s=max((c["compile_s"] for c in ok), default=None))
    summary["ratio_met"] = summary["max_ratio"] is not None and summary["max_ratio"] <= TARGET_RATIO
    summary["cold_compile_met"] = (summary["max_compile_s"] is not None
                                   and summary["max_compile_s"] <= TARGET_COMPILE_S)
    env = dict(python=platform.python_version(), cpus=os.cpu_count(), machine=platform.machine())
    (out / "rerun.json").write_text(json.dumps(dict(cases=cases, summary=summary,
                                                    environment=env), indent=2))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
