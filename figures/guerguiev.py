"""Figure of the Guerguiev et al. (2017) digits run: test error per depth, angle to backprop."""

import numpy as np
from matplotlib.ticker import MaxNLocator

from .style import figure, setup

__all__ = ["learn_digits"]

DEPTH_COLORS = {"0": "#999999", "1": "#d95f02", "2": "#7570b3"}


@figure("learn-digits")
def learn_digits(summary, arrays):
    """Test error per epoch and depth, epoch-mean angle to backprop, final errors."""
    m = summary["metrics"]
    fig, axes = setup(ncols=3, width=3.2, height=2.8)
    ax = axes[0]
    for d, curve in sorted(m["test_error_curve"].items()):
        x = np.arange(1, len(curve) + 1)
        ax.plot(x, 100 * np.asarray(curve), "o-", ms=3, color=DEPTH_COLORS.get(d),
                label=f"{d} hidden ({'-'.join(map(str, m['sizes'][d]))})")
    ax.axhline(10, color="#444444", lw=0.6, ls="--")
    ax.set(xlabel="epoch", ylabel="test error (%)", title=f"digits, {m['mode']} network")
    ax.legend(fontsize=7)
    ax = axes[1]
    for d, layers in sorted(m["angle_to_backprop_deg_by_depth"].items()):
        for k, curve in sorted(layers.items()):
            x = np.arange(1, len(curve) + 1)
            ax.plot(x, curve, "o-" if k == d else "s:", ms=3, color=DEPTH_COLORS.get(d),
                    label=f"{d} hidden, layer {k}")
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
    ax.bar(depths, err, color=[DEPTH_COLORS.get(d) for d in depths])
    for x, e in zip(depths, err):
        ax.text(x, e, f"{e:.1f} %", ha="center", va="bottom", fontsize=7)
    ax.set(xlabel="hidden layers", ylabel="final test error (%)",
           title=f"{len(m['test_error_curve'][depths[0]])} epochs, {m['n_train']} examples")
    return fig
