"""Pair and triplet STDP: closed forms, an event-by-event reference, the stdp-window protocol."""

import numpy as np
import pytest
from brian2 import Network, SpikeGeneratorGroup, SpikeMonitor, ms, nS, second

from dendrites import ModelError, presets
from dendrites.plasticity import PairSTDP, TripletSTDP, connect
from figures.stdp import load_data
from protocols import registry
from protocols.stdp_protocols import _generator, _kick, author_clopath_neuron, fit_ltp_tau

DT = 0.1 * ms


def run(name, **overrides):
    summary, arrays = registry.run(name, None, backend="numpy", quick=True, overrides=overrides)
    return summary["metrics"], arrays


@pytest.fixture(scope="module")
def window():
    return run("stdp-window")[0]


def simulate(rule, pre_trains, post_trains, w_init=0.5, spikes=False):
    """Final weights of one plastic synapse per train pair (times in s, on the 0.1 ms grid).

    With ``spikes=True`` also the postsynaptic spike times (s) per neuron, as emitted.
    """
    model = author_clopath_neuron(DT)
    n = len(pre_trains)
    post = model.build(n, name="post", dt=DT)
    pre = _generator("pre", [np.asarray(t, float) for t in pre_trains], DT)
    trig = SpikeGeneratorGroup(n, [], [] * second, name="trigger")
    kick = _kick(trig, post, [np.asarray(t, float) for t in post_trains], DT)
    syn = connect(rule, pre, post, model, "soma", w_init=w_init, w_scale=0 * nS,
                  connect={"j": "i"})
    end = max(max(np.max(t, initial=0) for t in pre_trains),
              max(np.max(t, initial=0) for t in post_trains))
    mon = SpikeMonitor(post)
    Network(post, pre, trig, kick, syn, mon).run((end + 0.01) * second)
    # a copy: on brian2 >= 2.10 ``syn.w[:]`` is a view of a C++ dynamic array that is freed
    # with the Synapses object, i.e. as soon as this function returns
    w = np.array(syn.w[:])
    if spikes:
        trains = mon.spike_trains()
        return w, [np.asarray(trains[k] / second) for k in range(n)]
    return w


def pair_closed_form(pre, post, A_plus, A_minus, tau_plus, tau_minus):
    """All-to-all additive pair rule: sum of the window over every pre/post pair (times in ms)."""
    d = np.subtract.outer(np.asarray(post), np.asarray(pre)).ravel()
    return (A_plus * np.exp(-d[d > 0] / tau_plus).sum()
            - A_minus * np.exp(d[d < 0] / tau_minus).sum())


def triplet_reference(pre, post, p, nearest=False):
    """Pfister & Gerstner (2006) rule event by event, traces decayed exactly between events."""
    events = sorted([(t, 0) for t in pre] + [(t, 1) for t in post])
    r1 = r2 = o1 = o2 = 0.0
    w, last = 0.5, None
    taus = [float(p.tau_plus / ms), float(p.tau_x / ms), float(p.tau_minus / ms),
            float(p.tau_y / ms)]
    for t, kind in events:
        if last is not None:
            decay = [np.exp(-(t - last) / tau) for tau in taus]
            r1, r2, o1, o2 = (x * d for x, d in zip((r1, r2, o1, o2), decay))
        last = t
        if kind == 0:
            w = np.clip(w - o1 * (p.A2_minus + p.A3_minus * r2), p.w_min, p.w_max)
            r1, r2 = (1.0, 1.0) if nearest else (r1 + 1, r2 + 1)
        else:
            w = np.clip(w + r1 * (p.A2_plus + p.A3_plus * o2), p.w_min, p.w_max)
            o1, o2 = (1.0, 1.0) if nearest else (o1 + 1, o2 + 1)
    return w


# ------------------------------------------------------------------------------ pair rule
def test_pair_window_is_the_closed_form(window):
    """A3: every offset against the sum over all pre/post pairs of the exponential window."""
    p = registry.get_protocol("stdp-window").defaults
    n_sim = window["n_simulated"]
    for dt, dw in zip(window["dt_ms"], window["dw_rel"]["pair-stdp"]):
        pre = 1000.0 * np.arange(n_sim)
        expected = pair_closed_form(pre, pre + dt, p["pair_A_plus"], p["pair_A_minus"], 16.8,
                                    33.7) / 0.5 * window["scale_factor"]
        # event-driven traces are exact and spike times lie on the grid: float rounding only
        assert dw == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_pair_window_sign_regions_and_fitted_tau(window):
    dt, dw = np.array(window["dt_ms"]), np.array(window["dw_rel"]["pair-stdp"])
    assert np.all(dw[(dt > 0) & (dt <= 20)] > 0)
    assert np.all(dw[(dt < 0) & (dt >= -20)] < 0)
    tau = window["tau_plus_fit_ms"]["pair-stdp"]
    assert 12 <= tau <= 20                        # A3 (Bi & Poo fit 14.8 ms; parameter 16.8 ms)
    assert tau == pytest.approx(16.8, rel=1e-3)   # the fit recovers tau_plus from the window
    # the same fit on the Bi & Poo points themselves (SCIENCE.md section 10.1: 14.8 ms)
    bp = load_data("bi_poo_1998")
    assert fit_ltp_tau(bp["dt_ms"], bp["dw_rel"]) == pytest.approx(14.8, abs=0.1)


def test_nearest_neighbour_pairs_only_the_last_spike():
    """Pre at 0 and 5 ms, post at 10 ms: all-to-all sums both pairs, nearest takes the last."""
    rule = dict(A_plus=0.01, A_minus=0.0, tau_plus=16.8 * ms)
    w = simulate(PairSTDP(**rule), [[0.1, 0.105]] * 2, [[0.11]] * 2)
    w_nn = simulate(PairSTDP(nearest=True, **rule), [[0.1, 0.105]], [[0.11]])
    assert w[0] - 0.5 == pytest.approx(0.01 * (np.exp(-10 / 16.8) + np.exp(-5 / 16.8)), rel=1e-9)
    assert w_nn[0] - 0.5 == pytest.approx(0.01 * np.exp(-5 / 16.8), rel=1e-9)


def test_pair_rule_clips_at_the_bounds():
    w = simulate(PairSTDP(A_plus=0.3, A_minus=0.3), [[0.1, 0.2, 0.3], [0.11, 0.21, 0.31]],
                 [[0.101, 0.201, 0.301], [0.1, 0.2, 0.3]])
    assert w[0] == 1.0 and w[1] == 0.0


@pytest.mark.slow
def test_full_window_equals_the_scaled_quick_window(window):
    """60 simulated pairings at 1 Hz against 10 simulated and scaled by 6 (about 20 s)."""
    full, _ = run("stdp-window", simulated_repetitions=0)
    assert full["scale_factor"] == 1.0
    # pair rule: 1 s after a pairing its traces have decayed to exp(-1 s/33.7 ms) ~ 1e-13
    np.testing.assert_allclose(full["dw_rel"]["pair-stdp"], window["dw_rel"]["pair-stdp"],
                               rtol=1e-9, atol=1e-12)
    # Clopath neuron: adaptation keeps exp(-1 s/144 ms) ~ 1e-3 of its jump from the previous
    # pairing (measured: 1.6e-6 absolute, 8e-4 relative)
    np.testing.assert_allclose(full["dw_rel"]["clopath-2010"], window["dw_rel"]["clopath-2010"],
                               rtol=2e-3, atol=1e-5)


# ---------------------------------------------------------------------------- triplet rule
def test_triplet_closed_forms():
    """Pre-post pair A2+ exp(-dt/tau+), post-pre pair -A2- exp(-dt/tau-), post-pre-post triplet."""
    rule = TripletSTDP(A2_plus=5e-3, A3_plus=6.5e-3, A2_minus=7.1e-3, A3_minus=2e-3)
    w = simulate(rule, [[0.1], [0.11], [0.105]], [[0.11], [0.1], [0.1, 0.115]])
    assert w[0] - 0.5 == pytest.approx(5e-3 * np.exp(-10 / 16.8), rel=1e-9)
    assert w[1] - 0.5 == pytest.approx(-7.1e-3 * np.exp(-10 / 33.7), rel=1e-9)
    ltd = 7.1e-3 * np.exp(-5 / 33.7)
    ltp = np.exp(-10 / 16.8) * (5e-3 + 6.5e-3 * np.exp(-15 / 114))
    assert w[2] - 0.5 == pytest.approx(ltp - ltd, rel=1e-9)


@pytest.mark.parametrize("nearest", [False, True])
def test_triplet_matches_event_reference_on_irregular_trains(nearest):
    rng = np.random.default_rng(3)

    def train():   # 25 spikes in ~1 s, at least 5 ms apart (the spike clamp lasts 2 ms)
        return 0.05 + np.round(np.cumsum(0.005 + rng.exponential(0.035, 25)), 4)

    pre, post = [train() for _ in range(3)], [train() for _ in range(3)]
    rule = TripletSTDP(A2_plus=2e-3, A3_minus=1e-3, nearest=nearest)
    w, emitted = simulate(rule, pre, post, spikes=True)
    for k in range(3):
        np.testing.assert_allclose(emitted[k], post[k], atol=1e-9)   # forced spikes, no others
        expected = triplet_reference(1e3 * pre[k], 1e3 * post[k], rule, nearest)
        assert w[k] == pytest.approx(expected, rel=1e-9)


def test_triplet_visual_cortex_set_has_the_sjostrom_shape():
    """60 pairings (+/-10 ms): LTD only at 0.1 Hz, LTP for both orders at 50 Hz.

    Event reference, not Brian2: the rule's own frequency dependence (Pfister & Gerstner
    2006, Fig. 5), with the sPyNNaker visual-cortex set.
    """
    rule = TripletSTDP(w_max=100.0)                   # no bound in the way
    dw = {}
    for rho in (0.1, 10.0, 20.0, 40.0, 50.0):
        pre = 1000.0 / rho * np.arange(60)
        dw[rho] = [triplet_reference(pre, pre + s, rule) - 0.5 for s in (10.0, -10.0)]
    assert abs(dw[0.1][0]) < 1e-6 and dw[0.1][1] < 0
    assert dw[50.0][0] > 0 and dw[50.0][1] > 0
    assert np.all(np.diff([dw[r][0] for r in sorted(dw)]) > 0)


# ------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("rule, rate", [(PairSTDP, "A_plus"), (PairSTDP, "A_minus"),
                                        (TripletSTDP, "A3_plus"), (TripletSTDP, "A2_minus")])
def test_stdp_rules_refuse_bad_parameters(rule, rate):
    model = presets.clopath_2010()
    with pytest.raises(ModelError, match=f"'{rate}' = -0.01 must be zero or positive"):
        rule(**{rate: -0.01}).spec(model, "soma")
    with pytest.raises(ModelError, match="inverted.*w_min = 2.*w_max = 1"):
        rule(w_min=2.0, w_max=1.0).spec(model, "soma")
    group = model.build(1)
    src = SpikeGeneratorGroup(1, [], [] * second)
    with pytest.raises(ModelError, match="Unknown compartment 'apical'.*allowed: soma"):
        connect(rule(), src, group, model, "apical")
    with pytest.raises(ModelError, match="Unknown channel 'kainate'"):
        connect(rule(), src, group, model, "soma", "kainate")
