"""The single-neuron protocols (numpy backend, quick settings) and the stored-run format."""

import json
import os
import subprocess
import sys
from pathlib import Path

import brian2
import numpy as np
import pytest
from brian2 import Quantity, ms, nS, pA
from brian2 import units as brian_units
from scipy import stats

import dendrites
import protocols
from dendrites import ModelError, presets
from protocols import registry
from protocols.registry import get_protocol

DETERMINISTIC = ("clopath-2010", "payeur-2021", "payeur-2021-pv", "payeur-2021-sst",
                 "bono-clopath-2017")
STOCHASTIC = ("urbanczik-senn-2014", "guerguiev-2017")


def run(name, out=None, **kw):
    kw.setdefault("backend", "numpy")
    kw.setdefault("quick", True)
    return registry.run(name, out, **kw)


def parse_quantity(text):
    """'25. us' -> 25*us (the format of summary.json)."""
    number, unit = text.split()
    return float(number) * getattr(brian_units, unit)


def closed_form(p):
    """Steady-state transfer (mV, injected x recorded) and slowest tau (ms) of passive-transfer."""
    gs, gb, ga = (float(p[k]) for k in ("g_L_soma", "g_L_basal", "g_L_apical"))
    g_B, g_A = float(p["g_B"]), float(p["g_A"])
    G = np.array([[gs + g_B + g_A, -g_B, -g_A], [-g_B, gb + g_B, 0], [-g_A, 0, ga + g_A]])
    C = np.array([float(p[k]) for k in ("C_soma", "C_basal", "C_apical")])
    transfer = np.linalg.solve(G, float(p["amplitude"]) * np.eye(3)).T * 1e3
    tau = 1e3 / np.min(np.linalg.eigvals(G / C[:, None]).real)
    return transfer, tau


@pytest.fixture(scope="module")
def passive():
    return run("passive-transfer")


@pytest.fixture(scope="module")
def fi():
    return run("fi-curve")


# --------------------------------------------------------------------------- passive transfer
def test_passive_transfer_matches_closed_form(passive):
    summary, arrays = passive
    m = summary["metrics"]
    theory, tau = closed_form(get_protocol("passive-transfer").defaults)
    sim = np.array(m["steady_state_mV"])
    # the targets: 0.5 % of the closed form
    np.testing.assert_allclose(np.array(m["steady_state_theory_mV"]), theory, rtol=1e-12)
    assert np.max(np.abs(sim - theory) / np.abs(theory)) < 5e-3
    assert m["max_rel_error_steady_state"] < 5e-3
    assert m["time_constant_theory_ms"] == pytest.approx(tau, rel=1e-12)
    for measured in m["time_constants_ms"]:
        assert measured == pytest.approx(tau, rel=5e-3)
    # input resistance is the diagonal of the transfer matrix over the amplitude (50 pA)
    np.testing.assert_allclose(m["input_resistance_MOhm"], np.diag(sim) / 50 * 1e3, rtol=1e-12)
    assert arrays["v_mV"].shape == (3, 3, arrays["t_ms"].size)


def test_passive_transfer_override_changes_result_consistently(passive):
    summary, _ = run("passive-transfer", overrides={"g_A": 0.8 * nS})
    m, base = summary["metrics"], passive[0]["metrics"]
    p = dict(get_protocol("passive-transfer").defaults, g_A=0.8 * nS)
    theory, tau = closed_form(p)
    sim = np.array(m["steady_state_mV"])
    assert summary["params"]["g_A"] == 0.8 * nS
    np.testing.assert_allclose(np.array(m["steady_state_theory_mV"]), theory, rtol=1e-12)
    assert np.max(np.abs(sim - theory) / np.abs(theory)) < 5e-3
    assert m["time_constant_theory_ms"] == pytest.approx(tau, rel=1e-12)
    # With g_A = 0.8 nS the apical dendrite is nearly isolated and the two slowest modes
    # (10 ms and 8.93 ms) are too close for the 20-80 ms log-linear fit to separate (it
    # reads 9.4-9.8 ms): each fitted decay must lie between those two time constants.
    C = np.array([float(p[k]) for k in ("C_soma", "C_basal", "C_apical")])
    model = presets.pyramidal(3, g_apical=p["g_A"])
    slow = np.sort(1e3 / np.linalg.eigvals(model.passive_system()[1]).real)[::-1][:2]
    assert slow[0] == pytest.approx(tau, rel=1e-9) and np.allclose(model.passive_system()[0], C)
    for measured in m["time_constants_ms"]:
        assert slow[1] * (1 - 5e-3) <= measured <= slow[0] * (1 + 5e-3)
    # a 100x weaker apical coupling isolates the apical dendrite: less apical -> soma
    # transfer, a higher apical input resistance, and an unchanged basal <-> soma coupling
    old = np.array(base["steady_state_mV"])
    assert sim[2, 0] < 0.2 * old[2, 0]      # closed form: 0.187 mV instead of 1.588 mV
    assert sim[2, 2] > 2 * old[2, 2]
    assert m["input_resistance_MOhm"][2] > base["input_resistance_MOhm"][2]


# --------------------------------------------------------------------------- f-I curves
@pytest.mark.parametrize("name", DETERMINISTIC)
def test_fi_curve_monotone_for_deterministic_presets(fi, name):
    rates = np.array(fi[0]["metrics"]["rate_hz"][name])
    currents = np.array(fi[0]["metrics"]["current_pA"][name])
    assert np.all(np.diff(currents) > 0)
    assert np.all(np.diff(rates) >= 0), rates
    assert rates[0] == 0 and rates[-1] > 0, rates        # silent at 0 pA, firing at the top


@pytest.mark.parametrize("name", STOCHASTIC)
def test_fi_curve_strongly_increasing_for_stochastic_presets(fi, name):
    rates = np.array(fi[0]["metrics"]["rate_hz"][name])
    currents = np.array(fi[0]["metrics"]["current_pA"][name])
    rho = stats.spearmanr(currents, rates).statistic
    assert rho > 0.8, (rho, rates)
    assert rates[-1] > rates[0]


def test_fi_curve_covers_every_spiking_preset(fi):
    m = fi[0]["metrics"]
    assert set(m["presets"]) == set(DETERMINISTIC) | set(STOCHASTIC)
    for name in m["presets"]:
        assert len(m["rate_hz"][name]) == len(m["current_pA"][name]) == 11


# --------------------------------------------------------------------------- bAP
def test_bap_peak_depolarisation_ordered_by_distance():
    summary, arrays = run("bap")
    m = summary["metrics"]
    peak, att = m["peak_depolarisation_mV"], m["steady_state_attenuation"]
    assert m["n_spikes"] == 1
    order = ["soma", "basal", "trunk", "tuft"]
    assert [peak[c] for c in order] == sorted((peak[c] for c in order), reverse=True)
    assert all(peak[a] > peak[b] for a, b in zip(order, order[1:]))
    # same order as the steady-state attenuation from the soma
    assert sorted(order, key=lambda c: -peak[c]) == sorted(order, key=lambda c: -att[c])
    assert att["soma"] == pytest.approx(1.0)
    assert arrays["v_mV"].shape[0] == 4


# --------------------------------------------------------------------------- burst induction
def test_burst_induction_targets():
    summary, _ = run("burst-induction", seed=1)
    m = summary["metrics"]
    print("burst-induction metrics:", json.dumps(m))
    # the targets: apical input raises the burst probability by at least 0.2 while
    # the event rate changes by less than 25 %
    assert m["burst_probability_increase"] >= 0.2
    assert abs(m["event_rate_relative_change"]) < 0.25
    b, e = m["burst_probability"], m["event_rate_hz"]
    assert m["burst_probability_increase"] == pytest.approx(
        b["soma_and_apical"] - b["soma_only"])
    assert m["event_rate_relative_change"] == pytest.approx(
        (e["soma_and_apical"] - e["soma_only"]) / e["soma_only"])


SMALL_BURST = {"n_neurons": 8, "duration": 600 * ms}


def test_same_seed_same_result_different_seed_different_spikes():
    a_sum, a = run("burst-induction", seed=5, overrides=SMALL_BURST)
    b_sum, b = run("burst-induction", seed=5, overrides=SMALL_BURST)
    c_sum, c = run("burst-induction", seed=6, overrides=SMALL_BURST)
    np.testing.assert_array_equal(a["spike_t_s"], b["spike_t_s"])
    np.testing.assert_array_equal(a["spike_i"], b["spike_i"])
    assert json.dumps(a_sum["metrics"]) == json.dumps(b_sum["metrics"])
    assert a["spike_t_s"].size > 0
    same = a["spike_t_s"].shape == c["spike_t_s"].shape and np.array_equal(
        a["spike_t_s"], c["spike_t_s"]) and np.array_equal(a["spike_i"], c["spike_i"])
    assert not same


# --------------------------------------------------------------------------- stored runs
def test_summary_json_contents_and_load_round_trip(tmp_path):
    out = tmp_path / "pt"
    overrides = {"g_A": 0.8 * nS, "amplitude": 40 * pA}
    summary, arrays = run("passive-transfer", out, seed=3, overrides=overrides)
    assert sorted(p.name for p in out.iterdir()) == ["arrays.npz", "summary.json"]
    data = json.loads((out / "summary.json").read_text())
    assert data["protocol"] == "passive-transfer"
    assert data["seed"] == 3 and data["backend"] == "numpy" and data["quick"] is True
    assert isinstance(data["wall_time_s"], float) and data["wall_time_s"] > 0
    for key in ("python", "brian2", "numpy", "dendrites"):
        assert isinstance(data["versions"][key], str) and data["versions"][key]
    assert data["versions"]["brian2"] == brian2.__version__
    assert data["versions"]["numpy"] == np.__version__
    assert data["versions"]["dendrites"] == dendrites.__version__
    # every parameter is stored, quantities as strings with their units
    defaults = get_protocol("passive-transfer").defaults
    assert set(data["params"]) == set(defaults)
    for key, default in defaults.items():
        if isinstance(default, Quantity):
            text = data["params"][key]
            assert isinstance(text, str) and len(text.split()) == 2, (key, text)
            value = parse_quantity(text)
            assert value.has_same_dimensions(default), (key, text)
            assert float(value) == pytest.approx(float(summary["params"][key]), rel=1e-9), key
    assert float(parse_quantity(data["params"]["g_A"])) == pytest.approx(float(0.8 * nS))
    assert float(parse_quantity(data["params"]["dt"])) == pytest.approx(float(0.025 * ms))
    assert float(parse_quantity(data["params"]["t_step"])) == pytest.approx(
        float(get_protocol("passive-transfer").quick["t_step"]))
    assert set(data["metrics"]) >= {"steady_state_mV", "time_constants_ms"}

    loaded = protocols.load(out)
    assert loaded["metrics"] == json.loads(json.dumps(data["metrics"]))
    assert loaded.metrics == data["metrics"]
    assert dict(loaded) == data
    assert sorted(loaded.arrays) == sorted(arrays)
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded.arrays[key], value)
    assert protocols.load(out / "summary.json")["seed"] == 3


def test_load_missing_run_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="No stored run"):
        protocols.load(tmp_path / "nothing")


def test_bad_protocol_input_is_refused_before_running(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ModelError, match=r"Unknown protocol 'nope'"):
        run("nope", out)
    with pytest.raises(ModelError, match=r"Unknown parameter 'g_AA'.*Did you mean g_A"):
        run("passive-transfer", out, overrides={"g_AA": 1 * nS})
    with pytest.raises(ModelError, match=r"'g_A' = 3\. ms has the wrong dimensions"):
        run("passive-transfer", out, overrides={"g_A": 3 * ms})
    with pytest.raises(ModelError, match=r"Unknown backend 'gpu'"):
        run("passive-transfer", out, backend="gpu")
    with pytest.raises(ModelError, match=r"'seed' = -1"):
        run("passive-transfer", out, seed=-1)
    with pytest.raises(ModelError, match=r"'C_soma' = -1\. pF"):
        run("passive-transfer", out, overrides={"C_soma": -1e-12 * brian_units.farad})
    assert not out.exists()


def test_same_seed_same_spikes_in_separate_processes(tmp_path):
    """A stored seed must reproduce a run in a new process (e.g. the CLI run twice).

    Python randomises string hashing per process (PYTHONHASHSEED); the two hash seeds used
    here order sets of names differently, so nothing set-ordered may decide which noise
    source receives which random numbers.  (Brian2 2.9's explicit state updaters draw
    ``xi_soma`` and ``xi_apical`` in the iteration order of ``Equations.stochastic_variables``,
    a set: measured, PYTHONHASHSEED 0 and 1 give different spikes for the same seed.)
    """
    repo = Path(__file__).resolve().parents[1]
    spikes = []
    for hash_seed in ("0", "1"):
        out = tmp_path / f"run-{hash_seed}"
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, MPLBACKEND="Agg",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(repo),
                                                            os.environ.get("PYTHONPATH")])))
        res = subprocess.run([sys.executable, "-m", "protocols", "run", "burst-induction",
                              "--out", str(out), "--backend", "numpy", "--seed", "5", "--quick",
                              "--set", "n_neurons=8", "--set", "duration=600*ms", "--no-figure"],
                             env=env, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        loaded = protocols.load(out)
        spikes.append((loaded.arrays["spike_t_s"], loaded.arrays["spike_i"]))
    assert spikes[0][0].size > 0
    np.testing.assert_array_equal(spikes[0][0], spikes[1][0])
    np.testing.assert_array_equal(spikes[0][1], spikes[1][1])
