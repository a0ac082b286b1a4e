"""Figures of the dendritic plasticity-rule protocols (prediction, burst rule, STP, feedback timing)."""

import numpy as np

from .style import COMPARTMENT_COLORS, figure, setup

__all__ = ["dendritic_prediction", "burst_rule", "stp_paired_pulse", "feedback_timing"]

RATE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


@figure("dendritic-prediction")
def dendritic_prediction(summary, arrays):
    """V*_w against the matching potential U_M early and late, error per repetition, weights."""
    m = summary["metrics"]
    t, v, um = arrays["t_s"], arrays["v_star_mV"], arrays["u_m_mV"]
    pat = float(arrays["pattern_s"][0])
    pre, teach, post = (int(x) for x in arrays["reps"])
    fig, axes = setup(ncols=4, width=2.9, height=2.6)

    def rep(k):
        return (t >= k * pat - 1e-9) & (t < (k + 1) * pat - 1e-9)

    for ax, k, title in ((axes[0], pre, "first teacher repetition"),
                         (axes[1], pre + teach - 1, f"repetition {teach} (last)")):
        s = rep(k)
        x = (t[s] - k * pat) * 1e3
        ax.plot(x, um[s], color="#d62728", lw=1.4, label="$U_M$ (teacher)")
        ax.plot(x, v[s], color=COMPARTMENT_COLORS["dendrite"], lw=1.0, label="$V^*_w$")
        ax.set(title=title, xlabel="time in pattern (ms)", ylabel="potential (mV)")
    lo = min(um.min(), v[rep(pre)].min(), v[rep(pre + teach - 1)].min()) - 2
    hi = max(um.max(), v[rep(pre)].max(), v[rep(pre + teach - 1)].max()) + 6
    for ax in axes[:2]:
        ax.set_ylim(lo, hi)
    axes[0].legend(loc="upper right", fontsize=7, ncol=2)
    ks = np.arange(pre, pre + teach)
    rmse = [np.sqrt(np.mean((v[rep(k)] - um[rep(k)]) ** 2)) for k in ks]
    corr = [np.corrcoef(v[rep(k)], um[rep(k)])[0, 1] for k in ks]
    ax = axes[2]
    ax.plot(ks - pre + 1, rmse, color="#444444", lw=1.2)
    ax.set(xlabel="teacher repetition", ylabel="RMSE($V^*_w$, $U_M$) (mV)",
           title=f"corr {m['corr_vstar_um_first']:.2f} -> {m['corr_vstar_um_last']:.2f}")
    ax2 = ax.twinx()
    ax2.plot(ks - pre + 1, corr, color="#1f77b4", lw=0.8, alpha=0.8)
    ax2.set_ylabel("correlation", color="#1f77b4")
    ax2.set_ylim(-0.2, 1.0)
    ax = axes[3]
    w = arrays["w"]
    ax.plot(np.arange(w.shape[1]), w.T, lw=0.8, alpha=0.8)
    ax.axvspan(pre, pre + teach, color="#eeeeee", zorder=0)
    ax.set(xlabel="pattern repetition", ylabel="weight (units of 300 pA)",
           title=f"{w.shape[0]} of the dendritic weights")
    return fig


@figure("burst-rule")
def burst_rule(summary, arrays):
    """Weight change against burst probability; LTD below, LTP above the running estimate."""
    m = summary["metrics"]
    p = np.asarray(m["p_burst"])
    fig, ax = setup(width=4.2, height=3.0)
    for c, r in zip(RATE_COLORS, m["event_rates_hz"]):
        tag = f"{r:g}hz"
        ax.errorbar(p, m[f"dw_{tag}"], yerr=m[f"dw_sem_{tag}"], fmt="o-", ms=3, color=c,
                    capsize=2, lw=1.2, label=f"event rate {r:g} Hz, p* = {m[f'p_star_{tag}']:.2f}")
    ax.axhline(0, color="#999999", lw=0.8, ls="--")
    p0 = float(summary["params"].get("P_init", 0.2))
    ax.axvline(p0, color="#999999", lw=0.8, ls=":")
    ax.text(p0, ax.get_ylim()[0], r" initial $\bar P$", fontsize=7, va="bottom", color="#666666")
    ax.set(xlabel="burst probability p", ylabel=r"weight change $\Delta W$",
           title="burst-Poisson protocol (mean $\\pm$ s.e.m.)")
    ax.legend(loc="upper left", fontsize=7)
    return fig


@figure("stp-paired-pulse")
def stp_paired_pulse(summary, arrays):
    """Paired-pulse ratio against interval: simulated (markers) and closed form (lines)."""
    from dendrites.plasticity.stp import stf_feedback, std_feedforward

    m = summary["metrics"]
    isi = np.asarray(m["isi_ms"])
    dense = np.geomspace(isi.min() * 0.8, isi.max() * 1.25, 200)
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig, ax = setup(width=4.2, height=3.0)
    for tag, stp, color, label in (("std", std_feedforward(), "#1f77b4", "depressing (feedforward)"),
                                   ("stf", stf_feedback(), "#d62728", "facilitating (feedback)")):
        ax.plot(dense, stp.paired_pulse_ratio(dense * 1e-3), color=color, lw=1.0, alpha=0.7,
                label=f"{label}: closed form")
        ax.plot(isi, m[f"ppr_{tag}"], "o", color=color, ms=5, label=f"{label}: simulated")
    ax.axhline(1, color="#999999", lw=0.8, ls="--")
    ax.set(xscale="log", yscale="log", xlabel="inter-spike interval (ms)",
           ylabel="paired-pulse ratio (2nd/1st)", title="extended Tsodyks-Markram STP")
    ax.set_yticks([0.3, 0.5, 1, 2, 3, 5])
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.legend(loc="center left", fontsize=6.5)
    return fig


@figure("feedback-timing")
def feedback_timing(summary, arrays):
    """Basal weight change against feedback offset, with the (equal) firing rates."""
    m = summary["metrics"]
    fig, axes = setup(ncols=2, width=3.6, height=3.0)
    titles = {"guerguiev": "Guerguiev 2017: plateau difference",
              "payeur": "Payeur 2021: burst-dependent rule"}
    xlabels = {"guerguiev": "feedback onset - target-phase start (ms)",
               "payeur": "feedback - feedforward input (ms)"}
    for ax, v in zip(axes, ("guerguiev", "payeur")):
        off, dw = np.asarray(m["offset_ms"][v]), np.asarray(m["dw"][v])
        colors = np.where(dw > 0, "#2ca02c", "#d62728")
        ax.bar(off, dw, width=0.6 * np.min(np.diff(np.sort(off))), color=colors)
        ax.axhline(0, color="#999999", lw=0.8)
        rates = np.asarray(m["post_rate_hz"][v])
        ax.set(title=titles[v], xlabel=xlabels[v], ylabel="mean basal weight change")
        ax.text(0.02, 0.98, f"pre {m['pre_rate_hz'][v]:.1f} Hz\npost {rates.min():.1f}-"
                f"{rates.max():.1f} Hz", transform=ax.transAxes, fontsize=7, va="top")
    lim = max(abs(np.asarray(m["dw"]["guerguiev"])).max() * 1.3, 1e-12)
    axes[0].set_ylim(-lim, lim)
    lim = max(abs(np.asarray(m["dw"]["payeur"])).max() * 1.3, 1e-12)
    axes[1].set_ylim(-lim, lim)
    return fig
