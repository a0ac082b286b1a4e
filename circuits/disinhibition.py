"""Disinhibitory gating of apical plasticity: higher-order -> VIP -| SST -| apical dendrite.

Williams & Holtmaat 2018 (cited by Richards & Lillicrap 2018, Nat Rev
Neurosci 19:636, as the biological form of feedback gating; the circuit as
in Williams & Holtmaat, Neuron 2019, "Higher-order thalamocortical inputs
gate synaptic long-term potentiation via disinhibition"): SST interneurons
inhibit the apical dendrite of layer 2/3 pyramidal neurons; VIP interneurons
inhibit the SST cells; higher-order (POm-like) thalamic input excites the VIP
cells and so opens the gate.

Here, one circuit per condition, all in one network (same basal and apical
Poisson spike trains for every condition):

* pyramid: Clopath et al. 2010 AdEx soma with basal and apical dendrites
  (``presets.clopath_2010(3)``; AMPA, NMDA with Mg2+ block, GABA in each
  dendrite) and the Clopath voltage rule at its *basal* synapses
  (:class:`~dendrites.plasticity.Clopath2010` reading the basal voltage through
  :class:`~dendrites.plasticity.voltage.ClopathFilters`): LTP needs the local
  voltage above theta_plus, i.e. strong somatic/dendritic depolarisation;
* apical drive: Poisson input onto the apical AMPA and NMDA channels (the
  "apical activity" of the pairing), switched per condition;
* SST cells (``presets.payeur_2021_sst``, tonic through a bias current) inhibit
  the apical dendrite (GABA);
* VIP cells (same adapting AdEx parameters: a modelling choice, the presets
  hold no VIP cell) inhibit the SST cells;
* higher-order input: Poisson spikes onto the VIP cells, on or off per
  condition.
"""

import logging
from dataclasses import dataclass

import numpy as np
from brian2 import Hz, PoissonGroup, SpikeMonitor, StateMonitor, Synapses, ms, nS, pA

from dendrites.fragments import _d as _q  # dataclass default for a quantity
from dendrites import presets
from dendrites.errors import ModelError, check_quantity
from dendrites.plasticity import Clopath2010, FixedWeight, connect
from dendrites.plasticity.voltage import ClopathFilters, add_mechanism, clopath_neuron

from .populations import check_size

__all__ = ["GateConfig", "pyramid_model", "build_gate_circuit"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateConfig:
    """Sizes, rates and weights of the disinhibitory circuit (one copy per condition).

    Weights are peak conductances per synapse.  Defaults are this package's
    choices (sources in the module docstring for the neuron models), tuned so
    that the gate works: the apical dendrite is tightly coupled to the soma
    (80 nS), so the SST inhibition that clamps it must be strong -- each of
    the ``n_sst`` model SST cells stands for a group of cells (80 nS per
    synapse; 40 nS left ``dw_without`` at 15 % of ``dw_with``, 2 nS did not
    gate at all).
    """

    n_basal: int = 20
    basal_rate: object = _q(10 * Hz)
    w_basal: object = _q(1.0 * nS)
    w_init: float = 0.5
    n_apical: int = 40
    apical_rate: object = _q(20 * Hz)
    w_apical_ampa: object = _q(2.0 * nS)
    w_apical_nmda: object = _q(4.0 * nS)
    n_sst: int = 10
    I_sst: object = _q(100 * pA)
    w_sst: object = _q(80 * nS)
    n_vip: int = 10
    I_vip: object = _q(0 * pA)
    w_vip: object = _q(6.0 * nS)
    n_ho: int = 20
    ho_rate: object = _q(30 * Hz)
    w_ho: object = _q(1.5 * nS)
    A_LTP: float = 8e-5
    A_LTD: float = 14e-5

    def check(self):
        """ModelError naming the field for a wrong size, unit or sign."""
        for key in ("n_basal", "n_apical", "n_sst", "n_vip", "n_ho"):
            check_size(key, getattr(self, key))
        for key in ("basal_rate", "apical_rate", "ho_rate"):
            check_quantity(key, getattr(self, key), Hz, nonnegative=True)
        for key in ("w_basal", "w_apical_ampa", "w_apical_nmda", "w_sst", "w_vip", "w_ho"):
            check_quantity(key, getattr(self, key), nS, nonnegative=True)
        for key in ("I_sst", "I_vip"):
            check_quantity(key, getattr(self, key), pA)
        if not 0 < self.w_init < 1:
            raise ModelError(f"Parameter 'w_init' = {self.w_init!r} must lie in (0, 1) "
                             "(the Clopath weight bounds).")
        return self


def pyramid_model():
    """Clopath 2010 AdEx pyramid with basal and apical dendrites, filters on the basal dendrite."""
    model = clopath_neuron(presets.clopath_2010(3))
    return add_mechanism(model, "basal", ClopathFilters())


def _poisson_to(source, target, model, compartment, channel, weight, mask, name):
    """Fixed synapses from every neuron of *source* to each target neuron where *mask* holds."""
    post = np.flatnonzero(mask)
    i = np.tile(np.arange(source.N), post.size)
    j = np.repeat(post, source.N)
    return connect(FixedWeight(), source, target, model, compartment, channel, w_init=1.0,
                   w_scale=weight, connect=dict(i=i, j=j), name=name)


def build_gate_circuit(config, ho_on, apical_on, dt, record=True):
    """Build one circuit per condition (inside a backend scope).

    Parameters
    ----------
    config : GateConfig
    ho_on, apical_on : array of bool
        Per condition: higher-order input onto the VIP cells; apical drive.
    dt : `Quantity`

    Returns
    -------
    objs : list
        Every Brian2 object (for a ``Network``).
    parts : dict
        ``pyr``, ``sst``, ``vip`` groups, ``plastic`` synapses, monitors
        ``state`` (pyramid voltages, 1 ms), ``sst_spikes``, ``vip_spikes``,
        ``pyr_spikes``.
    """
    c = config.check()
    ho_on, apical_on = np.asarray(ho_on, bool), np.asarray(apical_on, bool)
    if ho_on.shape != apical_on.shape or ho_on.ndim != 1 or ho_on.size < 1:
        raise ModelError("Conditions 'ho_on' and 'apical_on' must be 1-d and of equal length.")
    n = ho_on.size
    model = pyramid_model()
    pyr = model.build(n, name="gate_pyramid", dt=dt)
    basal = PoissonGroup(c.n_basal, c.basal_rate, name="gate_basal_input")
    rule = Clopath2010(A_LTD=c.A_LTD, A_LTP=c.A_LTP)
    plastic = connect(rule, basal, pyr, model, "basal", "ampa", w_init=c.w_init,
                      w_scale=c.w_basal, name="gate_basal_plastic")
    apical = PoissonGroup(c.n_apical, c.apical_rate, name="gate_apical_input")
    ap_ampa = _poisson_to(apical, pyr, model, "apical", "ampa", c.w_apical_ampa, apical_on,
                          "gate_apical_ampa")
    ap_nmda = _poisson_to(apical, pyr, model, "apical", "nmda", c.w_apical_nmda, apical_on,
                          "gate_apical_nmda")
    inter = presets.payeur_2021_sst()
    sst = inter.build(n * c.n_sst, name="gate_sst", dt=dt)
    sst.I_ext_soma = c.I_sst
    vip = inter.build(n * c.n_vip, name="gate_vip", dt=dt)
    vip.I_ext_soma = c.I_vip
    cond_sst = np.arange(n * c.n_sst) // c.n_sst
    cond_vip = np.arange(n * c.n_vip) // c.n_vip
    sst_ap = Synapses(sst, pyr, "w_i : siemens (shared, constant)",
                      on_pre=model.on_pre("gaba", "apical", "w_i"), name="gate_sst_apical")
    sst_ap.connect(i=np.arange(n * c.n_sst), j=cond_sst)
    sst_ap.w_i = c.w_sst
    vip_sst = Synapses(vip, sst, "w_i : siemens (shared, constant)",
                       on_pre=inter.on_pre("gaba", "soma", "w_i"), name="gate_vip_sst")
    pre, post = np.meshgrid(np.arange(n * c.n_vip), np.arange(n * c.n_sst), indexing="ij")
    same = cond_vip[pre] == cond_sst[post]
    vip_sst.connect(i=pre[same], j=post[same])
    vip_sst.w_i = c.w_vip
    # higher-order input: its own Poisson neurons per condition, silent where off
    ho = PoissonGroup(n * c.n_ho, np.repeat(np.where(ho_on, float(c.ho_rate / Hz), 0.0),
                                            c.n_ho) * Hz, name="gate_higher_order")
    cond_ho = np.arange(n * c.n_ho) // c.n_ho
    pre, post = np.meshgrid(np.arange(n * c.n_ho), np.arange(n * c.n_vip), indexing="ij")
    same = cond_ho[pre] == cond_vip[post]
    ho_vip = Synapses(ho, vip, "w_e : siemens (shared, constant)",
                      on_pre=inter.on_pre("ampa", "soma", "w_e"), name="gate_ho_vip")
    ho_vip.connect(i=pre[same], j=post[same])
    ho_vip.w_e = c.w_ho
    parts = dict(pyr=pyr, sst=sst, vip=vip, plastic=plastic, model=model,
                 sst_spikes=SpikeMonitor(sst, name="gate_sst_spikes"),
                 vip_spikes=SpikeMonitor(vip, name="gate_vip_spikes"),
                 pyr_spikes=SpikeMonitor(pyr, name="gate_pyr_spikes"))
    mons = [parts["sst_spikes"], parts["vip_spikes"], parts["pyr_spikes"]]
    if record:
        parts["state"] = StateMonitor(pyr, ["v_apical", "v_soma", "v_basal"], record=True,
                                      dt=1 * ms, name="gate_pyramid_state")
        mons.append(parts["state"])
    objs = [pyr, basal, plastic, apical, ap_ampa, ap_nmda, sst, vip, sst_ap, vip_sst, ho,
            ho_vip] + mons
    return objs, parts
