"""Figures: one function per protocol, drawn from stored runs (never builds a network)."""

from pathlib import Path

from . import single_neuron
from .style import save

__all__ = ["FIGURES", "draw", "draw_into"]

FIGURES = {
    "passive-transfer": single_neuron.passive_transfer,
    "fi-curve": single_neuron.fi_curve,
    "bap": single_neuron.bap,
    "burst-induction": single_neuron.burst_induction,
}


def draw(name, summary, arrays, stem):
    """Draw the figure of protocol *name* and save ``stem.png`` and ``stem.svg``."""
    if name not in FIGURES:
        return None
    fig = FIGURES[name](summary, arrays)
    fig.suptitle(f"{name} (seed {summary['seed']}, {summary['backend']})", fontsize=8)
    save(fig, str(stem), summary)
    return Path(f"{stem}.png")


def draw_into(name, summary, arrays, directory):
    """Draw a run's figure into its run directory (``figure.png``)."""
    return draw(name, summary, arrays, Path(directory) / "figure")
