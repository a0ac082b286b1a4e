"""The neuron library: reproducible equations, validation, and analytic checks (numpy backend)."""

import warnings

import numpy as np
import pytest
from brian2 import (Hz, Network, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, Synapses, mmolar,
                    mV, ms, nS, pA, pF, second)

from dendrites import (Compartment, Coupling, DtWarning, ModelError, NeuronModel, channels, mechanisms,
                       presets)
from protocols.analysis import exp_decay_tau
from protocols.backend import Backend

# Every preset, plus the variants reachable through arguments.
MODELS = {name: factory for name, factory in presets.PRESETS.items()}
MODELS.update({
    "sacramento-2018-passive": lambda: presets.sacramento_2018("passive"),
    "payeur-2021-noise": lambda: presets.payeur_2021(noise=(100 * pA, 100 * pA, 5 * ms)),
    "clopath-2010-3c": lambda: presets.clopath_2010(3),
    "clopath-2010-4c": lambda: presets.clopath_2010(4),
    "pyramidal-2": lambda: presets.pyramidal(2),
    "pyramidal-3": lambda: presets.pyramidal(3),
    "pyramidal-4": lambda: presets.pyramidal(4),
})

# Below a fifth of every preset's smallest time constant (0.476 ms in Urbanczik & Senn).
DT = 0.025 * ms


def soma_only(C=100 * pF, g_L=10 * nS, E_L=-70 * mV, channels=(), mechanisms=(), spike=None,
              name="one-compartment"):
    return NeuronModel(name, (Compartment("soma", C, g_L, E_L, channels, mechanisms),),
                       (), spike)


# --------------------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("name", sorted(MODELS))
def test_same_model_twice_gives_identical_equations(name):
    a, b = MODELS[name](), MODELS[name]()
    assert str(a.equations) == str(b.equations)
    assert str(a) == str(b)
    assert a.threshold == b.threshold and a.reset == b.reset
    with Backend("numpy", dt=DT):
        ga, gb = a.build(1, dt=DT), b.build(1, dt=DT)
        assert str(ga.equations) == str(gb.equations)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_preset_builds_and_runs_without_nan(name):
    model = MODELS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DtWarning)  # DT is fine for every preset
        with Backend("numpy", seed=3, dt=DT) as be:
            group = model.build(2, dt=DT)
            group.I_ext_soma = [0, 200] * pA
            mon = StateMonitor(group, sorted(group.user_equations.diff_eq_names), record=True)
            be.run(Network(group, mon), 5 * ms)
            be.finish()
            for var in group.user_equations.names:
                values = np.asarray(getattr(group, var)[:])
                assert np.all(np.isfinite(values)), (name, var, values)
            for var in mon.record_variables:
                assert np.all(np.isfinite(np.asarray(getattr(mon, var)))), (name, var)
            assert np.all(np.isfinite(np.asarray(group.v_soma[:])))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_parameters_are_shared_constant_state_variables(name):
    model = MODELS[name]()
    with Backend("numpy", dt=DT):
        group = model.build(3, dt=DT)
        params = model.parameters()
        assert params, name
        for key, value in params.items():
            var = group.variables[key]
            assert var.constant, key
            assert var.scalar, key
            np.testing.assert_allclose(float(getattr(group, key)[:]), float(value), rtol=1e-12)
        # the state (voltages, currents) is per neuron and not constant
        assert not group.variables["v_soma"].scalar
        assert not group.variables["I_ext_soma"].constant


def test_build_params_and_with_params_set_the_values():
    model = presets.pyramidal(3).with_params(C_soma=200 * pF)
    assert model.parameters()["C_soma"] == 200 * pF
    with Backend("numpy", dt=DT):
        group = model.build(1, dt=DT, params={"g_soma_basal": 50 * nS})
        assert float(group.C_soma[:]) == pytest.approx(200e-12)
        assert float(group.g_soma_basal[:]) == pytest.approx(50e-9)
    # with_params returns a copy; the original is unchanged
    assert presets.pyramidal(3).parameters()["C_soma"] == 100 * pF


# --------------------------------------------------------------------------- validation
def test_negative_capacitance():
    with pytest.raises(ModelError, match=r"'C_soma' = -1\. pF.*strictly positive"):
        soma_only(C=-1 * pF)
    with pytest.raises(ModelError, match=r"'C_soma' = -3\. pF"):
        presets.pyramidal(3).with_params(C_soma=-3 * pF)


def test_zero_capacitance():
    with pytest.raises(ModelError, match=r"'C_soma' = 0\..*strictly positive"):
        soma_only(C=0 * pF)


def test_zero_leak():
    with pytest.raises(ModelError, match=r"'g_L_soma' = 0\..*strictly positive"):
        soma_only(g_L=0 * nS)
    with pytest.raises(ModelError, match=r"'g_L_basal' = 0\."):
        presets.pyramidal(3).build(1, dt=DT, params={"g_L_basal": 0 * nS})


def test_negative_coupling_conductance():
    comps = (Compartment("soma", 100 * pF, 10 * nS), Compartment("dend", 100 * pF, 10 * nS))
    with pytest.raises(ModelError, match=r"'g_soma_dend' = -1\. nS.*zero or positive"):
        NeuronModel("m", comps, (Coupling("soma", "dend", -1 * nS),))
    with pytest.raises(ModelError, match=r"'g_soma_basal' = -5\. nS"):
        presets.pyramidal(3).with_params(g_soma_basal=-5 * nS)


def test_zero_coupling_is_allowed():
    """Guerguiev et al. (2017): the apical dendrite is segregated from the soma (g_A = 0)."""
    model = presets.get("guerguiev-2017")
    assert float(model.parameters()["g_apical_soma"]) == 0
    comps = (Compartment("soma", 100 * pF, 10 * nS), Compartment("dend", 100 * pF, 10 * nS))
    m = NeuronModel("m", comps, (Coupling("soma", "dend", 0 * nS),))
    with Backend("numpy", dt=0.1 * ms) as be:
        group = m.build(1, dt=0.1 * ms)
        group.I_ext_dend = 100 * pA
        be.run(Network(group), 20 * ms)
        assert float(group.v_soma[0] / mV) == pytest.approx(-70)   # nothing reaches the soma
        assert float(group.v_dend[0] / mV) > -65


def test_unknown_compartment():
    model = presets.pyramidal(3)
    with pytest.raises(ModelError, match=r"Unknown compartment 'tuft'.*soma, basal, apical"):
        model.on_pre("ampa", "tuft")
    with pytest.raises(ModelError, match=r"Unknown compartment 'nowhere'"):
        model.channel("ampa", "nowhere")
    comps = (Compartment("soma", 100 * pF, 10 * nS),)
    with pytest.raises(ModelError, match=r"Unknown compartment 'dend'"):
        NeuronModel("m", comps, (Coupling("soma", "dend", 1 * nS),))


def test_unknown_channel():
    with pytest.raises(ModelError, match=r"Unknown channel 'kainate'.*basal.*ampa, nmda, gaba"):
        presets.pyramidal(3).on_pre("kainate", "basal")
    with pytest.raises(ModelError, match=r"Unknown channel 'nmda'.*apical"):
        presets.payeur_2021().channel("nmda", "apical")


def test_unknown_preset():
    with pytest.raises(ModelError, match=r"Unknown preset 'hodgkin-huxley'.*payeur-2021"):
        presets.get("hodgkin-huxley")


def test_wrong_dimensions():
    with pytest.raises(ModelError, match=r"'C_soma' = 100\. mV has the wrong dimensions.*F"):
        soma_only(C=100 * mV)
    with pytest.raises(ModelError, match=r"'g_L_soma' = 10\. pF has the wrong dimensions"):
        soma_only(g_L=10 * pF)
    with pytest.raises(ModelError, match=r"'tau_ampa_soma' = 5\. mV has the wrong dimensions"):
        presets.pyramidal(3).with_params(tau_ampa_soma=5 * mV)
    with pytest.raises(ModelError, match=r"'C_soma' = 3\. mV has the wrong dimensions"):
        presets.pyramidal(3).build(1, dt=DT, params={"C_soma": 3 * mV})


def test_missing_soma():
    with pytest.raises(ModelError, match=r"needs a compartment named 'soma'.*'dend'"):
        NeuronModel("m", (Compartment("dend", 100 * pF, 10 * nS),))


def test_unknown_parameter_with_hint():
    model = presets.pyramidal(3)
    with pytest.raises(ModelError, match=r"Unknown parameter 'g_L_som'.*Did you mean g_L_soma"):
        model.with_params(g_L_som=3 * nS)
    with pytest.raises(ModelError, match=r"Unknown parameter 'C_somma'.*Did you mean C_soma"):
        model.build(1, dt=DT, params={"C_somma": 3 * pF})


def test_dt_at_or_above_smallest_time_constant_is_refused():
    model = presets.pyramidal(3)
    taus = model.time_constants()
    smallest = min(taus.values(), key=float)
    # fastest eigenmode of the passive 3-compartment system: 0.355 ms
    assert float(smallest) == pytest.approx(1 / np.max(np.linalg.eigvals(
        model.passive_system()[1]).real))
    for dt in (smallest, 2 * smallest, 1 * ms):
        with pytest.raises(ModelError, match=r"'dt' = .*fastest passive eigenmode"):
            model.check_dt(dt)
    with pytest.raises(ModelError, match=r"'dt' = 5\. ms.*tau_ampa"):
        presets.payeur_2021().build(1, dt=5 * ms)


def test_dt_above_a_fifth_warns_naming_the_constant():
    model = presets.pyramidal(3)
    with pytest.warns(DtWarning, match=r"fastest passive eigenmode = 0\.355"):
        model.check_dt(0.1 * ms)
    with pytest.warns(DtWarning, match=r"tau_ampa_(soma|apical) = 5\. ms"):
        presets.payeur_2021().check_dt(2 * ms)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DtWarning)
        model.check_dt(0.05 * ms)   # below a fifth: silent
        presets.payeur_2021().check_dt(0.5 * ms)


# --------------------------------------------------------------------------- analytic checks
def conductance_matrix(g_L, g_B, g_A):
    """Closed form for soma, basal, apical: G v = I at steady state (v above rest)."""
    gs, gb, ga = g_L
    return np.array([[gs + g_B + g_A, -g_B, -g_A],
                     [-g_B, gb + g_B, 0.0],
                     [-g_A, 0.0, ga + g_A]])


def test_steady_state_attenuation_matrix_of_passive_three_compartments():
    model = presets.pyramidal(3)
    p = model.parameters()
    G = conductance_matrix([float(p[f"g_L_{c}"]) for c in ("soma", "basal", "apical")],
                           float(p["g_soma_basal"]), float(p["g_soma_apical"]))
    C, A = model.passive_system()
    np.testing.assert_allclose(C[:, None] * A, G, rtol=1e-12)
    amp = 50e-12
    theory = np.linalg.solve(G, amp * np.eye(3)).T        # row: injected; column: recorded
    dt = 0.05 * ms
    comps = ("soma", "basal", "apical")
    with Backend("numpy", dt=dt) as be:
        group = model.build(3, dt=dt)
        for i, c in enumerate(comps):
            setattr(group, f"I_ext_{c}", np.eye(3)[i] * amp * 1e12 * pA)
        # slowest time constant 10 ms: after 250 ms the transient is exp(-25) of the step
        be.run(Network(group), 250 * ms)
        sim = np.stack([np.asarray(getattr(group, f"v_{c}")[:]) - float(p["E_L_soma"])
                        for c in comps], axis=1)
    # rk2 has the exact fixed point, so only round-off and the exp(-25) transient remain
    np.testing.assert_allclose(sim, theory, rtol=1e-6)
    attenuation = sim / np.diag(sim)[:, None]
    np.testing.assert_allclose(attenuation, theory / np.diag(theory)[:, None], rtol=1e-6)
    assert np.all(attenuation < 1 + 1e-12) and np.all(attenuation > 0)


def test_input_resistance_of_one_compartment_is_one_over_g_L():
    model = soma_only(g_L=10 * nS)
    dt = 0.1 * ms
    with Backend("numpy", dt=dt) as be:
        group = model.build(2, dt=dt)
        group.I_ext_soma = [50, -20] * pA
        be.run(Network(group), 300 * ms)   # 30 time constants
        dv = np.asarray(group.v_soma[:] / mV) + 70
    # R_in = 1/g_L = 100 MOhm: 50 pA -> 5 mV, -20 pA -> -2 mV (transient exp(-30) left)
    np.testing.assert_allclose(dv, [5.0, -2.0], rtol=1e-6)


def test_membrane_time_constant_from_fitted_decay():
    model = soma_only(C=150 * pF, g_L=10 * nS)        # tau = C/g_L = 15 ms
    dt = 0.05 * ms
    with Backend("numpy", dt=dt) as be:
        group = model.build(1, dt=dt)
        mon = StateMonitor(group, "v_soma", record=0)
        net = Network(group, mon)
        group.I_ext_soma = 100 * pA
        be.run(net, 200 * ms)
        group.I_ext_soma = 0 * pA
        be.run(net, 150 * ms)
        t, v = np.asarray(mon.t / ms), np.asarray(mon.v_soma[0] / mV) + 70
    tau = exp_decay_tau(t, v, 200.0)
    # rk2 error at dt/tau = 1/300 is ~1e-7; the fit over a pure exponential is exact
    assert tau == pytest.approx(15.0, rel=5e-3)


@pytest.mark.parametrize("channel, tau_rise, tau_decay", [
    (channels.nmda(), 2 * ms, 50 * ms),
    (channels.SynapticChannel("fast", 3 * ms, 0 * mV, 0.5 * ms), 0.5 * ms, 3 * ms),
    (channels.current_channel("cur", 10 * ms, 1 * ms), 1 * ms, 10 * ms),
])
def test_difference_of_exponentials_peaks_at_the_weight(channel, tau_rise, tau_decay):
    model = soma_only(channels=(channel,))
    name = channel.name
    conductance = channel.conductance
    weight = 2 * nS if conductance else 30 * pA
    dt = 0.01 * ms
    with Backend("numpy", dt=dt) as be:
        group = model.build(1, dt=dt)
        stim = SpikeGeneratorGroup(1, [0], [1 * ms], dt=dt)
        syn = Synapses(stim, group, "w : siemens" if conductance else "w : amp",
                       on_pre=model.on_pre(name, "soma"), dt=dt)
        syn.connect()
        syn.w = weight
        var = f"{'g' if conductance else 'I'}_{name}_soma"
        mon = StateMonitor(group, var, record=0)
        be.run(Network(group, stim, syn, mon), 1 * ms + 8 * tau_rise + 2 * tau_decay)
        trace = np.asarray(getattr(mon, var)[0])
        t = np.asarray(mon.t / ms)
    tr, td = float(tau_rise / ms), float(tau_decay / ms)
    t_peak = td * tr / (td - tr) * np.log(td / tr)
    # sampling the smooth peak at dt = 0.01 ms and rk2 error are both below 1e-4
    assert trace.max() == pytest.approx(float(weight), rel=2e-3)
    assert t[np.argmax(trace)] - 1.0 == pytest.approx(t_peak, abs=2 * float(dt / ms))


@pytest.mark.parametrize("v", [-70 * mV, 0 * mV, -30 * mV])
def test_nmda_mg_block(v):
    """One forward-Euler step at v = E_L gives dv = dt g B(v) (E - v)/C exactly."""
    E = 50 * mV            # away from v, so that the block can be measured at 0 mV
    C, g, dt = 100 * pF, 1 * nS, 0.01 * ms
    model = soma_only(C=C, E_L=v, channels=(channels.nmda(50 * ms, E, 2 * ms, 1 * mmolar),))
    with Backend("numpy", dt=dt) as be:
        group = model.build(1, dt=dt, method="euler")
        group.g_nmda_soma = g
        be.run(Network(group), dt)
        dv = float(group.v_soma[0] - v)
    block = dv * float(C) / (float(dt) * float(g) * float(E - v))
    expected = 1 / (1 + 1 / 3.57 * np.exp(-0.062 * float(v / mV)))
    assert block == pytest.approx(expected, rel=1e-6)   # round-off only
    if v == -70 * mV:
        assert block == pytest.approx(0.04446, rel=1e-3)
    if v == 0 * mV:
        assert block == pytest.approx(0.78118, rel=1e-3)


def test_payeur_calcium_spike_drives_the_soma_through_f_of_v_d():
    """Freeze the dendrite (huge C) at v_d; the soma settles at E_L + g_s f(v_d)/g_L."""
    dt = 0.1 * ms
    base = presets.payeur_2021().with_params(C_apical=1e9 * pF)
    p = base.parameters()
    v_d = np.array([-60.0, -50.0, -45.0])   # f = 0.024, 0.12, 0.24: somatic drive below threshold
    results = {}
    for label, model in (("on", base), ("off", base.with_params(g_ca_apical_to_soma=0 * pA))):
        with Backend("numpy", dt=dt) as be:
            group = model.build(3, dt=dt)
            group.v_apical = v_d * mV
            spikes = SpikeMonitor(group)
            be.run(Network(group, spikes), 250 * ms)    # 15 somatic time constants of 16 ms
            results[label] = (np.asarray(group.v_soma[:] / mV), np.asarray(group.f_ca_apical[:]),
                              np.asarray(group.v_apical[:] / mV), spikes.num_spikes)
    v_s, f, v_a, n = results["on"]
    assert n == 0
    np.testing.assert_allclose(v_a, v_d, atol=1e-3)     # the dendrite barely moved
    f_expected = 1 / (1 + np.exp(-(v_d - float(p["E_ca_apical"] / mV)) / float(p["D_ca_apical"] / mV)))
    np.testing.assert_allclose(f, f_expected, rtol=1e-3)
    expected = -70 + float(p["g_ca_apical_to_soma"]) * f_expected / float(p["g_L_soma"]) * 1e3
    # exp(-250/16) = 2e-7 of the transient remains; 1e-3 mV covers the frozen dendrite's drift
    np.testing.assert_allclose(v_s, expected, atol=1e-3)
    assert np.all(np.diff(v_s) > 0)
    v_s_off = results["off"][0]
    np.testing.assert_allclose(v_s_off, -70, atol=1e-9)  # without g_s the soma stays at rest


def test_bap_kernel_injects_current_for_two_ms_after_a_somatic_spike():
    """An isolated, non-leaky dendrite integrates the bAP box: charge = zeta x duration."""
    dt = 0.1 * ms
    model = presets.payeur_2021().with_params(
        g_L_apical=1e-9 * nS, a_wd_apical=0 * nS, g_ca_apical=0 * pA, g_ca_apical_to_soma=0 * pA)
    p = model.parameters()
    with Backend("numpy", dt=dt) as be:
        group = model.build(1, dt=dt)
        mon = StateMonitor(group, ["v_apical", "v_soma"], record=0)
        spikes = SpikeMonitor(group)
        net = Network(group, mon, spikes)
        be.run(net, 10 * ms)
        group.I_ext_soma = 5000 * pA    # 20 mV in 1.5 ms: one spike, 7 mV after the reset
        be.run(net, 2 * ms)
        group.I_ext_soma = 0 * pA
        be.run(net, 20 * ms)
        t, v_a = np.asarray(mon.t / ms), np.asarray(mon.v_apical[0] / mV)
        t_spike = np.asarray(spikes.t / ms)
    assert t_spike.size == 1
    ts = t_spike[0]
    dv = v_a + 70
    assert np.all(np.abs(dv[t <= ts]) < 1e-9)                   # nothing before the spike
    after = t >= ts + 2.0 + 2 * float(dt / ms)
    assert np.ptp(dv[after]) < 1e-6                              # nothing after the box
    duration = dv[after][0] * 1e-3 * float(p["C_apical"]) / float(p["zeta_bap_apical"]) * 1e3
    # The box is resolved to one time step: the spike is detected after the update of its
    # own step, so the box covers [ts + dt, ts + 2 ms) - 19 steps of 0.1 ms (measured 1.9 ms).
    assert 2.0 - float(dt / ms) - 1e-6 <= duration <= 2.0 + 1e-6
    # the current flows only in the steps that start within (ts, ts + 2 ms]
    step_start = t[:-1][np.diff(dv) > 1e-6]
    assert step_start.min() > ts and step_start.max() <= ts + 2.0 + 1e-9


def test_escape_rate_matches_phi_at_fixed_voltage():
    """The voltage is held at E_L (escape-rate neurons are not reset), so spikes are a
    Bernoulli process per step, p = phi(v) dt, with a dead time of t_ref."""
    dt = 0.1 * ms
    spike = mechanisms.EscapeRate(150 * Hz, 0.5, 1 / (3 * mV), -55 * mV, 3 * ms)
    model = soma_only(E_L=-55 * mV, spike=spike, name="escape")
    n, T = 200, 1 * second
    with Backend("numpy", seed=7, dt=dt) as be:
        group = model.build(n, dt=dt)
        mon = SpikeMonitor(group)
        be.run(Network(group, mon), T)
        rate = np.asarray(group.rate[:] / Hz)
        count = mon.num_spikes
        np.testing.assert_allclose(np.asarray(group.v_soma[:] / mV), -55)
    phi = 150 / (1 + 0.5 * np.exp((1 / 3) * (-55 - -55)))          # 100 Hz
    np.testing.assert_allclose(rate, phi, rtol=1e-12)
    # Brian2's refractoriness: eligible again 30 steps (t_ref/dt) after a spike, so an ISI
    # is 29 steps plus a geometric number of trials (mean 1/p, variance (1 - p)/p**2).
    p_step = phi * float(dt)
    mean_isi = (float(3 * ms / dt) - 1 + 1 / p_step) * float(dt)    # 12.9 ms
    var_isi = (1 - p_step) / p_step ** 2 * float(dt) ** 2
    expected = n * float(T) / mean_isi
    sd = np.sqrt(n * float(T) * var_isi / mean_isi ** 3)            # renewal-process count
    assert abs(count - expected) < 4 * sd, (count, expected, sd)
    # without the dead time the count would be n*T*phi = 20000, far outside
    assert abs(count - n * float(T) * phi) > 4 * sd


def test_rate_output_gives_rate_without_spikes():
    model = presets.sacramento_2018("rate")
    assert model.threshold is None and not model.spiking
    p = model.parameters()
    dt = 0.05 * ms
    with Backend("numpy", dt=dt) as be:
        group = model.build(3, dt=dt)
        assert "rate" in group.variables
        assert not group.events          # no spike event at all
        with pytest.raises(ValueError, match="spike"):
            SpikeMonitor(group)
        group.I_ext_soma = [0, 30, -30] * pA
        mon = StateMonitor(group, ["rate", "v_soma"], record=True)
        be.run(Network(group, mon), 50 * ms)
        v = np.asarray(mon.v_soma / mV)
        rate = np.asarray(mon.rate / Hz)
    phi = float(p["phi_max"] / Hz) / (1 + float(p["k_phi"]) * np.exp(
        float(p["beta_phi"] * mV) * (float(p["theta_phi"] / mV) - v)))
    np.testing.assert_allclose(rate, phi, rtol=1e-9)
    assert rate[0, -1] == pytest.approx(100.0)       # at rest v = theta: phi_max/2
    assert rate[1, -1] > 100 > rate[2, -1]


def test_unknown_mechanism_and_spike_mechanism_are_refused():
    with pytest.raises(ModelError, match="Unknown mechanism 'nmda' in compartment 'soma'"):
        NeuronModel("bad", (Compartment("soma", 100 * pF, 10 * nS, mechanisms=("nmda",)),))
    with pytest.raises(ModelError, match="Unknown spike mechanism 'lif'"):
        NeuronModel("bad", (Compartment("soma", 100 * pF, 10 * nS),), spike="lif")


def test_model_printout_lists_custom_events():
    from dendrites import EventPoissonInput

    comp = Compartment("soma", 100 * pF, 10 * nS, channels=(channels.ampa(),),
                       mechanisms=(EventPoissonInput("ampa", 10, 5 * Hz, 1 * nS),))
    text = str(NeuronModel("ev", (comp,), spike=mechanisms.IntegrateAndFire()))
    assert "event input_soma: when t*n_soma*rate_soma >= s_soma" in text


# ------------------------------------------------------------- channels and injected currents
def test_pyramidal_channel_choice_and_external_currents():
    full, ampa_only = presets.pyramidal(3), presets.pyramidal(3, channels=("ampa",))
    assert "g_nmda_basal" in full.equations.names and "g_gaba_soma" in full.equations.names
    names = ampa_only.equations.names
    assert "g_ampa_apical" in names and not any("nmda" in n or "gaba" in n for n in names)
    with pytest.raises(ModelError, match=r"Unknown channel 'kainate'; allowed: ampa, nmda, gaba"):
        presets.pyramidal(3, channels=("ampa", "kainate"))
    with pytest.raises(ModelError, match=r"names a channel twice"):
        presets.pyramidal(3, channels=("ampa", "ampa"))
    from dataclasses import replace
    somatic = replace(full, external_currents=("soma",))
    assert somatic.current_compartments == ("soma",)
    assert "I_ext_soma" in somatic.equations.names
    assert "I_ext_basal" not in somatic.equations.names
    assert replace(full, external_currents=()).current_compartments == ()
    with pytest.raises(ModelError, match=r"Unknown compartment 'tuft'"):
        replace(full, external_currents=("tuft",))
    with pytest.raises(ModelError, match=r"'external_currents' = 'soma' must be a tuple"):
        replace(full, external_currents="soma")


def test_dropping_unused_channels_and_currents_leaves_the_dynamics_unchanged():
    """Zero-conductance NMDA/GABA channels and zero currents do not change the trajectory."""
    from dataclasses import replace
    lif = mechanisms.IntegrateAndFire(-50 * mV, -65 * mV, 2 * ms)
    full = presets.pyramidal(3, spike=lif)
    lean = replace(presets.pyramidal(3, spike=lif, channels=("ampa",)), external_currents=())
    out = []
    for model in (full, lean):
        with Backend("numpy", dt=DT):
            g = model.build(1, dt=DT)
            g.g_ampa_basal = 60 * nS
            g.g_ampa_soma = 30 * nS
            mon = StateMonitor(g, ("v_soma", "v_basal", "v_apical"), record=0)
            spikes = SpikeMonitor(g)
            Network(g, mon, spikes).run(30 * ms)
            out.append((np.array(mon.v_soma[0]), np.array(mon.v_apical[0]), spikes.num_spikes))
    assert out[0][2] == out[1][2] > 0
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=0, atol=1e-12)
