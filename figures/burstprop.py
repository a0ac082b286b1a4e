"""Figures of the burstprop protocols (Payeur et al. 2021): multiplexing and spiking XOR."""

import numpy as np

from .style import COMPARTMENT_COLORS, figure, setup

__all__ = ["learn_xor", "multiplexing"]


def _shifted(drive, response, lag):
    """Pairs (drive at t - lag bins, response at t), as the protocol's lagged correlation."""
    idx = np.arange(response.size) - lag
    ok = (idx >= 0) & (idx < drive.size)
    return drive[idx[ok]], np.asarray(response)[ok]


def _drive_strip(ax, arrays, soma, apical):
    """Both sinusoidal drives over the raster window (one pA axis)."""
    t = np.asarray(arrays["raster_t_s"])
    ax.plot(t, arrays["raster_somatic_drive_pA"], color=soma, lw=1.0,
            label="pop-1 somatic drive")
    ax.plot(t, arrays["raster_dendritic_drive_pA"], color=apical, lw=1.0,
            label="pop-2 dendritic drive")
    ax.set_ylabel("drive (pA)")
    ax.tick_params(labelbottom=False)


def _raster(ax, arrays, k, soma, apical):
    """Spikes of the sampled pop-*k* pyramids: burst spikes in *apical*, the others in *soma*."""
    t, i = np.asarray(arrays[f"raster{k}_t_s"]), np.asarray(arrays[f"raster{k}_i"])
    burst = np.asarray(arrays[f"raster{k}_in_burst"], bool)
    ax.plot(t[~burst], i[~burst], "|", ms=3.2, mew=0.9, color=soma, label="single-spike event")
    ax.plot(t[burst], i[burst], "|", ms=3.2, mew=0.9, color=apical, label="spike of a burst")
    n = int(arrays["raster_n"])
    ax.set(xlim=tuple(np.asarray(arrays["raster_window_s"])), ylim=(-0.5, n - 0.5),
           xlabel="time (s)", ylabel=f"pop-{k} pyramid #")


def _rasters(axes, arrays, soma, apical):
    """Top two rows: drive strips above the pop-1 and pop-2 rasters (shared time axes)."""
    if "raster1_t_s" not in arrays:   # run stored before rasters were recorded
        for ax in axes.ravel():
            ax.axis("off")
        axes[1, 0].text(0, 0.5, "no raster sample in this run (rerun the protocol)")
        return
    for k in (1, 2):
        strip, ax = axes[0, k - 1], axes[1, k - 1]
        strip.sharex(ax)
        _drive_strip(strip, arrays, soma, apical)
        _raster(ax, arrays, k, soma, apical)
    above = dict(fontsize=7, ncol=2, loc="lower left", bbox_to_anchor=(0, 1.0),
                 title_fontsize=7, borderaxespad=0.2)
    axes[0, 0].legend(title="events track the somatic drive, bursts the dendritic drive", **above)
    isi_ms = 1e3 * float(arrays["raster_burst_isi_s"])
    axes[0, 1].legend(*axes[1, 1].get_legend_handles_labels(), markerscale=2,
                      title=f"burst: ISI <= {isi_ms:g} ms to a neighbour spike", **above)


@figure("multiplexing")
def multiplexing(summary, arrays):
    """Rasters under the drives; pop-2 event rate vs pop-1 somatic drive; pop-1 burst
    probability vs pop-2 dendritic drive; correlations."""
    m = summary["metrics"]
    t = np.asarray(arrays["t_bin_s"])
    n = m["n_pyramids_per_population"]
    bw = t[1] - t[0] if t.size > 1 else 0.05
    e1, b1 = np.asarray(arrays["events1"], float), np.asarray(arrays["bursts1"], float)
    e2 = np.asarray(arrays["events2"], float)
    p1 = np.where(e1 > 0, b1 / np.maximum(e1, 1), np.nan)
    fig, axes = setup(ncols=2, nrows=4, width=3.8, height=1.9,
                      gridspec_kw=dict(height_ratios=[0.8, 2.0, 2.4, 2.4]))
    soma, apical = COMPARTMENT_COLORS["soma"], COMPARTMENT_COLORS["apical"]
    _rasters(axes[:2], arrays, soma, apical)
    axes = axes[2:]
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
    seed0 = int(summary.get("seed", 0))
    before = np.asarray(arrays["output_rate_before_hz"], float) if (
        "output_rate_before_hz" in arrays) else np.empty((0, 4))
    for s, row in enumerate(rates):
        line, = ax.plot(range(4), row, "o-", lw=0.8, ms=4, alpha=0.8, label=f"seed {seed0 + s}")
        if s < len(before):
            ax.plot(range(4), before[s], "o:", lw=0.7, ms=3, mfc="none", alpha=0.6,
                    color=line.get_color(), label="before training" if s == 0 else None)
    ax.axhline(float(p["high_hz"]), color="#1b9e77", ls="--", lw=0.8)
    ax.axhline(float(p["low_hz"]), color="#d95f02", ls="--", lw=0.8)
    ax.set_xticks(range(4), labels)
    ax.set(xlabel="input pattern", ylabel="output event rate (Hz)",
           title=f"solved {m['solved_seeds']}/{m['n_seeds']} seeds"
                 + (f" ({m['solved_before_training']} before)"
                    if "solved_before_training" in m else ""))
    ax.legend(fontsize=6)
    ax = axes[1]
    curves = np.asarray(arrays["curves"], float)
    orders = np.asarray(arrays["orders"]) if "orders" in arrays else None
    if orders is None:
        for c in curves:
            ax.plot(np.arange(c.size), c, ".", ms=2, alpha=0.6)
    elif curves.size:
        n = curves.shape[1]
        pat = np.asarray([o[:n] for o in orders])
        classes = [("(0,0)", (0,), "#7f7f7f"), ("(0,1), (1,0)", (1, 2), "#1b9e77"),
                   ("(1,1)", (3,), "#d95f02")]
        edges = np.unique(np.append(np.arange(0, n, max(n // 10, 4)), n))
        x = np.broadcast_to(np.arange(n), pat.shape)
        for name, ks, color in classes:
            sel = np.isin(pat, ks)
            ax.plot(x[sel], curves[sel], ".", ms=2, color=color, alpha=0.35)
            mids, means = [], []
            for a, b in zip(edges[:-1], edges[1:]):
                block = sel[:, a:b]
                if block.any():
                    mids.append((a + b - 1) / 2)
                    means.append(curves[:, a:b][block].mean())
            ax.plot(mids, means, "-", lw=1.4, color=color, label=name)
        ax.legend(fontsize=6)
    ax.axhline(float(p["high_hz"]), color="#1b9e77", ls="--", lw=0.6)
    ax.axhline(float(p["low_hz"]), color="#d95f02", ls="--", lw=0.6)
    ax.set(xlabel="example", ylabel="output event rate, prediction (Hz)",
           title="during training (lines: block means)")
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
