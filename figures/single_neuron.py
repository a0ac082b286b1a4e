"""Figures of the single-neuron protocols of the foundation (one function per protocol)."""

import numpy as np

from .style import COMPARTMENT_COLORS, PRESET_COLORS, figure, setup

__all__ = ["passive_transfer", "fi_curve", "bap", "burst_induction"]


def _number(text):
    """The number of a stored quantity string such as '50. pA'."""
    return float(str(text).split()[0])


def _ms_factor(text):
    """Factor from the unit of a stored time string to ms."""
    unit = str(text).split()[-1]
    return {"s": 1e3, "ms": 1.0, "us": 1e-3}.get(unit, 1.0)


@figure("passive-transfer")
def passive_transfer(summary, arrays):
    """Voltage in every compartment for a step into each compartment in turn."""
    m = summary["metrics"]
    comps = m["compartments"]
    fig, axes = setup(ncols=len(comps) + 1, width=2.8, height=2.6)
    t, v = arrays["t_ms"], arrays["v_mV"]
    p = summary["params"]
    amp, t0, dur = (_number(p[k]) for k in ("amplitude", "t_settle", "t_step"))
    if "ms" not in str(p["t_settle"]):      # stored as seconds or microseconds otherwise
        t0, dur = t0 * _ms_factor(p["t_settle"]), dur * _ms_factor(p["t_step"])
    stim = np.where((t >= t0) & (t < t0 + dur), amp, 0.0)
    for i, ax in enumerate(axes[:-1]):
        for j, c in enumerate(comps):
            ax.plot(t, v[i, j], color=COMPARTMENT_COLORS.get(c), lw=1.2, label=c)
        ax.set(title=f"step into {comps[i]}", xlabel="time (ms)")
        stim_ax = ax.twinx()                 # the injected current, in the lower quarter
        stim_ax.fill_between(t, 0, stim, color="#bbbbbb", alpha=0.5, lw=0, step="post")
        stim_ax.set_ylim(0, 4 * amp)
        stim_ax.set_yticks([0, amp])
        stim_ax.spines["right"].set_visible(True)
        stim_ax.tick_params(labelsize=7, colors="#888888")
        if i == len(comps) - 1:
            stim_ax.set_ylabel("injected current (pA)", color="#888888", fontsize=8)
        ax.set_zorder(stim_ax.get_zorder() + 1)
        ax.patch.set_visible(False)
    axes[0].set_ylabel("membrane potential (mV)")
    axes[0].legend(loc="upper right", fontsize=7)
    ax = axes[-1]
    sim, th = np.array(m["steady_state_mV"]), np.array(m["steady_state_theory_mV"])
    ax.plot(th.ravel(), sim.ravel(), "o", color="#444444", ms=4)
    lim = [0, th.max() * 1.1]
    ax.plot(lim, lim, "--", color="#999999", lw=0.8)
    ax.set(xlabel="closed form (mV)", ylabel="simulated (mV)", title="steady-state transfer",
           xlim=lim, ylim=lim)
    ax.text(0.05, 0.9, f"max rel. error {m['max_rel_error_steady_state']:.1e}\n"
            f"tau {np.mean(m['time_constants_ms']):.2f} ms (theory "
            f"{m['time_constant_theory_ms']:.2f})", transform=ax.transAxes, fontsize=7, va="top")
    return fig


@figure("fi-curve")
def fi_curve(summary, arrays):
    """Firing rate against somatic current, one panel per preset family."""
    m = summary["metrics"]
    names = m["presets"]
    fig, axes = setup(ncols=min(4, len(names)), nrows=int(np.ceil(len(names) / 4)),
                      width=2.6, height=2.3)
    axes = np.atleast_1d(axes).ravel()
    for ax, name in zip(axes, names):
        ax.plot(m["current_pA"][name], m["rate_hz"][name], "o-", ms=3,
                color=PRESET_COLORS.get(name, "k"))
        ax.set(title=name, xlabel="somatic current (pA)", ylabel="rate (Hz)")
    for ax in axes[len(names):]:
        ax.axis("off")
    return fig


@figure("bap")
def bap(summary, arrays):
    """Back-propagating AP: traces and peak depolarisation vs electrotonic distance."""
    m = summary["metrics"]
    comps = m["compartments"]
    fig, (ax1, ax2) = setup(ncols=2, width=3.4, height=2.8)
    t, v = arrays["t_ms"], arrays["v_mV"]
    sel = (t > summary_time(summary) - 2) & (t < summary_time(summary) + 25)
    for j, c in enumerate(comps):
        ax1.plot(t[sel], v[j, sel], color=COMPARTMENT_COLORS.get(c), label=c, lw=1.2)
    ax1.set(xlabel="time (ms)", ylabel="membrane potential (mV)", title="somatic spike")
    ax1.legend(fontsize=7, loc="upper right")
    att = [m["steady_state_attenuation"][c] for c in comps]
    peak = [m["peak_depolarisation_mV"][c] for c in comps]
    for a, p_, c in zip(att, peak, comps):
        ax2.plot(a, p_, "o", color=COMPARTMENT_COLORS.get(c), ms=6)
        ax2.annotate(c, (a, p_), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax2.set(xlabel="steady-state attenuation from soma", ylabel="peak depolarisation (mV)",
            title="bAP attenuation")
    ax2.invert_xaxis()
    return fig


def summary_time(summary):
    """Onset of the somatic pulse in ms (``t_settle``)."""
    return float(str(summary["params"]["t_settle"]).split()[0]) * (
        1000.0 if str(summary["params"]["t_settle"]).endswith(" s") else 1.0)


@figure("burst-induction")
def burst_induction(summary, arrays):
    """Rasters with bursts marked, and event rate / burst probability per condition."""
    from protocols.analysis import split_events

    m = summary["metrics"]
    n = int(summary["params"]["n_neurons"])
    isi = 0.016
    fig, axes = setup(ncols=3, width=3.0, height=2.6)
    t, i = arrays["spike_t_s"], arrays["spike_i"]
    show = min(n, 15)
    for ax, (label, offset) in zip(axes[:2], (("soma_only", 0), ("soma_and_apical", n))):
        for k in range(show):
            tr = t[i == offset + k]
            ev, burst = split_events(tr, isi)
            ax.vlines(tr, k + 0.1, k + 0.9, color="#888888", lw=0.6)
            ax.plot(ev[burst], np.full(burst.sum(), k + 0.5), "v", color="#d62728", ms=3)
        ax.set(title=label.replace("_", " "), xlabel="time (s)", ylabel="neuron",
               xlim=(0.2, 1.2), ylim=(0, show))
    ax = axes[2]
    conds = m["conditions"]
    x = np.arange(len(conds))
    ax.bar(x - 0.2, [m["event_rate_hz"][c] for c in conds], 0.4, color="#444444",
           label="event rate (Hz)")
    ax2 = ax.twinx()
    ax2.bar(x + 0.2, [m["burst_probability"][c] for c in conds], 0.4, color="#d62728",
            label="burst probability")
    ax.set_xticks(x, [c.replace("_", "\n") for c in conds])
    ax.set_ylabel("event rate (Hz)")
    ax2.set_ylabel("burst probability", color="#d62728")
    ax2.set_ylim(0, 1)
    ax.set_title("apical input raises bursting")
    return fig
