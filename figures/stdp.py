"""Figures of the plasticity protocols: STDP window, frequency dependence, location dependence.

Experimental points come from ``figures/data`` (Bi & Poo 1998; Sjöström,
Turrigiano & Nelson 2001), each file naming its source in its header.
"""

import csv
from pathlib import Path

import numpy as np

from .style import COMPARTMENT_COLORS, figure, setup

__all__ = ["load_data", "stdp_window", "frequency_dependence", "location_dependence"]

DATA = Path(__file__).resolve().parent / "data"
ORDER_COLORS = {"pre_post": "#1f77b4", "post_pre": "#d62728"}
ORDER_LABELS = {"pre_post": "pre→post (+10 ms)", "post_pre": "post→pre (−10 ms)"}
RULE_COLORS = {"pair-stdp": "#1f77b4", "clopath-2010": "#d62728"}


def load_data(name):
    """Columns of ``figures/data/<name>.csv`` as float arrays (``#`` lines skipped)."""
    with open(DATA / f"{name}.csv", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    return {key: np.array([float(r[key]) for r in rows]) for key in rows[0]}


def _sjostrom(ax, order, label=True):
    d = load_data("sjostrom_2001")
    key = "pre_post" if order == "pre_post" else "post_pre"
    ax.errorbar(d["rho_hz"], 100 * d[f"dw_{key}"], yerr=100 * d[f"err_{key}"], fmt="s", ms=4,
                mfc="white", color=ORDER_COLORS[order], capsize=2, lw=0.8,
                label=f"Sjöström 2001 {'pre→post' if key == 'pre_post' else 'post→pre'}"
                if label else None)


@figure("stdp-window")
def stdp_window(summary, arrays):
    """Relative weight change against spike timing, per rule, over the Bi & Poo points."""
    m = summary["metrics"]
    bp = load_data("bi_poo_1998")
    fig, axes = setup(ncols=len(m["rules"]), width=3.4, height=2.9, sharey=True)
    for ax, rule in zip(np.atleast_1d(axes), m["rules"]):
        ax.axhline(0, color="#bbbbbb", lw=0.6)
        ax.axvline(0, color="#bbbbbb", lw=0.6)
        ax.plot(bp["dt_ms"], bp["dw_rel"], "o", ms=3.5, mfc="white", color="#777777",
                label="Bi & Poo 1998")
        ax.plot(m["dt_ms"], m["dw_rel"][rule], "o-", ms=3, lw=1.2,
                color=RULE_COLORS.get(rule, "k"), label=f"{rule} (model)")
        tau = m["tau_plus_fit_ms"].get(rule)
        title = rule + (f": LTP fit τ+ = {tau:.1f} ms" if tau else ": no LTP side")
        ax.set(title=title, xlabel="t_post − t_pre (ms)", xlim=(-105, 105))
        ax.legend(fontsize=7, loc="upper left")
    np.atleast_1d(axes)[0].set_ylabel(f"relative weight change\n({summary['params']['n_pairings']}"
                                      f" pairings at {summary['params']['rate']} Hz)")
    return fig


@figure("frequency-dependence")
def frequency_dependence(summary, arrays):
    """Weight change against pairing frequency for both orders, over Sjöström's data."""
    m = summary["metrics"]
    fig, ax = setup(width=4.2, height=3.2)
    ax.axhline(0, color="#bbbbbb", lw=0.6)
    for order in ("pre_post", "post_pre"):
        _sjostrom(ax, order)
        ax.plot(m["rho_hz"], m[f"dw_{order}_pct"], "o-", color=ORDER_COLORS[order], lw=1.4,
                ms=4, label=f"Clopath 2010 {ORDER_LABELS[order]}")
    ax.set(xlabel="pairing frequency ρ (Hz)", ylabel="weight change (%)",
           title="Sjöström protocol, Clopath 2010 rule")
    ax.legend(fontsize=7, loc="upper left")
    return fig


@figure("location-dependence")
def location_dependence(summary, arrays):
    """Proximal vs distal frequency curves, and distal cooperativity (NMDA spike)."""
    m = summary["metrics"]
    fig, axes = setup(ncols=2, nrows=2, width=3.5, height=2.8)
    for ax, loc in zip(axes[0], ("proximal", "distal")):
        ax.axhline(0, color="#bbbbbb", lw=0.6)
        for order in ("pre_post", "post_pre"):
            _sjostrom(ax, order, label=(loc == "proximal"))
            dw = np.array(m[f"dw_{loc}_pct"][order])
            bound = np.array(m[f"beyond_bounds_{loc}"][order], bool)
            ax.plot(m["rho_hz"], dw, "o-", color=ORDER_COLORS[order], lw=1.4, ms=4,
                    label=f"model {ORDER_LABELS[order]}")
            ax.plot(np.array(m["rho_hz"])[bound], dw[bound], "x", color="k", ms=7, zorder=5,
                    label=("beyond weight bounds: ×15 invalid"
                           if bound.any() and order == "post_pre" else None))
        ax.set(title=f"{loc} synapse", xlabel="pairing frequency ρ (Hz)",
               ylabel="weight change (%)")
        ax.legend(fontsize=6, loc="upper left")
    ax = axes[1, 0]
    coop = np.array(m["coop_inputs"])
    t, v = arrays["t_ms"], arrays["v_distal_mV"][2:]
    cmap = np.linspace(0.25, 1.0, len(coop))
    for k, n in enumerate(coop):
        ax.plot(t - t[0], v[k], color=(0.46 * cmap[k], 0.44 * cmap[k], 0.70 * cmap[k] + 0.1),
                lw=1, label=f"{n} co-active")
    ax.axhline(-15, color="k", ls="--", lw=0.8, label="θ_high (−15 mV)")
    ax.set(xlabel="time (ms)", ylabel="distal voltage (mV)", title="cooperative distal input",
           xlim=(0, min(t[-1] - t[0], 420)))
    ax.legend(fontsize=6, loc="center right")
    ax = axes[1, 1]
    ax.plot(coop, m["dw_distal_coop_pct"], "o-", color=COMPARTMENT_COLORS["distal"], lw=1.4)
    events = summary["params"].get("n_coop_events", 1)
    ax.set(xlabel="co-active distal inputs",
           ylabel=f"weight change, {events} event{'s' if events != 1 else ''} (%)",
           title="LTP needs a local NMDA spike")
    ax2 = ax.twinx()
    ax2.plot(coop, m["v_distal_peak_mV"], "s--", color="#999999", ms=3)
    ax2.axhline(-15, color="k", ls=":", lw=0.8)
    ax2.set_ylabel("peak distal voltage (mV)", color="#777777")
    ax.text(0.03, 0.95, f"somatic spikes: {sum(m['somatic_spikes_coop'])}",
            transform=ax.transAxes, fontsize=7, va="top")
    return fig
