"""Figures of reward-driven learning: AGREL beside the four-factor gate; disinhibitory gating."""

import numpy as np

from .credit_sign import _load
from .style import CHANNEL_COLORS, COMPARTMENT_COLORS, figure, setup

__all__ = ["learn_agrel", "disinhibitory_gate"]

VARIANT_COLORS = {"agrel": CHANNEL_COLORS["G2"], "gated": CHANNEL_COLORS["G1"]}
VARIANT_LABELS = {"agrel": "AGREL (signed FB)", "gated": "four-factor (gate)"}


def _variants(arrays):
    return [k[len("curve_"):] for k in arrays if k.startswith("curve_") and
            not k.startswith("curve_rate_")]


@figure("learn-agrel")
def learn_agrel(summary, arrays):
    """Learning curves, expected hidden update against backprop, test accuracy."""
    m, p = summary["metrics"], summary["params"]
    variants = _variants(arrays)
    fig, axes = setup(ncols=3, width=3.2, height=2.9)
    ax = axes[0]
    for v in variants:
        col = VARIANT_COLORS.get(v, "#444444")
        for k, curve in enumerate(np.atleast_2d(arrays[f"curve_{v}"])):
            ax.plot(np.arange(curve.size) + int(p["window"]), curve, color=col, lw=0.9,
                    label=f"{VARIANT_LABELS.get(v, v)}, spiking" if k == 0 else None)
        rate = np.atleast_2d(arrays[f"curve_rate_{v}"]).mean(axis=0)
        ax.plot(np.arange(rate.size) + int(p["window"]), rate, color=col, lw=0.9, ls="--",
                label=f"rate model (mean of {np.atleast_2d(arrays[f'curve_rate_{v}']).shape[0]})")
    ax.axhline(0.5, color="#999999", lw=0.6, ls=":")
    ax.set(xlabel="trial", ylabel=f"rewarded (running mean of {p['window']})",
           title=f"XOR, {p['n_hidden']} hidden units", ylim=(0.3, 1.02))
    ax.legend(fontsize=6.5, loc="lower right", frameon=True, framealpha=0.85, edgecolor="none")
    ax = axes[1]
    bp = np.ravel(arrays["dV_backprop"])
    scale = np.max(np.abs(bp)) or 1.0
    for v in variants:
        dv = np.ravel(arrays[f"dV_{v}"])
        r = m["update_corr_per_seed"][v][0]
        ax.plot(bp / scale, dv / (np.max(np.abs(dv)) or 1.0), "o" if v == "agrel" else "^",
                ms=3.5,
                color=VARIANT_COLORS.get(v, "#444444"), label=f"{v}: r = {r:.2f}")
    lim = [-1.1, 1.1]
    ax.plot(lim, lim, "--", color="#999999", lw=0.6)
    ax.axhline(0, color="#cccccc", lw=0.5, zorder=0)
    ax.axvline(0, color="#cccccc", lw=0.5, zorder=0)
    ax.set(xlim=lim, ylim=lim, xlabel="backprop ΔV (scaled)",
           ylabel="mean spiking ΔV (scaled)",
           title=f"expected hidden update ({p['n_probe']} trials)")
    ax.legend(fontsize=7, loc="upper left")
    ax = axes[2]
    for x, v in enumerate(variants):
        col = VARIANT_COLORS.get(v, "#444444")
        seeds = m["accuracy_per_seed"][v]
        rate = m["accuracy_rate_per_seed"][v]
        ax.bar(x - 0.2, np.mean(seeds), width=0.35, color=col, alpha=0.8,
               label="spiking" if x == 0 else None)
        ax.plot(np.full(len(seeds), x - 0.2), seeds, "k.", ms=4)
        ax.bar(x + 0.2, np.mean(rate), width=0.35, color=col, alpha=0.35, hatch="//",
               label="rate" if x == 0 else None)
        ax.plot(np.full(len(rate), x + 0.2), rate, "k.", ms=3)
    ax.axhline(0.95, color="#444444", lw=0.8, ls="--")
    ax.axhline(0.5, color="#999999", lw=0.6, ls=":")
    ax.set_xticks(range(len(variants)), [VARIANT_LABELS.get(v, v) for v in variants],
                  fontsize=7)
    ax.set(ylabel="greedy test accuracy", ylim=(0, 1.25), yticks=np.linspace(0, 1, 6),
           title="accuracy (dots: seeds)")
    ax.legend(fontsize=7, loc="upper center", ncol=2)
    return fig


def _trace_panel(ax, summary, arrays):
    t, v = np.asarray(arrays["t_ms"]), np.asarray(arrays["v_apical_mV"])
    labels = summary["metrics"]["conditions"]
    sel = (t >= 200) & (t <= 500)
    for k, col in ((0, COMPARTMENT_COLORS["apical"]), (1, "#444444")):
        ax.plot(t[sel], v[k, sel], color=col, lw=0.7,
                label="higher-order on" if labels[k].startswith("ho") else "higher-order off")
    lo, hi = v[:2, sel].min(), v[:2, sel].max()
    ax.set(xlabel="time (ms)", ylabel="apical voltage (mV)", title="pairing: apical dendrite",
           ylim=(lo - 2, hi + 0.3 * (hi - lo)))
    ax.legend(fontsize=7, loc="upper center", ncol=2, columnspacing=0.8, handlelength=1.2)


def _gate_bars(ax, m):
    labels = m["conditions"]
    dw = np.array([m["dw"][c] for c in labels]) * 100
    cols = [COMPARTMENT_COLORS["apical"] if c.startswith("ho") else "#888888" for c in labels]
    ax.bar(range(len(labels)), dw, color=cols)
    for x, c in enumerate(labels):
        ax.text(x, max(dw[x], 0) + 0.2, f"SST {m['sst_rate_hz'][c]:.0f} Hz\n"
                f"apical {m['apical_mV'][c]:+.1f} mV", ha="center", fontsize=6)
    ax.axhline(0, color="#999999", lw=0.6)
    p_ltp = 100 * float(m.get("ltp_min", 0.03)) if "ltp_min" in m else None
    if p_ltp:
        ax.axhline(p_ltp, color="#444444", lw=0.6, ls="--")
    names = {"ho+apical": "HO + apical", "apical": "apical only", "ho": "HO only",
             "none": "neither"}
    ax.set_xticks(range(len(labels)), [names.get(c, c) for c in labels], fontsize=7)
    ax.set(ylabel="basal Δw (% of initial)", ylim=(min(dw.min(), 0) - 0.5, dw.max() * 1.35 + 0.5),
           title=f"gate: LTP only with VIP drive ({'met' if m['gate_met'] else 'not met'})")


def _sign_panel(ax, m):
    """Normalised dw: the gate (HO on/off) beside a signed mechanism (feedback +/-)."""
    dw_on, dw_off = m["dw_with_higher_order"], m["dw_without"]
    scale = max(abs(dw_on), abs(dw_off)) or 1.0
    xs, hs, cols, names = [0, 1], [dw_on / scale, dw_off / scale], \
        [COMPARTMENT_COLORS["apical"], "#888888"], ["gate\nopen", "gate\nclosed"]
    run = _load("interneuron-subtraction")
    if run is not None:
        mm, dws = np.asarray(run["metrics"]["mismatch"]), np.asarray(run["metrics"]["dw"])
        s = np.max(np.abs(dws)) or 1.0
        xs += [2.7, 4.1]
        hs += [dws[mm > 0].mean() / s, dws[mm < 0].mean() / s]
        cols += [CHANNEL_COLORS["S3"]] * 2
        names += ["signed,\nmismatch +", "signed,\nmismatch −"]
        note = "right: stored interneuron-subtraction run"
    else:
        note = "no stored interneuron-subtraction run"
    ax.bar(xs, hs, color=cols)
    ax.axhline(0, color="#999999", lw=0.6)
    ax.set_xticks(xs, names, fontsize=6.5)
    ax.text(0.02, 0.02, note, transform=ax.transAxes, fontsize=6, color="#666666")
    ax.set(ylabel="Δw / max |Δw|", ylim=(-1.15, 1.15),
           title="gate: on/off; signed: ±")


@figure("disinhibitory-gate")
def disinhibitory_gate(summary, arrays):
    """Apical traces, dw per condition, and the gate beside a signed mechanism."""
    m = dict(summary["metrics"], ltp_min=summary["params"].get("ltp_min", 0.03))
    fig, axes = setup(ncols=3, width=3.3, height=2.9)
    _trace_panel(axes[0], summary, arrays)
    _gate_bars(axes[1], m)
    _sign_panel(axes[2], m)
    return fig
