"""Neuromodulated rules: the gated four-factor rule, AGREL and node perturbation (REINFORCE).

Three rules that share a *global* scalar (a reward prediction error or a
reward) delivered to every synapse of a ``Synapses`` object as one
``(shared)`` variable, multiplied by a per-neuron feedback term:

* :class:`FourFactor` -- ``dw = eta f_pre f_post RPE FB`` with a feedback gate
  ``FB`` in [0, 1] (Roelfsema & Holtmaat 2018);
* :class:`AGREL` -- the same structure with a *signed* feedback weight and the
  expansive function ``f(delta)`` (Roelfsema & van Ooyen 2005);
* :class:`NodePerturbation` -- ``dw = eta (R - R_bar) xi_j f_pre / sigma^2``
  with a per-neuron perturbation ``xi_j`` (Williams 1992).

The neuron-side signals are mechanisms defined here: :class:`FeedbackGate`
(``fb_<comp>``), :class:`FeedbackWeight` (``wfb_<comp>``),
:class:`Perturbation` (``pert_<comp>``, injected as a current) and
:class:`RateTrace` (``nu_<comp>``, a low-pass filtered spike rate).
"""

from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, ms, pA

from ..errors import ModelError, check_quantity
from ..fragments import Fragment, _param, _rename, _sub
from .base import Rule, SynapseSpec, check_bounds, check_rate, check_unit_interval

__all__ = ["FeedbackGate", "FeedbackWeight", "Perturbation", "RateTrace", "FourFactor", "AGREL",
           "NodePerturbation", "set_gate", "set_feedback_weight", "set_delta", "expansive"]


def _q(value):
    return field(default_factory=lambda: value)


# --------------------------------------------------------------------------
# Neuron-side signals (mechanisms)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class FeedbackGate:
    """Per-neuron feedback gate ``fb_<comp>`` in [0, 1] (Roelfsema & Holtmaat 2018).

    A state variable of each neuron (not a constant), initialised to ``FB``
    and set per neuron with :func:`set_gate`, which refuses values outside
    [0, 1].  It feeds no current: it is the attentional tag ``FB_j`` that
    :class:`FourFactor` reads.
    """

    FB: float = 1.0

    def fragment(self, comp, soma):
        check_unit_interval(f"fb_{comp}", self.FB)
        frag = Fragment(equations=[f"fb_{comp} : 1"])
        frag.init[f"fb_{comp}"] = float(self.FB)
        return frag


@dataclass(frozen=True)
class FeedbackWeight:
    """Per-neuron signed feedback weight ``wfb_<comp>`` (AGREL's ``w'_sj``).

    Set per neuron with :func:`set_feedback_weight` (any finite real value).
    """

    w_fb: float = 0.0

    def fragment(self, comp, soma):
        check_quantity(f"wfb_{comp}", self.w_fb, 1)
        frag = Fragment(equations=[f"wfb_{comp} : 1"])
        frag.init[f"wfb_{comp}"] = float(self.w_fb)
        return frag


@dataclass(frozen=True)
class Perturbation:
    """Node perturbation ``pert_<comp>`` (dimensionless), injected as ``I_pert pert``.

    With ``tau`` None the perturbation is a per-neuron value held for a trial
    and drawn from N(0, sigma^2) by :meth:`NodePerturbation.draw`; with
    ``tau`` given it is an Ornstein-Uhlenbeck process of standard deviation
    ``sigma`` and correlation time ``tau``.  Parameters: ``sigma_pert_<comp>``
    (dimensionless, > 0) and ``I_pert_<comp>`` (amp per unit perturbation).
    """

    sigma: float = 0.5
    I_pert: object = _q(50 * pA)
    tau: object = None

    def fragment(self, comp, soma):
        names = {"pert": f"pert_{comp}", "sigma": f"sigma_pert_{comp}",
                 "I_pert": f"I_pert_{comp}", "tau": f"tau_pert_{comp}"}
        frag = Fragment(equations=["pert : 1"])
        _param(frag, names, "sigma", self.sigma, 1, positive=True)
        _param(frag, names, "I_pert", self.I_pert, pA)
        if self.tau is not None:
            # exact Ornstein-Uhlenbeck update once per step (as NoiseCurrent does)
            _param(frag, names, "tau", self.tau, ms, positive=True)
            frag.time_constants[names["tau"]] = self.tau
            frag.regular = [_sub("pert = pert*exp(-dt/tau) + sigma*sqrt(1 - exp(-2*dt/tau))"
                                 "*randn()", names)]
        frag.currents[comp] = ["I_pert*pert"]
        _rename(frag, names)
        return frag


@dataclass(frozen=True)
class RateTrace:
    """Low-pass filtered somatic spike rate ``nu_<comp>`` (hertz).

    ``dnu/dt = -nu/tau``; every somatic spike adds ``1/tau``, so the mean of
    ``nu`` is the firing rate (a postsynaptic activity term ``f_post``).
    """

    tau: object = _q(100 * ms)

    def fragment(self, comp, soma):
        names = {"nu": f"nu_{comp}", "tau": f"tau_nu_{comp}"}
        frag = Fragment()
        _param(frag, names, "tau", self.tau, ms, positive=True)
        frag.time_constants[names["tau"]] = self.tau
        frag.equations.append("dnu/dt = -nu/tau : hertz")
        frag.reset.append("nu += 1/tau")
        _rename(frag, names)
        return frag


def set_gate(group, values, compartment="apical"):
    """Set the feedback gate ``fb_<compartment>`` of every neuron (each in [0, 1])."""
    check_unit_interval("FB", values)
    setattr(group, f"fb_{compartment}", values)


def set_feedback_weight(group, values, compartment="apical"):
    """Set the signed feedback weight ``wfb_<compartment>`` of every neuron."""
    check_quantity("w_fb", values, 1)
    setattr(group, f"wfb_{compartment}", values)


def expansive(delta):
    """AGREL's expansive function: ``delta/(1 - delta)`` for delta >= 0, else delta.

    Roelfsema & van Ooyen (2005), Neural Comput 17:2176 (SCIENCE.md section
    7.1; equation numbering not verified): ``f(delta) = delta/(1 - delta)``
    when rewarded (``0 <= delta < 1``) and ``f(-1) = -1`` when not.
    Elementwise for an array of reward prediction errors (one per trial or
    replica).
    """
    d = np.asarray(delta, dtype=float)
    if d.ndim == 0:
        _check_delta(delta)
    elif not np.all(np.isfinite(d) & (d >= -1) & (d < 1)):
        raise ModelError(f"Parameter 'delta' = {delta!r} must hold numbers in [-1, 1) "
                         "(reward prediction errors r - E[r]).")
    return np.where(d > 0, d / (1 - np.where(d > 0, d, 0)), d)


def _check_delta(delta):
    arr = np.asarray(delta, dtype=float)
    if arr.ndim or not np.isfinite(arr) or not -1 <= arr < 1:
        raise ModelError(f"Parameter 'delta' = {delta!r} must be one number in [-1, 1) "
                         "(a reward prediction error r - E[r]).")


def set_delta(synapses, delta):
    """Set the global reward prediction error ``delta`` of AGREL synapses (in [-1, 1))."""
    _check_delta(delta)
    synapses.delta = float(delta)


def _requires_var(spec, var, hint):
    spec.requires[f"{var}_post"] = hint


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class FourFactor(Rule):
    """Gated four-factor rule ``dw = eta f_pre f_post RPE FB`` (Roelfsema & Holtmaat 2018).

    Roelfsema & Holtmaat 2018, Nat Rev Neurosci 19:166, as written in
    Richards & Lillicrap 2018, Nat Rev Neurosci 19:636, Eq. 1:
    ``dw_ij = f_i f_j RPE FB_j``.  Here ``f_i`` is the presynaptic spike train
    (each presynaptic spike applies the update), ``f_j = <f_post>_post/nu_ref``
    (default: the escape rate ``rate`` of the neuron), ``RPE`` a global
    ``(shared)`` synaptic variable set by the protocol (0 until then) and
    ``FB_j`` the neuron's gate ``fb_<gate>`` (:class:`FeedbackGate`) in [0, 1]
    -- or, with ``FB`` given, one ``(shared, constant)`` gate for all.  Since
    ``f_pre, f_post, FB >= 0``, the sign of ``dw`` is the sign of ``RPE``.

    Parameters
    ----------
    eta : float
        Learning rate (>= 0).
    f_post : str
        Postsynaptic variable (hertz) used as ``f_post``: ``'rate'``
        (:class:`~dendrites.mechanisms.EscapeRate`) or ``'nu_soma'``
        (:class:`RateTrace`).
    nu_ref : `Quantity`
        Rate normalising ``f_post`` (hertz, > 0).
    gate : str
        Compartment carrying the :class:`FeedbackGate`.
    FB : float or None
        A constant gate in [0, 1] instead of the neuron's variable.
    w_min, w_max : float
        Weight bounds.
    """

    eta: float = 0.01
    f_post: str = "rate"
    nu_ref: object = _q(100 * Hz)
    gate: str = "apical"
    FB: float = None
    w_min: float = 0.0
    w_max: float = 1.0
    name = "four-factor"

    def spec(self, post_model, compartment):
        s = SynapseSpec()
        check_rate("eta", self.eta)
        check_bounds(self.w_min, self.w_max)
        self.param(s, "eta", self.eta, 1)
        self.param(s, "nu_ref", self.nu_ref, Hz, positive=True)
        self.param(s, "w_min", self.w_min, 1)
        self.param(s, "w_max", self.w_max, 1)
        if self.FB is None:
            post_model.compartment(self.gate)
            fb = f"fb_{self.gate}_post"
            _requires_var(s, f"fb_{self.gate}", f"add FeedbackGate() to the mechanisms of "
                          f"compartment '{self.gate}'.")
        else:
            check_unit_interval("FB", self.FB)
            self.param(s, "FB", float(self.FB), 1)
            fb = "FB"
        _requires_var(s, self.f_post, f"f_post = '{self.f_post}' needs a spike mechanism with "
                      "a rate (EscapeRate) or a RateTrace() on the soma ('nu_soma').")
        s.model = ["RPE : 1 (shared)"]
        s.on_pre = [f"w = clip(w + eta*RPE*{fb}*{self.f_post}_post/nu_ref, w_min, w_max)"]
        return s


@dataclass(frozen=True)
class AGREL(Rule):
    """Attention-gated reinforcement learning, hidden-layer rule (Roelfsema & van Ooyen 2005).

    Roelfsema & van Ooyen 2005, Neural Comput 17:2176, hidden-weight update
    (SCIENCE.md section 7.1; cross-checked in a public MATLAB AGREL.m):
    ``dv_ij = beta f(delta) x_i y_j (1 - y_j) w'_sj``, with the expansive
    function ``f(delta)`` (:func:`expansive`) and the
    feedback weight ``w'_sj`` from the selected output unit.  Here ``x_i`` is
    the presynaptic spike train, ``y_j = rate/phi_max`` the neuron's
    normalised escape rate (:class:`~dendrites.mechanisms.EscapeRate`),
    ``delta`` a global ``(shared)`` synaptic variable (:func:`set_delta`) and
    ``w'_sj`` the neuron's *signed* ``wfb_<feedback>``
    (:class:`FeedbackWeight`).  The per-neuron sign is
    ``sign(delta w'_sj)``: unlike the [0, 1] gate of :class:`FourFactor`, the
    feedback weight can flip it.
    """

    beta: float = 0.01
    feedback: str = "apical"
    w_min: float = 0.0
    w_max: float = 1.0
    name = "agrel"

    def spec(self, post_model, compartment):
        s = SynapseSpec()
        check_rate("beta", self.beta)
        check_bounds(self.w_min, self.w_max)
        post_model.compartment(self.feedback)
        self.param(s, "beta", self.beta, 1)
        self.param(s, "w_min", self.w_min, 1)
        self.param(s, "w_max", self.w_max, 1)
        _requires_var(s, f"wfb_{self.feedback}", "add FeedbackWeight() to the mechanisms of "
                      f"compartment '{self.feedback}'.")
        _requires_var(s, "rate", "AGREL's y_j is the escape rate: use an EscapeRate spike.")
        s.model = ["delta : 1 (shared)",
                   "f_delta = delta/(1 - delta*int(delta > 0)) : 1",
                   "y_agrel = clip(rate_post/phi_max_post, 0, 1) : 1"]
        s.on_pre = [f"w = clip(w + beta*f_delta*y_agrel*(1 - y_agrel)*wfb_{self.feedback}_post, "
                    "w_min, w_max)"]
        return s


@dataclass(frozen=True)
class NodePerturbation(Rule):
    """Node perturbation / REINFORCE: ``dw = eta (R - R_bar) xi_j f_pre / sigma^2``.

    Williams 1992, Mach Learn 8:229 (REINFORCE ``dw = alpha (r - b) e`` with
    the characteristic eligibility of a Gaussian unit, ``e = xi x/sigma^2``);
    node perturbation as in Werfel, Xie & Seung 2005, Neural Comput 17:2699
    (SCIENCE.md section 8.1).  The
    neuron carries a :class:`Perturbation` ``xi_j`` (``pert_<perturbed>``,
    standard deviation ``sigma``); every presynaptic spike adds ``xi_j`` to a
    per-synapse eligibility ``elig`` (so ``elig = xi_j f_pre`` with ``f_pre``
    the presynaptic spike count), and :meth:`reward` applies
    ``w += eta (R - R_bar) elig/sigma^2``, updates the baseline
    ``R_bar += alpha (R - R_bar)`` and clears ``elig``.  For ``R`` linear in
    the perturbations, ``E[dw_ij] = eta f_pre dR/dxi_j``: on average the
    update follows the gradient, one trial does not.  ``R`` and ``R_bar`` are
    global ``(shared)`` synaptic variables.
    """

    eta: float = 0.01
    perturbed: str = "soma"
    alpha: float = 0.0
    w_min: float = 0.0
    w_max: float = 1.0
    name = "node-perturbation"

    def spec(self, post_model, compartment):
        s = SynapseSpec()
        check_rate("eta", self.eta)
        check_bounds(self.w_min, self.w_max)
        check_unit_interval("alpha", self.alpha)
        post_model.compartment(self.perturbed)
        self.param(s, "eta", self.eta, 1)
        self.param(s, "alpha", self.alpha, 1)
        self.param(s, "w_min", self.w_min, 1)
        self.param(s, "w_max", self.w_max, 1)
        _requires_var(s, f"pert_{self.perturbed}", "add Perturbation() to the mechanisms of "
                      f"compartment '{self.perturbed}'.")
        s.model = ["elig : 1", "R : 1 (shared)", "R_bar : 1 (shared)"]
        s.on_pre = [f"elig += pert_{self.perturbed}_post"]
        return s

    def draw(self, group):
        """Draw a new per-neuron perturbation ``xi ~ N(0, sigma^2)`` (held for a trial)."""
        c = self.perturbed
        setattr(group, f"pert_{c}", f"sigma_pert_{c}*randn()")

    def reward(self, synapses, value):
        """End a trial with reward *value*: set ``R``, update ``w`` and ``R_bar``, clear ``elig``.

        Runs as code on the synapses, so it also works between the runs of a
        ``cpp_standalone`` project.
        """
        check_quantity("R", value, 1)
        synapses.R = float(value)
        c = self.perturbed
        synapses.w = f"clip(w + eta*(R - R_bar)*elig/sigma_pert_{c}_post**2, w_min, w_max)"
        synapses.R_bar = "R_bar + alpha*(R - R_bar)"
        synapses.elig = 0
