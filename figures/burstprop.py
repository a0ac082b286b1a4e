"""Figures of the burstprop protocols (Payeur et al. 2021): multiplexing and spiking XOR."""

import numpy as np

from .style import COMPARTMENT_COLORS, figure, setup

__all__ = ["learn_xor", "multiplexing"]


def _shifted(drive, response, lag):
    """Pairs (drive at t - lag bins, response at t), as the protocol's lagged correlation."""
    idx = np.arange(response.size) - lag
    ok = (idx >= 0) & (idx < drive.size)
    return drive[idx[ok]], np.asarray(response)[ok]


@figure("multiplexing")
def multiplexing(summary, arrays):
    """Pop-2 event rate vs pop-1 somatic drive; pop-1 burst probability vs pop-2 dendritic drive."""
    m = summary["metrics"]
    t = np.asarray(arrays["t_bin_s"])
    n = m["n_pyramids_per_population"]
    bw = t[1] - t[0] if t.size > 1 else 0.05
    e1, b1 = np.asarray(arrays["events1"], float), np.asarray(arrays["bursts1"], float)
    e2 = np.asarray(arrays["events2"], float)
    p1 = np.where(e1 > 0, b1 / np.maximum(e1, 1), np.nan)
    fig, axes = setup(ncols=2, nrows=2, width=3.8, height=2.4)
    soma, apical = COMPARTMENT_COLORS["soma"], COMPARTMENT_COLORS["apical"]
    ax = axes[0, 0]
    ax.plot(t, e2 / n / bw, color=soma, lw=0.9, label="pop-2 event rate")
    ax2 = ax.twinx()
    ax2.plot(t, arrays["somatic_drive_pA"], color="#888888", lw=0.8, ls="--")
    ax2.set_ylabel("pop-1 somatic drive (pA)", color="#888888")
    ax.set(xlabel="time (s)", ylabel="event rate (Hz)",
           title=f"events up: r = {m['r_event_somatic']:.2f} (lag {m['lag_event_ms']:.0f} ms)")
    ax = axes[0, 1]
    ax.plot(t, p1, color=apical, lw=0.9)
    ax2 = ax.twinx()
    ax2.plot(t, arrays["dendritic_drive_pA"], color="#888888", lw=0.8, ls="--")
    ax2.set_ylabel("pop-2 dendritic drive (pA)", color="#888888")
    ax.set(xlabel="time (s)", ylabel="pop-1 burst probability",
           title=f"bursts down: r = {m['r_burst_dendritic']:.2f} (lag {m['lag_burst_ms']:.0f} ms)")
    ax = axes[1, 0]
    names = ["event vs\nsomatic", "burst vs\ndendritic", "cross\nevent", "cross\nburst"]
    vals = [m["r_event_somatic"], m["r_burst_dendritic"], m["r_cross_event"], m["r_cross_burst"]]
    ax.bar(range(4), vals, color=[soma, apical, "#bbbbbb", "#bbbbbb"])
    ax.axhline(0.8, color="#1b9e77", lw=0.8, ls="--", label="target >= 0.8")
    for s in (0.3, -0.3):
        ax.axhline(s, color="#999999", lw=0.6, ls=":")
    ax.axhline(0, color="#444444", lw=0.5)
    ax.set_xticks(range(4), names, fontsize=7)
    ax.set(ylim=(-1, 1), ylabel="correlation (50 ms bins)",
           title=f"{n} pyramids/population, {summary['backend']}")
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1, 1]
    rates, probs = m["event_rate_hz"], m["burst_probability"]
    for y, drive, key, color, label in (
            (e2 / n / bw, arrays["somatic_drive_pA"], "lag_event_ms", soma,
             "pop-2 event rate (Hz)\nvs pop-1 somatic drive"),
            (p1 * 20, arrays["dendritic_drive_pA"], "lag_burst_ms", apical,
             "pop-1 burst prob. x 20\nvs pop-2 dendritic drive")):
        x, y = _shifted(np.asarray(drive, float), y, int(round(m[key] / 1e3 / bw)))
        ax.plot(x, y, ".", ms=2.5, color=color, alpha=0.6, label=label)
    ax.set(xlabel="drive at the best lag (pA)", ylabel="response",
           title=f"E = {rates[0]:.1f}/{rates[1]:.1f} Hz, P = {probs[0]:.2f}/{probs[1]:.2f}")
    ax.legend(fontsize=6, loc="upper left")
    return fig


@figure("learn-xor")
def learn_xor(summary, arrays):
    """Output event rate per pattern after training, per seed; learning curves; weights."""
    m, p = summary["metrics"], summary["params"]
    rates = np.asarray(arrays["output_rate_hz"], float)
    fig, axes = setup(ncols=3, width=3.2, height=2.8)
    ax = axes[0]
    labels = ["".join(map(str, x)) for x in m["patterns"]]
    for s, row in enumerate(rates):
        ax.plot(range(4), row, "o-", lw=0.8, ms=4, alpha=0.8, label=f"seed {s}")
    ax.axhline(float(p["high_hz"]), color="#1b9e77", ls="--", lw=0.8)
    ax.axhline(float(p["low_hz"]), color="#d95f02", ls="--", lw=0.8)
    ax.set_xticks(range(4), labels)
    ax.set(xlabel="input pattern", ylabel="output event rate (Hz)",
           title=f"solved {m['solved_seeds']}/{m['n_seeds']} seeds")
    ax.legend(fontsize=6)
    ax = axes[1]
    curves = np.asarray(arrays["curves"], float)
    orders = np.asarray(arrays["orders"]) if "orders" in arrays else None
    lab = np.asarray(m["labels"])
    for s, c in enumerate(curves):
        x = np.arange(c.size)
        if orders is None:
            ax.plot(x, c, ".", ms=2, alpha=0.6)
            continue
        true = lab[orders[s][:c.size]] == 1
        ax.plot(x[true], c[true], ".", ms=3, color="#1b9e77", alpha=0.6,
                label="target 1" if s == 0 else None)
        ax.plot(x[~true], c[~true], ".", ms=3, color="#d95f02", alpha=0.6,
                label="target 0" if s == 0 else None)
    ax.set(xlabel="example", ylabel="output event rate, prediction (Hz)",
           title="during training")
    if orders is not None:
        ax.legend(fontsize=6)
    ax = axes[2]
    w = np.asarray(arrays["mean_weights"], float)
    names = ["in1-hid1", "in2-hid1", "in1-hid2", "in2-hid2", "hid1-out"]
    if w.size:
        for k, name in enumerate(names):
            ax.plot(w[:, :, k].mean(axis=0), lw=0.9, label=name)
    ax.set(xlabel="example", ylabel="mean weight (seed mean)", title="burst-rule weights",
           ylim=(0, 1))
    ax.legend(fontsize=6)
    return fig
