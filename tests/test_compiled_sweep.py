"""Compiled protocols: one cpp_standalone build per model variant, re-run with run_args and seeds."""

import json

import numpy as np
import pytest
from brian2 import Hz, nS, second

from dendrites.errors import ModelError
from protocols import Backend
from protocols.backend import SEED_ENV
from protocols.registry import compiled_protocol, get_protocol, resolve_params, run, variant_key
from protocols.sweep import _variant_tasks, plan, run_sweep, run_variant

SMALL = dict(N=60, duration=0.2 * second)


def test_variant_key_ignores_run_params_only():
    proto = get_protocol("recurrent-stdp")
    base = resolve_params(proto, SMALL)
    assert variant_key(proto, base) == variant_key(
        proto, resolve_params(proto, dict(SMALL, input_rate=3 * Hz, w_max=0.2 * nS)))
    assert variant_key(proto, base) != variant_key(proto, resolve_params(proto, dict(SMALL, N=61)))
    assert variant_key(proto, base) != variant_key(
        proto, resolve_params(proto, dict(SMALL, duration=0.3 * second)))


def test_points_are_grouped_by_variant_and_split_only_for_idle_workers():
    proto = get_protocol("recurrent-stdp")
    rates = [(dict(SMALL, input_rate=r * Hz), s, f"r{r}-s{s}") for r in (3, 4, 5) for s in (1, 2)]
    one = _variant_tasks(proto, rates, quick=True, workers=1)
    assert len(one) == 1 and len(one[0][1]) == 6          # one build for all 6 points
    two = _variant_tasks(proto, rates, quick=True, workers=2)
    assert len(two) == 2 and len({v for v, _ in two}) == 1  # one variant, shared by 2 workers
    assert sorted(n for _, items in two for *_, n in items) == sorted(n for *_, n in rates)
    sizes = [(dict(SMALL, N=n), 1, f"N{n}") for n in (50, 60)] + \
            [(dict(SMALL, N=50, w_basal=2 * nS), 1, "N50-w")]
    tasks = _variant_tasks(proto, sizes, quick=True, workers=2)
    assert sorted(len(items) for _, items in tasks) == [1, 2]  # N=50 twice in one build


def test_a_retried_variant_task_keeps_stored_points(tmp_path):
    """A task retried after its worker died runs only what the first attempt did not store."""
    (tmp_path / "p1").mkdir()
    (tmp_path / "p1" / "summary.json").write_text("{}")
    status = run_variant("recurrent-stdp", str(tmp_path), [(dict(SMALL), 1, "p1")], True,
                         "cpp_standalone", "v")
    assert status == {"p1": ("done", {"stored_before": True})}
    assert (tmp_path / "p1" / "summary.json").read_text() == "{}"      # not rebuilt, not rerun


def test_compiled_protocol_checks_its_run_params():
    with pytest.raises(ValueError, match="not parameters"):
        compiled_protocol("x-test", "x", dict(a=1), run_params=("b",))


def test_rerun_is_refused_at_runtime():
    with Backend("numpy") as be, pytest.raises(ModelError, match="cpp_standalone"):
        be.rerun({}, seed=2)


def test_recurrent_stdp_delivers_the_input_rate_and_stdp_depresses(tmp_path):
    summary, arrays = run("recurrent-stdp", tmp_path / "a", backend="numpy",
                          overrides=dict(N=80, duration=0.5 * second, input_rate=4 * Hz,
                                         A_plus=0.004 * nS, A_minus=0.004 * 1.05 * 16.8 / 33.7 * nS))
    m = summary["metrics"]
    for comp in ("basal", "apical"):                 # 100 / 50 inputs x 80 neurons x 0.5 s
        assert m["input_rate_measured_hz"][comp] == pytest.approx(4.0, rel=0.05)
    assert 0 < m["mean_rate_hz"] < 20 and m["n_synapses"] > 0
    # depression-dominated pair STDP under uncorrelated firing lowers the mean weight
    assert m["w_mean_end_nS"] < m["w_mean_start_nS"]
    assert arrays["rates_hz"].shape == (80,)
    assert np.isclose(arrays["population_rate_hz"].mean(), m["mean_rate_hz"], rtol=1e-6)
    fixed, _ = run("recurrent-stdp", None, backend="numpy",
                   overrides=dict(N=40, duration=0.2 * second, stdp=False))
    assert fixed["metrics"]["w_change_pct"] == 0


@pytest.mark.parametrize("key,value,match", [("N", 1, "'N'"), ("duration", 0 * second,
                                                                "'duration'")])
def test_recurrent_stdp_bad_input(tmp_path, key, value, match):
    with pytest.raises(ModelError, match=match):
        run("recurrent-stdp", tmp_path / "bad", backend="numpy", overrides={key: value})
    assert not (tmp_path / "bad").exists()


@pytest.mark.standalone
def test_standalone_sweep_compiles_once_and_matches_fresh_builds(tmp_path, monkeypatch):
    """4 points (2 input rates x 2 seeds) on one build; each equals a build of its own."""
    out = tmp_path / "sweep"
    grid = ["input_rate=3*Hz,5*Hz", "N=60", "duration=0.2*second"]
    meta = run_sweep("recurrent-stdp", out, grid, seeds=2, workers=1, quick=True,
                     backend="cpp_standalone")
    assert meta["failures"] == {} and all(p["status"] == "done" for p in meta["points"])
    summaries = {p.name: json.loads((p / "summary.json").read_text())
                 for p in (out / "points").iterdir()}
    assert len(summaries) == 4
    builds = [s["build"] for s in summaries.values()]
    assert sum(b["compiled"] for b in builds) == 1 and len({b["variant"] for b in builds}) == 1
    assert all(b["run_s"] > 0 for b in builds)
    rates = {(s["params"]["input_rate"], s["seed"]): s["metrics"] for s in summaries.values()}
    for (rate, seed), m in rates.items():              # run_args reached the binary
        want = float(rate.split()[0])
        assert m["input_rate_measured_hz"]["basal"] == pytest.approx(want, rel=0.06)
    # the seed is a run-time argument: seeds differ, and a point equals its own fresh build
    assert rates[("5. Hz", 1)] != rates[("5. Hz", 2)]
    monkeypatch.setenv(SEED_ENV, "99")                # ignored by a normal build
    fresh, _ = run("recurrent-stdp", None, seed=2, backend="cpp_standalone", quick=True,
                   overrides=dict(input_rate=5 * Hz, N=60, duration=0.2 * second),
                   build_dir=tmp_path / "fresh")
    assert fresh["metrics"] == rates[("5. Hz", 2)]
    # a second call finds everything stored and runs nothing
    again = run_sweep("recurrent-stdp", out, grid, seeds=2, workers=1, quick=True,
                      backend="cpp_standalone")
    assert again["stored_before"] == 4
    assert len(plan({}, [1])) == 1


@pytest.mark.standalone
def test_passive_transfer_sweep_matches_the_closed_form_at_every_point(tmp_path):
    """Coupling and leak changed by run_args only: every point meets its own closed form."""
    out = tmp_path / "pt"
    meta = run_sweep("passive-transfer", out, ["g_A=40*nS,160*nS", "g_L_apical=5*nS,20*nS"],
                     seeds=1, workers=1, quick=True, backend="cpp_standalone")
    assert meta["failures"] == {}
    summaries = [json.loads(p.read_text()) for p in (out / "points").glob("*/summary.json")]
    assert len(summaries) == 4 and sum(s["build"]["compiled"] for s in summaries) == 1
    soma_apical = set()
    for s in summaries:
        m = s["metrics"]
        assert m["max_rel_error_steady_state"] < 1e-5
        assert m["time_constants_ms"][0] == pytest.approx(m["time_constant_theory_ms"], rel=1e-3)
        soma_apical.add(round(m["steady_state_mV"][0][2], 6))
    assert len(soma_apical) == 4                        # every point saw its own parameters
