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


def test_main_job_stores_every_run_before_it_draws(tmp_path, monkeypatch):
    """A figure may draw a companion's stored run (four-factor-gate draws
    interneuron-subtraction, which comes later in the alphabet): the main job
    stores every run first, then draws every figure.  Run and draw are
    replaced by recorders here; nothing is simulated."""
    import figures.__main__ as job

    events = []

    def fake_run(name, out, **kw):
        out.mkdir(parents=True)
        (out / "summary.json").write_text("{}")
        events.append(("run", name))

    class Stored(dict):
        arrays = {}

    monkeypatch.setattr(job, "HERE", tmp_path)
    monkeypatch.setattr(job, "run_protocol", fake_run)
    monkeypatch.setattr(job, "load", lambda path: Stored())
    monkeypatch.setattr(job, "draw", lambda name, *a: events.append(("draw", name)) or None)
    names = ["disinhibitory-gate", "four-factor-gate", "interneuron-subtraction"]
    assert job.main(names) == 0
    assert events == [("run", n) for n in names] + [("draw", n) for n in names]
    events.clear()
    assert job.main(names) == 0                    # stored runs are reused, not rerun
    assert events == [("draw", n) for n in names]
