"""Figures of signed versus gated credit: interneuron subtraction, four-factor gate, timing."""

from pathlib import Path

import numpy as np

from dendrites.errors import ModelError

from .style import CHANNEL_COLORS, figure, setup

__all__ = ["interneuron_subtraction", "four_factor_gate", "RUNS"]

#: where stored runs of the companion protocols are looked up
RUNS = Path(__file__).resolve().parent / "runs"

RPE_COLORS = {1.0: "#1b9e77", -1.0: "#d95f02"}


def _zero_lines(ax):
    ax.axhline(0, color="#999999", lw=0.6, zorder=0)
    ax.axvline(0, color="#999999", lw=0.6, zorder=0)


def _mismatch_panel(ax, m, title="signed: interneuron difference"):
    mismatch, dw = np.asarray(m["mismatch"]), np.asarray(m["dw"])
    ax.plot(mismatch, dw * 1e3, "o-", ms=3.5, color=CHANNEL_COLORS["S3"])
    _zero_lines(ax)
    agree = m.get("sign_agreement")
    rel = m.get("dw_at_match_relative")
    text = []
    if agree is not None:
        text.append(f"sign(dw) = sign(mismatch): {100 * agree:.0f} %")
    if rel is not None:
        text.append(f"|dw| at match: {100 * rel:.1f} % of max")
    ax.text(0.03, 0.97, "\n".join(text), transform=ax.transAxes, fontsize=7, va="top")
    ax.set(xlabel="top-down − prediction (pA)", ylabel="Δw (×10⁻³)", title=title)


@figure("interneuron-subtraction")
def interneuron_subtraction(summary, arrays):
    """Apical voltage and basal weight change against the top-down mismatch; example traces."""
    m = summary["metrics"]
    fig, axes = setup(ncols=3, width=3.1, height=2.8)
    mismatch = np.asarray(m["mismatch"])
    ax = axes[0]
    t, v = arrays["t_ms"], arrays["v_apical_mV"]
    picks = [0, int(np.argmin(np.abs(mismatch))), len(mismatch) - 1]
    colors = ("#d95f02", "#444444", "#1b9e77")
    t0 = _t_skip_ms(summary)
    sel = (t >= t0) & (t <= t0 + 300)
    for k, c in zip(picks, colors):
        ax.plot(t[sel], v[k, sel], color=c, lw=0.7, label=f"{mismatch[k]:+.0f} pA")
    lo, hi = v[:, sel].min(), v[:, sel].max()
    ax.set(xlabel="time (ms)", ylabel="apical voltage (mV)", title="apical dendrite",
           ylim=(lo - 0.5, hi + 0.45 * (hi - lo)))
    ax.legend(fontsize=7, loc="upper center", ncol=3, title="mismatch", title_fontsize=7,
              columnspacing=0.8, handlelength=1.2)
    ax = axes[1]
    ax.plot(mismatch, m["apical_mV"], "o-", ms=3.5, color="#d95f02")
    _zero_lines(ax)
    ax.set(xlabel="top-down − prediction (pA)",
           ylabel="mean apical voltage − rest (mV)", title="apical error is signed")
    _mismatch_panel(axes[2], m, "basal Δw follows its sign")
    return fig


def _t_skip_ms(summary):
    """Start of the analysis window in ms (stored as a string such as ``"200. ms"``)."""
    value, *unit = str(summary["params"].get("t_skip", "0 ms")).split()
    return float(value) * (1000.0 if unit == ["s"] else 1.0)


def _load(name):
    """A stored run of protocol *name* under :data:`RUNS`, or None."""
    from protocols import load

    try:
        return load(RUNS / name)
    except (ModelError, OSError, ValueError):
        return None


def _gate_panel(ax, m):
    fb, rpe, dw = (np.asarray(m[k], dtype=float) for k in ("fb", "rpe", "dw"))
    mismatch = np.asarray(m.get("mismatch", np.zeros_like(fb)), dtype=float)
    styles = {1.0: "-", -1.0: ":"}
    for r in np.unique(rpe):
        for s in np.unique(np.sign(mismatch)):
            sel = (rpe == r) & (np.sign(mismatch) == s)
            order = np.argsort(fb[sel])
            label = f"RPE {r:+.0f}, apical error {'+' if s > 0 else '−' if s < 0 else '0'}"
            ax.plot(fb[sel][order], dw[sel][order] * 1e3, "o", ls=styles.get(s, "--"), ms=3.5,
                    color=RPE_COLORS.get(float(r), "#444444"), label=label)
    ax.axhline(0, color="#999999", lw=0.6, zorder=0)
    ax.set(xlabel="feedback gate FB", ylabel="Δw (×10⁻³)", title="gated: sign from RPE alone")
    ax.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.0, 0.5))


def _signed_same_neurons(ax, m):
    mismatch, dw = np.asarray(m["mismatch"]), np.asarray(m["dw_signed"])
    rpe = np.asarray(m["rpe"])
    for r in np.unique(rpe):
        sel = rpe == r
        ax.plot(mismatch[sel], dw[sel] * 1e3, "o", ms=5 if r > 0 else 3,
                mfc="none" if r > 0 else RPE_COLORS.get(float(r)),
                color=RPE_COLORS.get(float(r), "#444444"), label=f"RPE {r:+.0f}")
    _zero_lines(ax)
    ax.set(xlabel="apical mismatch (pA)", ylabel="Δw (×10⁻³)",
           title="signed rule, same neurons")
    ax.legend(fontsize=7, loc="upper left")


def _timing_panel(ax, m):
    offsets, dws = m["offset_ms"], m["dw"]
    variants = list(dws) if isinstance(dws, dict) else ["feedback timing"]
    colors = {"guerguiev": CHANNEL_COLORS["S1"], "payeur": CHANNEL_COLORS["S2"]}
    for v in variants:
        x = offsets[v] if isinstance(offsets, dict) else offsets
        y = dws[v] if isinstance(dws, dict) else dws
        y = np.asarray(y, dtype=float)
        scale = np.max(np.abs(y)) or 1.0
        ax.plot(x, y / scale, "o-", ms=3, color=colors.get(v, "#444444"), label=v)
    _zero_lines(ax)
    ax.set(xlabel="feedback offset (ms)", ylabel="Δw / max |Δw|",
           title="signed: feedback timing")
    ax.legend(fontsize=7, loc="lower right")


@figure("four-factor-gate")
def four_factor_gate(summary, arrays):
    """The gate beside the signed mechanisms (stored runs drawn when present)."""
    m = summary["metrics"]
    others = [(name, run) for name, run in (("interneuron-subtraction",
                                              _load("interneuron-subtraction")),
                                             ("feedback-timing", _load("feedback-timing")))
              if run is not None]
    fig, axes = setup(ncols=2 + len(others), width=3.3, height=2.9)
    _gate_panel(axes[0], m)
    _signed_same_neurons(axes[1], m)
    for ax, (name, run) in zip(axes[2:], others):
        if name == "interneuron-subtraction":
            _mismatch_panel(ax, run["metrics"])
        else:
            _timing_panel(ax, run["metrics"])
    return fig
