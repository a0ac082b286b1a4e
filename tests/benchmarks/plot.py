"""Scaling figure from ``benchmarks.json``: run time and memory against N and synapses per neuron.

Usage::

    python tests/benchmarks/plot.py DIR/benchmarks.json [MORE.json ...] [--out figures/speed-scaling]

Panels: simulation time (1 s of biological time) against N on log-log axes,
one line per implementation (numba, cpp_standalone with 1 and 2 threads,
cython, NEURON, Arbor where measured); peak resident memory of the
simulating process against N (the Payeur network of ``--only payeur`` as
stars at its size); simulation time against recurrent synapses per neuron
(cases of a ``--k-rec`` series).  Cases carry ``series`` (``'N'`` or
``'K'``; older files: a case with ``k_rec`` belongs to the K series); the N
series has the in-degree of ``--in-degree`` or the default 2 % connection
probability, named in the panel title.  Several files are drawn together
(e.g. an N series and a K series measured separately).
"""

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {("numba", 1): ("numba loop (1 core)", "#666666", "s"),
         ("cpp_standalone", 1): ("Brian2 cpp_standalone", "#1f77b4", "o"),
         ("cpp_standalone", 2): ("cpp_standalone, 2 threads", "#17becf", "o"),
         ("cython", 1): ("Brian2 cython", "#ff7f0e", "^"),
         ("neuron", 1): ("NEURON", "#2ca02c", "D"),
         ("arbor", 1): ("Arbor", "#d62728", "v")}


def series(cases, key):
    """``{(backend, threads): [(x, case), ...]}`` for the N series or the K series."""
    out = {}
    for c in cases:
        if "error" in c or c.get("case", "run") != "run" or c.get("family") in ("protocols",
                                                                               "payeur"):
            continue
        k = c.get("k_rec")
        if c.get("series", "K" if k else "N") != key:
            continue
        x = c["N"] if key == "N" else k
        out.setdefault((c["backend"], c["threads"]), []).append((x, c))
    return {k: sorted(v, key=lambda t: t[0]) for k, v in out.items()}


def draw(report, stem):
    cases = report["cases"]
    by_n, by_k = series(cases, "N"), series(cases, "K")
    degrees = sorted({c.get("k_rec") for rows in by_n.values() for _, c in rows}, key=str)
    n_title = ("2 % recurrence" if degrees == [None] else
               f"{', '.join(str(d) for d in degrees)} synapses/neuron")
    fig, axes = plt.subplots(1, 3 if by_k else 2, figsize=(11 if by_k else 7.5, 3.4),
                             constrained_layout=True)
    for key, rows in by_n.items():
        label, color, marker = STYLE.get(key, (f"{key[0]} t{key[1]}", "k", "x"))
        xs = [x for x, _ in rows]
        axes[0].plot(xs, [c["run_s"] for _, c in rows], marker=marker, color=color,
                     label=label, lw=1.2, ms=4)
        axes[1].plot(xs, [c["peak_mb"] for _, c in rows], marker=marker, color=color,
                     lw=1.2, ms=4)
        for x, c in rows:                 # a runaway (up) state is another workload
            if c["mean_rate_hz"] > 50:
                axes[0].annotate(f"{c['mean_rate_hz']:.0f} Hz", (x, c["run_s"]), fontsize=6,
                                 color=color, xytext=(-28, 4), textcoords="offset points")
    for c in cases:                       # the Payeur network: separate symbols
        if c.get("family") == "payeur" and "error" not in c:
            label, color, _ = STYLE.get((c["backend"], c["threads"]), ("?", "k", "x"))
            axes[0].plot([c["N"]], [c["run_s"]], marker="*", ms=9, color=color, ls="none",
                         label=f"Payeur network, {label}")
    axes[0].set(xscale="log", yscale="log", xlabel="neurons N",
                ylabel="simulation time for 1 s (s)", title=f"run time ({n_title})")
    axes[1].set(xscale="log", yscale="log", xlabel="neurons N", ylabel="peak memory (MB)",
                title="memory of the simulating process")
    axes[0].legend(fontsize=6, frameon=False)
    if by_k:
        for key, rows in by_k.items():
            label, color, marker = STYLE.get(key, (str(key), "k", "x"))
            axes[2].plot([x for x, _ in rows], [c["run_s"] for _, c in rows], marker=marker,
                         color=color, label=label, lw=1.2, ms=4)
        n = sorted({c["N"] for rows in by_k.values() for _, c in rows})
        axes[2].set(xscale="log", yscale="log", xlabel="recurrent synapses per neuron",
                    ylabel="simulation time for 1 s (s)",
                    title=f"N = {', '.join(map(str, n))}, weights x 200/K")
    for ax in axes:
        ax.grid(True, which="major", alpha=0.3)
    load = report.get("machine", {}).get("load_average_before")
    fig.suptitle("foundation network (tests/benchmarks/run.py)"
                 + (f", load before {load[0]:.2f}" if load else ""), fontsize=8)
    fig.savefig(f"{stem}.png", dpi=130)
    fig.savefig(f"{stem}.svg")
    plt.close(fig)
    return Path(f"{stem}.png")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("json", nargs="+")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "figures"
                                         / "speed-scaling"))
    args = ap.parse_args(argv)
    reports = [json.loads(Path(f).read_text()) for f in args.json]
    report = dict(reports[0], cases=[c for r in reports for c in r["cases"]])
    print(draw(report, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
