"""GPU benchmark: the foundation network on ``cuda_standalone`` (brian2cuda) beside ``cpp_standalone``.

Usage (on a machine with an NVIDIA GPU, nvcc and ``pip install -e '.[cuda]'``,
which needs Python >= 3.12 for brian2 2.10.1)::

    python tests/benchmarks/gpu.py --out DIR [--N 10000,50000,100000] [--duration 1]
        [--in-degree 200] [--threads 16] [--backends cuda_standalone,cpp_standalone]

For each N: :func:`circuits.recurrent.recurrent_network` (1 s, dt = 0.1 ms,
seed 1) with ``--in-degree`` recurrent synapses per neuron (200, as the N
series of ``run.py``; weights scaled as in :func:`run.recurrent_params`; 0
keeps the network's own 2 % connection probability, which at N = 1,000,000
would be 20 billion synapses) built and run on ``cuda_standalone`` and on ``cpp_standalone``
(single thread, and, with ``--threads T``, T OpenMP threads), each case in a fresh
process.  Reported: ``build_s`` (construction, code generation and
compilation), ``run_s`` (the simulation loop inside the binary, Brian2's
``device._last_run_time``), ``wall_s`` of the binary's run and the mean rate
(the backends draw different random numbers; rates should agree within a
few per cent).  Writes ``DIR/gpu.json`` after every case.

On a lent GPU machine (minutes of device time in all), N up to 1,000,000 in
one short run (the GPU beside 16 OpenMP threads; the single-threaded CPU
case stops at 100,000: at 1,000,000 a run would take about 3 minutes, 20 times
N = 50,000)::

    python tests/benchmarks/gpu.py --out $OUT/a --N 10000,100000,1000000 \
        --repeats 1 --backends cuda_standalone --threads 16
    python tests/benchmarks/gpu.py --out $OUT/b --N 10000,100000 --repeats 1 \
        --backends cpp_standalone
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _case(case):
    sys.path.insert(0, str(ROOT))
    from brian2 import device, ms, second

    from circuits.recurrent import recurrent_network
    from protocols.backend import Backend

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import recurrent_params

    build = Path(tempfile.mkdtemp(prefix="dendrites-gpu-"))
    N, T = case["N"], case["duration"]
    with Backend(case["backend"], build_dir=build, seed=1, dt=0.1 * ms,
                 threads=case.get("threads", 1)):
        t0 = time.perf_counter()
        net = recurrent_network(N, **recurrent_params(dict(N=N, k_rec=case.get("k_rec"))))
        nw = net.network()
        nw.run(T * second)
        device.build(directory=str(build), compile=True, run=False, with_output=False)
        build_s = time.perf_counter() - t0
        walls, runs = [], []
        for _ in range(case["repeats"]):
            t = time.perf_counter()
            device.run(directory=str(build), with_output=False)
            walls.append(time.perf_counter() - t)
            runs.append(float(getattr(device, "_last_run_time", walls[-1]) or walls[-1]))
        spikes = int(net.spikes.num_spikes)
    return dict(case, build_s=build_s, run_s=min(runs), all_run_s=runs, wall_s=min(walls),
                mean_rate_hz=spikes / (N * T))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--N", default="10000,50000,100000")
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0,
                    help="adds a cpp_standalone case with this many OpenMP threads (0: none)")
    ap.add_argument("--backends", default="cuda_standalone,cpp_standalone")
    ap.add_argument("--in-degree", type=int, default=200,
                    help="recurrent synapses per neuron (0: the network's own p_rec)")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.case:
        Path(args.out).write_text(json.dumps(_case(json.loads(args.case))))
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cases = []
    for N in (int(n) for n in args.N.split(",")):
        plan = [dict(backend=b, threads=1) for b in args.backends.split(",")]
        if args.threads > 1:
            plan.append(dict(backend="cpp_standalone", threads=args.threads))
        for c in plan:
            case = dict(c, N=N, duration=args.duration, repeats=args.repeats,
                        k_rec=args.in_degree or None)
            res_file = out / f".case-{os.getpid()}.json"
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--out", str(res_file), "--case",
                                   json.dumps(case)], cwd=ROOT, capture_output=True, text=True)
            if proc.returncode == 0:
                res = json.loads(res_file.read_text())
                res_file.unlink()
            else:
                res = dict(case, error=proc.stderr[-3000:])
            res["case_wall_s"] = time.perf_counter() - t0
            cases.append(res)
            print(json.dumps({k: v for k, v in res.items() if k != "all_run_s"})[:600],
                  flush=True)
            (out / "gpu.json").write_text(json.dumps(dict(cases=cases, environment=_env()),
                                                     indent=2))
    return 0


def _env():
    import brian2
    import numpy

    env = dict(python=platform.python_version(), brian2=brian2.__version__,
               numpy=numpy.__version__, cpus=os.cpu_count())
    try:
        import brian2cuda
        env["brian2cuda"] = brian2cuda.__version__
    except ImportError:
        env["brian2cuda"] = None
    for cmd, key in ((["nvidia-smi", "--query-gpu=name,driver_version,compute_cap",
                       "--format=csv,noheader"], "gpu"), (["nvcc", "--version"], "nvcc")):
        try:
            env[key] = subprocess.run(cmd, capture_output=True, text=True,
                                      timeout=20).stdout.strip()[-200:]
        except (OSError, subprocess.SubprocessError):
            env[key] = None
    return env


if __name__ == "__main__":
    sys.exit(main())
