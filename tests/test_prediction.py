"""Urbanczik-Senn (2014) dendritic prediction: mechanism closed forms, rule sign and fixed point."""

import numpy as np
import pytest
from brian2 import (Network, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, mV, ms, nA, nS, pA,
                    pF, second)

from dendrites import presets
from dendrites.errors import ModelError
from dendrites.plasticity import connect
from dendrites.plasticity.prediction import DendriticPrediction, UrbanczikSenn, nest_eta
from protocols import run as run_protocol
from protocols.dendritic_rules import with_mechanism


def us_model(**params):
    model = with_mechanism(presets.urbanczik_senn_2014(), "dendrite", DendriticPrediction())
    return model.with_params(**params) if params else model


def psp(t, w_scale=300 * pA, g_L=30 * nS, tau_L=10 * ms, tau_s=3 * ms):
    """Dendritic PSP (volt) of one unit of weight: the closed form of C dV/dt = -g_L V + I."""
    return float(w_scale / g_L) * float(tau_s / (tau_L - tau_s)) * (
        np.exp(-t / float(tau_L)) - np.exp(-t / float(tau_s)))


def test_dendritic_prediction_closed_form_and_somatic_fixed_point():
    model = us_model()
    g = model.build(2)
    g.I_ext_dendrite = [300, 900] * pA
    mon = StateMonitor(g, ["v_star_dendrite", "h_star_dendrite", "phi_star_dendrite"], record=True)
    Network(g, mon).run(150 * ms)
    v_d = np.asarray(g.v_dendrite / mV)
    expected = (30 * -70 + 600 * v_d) / 630
    np.testing.assert_allclose(np.asarray(g.v_star_dendrite / mV), expected, rtol=1e-12)
    # without somatic input the soma settles on V*_w: (g_L + g_D) U = g_L E_L + g_D V_w;
    # 150 ms is 15 dendritic time constants, so the residual is < 1e-6 of the 10-30 mV step
    np.testing.assert_allclose(np.asarray(g.v_soma / mV), expected, atol=1e-4)
    # h = d ln(phi)/du: compare with a central difference of the escape-rate function
    u = np.asarray(g.v_star_dendrite / mV)

    def log_phi(x):
        return np.log(150 / (1 + 0.5 * np.exp((-55 - x) / 3)))
    fd = (log_phi(u + 1e-4) - log_phi(u - 1e-4)) / 2e-4
    np.testing.assert_allclose(np.asarray(g.h_star_dendrite * mV), fd, rtol=1e-6)


def test_nest_learning_rate_conversion():
    # 225 eta_NEST C/(w_scale)^2 in pF and pA (see nest_eta's derivation)
    assert nest_eta(0.17, 300 * pF, 300 * pA) == pytest.approx(0.1275)
    assert nest_eta(0.17, 300 * pF, 1 * pA) == pytest.approx(225 * 0.17 * 300)


def _single_pair(spike_current, dend_current=0 * pA, t_pre=20 * ms, t_post=26 * ms):
    """One input spike, then a somatic pulse that forces one spike (or a clamp that forbids it).

    ``phi_max`` is raised to 1 MHz so that a 0.2 ms, 1 uA pulse fires exactly one spike
    (3 ms refractory), and ``theta_phi`` to 0 mV so that phi(V*_w) is ~1e-4 Hz at rest.
    """
    model = us_model(phi_max=1e6 * 1 / second, theta_phi=0 * mV)
    g = model.build(1)
    g.I_ext_dendrite = dend_current
    gen = SpikeGeneratorGroup(1, [0], [t_pre])
    rule = UrbanczikSenn(eta=0.5, w_min=-10.0, w_max=10.0)
    syn = connect(rule, gen, g, model, "dendrite", "cur", w_init=0.0, w_scale=300 * pA)
    spikes = SpikeMonitor(g)
    mon = StateMonitor(g, ["v_star_dendrite", "h_star_dendrite"], record=0)
    net = Network(g, gen, syn, spikes, mon)
    net.run(t_post)
    g.I_ext_soma = spike_current
    net.run(0.2 * ms)
    g.I_ext_soma = 0 * nA
    net.run(1000 * ms)
    return float(syn.w[0]), np.asarray(spikes.t / second), mon


def test_unpredicted_spike_potentiates_by_the_closed_form():
    w, spikes, mon = _single_pair(1000 * nA)
    assert spikes.size == 1
    t_s = spikes[0]
    k = int(round(t_s / 1e-4))
    h = float(mon.h_star_dendrite[0, k] * mV) * 1e3  # 1/volt
    # Delta = h PSP/tau_Delta at the spike, decaying with tau_Delta: integral eta h PSP
    expected = 0.5 * h * psp(t_s - 0.020)
    # rk2 on the 3 ms / 10 ms PSP filters at dt = 0.1 ms: relative error < 1e-4;
    # the phi(V*) term is 1e-4 Hz x 1 s x PSP ~ 1e-9 of the spike term
    assert w > 0
    assert w == pytest.approx(expected, rel=2e-3)


def test_predicted_spike_that_does_not_occur_depresses():
    # a strongly depolarised dendrite predicts firing (phi(V*) high) while the soma is clamped
    # far below threshold: S = 0, so Delta = -phi(V*) h PSP < 0 for the active synapse
    assert _clamped_depression(-100000 * nA) < 0


def _clamped_depression(clamp):
    model = us_model(theta_phi=-30 * mV)
    g = model.build(1)
    g.I_ext_dendrite = 20 * nA     # V_w ~ -70 + 667 mV: phi(V*) saturates at phi_max
    g.I_ext_soma = clamp           # the soma stays far below threshold: no spike
    gen = SpikeGeneratorGroup(1, [0], [20 * ms])
    syn = connect(UrbanczikSenn(eta=0.5, w_min=-10.0, w_max=10.0), gen, g, model, "dendrite",
                  "cur", w_init=0.0, w_scale=300 * pA)
    spikes = SpikeMonitor(g)
    Network(g, gen, syn, spikes).run(300 * ms)
    assert spikes.num_spikes == 0
    return float(syn.w[0])


def test_fixed_point_no_drift_without_teacher():
    """Urbanczik-Senn fixed point: with no somatic input U follows V*_w, so E[S] = phi(V*_w)
    and the expected weight change vanishes; a depolarising teacher makes all weights grow.

    Both neurons see the same 50 inputs at 10 Hz for 4 s.  The no-teacher drift is
    compared with the teacher-driven drift: |mean dw| must be below 20 % of it (its
    Poisson noise, estimated from the spike count, is ~10 %).
    """
    model = us_model()
    g = model.build(2)
    rng = np.random.RandomState(4)
    n, T = 50, 4.0
    times = [np.unique(np.round(rng.uniform(0, T, rng.poisson(10 * T)) / 1e-4)) * 1e-4
             for _ in range(n)]
    gen = SpikeGeneratorGroup(n, np.concatenate([np.full(t.size, k) for k, t in enumerate(times)]),
                              np.concatenate(times) * second)
    syn = connect(UrbanczikSenn(), gen, g, model, "dendrite", "cur", w_init=0.3,
                  w_scale=300 * pA)
    g.g_exc_soma[1:] = 0 * nS
    teacher = g.run_regularly("g_exc_soma = int(i == 1)*300*nS", dt=0.1 * ms)
    Network(g, gen, syn, teacher).run(T * second)
    w, j = np.asarray(syn.w), np.asarray(syn.j)
    drift_free, drift_teacher = w[j == 0].mean() - 0.3, w[j == 1].mean() - 0.3
    assert drift_teacher > 0
    assert abs(drift_free) < 0.2 * drift_teacher


def test_dendritic_prediction_protocol_learns_in_ten_repetitions():
    """Reduced A4 protocol: 10 teacher repetitions; the prediction must already improve."""
    summary, _ = run_protocol("dendritic-prediction", None, backend="numpy",
                              overrides=dict(teacher_reps=10, post_reps=1))
    m = summary["metrics"]
    assert m["corr_vstar_um_last"] > m["corr_vstar_um_first"] + 0.1
    assert m["rmse_last"] < m["rmse_first"]
    # without teacher the soma follows the dendrite to within the 0.5 ms somatic lag
    assert m["max_abs_u_minus_vstar_after_mV"] < 3.0


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="Not met at seed 1: corr 0.955 (>= 0.9 met) but RMSE "
                   "8.02 -> 5.17 mV (-35.5 %, target -40 %); seeds 2 and 3 give -60.8 % and "
                   "-46.5 %; the single-repetition RMSE fluctuates between 3.7 and 5.2 mV late "
                   "in learning")
def test_dendritic_prediction_full_protocol_meets_A4():
    """A4: after 100 repetitions corr(V*_w, U_M) >= 0.9 and RMSE reduced by >= 40 %."""
    summary, _ = run_protocol("dendritic-prediction", None, backend="numpy")
    m = summary["metrics"]
    assert m["corr_vstar_um_last"] >= 0.9
    assert m["rmse_last"] <= 0.6 * m["rmse_first"]


def _attach(rule, model=None, compartment="dendrite", channel="cur", w_scale=300 * pA):
    model = model or us_model()
    g = model.build(1)
    gen = SpikeGeneratorGroup(1, [0], [1] * ms)
    return connect(rule, gen, g, model, compartment, channel, w_scale=w_scale)


@pytest.mark.parametrize("rule, match", [
    (UrbanczikSenn(eta=-1.0), "eta"), (UrbanczikSenn(w_min=2.0, w_max=1.0), "w_min = 2.0"),
    (UrbanczikSenn(tau_Delta=0 * ms), "tau_Delta")])
def test_bad_parameters_are_refused(rule, match):
    with pytest.raises(ModelError, match=match):
        _attach(rule)


def test_unknown_compartment_wrong_channel_and_missing_mechanism_are_refused():
    with pytest.raises(ModelError, match="Unknown compartment 'apical'.*soma, dendrite"):
        _attach(UrbanczikSenn(), compartment="apical")
    with pytest.raises(ModelError, match="current-based"):
        _attach(UrbanczikSenn(channel="exc"), compartment="soma", channel="exc", w_scale=1 * nS)
    with pytest.raises(ModelError, match="DendriticPrediction"):
        _attach(UrbanczikSenn(), model=presets.urbanczik_senn_2014())
