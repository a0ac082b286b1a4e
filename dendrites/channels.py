"""Synaptic input channels of a compartment: AMPA, NMDA (Mg2+ block), GABA, current-based."""

from dataclasses import dataclass

import numpy as np
from brian2 import amp, mmolar, ms, mV, siemens

from .errors import ModelError
from .fragments import UNIT_NAMES, Fragment, _d, _param, _sub

__all__ = ["SynapticChannel", "ampa", "nmda", "gaba", "current_channel"]


@dataclass(frozen=True)
class SynapticChannel:
    """A named synaptic input channel of one compartment.

    Conductance-based (``E`` given) or current-based (``E`` None); a single
    exponential (``tau_rise`` None) or a difference of exponentials normalised
    so that a weight ``w`` gives a peak conductance (or current) ``w``; NMDA
    channels carry the Jahr-Stevens Mg2+ block
    ``1/(1 + [Mg]/3.57 mM * exp(-0.062 v/mV))`` (Jahr & Stevens 1990, as used by
    Bono & Clopath 2017).  A ``Synapses`` object reaches the channel through
    :meth:`dendrites.NeuronModel.on_pre`.
    """

    name: str
    tau_decay: object
    E: object = None
    tau_rise: object = None
    mg_block: bool = False
    Mg: object = _d(1 * mmolar)

    @property
    def conductance(self):
        return self.E is not None

    def variable(self, comp):
        """Name of the variable a presynaptic spike increments."""
        base = "x" if self.tau_rise is not None else ("g" if self.conductance else "I")
        return f"{base}_{self.name}_{comp}"

    def fragment(self, comp, soma):
        n, c = self.name, comp
        names = {"g": f"g_{n}_{c}", "x": f"x_{n}_{c}", "I": f"I_{n}_{c}", "v": f"v_{c}",
                 "tau_d": f"tau_{n}_{c}", "tau_r": f"tau_rise_{n}_{c}", "E": f"E_{n}_{c}",
                 "Mg": f"Mg_{n}_{c}", "norm": f"norm_{n}_{c}"}
        frag = Fragment()
        unit = siemens if self.conductance else amp
        uname = UNIT_NAMES[unit.dim]
        var = "g" if self.conductance else "I"
        _param(frag, names, "tau_d", self.tau_decay, ms, positive=True)
        frag.time_constants[names["tau_d"]] = self.tau_decay
        if self.tau_rise is None:
            frag.equations.append(f"d{var}/dt = -{var}/tau_d : {uname}")
        else:
            _param(frag, names, "tau_r", self.tau_rise, ms, positive=True)
            if not self.tau_rise < self.tau_decay:
                raise ModelError(
                    f"Parameter '{names['tau_r']}' = {self.tau_rise} must be shorter than "
                    f"'{names['tau_d']}' = {self.tau_decay}.")
            frag.time_constants[names["tau_r"]] = self.tau_rise
            frag.equations += [f"d{var}/dt = (x - {var})/tau_d : {uname}",
                               f"dx/dt = -x/tau_r : {uname}"]
            frag.params.append((names["norm"], _peak_norm(self.tau_rise, self.tau_decay), "1"))
        if self.conductance:
            _param(frag, names, "E", self.E, mV)
            drive = "g*(E - v)"
            if self.mg_block:
                _param(frag, names, "Mg", self.Mg, mmolar, nonneg=True)
                drive += "/(1 + Mg/(3.57*mmolar)*exp(-0.062*v/mV))"
            frag.currents[comp] = [drive]
        else:
            frag.currents[comp] = ["I"]
        frag.equations = [_sub(e, names) for e in frag.equations]
        frag.currents[comp] = [_sub(e, names) for e in frag.currents[comp]]
        return frag


def _peak_norm(tau_rise, tau_decay):
    """Factor making the peak of the difference of exponentials equal to one.

    With ``dg/dt = (x - g)/tau_d`` and ``dx/dt = -x/tau_r``, ``x(0) = 1`` gives
    ``g(t) = tau_r/(tau_d - tau_r) (exp(-t/tau_d) - exp(-t/tau_r))``.
    """
    tr, td = float(tau_rise), float(tau_decay)
    t_peak = td * tr / (td - tr) * np.log(td / tr)
    peak = tr / (td - tr) * (np.exp(-t_peak / td) - np.exp(-t_peak / tr))
    return 1.0 / peak


def ampa(tau=5 * ms, E=0 * mV, tau_rise=None):
    """AMPA channel (default 5 ms decay, Payeur 2021)."""
    return SynapticChannel("ampa", tau, E, tau_rise)


def nmda(tau=50 * ms, E=0 * mV, tau_rise=2 * ms, Mg=1 * mmolar):
    """NMDA channel with Mg2+ block (50 ms decay, Bono & Clopath 2017)."""
    return SynapticChannel("nmda", tau, E, tau_rise, mg_block=True, Mg=Mg)


def gaba(tau=10 * ms, E=-80 * mV, tau_rise=None):
    """GABA_A channel (10 ms decay, -80 mV; Payeur 2021)."""
    return SynapticChannel("gaba", tau, E, tau_rise)


def current_channel(name="cur", tau=3 * ms, tau_rise=None):
    """Current-based channel (exponential current, Urbanczik & Senn 2014)."""
    return SynapticChannel(name, tau, None, tau_rise)


