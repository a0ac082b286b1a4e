"""Figure of the foundation network protocol (``recurrent-stdp``)."""

import numpy as np

from .style import COMPARTMENT_COLORS, figure, setup

__all__ = ["recurrent_stdp"]


@figure("recurrent-stdp")
def recurrent_stdp(summary, arrays):
    """Raster, population rate, per-neuron rates and the recurrent weights after STDP."""
    m = summary["metrics"]
    fig, (ax1, ax2, ax3, ax4) = setup(ncols=4, width=2.9, height=2.7)
    ax1.plot(arrays["raster_t_s"], arrays["raster_i"], "|", ms=2.5, color="k")
    ax1.set(xlabel="time (s)", ylabel="neuron", title=f"spikes (first {int(arrays['raster_i'].max(initial=0)) + 1})")
    edges = arrays["bin_edges_s"]
    ax2.step(edges[:-1], arrays["population_rate_hz"], where="post",
             color=COMPARTMENT_COLORS["soma"], lw=1)
    ax2.axhline(m["mean_rate_hz"], color="0.5", ls="--", lw=0.8)
    ax2.set(xlabel="time (s)", ylabel="population rate (Hz)",
            title=f"mean {m['mean_rate_hz']:.2f} Hz, N = {m['N']}")
    rates = arrays["rates_hz"]
    T = float(edges[-1])                           # rates come in steps of 1 / T
    counts = np.rint(rates * T)
    ax3.hist(rates, bins=(np.arange(counts.max() + 2) - 0.5) / T, color="0.4")
    ax3.set(xlabel="rate (Hz)", ylabel="neurons",
            title=f"input {m['input_rate_hz']:g} Hz/synapse\n(measured "
                  f"{m['input_rate_measured_hz']['basal']:.2f})")
    w = arrays["w_end_nS"]
    if len(w):
        ax4.hist(w, bins=40, color=COMPARTMENT_COLORS["basal"])
        ax4.axvline(m["w_mean_start_nS"], color="k", ls="--", lw=0.8, label="initial")
        ax4.legend(fontsize=7, frameon=False)
    change = m["w_change_pct"]
    ax4.set(xlabel="recurrent weight (nS)", ylabel="synapses",
            title="after STDP" + (f": {change:+.2f} %" if change is not None else ""))
    return fig
