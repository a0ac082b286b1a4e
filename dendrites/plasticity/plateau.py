"""Plateau-difference rule of Guerguiev, Lillicrap & Richards (2017) and its phase averages.

Learning alternates a *forward* phase (feedforward input only) and a
*target* phase (feedback carries the target) of fixed lengths.
:class:`PhasePlateau` is the neuron-side mechanism: averages of the apical
and somatic potentials over the last ``T_integrate`` of each phase, and the
apical plateaus ``alpha_f``, ``alpha_t`` (sigmoids of the apical averages).
:class:`PlateauRule` changes basal weights once per cycle, at the start of
the next one, by ``eta (alpha_t - alpha_f) ...``: the *sign* of the hidden
weight change is the sign of the plateau difference.

The averages are exact discrete means over the time steps of each window,
whatever the integration method: every update is a ``(constant over dt)``
increment ``dX/dt = step/dt`` (``step = (x - X)/k`` at the k-th sample of
the window, so the first sample replaces the previous cycle's value).
"""

import logging
from dataclasses import dataclass, field

from brian2 import ms, mV

from ..errors import ModelError
from ..fragments import Fragment, _d, _param, _sub
from .base import Rule, SynapseSpec, check_bounds, check_rate

__all__ = ["PhasePlateau", "PlateauRule"]

logger = logging.getLogger(__name__)


def _q(value):
    return field(default_factory=lambda: value)


@dataclass(frozen=True)
class PhasePlateau:
    """Phase-averaged apical plateaus of Guerguiev et al. 2017 (eLife 6:e22901).

    Methods (plateau potentials; authors' code as cited): ``alpha^f = sigma(<A>_f)``, ``alpha^t =
    sigma(<A>_t)``, ``<.>`` the mean over the last ``T_integrate`` (20 ms)
    of the forward / target phase (authors' ``deep_learning.py``
    ``plateau_f``/``plateau_t``); ``sigma(A) = 1/(1 + exp(-(v - V_half)/
    slope))`` with their dimensionless voltages read as mV above
    ``V_half = E_L``.  Cycles start at t = 0: forward phase
    ``[0, T_forward)``, target phase ``[T_forward, T_forward + T_target)``.
    Placed in the apical compartment *comp*; variables (suffix *comp*):
    ``phase_pos`` (time step within the cycle), ``in_fwd``/``in_tgt``
    (integration windows), ``k_fwd`` (sample number), ``A_f``, ``A_t``
    (apical means), ``C_f`` (somatic mean in the forward window),
    ``alpha_f``, ``alpha_t`` and ``cycle_start`` (1 at the first step of a
    cycle).
    """

    T_forward: object = _d(50 * ms)
    T_target: object = _d(50 * ms)
    T_integrate: object = _d(20 * ms)
    V_half: object = _d(-70 * mV)
    slope: object = _d(1 * mV)

    def fragment(self, comp, soma):
        keys = ("phase_pos", "in_fwd", "in_tgt", "k_fwd", "k_tgt", "A_f", "A_t", "C_f",
                "A_f_step", "A_t_step", "C_f_step", "alpha_f", "alpha_t", "cycle_start",
                "T_fwd", "T_tgt", "T_int", "V_half", "slope")
        names = {k: f"{k}_{comp}" for k in keys}
        names.update(v=f"v_{comp}", v_soma=f"v_{soma}")
        frag = Fragment()
        _param(frag, names, "T_fwd", self.T_forward, ms, positive=True)
        _param(frag, names, "T_tgt", self.T_target, ms, positive=True)
        _param(frag, names, "T_int", self.T_integrate, ms, positive=True)
        _param(frag, names, "V_half", self.V_half, mV)
        _param(frag, names, "slope", self.slope, mV, positive=True)
        if not (self.T_integrate <= self.T_forward and self.T_integrate <= self.T_target):
            raise ModelError(f"Parameter 'T_int_{comp}' = {self.T_integrate} must not exceed the "
                             f"phase lengths ({self.T_forward}, {self.T_target}).")
        eqs = [
            "phase_pos = timestep(t, dt) % timestep(T_fwd + T_tgt, dt) : integer",
            "cycle_start = int(phase_pos == 0) : 1",
            "in_fwd = int(phase_pos >= timestep(T_fwd - T_int, dt))"
            "*int(phase_pos < timestep(T_fwd, dt)) : 1",
            "in_tgt = int(phase_pos >= timestep(T_fwd + T_tgt - T_int, dt)) : 1",
            "k_fwd = clip(phase_pos - timestep(T_fwd - T_int, dt) + 1, 1, 1e9) : 1",
            "k_tgt = clip(phase_pos - timestep(T_fwd + T_tgt - T_int, dt) + 1, 1, 1e9) : 1",
            "A_f_step = in_fwd*(v - A_f)/k_fwd : volt (constant over dt)",
            "A_t_step = in_tgt*(v - A_t)/k_tgt : volt (constant over dt)",
            "C_f_step = in_fwd*(v_soma - C_f)/k_fwd : volt (constant over dt)",
            "dA_f/dt = A_f_step/dt : volt",
            "dA_t/dt = A_t_step/dt : volt",
            "dC_f/dt = C_f_step/dt : volt",
            "alpha_f = 1/(1 + exp(-(A_f - V_half)/slope)) : 1",
            "alpha_t = 1/(1 + exp(-(A_t - V_half)/slope)) : 1"]
        frag.equations = [_sub(e, names) for e in eqs]
        frag.init = {names["A_f"]: self.V_half, names["A_t"]: self.V_half,
                     names["C_f"]: self.V_half}
        return frag


@dataclass(frozen=True)
class PlateauRule(Rule):
    """Hidden-layer rule of Guerguiev, Lillicrap & Richards 2017 (eLife 6:e22901).

    Methods, hidden-layer weight update (its angle to backprop is Fig. 7A).

    Once per forward/target cycle (authors' ``hiddenLayer.update_W``)::

        Delta W = eta P_lambda k_B (alpha_t - alpha_f) sigma'(<C>_f) <PSP>_f

    ``alpha``, ``<C>_f`` from :class:`PhasePlateau` (in compartment
    ``plateau``, default ``apical``), ``sigma'`` the derivative of the
    somatic rate sigmoid (the neuron's :class:`~dendrites.mechanisms.EscapeRate`
    with ``k = 1``, in units of ``1/beta``), ``<PSP>_f`` the forward-window
    mean of the presynaptic train filtered by ``(e^{-t/tau_L} -
    e^{-t/tau_s})/(tau_L - tau_s)`` (per ms, as the authors' ``kappas``),
    ``k_B = g_B/(g_L + g_B + g_A)`` (from the model when None) and
    ``P_lambda = P_hidden lambda_max = 20``.  The update is applied at the
    first time step of the next cycle.  Its sign is that of ``alpha_t -
    alpha_f``.
    """

    eta: float = 0.21
    P_lambda: float = 20.0
    k_B: float = None
    tau_L: object = _q(10 * ms)
    tau_s: object = _q(3 * ms)
    plateau: str = "apical"
    w_min: float = -1e9
    w_max: float = 1e9
    name = "plateau-rule"

    def _k_B(self, post_model, compartment):
        if self.k_B is not None:
            return self.k_B
        p = post_model.parameters()
        into = [cp for cp in post_model.couplings if "soma" in (cp.a, cp.b)
                and not (cp.one_way and cp.a != "soma")]
        g_c = {(cp.b if cp.a == "soma" else cp.a): float(p[cp.param]) for cp in into}
        if compartment not in g_c:
            raise ModelError(f"Rule 'plateau-rule' needs a coupling from '{compartment}' to the "
                             f"soma of model '{post_model.name}' to compute k_B; give k_B.")
        return g_c[compartment] / (float(p["g_L_soma"]) + sum(g_c.values()))

    def spec(self, post_model, compartment):
        check_rate("eta", self.eta)
        check_rate("P_lambda", self.P_lambda)
        check_bounds(self.w_min, self.w_max)
        post_model.compartment(compartment)
        post_model.compartment(self.plateau)
        if not self.tau_s < self.tau_L:
            raise ModelError(f"Parameter 'tau_s' = {self.tau_s} must be shorter than 'tau_L' = "
                             f"{self.tau_L}.")
        k_B = self._k_B(post_model, compartment)
        a = self.plateau
        s = SynapseSpec(method="rk2")
        self.param(s, "eta", self.eta, 1)
        self.param(s, "P_lambda", self.P_lambda, 1)
        self.param(s, "k_B", k_B, 1, nonnegative=True)
        self.param(s, "tau_L_k", self.tau_L, ms, positive=True)
        self.param(s, "tau_s_k", self.tau_s, ms, positive=True)
        self.param(s, "w_min", self.w_min, 1)
        self.param(s, "w_max", self.w_max, 1)
        s.model = [
            "dxL_k/dt = -xL_k/tau_L_k : 1 (clock-driven)",
            "dxs_k/dt = -xs_k/tau_s_k : 1 (clock-driven)",
            "psp_k = (xL_k - xs_k)/(tau_L_k - tau_s_k) : hertz",
            f"P_f_step = in_fwd_{a}_post*(psp_k - P_f)/k_fwd_{a}_post : hertz (constant over dt)",
            "dP_f/dt = P_f_step/dt : hertz (clock-driven)",
            f"s_f = 1/(1 + k_phi_post*exp(beta_phi_post*(theta_phi_post - C_f_{a}_post))) : 1",
            f"dw_cycle = eta*P_lambda*k_B*(alpha_t_{a}_post - alpha_f_{a}_post)*s_f*(1 - s_f)"
            "*P_f*ms : 1",
            f"w_step = cycle_start_{a}_post*(clip(w + dw_cycle, w_min, w_max) - w) : 1 "
            "(constant over dt)",
            "dw/dt = w_step/dt : 1 (clock-driven)"]
        s.on_pre = ["xL_k += 1", "xs_k += 1"]
        hint = (f"add PhasePlateau() to the mechanisms of compartment '{a}' of model "
                f"'{post_model.name}' (dendrites.plasticity.plateau).")
        for var in ("in_fwd", "k_fwd", "alpha_f", "alpha_t", "C_f", "cycle_start"):
            s.requires[f"{var}_{a}_post"] = hint
        s.requires["theta_phi_post"] = "the soma needs an EscapeRate spike mechanism."
        return s
