"""Sacramento et al. (2018) basal dendritic-prediction rule for an escape-rate pyramidal neuron.

The basal weights learn to make the dendritic prediction of the somatic rate,
``phi(v_hat_B)``, match the actual rate ``phi(u)``.  With one-way dendrite ->
soma coupling and the apical compartment at rest, the soma settles at
``v_hat_B``; any apical deviation -- top-down input minus an SST-like
interneuron's prediction -- moves ``u`` away from it, so the sign of the
weight change is the sign of the apical error (mechanism (b) of Richards &
Lillicrap 2018).
"""

from dataclasses import dataclass

from ..errors import ModelError
from .base import Rule, SynapseSpec, check_bounds, check_rate

__all__ = ["SacramentoBasal", "prediction_factor"]


def _soma_inputs(post_model):
    """Coupling parameters that drive the soma, as ``{compartment: parameter name}``."""
    inputs = {}
    for cp in post_model.couplings:
        if cp.a == "soma":
            inputs[cp.b] = cp.param
        elif cp.b == "soma" and not cp.one_way:
            inputs[cp.a] = cp.param
    return inputs


def prediction_factor(post_model, compartment="basal"):
    """Attenuation ``g_B/(g_L + sum of couplings into the soma)`` (Sacramento et al. 2018).

    Evaluated from the model's parameter values (dimensionless); the rule
    itself reads the same expression from the neuron's ``(shared, constant)``
    parameters, so standalone re-runs that change them are followed.
    """
    inputs = _coupling_check(post_model, compartment)
    p = post_model.parameters()
    total = p["g_L_soma"] + sum((p[name] for name in inputs.values()), 0 * p["g_L_soma"])
    return float(p[inputs[compartment]] / total)


def _coupling_check(post_model, compartment):
    post_model.compartment(compartment)
    inputs = _soma_inputs(post_model)
    if compartment == "soma" or compartment not in inputs:
        raise ModelError(f"Rule 'sacramento-basal' predicts the soma from a dendrite coupled "
                         f"to it; compartment {compartment!r} of model '{post_model.name}' is "
                         f"not. Allowed: {', '.join(sorted(inputs)) or 'none'}.")
    return inputs


@dataclass(frozen=True)
class SacramentoBasal(Rule):
    """Basal dendritic-prediction rule ``dW = eta (phi(u) - phi(v_hat_B)) r_pre``.

    Sacramento, Costa, Bengio & Senn 2018, NeurIPS ("Dendritic cortical
    microcircuits approximate the backpropagation algorithm"), Fig. 1 and the
    basal plasticity equation of its Methods (structure verified in the
    reference code miyosuda/dendritic_bp layer.py; SCIENCE.md section 3.2):
    ``dW^PP/dt = eta (phi(u^P) - phi(v_hat^P_B)) r_pre^T`` with
    ``v_hat_B = g_B/(g_lk + g_B + g_A) v_B`` (voltages relative to rest).
    Here ``phi(u)`` is the escape rate ``rate`` of the neuron
    (:class:`~dendrites.mechanisms.EscapeRate`), ``phi(v_hat)`` the same
    sigmoid evaluated at ``E_L_soma + g_B/(g_L + sum g)(v_B - E_L_B)``
    (conductances read from the neuron's parameters), both divided by
    ``phi_max`` (the paper's phi is at most 1), and ``r_pre`` the presynaptic
    spike train: each presynaptic spike adds
    ``eta (rate - phi(v_hat))/phi_max``.  The low-pass filter on dW
    (tau_w = 30 ms in the reference code) is not applied.

    Parameters
    ----------
    eta : float
        Learning rate per presynaptic spike (>= 0).
    w_min, w_max : float
        Weight bounds.
    """

    eta: float = 0.01
    w_min: float = 0.0
    w_max: float = 1.0
    name = "sacramento-basal"

    def spec(self, post_model, compartment):
        check_rate("eta", self.eta)
        check_bounds(self.w_min, self.w_max)
        inputs = _coupling_check(post_model, compartment)
        s = SynapseSpec()
        self.param(s, "eta", self.eta, 1)
        self.param(s, "w_min", self.w_min, 1)
        self.param(s, "w_max", self.w_max, 1)
        total = " + ".join(["g_L_soma_post"] + [f"{n}_post" for n in inputs.values()])
        lam = f"{inputs[compartment]}_post/({total})"
        c = compartment
        s.model = [f"v_hat = E_L_soma_post + {lam}*(v_{c}_post - E_L_{c}_post) : volt",
                   "phi_hat = phi_max_post/(1 + k_phi_post*exp(beta_phi_post*(theta_phi_post"
                   " - v_hat))) : hertz"]
        s.on_pre = ["w = clip(w + eta*(rate_post - phi_hat)/phi_max_post, w_min, w_max)"]
        s.requires["rate_post"] = ("the rule compares the escape rate phi(u) with phi(v_hat): "
                                   "give the neuron an EscapeRate spike mechanism.")
        return s
