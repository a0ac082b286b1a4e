"""Burstprop networks of Payeur et al. (2021): the propagation (multiplexing) network and XOR.

Payeur, Guerguiev, Zenke, Richards & Naud 2021 (Nat Neurosci 24:1010),
SCIENCE.md section 6.  Both networks are built from this package's parts:
two-compartment bursting pyramids (:func:`dendrites.presets.payeur_2021`),
AdEx PV- and SST-like interneurons, depressing feedforward and facilitating
feedback synapses (:func:`dendrites.plasticity.std_feedforward`,
:func:`dendrites.plasticity.stf_feedback`) and the burst-dependent rule
(:class:`dendrites.plasticity.BurstRule`).

Propagation network (Fig. 3; authors' ``sim_propagation.cpp``)::

    pyr1 --STD--> pyr2.soma        pyr1 --STD--> PV --GABA--> pyr2.soma
    pyr2 --STF--> pyr1.apical      pyr2 --STF--> SST --GABA--> pyr1.apical

Events travel up through depressing synapses, bursts down through
facilitating ones.  Connections have a fixed in-degree ``p_connect N_pre``;
each is given as the *total* peak conductance ``G`` a neuron receives from
the whole presynaptic population (``w_scale = G/in-degree``), so the input a
neuron receives does not depend on the population size.

XOR network (Fig. 4; authors' ``sim_xor.cpp``, reduced)::

    in1, in2 --BurstRule--> hid1.soma, hid2.soma
    hid1 --BurstRule--> out.soma
    hid2 --> PV --GABA--> out.soma               (fixed, sign-inverting)
    out --STF--> hid1.apical                     (feedback, positive sign)
    out --STF--> SST --GABA--> hid2.apical       (feedback, negative sign)

The teacher is a current into the output dendrites during the learning phase
(proportional to the target minus the output event rate of the prediction
phase): it raises or lowers the output burst probability against its running
mean ``P_bar``, and the feedback pathways carry that change, with the sign of
each hidden population's effect on the output, to the hidden dendrites.  The
same description drives a rate network (:class:`RateXOR`, SCIENCE.md 6.6).
"""

import logging
from dataclasses import dataclass

import numpy as np
from brian2 import Hz, Network, SpikeMonitor, TimedArray, ms, mV, nS, pA, second

from dendrites.fragments import _d as _q  # dataclass default for a quantity
from dendrites import NoiseCurrent, presets
from dendrites.errors import ModelError, check_choice, check_quantity
from dendrites.plasticity import connect
from dendrites.plasticity.burst import BurstDetector, BurstRule, _BurstBase
from dendrites.plasticity.stp import BurstOnly, FixedWeight, std_feedforward, stf_feedback

from .populations import InputLayer, Population, add_mechanisms, check_size

__all__ = [
    "PLASTIC",
    "SOURCE",
    "HomeostaticBurstRule",
    "Propagation",
    "RateXOR",
    "XORNet",
    "build_propagation",
    "build_xor",
    "check_pattern",
    "fixed_indegree",
]

logger = logging.getLogger(__name__)

SOURCE = ("Payeur, Guerguiev, Zenke, Richards & Naud 2021 Nat Neurosci 24:1010; "
          "apayeur/spikingburstprop sim_propagation.cpp, sim_xor.cpp (SCIENCE.md section 6)")


def fixed_indegree(rng, n_pre, n_post, k):
    """``(i, j)`` of a random connection where every postsynaptic neuron has *k* inputs.

    Presynaptic partners are drawn without replacement per postsynaptic neuron.
    The pairs are returned presynaptic-major (stable sort by ``i``): Brian2
    stores synapses in the order they are created, and a spike then reads its
    synapses' state (weight, short-term plasticity variables, target)
    contiguously; in the drawing order (postsynaptic-major) the delivery
    through the six short-term-plasticity pathways of the propagation network
    took about half of its ``cpp_standalone`` run time (9.9 s against 6.1 s
    at the published size).
    """
    k = min(int(k), n_pre)
    i = np.concatenate([rng.choice(n_pre, k, replace=False) for _ in range(n_post)])
    j = np.repeat(np.arange(n_post, dtype=np.int32), k)
    order = np.argsort(i, kind="stable")
    return i[order].astype(np.int32), j[order]


PYRAMIDS = {"coupled": presets.payeur_2021, "burst-poisson": presets.payeur_2021_burst_poisson}


def _pyramid(noise, kind="coupled"):
    return PYRAMIDS[kind](noise=noise)


def _interneuron(kind, sigma, tau):
    model = presets.payeur_2021_pv() if kind == "pv" else presets.payeur_2021_sst()
    return add_mechanisms(model, "soma", NoiseCurrent(sigma, tau))


# ============================================================== propagation
@dataclass(frozen=True)
class Propagation:
    """Description of the two-population propagation network (SCIENCE.md 6.2, 6.5).

    Parameters
    ----------
    n_pyr, n_pv, n_sst : int
        Pyramids per population (paper 4000), PV and SST interneurons (1000).
    p_connect : float
        Connection probability; in-degree ``p_connect N_pre`` (paper 0.05).
    G_ff, G_pv_in, G_pv_out, G_fb, G_sst_in, G_sst_out : `Quantity`
        Total peak conductance per postsynaptic neuron of pyr1->pyr2.soma (STD),
        pyr1->PV (STD), PV->pyr2.soma, pyr2->pyr1.apical (STF), pyr2->SST (STF),
        SST->pyr1.apical.  ``G_rec``: STF GABA synapses from each population onto its
        own dendrites (the authors' stand-in for disynaptic SST inhibition).
        Calibrated here (the Auryn weights of the paper are
        in units that depend on its background input).
    noise_soma, noise_apical, noise_inter, noise_tau : `Quantity`
        Ornstein-Uhlenbeck background (replaces the paper's Poisson background).
    I1_soma, A1_soma, period1 : `Quantity`
        Mean, amplitude and period of the sinusoidal current into the somata of
        population 1 (period 500 ms).
    I2_apical, A2_apical, period2 : `Quantity`
        The same for the dendrites of population 2 (period 500 sqrt(5) ms).
    I1_apical, I2_soma, I_pv, I_sst : `Quantity`
        Constant currents (pyr1 dendrites, pyr2 somata, interneurons).
    """

    n_pyr: int = 2000
    n_pv: int = 500
    n_sst: int = 500
    p_connect: float = 0.05
    G_ff: object = _q(100 * nS)
    G_pv_in: object = _q(60 * nS)
    G_pv_out: object = _q(3 * nS)
    G_fb: object = _q(550 * nS)
    G_sst_in: object = _q(100 * nS)
    G_sst_out: object = _q(20 * nS)
    G_rec: object = _q(300 * nS)
    noise_soma: object = _q(220 * pA)
    noise_apical: object = _q(150 * pA)
    noise_inter: object = _q(50 * pA)
    noise_tau: object = _q(5 * ms)
    I1_soma: object = _q(470 * pA)
    A1_soma: object = _q(100 * pA)
    period1: object = _q(500 * ms)
    I2_apical: object = _q(150 * pA)
    A2_apical: object = _q(200 * pA)
    period2: object = _q(500 * np.sqrt(5) * ms)
    I1_apical: object = _q(-50 * pA)
    I2_soma: object = _q(370 * pA)
    I_pv: object = _q(100 * pA)
    I_sst: object = _q(-50 * pA)

    def __post_init__(self):
        for name in ("n_pyr", "n_pv", "n_sst"):
            check_size(name, getattr(self, name))
        if not (isinstance(self.p_connect, (float, int)) and 0 < self.p_connect <= 1):
            raise ModelError(f"Parameter 'p_connect' = {self.p_connect!r} must lie in (0, 1].")
        for name in ("G_ff", "G_pv_in", "G_pv_out", "G_fb", "G_sst_in", "G_sst_out", "G_rec"):
            check_quantity(name, getattr(self, name), nS, nonnegative=True)
        for name in ("noise_soma", "noise_apical", "noise_inter"):
            check_quantity(name, getattr(self, name), pA, nonnegative=True)
        for name in ("noise_tau", "period1", "period2"):
            check_quantity(name, getattr(self, name), ms, positive=True)
        for name in ("I1_soma", "A1_soma", "I2_apical", "A2_apical", "I1_apical", "I2_soma",
                     "I_pv", "I_sst"):
            check_quantity(name, getattr(self, name), pA)

    def drives(self, t):
        """Somatic drive of pop 1 and dendritic drive of pop 2 (pA) at times *t* (second)."""
        t = np.asarray(t, float)
        d1 = float(self.I1_soma / pA) + float(self.A1_soma / pA) * np.sin(
            2 * np.pi * t / float(self.period1 / second))
        d2 = float(self.I2_apical / pA) + float(self.A2_apical / pA) * np.sin(
            2 * np.pi * t / float(self.period2 / second))
        return d1, d2


def _k(p_connect, n_pre):
    return max(1, round(p_connect * n_pre))


def build_propagation(desc, duration, dt, seed=1):
    """Build the propagation network (inside a backend scope).

    Returns a dict with the groups (``pyr1``, ``pyr2``, ``pv``, ``sst``), the
    synapses, spike monitors ``spikes1``/``spikes2`` and ``network``.  The
    sinusoidal drives are ``TimedArray``s sampled every 1 ms over *duration*.
    """
    rng = np.random.RandomState(seed)
    pyr_model = _pyramid((desc.noise_soma, desc.noise_apical, desc.noise_tau))
    pops = {"pyr1": Population("pyr1", pyr_model, desc.n_pyr),
            "pyr2": Population("pyr2", pyr_model, desc.n_pyr),
            "pv": Population("pv", _interneuron("pv", desc.noise_inter, desc.noise_tau),
                             desc.n_pv, "pv"),
            "sst": Population("sst", _interneuron("sst", desc.noise_inter, desc.noise_tau),
                              desc.n_sst, "sst")}
    g = {k: p.build(dt=dt) for k, p in pops.items()}
    t = np.arange(int(np.ceil(float(duration / ms))) + 2) * 1e-3
    d1, d2 = desc.drives(t)
    g["pyr1"].namespace["drive_soma1"] = TimedArray(d1 * pA, dt=1 * ms)
    g["pyr2"].namespace["drive_apical2"] = TimedArray(d2 * pA, dt=1 * ms)
    g["pyr1"].run_regularly("I_ext_soma = drive_soma1(t)", dt=1 * ms, when="start",
                            name="pyr1_drive")
    g["pyr2"].run_regularly("I_ext_apical = drive_apical2(t)", dt=1 * ms, when="start",
                            name="pyr2_drive")
    g["pyr1"].I_ext_apical = desc.I1_apical
    g["pyr2"].I_ext_soma = desc.I2_soma
    g["pv"].I_ext_soma = desc.I_pv
    g["sst"].I_ext_soma = desc.I_sst
    for key in ("pyr1", "pyr2"):
        g[key].v_soma = (-70 + rng.uniform(0, 10, desc.n_pyr)) * mV
    wiring = [  # name, pre, post, compartment, channel, G, stp
        ("ff", "pyr1", "pyr2", "soma", "ampa", desc.G_ff, std_feedforward()),
        ("pv_in", "pyr1", "pv", "soma", "ampa", desc.G_pv_in, std_feedforward()),
        ("pv_out", "pv", "pyr2", "soma", "gaba", desc.G_pv_out, None),
        ("fb", "pyr2", "pyr1", "apical", "ampa", desc.G_fb, stf_feedback()),
        ("sst_in", "pyr2", "sst", "soma", "ampa", desc.G_sst_in, stf_feedback()),
        ("sst_out", "sst", "pyr1", "apical", "gaba", desc.G_sst_out, None),
        # burst-driven dendritic inhibition within each population: the authors'
        # "fake inhibitory" STF pyr->pyr connections onto g_gaba_dend
        ("rec1", "pyr1", "pyr1", "apical", "gaba", desc.G_rec, stf_feedback()),
        ("rec2", "pyr2", "pyr2", "apical", "gaba", desc.G_rec, stf_feedback())]
    syn = {}
    for name, pre, post, comp, ch, G, stp in wiring:
        if name.startswith("rec") and G == 0 * nS:
            continue
        k = _k(desc.p_connect, pops[pre].N)
        i, j = fixed_indegree(rng, pops[pre].N, pops[post].N, k)
        syn[name] = connect(FixedWeight(), g[pre], g[post], pops[post].model, comp, ch,
                            w_init=1.0, w_scale=G / k, connect=dict(i=i, j=j), name=name,
                            stp=stp)
    mons = {"spikes1": SpikeMonitor(g["pyr1"], name="spikes1"),
            "spikes2": SpikeMonitor(g["pyr2"], name="spikes2")}
    net = Network(*g.values(), *syn.values(), *mons.values())
    return dict(groups=g, synapses=syn, network=net, populations=pops, **mons)


# ====================================================================== XOR
@dataclass(frozen=True)
class HomeostaticBurstRule(_BurstBase):
    """Burst rule with the authors' upper event-rate homeostasis (Payeur et al. 2021).

    ``dw/dt = eta [B - P_bar E - h (1 - r_max/E_bar)_+ (E + B)] E_tilde_pre``:
    the :class:`~dendrites.plasticity.burst.BurstRule` plus, while the
    postsynaptic moving-average event rate ``E_bar`` exceeds ``r_max``, a
    depression at every event and burst.  This is the network rule of the
    authors' code (``AdaptiveEBCPConnection.cpp``: ``dw = eta [E_bar B -
    B_bar E - (E_bar - max_rate)_+ (E + B)] E_tilde``, ``max_rate = e_max``
    in ``sim_xor.cpp``) divided by ``E_bar``, i.e. in the ``P_bar`` form of
    :class:`BurstRule`; ``h`` (1 in the authors' code) scales it, 0 turns it
    off.  Their lower bound (``min_rate`` 0.1 Hz, potentiation at presynaptic
    spikes) is left out: it acts only on nearly silent neurons.
    """

    eta: float = 0.1
    tau_pre: object = _q(100 * ms)
    burst_isi: object = _q(16 * ms)
    r_max: object = _q(10 * Hz)
    h: float = 1.0
    w_min: float = 0.0
    w_max: float = 1.0
    name = "homeostatic-burst-rule"

    def spec(self, post_model, compartment):
        s, d = self._common(post_model, compartment)
        self.param(s, "r_max", self.r_max, Hz, positive=True)
        self.param(s, "h_hom", self.h, 1, nonnegative=True)
        s.requires[f"E_bar_{d}_post"] = s.requires[f"P_bar_{d}_post"]
        hom = (f"h_hom*clip(1 - r_max/clip(E_bar_{d}_post, 1e-12*Hz, 1e12*Hz), 0, 1)"
               f"*(event_now_{d}_post + burst_now_{d}_post)")
        s.on_post = [f"w = clip(w + eta*(burst_now_{d}_post - P_bar_{d}_post*event_now_{d}_post"
                     f" - {hom})*etrace, w_min, w_max)"]
        return s


@dataclass(frozen=True)
class XORNet:
    """Description of the XOR burstprop network, shared by the spiking and the rate version.

    Payeur et al. 2021, Fig. 4 (SCIENCE.md 6.3, A14): two input, two hidden and
    one output population, the burst-dependent rule on input->hidden and
    hidden->output synapses, fixed STF feedback from the output to the hidden
    dendrites.  The paper lets every weight be plastic and uses 500
    neurons/population; here the second hidden population acts on the output
    through PV interneurons (sign inversion, Dale's law) and receives its
    feedback through SST interneurons, so that each hidden population's
    feedback has the sign of its effect on the output (the paper learns
    signed feedback pathways instead).  Targets are event rates ``e_max``
    (true) and ``e_min`` (false).

    Parameters
    ----------
    n_in, n_hid, n_out, n_pv, n_sst : int
        Neurons per input population, hidden population, output population;
        interneurons.
    k_in : int or None
        Inputs a hidden neuron receives from each input population (fixed
        in-degree, drawn per neuron; None: all ``n_in``).  With all-to-all
        input every hidden neuron sees the same input spikes, and the hidden
        populations (and the PV cells they drive) fire in synchronous volleys.
    r_on, r_off : `Quantity`
        Poisson rate of an input population for a 1 and a 0.
    G_ih, G_ho : `Quantity`
        Peak conductance a hidden (output) neuron receives from a whole
        input (hidden-1) population at unit weight (STD synapses onto the soma).
    G_pv_in, G_pv_out, G_fb, G_sst_in, G_sst_out : `Quantity`
        Totals per postsynaptic neuron: hid2->PV (STD), PV->out.soma,
        out->hid1.apical (STF), out->SST (STF), SST->hid2.apical.
    I_hid, I_out, I_hid_apical, I_out_apical, I_pv, I_sst : `Quantity`
        Constant bias currents.
    I_hid2 : `Quantity` or None
        Constant current into the hid2 somata (``I_hid`` if None).
    I_hid2_apical : `Quantity` or None
        Constant current into the hid2 dendrites (``I_hid_apical`` if None).
        hid2 is held below its burst threshold by SST inhibition, so a higher
        bias keeps its burst probability where SST changes can move it.
    noise_soma, noise_apical, noise_tau : `Quantity`
        OU background of the pyramids (interneurons get ``noise_soma/3``).
    eta_ih, eta_ho : float
        Learning rates of the burst rule (paper 8e-3, 4e-3 over 2000 examples):
        input -> hid1 (and input -> hid2 unless ``eta_ih2`` is set), hid1 -> output.
    eta_ih2 : float or None
        Learning rate of input -> hid2 (``eta_ih`` if None).  At (1,1) the
        input -> hid1 weights are depressed more than a single input
        potentiates them; a lower ``eta_ih`` beside the hid2 rate slows the
        loss of hid1 while hid2 learns its AND.
    tau_pre, tau_avg : `Quantity`
        Presynaptic event trace and moving averages (paper 100 ms, 2 s, with a
        7.2 s prediction phase: ``P_bar`` has forgotten the previous example
        when learning starts).
    h_hom : float
        Weight of the authors' upper event-rate homeostasis
        (:class:`HomeostaticBurstRule`, ``r_max = e_max``); 0: plain
        :class:`~dendrites.plasticity.burst.BurstRule`.
    w_init, w_spread : float
        Initial weights ``U(w_init - w_spread, w_init + w_spread)`` in [0, w_max = 1].
    e_min, e_max : `Quantity`
        Target output event rates (2 and 10 Hz).
    teach_mode : str
        ``"linear"``: teacher current into the output dendrites ``teach_gain
        (target - e_out)``; ``"cross-entropy"``: the authors' teacher
        (``sim_xor.cpp``, ``generate_error``), minus the gradient of their
        cost ``-y log(m) - (1 - y) log(1 - m)`` with ``m = (e_out - e_min)/
        (e_max - e_min)`` (``compute_cost``): ``C/(e_out - e_min)`` for a true
        pattern and ``-C/(e_max - e_out)`` for a false one, ``C = teach_ce
        (e_max - e_min)/2`` (``teach_ce`` at the midpoint), with their 1 Hz
        tolerance: zero once a true pattern is within 1 Hz of ``e_max`` or a
        false one within 1 Hz of ``e_min``, and ``+-C/(1 Hz)`` beyond 1 Hz of
        the other end.  Either is clipped to ``+-teach_max``.
    teach_gain, teach_ce, teach_max : `Quantity`
        pA per Hz (linear); pA at ``e_out = (e_min + e_max)/2`` (cross-entropy); the clip.
    pyramid : str
        Pyramidal neuron: ``"coupled"`` (:func:`dendrites.presets.payeur_2021`,
        the Naud & Sprekeler neuron of the propagation network, whose bursts
        come from the soma-dendrite interaction) or ``"burst-poisson"``
        (:func:`dendrites.presets.payeur_2021_burst_poisson`, the neuron of
        the authors' ``sim_xor.cpp``: an event becomes a burst with a
        probability set by the dendritic voltage alone).
    t_predict, t_learn, t_count : `Quantity`
        Phases of one example (plasticity off, then on); the output event
        rate is counted over the last ``t_count`` of the prediction phase.
    """

    n_in: int = 40
    k_in: object = None
    n_hid: int = 40
    n_out: int = 40
    n_pv: int = 20
    n_sst: int = 20
    r_on: object = _q(20 * Hz)
    r_off: object = _q(1 * Hz)
    G_ih: object = _q(80 * nS)
    G_ho: object = _q(250 * nS)
    G_pv_in: object = _q(60 * nS)
    G_pv_out: object = _q(100 * nS)
    G_fb: object = _q(400 * nS)
    G_sst_in: object = _q(100 * nS)
    G_sst_out: object = _q(150 * nS)
    I_hid: object = _q(250 * pA)
    I_out: object = _q(320 * pA)
    I_hid_apical: object = _q(100 * pA)
    I_hid2: object = None
    I_hid2_apical: object = None
    I_out_apical: object = _q(100 * pA)
    I_pv: object = _q(100 * pA)
    I_sst: object = _q(0 * pA)
    noise_soma: object = _q(150 * pA)
    noise_apical: object = _q(150 * pA)
    noise_tau: object = _q(5 * ms)
    eta_ih: float = 0.05
    eta_ho: float = 0.05
    eta_ih2: object = None
    tau_pre: object = _q(100 * ms)
    tau_avg: object = _q(2 * second)
    w_init: float = 0.5
    w_spread: float = 0.2
    h_hom: float = 0.0
    e_min: object = _q(2 * Hz)
    e_max: object = _q(10 * Hz)
    teach_mode: str = "linear"
    pyramid: str = "coupled"
    teach_gain: object = _q(40 * pA)
    teach_ce: object = _q(200 * pA)
    teach_max: object = _q(300 * pA)
    t_predict: object = _q(600 * ms)
    t_learn: object = _q(400 * ms)
    t_count: object = _q(400 * ms)

    def __post_init__(self):
        for name in ("n_in", "n_hid", "n_out", "n_pv", "n_sst"):
            check_size(name, getattr(self, name))
        if self.k_in is not None and (not isinstance(self.k_in, (int, np.integer))
                                      or not 1 <= self.k_in <= self.n_in):
            raise ModelError(f"Parameter 'k_in' = {self.k_in!r} must be None or an integer "
                             f"in [1, n_in = {self.n_in}].")
        for name in ("r_on", "e_min", "e_max"):
            check_quantity(name, getattr(self, name), Hz, positive=True)
        check_quantity("r_off", self.r_off, Hz, nonnegative=True)
        for name in ("G_ih", "G_ho", "G_pv_in", "G_pv_out", "G_fb", "G_sst_in", "G_sst_out"):
            check_quantity(name, getattr(self, name), nS, nonnegative=True)
        for name in ("I_hid", "I_out", "I_hid_apical", "I_out_apical", "I_pv", "I_sst"):
            check_quantity(name, getattr(self, name), pA)
        for name in ("I_hid2", "I_hid2_apical"):
            if getattr(self, name) is not None:
                check_quantity(name, getattr(self, name), pA)
        check_choice("teach_mode", self.teach_mode, ("linear", "cross-entropy"))
        check_choice("pyramid", self.pyramid, tuple(PYRAMIDS))
        for name in ("noise_soma", "noise_apical", "teach_gain", "teach_ce", "teach_max"):
            check_quantity(name, getattr(self, name), pA, nonnegative=True)
        for name in ("noise_tau", "tau_pre", "tau_avg", "t_predict", "t_learn", "t_count"):
            check_quantity(name, getattr(self, name), ms, positive=True)
        for name in ("eta_ih", "eta_ho", "h_hom"):
            check_quantity(name, getattr(self, name), 1, nonnegative=True)
        if self.eta_ih2 is not None:
            check_quantity("eta_ih2", self.eta_ih2, 1, nonnegative=True)
        if not 0 <= self.w_init - self.w_spread <= self.w_init + self.w_spread <= 1:
            raise ModelError(f"Parameters 'w_init' = {self.w_init} and 'w_spread' = "
                             f"{self.w_spread}: initial weights must lie in [0, 1].")
        if self.t_count > self.t_predict:
            raise ModelError(f"Parameter 't_count' = {self.t_count} must not exceed "
                             f"'t_predict' = {self.t_predict}.")
        if self.r_off >= self.r_on:
            raise ModelError(f"Parameter 'r_off' = {self.r_off} must be below 'r_on' = "
                             f"{self.r_on}.")

    @property
    def hid2_soma(self):
        """Constant current into the hid2 somata (``I_hid2``, else ``I_hid``)."""
        return self.I_hid if self.I_hid2 is None else self.I_hid2

    @property
    def hid2_apical(self):
        """Constant current into the hid2 dendrites (``I_hid2_apical``, else ``I_hid_apical``)."""
        return self.I_hid_apical if self.I_hid2_apical is None else self.I_hid2_apical

    def learning_rate(self, name):
        """Learning rate of the plastic projection *name* (one of :data:`PLASTIC`)."""
        if name == "hid1_out":
            return self.eta_ho
        if name in ("in1_hid1", "in2_hid1"):
            return self.eta_ih
        if name in ("in1_hid2", "in2_hid2"):
            return self.eta_ih if self.eta_ih2 is None else self.eta_ih2
        raise ModelError(f"Unknown plastic projection {name!r}; known: {', '.join(PLASTIC)}.")

    def input_rates(self, pattern):
        """Poisson rates (Hz) of the two input populations for a 0/1 *pattern* of length 2."""
        pattern = check_pattern(pattern)
        return np.where(pattern > 0.5, float(self.r_on / Hz), float(self.r_off / Hz))

    def target_rate(self, label):
        """Target output event rate (Hz) for a boolean label."""
        return float((self.e_max if label else self.e_min) / Hz)

    def teacher(self, target_hz, output_hz):
        """Teacher current (pA) into the output dendrites (see ``teach_mode``)."""
        if self.teach_mode == "linear":
            value = float(self.teach_gain / pA) * (target_hz - output_hz)
        else:
            e_max, e_min, tol = float(self.e_max / Hz), float(self.e_min / Hz), 1.0
            c = float(self.teach_ce / pA) * (e_max - e_min) / 2
            if target_hz >= e_max:                  # a true pattern
                value = (0.0 if output_hz >= e_max - tol else
                         c / max(output_hz - e_min, tol))
            else:
                value = (0.0 if output_hz <= e_min + tol else
                         -c / max(e_max - output_hz, tol))
        limit = float(self.teach_max / pA)
        return float(np.clip(value, -limit, limit))


def check_pattern(pattern):
    """An XOR input pattern: two values, each 0 or 1."""
    arr = np.asarray(pattern, dtype=float)
    if arr.shape != (2,) or not np.all(np.isin(arr, (0.0, 1.0))):
        raise ModelError(f"XOR pattern {pattern!r} must be two values, each 0 or 1 "
                         "(e.g. (0, 1)).")
    return arr


PLASTIC = ("in1_hid1", "in2_hid1", "in1_hid2", "in2_hid2", "hid1_out")


def build_xor(desc, dt, seed=1):
    """Build the spiking XOR network (inside a backend scope).

    Returns a dict: ``groups`` (in1, in2, hid1, hid2, out, pv, sst),
    ``synapses`` (plastic ones named in :data:`PLASTIC`), ``network``.
    Inputs are :class:`~circuits.populations.InputLayer` Poisson neurons whose
    ``pattern`` (0..1 of ``r_on``) the protocol sets per example.
    """
    rng = np.random.RandomState(seed)
    detector = BurstDetector(tau_avg=desc.tau_avg, E_init=5 * Hz, P_init=0.2)
    pyr = Population("pyr", _pyramid((desc.noise_soma, desc.noise_apical, desc.noise_tau),
                                     desc.pyramid),
                     1).with_mechanisms("soma", detector)
    pops = {"hid1": Population("hid1", pyr.model, desc.n_hid),
            "hid2": Population("hid2", pyr.model, desc.n_hid),
            "out": Population("out", pyr.model, desc.n_out),
            "pv": Population("pv", _interneuron("pv", desc.noise_soma / 3, desc.noise_tau),
                             desc.n_pv, "pv"),
            "sst": Population("sst", _interneuron("sst", desc.noise_soma / 3, desc.noise_tau),
                              desc.n_sst, "sst")}
    g = {k: p.build(dt=dt) for k, p in pops.items()}
    for k in ("in1", "in2"):
        g[k] = InputLayer(k, desc.n_in, phi_max=desc.r_on, spiking=True).build(dt=dt)
        g[k].pattern = float(desc.r_off / desc.r_on)
        g[k].r = float(desc.r_off / desc.r_on)
    for k in ("hid1", "hid2"):
        g[k].I_ext_soma, g[k].I_ext_apical = desc.I_hid, desc.I_hid_apical
    g["hid2"].I_ext_soma, g["hid2"].I_ext_apical = desc.hid2_soma, desc.hid2_apical
    g["out"].I_ext_soma, g["out"].I_ext_apical = desc.I_out, desc.I_out_apical
    g["pv"].I_ext_soma, g["sst"].I_ext_soma = desc.I_pv, desc.I_sst
    for k in ("hid1", "hid2", "out"):
        g[k].v_soma = (-70 + rng.uniform(0, 10, pops[k].N)) * mV
    syn = {}

    def rule(eta):
        if desc.h_hom > 0:
            return HomeostaticBurstRule(eta=eta, tau_pre=desc.tau_pre, r_max=desc.e_max,
                                        h=desc.h_hom, w_min=0.0, w_max=1.0)
        return BurstRule(eta=eta, tau_pre=desc.tau_pre, w_min=0.0, w_max=1.0)

    k_in = desc.n_in if desc.k_in is None else desc.k_in
    plastic = [("in1_hid1", "in1", "hid1", desc.G_ih, desc.n_in, k_in),
               ("in2_hid1", "in2", "hid1", desc.G_ih, desc.n_in, k_in),
               ("in1_hid2", "in1", "hid2", desc.G_ih, desc.n_in, k_in),
               ("in2_hid2", "in2", "hid2", desc.G_ih, desc.n_in, k_in),
               ("hid1_out", "hid1", "out", desc.G_ho, desc.n_hid, desc.n_hid)]
    for name, pre, post, G, n_pre, k in plastic:
        eta = desc.learning_rate(name)
        wiring = True if k == n_pre else dict(zip("ij", fixed_indegree(rng, n_pre,
                                                                      pops[post].N, k)))
        w0 = rng.uniform(desc.w_init - desc.w_spread, desc.w_init + desc.w_spread,
                         k * pops[post].N)
        syn[name] = connect(rule(eta), g[pre], g[post], pops[post].model, "soma", "ampa",
                            w_init=w0, w_scale=G / k, connect=wiring, name=name,
                            stp=std_feedforward())
    # the coupled neuron's feedback is read through facilitation; the authors' XOR network
    # transmits the bursts of its BurstPoisson neurons only (TransmitBurstConnection)
    burst_fb = stf_feedback if desc.pyramid == "coupled" else BurstOnly
    fixed = [("pv_in", "hid2", "pv", "soma", "ampa", desc.G_pv_in, desc.n_hid, std_feedforward()),
             ("pv_out", "pv", "out", "soma", "gaba", desc.G_pv_out, desc.n_pv, None),
             ("fb", "out", "hid1", "apical", "ampa", desc.G_fb, desc.n_out, burst_fb()),
             ("sst_in", "out", "sst", "soma", "ampa", desc.G_sst_in, desc.n_out, burst_fb()),
             ("sst_out", "sst", "hid2", "apical", "gaba", desc.G_sst_out, desc.n_sst, None)]
    for name, pre, post, comp, ch, G, n_pre, stp in fixed:
        syn[name] = connect(FixedWeight(), g[pre], g[post], pops[post].model, comp, ch,
                            w_init=1.0, w_scale=G / n_pre, connect=True, name=name, stp=stp)
    net = Network(*g.values(), *syn.values())
    return dict(groups=g, synapses=syn, network=net, populations=pops)


class RateXOR:
    """Rate version of the XOR burstprop network (same :class:`XORNet` description).

    Payeur et al. 2021, rate burstprop (SCIENCE.md 6.6): each population is
    one unit with an event rate ``e = F(I_soma)`` and a burst probability
    ``p = sigmoid(a + b I_apical)``; the rule is ``dw = eta e_post (p - p_bar)
    e_pre tau_pre`` per second of learning, with ``p_bar`` the burst
    probability of the prediction phase (the moving average ``P_bar`` of
    the spiking rule when ``tau_avg`` is long against the learning phase).
    ``F`` and the burst-probability sigmoid are fitted to the spiking
    pyramid of :func:`dendrites.presets.payeur_2021` with 150 pA OU noise
    (threshold 290 pA, 0.033 Hz/pA; ``p = 0.08, 0.27, 0.54`` at 0, 100, 200 pA
    apical current).  Synaptic currents are ``G w r c tau dV`` with the STD
    (``c = 0.8``) or STF (``c = 0.15``, burst-rate driven) efficacy.
    """

    TAU_AMPA, DV_EXC, TAU_GABA, DV_INH = 5e-3, 65e-3, 10e-3, 15e-3
    C_STD, C_STF = 0.8, 0.15
    I_TH, SLOPE, SMOOTH = 290.0, 0.033, 30.0          # pA, Hz/pA, pA
    P_A, P_B = -2.4, 0.013                          # logit intercept, per pA
    PV_GAIN, PV_TH = 7.5, 3.4                       # Hz/Hz above the hid2 rate, Hz
    SST_GAIN = 2.0                                   # SST Hz per Hz of output bursts

    def __init__(self, desc, seed=1):
        self.d = desc
        rng = np.random.RandomState(seed)
        lo, hi = desc.w_init - desc.w_spread, desc.w_init + desc.w_spread
        self.w = {name: float(rng.uniform(lo, hi, 200).mean()) for name in PLASTIC}

    def _F(self, current):
        x = (current - self.I_TH) / self.SMOOTH
        return self.SLOPE * self.SMOOTH * np.logaddexp(0.0, x)

    def _p(self, apical):
        return 1.0 / (1.0 + np.exp(-(self.P_A + self.P_B * apical)))

    def _exc(self, G, w, rate, c=None):
        return float(G / nS) * 1e-9 * w * rate * (c or self.C_STD) * self.TAU_AMPA * \
            self.DV_EXC * 1e12

    def forward(self, pattern, teacher=0.0):
        """Event rates and burst probabilities (Hz, 1) of hid1, hid2, out for *pattern*."""
        d = self.d
        r = d.input_rates(pattern)
        e = {}
        for h in ("hid1", "hid2"):
            bias = d.I_hid if h == "hid1" else d.hid2_soma
            e[h] = self._F(float(bias / pA) + self._exc(d.G_ih, self.w[f"in1_{h}"], r[0])
                           + self._exc(d.G_ih, self.w[f"in2_{h}"], r[1]))
        pv = self.PV_GAIN * max(e["hid2"] - self.PV_TH, 0.0)
        inh = float(d.G_pv_out / nS) * 1e-9 * pv * self.TAU_GABA * self.DV_INH * 1e12
        e["out"] = self._F(float(d.I_out / pA) + self._exc(d.G_ho, self.w["hid1_out"],
                                                           e["hid1"]) - inh)
        p = {"out": self._p(float(d.I_out_apical / pA) + teacher)}
        burst_out = p["out"] * e["out"]
        fb = self._exc(d.G_fb, 1.0, burst_out, self.C_STF)
        sst = self.SST_GAIN * burst_out
        fb_inh = float(d.G_sst_out / nS) * 1e-9 * sst * self.TAU_GABA * self.DV_INH * 1e12
        p["hid1"] = self._p(float(d.I_hid_apical / pA) + fb)
        p["hid2"] = self._p(float(d.hid2_apical / pA) - fb_inh)
        return e, p, r

    def updates(self, pattern, label):
        """Weight changes of one example (prediction, then teacher on for ``t_learn``)."""
        e0, _, _ = self.forward(pattern)
        teach = self.d.teacher(self.d.target_rate(label), e0["out"])
        return self.delta(pattern, teach), teach

    def delta(self, pattern, teacher):
        """Weight changes (by :data:`PLASTIC` name) of one learning phase with *teacher* (pA)."""
        d = self.d
        _, p0, _ = self.forward(pattern)
        e, p, r = self.forward(pattern, float(teacher))
        scale = float(d.tau_pre / second) * float(d.t_learn / second)
        dw = {}
        for h in ("hid1", "hid2"):
            for k, name in enumerate(("in1", "in2")):
                dw[f"{name}_{h}"] = (d.learning_rate(f"{name}_{h}") * e[h] * (p[h] - p0[h])
                                     * r[k] * scale)
        dw["hid1_out"] = (d.learning_rate("hid1_out") * e["out"] * (p["out"] - p0["out"])
                          * e["hid1"] * scale)
        return dw

    def train(self, n_examples, seed=1):
        """Train on cycles of the four patterns; returns rates and ``solved`` (8/4 Hz)."""
        rng = np.random.RandomState(seed)
        x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        y = np.array([0, 1, 1, 0])
        for _ in range(n_examples // 4):
            for k in rng.permutation(4):
                dw, _ = self.updates(x[k], y[k])
                for name, v in dw.items():
                    self.w[name] = float(np.clip(self.w[name] + v, 0.0, 1.0))
        rates = np.array([self.forward(xx)[0]["out"] for xx in x])
        solved = bool(rates[y == 1].min() >= 8.0 and rates[y == 0].max() <= 4.0)
        return dict(output_rate=rates, solved=solved, weights=dict(self.w))
