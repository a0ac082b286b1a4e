"""AGREL / four-factor network (circuits.agrel) and the learn-agrel protocol."""

import numpy as np
import pytest
from brian2 import ms

from circuits.agrel import AGRELConfig, RateAGREL, SpikingAGREL, sigmoid
from dendrites import ModelError
from protocols import run
from protocols.backend import Backend
from protocols.tasks import xor

DT = 0.5 * ms
# small spiking network: 4 hidden units of 5 neurons, 10 Poisson neurons per input
SMALL = dict(n_hidden=4, n_per_unit=5, n_per_input=10)
V_HAND = np.array([[1.0, -1.0, 0.5], [-0.5, 1.0, 0.0], [0.8, 0.8, -1.0], [-1.0, -0.5, 0.5]])
# winner 0's feedback weights w_0j have both signs and one zero (an untagged unit)
W_HAND = np.array([[1.5, -1.0, 0.0, -2.0, 0.2], [-0.5, 0.7, 1.2, 0.3, -0.1]])


def _spiking_trials(winners, patterns, n_trials_each=1, seed=3):
    """Frozen-weight trials with forced winners for both variants (numpy target)."""
    data = xor()
    configs = [AGRELConfig(variant=v, **SMALL) for v in ("agrel", "gated")]
    order = np.repeat(patterns, n_trials_each)
    with Backend("numpy", seed=seed, dt=DT) as be:
        net = SpikingAGREL(configs, np.random.default_rng(seed), (V_HAND, W_HAND), DT)
        rec = net.run(be, data.x_train, data.y_train, order, freeze_hidden=True,
                      winners=np.repeat(winners, n_trials_each))
    return rec, order


@pytest.fixture(scope="module")
def hand_trials():
    # pattern 3 = (1, 1), label 0: winner 0 is rewarded (delta > 0), winner 1 is not (-1)
    return _spiking_trials(winners=[0, 1], patterns=[3, 3])


def test_signed_variant_sign_is_sign_of_delta_times_feedback_weight(hand_trials):
    rec, _ = hand_trials
    agrel = rec[0]
    for t, (s, delta_sign) in enumerate(((0, +1), (1, -1))):
        assert agrel["rewarded"][t] == (delta_sign > 0)
        dV = agrel["dV"][t]
        expected = delta_sign * np.sign(W_HAND[s, :-1])
        # every weight of unit j (inputs 1, 1 and the bias all spike) moves with sign(delta w_sj)
        for j in range(dV.shape[0]):
            assert np.all(np.sign(dV[j]) == expected[j]), (t, j, dV[j])
    # the rate model gives the same per-unit signs for the same trial
    net = RateAGREL(AGRELConfig(**SMALL), None, (V_HAND, W_HAND))
    dV_rate, _ = net.updates([1, 1], 0, 0.5)
    assert np.all(np.sign(dV_rate[:, 0]) == np.sign(W_HAND[0, :-1]))


def test_gated_variant_sign_is_sign_of_delta_for_every_tagged_unit(hand_trials):
    rec, _ = hand_trials
    gated = rec[1]
    for t, (s, delta_sign) in enumerate(((0, +1), (1, -1))):
        dV = gated["dV"][t]
        tagged = W_HAND[s, :-1] != 0
        assert np.all(np.sign(dV[tagged]) == delta_sign), (t, dV)
        assert np.all(dV[~tagged] == 0)   # gate 0: no plasticity
    # the signed variant moved some units in opposite directions in one trial; the gate cannot
    assert (rec[0]["dV"][0] > 0).any() and (rec[0]["dV"][0] < 0).any()
    assert not ((gated["dV"][0] > 0).any() and (gated["dV"][0] < 0).any())


def test_rate_and_spiking_expected_update_agree():
    # unrewarded trials (delta = -1, f = -1) so the update does not depend on Z
    # pattern 3 = (1, 1) has label 0 and pattern 1 = (0, 1) label 1: both winners are wrong
    rec, _ = _spiking_trials(winners=[1, 0], patterns=[3, 1], n_trials_each=6, seed=5)
    data = xor()
    for k, v in enumerate(("agrel", "gated")):
        net = RateAGREL(AGRELConfig(variant=v, **SMALL), None, (V_HAND, W_HAND))
        for s, pattern, rows in ((1, 3, slice(0, 6)), (0, 1, slice(6, 12))):
            x = data.x_train[pattern]
            assert not rec[k]["rewarded"][rows].any()
            dV_rate, _ = net.updates(x, s, -1.0)
            dV_spk = rec[k]["dV"][rows].mean(axis=0)
            # tolerance: Poisson input counts (about 20 spikes per input population and trial)
            # and voltage fluctuations; 6 trials give a few % noise per element
            err = np.linalg.norm(dV_spk - dV_rate) / np.linalg.norm(dV_rate)
            assert err < 0.25, (v, pattern, err)
            assert np.corrcoef(dV_spk.ravel(), dV_rate.ravel())[0, 1] > 0.95
        # the decision-phase rate read from spikes matches sigma(V x) (60 spikes at most
        # per unit and trial: std about 0.06 per trial, 0.025 over 6)
        y_spk = rec[k]["y"][6:].mean(axis=0)
        y_rate = sigmoid(V_HAND @ np.r_[data.x_train[1], 1.0])
        assert np.max(np.abs(y_spk - y_rate)) < 0.1


def test_expected_rate_update_equals_backprop():
    # E over the winner of f(delta) w_s equals sum_k (t_k - Z_k) w_k (Roelfsema & van Ooyen)
    net = RateAGREL(AGRELConfig(**SMALL), None, (V_HAND, W_HAND))
    x, label = [0.0, 1.0], 1
    y, Z = net.forward(x)
    expected = np.zeros_like(V_HAND)
    for s in range(2):
        f = (1 - Z[s]) / Z[s] if s == label else -1.0
        expected += Z[s] * net.updates(x, s, f, y)[0]
    np.testing.assert_allclose(expected, net.backprop_update(x, label), rtol=1e-10)


@pytest.fixture(scope="module")
def small_run():
    # too few trials to learn; enough for the probe and the rate model (numpy target)
    return run("learn-agrel", None, backend="numpy", quick=True,
               overrides=dict(n_trials=20, n_probe=120, n_test=1, n_seeds_rate=2,
                              n_probe_rate=400))[0]["metrics"]


def test_small_run_expected_update_follows_backprop(small_run):
    # A18: r >= 0.8 for AGREL; the gate has no per-neuron sign and falls far below
    assert small_run["update_corr_with_backprop"]["agrel"] >= 0.8
    assert small_run["update_corr_with_backprop_rate"]["agrel"] >= 0.95
    assert small_run["update_corr_with_backprop"]["gated"] < 0.5
    # the rate model is above chance on these two seeds (3000 trials; a seed can stall at 3/4)
    assert small_run["accuracy_rate"]["agrel"] >= 0.75


@pytest.mark.slow
def test_quick_run_learns_above_chance():
    m = run("learn-agrel", None, backend="numpy", quick=True)[0]["metrics"]
    # stated margin: chance is 0.5; quick size (1500 trials, one seed) must reach >= 0.75
    assert m["accuracy"]["agrel"] >= 0.75
    assert m["update_corr_with_backprop"]["agrel"] >= 0.8


@pytest.mark.parametrize("overrides, match", [
    (dict(n_in=3), "n_in"),
    (dict(n_out=3), "n_out"),
    (dict(n_hidden=0), "n_hidden"),
    (dict(variants=["agrel", "signed-ish"]), "variant"),
    (dict(task="mnist"), "task"),
    (dict(n_probe=10), "n_probe"),
])
def test_bad_input_is_refused_and_nothing_written(tmp_path, overrides, match):
    out = tmp_path / "run"
    with pytest.raises(ModelError, match=match):
        run("learn-agrel", out, backend="numpy", quick=True, overrides=overrides)
    assert not out.exists()


def test_config_and_data_checks():
    with pytest.raises(ModelError, match="variant"):
        AGRELConfig(variant="signed").check()
    with pytest.raises(ModelError, match="n_in"):
        RateAGREL(AGRELConfig(n_in=3), np.random.default_rng(1)).accuracy(xor().x_train, [0] * 4)
    with pytest.raises(ModelError, match="only in 'variant'"):
        SpikingAGREL([AGRELConfig(), AGRELConfig(n_hidden=3, variant="gated")],
                     np.random.default_rng(1), AGRELConfig().init_weights(
                         np.random.default_rng(1)), DT)


def test_spiking_run_checks_phases_and_winners():
    data = xor()
    cfg = AGRELConfig(t_settle=40.25 * ms, **SMALL)
    with Backend("numpy", seed=1, dt=DT) as be:
        net = SpikingAGREL([cfg], np.random.default_rng(1), (V_HAND, W_HAND), DT)
        with pytest.raises(ModelError, match="t_settle"):
            net.run(be, data.x_train, data.y_train, [0, 1])
        with pytest.raises(ModelError, match="winners"):
            net.run(be, data.x_train, data.y_train, [0, 1], winners=[0, 2])
        with pytest.raises(ModelError, match="order"):
            net.run(be, data.x_train, data.y_train, [0, 4])
