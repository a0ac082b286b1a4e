"""Four-factor, AGREL and node-perturbation rules: closed forms, sign regions and bad input."""

import gc
from dataclasses import replace

import brian2
import numpy as np
import pytest
from brian2 import (Hz, Network, NeuronGroup, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, mV,
                    ms, nS, pA, pF, second)

from dendrites import Compartment, ModelError, NeuronModel, presets
from dendrites.channels import ampa
from dendrites.mechanisms import EscapeRate, IntegrateAndFire
from dendrites.plasticity import AGREL, FourFactor, NodePerturbation, connect
from dendrites.plasticity.modulated import (FeedbackGate, FeedbackWeight, Perturbation, RateTrace,
                                            expansive, set_delta, set_feedback_weight, set_gate)

# At rest (-70 mV) the escape rate is phi_max/(1 + exp(0)) = 50 Hz exactly, and with
# w_scale = 0 nothing moves the neurons away from rest: f_post is a known constant.
PHI_REST = 50.0
N_SPIKES = 5


def _model(apical=(), soma=()):
    base = presets.pyramidal(2, spike=EscapeRate(100 * Hz, 1.0, 1 / mV, -70 * mV, 2 * ms))
    extra = {"apical": tuple(apical), "soma": tuple(soma)}
    comps = tuple(replace(c, mechanisms=c.mechanisms + extra[c.name]) for c in base.compartments)
    return replace(base, compartments=comps)


def _source(n=1):
    """*n* presynaptic neurons, each firing N_SPIKES spikes at 1, 2, ... ms."""
    times = np.tile(np.arange(1, N_SPIKES + 1), n) * ms
    return SpikeGeneratorGroup(n, np.repeat(np.arange(n), N_SPIKES), times)


def _pairs(post):
    return dict(i=np.zeros(len(post), int), j=np.asarray(post))


# ------------------------------------------------------------------- four-factor
def test_four_factor_closed_form_sign_follows_rpe_and_size_follows_gate():
    model = _model(apical=(FeedbackGate(),))
    fb = np.array([0, 0.25, 0.5, 1.0])
    rpes = (-1.0, 0.5)
    group = model.build(2 * fb.size)
    set_gate(group, np.tile(fb, 2))
    src = _source()
    rule = FourFactor(eta=0.01, nu_ref=100 * Hz)
    syns = []
    for r, rpe in enumerate(rpes):
        syn = connect(rule, src, group, model, "apical", "ampa",
                      w_scale=0 * nS, connect=_pairs(np.arange(fb.size) + r * fb.size))
        syn.RPE = rpe
        syns.append(syn)
    Network(group, src, *syns).run(10 * ms)
    for r, (syn, rpe) in enumerate(zip(syns, rpes)):
        expected = 0.01 * N_SPIKES * rpe * fb * PHI_REST / 100.0
        # only floating-point rounding separates the simulation from the closed form
        np.testing.assert_allclose(np.asarray(syn.w) - 0.5, expected, rtol=1e-10, atol=1e-15)
        assert np.all(np.sign(np.asarray(syn.w)[fb > 0] - 0.5) == np.sign(rpe))


def test_four_factor_constant_gate_and_rate_trace():
    """A constant FB needs no gate mechanism; f_post can be the RateTrace nu_soma."""
    lif = presets.pyramidal(2, spike=IntegrateAndFire(-50 * mV, -65 * mV, 2 * ms))
    soma = replace(lif.compartments[0], mechanisms=(RateTrace(50 * ms),))
    model = replace(lif, compartments=(soma,) + lif.compartments[1:])
    group = model.build(1)
    group.nu_soma = 20 * Hz
    src = _source()
    syn = connect(FourFactor(eta=0.02, f_post="nu_soma", nu_ref=10 * Hz, FB=0.5), src, group,
                  model, "soma", "ampa", w_scale=0 * nS)
    syn.RPE = -1
    Network(group, src, syn).run(N_SPIKES * ms + 0.5 * ms)
    # nu decays from 20 Hz with tau 50 ms (the neuron stays at rest); the spike at k ms is
    # processed after that step's state update, so it sees nu(k ms + dt)
    nu = 20 * np.exp(-(np.arange(1, N_SPIKES + 1) + 0.1) / 50.0)
    assert float(syn.w[0]) - 0.5 == pytest.approx(-0.02 * 0.5 * np.sum(nu) / 10, rel=1e-6)


def test_rate_trace_mean_is_the_firing_rate():
    lif = presets.pyramidal(2, spike=IntegrateAndFire(-50 * mV, -65 * mV, 2 * ms))
    soma = replace(lif.compartments[0], mechanisms=(RateTrace(100 * ms),))
    model = replace(lif, compartments=(soma,) + lif.compartments[1:])
    group = model.build(1, dt=0.05 * ms)
    group.I_ext_soma = 400 * pA
    spikes = SpikeMonitor(group)
    mon = StateMonitor(group, "nu_soma", record=0)
    Network(group, spikes, mon).run(1500 * ms)
    t = np.asarray(spikes.t / second)
    rate = np.sum(t > 0.5) / 1.0
    late = np.asarray(mon.t / second) > 0.5
    # regular firing: the trace's mean over whole periods equals the rate; 1 % covers the
    # partial period at the end of the window
    assert float(np.mean(mon.nu_soma[0][late] / Hz)) == pytest.approx(rate, rel=0.01)


@pytest.mark.parametrize("kwargs, match", [
    (dict(eta=-0.1), r"'eta' = -0\.1 must be zero or positive"),
    (dict(FB=1.5), r"'FB' = 1\.5 must lie in \[0, 1\]"),
    (dict(FB=-0.2), r"'FB' = -0\.2 must lie in \[0, 1\]"),
    (dict(w_min=1.0, w_max=0.0), r"inverted .* w_min = 1\.0 must be below w_max = 0\.0"),
    (dict(gate="tuft"), r"Unknown compartment 'tuft'.*allowed: soma, apical"),
])
def test_four_factor_refuses_bad_parameters(kwargs, match):
    model = _model(apical=(FeedbackGate(),))
    group = model.build(1)
    with pytest.raises(ModelError, match=match):
        connect(FourFactor(**kwargs), _source(), group, model, "apical", "ampa")


def test_four_factor_refuses_missing_compartment_gate_and_bad_gate_values():
    model = _model(apical=(FeedbackGate(),))
    group = model.build(2)
    with pytest.raises(ModelError, match=r"Unknown compartment 'basal'"):
        connect(FourFactor(), _source(), group, model, "basal", "ampa")
    plain = _model()
    with pytest.raises(ModelError, match=r"reads 'fb_apical'.*add FeedbackGate\(\)"):
        connect(FourFactor(), _source(), plain.build(1), plain, "apical", "ampa")
    with pytest.raises(ModelError, match=r"'FB' = .* must lie in \[0, 1\]"):
        set_gate(group, [0.5, 1.2])
    with pytest.raises(ModelError, match=r"'fb_apical' = 2 must lie in \[0, 1\]"):
        _model(apical=(FeedbackGate(2),))
    with pytest.raises(ModelError, match=r"reads 'nu_soma'.*RateTrace"):
        connect(FourFactor(f_post="nu_soma"), _source(), group, model, "apical", "ampa")


# ------------------------------------------------------------------------ AGREL
def test_expansive_function_and_delta_checks():
    # f(delta) = delta/(1 - delta) when rewarded, f(-1) = -1 (Roelfsema & van Ooyen 2005)
    np.testing.assert_allclose(expansive(0.5), 1.0)
    np.testing.assert_allclose(expansive(0.9), 9.0)
    np.testing.assert_allclose(expansive(0.0), 0.0)
    np.testing.assert_allclose(expansive(-1.0), -1.0)
    with pytest.raises(ModelError, match=r"'delta' = 1\.0 must be one number in \[-1, 1\)"):
        expansive(1.0)
    with pytest.raises(ModelError, match=r"'delta' = -1\.5"):
        set_delta(None, -1.5)


def test_agrel_sign_is_sign_of_delta_times_feedback_weight():
    model = _model(apical=(FeedbackWeight(),))
    w_fb = np.array([-1.0, -0.5, 0.5, 1.0])
    deltas = (-1.0, 0.5)
    group = model.build(2 * w_fb.size)
    set_feedback_weight(group, np.tile(w_fb, 2))
    src = _source()
    rule = AGREL(beta=0.01)
    syns = []
    for r, delta in enumerate(deltas):
        syn = connect(rule, src, group, model, "apical", "ampa", w_scale=0 * nS,
                      connect=_pairs(np.arange(w_fb.size) + r * w_fb.size))
        set_delta(syn, delta)
        syns.append(syn)
    Network(group, src, *syns).run(10 * ms)
    y = PHI_REST / 100.0
    for syn, delta in zip(syns, deltas):
        dw = np.asarray(syn.w) - 0.5
        expected = 0.01 * expansive(delta) * y * (1 - y) * w_fb * N_SPIKES
        np.testing.assert_allclose(dw, expected, rtol=1e-10)
        np.testing.assert_array_equal(np.sign(dw), np.sign(delta * w_fb))


def test_agrel_refuses_bad_input():
    model = _model(apical=(FeedbackWeight(),))
    group = model.build(1)
    with pytest.raises(ModelError, match=r"'beta' = -1 must be zero or positive"):
        connect(AGREL(beta=-1), _source(), group, model, "apical", "ampa")
    with pytest.raises(ModelError, match=r"Unknown compartment 'tuft'"):
        connect(AGREL(feedback="tuft"), _source(), group, model, "apical", "ampa")
    with pytest.raises(ModelError, match=r"inverted"):
        connect(AGREL(w_min=0.5, w_max=0.5), _source(), group, model, "apical", "ampa")
    plain = _model()
    with pytest.raises(ModelError, match=r"reads 'wfb_apical'.*FeedbackWeight\(\)"):
        connect(AGREL(), _source(), plain.build(1), plain, "apical", "ampa")


# ------------------------------------------------------------- node perturbation
def _np_setup(n, sigma=0.5, eta=0.01, bounds=(0.0, 1.0), alpha=0.0, period=None):
    """Passive one-compartment neurons with a held perturbation (cheap to simulate)."""
    soma = Compartment("soma", 100 * pF, 10 * nS, channels=(ampa(),),
                       mechanisms=(Perturbation(sigma, 50 * pA),))
    model = NeuronModel("np-test", (soma,))
    group = model.build(n)
    if period is None:
        src = _source()
    else:   # one spike per period, the first at period/2
        src = NeuronGroup(1, "dx/dt = 1/period_src : 1", threshold="x > 1", reset="x -= 1",
                          method="euler", namespace=dict(period_src=period))
        src.x = 0.5
    rule = NodePerturbation(eta=eta, alpha=alpha, w_min=bounds[0], w_max=bounds[1])
    syn = connect(rule, src, group, model, "soma", "ampa", w_scale=0 * nS,
                  w_init=0.5 if period is None else 0.0)
    return model, group, src, rule, syn


def test_node_perturbation_single_trial_closed_form_and_sign_regions():
    _, group, src, rule, syn = _np_setup(4)
    xi = np.array([-0.6, -0.2, 0.3, 0.8])
    group.pert_soma = xi
    Network(group, src, syn).run(10 * ms)
    np.testing.assert_allclose(syn.elig[:], N_SPIKES * xi, rtol=1e-12)
    syn.R_bar = 0.4
    rule.reward(syn, 1.0)   # R - R_bar = +0.6
    dw = np.asarray(syn.w) - 0.5
    np.testing.assert_allclose(dw, 0.01 * 0.6 * N_SPIKES * xi / 0.5 ** 2, rtol=1e-10)
    np.testing.assert_array_equal(np.sign(dw), np.sign(xi))    # (R - R_bar) > 0
    assert np.all(syn.elig[:] == 0)
    rule.reward(syn, 0.0)   # no eligibility left: no change
    np.testing.assert_allclose(np.asarray(syn.w) - 0.5, dw, rtol=1e-12)


def test_node_perturbation_is_injected_as_a_current():
    model, group, *_ = _np_setup(2)
    group.pert_soma = [1.0, -2.0]
    Network(group).run(300 * ms)
    C, A = model.passive_system()
    for k, xi in enumerate((1.0, -2.0)):
        expected = 50e-12 * xi / C[0] / A[0, 0] * 1e3 - 70
        # 300 ms is 30 membrane time constants: steady state to < 1e-9 relative
        assert float(group.v_soma[k] / mV) == pytest.approx(expected, abs=1e-6)


def test_node_perturbation_expected_update_is_the_gradient():
    """R = a . xi + c: E[dw_j] = eta dR/dxi_j = eta a_j (one presynaptic spike per trial)."""
    rng = np.random.default_rng(3)
    n, trials, sigma, eta = 8, 300, 0.5, 0.01
    a = rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 1.5, n)
    _, group, src, rule, syn = _np_setup(n, sigma, eta, bounds=(-1e6, 1e6), period=5 * ms)
    syn.R_bar = 2.0                              # the baseline is E[R] = c
    net = Network(group, src, syn)
    net.run(2.5 * ms)                            # the source's first spike falls in trial 1
    steps = np.zeros((trials, n))
    gc.freeze()   # Network.run calls gc.collect(); freezing the heap makes 300 runs cheap
    try:
        for t in range(trials):
            xi = sigma * rng.standard_normal(n)
            group.pert_soma = xi
            w_before = np.asarray(syn.w).copy()
            net.run(5 * ms)                          # exactly one presynaptic spike
            rule.reward(syn, float(a @ xi) + 2.0)
            steps[t] = (np.asarray(syn.w) - w_before)[np.argsort(syn.j)] / eta
    finally:
        gc.unfreeze()
    mean = steps.mean(axis=0)
    # per trial the estimate has variance |a|^2 + a_j^2 (Gaussian moments); the mean of
    # 300 trials is within 4.5 standard errors of a_j (two-sided p < 1e-5 per neuron)
    se = np.sqrt((a @ a + a ** 2) / trials)
    assert np.all(np.abs(mean - a) < 4.5 * se)
    # the variance grows with the number of perturbed neurons (Werfel et al. 2005): pooled
    # over 8 x 300 samples, var/(|a|^2 + a_j^2) is 1 within 15 % (heavy-tailed products)
    ratio = steps.var(axis=0) / (a @ a + a ** 2)
    assert ratio.mean() == pytest.approx(1.0, abs=0.15)


def test_node_perturbation_refuses_bad_input():
    model = _model(soma=(Perturbation(),))
    group = model.build(1)
    with pytest.raises(ModelError, match=r"'eta' = -0\.5 must be zero or positive"):
        connect(NodePerturbation(eta=-0.5), _source(), group, model, "apical", "ampa")
    with pytest.raises(ModelError, match=r"Unknown compartment 'basal'"):
        connect(NodePerturbation(perturbed="basal"), _source(), group, model, "apical", "ampa")
    with pytest.raises(ModelError, match=r"inverted"):
        connect(NodePerturbation(w_min=2.0), _source(), group, model, "apical", "ampa")
    with pytest.raises(ModelError, match=r"'alpha' = 1\.5 must lie in \[0, 1\]"):
        connect(NodePerturbation(alpha=1.5), _source(), group, model, "apical", "ampa")
    with pytest.raises(ModelError, match=r"'sigma_pert_soma' = 0 must be strictly positive"):
        _model(soma=(Perturbation(sigma=0),))
    plain = _model()
    with pytest.raises(ModelError, match=r"reads 'pert_soma'.*Perturbation\(\)"):
        connect(NodePerturbation(), _source(), plain.build(1), plain, "apical", "ampa")


# -------------------------------------------------------------- standalone re-run
@pytest.mark.slow
@pytest.mark.standalone
def test_rule_parameters_change_in_a_standalone_rerun(tmp_path):
    """eta, FB, beta (and the Sacramento eta) are run_args of one compiled project."""
    from brian2 import device

    from dendrites.plasticity import SacramentoBasal
    from protocols import Backend

    base = presets.sacramento_2018("rate")
    apical = replace(base.compartments[2], mechanisms=(FeedbackGate(), FeedbackWeight(1.0)))
    model = replace(base, compartments=base.compartments[:2] + (apical,),
                    spike=EscapeRate(200 * Hz, 1.0, 1 / mV, -70 * mV, 2 * ms))
    with Backend("cpp_standalone", build_dir=tmp_path / "build", seed=1) as be:
        group = model.build(1)
        group.I_ext_basal = 20 * pA
        group.I_ext_apical = 30 * pA
        src = SpikeGeneratorGroup(1, np.zeros(N_SPIKES, int), (200 + np.arange(N_SPIKES)) * ms)
        ff = connect(FourFactor(eta=0.01, FB=0.5), src, group, model, "basal", "ampa",
                     w_scale=0 * nS, name="ff")
        ff.RPE = 1.0
        ag = connect(AGREL(beta=0.01), src, group, model, "basal", "ampa", w_scale=0 * nS,
                     name="ag")
        ag.delta = 0.5
        sac = connect(SacramentoBasal(eta=0.01), src, group, model, "basal", "ampa",
                      w_scale=0 * nS, name="sac")
        be.run(Network(group, src, ff, ag, sac), 210 * ms)
        device.build(directory=str(be.build_dir), compile=True, run=True, with_output=False)
        first = [float(s.w[0]) - 0.5 for s in (ff, ag, sac)]
        device.run(directory=str(be.build_dir), with_output=False,
                   run_args={ff.eta: 0.02, ff.FB: 0.25, ag.beta: 0.03, sac.eta: 0.005})
        second = [float(s.w[0]) - 0.5 for s in (ff, ag, sac)]
    assert all(abs(d) > 1e-6 for d in first)
    # the activity is deterministic (the escape-rate spikes feed nothing back), so each
    # update scales exactly with its parameters: 2 x 0.5, 3 and 0.5
    np.testing.assert_allclose(np.array(second) / np.array(first), [1.0, 3.0, 0.5], rtol=1e-9)


def test_ornstein_uhlenbeck_perturbation_has_the_stated_spread():
    brian2.seed(12345)
    soma = Compartment("soma", 100 * pF, 10 * nS, mechanisms=(Perturbation(0.5, 0 * pA, 5 * ms),))
    group = NeuronModel("ou-test", (soma,)).build(2000)
    Network(group).run(50 * ms)   # 10 correlation times from pert = 0: variance at 1 - e^-20
    # 2000 independent samples: the sample variance has a relative s.e. of sqrt(2/2000) = 3 %;
    # 15 % is five standard errors
    assert float(np.var(group.pert_soma[:])) == pytest.approx(0.25, rel=0.15)
    assert abs(float(np.mean(group.pert_soma[:]))) < 5 * 0.5 / np.sqrt(2000)
