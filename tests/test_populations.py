"""Circuit parts: populations, inputs, drives, the RPE signal and projections (closed forms)."""

from dataclasses import replace

import numpy as np
import pytest
from brian2 import Hz, Network, SpikeMonitor, StateMonitor, Synapses, ms, mV, nS, pA, second

from circuits import (ApicalRule, CurrentDrive, InputLayer, Population, PredictionRule,
                      Projection, RPEInput, RPESignal, SummedCurrent)
from circuits.populations import add_mechanisms
from dendrites import ModelError, presets
from dendrites.mechanisms import EscapeRate
from dendrites.plasticity import TsodyksMarkram
from dendrites.channels import current_channel

PHI_MAX = 200.0   # Hz, the sacramento_2018 preset


def _pyramid(rate_inputs=(), spiking=False):
    """Sacramento preset; spiking gets a current channel 'syn' (5 ms) on both dendrites."""
    model = presets.sacramento_2018("rate")
    if spiking:
        comps = tuple(replace(c, channels=c.channels + (current_channel("syn", 5 * ms),))
                      for c in model.compartments)
        model = replace(model, compartments=comps,
                        spike=EscapeRate(PHI_MAX * Hz, 1.0, 1 / mV, -70 * mV, 0 * ms))
    for comp, name in rate_inputs:
        model = add_mechanisms(model, comp, SummedCurrent(name))
    return model


def test_population_checks_name_size_role_and_model():
    model = _pyramid()
    with pytest.raises(ModelError, match=r"'N of population 'p'' = 0 must be a positive integer"):
        Population("p", model, 0)
    with pytest.raises(ModelError, match=r"name 'my pop' must be a Python identifier"):
        Population("my pop", model, 3)
    with pytest.raises(ModelError, match=r"Unknown population role 'vip'; allowed: pyramidal, "
                                         r"pv, sst"):
        Population("p", model, 3, "vip")
    with pytest.raises(ModelError, match=r"'model' must be a dendrites.NeuronModel, got str"):
        Population("p", "pyramidal", 3)
    pop = Population("p", model, 3)
    group = pop.build()
    assert len(group) == 3 and group.name == "p" and pop.has_rate and not pop.spiking


def test_input_layer_holds_each_pattern_and_low_pass_filters_it():
    patterns = np.array([[0.2, 1.0], [0.8, 0.0]])
    layer = InputLayer("inp", 2, tau=3 * ms)
    group = layer.build(patterns, 50 * ms)
    mon = StateMonitor(group, ["r", "rate"], record=True, dt=1 * ms)
    Network(group, mon).run(100 * ms)
    t = np.asarray(mon.t / ms)
    # closed form of dr/dt = (x - r)/tau from r(0) = 0, then from r(50 ms) to the new pattern
    first = patterns[0][:, None] * (1 - np.exp(-t / 3.0))
    r50 = patterns[0] * (1 - np.exp(-50 / 3.0))
    second = patterns[1][:, None] + (r50[:, None] - patterns[1][:, None]) * np.exp(-(t - 50) / 3.0)
    expected = np.where(t < 50, first, second)
    # exact integration of a linear ODE with a piecewise-constant input: rounding only
    np.testing.assert_allclose(mon.r, expected, atol=1e-9)
    np.testing.assert_allclose(mon.rate / Hz, PHI_MAX * expected, atol=1e-6)


def test_poisson_input_fires_at_its_rate():
    layer = InputLayer("inp", 50, phi_max=100 * Hz, spiking=True)
    group = layer.build()
    group.pattern, group.r = 0.5, 0.5
    spikes = SpikeMonitor(group)
    Network(group, spikes).run(1 * second)
    # 50 neurons x 1 s x 50 Hz = 2500 expected spikes (Bernoulli per step, std <= 50);
    # 4 standard deviations
    assert abs(spikes.num_spikes - 2500) < 200


def test_input_layer_refuses_bad_patterns():
    layer = InputLayer("inp", 3)
    with pytest.raises(ModelError, match=r"'patterns' has shape \(2, 2\); expected "
                                         r"\(n_presentations, 3\)"):
        layer.build(np.zeros((2, 2)), 10 * ms)
    with pytest.raises(ModelError, match=r"pattern values must lie in \[0, 1\]"):
        layer.build(np.full((2, 3), 1.5), 10 * ms)
    with pytest.raises(ModelError, match=r"dt = 1. ms must be at most a fifth of tau_input"):
        layer.build(dt=1 * ms)


def test_current_drive_constant_and_per_presentation():
    pop = Population("p", _pyramid(), 2)
    group = pop.build()
    assert CurrentDrive("apical", [10, 20] * pA).apply(pop, group) == []
    np.testing.assert_allclose(group.I_ext_apical / pA, [10, 20])
    drive = CurrentDrive("soma", np.array([[1.0, 2.0], [3.0, 4.0]]) * pA, 10 * ms)
    ops = drive.apply(pop, group)
    mon = StateMonitor(group, "I_ext_soma", record=True, dt=5 * ms)
    Network(group, mon, *ops).run(20 * ms)
    np.testing.assert_allclose(mon.I_ext_soma / pA, [[1, 1, 3, 3], [2, 2, 4, 4]])
    with pytest.raises(ModelError, match=r"Unknown compartment 'tuft'"):
        CurrentDrive("tuft", 1 * pA).apply(pop, group)
    with pytest.raises(ModelError, match=r"3 currents for 2 neurons"):
        CurrentDrive("soma", [1, 2, 3] * pA).apply(pop, group)


def test_rpe_signal_reaches_linked_groups_and_rule_synapses():
    rpe = RPESignal("rpe", values=[1.0, -0.5], trial=10 * ms)
    source = rpe.build()
    pop = Population("p", add_mechanisms(_pyramid(), "soma", RPEInput()), 2)
    group = pop.build()
    rpe.link(group)
    mon = StateMonitor(group, "RPE", record=0, dt=5 * ms)
    Network(source, group, mon).run(20 * ms)
    np.testing.assert_allclose(mon.RPE[0], [1, 1, -0.5, -0.5])
    constant = RPESignal("rpe2")
    constant.build()
    model = _pyramid(spiking=True)
    post = Population("q", model, 1).build()
    syn = Synapses(post, post, "RPE : 1 (shared)")
    syn.connect()
    constant.set(0.25, syn)
    assert float(constant.group.RPE[:]) == 0.25 and float(syn.RPE[:]) == 0.25
    with pytest.raises(ModelError, match=r"has no linked variable 'RPE'"):
        constant.link(post)


# ---------------------------------------------------------------------------
def _pair(n_pre=3, n_post=2, spiking=False, rate_inputs=()):
    pre = Population("a", _pyramid(spiking=spiking), n_pre)
    post = Population("b", _pyramid(rate_inputs, spiking=spiking), n_post)
    return pre, post


def test_projection_says_where_it_lands_and_refuses_what_cannot_land():
    pre, post = _pair(spiking=True)
    with pytest.raises(ModelError, match=r"Unknown compartment 'tuft'.*allowed: soma, basal, "
                                         r"apical"):
        Projection("x", pre, post, "tuft", "syn")
    with pytest.raises(ModelError, match=r"Unknown channel 'kainate' in compartment 'soma'.*"
                                         r"allowed: ampa, nmda, gaba, syn"):
        Projection("x", pre, post, "soma", "kainate")
    with pytest.raises(ModelError, match=r"weights have shape \(3, 2\); expected \(2, 3\) = "
                                         r"\(N_post, N_pre\)"):
        Projection("x", pre, post, "basal", "syn", np.ones((3, 2)))
    with pytest.raises(ModelError, match=r"one-to-one needs equal sizes; 'a' has 3 neurons, "
                                         r"'b' 2"):
        Projection("x", pre, post, "basal", "syn", connection="one_to_one")
    pv = Population("pv", pre.model, 3, "pv")
    sst = Population("sst", pre.model, 3, "sst")
    with pytest.raises(ModelError, match=r"PV-like population 'pv' targets the soma, not "
                                         r"'apical'"):
        Projection("x", pv, post, "apical", "syn")
    with pytest.raises(ModelError, match=r"SST-like population 'sst' targets dendrites, not the "
                                         r"soma. Allowed: basal, apical"):
        Projection("x", sst, post, "soma", "syn")
    rate_pre, rate_post = _pair()
    with pytest.raises(ModelError, match=r"spike delivery needs a spiking presynaptic"):
        Projection("x", rate_pre, rate_post, "basal", "syn")
    with pytest.raises(ModelError, match=r"short-term plasticity needs spikes"):
        Projection("x", rate_pre, rate_post, "basal", delivery="rate", stp=TsodyksMarkram())
    with pytest.raises(ModelError, match=r"voltage delivery is one-to-one nudging of the soma"):
        Projection("x", rate_pre, rate_post, "basal", delivery="voltage")
    with pytest.raises(ModelError, match=r"soma of 'b' has no Nudging mechanism"):
        Projection("x", rate_pre, Population("b", rate_pre.model, 3), "soma",
                   delivery="voltage", connection="one_to_one")
    with pytest.raises(ModelError, match=r"has no variable 'I_x_basal'.*SummedCurrent\('x'\)"):
        Projection("x", rate_pre, rate_post, "basal", delivery="rate").build(
            rate_pre.build(), rate_post.build())


def test_rate_projection_closed_form_and_spikes_deliver_the_same_mean():
    """A dendrite with leak g_L settles at E_L + W rate w_scale/g_L, spiking or not."""
    W = np.array([[0.5, -1.0, 2.0], [1.0, 0.25, -0.5]])
    rates = np.array([50.0, 100.0, 150.0])
    q = 10 * nS * mV / (PHI_MAX * Hz)           # 1 mV per unit weight at phi = 1
    expected = W @ (rates / PHI_MAX)            # mV above rest
    pre = InputLayer("inp", 3)
    post = Population("b", _pyramid([("basal", "ff")]), 2)
    src, dst = pre.build(), post.build()
    src.pattern = src.r = rates / PHI_MAX
    syn = Projection("ff", pre, post, "basal", weights=W, w_scale=q, delivery="rate").build(
        src, dst)
    Network(src, dst, syn).run(200 * ms)
    # 20 dendritic time constants: the transient is e^-20 of ~1 mV
    np.testing.assert_allclose((dst.v_basal - -70 * mV) / mV, expected, atol=1e-6)
    spre = InputLayer("sinp", 3, spiking=True)
    spost = Population("c", _pyramid(spiking=True), 2)
    s_src, s_dst = spre.build(), spost.build()
    s_src.pattern = s_src.r = rates / PHI_MAX
    ssyn = Projection("sff", spre, spost, "basal", "syn", W, q).build(s_src, s_dst)
    mon = StateMonitor(s_dst, "v_basal", record=True, dt=1 * ms)
    spikes = SpikeMonitor(s_src)
    T = 2.0
    Network(s_src, s_dst, ssyn, mon, spikes).run(T * second)
    mean = (np.asarray(mon.v_basal / mV)[:, 100:] + 70).mean(axis=1)
    counts = np.bincount(spikes.i[spikes.t >= 0.1 * second], minlength=3)
    # each spike moves the dendrite by a kernel of area w q/g_L = w mV/phi_max: the window mean
    # is W counts/(phi_max T); only kernels cut at the window edges (tau 5 + 10 ms) differ,
    # by about w rate 15 ms/(phi_max T) < 0.02 mV here
    np.testing.assert_allclose(mean, W @ counts / (PHI_MAX * (T - 0.1)), atol=0.03)
    # and the expectation: Poisson counts give std sqrt(sum_k W_jk^2 r_k/T)/phi_max (0.1 and
    # 0.05 mV here); 4 standard deviations
    sigma = np.sqrt((W ** 2) @ rates / (T - 0.1)) / PHI_MAX
    assert np.all(np.abs(mean - expected) < 4 * sigma)


@pytest.mark.parametrize("spiking", [False, True])
def test_prediction_rule_closed_form(spiking):
    """dW/dt = eta (phi(u) - phi(v_hat)) phi_pre / ms with v_hat = g_B/(g_L+g_B+g_A) v_B."""
    eta, T = 0.01, 200.0                        # ms
    model = _pyramid(spiking=spiking)
    pre = InputLayer("inp", 1, spiking=spiking)
    post = Population("post", model, 2)
    src, dst = pre.build(), post.build()
    src.pattern, src.r = 0.5, 0.5
    dst.I_ext_basal = 30 * pA                   # v_B = 3 mV
    dst.I_ext_apical = [-20, 20] * pA           # v_A = -/+ 2 mV: error of either sign
    dst.v_basal, dst.v_apical = -67 * mV, dst.E_L_apical + dst.I_ext_apical / (10 * nS)
    dst.v_soma = -70 * mV + (100 * 3 + 80 * np.array([-2, 2])) / 190 * mV
    proj = Projection("p", pre, post, "basal", None if not spiking else "syn", 0.0, 0 * pA * second,
                      "rate" if not spiking else "spikes", rule=PredictionRule(eta))
    if not spiking:
        post = Population("post", _pyramid([("basal", "p")]), 2)
        dst2 = post.build()
        dst2.I_ext_basal, dst2.I_ext_apical = dst.I_ext_basal[:], dst.I_ext_apical[:]
        dst2.v_basal, dst2.v_apical, dst2.v_soma = dst.v_basal[:], dst.v_apical[:], dst.v_soma[:]
        dst = dst2
        proj = replace(proj, post=post)
    syn = proj.build(src, dst)
    spikes = SpikeMonitor(src) if spiking else None
    Network(src, dst, syn, *([spikes] if spiking else [])).run(T * ms)
    phi = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    u = (100 * 3 + 80 * np.array([-2, 2])) / 190
    err = phi(u) - phi(100 / 190 * 3)
    order = np.argsort(syn.j[:])
    dw = np.asarray(syn.w[:])[order]
    if spiking:   # each presynaptic spike adds eta err/(phi_max ms)
        expected = eta * err * spikes.num_spikes / (PHI_MAX * 1e-3)
    else:
        expected = eta * err * 0.5 * T
    # the neurons start at their fixed point (exact for rk2 up to rounding)
    np.testing.assert_allclose(dw, expected, rtol=1e-6)
    assert dw[0] < 0 < dw[1]


def test_apical_rule_closed_form_and_refuses_the_soma():
    eta, T = 0.002, 100.0
    pre = InputLayer("inp", 1)
    post = Population("post", _pyramid([("apical", "pi")]), 2)
    src, dst = pre.build(), post.build()
    src.pattern, src.r = 1.0, 1.0
    dst.I_ext_apical = [-30, 15] * pA           # v_A = -3, +1.5 mV
    dst.v_apical = dst.E_L_apical + dst.I_ext_apical / (10 * nS)
    syn = Projection("pi", pre, post, "apical", weights=0.0, w_scale=0 * pA * second,
                     delivery="rate", rule=ApicalRule(eta)).build(src, dst)
    Network(src, dst, syn).run(T * ms)
    dw = np.asarray(syn.w[:])[np.argsort(syn.j[:])]
    np.testing.assert_allclose(dw, eta * np.array([3.0, -1.5]) * T, rtol=1e-9)
    with pytest.raises(ModelError, match=r"silences a dendrite; compartment 'soma' is not one"):
        Projection("pi", pre, post, "soma", weights=0.0, delivery="rate", rule=ApicalRule())


def test_spike_projection_with_short_term_plasticity_and_a_rule_builds():
    pre, post = _pair(spiking=True)
    syn = Projection("x", pre, post, "apical", "syn", 0.5, 1 * pA * second,
                     stp=TsodyksMarkram(), rule=ApicalRule()).build(pre.build(), post.build())
    assert {"x_stp", "uf_stp", "eta", "tau_eta"} <= set(syn.variables)
    assert len(syn) == 6
