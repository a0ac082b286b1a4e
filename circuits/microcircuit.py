"""The dendritic cortical microcircuit of Sacramento et al. (2018), as a rate and a spiking network.

One description (:class:`Sacramento2018`) and one builder
(:func:`build_microcircuit`) with ``mode='rate'`` or ``mode='spiking'``.
Layers ``k = 1..L`` of pyramidal neurons (soma, basal and, in hidden layers,
apical compartments; the output layer has none) and, per hidden layer, SST-like
interneurons (soma and dendrite) that are one-to-one partners of the upper
pyramids (Sacramento et al. 2018, NeurIPS, Fig. 1; SCIENCE.md section 3):

========  =========================  ==========================================
name      pre -> post.compartment    weights (rule)
========  =========================  ==========================================
ff_k      P_k-1 -> P_k.basal         W^PP_k (PredictionRule, eta_PP)
td_k      P_k+1 -> P_k.apical        B_k, random or W^PP_k+1 transposed (fixed)
pi_k      I_k -> P_k.apical          W^PI_k (ApicalRule, eta_PI)
ip_k      P_k -> I_k.dendrite        W^IP_k (PredictionRule, eta_IP)
nudge_k   P_k+1 -> I_k.soma          one-to-one voltage nudging (g_som)
========  =========================  ==========================================

The paper's unit-free variables map to physical units as in
:func:`dendrites.presets.sacramento_2018`: C = 100 pF, conductances g C/ms
(g_lk 0.1 -> 10 nS), voltages 1 unit = 1 mV above E_L = -70 mV, phi the
logistic times phi_max = 200 Hz.  Dendrites are leaky (tau 10 ms) and drive
the soma one way; a weight w from a neuron of rate ``phi_max phi`` moves the
dendrite by ``w phi`` mV (charge ``w_scale = g_lk C mV/phi_max`` per spike).

In the rate network, presynaptic rates reach dendrites as summed currents; in
the spiking network every neuron fires Poisson spikes at its rate
(:class:`dendrites.mechanisms.EscapeRate`, the same phi) into exponential
current synapses.  A unit may stand for ``copies`` neurons with tied weights:
their superposed spike trains are one Poisson process of rate ``copies phi_max
phi`` whose spikes carry ``1/copies`` of the charge (Poisson superposition), so
the Poisson noise of the dendritic input falls as ``1/copies`` at no extra
synapses.  Plasticity is the rate rule in the rate network
and its spike-driven form (presynaptic spikes replacing rates) in the
spiking one.
"""

import logging
from dataclasses import dataclass

import numpy as np
from brian2 import Hz, Network, StateMonitor, TimedArray, defaultclock, mV, ms, pF

from dendrites.fragments import _d as _q  # dataclass default for a quantity
from dendrites import (Compartment, Coupling, EscapeRate, NeuronModel, NoiseCurrent, RateOutput,
                       current_channel)
from dendrites.errors import ModelError, check_choice, check_quantity

from .populations import InputLayer, Nudging, Population, check_size, noise_sigma
from .projections import ApicalRule, PredictionRule, Projection, SummedCurrent

__all__ = ["Sacramento2018", "Microcircuit", "build_microcircuit", "initial_weights",
           "steady_state", "MODES", "FAMILIES"]

logger = logging.getLogger(__name__)

MODES = ("rate", "spiking")
FAMILIES = ("PP", "IP", "PI")          # plastic weight families
SOURCE = ("Sacramento, Costa, Bengio & Senn 2018 NeurIPS; miyosuda/dendritic_bp option.py, "
          "layer.py (SCIENCE.md section 3.3)")


@dataclass(frozen=True)
class Sacramento2018:
    """Description of the microcircuit (SCIENCE.md section 3.3 and Appendix A).

    Parameters
    ----------
    sizes : tuple of int
        Pyramids per layer, input first (Fig. 1: 30-20-10).
    interneurons : tuple of int, optional
        Interneurons per hidden layer; must equal the next layer's size
        (one-to-one partners).  Default: matched.
    g_lk, g_B, g_A, g_D, g_som : float
        Leak, basal, apical, interneuron-dendrite and nudging conductances in
        units of C/ms (0.1, 1.0, 0.8, 1.0, 0.8).
    noise : float
        Somatic white-noise amplitude sigma (0.1), as an OU current of
        correlation time ``tau_noise``.
    eta_PP : tuple of float
        Forward learning rates per layer (0.0011875, 0.0005).
    eta_IP, eta_PI : float
        Interneuron learning rates (self-prediction values 0.0002375, 0.0005).
    w_init : float
        Initial weights U(-w_init, w_init) (reference code: 1).
    feedback : str
        ``random`` top-down weights or ``symmetric`` (B_k = W^PP_k+1 transposed).
    plastic : tuple of str
        Families that carry a rule (``PP``, ``IP``, ``PI``).
    tau_syn, copies, t_ref : spiking network only
        Synaptic current time constant, neurons per unit, refractoriness.
    """

    sizes: tuple = (30, 20, 10)
    interneurons: tuple = None
    g_lk: float = 0.1
    g_B: float = 1.0
    g_A: float = 0.8
    g_D: float = 1.0
    g_som: float = 0.8
    noise: float = 0.1
    eta_PP: tuple = (0.0011875, 0.0005)
    eta_IP: float = 0.0002375
    eta_PI: float = 0.0005
    w_init: float = 1.0
    feedback: str = "random"
    plastic: tuple = ("IP", "PI")
    C: object = _q(100 * pF)
    E_L: object = _q(-70 * mV)
    phi_max: object = _q(200 * Hz)
    tau_input: object = _q(3 * ms)
    tau_noise: object = _q(1 * ms)
    tau_syn: object = _q(5 * ms)
    copies: int = 1
    t_ref: object = _q(0 * ms)

    def __post_init__(self):
        object.__setattr__(self, "sizes", tuple(self.sizes))
        object.__setattr__(self, "eta_PP", tuple(self.eta_PP))
        object.__setattr__(self, "plastic", tuple(self.plastic))
        self.validate()

    @property
    def n_layers(self):
        """Number of pyramidal layers above the input (L)."""
        return len(self.sizes) - 1

    def validate(self):
        if len(self.sizes) < 3:
            raise ModelError(f"Parameter 'sizes' = {list(self.sizes)} needs at least 3 layers "
                             "(input, hidden, output).")
        for k, n in enumerate(self.sizes):
            check_size(f"sizes[{k}]", n)
        if self.interneurons is not None:
            inter = list(self.interneurons)
            upper = list(self.sizes[2:])
            if inter != upper:
                raise ModelError(f"Parameter 'interneurons' = {inter} does not match the upper "
                                 f"layer sizes {upper}: SST interneurons of layer k are one-to-one "
                                 "partners of the pyramids of layer k+1 (|I_k| = |P_k+1|).")
        for name in ("g_lk", "g_B", "g_A", "g_D", "g_som", "noise", "eta_IP", "eta_PI", "w_init"):
            check_quantity(name, getattr(self, name), 1, nonnegative=True, positive=name == "g_lk")
        if len(self.eta_PP) != self.n_layers:
            raise ModelError(f"Parameter 'eta_PP' = {list(self.eta_PP)} needs one rate per layer "
                             f"above the input ({self.n_layers} for sizes {list(self.sizes)}).")
        check_quantity("eta_PP", np.asarray(self.eta_PP), 1, nonnegative=True)
        check_choice("feedback", self.feedback, ("random", "symmetric"))
        for fam in self.plastic:
            check_choice("plastic weight family", fam, FAMILIES)
        check_size("copies", self.copies)
        check_quantity("C", self.C, pF, positive=True)
        check_quantity("E_L", self.E_L, mV)
        check_quantity("phi_max", self.phi_max, Hz, positive=True)
        for name in ("tau_input", "tau_noise", "tau_syn"):
            check_quantity(name, getattr(self, name), ms, positive=True)
        check_quantity("t_ref", self.t_ref, ms, nonnegative=True)

    # ------------------------------------------------------------------ models
    def unit_rate(self, mode):
        """Maximal rate of one unit: ``phi_max``, times ``copies`` in the spiking network."""
        return self.phi_max * (self.copies if mode == "spiking" else 1)

    def w_scale(self, mode):
        """Charge per spike and unit weight, ``g_lk C (1 mV)/unit_rate``."""
        return self.g_lk * self.C / ms * mV / self.unit_rate(mode)

    def _spike(self, mode):
        if mode == "rate":
            return RateOutput(self.phi_max, 1.0, 1 / mV, self.E_L)
        return EscapeRate(self.unit_rate(mode), 1.0, 1 / mV, self.E_L, self.t_ref)

    def _comp(self, name, mode, soma_extra=()):
        spiking_dendrite = mode == "spiking" and name != "soma"
        chans = (current_channel("syn", self.tau_syn),) if spiking_dendrite else ()
        mechs = ()
        if name == "soma":
            if self.noise > 0:
                sigma = noise_sigma(self.C, self.noise, self.tau_noise)
                mechs += (NoiseCurrent(sigma, self.tau_noise),)
            mechs += tuple(soma_extra)
        return Compartment(name, self.C, self.g_lk * self.C / ms, self.E_L, chans, mechs)

    def pyramid(self, mode, hidden=True):
        """Pyramidal neuron: soma, basal and (hidden layers) apical; output neurons are nudged."""
        check_choice("mode", mode, MODES)
        g = self.C / ms
        comps = [self._comp("soma", mode, () if hidden else (Nudging(self.g_som * g),)),
                 self._comp("basal", mode)]
        couplings = [Coupling("soma", "basal", self.g_B * g, one_way=True)]
        if hidden:
            comps.append(self._comp("apical", mode))
            couplings.append(Coupling("soma", "apical", self.g_A * g, one_way=True))
        kind = "hidden" if hidden else "output"
        return NeuronModel(f"sacramento-2018-{kind}-{mode}", tuple(comps), tuple(couplings),
                           self._spike(mode), SOURCE)

    def interneuron(self, mode):
        """SST-like interneuron: soma nudged toward the upper pyramid, dendrite driven one way."""
        check_choice("mode", mode, MODES)
        g = self.C / ms
        comps = (self._comp("soma", mode, (Nudging(self.g_som * g),)), self._comp("dendrite", mode))
        return NeuronModel(f"sacramento-2018-interneuron-{mode}", comps,
                           (Coupling("soma", "dendrite", self.g_D * g, one_way=True),),
                           self._spike(mode), SOURCE)


def initial_weights(desc, rng, self_predicting=False):
    """Unit-level weights ``{projection name: (N_post, N_pre) array}``.

    U(-w_init, w_init) as in the reference code (layer.py ``connect_to``);
    ``symmetric`` feedback sets ``B_k = W^PP_k+1`` transposed;
    ``self_predicting`` sets ``W^IP_k = W^PP_k+1`` and ``W^PI_k = -B_k``
    (``force_self_prediction``).
    """
    n, w0 = desc.sizes, desc.w_init
    W = {}
    for k in range(1, len(n)):
        W[f"ff_{k}"] = rng.uniform(-w0, w0, (n[k], n[k - 1]))
    for k in range(1, len(n) - 1):
        B = rng.uniform(-w0, w0, (n[k], n[k + 1]))
        W[f"td_{k}"] = W[f"ff_{k + 1}"].T.copy() if desc.feedback == "symmetric" else B
        W[f"ip_{k}"] = rng.uniform(-w0, w0, (n[k + 1], n[k]))
        W[f"pi_{k}"] = rng.uniform(-w0, w0, (n[k], n[k + 1]))
        if self_predicting:
            W[f"ip_{k}"] = W[f"ff_{k + 1}"].copy()
            W[f"pi_{k}"] = -W[f"td_{k}"]
    return W


class Microcircuit:
    """A built microcircuit: populations, projections, their Brian2 objects and monitors."""

    def __init__(self, desc, mode, populations, projections, groups, synapses):
        self.desc, self.mode = desc, mode
        self.populations, self.projections = populations, projections
        self.groups, self.synapses = groups, synapses
        self.monitors = {}

    @property
    def objects(self):
        return [*self.groups.values(), *self.synapses.values(), *self.monitors.values()]

    def network(self, *extra):
        return Network(*self.objects, *extra)

    def record(self, population, variables, dt, name=None):
        """Record *variables* of every neuron of *population* every *dt*."""
        name = name or f"{population}_state"
        self.monitors[name] = StateMonitor(self.groups[population], list(variables), record=True,
                                           dt=dt, name=name)
        return self.monitors[name]

    def set_eta(self, family, value):
        """Set the learning rate of every projection of *family* (between runs)."""
        check_choice("plastic weight family", family, FAMILIES)
        prefix = {"PP": "ff_", "IP": "ip_", "PI": "pi_"}[family]
        for name, syn in self.synapses.items():
            if name.startswith(prefix) and self.projections[name].rule is not None:
                syn.eta = value

    def _output(self):
        return self.groups[f"pyr_{self.desc.n_layers}"]

    def set_target(self, u_target, on=True):
        """Nudge the output toward *u_target* (mV above rest) from the next run on, or stop."""
        out = self._output()
        out.u_nudge_soma = self.desc.E_L + np.asarray(u_target, float) * mV
        out.gate_nudge_soma = 1.0 if on else 0.0

    def schedule_targets(self, u_target, gate, presentation):
        """Targets per presentation within a run: rows of *u_target* (mV above rest), *gate* 0/1.

        A ``run_regularly`` operation of the output group reads two
        ``TimedArray`` objects at the start of every presentation.
        """
        out = self._output()
        u_target, gate = np.asarray(u_target, float), np.asarray(gate, float)
        n_out = self.desc.sizes[-1]
        if u_target.ndim != 2 or u_target.shape[1] != n_out or gate.shape != (len(u_target),):
            raise ModelError(f"Targets have shape {u_target.shape} and gates {gate.shape}; "
                             f"expected (n_presentations, {n_out}) and (n_presentations,).")
        ns = {"target_values": TimedArray(u_target, dt=presentation),
              "target_gate": TimedArray(gate, dt=presentation)}
        out.namespace.update(ns)          # the group's own (explicit) namespace
        out.run_regularly("u_nudge_soma = E_L_soma + target_values(t, i)*mV\n"
                          "gate_nudge_soma = target_gate(t)", dt=presentation, when="start",
                          name=f"{out.name}_targets")

    def weights(self, name):
        """Weight matrix (N_post, N_pre) of a projection (read after ``finish``)."""
        return self.projections[name].matrix(self.synapses[name])


def build_microcircuit(desc, mode, weights, patterns=None, presentation=100 * ms, dt=None,
                       prefix=""):
    """Build the rate or spiking network of *desc* (inside a backend scope).

    Parameters
    ----------
    desc : `Sacramento2018`
    mode : str
        ``rate`` or ``spiking``.
    weights : dict
        Weights per projection (:func:`initial_weights`); names and shapes
        are checked against ``desc.sizes`` before anything is built.
    patterns : array (n_presentations, sizes[0]), optional
        Input patterns in [0, 1] (rows held ``presentation`` each); without
        them the input's ``pattern`` variable is set between runs.
    prefix : str
        Prefix of every Brian2 name (several circuits in one network); the
        dictionaries of the returned `Microcircuit` use unprefixed keys.
    """
    check_choice("mode", mode, MODES)
    step = dt if dt is not None else defaultclock.dt
    if mode == "spiking" and not float(desc.unit_rate(mode) * step) <= 0.5:
        raise ModelError(f"Parameter 'copies' = {desc.copies}: copies*phi_max*dt = "
                         f"{float(desc.unit_rate(mode) * step):.2f} must be at most 0.5 (one spike "
                         "per step is drawn with probability rate*dt).")
    n, L, pre, rate = desc.sizes, desc.n_layers, prefix, mode == "rate"
    pops = {"inp": InputLayer(f"{pre}inp", n[0], desc.unit_rate(mode), desc.tau_input,
                              mode == "spiking")}
    for k in range(1, L + 1):
        pops[f"pyr_{k}"] = Population(f"{pre}pyr_{k}", desc.pyramid(mode, hidden=k < L), n[k])
    for k in range(1, L):
        pops[f"int_{k}"] = Population(f"{pre}int_{k}", desc.interneuron(mode), n[k + 1], "sst")
    fam = dict(PP=lambda k: PredictionRule(desc.eta_PP[k - 1]),
               IP=lambda k: PredictionRule(desc.eta_IP), PI=lambda k: ApicalRule(desc.eta_PI))
    specs = [(f"ff_{k}", "inp" if k == 1 else f"pyr_{k - 1}", f"pyr_{k}", "basal", "PP")
             for k in range(1, L + 1)]      # (name, pre, post, compartment, family)
    for k in range(1, L):
        specs += [(f"td_{k}", f"pyr_{k + 1}", f"pyr_{k}", "apical", None),
                  (f"pi_{k}", f"int_{k}", f"pyr_{k}", "apical", "PI"),
                  (f"ip_{k}", f"pyr_{k}", f"int_{k}", "dendrite", "IP")]
    names = [sp[0] for sp in specs]
    if sorted(weights) != sorted(names):
        raise ModelError(f"'weights' has projections {sorted(weights)}; expected exactly "
                         f"{sorted(names)} for sizes {list(n)}.")
    if rate:   # every rate projection writes its own summed current
        for name, _, post, comp, _ in specs:
            pops[post] = pops[post].with_mechanisms(comp, SummedCurrent(pre + name))
    projs = {}
    for name, src, post, comp, family in specs:
        rule = fam[family](int(name.split("_")[1])) if family in desc.plastic else None
        projs[name] = Projection(pre + name, pops[src], pops[post], comp,
                                 None if rate else "syn", weights[name], desc.w_scale(mode),
                                 "rate" if rate else "spikes", rule=rule)
    for k in range(1, L):
        projs[f"nudge_{k}"] = Projection(f"{pre}nudge_{k}", pops[f"pyr_{k + 1}"],
                                         pops[f"int_{k}"], "soma", delivery="voltage",
                                         connection="one_to_one")
    groups = {}
    for name, pop in pops.items():
        groups[name] = (pop.build(patterns, presentation, dt=dt) if name == "inp"
                        else pop.build(dt=dt))
    groups[f"pyr_{L}"].gate_nudge_soma = 0.0          # no target until set_target
    by_name = {pop.name: groups[key] for key, pop in pops.items()}
    synapses = {key: p.build(by_name[p.pre.name], by_name[p.post.name])
                for key, p in projs.items()}
    return Microcircuit(desc, mode, pops, projs, groups, synapses)


def steady_state(desc, weights, rates, target=None, iterations=2000, tol=0.0):
    """Fixed point of the rate network for constant input *rates* (noise-free).

    Sacramento et al. 2018 equations with dendrites at their steady state:
    ``v_B = W phi_pre``, ``v_A = B phi(u_k+1) + W^PI phi(u^I)``,
    ``u = (g_B v_B + g_A v_A)/(g_lk + g_B + g_A)`` (hidden),
    ``u = (g_B v_B + g_som u_trgt)/(g_lk + g_B + g_som)`` (output; without
    *target* ``g_som`` is 0), ``u^I = (g_D v^I + g_som u_k+1)/(g_lk + g_D +
    g_som)``; solved by damped fixed-point iteration.  *rates* may be one
    pattern ``(sizes[0],)`` or a batch ``(n, sizes[0])`` (then *target*, if
    given, is ``(n, sizes[-1])`` or one row for all); iteration stops early
    once no voltage moves by more than *tol*.  Returns ``{'u': [...],
    'v_A': [...], 'u_I': [...]}`` per layer (mV above rest = paper units;
    arrays with the batch as first axis).
    """
    phi = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    L, gl, gB, gA, gD, gs = desc.n_layers, desc.g_lk, desc.g_B, desc.g_A, desc.g_D, desc.g_som
    rates = np.asarray(rates, float)
    batch = rates.shape[:-1]
    u = [np.zeros(batch + (m,)) for m in desc.sizes[1:]]
    uI = [np.zeros(batch + (m,)) for m in desc.sizes[2:]]
    vB_in = rates @ weights["ff_1"].T           # the input does not change
    for _ in range(iterations):
        new, newI, vA = [], [], []
        for k in range(1, L + 1):
            vB = vB_in if k == 1 else phi(new[-1]) @ weights[f"ff_{k}"].T
            if k < L:
                vA.append(phi(u[k]) @ weights[f"td_{k}"].T + phi(uI[k - 1]) @ weights[f"pi_{k}"].T)
                new.append((gB * vB + gA * vA[-1]) / (gl + gB + gA))
                vI = phi(u[k - 1]) @ weights[f"ip_{k}"].T
                newI.append((gD * vI + gs * u[k]) / (gl + gD + gs))
            elif target is None:
                new.append(gB * vB / (gl + gB))
            else:
                new.append((gB * vB + gs * np.asarray(target, float)) / (gl + gB + gs))
        step = max(float(np.max(np.abs(a - b), initial=0.0)) for a, b in zip(u + uI, new + newI))
        u = [0.5 * a + 0.5 * b for a, b in zip(u, new)]
        uI = [0.5 * a + 0.5 * b for a, b in zip(uI, newI)]
        if step <= tol:
            break
    return {"u": u, "v_A": vA, "u_I": uI}
