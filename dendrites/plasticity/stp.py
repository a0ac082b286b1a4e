"""Short-term plasticity: the extended Tsodyks-Markram model of Payeur et al. (2021).

A :class:`TsodyksMarkram` object is passed to
:func:`dendrites.plasticity.connect` as ``stp=``: each presynaptic spike then
delivers ``w * w_scale * u * x`` and updates the resources ``x`` and the
release probability ``u``.  :func:`efficacies` is the same recursion in
NumPy (the closed form the simulation is tested against) and
:func:`paired_pulse_ratio` its two-spike case.
"""

import logging
from dataclasses import dataclass, field

import numpy as np
from brian2 import ms, second

from ..errors import check_quantity
from .base import Rule, SynapseSpec, check_unit_interval

__all__ = ["TsodyksMarkram", "BurstOnly", "STPSpec", "FixedWeight", "std_feedforward",
           "stf_feedback",
           "efficacies", "paired_pulse_ratio"]

logger = logging.getLogger(__name__)


def _q(value):
    return field(default_factory=lambda: value)


@dataclass
class STPSpec:
    """What short-term plasticity adds to a ``Synapses`` object (see :func:`connect`)."""

    model: list
    on_pre: list
    params: list
    init: dict
    factor: str
    #: presynaptic variables the code reads, with a hint for when they are missing
    requires_pre: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TsodyksMarkram:
    """Extended Tsodyks-Markram short-term plasticity (Payeur et al. 2021, Methods).

    Payeur, Guerguiev, Zenke, Richards & Naud 2021, Nat Neurosci 24:1010,
    Methods "Short-term plasticity" (Auryn ``STPeTMConnection``): at a
    presynaptic spike the transmitted efficacy is ``u x``; then
    ``x <- x - u x`` and ``u <- u + f (1 - u)``.  Between spikes
    ``dx/dt = (1 - x)/tau_D`` and ``du/dt = (U - u)/tau_F``; initially
    ``x = 1`` and ``u = U`` (stored as ``x_stp`` and ``uf_stp = u - U``).
    With ``f = U`` this is the classic model of Tsodyks, Pawelzik & Markram
    1998 (Neural Comput 10:821).

    Parameters
    ----------
    U : float
        Baseline release probability, in (0, 1].
    f : float
        Facilitation increment, in [0, 1].
    tau_D, tau_F : `Quantity`
        Recovery time constants of resources and of release probability (second).
    """

    U: float = 0.9
    f: float = 0.1
    tau_D: object = _q(20 * ms)
    tau_F: object = _q(1000 * ms)

    def spec(self):
        """The ``Synapses`` code; parameters are ``(shared, constant)`` (standalone re-runs)."""
        check_unit_interval("U_stp", self.U)
        check_unit_interval("f_stp", self.f)
        check_quantity("U_stp", self.U, 1, positive=True)
        check_quantity("tau_D_stp", self.tau_D, ms, positive=True)
        check_quantity("tau_F_stp", self.tau_F, ms, positive=True)
        # u = U + uf: the state starts at (x, uf) = (1, 0) whatever U, so a standalone
        # re-run with a new U_stp (run_args) starts from the right initial state
        model = ["dx_stp/dt = (1 - x_stp)/tau_D_stp : 1 (event-driven)",
                 "duf_stp/dt = -uf_stp/tau_F_stp : 1 (event-driven)"]
        on_pre = ["x_stp = x_stp - (U_stp + uf_stp)*x_stp",
                  "uf_stp = uf_stp + f_stp*(1 - U_stp - uf_stp)"]
        params = [("U_stp", float(self.U), "1"), ("f_stp", float(self.f), "1"),
                  ("tau_D_stp", self.tau_D, "second"), ("tau_F_stp", self.tau_F, "second")]
        return STPSpec(model, on_pre, params, {"x_stp": 1.0, "uf_stp": 0.0},
                       "(U_stp + uf_stp)*x_stp")

    def efficacies(self, spike_times):
        """Efficacy ``u x`` at each spike of a sorted train (see :func:`efficacies`)."""
        return efficacies(spike_times, self.U, self.f, self.tau_D, self.tau_F)

    def paired_pulse_ratio(self, isi):
        """Second over first efficacy of a spike pair (see :func:`paired_pulse_ratio`)."""
        return paired_pulse_ratio(isi, self.U, self.f, self.tau_D, self.tau_F)


@dataclass(frozen=True)
class BurstOnly:
    """Transmit bursts only: one PSP per burst, at its second spike (no depression).

    Auryn ``TransmitBurstConnection`` of the authors' XOR network
    (apayeur/spikingburstprop), for presynaptic neurons built with
    :class:`dendrites.mechanisms.BurstPoissonIF`, whose second spike of a
    burst is the one that arrives while a burst is pending (synaptic
    delivery runs before the presynaptic reset).  Passed as ``stp=`` to
    :func:`dendrites.plasticity.connect`; singlets deliver nothing.
    """

    def spec(self):
        hint = ("BurstOnly transmits the bursts of neurons built with "
                "dendrites.mechanisms.BurstPoissonIF (e.g. presets.payeur_2021_burst_poisson).")
        return STPSpec([], [], [], {}, "int(burst_pending_pre > 0.5 and t >= t_burst_pre)",
                       {"burst_pending": hint, "t_burst": hint})


def std_feedforward():
    """Depressing feedforward synapse of Payeur et al. 2021 (U 0.9, f 0.1, tau_D 20 ms, tau_F 1 s).

    apayeur/spikingburstprop ``sim_propagation.cpp``: pyramidal -> pyramidal
    (upward) and pyramidal -> PV; it transmits event rates.
    """
    return TsodyksMarkram(0.9, 0.1, 20 * ms, 1000 * ms)


def stf_feedback():
    """Facilitating feedback synapse of Payeur et al. 2021 (U 0.02, f 0.1, tau_D = tau_F = 100 ms).

    apayeur/spikingburstprop ``sim_propagation.cpp``: pyramidal -> apical
    dendrites (downward) and pyramidal -> SOM; it transmits burst rates.
    """
    return TsodyksMarkram(0.02, 0.1, 100 * ms, 100 * ms)


def efficacies(spike_times, U, f, tau_D, tau_F):
    """Efficacies ``u_k x_k`` of the extended Tsodyks-Markram model at each spike.

    Exact recursion (exponential recovery between spikes):
    ``x_k = 1 - (1 - x_{k-1}^+) e^{-d/tau_D}``,
    ``u_k = U + (u_{k-1}^+ - U) e^{-d/tau_F}`` with ``x^+ = x - u x`` and
    ``u^+ = u + f (1 - u)``, ``d`` the inter-spike interval.

    Parameters
    ----------
    spike_times : array of `Quantity` or float (second)
        Sorted spike times.
    U, f : float
    tau_D, tau_F : `Quantity` or float (second)

    Returns
    -------
    ndarray
        Dimensionless efficacy per spike.

    Examples
    --------
    >>> from brian2 import ms
    >>> round(float(efficacies([0, 5] * ms, 0.9, 0.1, 20 * ms, 1000 * ms)[1] / 0.9), 3)
    0.302
    """
    times = np.asarray(spike_times / second if hasattr(spike_times, "dim") else spike_times,
                       float)
    tD = float(tau_D / second) if hasattr(tau_D, "dim") else float(tau_D)
    tF = float(tau_F / second) if hasattr(tau_F, "dim") else float(tau_F)
    x, u, last, out = 1.0, float(U), None, []
    for t in times:
        if last is not None:
            d = t - last
            x = 1 - (1 - x) * np.exp(-d / tD)
            u = U + (u - U) * np.exp(-d / tF)
        out.append(u * x)
        x, u, last = x - u * x, u + f * (1 - u), t
    return np.array(out)


def paired_pulse_ratio(isi, U, f, tau_D, tau_F):
    """Paired-pulse ratio ``(u_2 x_2)/(u_1 x_1)`` at inter-spike interval *isi*.

    ``PPR = [U + f (1 - U) e^{-isi/tau_F}] [1 - U e^{-isi/tau_D}] / U``
    (SCIENCE.md A13: 0.30 at 5 ms and 0.94 at 50 ms for the depressing,
    5.5 and 3.9 for the facilitating synapse of Payeur et al. 2021).
    """
    d = np.asarray(isi / second if hasattr(isi, "dim") else isi, float)
    tD = float(tau_D / second) if hasattr(tau_D, "dim") else float(tau_D)
    tF = float(tau_F / second) if hasattr(tau_F, "dim") else float(tau_F)
    return (U + f * (1 - U) * np.exp(-d / tF)) * (1 - U * np.exp(-d / tD)) / U


@dataclass(frozen=True)
class FixedWeight(Rule):
    """A synapse whose weight never changes (a static pathway, e.g. one with only STP).

    Not a learning rule: ``w`` stays at its initial value.  Useful with
    ``connect(..., stp=TsodyksMarkram(...))`` for the short-term plastic
    pathways of Payeur et al. (2021), whose long-term weights are fixed.
    """

    name = "fixed-weight"

    def spec(self, post_model, compartment):
        return SynapseSpec()
