"""Published parameter sets as ready-made neuron models, each value with its source.

Unit-free papers (Urbanczik & Senn, Sacramento, Guerguiev) are mapped to
physical units as stated in each docstring; the mapping is chosen so that the
paper's time constants and conductance ratios are exact.
"""

from brian2 import Hz, mV, ms, nS, pA, pF

from .errors import ModelError, check_choice
from .channels import SynapticChannel, ampa, current_channel, gaba, nmda
from .inputs import NoiseCurrent
from .mechanisms import (AdaptiveThresholdIF, AdEx, BAPKernel, BurstPoissonIF, CalciumSpike,
                         DendriticAdaptation, EscapeRate, IntegrateAndFire, Plateau, RateOutput)
from .neuron import Compartment, Coupling, NeuronModel

__all__ = ["PRESETS", "get", "pyramidal", "urbanczik_senn_2014", "sacramento_2018",
           "guerguiev_2017", "payeur_2021", "payeur_2021_burst_poisson", "payeur_2021_pv",
           "payeur_2021_sst",
           "bono_clopath_2017", "clopath_2010"]

#: Synaptic channels :func:`pyramidal` can give its compartments.
PYRAMIDAL_CHANNELS = {"ampa": ampa, "nmda": nmda, "gaba": gaba}

COMPARTMENT_SETS = {2: ("soma", "apical"), 3: ("soma", "basal", "apical"),
                    4: ("soma", "basal", "trunk", "tuft")}


def pyramidal(n_compartments=3, *, C_soma=100 * pF, g_L_soma=10 * nS, C_dend=100 * pF,
              g_L_dend=10 * nS, g_basal=100 * nS, g_apical=80 * nS, g_trunk_tuft=40 * nS,
              E_L=-70 * mV, spike=None, one_way=False, name=None, source=None,
              channels=("ampa", "nmda", "gaba")):
    """A generic 2-, 3- or 4-compartment pyramidal neuron.

    Two compartments: soma and apical; three: soma, basal, apical; four: soma,
    basal, apical trunk and tuft (tuft coupled to the trunk only).  Defaults
    are the Sacramento et al. (2018) conductances (g_lk 0.1, g_B 1.0, g_A 0.8
    in units of C/ms) with C = 100 pF, i.e. g_L = 10 nS, g_B = 100 nS,
    g_A = 80 nS; dendritic compartments get the somatic C and g_L (tau 10 ms);
    the trunk-tuft conductance (40 nS) is this package's choice.  Every
    compartment has the synaptic *channels* named (default AMPA, NMDA and
    GABA; a network that uses fewer should leave the others out: a channel
    at zero conductance is still integrated at every step, and the NMDA
    Mg2+ block costs an exponential per compartment and step).
    """
    check_choice("number of compartments", n_compartments, tuple(COMPARTMENT_SETS))
    channels = (channels,) if isinstance(channels, str) else tuple(channels)
    for ch in channels:
        check_choice("channel", ch, tuple(PYRAMIDAL_CHANNELS))
    if len(set(channels)) != len(channels):
        raise ModelError(f"Parameter 'channels' = {channels!r} names a channel twice.")
    names = COMPARTMENT_SETS[n_compartments]
    comps = [Compartment(n, C_soma if n == "soma" else C_dend,
                         g_L_soma if n == "soma" else g_L_dend, E_L,
                         channels=tuple(PYRAMIDAL_CHANNELS[ch]() for ch in channels))
             for n in names]
    apical = "trunk" if n_compartments == 4 else "apical"
    couplings = [Coupling("soma", apical, g_apical, one_way)]
    if "basal" in names:
        couplings.insert(0, Coupling("soma", "basal", g_basal, one_way))
    if n_compartments == 4:
        couplings.append(Coupling("trunk", "tuft", g_trunk_tuft, one_way))
    return NeuronModel(name or f"pyramidal-{n_compartments}c", tuple(comps), tuple(couplings),
                       spike, source or "Sacramento et al. 2018 conductances (NeurIPS), "
                       "physical units with C = 100 pF")


def urbanczik_senn_2014():
    """Urbanczik & Senn 2014 (Neuron 81:521) two-compartment neuron.

    Values from NEST's ``urbanczik_synapse_example.py`` (standard units):
    C 300 pF and g_L 30 nS in soma and dendrite, g_D 600 nS (dendrite drives
    the soma, one way), E_L -70 mV, exponential currents with tau 3 ms onto
    the dendrite, somatic teaching conductances (E_E 0 mV, E_I -75 mV, tau
    3 ms), phi_max 0.15 / ms, k 0.5, beta 1/3 per mV, theta -55 mV, t_ref 3 ms.
    """
    soma = Compartment("soma", 300 * pF, 30 * nS, -70 * mV,
                       channels=(SynapticChannel("exc", 3 * ms, 0 * mV),
                                 SynapticChannel("inh", 3 * ms, -75 * mV)))
    dend = Compartment("dendrite", 300 * pF, 30 * nS, -70 * mV,
                       channels=(current_channel("cur", 3 * ms),))
    return NeuronModel("urbanczik-senn-2014", (soma, dend),
                       (Coupling("soma", "dendrite", 600 * nS, one_way=True),),
                       EscapeRate(150 * Hz, 0.5, 1 / (3 * mV), -55 * mV, 3 * ms),
                       "Urbanczik & Senn 2014 Neuron 81:521; NEST urbanczik_synapse_example.py")


def sacramento_2018(mode="rate"):
    """Sacramento et al. 2018 (NeurIPS) pyramidal neuron, in physical units.

    g_lk 0.1, g_B 1.0, g_A 0.8 (units of C/ms; miyosuda/dendritic_bp
    option.py) with C = 100 pF: g_L 10 nS, g_B 100 nS, g_A 80 nS.  In
    ``mode='rate'`` the dendrites drive the soma one way (the paper's
    instantaneous dendritic potentials, here leaky with tau 10 ms) and the
    output is the logistic rate ``phi(u)`` (phi_max 200 Hz, 1 mV = 1 unit);
    ``mode='passive'`` couples both ways and has no output nonlinearity.
    """
    check_choice("mode", mode, ("rate", "passive"))
    rate = RateOutput(200 * Hz, 1.0, 1 / mV, -70 * mV) if mode == "rate" else None
    return pyramidal(3, spike=rate, one_way=(mode == "rate"), name=f"sacramento-2018-{mode}")


def guerguiev_2017():
    """Guerguiev, Lillicrap & Richards 2017 (eLife 6:e22901) hidden-layer neuron.

    From deep_learning.py: g_L 0.1 / ms, g_B 0.6, g_A 0 (segregated apical
    dendrite), tau_L 10 ms, tau_s 3 ms, lambda_max 200 Hz; spikes are Poisson
    with rate lambda_max sigma(C).  Physical mapping: C = 100 pF (g_L 10 nS,
    g_B 60 nS), dimensionless voltages read as mV above E_L = -70 mV.  The
    dendrites are leaky (tau_L = 10 ms) and receive 3 ms current synapses, so a
    presynaptic spike produces the paper's PSP kernel
    (exp(-t/tau_L) - exp(-t/tau_s))/(tau_L - tau_s).  The apical plateau is
    sigma(A) (Plateau mechanism).
    """
    comps = tuple(Compartment(n, 100 * pF, 10 * nS, -70 * mV,
                              channels=(current_channel("cur", 3 * ms),),
                              mechanisms=(Plateau(-70 * mV, 1 * mV),) if n == "apical" else ())
                  for n in ("soma", "basal", "apical"))
    couplings = (Coupling("soma", "basal", 60 * nS, one_way=True),
                 Coupling("soma", "apical", 0 * nS, one_way=True))
    return NeuronModel("guerguiev-2017", comps, couplings,
                       EscapeRate(200 * Hz, 1.0, 1 / mV, -70 * mV, 0 * ms),
                       "Guerguiev et al. 2017 eLife 6:e22901; jordan-g/Segregated-Dendrite-"
                       "Deep-Learning deep_learning.py")


def _payeur_compartments(noise, dendritic):
    """Soma and apical dendrite of the Payeur 2021 pyramids (optional OU noise in both)."""
    extra = {"soma": (), "apical": ()}
    if noise is not None:
        sig_s, sig_d, tau = noise
        extra = {"soma": (NoiseCurrent(sig_s, tau),), "apical": (NoiseCurrent(sig_d, tau),)}
    soma = Compartment("soma", 370 * pF, 370 * pF / (16 * ms), -70 * mV,
                       channels=(ampa(5 * ms), gaba(10 * ms)), mechanisms=extra["soma"])
    dend = Compartment("apical", 170 * pF, 170 * pF / (7 * ms), -70 * mV,
                       channels=(ampa(5 * ms), gaba(10 * ms)),
                       mechanisms=tuple(dendritic) + extra["apical"])
    return soma, dend


def payeur_2021(noise=None):
    """Payeur et al. 2021 (Nat Neurosci 24:1010) two-compartment bursting neuron.

    Naud & Sprekeler (2018) model as in Auryn's NaudGroup.cpp: soma C 370 pF,
    tau 16 ms (g_L 23.125 nS), threshold -50 mV jumping +2 mV (tau 27 ms),
    adaptation -200 pA per spike (tau 100 ms); dendrite C 170 pF, tau 7 ms
    (g_L 24.29 nS), Ca nonlinearity g_d 1200 pA into the dendrite and g_s
    1300 pA into the soma, E_d -38 mV, D 6 mV; dendritic adaptation -13 nS,
    30 ms; bAP box 2600 pA for 2 ms; AMPA 5 ms (0 mV) and GABA 10 ms (-80 mV)
    on both compartments; no passive coupling.  ``noise=(sigma_soma,
    sigma_apical, tau)`` adds Ornstein-Uhlenbeck background currents.
    """
    soma, dend = _payeur_compartments(noise, (
        CalciumSpike(1200 * pA, 1300 * pA, -38 * mV, 6 * mV),
        DendriticAdaptation(-13 * nS, 30 * ms), BAPKernel(2600 * pA, 2 * ms)))
    return NeuronModel("payeur-2021", (soma, dend), (),
                       AdaptiveThresholdIF(-50 * mV, 2 * mV, 27 * ms, -70 * mV, -200 * pA, 100 * ms),
                       "Payeur et al. 2021 Nat Neurosci 24:1010; apayeur/auryn NaudGroup.cpp")


def payeur_2021_burst_poisson(noise=None):
    """The uncoupled pyramidal neuron of Payeur et al. 2021's spiking XOR network.

    apayeur/spikingburstprop ``BurstPoissonGroup.cpp`` (used by ``sim_xor.cpp``;
    the propagation network uses the coupled :func:`payeur_2021`): the same
    soma (C 370 pF, tau 16 ms, moving threshold, adaptation) and dendrite
    (C 170 pF, tau 7 ms, dendritic adaptation -13 nS, 30 ms), but no Ca2+
    spike current, no bAP and no coupling: a somatic spike starts an event,
    which becomes a burst with probability ``1/(1 + exp(-(V_d + 57 mV)/6 mV))``
    (:class:`~dendrites.mechanisms.BurstPoissonIF`, absolute refractory period
    20 ms).  The burst probability follows the dendrite alone, the event rate
    the soma alone.  ``noise`` as in :func:`payeur_2021`.
    """
    soma, dend = _payeur_compartments(noise, (DendriticAdaptation(-13 * nS, 30 * ms),))
    return NeuronModel("payeur-2021-burst-poisson", (soma, dend), (), BurstPoissonIF(),
                       "Payeur et al. 2021 Nat Neurosci 24:1010; apayeur/spikingburstprop "
                       "BurstPoissonGroup.cpp")


def _adex_interneuron(name, g_L, tau_m, DeltaT, a, b, tau_w, V_T, t_ref, V_reset, source):
    soma = Compartment("soma", g_L * tau_m, g_L, -70 * mV, channels=(ampa(5 * ms), gaba(10 * ms)))
    return NeuronModel(name, (soma,), (),
                       AdEx(DeltaT, V_T, 0 * mV, V_reset, a, b, tau_w, t_ref), source)


def payeur_2021_pv():
    """PV-like (soma-targeting) AdEx interneuron of Payeur et al. 2021.

    sim_propagation.cpp: g_L 10 nS, tau_m 10 ms, DeltaT 2 mV, a = b = 0,
    rheobase 200 pA (V_T = rheobase/g_L + E_L + DeltaT = -48 mV), t_ref 1 ms,
    V_reset E_L + 15 mV.  Spike detection at 0 mV (this package's choice).
    """
    return _adex_interneuron("payeur-2021-pv", 10 * nS, 10 * ms, 2 * mV, 0 * nS, 0 * pA, 5 * ms,
                             -48 * mV, 1 * ms, -55 * mV,
                             "Payeur et al. 2021; apayeur/spikingburstprop sim_propagation.cpp")


def payeur_2021_sst():
    """SST-like (dendrite-targeting) AdEx interneuron of Payeur et al. 2021.

    sim_propagation.cpp: g_L 5 nS, tau_m 20 ms, tau_w 500 ms, DeltaT 4 mV,
    a 0.5 nS, b 10 pA, rheobase 25 pA (V_T = rheobase/(g_L + a) + E_L + DeltaT
    - DeltaT ln(1 + a/g_L) = -61.84 mV), t_ref 2 ms, V_reset E_L + 5 mV.
    """
    return _adex_interneuron("payeur-2021-sst", 5 * nS, 20 * ms, 4 * mV, 0.5 * nS, 10 * pA,
                             500 * ms, -61.84 * mV, 2 * ms, -65 * mV,
                             "Payeur et al. 2021; apayeur/spikingburstprop sim_propagation.cpp")


def bono_clopath_2017():
    """Bono & Clopath 2017 (Nat Commun 8:706) reduced neuron (Fig. 6 model).

    Model CPU/f_parameters.py: E_L -69 mV, g_L 40 nS, C 281 pF for the soma;
    proximal and distal dendrites whose steady-state attenuation to the soma
    is 0.95 and 0.4.  Here each dendrite is a compartment (C 100 pF, g_L
    4 nS, this package's choice) whose coupling conductance gives those
    attenuations for a steady dendritic input with the soma clamped by its
    leak: g_c/(g_c + g_L_dend) = attenuation -> g_prox 76 nS, g_dist 2.67 nS.
    AMPA (2 ms), NMDA (2/50 ms, Mg block) and GABA (10 ms, -72 mV) on each
    dendrite; LIF soma (threshold -50 mV, reset -69 mV, 2 ms).
    """
    chans = (ampa(2 * ms), nmda(50 * ms, 0 * mV, 2 * ms), gaba(10 * ms, -72 * mV))
    comps = (Compartment("soma", 281 * pF, 40 * nS, -69 * mV, channels=(ampa(2 * ms),)),
             Compartment("proximal", 100 * pF, 4 * nS, -69 * mV, channels=chans),
             Compartment("distal", 100 * pF, 4 * nS, -69 * mV, channels=chans))
    couplings = (Coupling("soma", "proximal", 76 * nS), Coupling("soma", "distal", 8 * nS / 3))
    return NeuronModel("bono-clopath-2017", comps, couplings,
                       IntegrateAndFire(-50 * mV, -69 * mV, 2 * ms),
                       "Bono & Clopath 2017 Nat Commun 8:706; ModelDB 232914 Model CPU/f_parameters.py")


def clopath_2010(n_compartments=1):
    """Clopath et al. 2010 (Nat Neurosci 13:344) AdEx neuron, author parameters.

    ModelDB 144566 aEIF.m: C 281 pF, g_L 30 nS, E_L -70.6 mV, DeltaT 2 mV,
    V_T,rest -50.4 mV, V_T,max -30.4 mV, tau_VT 50 ms, a 4 nS, b 80.5 pA
    (the stated 0.0805 nA; aEIF.m computes in pA, so the authors' code
    effectively uses b = 0.0805 pA, which the frequency-dependence protocol's
    author neuron reproduces), tau_w 144 ms, I_sp 400 pA, tau_z 40 ms;
    spike detection at 20 mV and
    reset to E_L + 21.1 mV (= -49.5 mV) as in the author code (the 2 ms spike
    clamp is not modelled).  ``n_compartments=3`` or 4 adds passive dendrites
    with the :func:`pyramidal` couplings.
    """
    spike = AdEx(2 * mV, -50.4 * mV, 20 * mV, -49.5 * mV, 4 * nS, 80.5 * pA, 144 * ms, 0 * ms,
                 V_T_max=-30.4 * mV, tau_VT=50 * ms, I_sp=400 * pA, tau_z=40 * ms)
    src = "Clopath et al. 2010 Nat Neurosci 13:344; ModelDB 144566 VoTriCode/aEIF.m"
    if n_compartments == 1:
        soma = Compartment("soma", 281 * pF, 30 * nS, -70.6 * mV, channels=(ampa(), nmda(), gaba()))
        return NeuronModel("clopath-2010", (soma,), (), spike, src)
    model = pyramidal(n_compartments, C_soma=281 * pF, g_L_soma=30 * nS, E_L=-70.6 * mV,
                      spike=spike, name=f"clopath-2010-{n_compartments}c",
                      source=src + "; dendrites: pyramidal() defaults")
    return model


PRESETS = {
    "urbanczik-senn-2014": urbanczik_senn_2014,
    "sacramento-2018": sacramento_2018,
    "guerguiev-2017": guerguiev_2017,
    "payeur-2021": payeur_2021,
    "payeur-2021-burst-poisson": payeur_2021_burst_poisson,
    "payeur-2021-pv": payeur_2021_pv,
    "payeur-2021-sst": payeur_2021_sst,
    "bono-clopath-2017": bono_clopath_2017,
    "clopath-2010": clopath_2010,
}


def get(name):
    """Return the preset model called *name* (error lists the presets)."""
    check_choice("preset", name, tuple(PRESETS))
    return PRESETS[name]()
