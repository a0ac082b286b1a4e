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
def test_dendritic_prediction_full_protocol_meets_A4():
    """A4: after 100 repetitions corr(V*_w, U_M) >= 0.9 and RMSE reduced by >= 40 %.

    Measured (NEST weight bounds and teacher): seed 1 corr 0.951, RMSE 7.88 -> 4.41 mV
    (-44.0 %); seeds 2-7: -66.4, -53.1, -46.0, -58.3, -55.8, -54.3 %.  The single-repetition
    RMSE still fluctuates (3.0-6.1 mV over the last 50 repetitions at seed 1, mean 4.0 mV).
    """
    summary, _ = run_protocol("dendritic-prediction", None, backend="numpy")
    m = summary["metrics"]
    assert m["corr_vstar_um_last"] >= 0.9
    assert m["rmse_last"] <= 0.6 * m["rmse_first"]


def test_nest_bounds_clip_the_unbounded_weight_integral():
    """bounds='nest': the weight is NEST's clip(w_init + eta int Delta); 'hard' forgets the excess.

    LTD (depolarised dendrite predicts firing, soma clamped silent) drives the unbounded
    weight below w_min = 0, then LTP (hyperpolarised dendrite, soma driven to fire) brings
    it back above.  A third synapse with far-away bounds gives the unbounded integral itself
    (1 pA per unit weight: the weights barely act on the dendrite).
    """
    from brian2 import seed

    seed(11)
    model = us_model()
    g = model.build(1)
    gen = SpikeGeneratorGroup(1, [0] * 100, np.arange(100) * 10 * ms + 5 * ms)
    rules = {"nest": UrbanczikSenn(eta=15.0, w_min=0.0, w_max=10.0),
             "free": UrbanczikSenn(eta=15.0, w_min=-100.0, w_max=100.0),
             "hard": UrbanczikSenn(eta=15.0, w_min=0.0, w_max=10.0, bounds="hard")}
    syns = {k: connect(r, gen, g, model, "dendrite", "cur", w_init=0.05, w_scale=1 * pA,
                       name=k) for k, r in rules.items()}
    mons = {k: StateMonitor(syn, "w", record=0) for k, syn in syns.items()}
    net = Network(g, gen, *syns.values(), *mons.values())
    g.I_ext_dendrite, g.I_ext_soma = 0.47 * nA, -100000 * nA      # V*_w near theta, S = 0
    net.run(600 * ms)
    g.I_ext_dendrite, g.I_ext_soma = -3 * nA, 100 * nA             # phi(V*_w) ~ 0, soma fires
    net.run(400 * ms)
    w = {k: np.asarray(m.w[0]) for k, m in mons.items()}
    assert w["free"].min() < -0.3 and w["free"][-1] > 0.3        # measured -0.80 and 0.71
    # within one time step's change of NEST's clip (measured 3e-4)
    np.testing.assert_allclose(w["nest"], np.clip(w["free"], 0.0, 10.0), atol=1e-3)
    assert w["nest"].min() > -1e-3
    # the hard bound restarts from 0 at once: it ends higher by the excursion below 0
    assert w["hard"][-1] == pytest.approx(w["free"][-1] - w["free"].min(), rel=1e-2)


def test_teacher_conductances_are_nest_spike_trains_through_3_ms_synapses():
    """U_M from the soma's conductances equals the steady-state NEST teacher after its onset."""
    from protocols.dendritic_rules import _steady_teacher

    summary, arrays = run_protocol("dendritic-prediction", None, backend="numpy",
                                   overrides=dict(n_inputs=20, teacher_reps=1, pre_reps=1,
                                                  post_reps=1))
    t, u_m = arrays["t_s"], arrays["u_m_mV"]
    g_e, g_i = _steady_teacher(t, 1e-4, (3e-3, 3e-3), (4.8, 5.4, 18.0), 0.1)
    # about 30.5 times the increments, the sinusoid lagging by ~3 ms
    # recorded before the step's own increment: e^{-1/30} 18 nS/(1 - e^{-1/30})
    assert g_i[0] == pytest.approx(18.0 * np.exp(-1 / 30) / (1 - np.exp(-1 / 30)))
    # 30.5 times the increments, the sinusoid low-passed by the 3 ms synapse
    assert g_e.max() == pytest.approx(np.exp(-1 / 30) * 30.5 * (
        5.4 + 4.8 / np.hypot(1, 2 * np.pi * 0.03)), rel=2e-3)
    expected = (g_e * 0.0 + g_i * -75.0) / (g_e + g_i)
    on = (t >= 0.2 + 0.03) & (t < 0.4)
    np.testing.assert_allclose(u_m[on], expected[on], atol=1e-3)
    off = (t < 0.2) | (t >= 0.4)
    np.testing.assert_allclose(u_m[off], expected[off], atol=1e-12)


def _attach(rule, model=None, compartment="dendrite", channel="cur", w_scale=300 * pA):
    model = model or us_model()
    g = model.build(1)
    gen = SpikeGeneratorGroup(1, [0], [1] * ms)
    return connect(rule, gen, g, model, compartment, channel, w_scale=w_scale)


@pytest.mark.parametrize("rule, match", [
    (UrbanczikSenn(eta=-1.0), "eta"), (UrbanczikSenn(w_min=2.0, w_max=1.0), "w_min = 2.0"),
    (UrbanczikSenn(tau_Delta=0 * ms), "tau_Delta"), (UrbanczikSenn(bounds="soft"), "bounds")])
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
