"""Learning by the dendritic prediction of somatic spiking (Urbanczik & Senn 2014).

:class:`DendriticPrediction` is the neuron-side mechanism: the somatic
voltage the dendrite predicts, ``V*_w``, with ``phi(V*_w)`` and
``h(V*_w) = d ln phi/du``.  :class:`UrbanczikSenn` is the synaptic rule, which
filters each presynaptic train with the dendrite's own PSP kernel.
"""

import logging
from dataclasses import dataclass, field

from brian2 import ms

from ..errors import ModelError
from ..fragments import Fragment, _sub
from .base import Rule, SynapseSpec, check_bounds, check_rate

__all__ = ["DendriticPrediction", "UrbanczikSenn", "nest_eta"]

logger = logging.getLogger(__name__)


def _q(value):
    return field(default_factory=lambda: value)


@dataclass(frozen=True)
class DendriticPrediction:
    """Dendritic prediction of the somatic potential, its rate and log-derivative.

    Urbanczik & Senn 2014 (Neuron 81:521), Results and Fig. 1 (equation as in
    NEST's ``urbanczik_archiving_node_impl.h``, ``V_W_star``):
    ``V*_w = (g_L E_L + g_D V_w)/(g_L + g_D)`` (soma leak ``g_L``, ``E_L``;
    dendro-somatic conductance ``g_D``), ``phi(V*_w)`` with the somatic
    escape-rate function and ``h(u) = d ln phi/du = beta/(1 +
    exp(beta (u - theta))/k)``.  Placed in the dendritic compartment *comp*;
    defines ``v_star_<comp>``, ``phi_star_<comp>``, ``h_star_<comp>``.  The
    model must have an :class:`~dendrites.mechanisms.EscapeRate` soma (its
    ``phi_max``, ``k_phi``, ``beta_phi``, ``theta_phi`` are read) and a
    coupling from *comp* to the soma named ``coupling`` (default
    ``g_<comp>_soma``, the one-way coupling's parameter).
    """

    coupling: str = None

    def fragment(self, comp, soma):
        g_d = self.coupling or f"g_{comp}_{soma}"
        names = {"v_star": f"v_star_{comp}", "phi_star": f"phi_star_{comp}",
                 "h_star": f"h_star_{comp}", "v": f"v_{comp}", "g_D": g_d,
                 "g_L": f"g_L_{soma}", "E_L": f"E_L_{soma}"}
        frag = Fragment()
        frag.equations = [_sub(e, names) for e in (
            "v_star = (g_L*E_L + g_D*v)/(g_L + g_D) : volt",
            "phi_star = phi_max/(1 + k_phi*exp(beta_phi*(theta_phi - v_star))) : hertz",
            "h_star = beta_phi/(1 + exp(beta_phi*(v_star - theta_phi))/k_phi) : 1/volt")]
        return frag


def nest_eta(eta_nest, C_dend, w_scale):
    """Convert NEST's ``urbanczik_synapse`` learning rate to :class:`UrbanczikSenn`'s ``eta``.

    NEST (``urbanczik_synapse.h``) adds ``15 C tau_s eta_NEST/(g_L (tau_L -
    tau_s))`` times the integral of ``(S - phi) h_15 kappa`` to a weight in pA,
    with ``h_15 = 15 h`` and the unnormalised kernel ``kappa = e^{-t/tau_L} -
    e^{-t/tau_s}``.  Here the PSP per unit weight is ``w_scale tau_s/(g_L
    (tau_L - tau_s)) kappa`` and ``w`` is in units of ``w_scale``, so
    ``eta = 225 eta_NEST (C/pF)/(w_scale/pA)^2`` (time in ms, voltage in mV;
    ``w_scale`` enters twice, through the weight unit and through the PSP).

    The commented-out unit-less parameter set of NEST's example
    (``eta = 0.0003/(15 15 C)``, C = 1, 1 unit = 15 mV, 300 pF, 4500 pA) is
    not equivalent to its standard-unit ``eta = 0.17``: it corresponds to
    ``eta = 0.0675`` here, 1.89 times slower.

    Examples
    --------
    >>> from brian2 import pA, pF
    >>> round(nest_eta(0.17, 300 * pF, 300 * pA), 4)
    0.1275
    """
    from brian2 import pA, pF

    return 225.0 * eta_nest * float(C_dend / pF) / float(w_scale / pA) ** 2


@dataclass(frozen=True)
class UrbanczikSenn(Rule):
    """Urbanczik & Senn 2014 (Neuron 81:521) dendritic-prediction rule (Fig. 1B learning).

    ``PI_i = [S(t) - phi(V*_w)] h(V*_w) PSP_i(t)``,
    ``tau_Delta dDelta_i/dt = -Delta_i + PI_i``, ``dw_i/dt = eta Delta_i``.
    ``S`` is the somatic spike train, ``V*_w``, ``phi`` and ``h`` come from
    :class:`DendriticPrediction` in the synapse's compartment, and
    ``PSP_i`` is the dendritic voltage one unit of weight of synapse *i*
    produces (volt), computed per synapse with the compartment's own
    membrane (``C/g_L`` of the compartment, read from the neuron) and the
    current channel's decay ``tau_<channel>_<comp>``; it is exact for a
    passive dendrite that the soma does not load (one-way coupling), so that
    ``V_w - E_L = sum_i w_i PSP_i``.  ``eta`` is dimensionless
    (:func:`nest_eta` converts NEST's value: 0.1275 for the NEST example with
    ``w_scale = 300 pA``).

    Weight bounds, ``bounds='nest'`` (default): as in NEST's
    ``urbanczik_synapse``, the delivered weight is the unbounded integral
    ``w_init + eta int Delta dt`` clipped to ``[w_min, w_max]``; a weight
    driven past a bound stays there until the integral has come back
    (``w_excess`` holds the part beyond the bound; ``w`` keeps to the bounds
    within one time step's change).  ``bounds='hard'``: growth stops at the
    bound and reverses as soon as ``Delta`` changes sign, forgetting the
    excess.  It matters in the Fig. 1B protocol, where a third to a half of
    the weights reach ``w_min = 0``.

    Parameters
    ----------
    eta : float
        Learning rate (dimensionless, >= 0).
    tau_Delta : `Quantity`
        Low-pass time constant of the weight change (100 ms).
    w_min, w_max : float
        Weight bounds (``w_max`` 4.5 = NEST's 4.5 C with ``w_scale`` C/ms).
    bounds : {'nest', 'hard'}
        How the bounds act (see above).
    channel : str or None
        The current-based channel the synapses use (default: the
        compartment's only current channel).
    """

    eta: float = 0.1275
    tau_Delta: object = _q(100 * ms)
    w_min: float = 0.0
    w_max: float = 4.5
    bounds: str = "nest"
    channel: str = None
    name = "urbanczik-senn"

    def _channel(self, post_model, compartment):
        comp = post_model.compartment(compartment)
        if self.channel is not None:
            ch = post_model.channel(self.channel, compartment)
        else:
            cur = [c for c in comp.channels if not c.conductance]
            if len(cur) != 1:
                raise ModelError(f"Rule 'urbanczik-senn' needs parameter 'channel' for compartment "
                                 f"'{compartment}', which has {len(cur)} current-based channels "
                                 f"({', '.join(c.name for c in cur) or 'none'}); exactly one "
                                 "is chosen automatically.")
            ch = cur[0]
        if ch.conductance or ch.tau_rise is not None:
            raise ModelError(f"Rule 'urbanczik-senn' needs a current-based single-exponential "
                             f"channel; channel '{ch.name}' of '{compartment}' is not one.")
        return ch

    def spec(self, post_model, compartment):
        check_rate("eta", self.eta)
        check_bounds(self.w_min, self.w_max)
        if self.bounds not in ("nest", "hard"):
            raise ModelError(f"Parameter 'bounds' = {self.bounds!r} of rule 'urbanczik-senn' "
                             "must be 'nest' or 'hard'.")
        ch = self._channel(post_model, compartment)
        c = compartment
        s = SynapseSpec(method="rk2")
        self.param(s, "eta", self.eta, 1)
        self.param(s, "tau_Delta", self.tau_Delta, ms, positive=True)
        self.param(s, "w_min", self.w_min, 1)
        self.param(s, "w_max", self.w_max, 1)
        tau_s = f"tau_{ch.name}_{c}_post"
        s.model = [
            f"dr_psp/dt = -r_psp/{tau_s} : volt (clock-driven)",
            f"dpsp/dt = (r_psp - psp)*g_L_{c}_post/C_{c}_post : volt (clock-driven)",
            f"dDelta/dt = (-Delta - phi_star_{c}_post*h_star_{c}_post*psp)/tau_Delta : hertz "
            "(clock-driven)"]
        if self.bounds == "nest":
            # w + w_excess is NEST's unbounded weight; w follows it while it is inside
            s.model += [
                "w_inside = int(w + w_excess > w_min)*int(w + w_excess < w_max) : 1",
                "dw/dt = eta*Delta*w_inside : 1 (clock-driven)",
                "dw_excess/dt = eta*Delta*(1 - w_inside) : 1 (clock-driven)"]
        else:
            s.model.append("dw/dt = eta*Delta*(int(Delta > 0*Hz)*int(w < w_max) "
                           "+ int(Delta < 0*Hz)*int(w > w_min)) : 1 (clock-driven)")
        s.on_pre = [f"r_psp += w_scale/g_L_{c}_post"]
        s.on_post = [f"Delta += h_star_{c}_post*psp/tau_Delta"]
        hint = (f"add DendriticPrediction() to the mechanisms of compartment '{c}' of model "
                f"'{post_model.name}' (dendrites.plasticity.prediction).")
        for var in ("v_star", "phi_star", "h_star"):
            s.requires[f"{var}_{c}_post"] = hint
        return s
