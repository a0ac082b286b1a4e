"""Sacramento et al. (2018) basal rule: closed form at steady state, sign regions and bad input."""

from dataclasses import replace

import numpy as np
import pytest
from brian2 import Hz, Network, SpikeGeneratorGroup, mV, ms, nS, pA

from dendrites import ModelError, presets
from dendrites.mechanisms import EscapeRate, IntegrateAndFire
from dendrites.plasticity import SacramentoBasal, connect
from dendrites.plasticity.sacramento import prediction_factor

PHI = dict(phi_max=200.0, beta=1.0, theta=-70.0)   # Hz, 1/mV, mV (the paper's logistic)
N_SPIKES, T_SETTLE = 5, 300                         # spikes; ms (30 dendritic time constants)


def _model(**overrides):
    base = presets.sacramento_2018("rate")
    spike = EscapeRate(PHI["phi_max"] * Hz, 1.0, PHI["beta"] / mV, PHI["theta"] * mV, 2 * ms)
    return replace(base, spike=spike).with_params(**overrides)


def _phi(v):
    return PHI["phi_max"] / (1 + np.exp(PHI["beta"] * (PHI["theta"] - v)))


def _source():
    return SpikeGeneratorGroup(1, np.zeros(N_SPIKES, int),
                               (T_SETTLE + np.arange(N_SPIKES)) * ms)


def _run(model, I_basal, I_apical, eta=0.01):
    n = len(I_apical)
    group = model.build(n)
    group.I_ext_basal = I_basal
    group.I_ext_apical = np.asarray(I_apical) * pA
    src = _source()
    syn = connect(SacramentoBasal(eta=eta), src, group, model, "basal", "ampa", w_scale=0 * nS)
    Network(group, src, syn).run((T_SETTLE + N_SPIKES) * ms)
    return np.asarray(syn.w)[np.argsort(syn.j)] - 0.5


@pytest.mark.parametrize("g_A", [80, 40])
def test_steady_state_closed_form_and_sign_of_apical_error(g_A):
    """v_hat = g_B/(g_L + g_B + g_A) v_B; dw = eta N (phi(u) - phi(v_hat))/phi_max."""
    model = _model(g_apical_soma=g_A * nS)
    I_apical = np.array([-60.0, -10.0, 0.0, 10.0, 60.0])
    dw = _run(model, 30 * pA, I_apical)
    # one-way coupling: each dendrite sits at E_L + I/g_L (10 nS); the soma at the
    # conductance-weighted mean
    v_b, v_a = 30 / 10.0, I_apical / 10.0                     # mV above rest
    g_l, g_b = 10.0, 100.0
    u = -70 + (g_b * v_b + g_A * v_a) / (g_l + g_b + g_A)
    v_hat = -70 + g_b / (g_l + g_b + g_A) * v_b
    assert prediction_factor(model) == pytest.approx(g_b / (g_l + g_b + g_A), rel=1e-12)
    expected = 0.01 * N_SPIKES * (_phi(u) - _phi(v_hat)) / PHI["phi_max"]
    # the dendrites relax with tau = 10 ms for 300 ms (e^-30) and the soma follows them
    # with tau 0.5 ms: only the integration error of rk2 at the fixed point remains
    np.testing.assert_allclose(dw, expected, rtol=1e-6, atol=1e-12)
    error = I_apical != 0
    np.testing.assert_array_equal(np.sign(dw[error]), np.sign(I_apical[error]))
    # apical at rest: the prediction is exact up to rounding (u and v_hat are computed
    # along different paths, so their difference is ~1e-15 mV, of either sign)
    assert dw[~error] == pytest.approx(0, abs=1e-12)


def test_weight_bounds_clip_the_update():
    model = _model()
    dw = _run(model, 30 * pA, [200.0, -200.0], eta=1.0)
    np.testing.assert_allclose(dw, [0.5, -0.5])


def test_refuses_compartments_without_a_coupling_to_the_soma():
    model = _model()
    group = model.build(1)
    with pytest.raises(ModelError, match=r"compartment 'soma' .* is not\. Allowed: apical, basal"):
        connect(SacramentoBasal(), _source(), group, model, "soma", "ampa")
    with pytest.raises(ModelError, match=r"Unknown compartment 'dendrite'.*allowed: soma, basal, "
                                         r"apical"):
        connect(SacramentoBasal(), _source(), group, model, "dendrite", "ampa")
    four = presets.pyramidal(4, spike=EscapeRate())
    with pytest.raises(ModelError, match=r"compartment 'tuft' .* is not\. Allowed: basal, trunk"):
        connect(SacramentoBasal(), _source(), four.build(1), four, "tuft", "ampa")


def test_refuses_bad_rates_bounds_and_neurons_without_a_rate():
    model = _model()
    group = model.build(1)
    with pytest.raises(ModelError, match=r"'eta' = -0\.01 must be zero or positive"):
        connect(SacramentoBasal(eta=-0.01), _source(), group, model, "basal", "ampa")
    with pytest.raises(ModelError, match=r"inverted .* w_min = 0\.8 must be below w_max = 0\.2"):
        connect(SacramentoBasal(w_min=0.8, w_max=0.2), _source(), group, model, "basal", "ampa")
    lif = presets.pyramidal(3, spike=IntegrateAndFire())
    with pytest.raises(ModelError, match=r"reads 'rate'.*EscapeRate"):
        connect(SacramentoBasal(), _source(), lif.build(1), lif, "basal", "ampa")
