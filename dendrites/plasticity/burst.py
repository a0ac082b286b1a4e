"""Burst-dependent plasticity (Payeur et al. 2021) and the event/burst detector it reads.

A somatic spike whose preceding inter-spike interval exceeds ``burst_isi``
(16 ms) starts an *event*; the second spike of a run of intervals at most
``burst_isi`` registers a *burst* (Payeur et al. 2021, Methods; authors'
``neuronstate.py``).  :class:`BurstDetector` is the neuron-side mechanism
(event/burst flags of the current spike and exponential moving averages of
event and burst rates); :class:`BurstRule` (adaptive) and
:class:`FixedBurstRule` are the synaptic rules; :class:`SpikeRelay` is a
somatic spike mechanism that fires when told to, for protocols that impose a
postsynaptic spike train.
"""

import logging
from dataclasses import dataclass, field

from brian2 import Hz, ms, second

from ..errors import check_quantity
from ..fragments import Fragment, _d, _param, _sub
from .base import Rule, SynapseSpec, check_bounds, check_rate

__all__ = ["BurstDetector", "SpikeRelay", "BurstRule", "FixedBurstRule", "detector_suffix"]

logger = logging.getLogger(__name__)


def _q(value):
    return field(default_factory=lambda: value)


@dataclass(frozen=True)
class BurstDetector:
    """Event/burst classification of somatic spikes and their moving averages.

    Payeur et al. 2021 (Nat Neurosci 24:1010), Methods and Fig. 2, the
    moving averages of the burst-dependent rule: ``tau_avg dE_bar/dt = -E_bar + E(t)`` and
    ``tau_avg dB_bar/dt = -B_bar + B(t)``, ``P_bar = B_bar/E_bar``.  Variables
    (suffix: the compartment carrying the detector, normally ``soma``):

    ``event_now``, ``burst_now``
        1 if a somatic spike at the current time starts an event / registers
        a burst (read by synapses in ``on_post``, before the spike is
        recorded; Brian2 runs synaptic pathways before the neuron's reset).
    ``E_bar``, ``B_bar`` (hertz), ``P_bar``
        Moving averages, updated after the synapses have read them (the
        authors' order), starting at ``E_init`` and ``P_init * E_init``.
    ``n_events``, ``n_bursts``
        Counters.

    Parameters
    ----------
    burst_isi : `Quantity`
        Burst criterion (16 ms).
    tau_avg : `Quantity`
        Moving-average time constant (15 s in the paper's Fig. 2 protocols).
    E_init : `Quantity`
        Initial event-rate estimate (hertz).
    P_init : float
        Initial burst-probability estimate (0.2 in the paper).
    """

    burst_isi: object = _d(16 * ms)
    tau_avg: object = _d(15 * second)
    E_init: object = _d(5 * Hz)
    P_init: float = 0.2

    def fragment(self, comp, soma):
        keys = ("event_now", "burst_now", "burst_done", "E_bar", "B_bar", "P_bar", "n_events",
                "n_bursts", "burst_isi", "tau_avg")
        names = {k: f"{k}_{comp}" for k in keys}
        frag = Fragment()
        _param(frag, names, "burst_isi", self.burst_isi, ms, positive=True)
        _param(frag, names, "tau_avg", self.tau_avg, ms, positive=True)
        check_quantity(f"E_init_{comp}", self.E_init, Hz, positive=True)
        check_quantity(f"P_init_{comp}", self.P_init, 1, nonnegative=True)
        frag.time_constants[names["tau_avg"]] = self.tau_avg
        frag.equations += [
            "event_now = int(t - t_spike > burst_isi) : 1",
            "burst_now = int(t - t_spike <= burst_isi)*(1 - burst_done) : 1",
            "burst_done : 1",
            "dE_bar/dt = -E_bar/tau_avg : hertz",
            "dB_bar/dt = -B_bar/tau_avg : hertz",
            "P_bar = B_bar/clip(E_bar, 1e-12*Hz, 1e12*Hz) : 1",
            "n_events : 1", "n_bursts : 1"]
        frag.reset = ["E_bar += event_now/tau_avg", "B_bar += burst_now/tau_avg",
                      "n_events += event_now", "n_bursts += burst_now",
                      "burst_done = (1 - event_now)*clip(burst_done + burst_now, 0, 1)"]
        frag.equations = [_sub(e, names) for e in frag.equations]
        frag.reset = [_sub(r, names) for r in frag.reset]
        frag.init = {names["E_bar"]: self.E_init, names["B_bar"]: self.P_init * self.E_init}
        return frag


@dataclass(frozen=True)
class SpikeRelay:
    """Somatic spike mechanism that fires at the step after ``relay`` is set to 1.

    For protocols that impose the postsynaptic spike train (as the authors'
    analysis scripts of Payeur et al. 2021 do): a ``Synapses`` from a
    ``SpikeGeneratorGroup`` with ``on_pre='relay_post = 1'`` makes the neuron
    spike one time step later; the membrane plays no part.
    """

    def fragment(self, comp, soma):
        frag = Fragment()
        frag.equations = ["relay : 1"]
        frag.threshold = "relay > 0.5"
        frag.reset = ["relay = 0"]
        return frag


def detector_suffix(post_model):
    """Compartment carrying the :class:`BurstDetector` of *post_model* (``soma`` if none)."""
    for comp in post_model.compartments:
        if any(isinstance(m, BurstDetector) for m in comp.mechanisms):
            return comp.name
    return "soma"


def _hint(post_model):
    return (f"add BurstDetector() to the mechanisms of the soma of model "
            f"'{post_model.name}' (dendrites.plasticity.burst).")


class _BurstBase(Rule):
    """Shared part: presynaptic event trace and the postsynaptic detector."""

    def _common(self, post_model, compartment):
        post_model.compartment(compartment)
        check_rate("eta", self.eta)
        check_bounds(self.w_min, self.w_max)
        s = SynapseSpec()
        self.param(s, "eta", self.eta, 1)
        self.param(s, "tau_etrace", self.tau_pre, ms, positive=True)
        self.param(s, "burst_isi_in", self.burst_isi, ms, positive=True)
        self.param(s, "w_min", self.w_min, 1)
        self.param(s, "w_max", self.w_max, 1)
        # presynaptic event trace: +1 only at spikes that start an event
        s.model = ["detrace/dt = -etrace/tau_etrace : 1 (event-driven)", "t_event_ok : second"]
        s.on_pre = ["etrace += int(t > t_event_ok)", "t_event_ok = t + burst_isi_in"]
        d = detector_suffix(post_model)
        for var in ("event_now", "burst_now", "P_bar"):
            s.requires[f"{var}_{d}_post"] = _hint(post_model)
        return s, d


@dataclass(frozen=True)
class BurstRule(_BurstBase):
    """Adaptive burst-dependent rule of Payeur et al. 2021 (Nat Neurosci 24:1010).

    Methods, burst-dependent plasticity (Fig. 2): ``dw/dt = eta [B(t) -
    P_bar(t) E(t)] E_tilde_pre(t)`` with ``B``, ``E`` the postsynaptic burst
    and event trains (deltas), ``P_bar = B_bar/E_bar`` their moving-average
    ratio (:class:`BurstDetector`) and ``E_tilde_pre`` the presynaptic event
    trace (decay ``tau_pre``, +1 per event).  LTP when the burst fraction
    exceeds its running mean, LTD below it.  Defaults are the Fig. 2B-D
    protocol values (eta 0.1, tau_pre 50 ms; authors'
    ``preeventsynapse.py`` ``AdaptivePreEventSynapse``).  ``w`` is clipped
    to ``[w_min, w_max]`` after each update.
    """

    eta: float = 0.1
    tau_pre: object = _q(50 * ms)
    burst_isi: object = _q(16 * ms)
    w_min: float = -1e9
    w_max: float = 1e9
    name = "burst-rule"

    def spec(self, post_model, compartment):
        s, d = self._common(post_model, compartment)
        s.on_post = [f"w = clip(w + eta*(burst_now_{d}_post - P_bar_{d}_post*event_now_{d}_post)"
                     f"*etrace, w_min, w_max)"]
        return s


@dataclass(frozen=True)
class FixedBurstRule(_BurstBase):
    """Burst-dependent rule with fixed amplitudes (Payeur et al. 2021).

    ``dw/dt = eta [A_plus B(t) - A_minus E(t)] E_tilde_pre(t)``; authors'
    ``preeventsynapse.py`` ``PreEventSynapse`` with A_plus 1, A_minus 0.15
    (their ``A_minus = -0.15`` enters with a plus sign).  The sign switches
    at burst probability ``A_minus/A_plus``.
    """

    eta: float = 0.1
    A_plus: float = 1.0
    A_minus: float = 0.15
    tau_pre: object = _q(50 * ms)
    burst_isi: object = _q(16 * ms)
    w_min: float = -1e9
    w_max: float = 1e9
    name = "fixed-burst-rule"

    def spec(self, post_model, compartment):
        check_rate("A_plus", self.A_plus)
        check_rate("A_minus", self.A_minus)
        s, d = self._common(post_model, compartment)
        s.requires.pop(f"P_bar_{d}_post")
        self.param(s, "A_plus", self.A_plus, 1)
        self.param(s, "A_minus", self.A_minus, 1)
        s.on_post = [f"w = clip(w + eta*(A_plus*burst_now_{d}_post - A_minus*event_now_{d}_post)"
                     f"*etrace, w_min, w_max)"]
        return s
