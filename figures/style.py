"""One figure style: colours per compartment and per credit channel, saving with provenance."""

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["FIGURES", "figure", "COMPARTMENT_COLORS", "CHANNEL_COLORS", "PRESET_COLORS", "setup", "save", "metadata"]

#: protocol name -> function(summary, arrays) returning a matplotlib Figure
FIGURES = {}


def figure(protocol):
    """Register the decorated function as the figure of *protocol*."""
    def register(fn):
        FIGURES[protocol] = fn
        return fn
    return register


COMPARTMENT_COLORS = {"soma": "#222222", "basal": "#1b9e77", "apical": "#d95f02",
                      "trunk": "#e6ab02", "tuft": "#7570b3", "dendrite": "#d95f02",
                      "proximal": "#1b9e77", "distal": "#7570b3"}
CHANNEL_COLORS = {"S1": "#d95f02", "S2": "#e7298a", "S3": "#7570b3", "G1": "#1b9e77",
                  "G2": "#66a61e", "P1": "#a6761d", "BP": "#222222"}
PRESET_COLORS = {"clopath-2010": "#1f77b4", "payeur-2021": "#d62728", "payeur-2021-pv": "#ff7f0e",
                 "payeur-2021-sst": "#9467bd", "bono-clopath-2017": "#2ca02c",
                 "urbanczik-senn-2014": "#8c564b", "guerguiev-2017": "#e377c2"}


def setup(ncols=1, nrows=1, width=3.6, height=3.0, **kw):
    """A figure with the package's style (sizes in inches per panel)."""
    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                         "legend.frameon": False, "figure.dpi": 110})
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                        constrained_layout=True, **kw)


def metadata(summary):
    """Provenance of a figure: the run it came from."""
    keys = ("protocol", "params", "seed", "backend", "versions", "quick")
    return json.dumps({k: summary.get(k) for k in keys}, default=str)


def save(fig, stem, summary):
    """Write ``stem.png`` and ``stem.svg`` carrying the run's provenance."""
    meta = metadata(summary)
    fig.savefig(f"{stem}.png", dpi=110, metadata={"Description": meta, "Software": "dendrites"})
    # no date and fixed element ids: the same run gives the same SVG file
    plt.rcParams["svg.hashsalt"] = "dendrites"
    fig.savefig(f"{stem}.svg", metadata={"Description": meta, "Date": None})
    plt.close(fig)
