"""Where the generated C++ spends its time: Brian2's per-code-object profile of the foundation network.

Usage::

    python tests/benchmarks/profile.py --out DIR [--N 10000] [--duration 1] [--in-degree K]

Builds :func:`circuits.recurrent.recurrent_network` on ``cpp_standalone``
with ``profile=True`` (Brian2 times every code object of the run loop with
``std::clock``: processor time, so the fractions hold on a busy machine too),
runs it once and writes ``DIR/profile.json``: the time and fraction of the
loop per code object, grouped into what they do (compartment equations,
input events, recurrent spike propagation, STDP, spike detection and
monitors).  ``--in-degree K`` connects K recurrent synapses per neuron
with weights scaled by 200/K (as ``run.py --in-degree``; the default 2 %
connection probability drives the network into a runaway state from
N = 20,000 on).
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: code-object name fragment -> what it does (first match wins)
KINDS = (("stateupdater", "compartment equations (rk2)"),
         ("inputs_codeobject", "input events (delivery, next arrival)"),
         ("input_", "input events (delivery, next arrival)"),
         ("synapses_pre", "recurrent spikes: delivery and STDP depression"),
         ("synapses_post", "STDP potentiation on postsynaptic spikes"),
         ("spike_thresholder", "spike detection, reset, monitor"),
         ("spike_resetter", "spike detection, reset, monitor"),
         ("spikes_codeobject", "spike detection, reset, monitor"))


def kind(name):
    for frag, what in KINDS:
        if frag in name:
            return what
    return "other"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--N", type=int, default=10000)
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--in-degree", type=int, help="recurrent synapses per neuron")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from brian2 import device, ms, profiling_summary, second

    from circuits.recurrent import recurrent_network
    from protocols.backend import Backend

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import recurrent_params

    params = recurrent_params(dict(N=args.N, k_rec=args.in_degree))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with Backend("cpp_standalone", build_dir=tempfile.mkdtemp(prefix="dendrites-prof-"), seed=1,
                 dt=0.1 * ms) as be:
        net = recurrent_network(args.N, **params)
        nw = net.network()
        nw.run(args.duration * second, profile=True)
        be.finish()
        rows = [(str(name), float(t / second)) for name, t in nw.profiling_info]
        run_s = float(device._last_run_time)
        summary = str(profiling_summary(nw))
        rate = float(net.spikes.num_spikes) / (args.N * args.duration)
    total = sum(t for _, t in rows)
    groups = {}
    for name, t in rows:
        groups[kind(name)] = groups.get(kind(name), 0.0) + t
    report = dict(N=args.N, in_degree=args.in_degree, duration_s=args.duration, run_s=run_s, profiled_total_s=total,
                  mean_rate_hz=rate,
                  code_objects=[dict(name=n, seconds=t, fraction=t / total) for n, t in rows],
                  by_kind={k: dict(seconds=v, fraction=v / total)
                           for k, v in sorted(groups.items(), key=lambda kv: -kv[1])})
    (out / "profile.json").write_text(json.dumps(report, indent=1))
    print(summary)
    for k, v in report["by_kind"].items():
        print(f"{100 * v['fraction']:5.1f} %  {v['seconds']:7.3f} s  {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
