"""Figure of the hypothesis test: learning time against K and M, and estimator quality."""

import numpy as np
from matplotlib.ticker import NullFormatter, ScalarFormatter

from .style import CHANNEL_COLORS, figure, setup

__all__ = ["credit_assignment"]

COLORS = dict(CHANNEL_COLORS, output_only="#bbbbbb")
SHORT = {"S1": "S1 signed: plateau difference", "S2": "S2 signed: burst vs running mean",
         "S3": "S3 signed: interneuron subtraction", "G1": "G1 gate in [0, 1] x RPE",
         "G2": "G2 AGREL: signed FB x RPE", "P1": "P1 node perturbation",
         "BP": "BP exact backprop (rate)", "output_only": "output layer only (rate)"}
MARKERS = {"S1": "o", "S2": "s", "S3": "D", "G1": "v", "G2": "^", "P1": "x", "BP": "*",
           "output_only": "."}


def _plain(ax, xs):
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(xs)


def _time_panel(ax, m, key, sizes, xlabel):
    cap = m["budget"]["max_examples"]
    for n in m["channels"]:
        per_seed = m[f"examples_per_seed_{key}"][n]
        med = m[f"examples_to_criterion_{key}"][n]
        y = np.array([np.nan if v is None else v for v in med], float)
        lo = np.array([min((cap * 1.3 if v is None else v) for v in s) for s in per_seed], float)
        hi = np.array([max((cap * 1.3 if v is None else v) for v in s) for s in per_seed], float)
        col, mk = COLORS.get(n, "#444444"), MARKERS.get(n, "o")
        ls = "--" if n in ("BP", "output_only") else "-"
        shift = 1 + 0.025 * (list(m["channels"]).index(n) - 3.5)
        xs = np.asarray(sizes, float) * shift
        ax.plot(xs, y, ls, marker=mk, color=col, ms=4, lw=1.1, label=n)
        ok = np.isfinite(y)
        ax.vlines(xs[ok], lo[ok], np.minimum(hi[ok], cap * 1.3), color=col, lw=0.7, alpha=0.7)
        cens = ~ok
        if cens.any():
            ax.plot(xs[cens], np.full(cens.sum(), cap * 1.3), mk, mfc="none", color=col, ms=5)
    ax.axhline(cap, color="#999999", lw=0.6, ls=":")
    ax.text(sizes[0] * 0.9, cap * 1.55, f"censored: no criterion within {cap} examples",
            fontsize=6, color="#666666")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain(ax, sizes)
    ax.set(xlabel=xlabel, ylabel="examples to criterion", ylim=(None, cap * 2.2))


@figure("credit-assignment")
def credit_assignment(summary, arrays):
    """Learning time vs K and M (log-log, spread over seeds), curves, angle, sign, variance."""
    m = summary["metrics"]
    fig, axes = setup(ncols=3, nrows=2, width=3.3, height=2.9)
    K, M = m["widths"], m["outputs"]
    _time_panel(axes[0, 0], m, "width", K, "hidden width K")
    axes[0, 0].set_title(f"learning time vs K (M = {m['outputs_for_widths']})")
    _time_panel(axes[0, 1], m, "outputs", M, "outputs M")
    axes[0, 1].set_title(f"learning time vs M (K = {m['width_for_outputs']})")
    ax = axes[0, 2]
    ex = np.asarray(arrays["eval_examples"])
    k_big = len(K) - 1
    for n in m["channels"]:
        key = f"curves_width_{n}"
        if key not in arrays:
            continue
        c = np.asarray(arrays[key])[k_big]                   # (seeds, n_evals)
        col = COLORS.get(n, "#444444")
        mean = np.nanmean(c, axis=0)
        ax.plot(ex[:mean.size], mean, color=col, lw=1.0, ls="--" if n in ("BP", "output_only")
                else "-", label=n)
        ax.fill_between(ex[:mean.size], np.nanmin(c, axis=0), np.nanmax(c, axis=0), color=col,
                        alpha=0.12, lw=0)
    ax.axhline(m["criterion_accuracy_width"][k_big], color="#444444", lw=0.7, ls=":")
    ax.set(xlabel="examples", ylabel="test accuracy",
           title=f"K = {K[k_big]}, M = {m['outputs_for_widths']} (band: seeds)")
    chans = [c for c in m["channels"] if c in m["angle_deg"]]
    ax = axes[1, 0]
    for n in chans:
        col, mk = COLORS.get(n, "#444444"), MARKERS.get(n, "o")
        ax.plot(K, m["angle_deg"][n], "-", marker=mk, color=col, ms=4, lw=1, label=n)
        ax.plot(K, m["angle_deg_trial_averaged"][n], ":", marker=mk, color=col, ms=3, lw=1,
                mfc="none")
    ax.axhline(90, color="#999999", lw=0.6, ls=":")
    ax.set_xscale("log")
    _plain(ax, K)
    ax.set(xlabel="hidden width K", ylabel="angle to backprop (deg)", ylim=(0, 100),
           title="angle: single trial (—), trial mean (···)")
    ax = axes[1, 1]
    for n in chans:
        ax.plot(K, m["sign_agreement"][n], "-", marker=MARKERS.get(n, "o"),
                color=COLORS.get(n, "#444444"), ms=4, lw=1, label=n)
    ax.axhline(0.5, color="#999999", lw=0.6, ls=":")
    ax.set_xscale("log")
    _plain(ax, K)
    ax.set(xlabel="hidden width K", ylabel="fraction of neurons, sign = backprop's",
           ylim=(0, 1.02), title="single-trial sign agreement")
    ax = axes[1, 2]
    vals = [v for n in chans for v in m["relative_variance"][n] if v is not None]
    top = 3 * max(vals) if vals else 10.0
    for n in chans:
        col, mk = COLORS.get(n, "#444444"), MARKERS.get(n, "o")
        v = np.array([np.nan if x is None else x for x in m["relative_variance"][n]], float)
        ax.plot(K, v, "-", marker=mk, color=col, ms=4, lw=1, label=n)
        miss = ~np.isfinite(v)
        if miss.any():
            shift = 1 + 0.025 * (chans.index(n) - 2.5)
            ax.plot(np.asarray(K, float)[miss] * shift, np.full(miss.sum(), top), mk,
                    mfc="none", color=col, ms=5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain(ax, K)
    ax.text(K[0], top * 1.4, "open: mean update not detectable in the repeats", fontsize=6,
            color="#666666")
    ax.set(xlabel="hidden width K", ylabel="variance / squared mean", ylim=(None, top * 2.5),
           title="relative variance of the update")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, [SHORT.get(lab, lab) for lab in labels], fontsize=7, ncol=4,
               loc="outside lower center", frameon=False)
    return fig
