"""The credit-assignment network (circuits.credit) and the hypothesis-test protocol."""

import json

import numpy as np
import pytest
from brian2 import ms

from circuits.credit import (
    CHANNELS,
    CreditConfig,
    RateCredit,
    SpikingCredit,
    expansive,
    init_weights,
    sigmoid,
    softmax,
)
from dendrites.errors import ModelError
from protocols import credit_assignment as ca
from protocols.backend import Backend
from protocols.registry import run


def _net(cfg, channels, rng, etas=None):
    w = init_weights(cfg, rng)
    R = len(channels)
    return SpikingCredit(cfg, channels, [0.0] * R if etas is None else etas, [w] * R, rng,
                         1 * ms), w


def test_backprop_delta_is_the_gradient():
    """Finite differences of |t - y|^2 / 2 with respect to the hidden drive give delta."""
    cfg = CreditConfig(n_in=5, n_hidden=4, n_out=3)
    rng = np.random.default_rng(0)
    W, V, B = init_weights(cfg, rng)
    x = rng.uniform(0, 1, (1, 5))
    t = cfg.targets([2])
    rate = RateCredit(cfg)
    delta, _ = rate.backprop_delta(W[None], V[None], x, t)
    eps = 1e-6
    for j in range(4):
        def loss(shift):
            Wp = W.copy()
            Wp[j, -1] += shift                        # the bias shifts the drive of j
            y = rate.forward(Wp[None], V[None], x)[-1]
            return 0.5 * ((t - y) ** 2).sum()
        grad = (loss(eps) - loss(-eps)) / (2 * eps)
        assert delta[0, j] == pytest.approx(-grad, rel=1e-5, abs=1e-10)


def test_agrel_expected_update_is_the_cross_entropy_gradient():
    """E over winners of f(delta) B_s equals B (onehot - Z) (Roelfsema & van Ooyen 2005)."""
    cfg = CreditConfig(n_in=4, n_hidden=6, n_out=3, feedback="random")
    rng = np.random.default_rng(1)
    W, V, B = init_weights(cfg, rng)
    x = rng.uniform(0, 1, (1, 4))
    rate = RateCredit(cfg)
    t = cfg.targets([1])
    got = rate.expected_delta("G2", W[None], V[None], B[None], x, t)[0]
    _, a, h, _, ao, _ = rate.forward(W[None], V[None], x)
    Z = softmax(cfg.beta * ao)[0]
    want = B @ (np.eye(3)[1] - Z) * h[0] * (1 - h[0])
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert expansive([0.5, -1.0]).tolist() == [1.0, -1.0]


def test_synapse_order_and_mean_drive():
    """Weights land where W says, and the hidden drive averages W x + b (rate units)."""
    cfg = CreditConfig(n_in=6, n_hidden=5, n_out=2)
    rng = np.random.default_rng(3)
    with Backend("numpy", seed=3, dt=1 * ms) as be:
        net, (W, V, B) = _net(cfg, ["S1", "S3"], rng)
        i, j = np.asarray(net.s_in.i[:]), np.asarray(net.s_in.j[:])
        w = np.asarray(net.s_in.w[:])
        np.testing.assert_array_equal(w, W[j % 5, i % 6])
        assert np.all(i // 6 == j // 5)                      # no synapse across replicas
        fb_i, fb_j = np.asarray(net.s_fb.i[:]), np.asarray(net.s_fb.j[:])
        np.testing.assert_allclose(np.asarray(net.s_fb.w[:]), B[fb_j % 5, fb_i % 2])
        x = rng.uniform(0.2, 0.8, 6)
        X = np.tile(x, (60, 1, 1))
        L = np.zeros((60, 1), int)
        rec = net.run(be, X, L, learn=False, source=np.array([0, 0]))
    # the forward-window mean drive of the last example against the rate model
    drive = np.asarray(net.hid.drv_F[:]).reshape(2, 5).mean(axis=0)
    want = W @ np.r_[x, 1.0]
    assert np.max(np.abs(drive - want)) < 0.35                    # Poisson noise of 40 ms
    pre = rec["pre"][:, 0, :6].mean(axis=0)
    np.testing.assert_allclose(pre, x, atol=0.08)                 # 60 x 40 ms at 200 Hz


def test_spiking_signals_follow_the_rate_model():
    """Trial-averaged spiking S1, S3 and S2 signals correlate with their rate expectation."""
    cfg = CreditConfig(n_in=30, n_hidden=16, n_out=2)
    rng = np.random.default_rng(4)
    chans = ["S1", "S2", "S3", "G1", "G2", "P1"] * 4
    n = 25
    X = rng.uniform(0, 1, (n, 1, 30))
    L = rng.integers(0, 2, (n, 1))
    with Backend("numpy", seed=4, dt=1 * ms) as be:
        net, (W, V, B) = _net(cfg, chans, rng)
        rec = net.run(be, X, L, learn=False, source=np.zeros(len(chans), int))
    rate = RateCredit(cfg)
    corr = {}
    for ch in CHANNELS:
        idx = [r for r, c in enumerate(chans) if c == ch]
        spk = rec["delta"][:, idx].mean(axis=1)
        exp = np.array([rate.expected_delta(ch, W[None], V[None], B[None], X[e], cfg.targets(L[e]))[0]
                        for e in range(n)])
        corr[ch] = np.corrcoef(spk.ravel(), exp.ravel())[0, 1]
        if ch == "G1":   # one sign per trial and replica: the gate cannot sign neurons
            for d in rec["delta"][:, idx].reshape(-1, 16):
                assert np.all(d >= 0) or np.all(d <= 0)
    assert corr["S1"] > 0.85 and corr["S3"] > 0.85 and corr["S2"] > 0.5, corr


def test_learning_moves_weights_only_with_a_rate():
    cfg = CreditConfig(n_in=8, n_hidden=6, n_out=2)
    rng = np.random.default_rng(5)
    X = rng.uniform(0, 1, (5, 1, 8))
    L = rng.integers(0, 2, (5, 1))
    with Backend("numpy", seed=5, dt=1 * ms) as be:
        w = init_weights(cfg, rng)
        net = SpikingCredit(cfg, ["S1", "S1"], [0.0, 1.0], [w, w], rng, 1 * ms)
        net.run(be, X, L, learn=True, source=np.zeros(2, int))
    np.testing.assert_array_equal(net.W[0], w[0])
    assert not np.allclose(net.W[1], w[0])
    assert not np.allclose(net.V[0], w[1])                 # the output layer learns in both
    np.testing.assert_allclose(np.asarray(net.s_in.w[:]).reshape(2, 6, 8), net.W[:, :, :8])


@pytest.mark.parametrize("kw, text", [
    (dict(channels=["S1"], etas=[1.0], n_hidden=0), "n_hidden"),
    (dict(channels=["Q9"], etas=[1.0]), "Q9"),
    (dict(channels=["S1"], etas=[-1.0]), "etas"),
])
def test_bad_network_input(kw, text):
    cfg = CreditConfig(n_hidden=kw.pop("n_hidden", 4))
    with pytest.raises(ModelError, match=text):
        cfg.check()
        rng = np.random.default_rng(0)
        SpikingCredit(cfg, kw["channels"], kw["etas"], [init_weights(cfg, rng)], rng, 1 * ms)


def test_criterion_helpers():
    assert ca.criterion_accuracy(0.6, 2) == pytest.approx(0.8)
    assert ca.criterion_accuracy(0.5, 4) == pytest.approx(0.625)
    assert ca.examples_to_criterion([0.5, 0.7, 0.81, 0.6], 0.8, 100) == 200
    assert ca.examples_to_criterion([0.5, 0.7], 0.8, 100) is None
    # censored runs count as infinite: a rate with 2 of 3 seeds censored loses
    k, med = ca.best_rate([[100, None, None], [300, 400, 500]], [1.0, 0.1])
    assert (k, med) == (1, 400.0)
    assert ca.best_rate([[None, None]], [1.0]) == (0, None)
    assert ca.scaling_slope([16, 64, 256], [100, 400, 1600]) == pytest.approx(1.0)
    assert ca.scaling_slope([16, 64], [100, None]) is None


def test_probe_metrics_of_exact_and_noisy_updates():
    rng = np.random.default_rng(6)
    bp = rng.standard_normal(10)
    x = np.r_[rng.uniform(0, 1, 4), 1.0]
    exact = ca.probe_metrics(np.tile(bp, (5, 1)), np.tile(x, (5, 1)), bp, x)
    assert exact["angle_single"] < 1e-4 and exact["sign"] == 1.0
    assert exact["relvar"] == pytest.approx(0.0, abs=1e-12)
    noisy = ca.probe_metrics(bp + 3 * rng.standard_normal((200, 10)), np.tile(x, (200, 1)),
                             bp, x)
    assert noisy["angle_mean"] < 30 < noisy["angle_single"]
    assert 5 < noisy["relvar"] < 20            # 9 x 10 / |bp|^2 ~ 9
    assert 0.5 < noisy["sign"] < 0.8


def test_task_needs_hidden_learning():
    """Rate model, protocol defaults: backprop reaches the criterion, the output layer alone not.

    (The classes are nearly linearly separable in x, but the frozen hidden
    layer starts almost linear and small, so the output layer alone stays far
    from the criterion within the example cap.)
    """
    p = ca.DEFAULTS
    cfg = CreditConfig(n_in=p["n_in"], n_hidden=16, n_out=2, eta_out=p["eta_out"])
    rng = np.random.default_rng([1, 2, 0])
    X, y, Xt, yt = ca.teacher_task(p["n_in"], 2, p["teacher_hidden"], p["teacher_scale"], 2000,
                                   500, rng)
    assert X.shape == (2000, 30) and set(np.unique(yt)) == {0, 1}
    W, V, _ = init_weights(cfg, rng)
    thr = ca.criterion_accuracy(p["criterion"], 2)
    curves = {}
    for hidden in (True, False):
        curve, _, _ = RateCredit(cfg).train(W[None], V[None], X, cfg.targets(y), y, [3.0],
                                            hidden=hidden, eval_X=Xt, eval_labels=yt,
                                            eval_every=100)
        curves[hidden] = curve[0]
    assert ca.examples_to_criterion(curves[True], thr, 100) is not None
    assert ca.examples_to_criterion(curves[False], thr, 100) is None


def test_protocol_small_run_and_bad_input(tmp_path):
    out = tmp_path / "run"
    res = run("credit-assignment", out, backend="numpy", seed=2, quick=True,
              overrides=dict(widths=[8], outputs=[2], etas=[0.3], n_seeds=1, max_examples=100,
                             eval_every=50, n_test=100, n_probe=1, n_repeats=3, n_in=10))
    m = json.loads((out / "summary.json").read_text())["metrics"]
    for key in ("channels", "widths", "outputs", "examples_to_criterion_width",
                "examples_to_criterion_outputs", "angle_deg", "sign_agreement",
                "relative_variance", "budget"):
        assert key in m
    assert m["channels"][:6] == list(CHANNELS) and "BP" in m["channels"]
    assert m["budget"]["etas"] == [0.3] and m["budget"]["max_examples"] == 100
    assert len(m["examples_per_seed_width"]["S1"][0]) == 1
    assert res is not None
    for bad, text in ((dict(channels=["S1", "XX"]), "XX"), (dict(etas=[0.0]), "etas"),
                      (dict(criterion=1.5), "criterion"), (dict(widths=[]), "widths")):
        with pytest.raises(ModelError, match=text):
            run("credit-assignment", tmp_path / "bad", backend="numpy", quick=True,
                overrides=bad)
        assert not (tmp_path / "bad").exists()
    with pytest.raises(ModelError, match="runtime backend"):
        run("credit-assignment", tmp_path / "bad", backend="cpp_standalone", quick=True)
    assert not (tmp_path / "bad").exists()


def test_sigmoid_helpers():
    assert sigmoid(0.0) == 0.5
    np.testing.assert_allclose(softmax([[0.0, 0.0]]), [[0.5, 0.5]])


def test_feedback_weights_follow_V_only_when_symmetric():
    rng = np.random.default_rng(8)
    X = rng.uniform(0, 1, (4, 1, 6))
    L = rng.integers(0, 2, (4, 1))
    fb = {}
    for mode in ("symmetric", "random"):
        cfg = CreditConfig(n_in=6, n_hidden=5, n_out=2, feedback=mode)
        with Backend("numpy", seed=8, dt=1 * ms) as be:
            w = init_weights(cfg, np.random.default_rng(9))
            net = SpikingCredit(cfg, ["S3", "G1"], [1.0, 1.0], [w, w], rng, 1 * ms)
            net.run(be, X, L, learn=True, source=np.zeros(2, int))
        fb[mode] = (w, net)
    w, net = fb["symmetric"]
    np.testing.assert_allclose(net.B[0], net.V[0, :, :5].T)          # B = V^T after learning
    got = np.asarray(net.s_fb.w[:]).reshape(2, 5, 2)
    np.testing.assert_allclose(got[1], np.abs(net.B[1]))              # the gate sees |B|
    w, net = fb["random"]
    np.testing.assert_array_equal(net.B[0], w[2])                     # fixed random B
    assert not np.allclose(net.V[0], w[1])
