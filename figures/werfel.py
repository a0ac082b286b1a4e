"""Figure of the Werfel yardstick: learning-speed ratios of GD, node and weight perturbation."""

import numpy as np
from matplotlib.ticker import NullFormatter, ScalarFormatter

from .style import CHANNEL_COLORS, figure, setup

__all__ = ["werfel"]


def _plain_ticks(ax, xs, ys):
    for axis, values in ((ax.xaxis, xs), (ax.yaxis, ys)):
        axis.set_major_formatter(ScalarFormatter())
        axis.set_minor_formatter(NullFormatter())
    ax.set_xticks(xs)


@figure("werfel")
def werfel(summary, arrays):
    """GD/NP against M and NP/WP against N on log-log axes; best learning curves at the largest M."""
    m = summary["metrics"]
    fig, axes = setup(ncols=3, width=3.1, height=2.8)
    ax = axes[0]
    M, r = np.asarray(m["m"], float), np.array(m["gd_over_np"], float)
    ax.loglog(M, r, "o-", color=CHANNEL_COLORS["P1"], label="measured")
    ax.loglog(M, M, "--", color="#999999", lw=0.8, label="M (Werfel 2005, asymptotic)")
    ax.loglog(M, M + 2, ":", color="#444444", lw=0.8, label="M + 2 (Gaussian offset)")
    slope = m.get("gd_over_np_loglog_slope")
    ax.set(xlabel="outputs M", ylabel="speed GD / speed NP",
           title=f"NP slows with M (slope {slope:.2f})" if slope is not None else "GD / NP")
    _plain_ticks(ax, M, r)
    ax.legend(fontsize=7, loc="lower right")
    ax = axes[1]
    N, q = np.asarray(m["n"], float), np.array(m["np_over_wp"], float)
    ax.loglog(N, q, "o-", color="#7570b3", label="measured")
    ax.loglog(N, N, "--", color="#999999", lw=0.8, label="N (Werfel 2005)")
    ax.set(xlabel="inputs N", ylabel="speed NP / speed WP",
           title=f"WP slows with N (M = {summary['params']['m_wp']})")
    _plain_ticks(ax, N, q)
    ax.legend(fontsize=7, loc="lower right")
    ax = axes[2]
    big = max(m["m"])
    for key, label, color in ((f"curve_gd_m{big}", "GD", CHANNEL_COLORS["BP"]),
                              (f"curve_np_m{big}", "NP", CHANNEL_COLORS["P1"])):
        if key in arrays:
            c = np.asarray(arrays[key])
            ax.semilogy(np.arange(c.size), c / c[0], color=color, label=f"{label} (best rate)")
    crit = summary["params"]["criterion"]
    ax.axhline(crit, color="#999999", lw=0.8, ls="--", label="criterion")
    ax.set(xlabel="examples", ylabel="weight error / start", title=f"learning curves, M = {big}")
    ax.legend(fontsize=7, loc="upper right")
    return fig
