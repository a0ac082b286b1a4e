"""Voltage-based rules: Clopath et al. 2010 against the authors' code, Bono & Clopath 2017 locally.

The reference is an independent port of ModelDB 144566 (``clopath_reference.py``).
"""

import numpy as np
import pytest
from brian2 import (Network, SpikeGeneratorGroup, StateMonitor, device, mV, ms, nS, pA, second)

from clopath_reference import PAR, aeif_step
from clopath_reference import frequency_dependence as reference_curve
from dendrites import ModelError, presets
from figures.stdp import load_data
from dendrites.plasticity import BonoClopath2017, Clopath2010, connect
from dendrites.plasticity.voltage import (ClopathFilters, LocalVoltageFilters, add_mechanism,
                                         clopath_neuron)
from protocols import Backend, registry
from protocols.stdp_protocols import _first_in_slot, _generator, _kick, author_clopath_neuron

RHOS = [0.1, 10.0, 20.0, 40.0, 50.0]


def run(name, **overrides):
    summary, arrays = registry.run(name, None, backend="numpy", quick=True, overrides=overrides)
    return summary["metrics"], arrays


@pytest.fixture(scope="module")
def reference():
    """The authors' curves for the 5-pair protocol (about 5 s of pure Python)."""
    return reference_curve(RHOS, 10, extra_post=False)


@pytest.fixture(scope="module")
def freq():
    return run("frequency-dependence")[0]


@pytest.fixture(scope="module")
def location():
    return run("location-dependence")[0]


def pair_net(model, pre_times, post_times, dt, rule=None, w_scale=0 * nS):
    """One Clopath neuron, one plastic synapse, forced postsynaptic spikes."""
    post = model.build(1, name="post", dt=dt)
    pre = _generator("pre", [np.asarray(pre_times)], dt)
    trig = SpikeGeneratorGroup(1, [], [] * second, name="trigger")
    kick = _kick(trig, post, [np.asarray(post_times)], dt)
    syn = _first_in_slot(connect(rule or Clopath2010(), pre, post, model, "soma", "ampa",
                                 w_init=0.5, w_scale=w_scale, connect={"j": "i"}))
    return post, syn, Network(post, pre, trig, kick, syn)


# --------------------------------------------------------------------------- filters
@pytest.mark.parametrize("dt", [1 * ms, 0.1 * ms])
def test_filters_are_euler_low_passes_and_an_exact_delay(dt):
    model = author_clopath_neuron(dt)
    post = model.build(1, name="post", dt=dt)
    mon = StateMonitor(post, ["u_soma", "ubar_minus_soma", "ubar_plus_soma",
                              "ubar_minus_del_soma", "ubar_plus_del_soma"], record=0)
    net = Network(post, mon)
    net.run(10 * ms)
    post.I_ext_soma = 150 * pA
    net.run(40 * ms)
    u, k = mon.u_soma[0] / mV, int(round(3 * ms / dt))
    a = float(dt / (10 * ms))
    for name, tau in (("minus", 10 * ms), ("plus", 7 * ms)):
        a = float(dt / tau)
        ubar = getattr(mon, f"ubar_{name}_soma")[0] / mV
        # the same recursion as VoTri.m: ubar(t+1) = u(t)/tau + (1 - 1/tau) ubar(t)
        np.testing.assert_allclose(ubar[1:], a * u[:-1] + (1 - a) * ubar[:-1], atol=1e-9)
        delayed = getattr(mon, f"ubar_{name}_del_soma")[0] / mV
        # n Euler stages of time constant dt copy the signal: an exact 3 ms shift
        np.testing.assert_allclose(delayed[k:], ubar[:-k], atol=1e-9)


@pytest.mark.parametrize("t_post", [20 * ms, 100 * ms, 313 * ms])
def test_spike_clamp_lasts_exactly_2_ms_at_any_time(t_post):
    """Regression: 0.022 s - 0.020 s < 2 ms in floats once gave a 3-step clamp."""
    dt = 1 * ms
    model = author_clopath_neuron(dt)
    post = model.build(1, name="post", dt=dt)
    trig = SpikeGeneratorGroup(1, [], [] * second, name="trigger")
    kick = _kick(trig, post, [np.array([float(t_post)])], dt)
    mon = StateMonitor(post, "u_soma", record=0)
    Network(post, trig, kick, mon).run(t_post + 20 * ms)
    clamped = np.isclose(mon.u_soma[0] / mV, 31.131)
    assert clamped.sum() == 2
    assert np.flatnonzero(clamped)[0] == int(round(t_post / dt))


def test_single_post_pre_pair_matches_the_author_code():
    """LTD of one pair (post at 100 ms, pre at 110 ms) against aEIF.m + VoTri.m."""
    dt = 1 * ms
    post, syn, net = pair_net(author_clopath_neuron(dt), [0.110], [0.100], dt)
    net.run(150 * ms)
    dw = 0.5 - float(syn.w[0])
    u, umd, w, wt, VT, c = [-70.6] * 200, [-70.6] * 201, 0.0, 0.0, -50.4, 0
    A_m, _, _, _, tau_d = PAR
    for t in range(3, 150):
        u[t], w, wt, c, VT = aeif_step(u[t - 1], w, wt, 1e6 if t == 100 else 0.0, c, VT)
        umd[t + 1] = u[t] / tau_d + (1 - 1 / tau_d) * umd[t]
    expected = A_m * (umd[107] - (-70.6))
    # the only difference left is the clamp value (31.131 mV for both steps instead of 29.4 and
    # 32.862 mV) in ubar_minus: measured 0.05 %
    assert dw == pytest.approx(expected, rel=2e-3)
    assert dw > 0


@pytest.mark.parametrize("t_post", [100, 237])
def test_forced_spike_trajectory_matches_aeif_m(t_post):
    """ClampedAdEx: reset, adaptation, after-depolarisation and threshold jump as in aEIF.m."""
    dt = 1 * ms
    model = author_clopath_neuron(dt)
    post = model.build(1, name="post", dt=dt)
    trig = SpikeGeneratorGroup(1, [], [] * second, name="trigger")
    kick = _kick(trig, post, [np.array([t_post * 1e-3])], dt)
    mon = StateMonitor(post, ["u_soma", "w_ad", "z_ad", "V_T"], record=0)
    Network(post, trig, kick, mon).run((t_post + 80) * ms)
    n = t_post + 80
    u, w, z, VT = ([-70.6] * n, [0.0] * n, [0.0] * n, [-50.4] * n)
    c = 0
    for t in range(3, n):
        u[t], w[t], z[t], c, VT[t] = aeif_step(u[t - 1], w[t - 1], z[t - 1],
                                              1e6 if t == t_post else 0.0, c, VT[t - 1])
    assert np.allclose(mon.u_soma[0][t_post:t_post + 2] / mV, 31.131)       # the clamp
    after = slice(t_post + 2, n)                  # from the first step after the clamp on
    # measured: 0.0013 mV, 1e-12 pA, 1e-12 mV (the forced spike no longer drives adaptation)
    np.testing.assert_allclose(mon.u_soma[0][after] / mV, u[after], atol=0.01)
    np.testing.assert_allclose(mon.w_ad[0][after] / pA, w[after], atol=0.01)
    np.testing.assert_allclose(mon.z_ad[0][after] / pA, z[after], atol=1e-6)
    np.testing.assert_allclose(mon.V_T[0][after] / mV, VT[after], atol=1e-6)


def test_sign_regions_in_the_stdp_window():
    m, _ = run("stdp-window")
    dt, dw = np.array(m["dt_ms"]), np.array(m["dw_rel"]["clopath-2010"])
    assert np.all(dw[(dt <= -5) & (dt >= -40)] < -0.01)      # post before pre: LTD
    # without EPSPs the filtered voltage is at rest before the spike at 1 Hz: almost no LTP
    # (measured below 1e-6 of the weight; residues of adaptation from the previous pairing)
    assert np.all(np.abs(dw[dt > 0]) < 1e-4)
    assert dw[dt == 10][0] > dw[dt == -10][0]


# ------------------------------------------------------------ Sjöström protocol (A1, A2)
#: The authors' own plot of FrequencyDependence.m (ModelDB 144566, VoTriCode/screenshot2.png),
#: digitised from the pixels (1 px = 0.34 percentage points): weight change in %.
AUTHOR_PLOT = {"pre_post": [0.1, 2.8, 16.0, 46.5, 64.8],
               "post_pre": [-28.5, -40.5, -39.3, 18.0, 73.2]}


def test_reference_port_reproduces_the_authors_plot():
    """The literal VoTri.m (6th post spike, b = 0.0805 in the code's pA) gives the authors' plot.

    The paper-table b = 80.5 pA does not: post-pre at 40 Hz becomes LTD.
    """
    literal = reference_curve(RHOS, 10, extra_post=True)
    for order in ("pre_post", "post_pre"):
        # measured: at most 0.4 percentage points
        np.testing.assert_allclose(literal[order], AUTHOR_PLOT[order], atol=1.5)
    paper_b = reference_curve([40.0], 10, extra_post=True, b=80.5)
    assert paper_b["post_pre"][0] < 0 < AUTHOR_PLOT["post_pre"][3]     # measured -2.0 %


def test_frequency_dependence_within_5_points_of_the_author_code(freq, reference):
    # A1.  Remaining difference: the clamp value (31.131 mV for both steps instead of 29.4 and
    # 32.862 mV) (measured: at most 0.1 percentage points)
    for order in ("pre_post", "post_pre"):
        np.testing.assert_allclose(freq[f"dw_{order}_pct"], reference[order], atol=5.0)
    assert freq["extra_postsynaptic_spikes"] == 0


def test_continuous_time_limit_stays_within_5_points(reference):
    """dt = 0.1 ms (30-stage delay): the model, not the 1 ms grid, sets the curve.

    Measured: at most 4.1 percentage points (50 Hz), the Euler error of the authors' 1 ms
    step: aEIF.m/VoTri.m stepped at 0.1 ms (2 ms clamp at 31.131 mV, 3 ms delay) give
    43.2/61.0 % (pre-post) and 2.3/43.0 % (post-pre) at 40/50 Hz, as here to 0.1 points.
    """
    m, _ = run("frequency-dependence", dt=0.1 * ms)
    for order in ("pre_post", "post_pre"):
        np.testing.assert_allclose(m[f"dw_{order}_pct"], reference[order], atol=5.0)


def test_repetitions_scale_exactly():
    """Bursts 2 s apart are nearly independent: 3 simulated = 3 x 1 simulated (scaled)."""
    kw = dict(rho_hz=[10.0, 50.0], rep_interval=2 * second)
    one, _ = run("frequency-dependence", simulated_repetitions=1, **kw)
    three, _ = run("frequency-dependence", simulated_repetitions=3, **kw)
    for key in ("dw_pre_post_pct", "dw_post_pre_pct"):
        # 2 s after a burst adaptation has decayed to exp(-1.8 s/144 ms) ~ 4e-6 of its jump;
        # measured relative difference 6e-5
        np.testing.assert_allclose(three[key], one[key], rtol=1e-3, atol=1e-6)


def test_sjostrom_shape_that_the_model_reproduces(freq):
    rho, pre, post = (np.array(freq[k]) for k in ("rho_hz", "dw_pre_post_pct", "dw_post_pre_pct"))
    assert np.all(post[rho <= 20] < 0)                 # post-pre LTD at low rates
    assert post[rho == 50][0] > 0 and pre[rho == 50][0] > 0
    assert np.all(np.diff(pre[rho >= 10]) > 0)         # pre-post rises from 10 Hz on
    d = load_data("sjostrom_2001")
    inside = np.r_[np.abs(pre - 100 * d["dw_pre_post"]) <= 200 * d["err_pre_post"],
                   np.abs(post - 100 * d["dw_post_pre"]) <= 200 * d["err_post_pre"]]
    assert inside.sum() >= 7                           # A2: 7/10 points within 2 s.e.m.


def test_sjostrom_shape_in_full(freq):
    # measured: pre-post 0.0, 2.9, 15.7, 46.4, 65.1 %; post-pre -26.7, -40.9, -40.9, 3.8,
    # 47.2 % (authors' code, 5 pairs: 0.0, 2.9, 15.7, 46.3, 65.0; -26.7, -40.9, -41.0, 3.8, 47.1)
    rho, pre, post = (np.array(freq[k]) for k in ("rho_hz", "dw_pre_post_pct", "dw_post_pre_pct"))
    assert np.all(post[rho >= 40] > 0)
    assert np.all(np.diff(pre) > 0)
    assert np.all(pre[rho >= 10] > 0)
    assert post[rho == 50][0] >= 40 and pre[rho == 50][0] >= 40


@pytest.mark.slow
def test_full_protocol_without_extrapolation(reference):
    """All 15 bursts simulated (150 s of biological time at 1 ms; 0.1 Hz left out: 500 s)."""
    m, _ = run("frequency-dependence", rho_hz=RHOS[1:], simulated_repetitions=0)
    assert m["scale_factor"] == [1.0] * 4
    for order in ("pre_post", "post_pre"):
        np.testing.assert_allclose(m[f"dw_{order}_pct"], reference[order][1:], atol=5.0)


# ---------------------------------------------------------------------- homeostasis
def test_homeostatic_ltd_scales_with_mean_depolarisation_squared():
    from dataclasses import replace

    dt = 1 * ms
    base = author_clopath_neuron(dt)
    soma = base.compartment("soma")
    model = replace(base, compartments=(replace(soma, mechanisms=(
        ClopathFilters(homeostasis=True, tau_hom=100 * ms),)),))
    results = {}
    for homeo in (False, True):
        post, syn, net = pair_net(model, [0.410], [0.400], dt,
                                  rule=Clopath2010(homeostatic=homeo, u_ref_sq=60.0))
        post.I_ext_soma = 100 * pA                     # depolarise ~3 mV before the pair
        mon = StateMonitor(post, "ubarbar_soma", record=0)
        net.add(mon)
        net.run(450 * ms)
        # on_pre at step 410 runs after the neuron's update: it reads the value recorded at 411
        results[homeo] = (0.5 - float(syn.w[0]), float(mon.ubarbar_soma[0][411] / mV))
    (plain, _), (homeo, ubb) = results[False], results[True]
    assert 2 < ubb < 10 and plain > 0
    # A_LTD -> A_LTD ubarbar^2/u_ref^2 at the presynaptic spike (paper Eq. 5)
    assert homeo == pytest.approx(plain * ubb ** 2 / 60.0, rel=1e-6)


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("rule", [Clopath2010, BonoClopath2017])
def test_rules_refuse_bad_parameters(rule):
    model = presets.bono_clopath_2017()
    with pytest.raises(ModelError, match="A_LTD.*zero or positive"):
        rule(A_LTD=-1e-4).spec(model, "distal")
    with pytest.raises(ModelError, match="A_LTP.*zero or positive"):
        rule(A_LTP=-1e-4).spec(model, "distal")
    with pytest.raises(ModelError, match="inverted.*w_min = 1.0.*w_max = 0.5"):
        rule(w_min=1.0, w_max=0.5).spec(model, "distal")
    with pytest.raises(ModelError, match="Unknown compartment 'apical'.*soma, proximal, distal"):
        rule().spec(model, "apical")
    with pytest.raises(ModelError, match="tau_x.*strictly positive"):
        rule(tau_x=0 * ms).spec(model, "distal")


def test_rules_name_the_missing_mechanism():
    g = presets.bono_clopath_2017().build(1, name="post")
    src = SpikeGeneratorGroup(1, [], [] * second)
    with pytest.raises(ModelError, match="LocalVoltageFilters.*'distal'"):
        connect(BonoClopath2017(), src, g, presets.bono_clopath_2017(), "distal")
    model = presets.clopath_2010()
    with pytest.raises(ModelError, match="ClopathFilters.*'soma'"):
        connect(Clopath2010(), src, model.build(1), model, "soma")
    model = clopath_neuron()
    with pytest.raises(ModelError, match=r"ubarbar.*ClopathFilters\(homeostasis=True\)"):
        connect(Clopath2010(homeostatic=True), src, model.build(1), model, "soma")


def test_filters_refuse_bad_values():
    with pytest.raises(ModelError, match="n_delay"):
        clopath_neuron(filters=ClopathFilters(n_delay=-1))
    with pytest.raises(ModelError, match="tau_plus_soma.*strictly positive"):
        clopath_neuron(filters=ClopathFilters(tau_plus=-7 * ms))
    with pytest.raises(ModelError, match="Unknown compartment 'tuft'"):
        add_mechanism(presets.clopath_2010(), "tuft", LocalVoltageFilters())
    with pytest.raises(ModelError, match="dt.*divide the 3 ms"):
        author_clopath_neuron(0.7 * ms)


@pytest.mark.standalone
def test_rule_parameters_change_in_a_standalone_rerun(tmp_path):
    dt = 1 * ms
    model = author_clopath_neuron(dt)
    with Backend("cpp_standalone", build_dir=tmp_path / "build", dt=dt) as be:
        post, syn, net = pair_net(model, [0.110], [0.100], dt)
        mon = StateMonitor(syn, "w", record=0)
        net.add(mon)
        be.run(net, 150 * ms)
        be.finish()
        dw = {14e-5: 0.5 - float(mon.w[0, -1])}
        device.run(directory=str(be.build_dir), with_output=False, run_args={syn.A_LTD: 28e-5})
        dw[28e-5] = 0.5 - float(mon.w[0, -1])
    assert dw[14e-5] > 0
    assert dw[28e-5] == pytest.approx(2 * dw[14e-5], rel=1e-9)   # LTD is linear in A_LTD


# ---------------------------------------------------------- Bono & Clopath (A17)
def test_bono_clopath_ltd_and_ltp_follow_the_local_voltage():
    """One presynaptic spike on a depolarised distal dendrite, LTD and LTP summed from traces."""
    dt = 0.1 * ms
    model = add_mechanism(presets.bono_clopath_2017(), "distal", LocalVoltageFilters())
    post = model.build(2, name="post", dt=dt)
    pre = _generator("pre", [np.array([0.05]), np.array([0.05])], dt)
    syn = _first_in_slot(connect(BonoClopath2017(), pre, post, model, "distal", w_init=0.5,
                                 w_scale=0 * nS, connect={"j": "i"}))
    post.I_ext_distal = [100, 380] * pA          # below / above theta_high (-15 mV)
    mon = StateMonitor(post, ["v_distal", "v_ltd_distal", "v_ltp_distal"], record=True)
    smon = StateMonitor(syn, ["x_trace", "w"], record=True)
    Network(post, pre, syn, mon, smon).run(120 * ms)
    k = int(round(0.05 / float(dt)))
    p = BonoClopath2017()
    relu = lambda x: np.maximum(x, 0)  # noqa: E731
    for n in range(2):
        # on_pre runs after the neuron update of its step: the filter value recorded at k + 1
        ltd = p.A_LTD * relu(mon.v_ltd_distal[n][k + 1] / mV + 69)
        # Euler sum of A_LTP x [v_ltp - theta_low]_+ [v - theta_high]_+ * 1 Hz over the run
        ltp = np.sum(p.A_LTP * smon.x_trace[n] * relu(mon.v_ltp_distal[n] / mV + 69)
                     * relu(mon.v_distal[n] / mV + 15) * float(dt))
        assert float(syn.w[n]) < p.w_max                      # the bound was never reached
        assert float(syn.w[n]) - 0.5 == pytest.approx(ltp - ltd, rel=1e-6, abs=1e-12)
        assert ltd > 0
    assert mon.v_distal[0].max() < -15 * mV and float(syn.w[0]) < 0.5    # LTD only
    assert mon.v_distal[1].max() > -15 * mV and float(syn.w[1]) > 0.5    # LTP wins


def test_location_dependence_proximal_follows_sjostrom(location):
    m = location
    rho = np.array(m["rho_hz"])
    pre, post = (np.array(m["dw_proximal_pct"][k]) for k in ("pre_post", "post_pre"))
    assert np.all(post[rho <= 20] < 0) and np.all(post[rho >= 40] > 0)
    assert np.all(np.diff(pre) > 0) and pre[-1] > 0
    assert m["bap_peak_mV"]["proximal"] > -15 > m["bap_peak_mV"]["distal"]
    # up to 20 Hz the extrapolated changes stay inside the weight bounds; at 40-50 Hz the
    # x15 extrapolation of the authors' Fig2b passes w_max (flagged, measured +162 to +215 %)
    for order in ("pre_post", "post_pre"):
        assert not any(np.array(m["beyond_bounds_proximal"][order])[rho <= 20])
    # the attenuated distal bAP gives no timing-dependent LTP at low rates
    distal = np.array(m["dw_distal_pct"]["pre_post"])
    assert np.all(distal[rho <= 10] <= 1e-9) and np.all(distal[rho <= 10] < pre[rho <= 10])


def test_location_dependence_nmda_spike_gives_ltp_without_somatic_spikes(location):
    m = location
    peak, dw = np.array(m["v_distal_peak_mV"]), np.array(m["dw_distal_coop_pct"])
    assert sum(m["somatic_spikes_coop"]) == 0
    assert np.any(peak > -15) and np.any(peak <= -15)
    assert np.all(dw[peak > -15] > 1.0)                  # NMDA spike: LTP
    assert np.all(np.abs(dw[peak <= -15]) < 1e-9)         # below threshold: no change at all
    assert m["dw_distal_nmda_spike_pct"] > 1.0 and m["dw_distal_subthreshold_pct"] == 0.0
