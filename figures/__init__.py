"""Figures: one function per protocol, drawn from stored runs (never builds a network)."""

import importlib
import pkgutil
from pathlib import Path

from .style import FIGURES, save

__all__ = ["FIGURES", "draw", "draw_into"]

# every figure module registers its figures with @figure("protocol-name")
for _mod in pkgutil.iter_modules(__path__):
    if _mod.name not in ("__main__", "style"):
        importlib.import_module(f"{__name__}.{_mod.name}")


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
