"""Guerguiev plateau-difference rule, its phase averages, and the feedback-timing protocol."""

import numpy as np
import pytest
from brian2 import Network, SpikeGeneratorGroup, StateMonitor, mV, ms, pA, second

from dendrites import presets
from dendrites.errors import ModelError
from dendrites.plasticity import connect
from dendrites.plasticity.plateau import PhasePlateau, PlateauRule
from protocols import run as run_protocol
from protocols.dendritic_rules import with_mechanism

DT = 1e-4


def g_model(**kw):
    return with_mechanism(presets.guerguiev_2017(), "apical", PhasePlateau(**kw))


def sigma(x):
    return 1 / (1 + np.exp(-x))


def test_phase_averages_are_exact_window_means():
    model = g_model(T_forward=30 * ms, T_target=20 * ms, T_integrate=10 * ms)
    g = model.build(1)
    mon = StateMonitor(g, ["v_apical", "v_soma"], record=0)
    ends = StateMonitor(g, ["A_f_apical", "A_t_apical", "C_f_apical"], record=0,
                        dt=50 * ms)
    net = Network(g, mon, ends)
    g.I_ext_apical, g.I_ext_basal = 40 * pA, 30 * pA
    net.run(35 * ms)
    g.I_ext_apical = -20 * pA
    net.run(115 * ms + 0.1 * ms)
    v_a, v_s = np.asarray(mon.v_apical[0] / mV), np.asarray(mon.v_soma[0] / mV)
    for cycle in (0, 1, 2):
        k0 = cycle * 500
        fwd = slice(k0 + 200, k0 + 300)   # last 10 ms of the 30 ms forward phase
        tgt = slice(k0 + 400, k0 + 500)   # last 10 ms of the 20 ms target phase
        # the mean over the window's samples (state at the start of each step), to round-off
        assert float(ends.A_f_apical[0, cycle + 1] / mV) == pytest.approx(v_a[fwd].mean(), abs=1e-9)
        assert float(ends.A_t_apical[0, cycle + 1] / mV) == pytest.approx(v_a[tgt].mean(), abs=1e-9)
        assert float(ends.C_f_apical[0, cycle + 1] / mV) == pytest.approx(v_s[fwd].mean(), abs=1e-9)


def _one_cycle(apical_fwd, apical_tgt, seed=5):
    """One forward/target cycle with frozen basal inputs; returns (dw, recorded quantities)."""
    model = g_model()
    g = model.build(1)
    rng = np.random.RandomState(seed)
    n = 5
    times = [np.unique(np.round(rng.uniform(0, 0.1, 4) / DT)) * DT for _ in range(n)]
    gen = SpikeGeneratorGroup(n, np.concatenate([np.full(t.size, k) for k, t in enumerate(times)]),
                              np.concatenate(times) * second)
    syn = connect(PlateauRule(), gen, g, model, "basal", "cur", w_init=1.0, w_scale=30 * pA)
    ends = StateMonitor(g, ["alpha_f_apical", "alpha_t_apical", "C_f_apical"], record=0,
                        dt=100 * ms)
    net = Network(g, gen, syn, ends)
    g.I_ext_apical = apical_fwd
    net.run(50 * ms)
    g.I_ext_apical = apical_tgt
    net.run(50 * ms + 0.1 * ms)
    a_f, a_t = float(ends.alpha_f_apical[0, 1]), float(ends.alpha_t_apical[0, 1])
    c_f = float(ends.C_f_apical[0, 1] / mV) + 70
    # <PSP>_f: kernel (e^{-t/10} - e^{-t/3})/7 per ms, averaged over the forward window steps;
    # a step's sample sees spikes of earlier steps (on_pre acts after the state update)
    steps = np.arange(300, 500) * DT

    def kappa(d):
        return (np.exp(-d / 0.010) - np.exp(-d / 0.003)) / 7.0
    psp = [np.mean([np.sum(kappa(s - DT - t[t < s - DT / 2])) for s in steps]) for t in times]
    s_f = sigma(c_f)
    expected = 0.21 * 20 * (60 / 70) * (a_t - a_f) * s_f * (1 - s_f) * np.asarray(psp)
    return np.asarray(syn.w) - 1.0, expected, a_f, a_t


def test_plateau_rule_equals_the_authors_update():
    dw, expected, a_f, a_t = _one_cycle(0 * pA, 50 * pA)
    assert a_t > a_f
    # rk2 on the 3 ms and 10 ms PSP filters with 0.1 ms steps: relative error ~1e-5
    np.testing.assert_allclose(dw, expected, rtol=1e-3)
    assert np.all(dw > 0)


def test_sign_of_hidden_change_is_the_sign_of_the_plateau_difference():
    dw_pos, _, a_f, a_t = _one_cycle(0 * pA, 50 * pA)
    dw_neg, _, b_f, b_t = _one_cycle(50 * pA, 0 * pA)
    assert np.sign(a_t - a_f) == 1 and np.sign(b_t - b_f) == -1
    assert np.all(dw_pos > 0) and np.all(dw_neg < 0)
    # same feedforward input: the change is proportional to the plateau difference
    np.testing.assert_allclose(dw_pos / (a_t - a_f), dw_neg / (b_t - b_f), rtol=1e-6)


def test_feedback_timing_protocol_quick_flips_sign_at_equal_rates():
    summary, _ = run_protocol("feedback-timing", None, backend="numpy", quick=True)
    m = summary["metrics"]
    for variant in ("guerguiev", "payeur"):
        dw = np.asarray(m["dw"][variant])
        assert dw.min() < 0 < dw.max(), variant
    g_off = m["offset_ms"]["guerguiev"]
    # feedback in the forward phase (offset < 0) depresses, in the target phase potentiates
    assert all((d > 0) == (o >= 0) for o, d in zip(g_off, m["dw"]["guerguiev"]))
    # Payeur: potentiation when feedback pairs with the plastic input's volley (offset 0)
    p = dict(zip(m["offset_ms"]["payeur"], m["dw"]["payeur"]))
    assert p[0.0] > 0 and p[-40.0] < 0 and p[80.0] < 0
    # same rates: Payeur exactly (deterministic); Guerguiev Poisson spikes from identical
    # somatic potentials, ~300 spikes each in 2 s, so 4 s.d. ~ 23 %
    assert len(set(m["post_rate_hz"]["payeur"])) == 1
    assert len(set(m["event_rate_hz"])) == 1 and len(set(m["burst_probability"])) == 1
    r = np.asarray(m["post_rate_hz"]["guerguiev"])
    assert r.max() / r.min() < 1.23


def _attach(rule, model=None, compartment="basal"):
    model = model or g_model()
    g = model.build(1)
    gen = SpikeGeneratorGroup(1, [0], [1] * ms)
    return connect(rule, gen, g, model, compartment, "cur", w_scale=10 * pA)


@pytest.mark.parametrize("rule, match", [
    (PlateauRule(eta=-0.1), "eta"), (PlateauRule(w_min=1.0, w_max=-1.0), "w_min = 1.0"),
    (PlateauRule(tau_s=20 * ms), "tau_s"), (PlateauRule(plateau="tuft"), "Unknown compartment 'tuft'")])
def test_bad_parameters_are_refused(rule, match):
    with pytest.raises(ModelError, match=match):
        _attach(rule)


def test_unknown_compartment_missing_mechanism_and_bad_windows_are_refused():
    with pytest.raises(ModelError, match="Unknown compartment 'dendrite'"):
        _attach(PlateauRule(), compartment="dendrite")
    with pytest.raises(ModelError, match="PhasePlateau"):
        _attach(PlateauRule(), model=presets.guerguiev_2017())
    with pytest.raises(ModelError, match="T_int_apical"):
        g_model(T_integrate=60 * ms)
    with pytest.raises(ModelError, match="multiples of 'event_period'"):
        run_protocol("feedback-timing", None, backend="numpy", quick=True,
                     overrides=dict(p_offsets=[0 * ms, 30 * ms]))
