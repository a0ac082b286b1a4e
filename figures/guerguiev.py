"""Figure of the Guerguiev et al. (2017) digits run: test error per depth, angle to backprop."""

import numpy as np
from matplotlib.ticker import MaxNLocator

from protocols.guerguiev import reference_depth

from .style import figure, setup

__all__ = ["learn_digits"]

DEPTH_COLORS = {"0": "#999999", "1": "#d95f02", "2": "#7570b3"}
FEEDBACK_COLOR = "#1b9e77"


def epoch_counts(m):
    """'10' or '10, 15': the epochs each depth trained for."""
    counts = {len(c) for c in m["test_error_curve"].values()}
    return ", ".join(str(n) for n in sorted(counts))


def _other_feedbacks(m, key):
    """``(kind, curve)`` of the reference depth trained with another feedback (Fig. 7A)."""
    own = m.get("feedback", "psp")
    return [(k, c) for k, c in sorted(m.get(key, {}).items()) if k != own]


@figure("learn-digits")
def learn_digits(summary, arrays):
    """Test error per epoch and depth, epoch-mean angle to backprop (with the reference
    depth also trained with the other feedback kind, as in Guerguiev Fig. 7A), final errors."""
    m = summary["metrics"]
    fig, axes = setup(ncols=3, width=3.2, height=2.8)
    ax = axes[0]
    for d, curve in sorted(m["test_error_curve"].items()):
        x = np.arange(1, len(curve) + 1)
        ax.plot(x, 100 * np.asarray(curve), "o-", ms=3, color=DEPTH_COLORS.get(d),
                label=f"{d} hidden ({'-'.join(map(str, m['sizes'][d]))})")
    ref = reference_depth(m)
    for kind, curve in _other_feedbacks(m, "test_error_curve_by_feedback"):
        x = np.arange(1, len(curve) + 1)
        ax.plot(x, 100 * np.asarray(curve), "^--", ms=3, color=FEEDBACK_COLOR,
                label=f"{ref} hidden, {kind} feedback")
    ax.axhline(10, color="#444444", lw=0.6, ls="--")
    ax.set(xlabel="epoch", ylabel="test error (%)", title=f"digits, {m['mode']} network")
    ax.legend(fontsize=7)
    ax = axes[1]
    others = _other_feedbacks(m, "test_error_curve_by_feedback")
    mark = f", {m.get('feedback', 'psp')} feedback" if others else ""
    for d, layers in sorted(m["angle_to_backprop_deg_by_depth"].items()):
        for k, curve in sorted(layers.items()):
            x = np.arange(1, len(curve) + 1)
            ax.plot(x, curve, "o-" if k == d else "s:", ms=3, color=DEPTH_COLORS.get(d),
                    label=f"{d} hidden, layer {k}" + mark)
    for kind, curve in _other_feedbacks(m, "angle_to_backprop_deg_by_feedback"):
        x = np.arange(1, len(curve) + 1)
        ax.plot(x, curve, "^--", ms=3, color=FEEDBACK_COLOR,
                label=f"{ref} hidden, {kind} feedback")
    ax.axhline(90, color="#999999", lw=0.6, ls=":")
    ax.axhline(60, color="#444444", lw=0.6, ls="--")
    ax.set(xlabel="epoch", ylabel="angle to backprop (deg)", ylim=(0, 100),
           title="hidden update vs backprop")
    ax.legend(fontsize=7)
    for ax in axes[:2]:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax = axes[2]
    depths = sorted(m["test_error"])
    err = [100 * m["test_error"][d] for d in depths]
    colors = [DEPTH_COLORS.get(d) for d in depths]
    for kind, curve in others:
        depths.append(f"{ref}, {kind}\nfeedback")
        err.append(100 * curve[-1])
        colors.append(FEEDBACK_COLOR)
    ax.bar(depths, err, color=colors)
    for x, e in zip(depths, err):
        ax.text(x, e, f"{e:.1f} %", ha="center", va="bottom", fontsize=7)
    ax.set(xlabel="hidden layers", ylabel="final test error (%)",
           title=f"{epoch_counts(m)} epochs, {m['n_train']} examples")
    return fig
