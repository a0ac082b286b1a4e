"""Figures of the Sacramento (2018) microcircuit: self-prediction, apical error, regression."""

import numpy as np

from .style import CHANNEL_COLORS, COMPARTMENT_COLORS, figure, setup

__all__ = ["self_prediction", "signed_apical_error", "learn_regression"]


def _ms(summary, key):
    """A stored time parameter in ms (stored as a string such as ``"100. ms"``)."""
    value, *unit = str(summary["params"][key]).split()
    return float(value) * (1000.0 if unit == ["s"] else 1.0)


@figure("self-prediction")
def self_prediction(summary, arrays):
    """Learning curve of |v_A|, interneuron vs upper pyramid, apical traces before and after."""
    m, p = summary["metrics"], summary["params"]
    fig, axes = setup(ncols=3, width=3.2, height=2.8)
    ax = axes[0]
    curve = np.asarray(arrays["apical_abs"])
    nb, n_learn = int(p["n_baseline"]), int(p["n_baseline"]) + int(p["n_samples"])
    x = np.arange(curve.size) - nb
    ax.semilogy(x, curve, color=COMPARTMENT_COLORS["apical"], lw=0.4, alpha=0.5,
                label="per presentation")
    w = int(p["window"])
    if n_learn >= nb + w:
        run = np.convolve(curve[nb:n_learn], np.ones(w) / w, mode="valid")
        ax.semilogy(np.arange(run.size) + w, run, color="#7f3b08", lw=1.0,
                    label=f"running mean ({w})")
    ax.axhline(m["apical_abs_start"], color="#999999", lw=0.6, ls=":")
    ax.axhline(0.1 * m["apical_abs_start"], color="#444444", lw=0.8, ls="--",
               label="10 % of start")
    ax.axvspan(x[0], 0, color="#dddddd", lw=0, label="plasticity off")
    if curve.size > n_learn:          # the held-out evaluation block, plasticity off
        ax.axvspan(n_learn - nb, x[-1], color="#dddddd", lw=0)
    if m["samples_to_90pct"] is not None:
        ax.axvline(m["samples_to_90pct"], color="#1b9e77", lw=0.8,
                   label=f"−90 % after {m['samples_to_90pct']}")
    red = m["apical_reduction"]
    ax.set(xlabel=f"presentation ({_ms(summary, 'presentation'):g} ms each)",
           ylabel="mean |apical voltage| (mV)", title=f"apical error falls by {100 * red:.1f} %")
    ax.legend(fontsize=7, loc="upper right")
    ax = axes[1]
    ui, uu = np.asarray(arrays["u_interneuron"]), np.asarray(arrays["u_upper"])
    for j in range(ui.shape[0]):
        ax.plot(uu[j], ui[j], ".", ms=2, alpha=0.6)
    lim = [min(ui.min(), uu.min()) - 0.2, max(ui.max(), uu.max()) + 0.2]
    ax.plot(lim, lim, "--", color="#999999", lw=0.8)
    ax.set(xlim=lim, ylim=lim, xlabel="upper pyramid soma (mV above rest)",
           ylabel="interneuron soma (mV above rest)",
           title=f"{int(p['n_eval'])} held-out presentations, frozen")
    ax.text(0.04, 0.96, f"pooled r = {m['corr_interneuron_upper']:.3f}\n"
            f"per neuron: min {m['corr_interneuron_upper_per_neuron']:.2f}, median "
            f"{m['corr_per_neuron_median']:.2f}", transform=ax.transAxes, fontsize=7, va="top")
    ax = axes[2]
    t = np.asarray(arrays["t_trace_ms"])
    first, last = np.asarray(arrays["v_apical_first"]), np.asarray(arrays["v_apical_last"])
    for j in range(min(3, first.shape[0])):
        ax.plot(t, first[j], color="#bbbbbb", lw=0.7, label="first" if j == 0 else None)
        ax.plot(t, last[j], color=COMPARTMENT_COLORS["apical"], lw=0.8,
                label="end of learning" if j == 0 else None)
    ax.axhline(0, color="#999999", lw=0.5)
    ax.set(xlabel="time in two presentations (ms)", ylabel="apical voltage − rest (mV)",
           title=f"hidden apical ({m['mode']})")
    ax.legend(fontsize=7, loc="upper right")
    return fig


def _scatter(ax, error, v, title, color, agreement):
    error, v = np.ravel(error), np.ravel(v)
    ax.plot(error, v, ".", ms=3, color=color, alpha=0.7)
    ax.axhline(0, color="#999999", lw=0.6, zorder=0)
    ax.axvline(0, color="#999999", lw=0.6, zorder=0)
    ax.set(title=title, ylabel="apical voltage, nudged (mV)")
    ax.text(0.04, 0.96, f"same sign: {100 * agreement:.0f} %", transform=ax.transAxes,
            fontsize=7, va="top")


@figure("signed-apical-error")
def signed_apical_error(summary, arrays):
    """Nudged apical voltage against the hidden errors, per neuron and test pattern."""
    m = summary["metrics"]
    fig, axes = setup(ncols=3, width=3.0, height=2.8)
    _scatter(axes[0], arrays["backprop_error_symmetric"], arrays["v_apical_nudged_symmetric"],
             "symmetric feedback vs backprop", CHANNEL_COLORS["S3"],
             m["sign_agreement_with_backprop"])
    axes[0].set_xlabel("backprop error W$^T$e")
    _scatter(axes[1], arrays["feedback_error_random"], arrays["v_apical_nudged_random"],
             "random feedback vs B e", CHANNEL_COLORS["S2"],
             m["sign_agreement_with_feedback_error"])
    axes[1].set_xlabel("feedback error B e")
    dist = m.get("W_PI_to_minus_B")
    if dist:
        axes[1].text(0.96, 0.04, f"|W$^{{PI}}$ + B|/|B| = {dist['random']:.2f}",
                     transform=axes[1].transAxes, fontsize=7, ha="right")
    _scatter(axes[2], arrays["backprop_error_random"], arrays["v_apical_nudged_random"],
             "random feedback vs backprop", "#888888", m["sign_agreement_random_vs_backprop"])
    axes[2].set_xlabel("backprop error W$^T$e")
    axes[0].text(0.96, 0.04, f"positive: {100 * m['fraction_positive']:.0f} %",
                 transform=axes[0].transAxes, fontsize=7, ha="right")
    return fig


@figure("learn-regression")
def learn_regression(summary, arrays):
    """Test loss of the circuit, exact backprop (tuned) and output-layer-only learning (log y)."""
    m = summary["metrics"]
    fig, axes = setup(ncols=1, width=4.2, height=3.2)
    ax = axes[0] if np.ndim(axes) else axes
    n = np.asarray(arrays["samples"])
    ax.semilogy(n, arrays["loss_circuit"], "o-", ms=3, color=COMPARTMENT_COLORS["apical"],
                label=f"microcircuit ({m['mode']}): {m['final_test_loss']:.3g}")
    ax.semilogy(n, arrays["loss_backprop"], "s-", ms=3, color="#444444",
                label=f"backprop, lr {m['backprop_lr']:g}: {m['backprop_final_test_loss']:.3g}")
    ax.semilogy(n, arrays["loss_output_only"], "^-", ms=3, color=COMPARTMENT_COLORS["basal"],
                label=f"output layer only: {m['output_only_final_test_loss']:.3g}")
    ax.set(xlabel="training samples", ylabel="test MSE of output soma (mV$^2$)",
           title=f"teacher-student regression, η × {m['eta_scale']:g}")
    ax.legend(fontsize=7, loc="upper right")
    ax.text(0.97, 0.62, f"final/initial {100 * m['final_over_initial']:.1f} %\n"
            f"/backprop {m['final_over_backprop']:.1f}x\n"
            f"/output only {m['final_over_output_only']:.2f}", transform=ax.transAxes,
            fontsize=7, ha="right", va="top")
    return fig
