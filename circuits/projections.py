"""Projections: which population reaches which compartment, through what, and how it learns.

A :class:`Projection` names its presynaptic population, the postsynaptic
population, the *compartment* it lands on and the way it delivers:

``spikes``
    each presynaptic spike increments a synaptic channel of the compartment
    (built with :func:`dendrites.plasticity.connect`, so any rule and
    short-term plasticity apply);
``rate``
    the summed current ``sum_i w_ji w_scale rate_i`` flows into the
    compartment (a rate network; :class:`SummedCurrent` adds the variable);
``voltage``
    one-to-one nudging: the presynaptic somatic voltage becomes the target
    ``u_nudge`` of a :class:`~circuits.populations.Nudging` soma (Sacramento
    et al. 2018, interneurons nudged by the upper pyramids).

For ``rate`` delivery and for current channels ``w_scale`` is the charge per
spike and unit weight (coulomb), so the mean current ``w w_scale rate`` is the
same whether the presynaptic neurons spike or not.  PV-like (``pv``)
populations may only land on a soma, SST-like (``sst``) ones only on a
dendrite.  :class:`PredictionRule` and :class:`ApicalRule` are the plasticity
rules of the Sacramento microcircuit, in a spike-driven and a rate form.
"""

import logging
from dataclasses import dataclass, field

import numpy as np
from brian2 import Synapses, coulomb, ms, nS, pA, second

from dendrites.errors import ModelError, check_choice, check_quantity
from dendrites.fragments import Fragment
from dendrites.plasticity import FixedWeight, connect
from dendrites.plasticity.base import Rule, SynapseSpec, check_rate

from .populations import Nudging

__all__ = ["DELIVERIES", "Projection", "SummedCurrent", "PredictionRule", "ApicalRule",
           "soma_attenuation"]

logger = logging.getLogger(__name__)

DELIVERIES = ("spikes", "rate", "voltage")
CONNECTIONS = ("all", "one_to_one")


@dataclass(frozen=True)
class SummedCurrent:
    """A current ``I_<name>_<compartment>`` written by one rate projection (a summed variable)."""

    name: str

    def fragment(self, comp, soma):
        frag = Fragment()
        var = f"I_{self.name}_{comp}"
        frag.equations.append(f"{var} : amp")
        frag.currents[comp] = [var]
        return frag


def soma_attenuation(model, compartment):
    """``(lambda, expression)``: ``g_c/(g_L + sum of couplings into the soma)``.

    The dendritic prediction of the somatic voltage of Sacramento et al. 2018
    (``v_hat = lambda v_dend``; ``g_B/(g_lk + g_B + g_A)`` for hidden
    pyramids, ``g_B/(g_lk + g_B)`` for output pyramids, ``g_D/(g_lk + g_D)``
    for interneurons).  The expression reads the ``(shared, constant)``
    parameters of the postsynaptic group.
    """
    inputs = {}
    for cp in model.couplings:
        if cp.a == "soma":
            inputs[cp.b] = cp.param
        elif cp.b == "soma" and not cp.one_way:
            inputs[cp.a] = cp.param
    if compartment not in inputs:
        raise ModelError(f"Compartment {compartment!r} of model '{model.name}' does not drive the "
                         f"soma; allowed: {', '.join(sorted(inputs)) or 'none'}.")
    p = model.parameters()
    value = float(p[inputs[compartment]] / (p["g_L_soma"] + sum(p[n] for n in inputs.values())))
    total = " + ".join(["g_L_soma_post"] + [f"{n}_post" for n in inputs.values()])
    return value, f"{inputs[compartment]}_post/({total})"


class _RateRule(Rule):
    """A rule ``dW/dt = eta err_post phi_pre / tau_eta`` in a spike-driven and a rate form.

    ``phi_pre = rate_pre/phi_max_pre`` (the paper's phi, at most 1) and
    ``tau_eta = 1 ms`` (the reference code's time unit), so ``eta`` is the
    published value.  Spike form: each presynaptic spike adds
    ``eta err/(phi_max_pre tau_eta)``, whose mean over Poisson spikes at
    ``rate_pre`` is the rate form.  The low-pass filter of the reference
    code on dW (tau_w = 30 ms) is omitted: it smooths, but does not change
    the mean drift.
    """

    def _error(self, post_model, compartment, spec):
        raise NotImplementedError  # abstract

    def _base(self, post_model, compartment):
        check_rate("eta", self.eta)
        s = SynapseSpec()
        self.param(s, "eta", self.eta, 1)
        self.param(s, "tau_eta", 1 * ms, ms, positive=True)
        err = self._error(post_model, compartment, s)
        s.requires["phi_max_pre"] = ("the presynaptic group needs a rate phi_max*phi: a "
                                     "RateOutput/EscapeRate neuron or an InputLayer.")
        return s, err

    def spec(self, post_model, compartment):
        s, err = self._base(post_model, compartment)
        s.on_pre = [f"w += eta*({err})/(phi_max_pre*tau_eta)"]
        return s

    def rate_spec(self, post_model, compartment):
        s, err = self._base(post_model, compartment)
        s.model.append(f"dw/dt = eta*({err})*rate_pre/(phi_max_pre*tau_eta) : 1 (clock-driven)")
        s.requires["rate_pre"] = s.requires["phi_max_pre"]
        return s


@dataclass(frozen=True)
class PredictionRule(_RateRule):
    """Dendritic prediction of the somatic rate: ``dW/dt = eta (phi(u) - phi(v_hat)) phi_pre``.

    Sacramento, Costa, Bengio & Senn 2018 (NeurIPS), plasticity of W^PP
    (basal) and W^IP (interneuron dendrite), SCIENCE.md section 3.2:
    ``v_hat = lambda v_dend`` with ``lambda`` from :func:`soma_attenuation`,
    voltages relative to rest; ``phi(u)`` is the neuron's ``rate`` and
    ``phi(v_hat)`` the same sigmoid at ``E_L_soma + v_hat``, both divided by
    ``phi_max``.  The weight stops changing when the dendrite predicts the
    (nudged) soma.
    """

    eta: float = 0.0011875
    name = "sacramento-prediction"

    def _error(self, post_model, compartment, s):
        _, lam = soma_attenuation(post_model, compartment)
        c = compartment
        s.model += [f"v_hat = E_L_soma_post + {lam}*(v_{c}_post - E_L_{c}_post) : volt",
                    "phi_hat = phi_max_post/(1 + k_phi_post*exp(beta_phi_post*(theta_phi_post"
                    " - v_hat))) : hertz"]
        s.requires["rate_post"] = "the rule compares phi(u) with phi(v_hat): give the neuron a " \
                                  "RateOutput or EscapeRate mechanism."
        return "(rate_post - phi_hat)/phi_max_post"


@dataclass(frozen=True)
class ApicalRule(_RateRule):
    """Interneuron-to-apical plasticity ``dW/dt = eta (v_rest - v_A) phi_pre``.

    Sacramento et al. 2018, W^PI (SCIENCE.md section 3.2, ``v_rest = 0``):
    the interneurons learn to cancel the top-down input, silencing the apical
    compartment.  Voltages are in units of ``1/beta_phi`` of the
    postsynaptic sigmoid (1 mV in :func:`dendrites.presets.sacramento_2018`).
    """

    eta: float = 0.0005
    name = "sacramento-apical"

    def _error(self, post_model, compartment, s):
        if compartment == "soma":
            raise ModelError("Rule 'sacramento-apical' silences a dendrite; compartment 'soma' "
                             f"is not one. Allowed: {', '.join(post_model.compartment_names[1:])}.")
        post_model.compartment(compartment)
        s.requires["beta_phi_post"] = "voltages are read in units of 1/beta_phi of the post rate."
        return f"(E_L_{compartment}_post - v_{compartment}_post)*beta_phi_post"


def _weights(proj):
    """Initial weights as (pre index, post index, value) arrays, checked against the sizes."""
    n_pre, n_post = proj.pre.N, proj.post.N
    w = np.asarray(proj.weights, dtype=float)
    if proj.connection == "one_to_one":
        if n_pre != n_post:
            raise ModelError(f"Projection '{proj.name}': one-to-one needs equal sizes; "
                             f"'{proj.pre.name}' has {n_pre} neurons, '{proj.post.name}' {n_post}.")
        i = j = np.arange(n_pre)
        expected = (n_pre,)
    else:
        i, j = np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)
        expected = (n_post, n_pre)
    if w.ndim == 0:
        w = np.full(expected, float(w))
    if w.shape != expected:
        meaning = "(N_post, N_pre)" if len(expected) == 2 else "(N,) one-to-one"
        raise ModelError(f"Projection '{proj.name}' ({proj.pre.name} -> {proj.post.name}."
                         f"{proj.compartment}): weights have shape {w.shape}; expected "
                         f"{expected} = {meaning}.")
    if not np.all(np.isfinite(w)):
        raise ModelError(f"Projection '{proj.name}': weights must be finite.")
    values = w if proj.connection == "one_to_one" else w[j, i]
    return i, j, values


@dataclass(frozen=True)
class Projection:
    """Synapses from *pre* onto one compartment of *post*.

    Parameters
    ----------
    name : str
        Identifier (names the Synapses and, for ``rate``, the summed current).
    pre : `Population` or `InputLayer`
    post : `Population`
    compartment : str
        Target compartment of the postsynaptic model (``basal``, ``apical``,
        ``soma``, ``dendrite``, ...).
    channel : str, optional
        Synaptic channel of the compartment, for ``spikes`` delivery.
    weights : float or array
        Dimensionless weights, shape (N_post, N_pre) (or (N,) one-to-one).
    w_scale : `Quantity`
        Charge per spike and unit weight (current channels and ``rate``),
        or peak conductance (conductance channels); unused for ``voltage``.
    delivery : str
        ``spikes``, ``rate`` or ``voltage`` (module docstring).
    connection : str
        ``all`` or ``one_to_one``.
    rule : `Rule`, optional
        Long-term plasticity; :class:`PredictionRule` and :class:`ApicalRule`
        also have a rate form.
    stp : optional
        Short-term plasticity (:class:`dendrites.plasticity.TsodyksMarkram`),
        ``spikes`` delivery only.
    """

    name: str
    pre: object
    post: object
    compartment: str
    channel: str = None
    weights: object = 1.0
    w_scale: object = field(default_factory=lambda: 0.05 * pA * second)
    delivery: str = "spikes"
    connection: str = "all"
    rule: object = None
    stp: object = None

    def __post_init__(self):
        self.check()

    # ------------------------------------------------------------------ checks
    def check(self):
        """Validate everything that can be checked before building (clear errors)."""
        check_choice("delivery", self.delivery, DELIVERIES)
        check_choice("connection", self.connection, CONNECTIONS)
        model = self.post.model
        model.compartment(self.compartment)
        role = getattr(self.pre, "role", "input")
        if role == "pv" and self.compartment != "soma":
            raise ModelError(f"Projection '{self.name}': PV-like population '{self.pre.name}' "
                             f"targets the soma, not {self.compartment!r}. Allowed: soma.")
        if role == "sst" and self.compartment == "soma":
            raise ModelError(f"Projection '{self.name}': SST-like population '{self.pre.name}' "
                             f"targets dendrites, not the soma. Allowed: "
                             f"{', '.join(model.compartment_names[1:]) or 'none'}.")
        if self.delivery == "spikes":
            self._check_spikes(model)
        elif self.delivery == "rate":
            if not self.pre.has_rate:
                raise ModelError(f"Projection '{self.name}': rate delivery needs a presynaptic "
                                 f"rate; '{self.pre.name}' has none (RateOutput/EscapeRate).")
            check_quantity("w_scale", self.w_scale, coulomb)
            if self.stp is not None:
                raise ModelError(f"Projection '{self.name}': short-term plasticity needs spikes "
                                 "(delivery='spikes').")
        else:
            if self.compartment != "soma" or self.connection != "one_to_one":
                raise ModelError(f"Projection '{self.name}': voltage delivery is one-to-one "
                                 "nudging of the soma (compartment='soma', "
                                 "connection='one_to_one').")
            if not any(isinstance(m, Nudging) for m in model.compartment("soma").mechanisms):
                raise ModelError(f"Projection '{self.name}': the soma of '{self.post.name}' has "
                                 "no Nudging mechanism to receive the voltage.")
            if self.rule is not None or self.stp is not None:
                raise ModelError(f"Projection '{self.name}': voltage nudging is not plastic.")
        if self.rule is not None:
            if not isinstance(self.rule, Rule):
                raise ModelError(f"Projection '{self.name}': 'rule' must be a dendrites Rule.")
            if self.delivery == "rate" and not hasattr(self.rule, "rate_spec"):
                raise ModelError(f"Projection '{self.name}': rule '{self.rule.name}' has no rate "
                                 "form; allowed: PredictionRule, ApicalRule.")
            # validates the rule against the target compartment before anything is built
            (self.rule.rate_spec if self.delivery == "rate" else self.rule.spec)(
                model, self.compartment)
        _weights(self)

    def _check_spikes(self, model):
        if not getattr(self.pre, "spiking", False):
            raise ModelError(f"Projection '{self.name}': spike delivery needs a spiking "
                             f"presynaptic population; '{self.pre.name}' does not spike.")
        if self.channel is None:
            raise ModelError(f"Projection '{self.name}': spike delivery needs a 'channel' of "
                             f"compartment '{self.compartment}'.")
        ch = model.channel(self.channel, self.compartment)
        check_quantity("w_scale", self.w_scale, nS if ch.conductance else coulomb)

    @property
    def summed_variable(self):
        """The postsynaptic current a ``rate`` projection writes."""
        return f"I_{self.name}_{self.compartment}"

    def mechanism(self):
        """What the postsynaptic model needs: a :class:`SummedCurrent` for ``rate``, else None."""
        return SummedCurrent(self.name) if self.delivery == "rate" else None

    # ------------------------------------------------------------------- build
    def build(self, pre_group, post_group):
        """The ``Synapses`` object (create it inside a backend scope)."""
        i, j, w = _weights(self)
        conn = dict(i=i, j=j)
        if self.delivery == "voltage":
            syn = Synapses(pre_group, post_group, "u_nudge_soma_post = v_soma_pre : volt (summed)",
                           name=self.name, namespace={})
            syn.connect(**conn)
            return syn
        if self.delivery == "rate":
            return self._build_rate(pre_group, post_group, conn, w)
        scale = self.w_scale
        ch = self.post.model.channel(self.channel, self.compartment)
        if not ch.conductance:   # charge per spike -> current increment of the channel
            tau = self.post.model.parameters()[f"tau_{ch.name}_{self.compartment}"]
            scale = self.w_scale / tau
        return connect(self.rule or FixedWeight(), pre_group, post_group, self.post.model,
                       self.compartment, self.channel, w_init=w, w_scale=scale, connect=conn,
                       name=self.name, stp=self.stp)

    def _build_rate(self, pre_group, post_group, conn, w):
        if self.summed_variable not in post_group.variables:
            raise ModelError(f"Projection '{self.name}': '{self.post.name}' has no variable "
                             f"'{self.summed_variable}'; build its model with "
                             f"SummedCurrent('{self.name}') in '{self.compartment}'.")
        spec = SynapseSpec()
        if self.rule is not None:
            spec = self.rule.rate_spec(self.post.model, self.compartment)
        for var in spec.requires:
            group = pre_group if var.endswith("_pre") else post_group
            base = var.rsplit("_", 1)[0]
            if base not in group.variables:
                raise ModelError(f"Projection '{self.name}': rule '{self.rule.name}' reads "
                                 f"'{base}', which '{group.name}' lacks: {spec.requires[var]}")
        own_w = any(line.startswith("dw/dt") for line in spec.model)
        lines = ([] if own_w else ["w : 1"]) + ["w_scale : coulomb (shared, constant)"]
        lines += spec.model + [f"{n} : {u} (shared, constant)" for n, _, u in spec.params]
        lines.append(f"{self.summed_variable}_post = w*w_scale*rate_pre : amp (summed)")
        syn = Synapses(pre_group, post_group, "\n".join(lines), method=spec.method,
                       name=self.name, namespace={})
        syn.connect(**conn)
        syn.w_scale = self.w_scale
        for n, value, _ in spec.params:
            setattr(syn, n, value)
        syn.w = w
        return syn

    def matrix(self, syn):
        """Current weights of a built projection as an (N_post, N_pre) array (after finish)."""
        out = np.zeros((self.post.N, self.pre.N))
        out[np.asarray(syn.j[:]), np.asarray(syn.i[:])] = np.asarray(syn.w[:])
        return out


