"""Mechanisms a compartment can carry, each turned into Brian2 equation text.

Every mechanism is a frozen dataclass holding its parameters as Brian2
quantities.  ``fragment(comp, soma)`` returns a :class:`Fragment`: equation
lines written with generic symbols and renamed for the compartment by
:func:`brian2.utils.stringtools.word_substitute`, the currents it adds to each
compartment, its parameters (declared as ``(shared, constant)`` state variables
so that a ``cpp_standalone`` build can be re-run with new values) and its
threshold/reset/event code.  Nothing here touches Brian2 objects.
"""

import re
from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, amp, farad, mV, mmolar, ms, nS, pA, second, siemens, volt
from brian2.units.fundamentalunits import get_dimensions
from brian2.utils.stringtools import word_substitute

from .errors import ModelError, check_quantity

__all__ = [
    "Fragment", "SynapticChannel", "ampa", "nmda", "gaba", "current_channel",
    "IntegrateAndFire", "AdEx", "AdaptiveThresholdIF", "EscapeRate", "RateOutput",
    "CalciumSpike", "DendriticAdaptation", "BAPKernel", "Plateau", "NoiseCurrent",
    "EventPoissonInput", "SpikeTrace",
]

UNIT_NAMES = {volt.dim: "volt", amp.dim: "amp", siemens.dim: "siemens", farad.dim: "farad",
              second.dim: "second", Hz.dim: "hertz", mmolar.dim: "mmolar"}


@dataclass
class Fragment:
    """Equation text and code contributed by one mechanism."""

    equations: list = field(default_factory=list)
    currents: dict = field(default_factory=dict)     # compartment -> [expr]
    params: list = field(default_factory=list)       # (name, value, unit)
    reset: list = field(default_factory=list)
    threshold: str = None
    refractory: str = None
    unless_refractory: bool = False
    init: dict = field(default_factory=dict)         # variable -> quantity
    time_constants: dict = field(default_factory=dict)
    regular: list = field(default_factory=list)      # code run every time step
    events: dict = field(default_factory=dict)       # name -> (condition, code)


def _d(value):
    """Dataclass default for a quantity (quantities are not hashable)."""
    return field(default_factory=lambda: value)


def _sub(text, names):
    """Rename symbols (and ``dX/dt`` derivatives) in a code or equation line."""
    text = re.sub(r"\bd(\w+)/dt\b", lambda m: f"d{names.get(m.group(1), m.group(1))}/dt", text)
    return word_substitute(text, names)


def _param(frag, names, generic, value, unit, *, positive=False, nonneg=False, uname=None):
    """Validate a parameter and register it under its renamed name."""
    full = names.get(generic, generic)
    check_quantity(full, value, unit, positive=positive, nonnegative=nonneg)
    frag.params.append((full, value, uname or UNIT_NAMES.get(get_dimensions(unit), "1")))
    return full


# --------------------------------------------------------------------------
# Synaptic input channels
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# Spike generation (somatic)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class IntegrateAndFire:
    """Threshold, reset and absolute refractoriness (leaky integrate-and-fire)."""

    V_th: object = _d(-50 * mV)
    V_reset: object = _d(-65 * mV)
    t_ref: object = _d(2 * ms)

    def fragment(self, comp, soma):
        frag, names = Fragment(), {"v": f"v_{comp}"}
        _param(frag, names, "V_th", self.V_th, mV)
        _param(frag, names, "V_reset", self.V_reset, mV)
        _param(frag, names, "t_ref", self.t_ref, ms, nonneg=True)
        frag.threshold = _sub("v > V_th", names)
        frag.reset = [_sub("v = V_reset", names)]
        frag.refractory, frag.unless_refractory = "t_ref", True
        return frag


@dataclass(frozen=True)
class AdEx:
    """Adaptive exponential integrate-and-fire (Brette & Gerstner 2005).

    With ``V_T_max``/``tau_VT`` the threshold ``V_T`` jumps to ``V_T_max`` at a
    spike and relaxes back (adaptive threshold), and with ``I_sp``/``tau_z`` a
    spike after-depolarising current ``z`` is set to ``I_sp`` (Clopath et al.
    2010, Nat Neurosci 13:344, Methods).
    """

    DeltaT: object = _d(2 * mV)
    V_T: object = _d(-50.4 * mV)
    V_peak: object = _d(20 * mV)
    V_reset: object = _d(-70.6 * mV)
    a: object = _d(4 * nS)
    b: object = _d(80.5 * pA)
    tau_w: object = _d(144 * ms)
    t_ref: object = _d(0 * ms)
    V_T_max: object = None
    tau_VT: object = None
    I_sp: object = None
    tau_z: object = None

    def fragment(self, comp, soma):
        c = comp
        names = {"v": f"v_{c}", "E_L": f"E_L_{c}", "g_L": f"g_L_{c}"}
        frag = Fragment()
        _param(frag, names, "DeltaT", self.DeltaT, mV, positive=True)
        _param(frag, names, "V_peak", self.V_peak, mV)
        _param(frag, names, "V_reset", self.V_reset, mV)
        _param(frag, names, "a_w", self.a, nS)
        _param(frag, names, "b_w", self.b, pA)
        _param(frag, names, "tau_w", self.tau_w, ms, positive=True)
        _param(frag, names, "t_ref", self.t_ref, ms, nonneg=True)
        frag.time_constants["tau_w"] = self.tau_w
        frag.equations.append("dw_ad/dt = (a_w*(v - E_L) - w_ad)/tau_w : amp")
        # the exponential is evaluated at most at V_peak, so that intermediate
        # Runge-Kutta stages cannot overflow to inf/NaN during the upstroke
        frag.currents[c] = ["g_L*DeltaT*exp((clip(v, -1*volt, V_peak) - V_T)/DeltaT)", "-w_ad"]
        frag.reset = ["v = V_reset", "w_ad += b_w"]
        if (self.V_T_max is None) != (self.tau_VT is None):
            raise ModelError("Parameters 'V_T_max' and 'tau_VT' must be given together "
                             f"(got V_T_max={self.V_T_max}, tau_VT={self.tau_VT}).")
        if self.V_T_max is None:
            _param(frag, names, "V_T", self.V_T, mV)
        else:
            _param(frag, names, "V_T_rest", self.V_T, mV)
            _param(frag, names, "V_T_max", self.V_T_max, mV)
            _param(frag, names, "tau_VT", self.tau_VT, ms, positive=True)
            frag.time_constants["tau_VT"] = self.tau_VT
            frag.equations.append("dV_T/dt = -(V_T - V_T_rest)/tau_VT : volt")
            frag.reset.append("V_T = V_T_max")
            frag.init["V_T"] = self.V_T
        if (self.I_sp is None) != (self.tau_z is None):
            raise ModelError("Parameters 'I_sp' and 'tau_z' must be given together "
                             f"(got I_sp={self.I_sp}, tau_z={self.tau_z}).")
        if self.I_sp is not None:
            _param(frag, names, "I_sp", self.I_sp, pA)
            _param(frag, names, "tau_z", self.tau_z, ms, positive=True)
            frag.time_constants["tau_z"] = self.tau_z
            frag.equations.append("dz_ad/dt = -z_ad/tau_z : amp")
            frag.currents[c].append("z_ad")
            frag.reset.append("z_ad = I_sp")
        frag.threshold = "v > V_peak"
        frag.refractory, frag.unless_refractory = "t_ref", True
        _rename(frag, names)
        return frag


@dataclass(frozen=True)
class AdaptiveThresholdIF:
    """Integrate-and-fire with a moving threshold and spike-triggered adaptation.

    The somatic spike rule of the Naud & Sprekeler (2018) / Payeur et al.
    (2021) pyramidal neuron: spike when ``v > theta``; then ``v = V_reset``,
    ``theta += dtheta`` (relaxing to ``theta_0`` with ``tau_theta``) and the
    adaptation current ``w_s`` jumps by ``b_ws`` (decaying with ``tau_ws``).
    There is no absolute refractory period; the threshold jump plays its part.
    """

    theta_0: object = _d(-50 * mV)
    dtheta: object = _d(2 * mV)
    tau_theta: object = _d(27 * ms)
    V_reset: object = _d(-70 * mV)
    b_ws: object = _d(-200 * pA)
    tau_ws: object = _d(100 * ms)

    def fragment(self, comp, soma):
        names = {"v": f"v_{comp}"}
        frag = Fragment()
        _param(frag, names, "theta_0", self.theta_0, mV)
        _param(frag, names, "dtheta", self.dtheta, mV, nonneg=True)
        _param(frag, names, "tau_theta", self.tau_theta, ms, positive=True)
        _param(frag, names, "V_reset", self.V_reset, mV)
        _param(frag, names, "b_ws", self.b_ws, pA)
        _param(frag, names, "tau_ws", self.tau_ws, ms, positive=True)
        frag.time_constants.update(tau_theta=self.tau_theta, tau_ws=self.tau_ws)
        frag.equations += ["dtheta/dt = -(theta - theta_0)/tau_theta : volt",
                           "dw_s/dt = -w_s/tau_ws : amp"]
        frag.currents[comp] = ["w_s"]
        frag.threshold = "v > theta"
        frag.reset = ["v = V_reset", "theta += dtheta", "w_s += b_ws"]
        frag.init["theta"] = self.theta_0
        _rename(frag, names)
        return frag


@dataclass(frozen=True)
class EscapeRate:
    """Stochastic (escape-rate) spiking with rate ``phi(v)``.

    ``phi(v) = phi_max / (1 + k exp(beta (theta - v)))``, spikes are drawn as
    an inhomogeneous Poisson process with absolute refractoriness ``t_ref``;
    the somatic voltage is not reset (Urbanczik & Senn 2014, Neuron 81:521,
    Eq. 2; NEST ``pp_cond_exp_mc_urbanczik``).
    """

    phi_max: object = _d(150 * Hz)
    k: float = 0.5
    beta: object = _d(1 / (3 * mV))
    theta: object = _d(-55 * mV)
    t_ref: object = _d(3 * ms)

    def fragment(self, comp, soma):
        names = {"v": f"v_{comp}"}
        frag = Fragment()
        _param(frag, names, "phi_max", self.phi_max, Hz, positive=True)
        _param(frag, names, "k_phi", self.k, 1, positive=True)
        _param(frag, names, "beta_phi", self.beta, 1 / mV, positive=True, uname="1/volt")
        _param(frag, names, "theta_phi", self.theta, mV)
        _param(frag, names, "t_ref", self.t_ref, ms, nonneg=True)
        frag.equations.append(
            "rate = phi_max/(1 + k_phi*exp(beta_phi*(theta_phi - v))) : hertz")
        frag.threshold = "rand() < rate*dt"
        frag.refractory = "t_ref"
        _rename(frag, names)
        return frag


@dataclass(frozen=True)
class RateOutput:
    """Non-spiking output: the firing rate ``phi(v)`` as a variable ``rate``.

    Same sigmoid as :class:`EscapeRate` (``k = 1`` gives the logistic of
    Sacramento et al. 2018 and Guerguiev et al. 2017).
    """

    phi_max: object = _d(200 * Hz)
    k: float = 1.0
    beta: object = _d(1 / mV)
    theta: object = _d(-70 * mV)

    def fragment(self, comp, soma):
        frag = EscapeRate(self.phi_max, self.k, self.beta, self.theta, 0 * ms).fragment(comp, soma)
        frag.params = [p for p in frag.params if p[0] != "t_ref"]
        frag.threshold, frag.refractory = None, None
        return frag


# --------------------------------------------------------------------------
# Dendritic mechanisms
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class CalciumSpike:
    """Sigmoidal dendritic Ca2+ nonlinearity ``f(v) = 1/(1 + exp(-(v - E_d)/D))``.

    Drives the host dendrite with ``g_d f(v)`` and the soma with ``g_s f(v)``
    (Naud & Sprekeler 2018 PNAS 115:E6329; Payeur et al. 2021, Eqs. S40-S41;
    amplitudes are currents, as in Auryn's ``NaudGroup``).
    """

    g_d: object = _d(1200 * pA)
    g_s: object = _d(1300 * pA)
    E_d: object = _d(-38 * mV)
    D: object = _d(6 * mV)

    def fragment(self, comp, soma):
        names = {"v": f"v_{comp}", "f_ca": f"f_ca_{comp}", "g_d": f"g_ca_{comp}",
                 "g_s": f"g_ca_{comp}_to_{soma}", "E_d": f"E_ca_{comp}", "D": f"D_ca_{comp}"}
        frag = Fragment()
        _param(frag, names, "g_d", self.g_d, pA, nonneg=True)
        _param(frag, names, "g_s", self.g_s, pA, nonneg=True)
        _param(frag, names, "E_d", self.E_d, mV)
        _param(frag, names, "D", self.D, mV, positive=True)
        frag.equations.append("f_ca = 1/(1 + exp(-(v - E_d)/D)) : 1")
        frag.currents = {comp: ["g_d*f_ca"], soma: ["g_s*f_ca"]}
        _rename(frag, names)
        return frag


@dataclass(frozen=True)
class DendriticAdaptation:
    """Subthreshold dendritic adaptation ``tau_wd dw_d/dt = (v - E_L) - w_d``.

    Adds ``a_wd w_d`` to the dendrite (``a_wd < 0`` adapts; Payeur et al. 2021,
    Eq. S44, ``a_wd = -13 nS``, ``tau_wd = 30 ms``).
    """

    a_wd: object = _d(-13 * nS)
    tau_wd: object = _d(30 * ms)

    def fragment(self, comp, soma):
        names = {"v": f"v_{comp}", "E_L": f"E_L_{comp}", "w_d": f"w_d_{comp}",
                 "a_wd": f"a_wd_{comp}", "tau_wd": f"tau_wd_{comp}"}
        frag = Fragment()
        _param(frag, names, "a_wd", self.a_wd, nS)
        _param(frag, names, "tau_wd", self.tau_wd, ms, positive=True)
        frag.time_constants[names["tau_wd"]] = self.tau_wd
        frag.equations.append("dw_d/dt = ((v - E_L) - w_d)/tau_wd : volt")
        frag.currents[comp] = ["a_wd*w_d"]
        _rename(frag, names)
        return frag


@dataclass(frozen=True)
class BAPKernel:
    """Backpropagating action potential as a box current into a dendrite.

    After each somatic spike the host compartment receives ``zeta`` for
    ``duration`` (Naud & Sprekeler 2018; Payeur et al. 2021: 2600 pA, 2 ms).
    """

    zeta: object = _d(2600 * pA)
    duration: object = _d(2 * ms)

    def fragment(self, comp, soma):
        names = {"zeta": f"zeta_bap_{comp}", "d_bap": f"d_bap_{comp}"}
        frag = Fragment()
        _param(frag, names, "zeta", self.zeta, pA, nonneg=True)
        _param(frag, names, "d_bap", self.duration, ms, positive=True)
        # the box covers the d_bap/dt steps after the spike step, as in Auryn's
        # NaudGroup (a countdown set at the spike); half a step guards rounding
        frag.currents[comp] = [_sub("zeta*int(t - t_spike < d_bap + 0.5*dt)", names)]
        return frag


@dataclass(frozen=True)
class Plateau:
    """Apical plateau potential as a sigmoid of the dendritic voltage.

    ``plateau = 1/(1 + exp(-(v - V_half)/slope))`` (Guerguiev et al. 2017,
    eLife 6:e22901, Eq. 6: alpha = sigma(A), with dimensionless voltages read
    as mV above rest).  An observable; it feeds no current back.
    """

    V_half: object = _d(-70 * mV)
    slope: object = _d(1 * mV)

    def fragment(self, comp, soma):
        names = {"v": f"v_{comp}", "plateau": f"plateau_{comp}",
                 "V_half": f"V_half_plateau_{comp}", "slope": f"slope_plateau_{comp}"}
        frag = Fragment()
        _param(frag, names, "V_half", self.V_half, mV)
        _param(frag, names, "slope", self.slope, mV, positive=True)
        frag.equations.append("plateau = 1/(1 + exp(-(v - V_half)/slope)) : 1")
        _rename(frag, names)
        return frag


def _rename(frag, names):
    """Apply the compartment renaming to everything in a fragment."""
    frag.equations = [_sub(e, names) for e in frag.equations]
    frag.currents = {c: [_sub(e, names) for e in es] for c, es in frag.currents.items()}
    frag.reset = [_sub(r, names) for r in frag.reset]
    if frag.threshold:
        frag.threshold = _sub(frag.threshold, names)
    frag.init = {names.get(k, k): v for k, v in frag.init.items()}


@dataclass(frozen=True)
class NoiseCurrent:
    """Background input as an Ornstein-Uhlenbeck current into the compartment.

    ``dI_noise/dt = -I_noise/tau + sigma sqrt(2/tau) xi``: zero mean,
    standard deviation ``sigma``, correlation time ``tau`` (the diffusion
    approximation of balanced synaptic bombardment, e.g. Destexhe et al. 2001),
    advanced with its exact update
    ``I(t + dt) = I(t) exp(-dt/tau) + sigma sqrt(1 - exp(-2 dt/tau)) N(0, 1)``.
    """

    sigma: object = _d(100 * pA)
    tau: object = _d(5 * ms)

    def fragment(self, comp, soma):
        names = {"I_noise": f"I_noise_{comp}", "sigma": f"sigma_noise_{comp}",
                 "tau": f"tau_noise_{comp}"}
        frag = Fragment()
        _param(frag, names, "sigma", self.sigma, pA, nonneg=True)
        _param(frag, names, "tau", self.tau, ms, positive=True)
        frag.time_constants[names["tau"]] = self.tau
        # exact OU update once per step, outside the integrator: Brian2 orders
        # several xi_* noise variables by string hash, which would make the
        # random stream depend on PYTHONHASHSEED; a code block is ordered
        frag.equations.append("I_noise : amp")
        frag.regular.append(
            "I_noise = I_noise*exp(-dt/tau) + sigma*sqrt(1 - exp(-2*dt/tau))*randn()")
        frag.currents[comp] = ["I_noise"]
        _rename(frag, names)
        frag.regular = [_sub(r, names) for r in frag.regular]
        return frag


@dataclass(frozen=True)
class EventPoissonInput:
    """Superposed Poisson input onto a channel of the compartment, drawn as events.

    ``n`` independent Poisson synapses of rate ``rate`` and weight ``weight``
    onto channel ``channel`` superpose to one Poisson process of rate
    ``n rate``.  Each neuron keeps the arrival of its next event in
    operational time ``s`` (a running sum of unit exponentials); the custom
    event ``t n rate >= s`` adds the weight to the channel and draws the next
    gap.  One comparison per neuron and step replaces ``PoissonInput``'s
    binomial draw; a rate changed through ``run_args`` takes effect from the
    first event.  Events falling into the same step are delivered on
    consecutive steps (at 500 Hz and dt = 0.1 ms, 2.5 % of events are delayed
    by one step; none is lost).  Variables are named after ``name`` (default:
    the compartment): ``s_NAME``, ``rate_NAME``, ``n_NAME``, ``w_NAME``, event
    ``input_NAME``.  The channel must be a single-exponential one.
    """

    channel: str = "ampa"
    n: float = 100
    rate: object = _d(5 * Hz)
    weight: object = _d(1 * nS)
    name: str = None

    def validate(self, compartment):
        for ch in compartment.channels:
            if ch.name == self.channel and ch.tau_rise is None:
                return
        raise ModelError(f"EventPoissonInput needs a single-exponential channel "
                         f"{self.channel!r} in compartment '{compartment.name}'; it has "
                         f"{', '.join(ch.name for ch in compartment.channels) or 'none'}.")

    def fragment(self, comp, soma):
        key = self.name or comp
        names = {"s": f"s_{key}", "rate": f"rate_{key}", "n": f"n_{key}", "w": f"w_{key}"}
        frag = Fragment()
        _param(frag, names, "rate", self.rate, Hz, nonneg=True)
        _param(frag, names, "n", float(self.n), 1, nonneg=True)
        unit = nS if get_dimensions(self.weight) is get_dimensions(nS) else pA
        _param(frag, names, "w", self.weight, unit, nonneg=True)
        frag.equations.append("s : 1")
        frag.init["s"] = "-log(1 - rand())"
        target = f"{'g' if unit is nS else 'I'}_{self.channel}_{comp}"
        frag.events[f"input_{key}"] = ("t*n*rate >= s", f"{target} += w\ns += -log(1 - rand())")
        _rename(frag, names)
        frag.events = {k: (_sub(c, names), _sub(code, names)) for k, (c, code) in frag.events.items()}
        return frag


@dataclass(frozen=True)
class SpikeTrace:
    """Low-pass filtered spike train ``trace_NAME`` (+1 per spike, decay ``tau_NAME``).

    One trace per neuron serves every synapse of an additive all-to-all pair
    rule (Morrison, Diesmann & Gerstner 2008, Biol Cybern 98:459, Sec. 4.1).
    """

    name: str = "plus"
    tau: object = _d(16.8 * ms)

    def fragment(self, comp, soma):
        names = {"trace": f"trace_{self.name}", "tau": f"tau_{self.name}"}
        frag = Fragment()
        _param(frag, names, "tau", self.tau, ms, positive=True)
        frag.time_constants[names["tau"]] = self.tau
        frag.equations.append("dtrace/dt = -trace/tau : 1")
        frag.reset.append("trace += 1")
        _rename(frag, names)
        return frag
