"""Guerguiev et al. (2017) segregated-dendrite network: the plateau-difference sign, rate vs
spiking updates, window means against the steady state, the learn-digits protocol and bad input."""

import numpy as np
import pytest
from brian2 import ms

from circuits.guerguiev import (
    Guerguiev2017,
    angle_deg,
    build_guerguiev,
    hidden_update,
    initial_weights,
    sigma,
)
from dendrites import ModelError
from protocols import Backend, run
from protocols.tasks import digits

SMALL = (64, 20, 10)


@pytest.fixture(scope="module")
def data():
    return digits(seed=1)


def _cycles(desc, mode, weights, x, y, n, seed=3):
    """Show *x* (one image, label *y*) for *n* cycles; return the records after the first."""
    with Backend("numpy", seed=seed, dt=1 * ms) as be:
        net = build_guerguiev(desc, mode, weights)
        net.keep_updates = True
        net.present(np.repeat(x[None], n, 0), np.repeat([y], n))
        be.run(net.network(), net.duration())
        net.close_cycle()
    return net, net.records[1:]        # the first cycle starts from rest


def test_hidden_update_sign_is_plateau_difference_hand_built():
    desc = Guerguiev2017(sizes=(3, 4, 2), eta=(1.0, 1.0))
    alpha_f = np.array([0.2, 0.7, 0.5, 0.9])
    alpha_t = np.array([0.6, 0.1, 0.5, 0.95])
    C_f = np.array([-3.0, 0.0, 2.0, 8.0])
    psp = np.array([0.05, 0.0, 0.2])
    dW, db = hidden_update(desc, alpha_f, alpha_t, C_f, psp)
    want = np.sign(alpha_t - alpha_f)
    np.testing.assert_array_equal(np.sign(db), want)
    np.testing.assert_array_equal(np.sign(dW), np.outer(want, np.sign(psp)))
    # magnitude: P_h k_B lambda_max sigma'(C) psp = 100 (0.6/0.7) 0.2 sigma'(0) 0.2 (alpha diff)
    assert dW[1, 2] == pytest.approx(100 * 0.6 / 0.7 * 0.2 * 0.25 * -0.6 * 0.2)


def test_network_hidden_update_sign_is_plateau_difference(data):
    """In the built spiking network, every row of the applied update has the plateau sign."""
    desc = Guerguiev2017(sizes=SMALL, eta=(0.0, 0.0), w_sd=1.0)
    W = initial_weights(desc, np.random.default_rng(2))
    _, recs = _cycles(desc, "spiking", W, data.x_train[0], data.y_train[0], 4)
    for r in recs:
        diff, dW = r["alpha_diff"][1], r["dW"][1]
        signs = np.sign(dW)
        for i in range(len(diff)):
            nz = signs[i][signs[i] != 0]        # inputs silent in the window give 0
            assert np.all(nz == np.sign(diff[i])), i


def test_rate_and_spiking_updates_agree(data):
    """Mean spiking update over 29 cycles of one image vs the rate network's update.

    Measured (seed 3): angle 6 deg (hidden) and 5 deg (output), norm ratio 0.92
    and 0.94 (spikes make updates slightly smaller: sigma is concave at the high
    rates of the target phase).  Poisson noise of 29 windows of 20 ms allows
    ~10 deg; the bounds are twice that.
    """
    desc = Guerguiev2017(sizes=SMALL, eta=(0.0, 0.0), w_sd=1.0)
    W = initial_weights(desc, np.random.default_rng(2))
    x, y = data.x_train[0], data.y_train[0]
    _, rate = _cycles(desc, "rate", W, x, y, 2)
    _, spk = _cycles(desc, "spiking", W, x, y, 30)
    for k in (1, 2):
        a = rate[0]["dW"][k]
        b = np.mean([r["dW"][k] for r in spk], axis=0)
        assert angle_deg(a, b) < 20, k
        assert 0.7 < np.linalg.norm(b) / np.linalg.norm(a) < 1.3, k
    ad_rate = rate[0]["alpha_diff"][1]
    ad_spk = np.mean([r["alpha_diff"][1] for r in spk], axis=0)
    big = np.abs(ad_rate) > 0.05
    np.testing.assert_array_equal(np.sign(ad_spk[big]), np.sign(ad_rate[big]))


def test_rate_window_means_match_the_steady_state(data):
    """After 30 ms the rate network has settled: window means are the closed-form fixed point.

    The PSP filter (tau_L 10 ms) leaves e^-3 of the start-up transient at the window start;
    measured deviations are below 0.05 mV (C) and 0.01/ms (PSP) against values of a few mV.
    """
    desc = Guerguiev2017(sizes=SMALL, eta=(0.0, 0.0), w_sd=1.0)
    W = initial_weights(desc, np.random.default_rng(2))
    x = data.x_train[0]
    net, _ = _cycles(desc, "rate", W, x, data.y_train[0], 2)
    m = net._means()
    lam = 0.2
    C = desc.k_B * (W["ff_1"] @ (lam * x) + W["b_1"])
    np.testing.assert_allclose(m["psp"][0], lam * x, atol=0.01)
    np.testing.assert_allclose(m["C_f"][0], C, atol=0.1)
    U = desc.k_D * (W["ff_2"] @ (lam * sigma(C)) + W["b_2"])
    np.testing.assert_allclose(m["U_f"], U, atol=0.1)


def test_rate_feedback_drives_the_apical_dendrites_with_the_output_rates(data):
    """``feedback='rate'`` (the authors' non-spiking feedback): in the spiking network the
    apical window means are ``Y`` times the output's window-mean rates (measured: to 4e-16
    of the largest value), while with spiking feedback (``'psp'``) they scatter around them
    (measured: by up to 47 % of the largest value in one 20 ms window)."""
    x, y = data.x_train[0], data.y_train[0]
    dev = {}
    for fb in ("rate", "psp"):
        desc = Guerguiev2017(sizes=SMALL, eta=(0.0, 0.0), w_sd=1.0, feedback=fb)
        W = initial_weights(desc, np.random.default_rng(2))
        net, _ = _cycles(desc, "spiking", W, x, y, 2)
        m = net._means()
        dev[fb] = max(np.abs(m[f"A_{ph}"][0] - W["fb_1"] @ m[f"rate_{ph}"]).max()
                      / np.abs(W["fb_1"] @ m[f"rate_{ph}"]).max() for ph in "ft")
    assert dev["rate"] < 1e-9
    assert dev["psp"] > 0.05
    with pytest.raises(ModelError, match="feedback"):
        Guerguiev2017(sizes=SMALL, feedback="spikes")


def test_test_phase_prediction_is_the_late_window_mean(data):
    """Test phases (no teaching, no learning) last T_test; the prediction is the mean output
    rate over their last T_test_integrate, here the rate network's steady state (two images,
    the second right after the first: the window restarts with every image)."""
    desc = Guerguiev2017(sizes=SMALL, eta=(1.0, 1.0), T_test=120 * ms, T_test_integrate=80 * ms)
    W = initial_weights(desc, np.random.default_rng(2))
    x = data.x_test[:2]
    with Backend("numpy", seed=3, dt=1 * ms) as be:
        net = build_guerguiev(desc, "rate", W)
        net.present(x, learning=False)
        assert net.duration() == 2 * desc.T_test
        be.run(net.network(), net.duration())
        net.close_cycle()
    assert net.records == [] and len(net.predictions) == 2
    lam = 0.2
    for k in range(2):
        C = desc.k_B * (W["ff_1"] @ (lam * x[k]) + W["b_1"])
        U = desc.k_D * (W["ff_2"] @ (lam * sigma(C)) + W["b_2"])
        np.testing.assert_allclose(net.predictions[k], lam * sigma(U), atol=2e-3)
    np.testing.assert_array_equal(net.W["ff_1"], W["ff_1"])     # no learning in tests


def test_learn_digits_tiny_learns_above_chance(tmp_path):
    """0 hidden layers, one pass over 300 examples (numpy backend, ~15 s).

    Chance is 90 %; the full-settings target of the 1-hidden-layer net is 10 %.
    Measured here: 55 % (seed 1, 250 ms test phases; 57 % with the former 70 ms
    test window); the NumPy steady-state rate version of the same rule reaches
    36 % after these 300 examples.  Required: at most 75 %, i.e. at least 15
    points below chance.
    """
    out = tmp_path / "run"
    summary, arrays = run("learn-digits", out, backend="numpy", overrides=dict(
        depths=[0], epochs=1, n_train=300, n_test=100, eta_0=[2.0]))
    err = summary["metrics"]["test_error"]["0"]
    assert err <= 0.75
    assert len(arrays["test_error_depth0"]) == 1
    assert (out / "summary.json").exists()


def test_learn_digits_epochs_per_depth(tmp_path):
    """``epochs_<d>`` > 0 sets the epochs of depth d; 0 falls back to ``epochs``."""
    from protocols.guerguiev import DEFAULTS, QUICK, n_epochs
    from protocols.registry import PROTOCOLS, resolve_params

    p = resolve_params(PROTOCOLS["learn-digits"], dict(epochs=4, epochs_1=0, epochs_2=7))
    assert [n_epochs(p, d) for d in (1, 2)] == [4, 7]
    assert DEFAULTS["epochs_2"] > DEFAULTS["epochs"] and QUICK["epochs_2"] == 0
    summary, arrays = run("learn-digits", tmp_path / "run", backend="numpy", overrides=dict(
        depths=[0], epochs=1, epochs_0=2, n_train=30, n_test=10))
    m = summary["metrics"]
    assert m["epochs"] == {"0": 2}
    assert len(m["test_error_curve"]["0"]) == 2 and len(arrays["test_error_depth0"]) == 2


def test_learn_digits_trains_the_reference_depth_with_each_feedback(tmp_path):
    """Fig. 7A: the 1-hidden-layer net is trained again with rate feedback (same seed
    offset); its angle and test curve sit beside the protocol's own (psp) ones."""
    summary, arrays = run("learn-digits", tmp_path / "run", backend="numpy", overrides=dict(
        depths=[1], hidden_sizes=[30], epochs=1, n_train=20, n_test=10))
    m = summary["metrics"]
    assert m["feedback"] == "psp"
    assert sorted(m["angle_to_backprop_deg_by_feedback"]) == ["psp", "rate"]
    assert m["angle_to_backprop_deg_by_feedback"]["psp"] == m["angle_to_backprop_deg"]
    assert m["test_error_curve_by_feedback"]["psp"] == m["test_error_curve"]["1"]
    rate = m["angle_to_backprop_deg_by_feedback"]["rate"]
    assert len(rate) == 1 and 0 < rate[0] < 180 and rate != m["angle_to_backprop_deg"]
    assert len(arrays["angle_per_example_depth1_rate_feedback"]) == 20
    assert "1_rate_feedback" in m["wall_time_s"]
    m2 = run("learn-digits", tmp_path / "one", backend="numpy", overrides=dict(
        depths=[1], hidden_sizes=[30], epochs=1, n_train=20, n_test=10,
        angle_feedbacks=["psp"]))[0]["metrics"]
    assert list(m2["angle_to_backprop_deg_by_feedback"]) == ["psp"]
    assert m2["angle_to_backprop_deg"] == m["angle_to_backprop_deg"]     # same seed


@pytest.mark.parametrize("bad", [
    dict(depths=[2], hidden_sizes=[50]),
    dict(task="cifar"),
    dict(epochs=-1),
    dict(depths=[1], eta_1=[1.0]),
    dict(eta_decay=0.0),
    dict(epochs_2=-1),
    dict(T_test_integrate=300 * ms),
    dict(feedback="spikes"),
    dict(angle_feedbacks=["rate", "rate"]),
    dict(angle_feedbacks=["spikes"]),
])
def test_bad_input_raises_and_writes_nothing(tmp_path, bad):
    out = tmp_path / "run"
    with pytest.raises(ModelError):
        run("learn-digits", out, backend="numpy", quick=True, overrides=bad)
    assert not out.exists()


def test_mismatched_weights_raise():
    desc = Guerguiev2017(sizes=SMALL)
    W = initial_weights(desc, np.random.default_rng(0))
    W["fb_1"] = W["fb_1"][:, :5]
    with pytest.raises(ModelError, match="fb_1"):
        build_guerguiev(desc, "rate", W)
    with pytest.raises(ModelError, match="eta"):
        Guerguiev2017(sizes=(64, 30, 10), eta=(1.0,))


@pytest.mark.slow
def test_learn_digits_quick_one_hidden_layer(tmp_path):
    """Quick settings (cython, ~1.5 min): both depths learn well above chance, and
    rate feedback brings the hidden update closer to backprop's (Fig. 7A).

    Measured (seed 1, 83 s wall): 40.7, 12.7, 10.0 % (0 hidden) and 56.0, 19.3,
    14.7 % (1 hidden) after each of 3 x 800 examples; angle 87, 76, 73 deg; with
    rate feedback 40.0, 28.0, 14.7 %, angle 85, 70, 62 deg.
    """
    summary, _ = run("learn-digits", tmp_path / "q", quick=True)
    m = summary["metrics"]
    assert m["test_error"]["0"] < 0.45
    assert m["test_error"]["1"] < 0.6
    angle = m["angle_to_backprop_deg_by_feedback"]
    assert angle["rate"][-1] < angle["psp"][-1] - 5
    assert all(a < 90 for a in m["angle_to_backprop_deg"])
