"""Every protocol has a figure; figures draw from stored runs with their provenance."""

from PIL import Image

from figures import FIGURES, draw
from protocols import PROTOCOLS, run
from protocols.registry import load_all


def test_every_protocol_has_a_figure():
    load_all()
    assert set(PROTOCOLS) <= set(FIGURES), set(PROTOCOLS) - set(FIGURES)


def test_passive_transfer_figure_shows_the_stimulus(tmp_path):
    summary, arrays = run("passive-transfer", tmp_path / "run", backend="numpy", quick=True)
    png = draw("passive-transfer", summary, arrays, tmp_path / "fig")
    assert png.exists() and (tmp_path / "fig.svg").exists()
    meta = Image.open(png).info.get("Description", "")
    assert '"protocol": "passive-transfer"' in meta and '"seed": 1' in meta
