"""Somatic spike mechanisms and dendritic mechanisms, each turned into Brian2 equation text.

Every mechanism is a frozen dataclass holding its parameters as Brian2
quantities.  ``fragment(comp, soma)`` returns a :class:`Fragment`: equation
lines written with generic symbols and renamed for the compartment by
:func:`brian2.utils.stringtools.word_substitute`, the currents it adds to each
compartment, its parameters (declared as ``(shared, constant)`` state variables
so that a ``cpp_standalone`` build can be re-run with new values) and its
threshold/reset/event code.  Nothing here touches Brian2 objects.  Synaptic
channels are in :mod:`dendrites.channels`, inputs and traces in
:mod:`dendrites.inputs`.
"""

from dataclasses import dataclass

from brian2 import Hz, mV, ms, nS, pA

from .errors import ModelError
# fragment helpers are re-exported: rule modules build their mechanisms with them
from .fragments import UNIT_NAMES, Fragment, _d, _param, _rename, _sub  # noqa: F401

__all__ = [
    "Fragment", "IntegrateAndFire", "AdEx", "AdaptiveThresholdIF", "BurstPoissonIF", "EscapeRate",
    "RateOutput",
    "CalciumSpike", "DendriticAdaptation", "BAPKernel", "Plateau",
]


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
class BurstPoissonIF(AdaptiveThresholdIF):
    """:class:`AdaptiveThresholdIF` events whose burst is drawn from the dendritic voltage.

    The pyramidal neuron of the authors' XOR network (apayeur/spikingburstprop
    ``BurstPoissonGroup.cpp``, a NaudGroup whose compartments are not coupled):
    a somatic spike (``v > theta`` outside an absolute refractory period
    ``t_ref``) is an *event*: ``v = V_reset``, ``theta += dtheta``, ``w_s +=
    b_ws``, and with probability ``1/(1 + exp(-(v_dend - E_burst)/D_burst))``
    a second spike follows ``burst_delay + U(0, burst_jitter)`` later, which
    makes it a *burst* (the second spike resets nothing but starts another
    ``t_ref``).  The burst probability is set by the dendrite alone and the
    event rate by the soma alone: with ``t_ref`` above the burst criterion
    (16 ms) and the second spike within it, events and bursts are classified
    exactly.  The membrane integrates through ``t_ref`` (no clamp).
    """

    t_ref: object = _d(20 * ms)
    E_burst: object = _d(-57 * mV)
    D_burst: object = _d(6 * mV)
    burst_delay: object = _d(5 * ms)
    burst_jitter: object = _d(10 * ms)
    dendrite: str = "apical"

    def fragment(self, comp, soma):
        # the moving threshold and adaptation of AdaptiveThresholdIF, then the burst draw
        frag = super().fragment(comp, soma)
        names = {"v": f"v_{comp}", "v_dend": f"v_{self.dendrite}"}
        _param(frag, names, "t_ref", self.t_ref, ms, nonneg=True)
        _param(frag, names, "E_burst", self.E_burst, mV)
        _param(frag, names, "D_burst", self.D_burst, mV, positive=True)
        _param(frag, names, "burst_delay", self.burst_delay, ms, nonneg=True)
        _param(frag, names, "burst_jitter", self.burst_jitter, ms, nonneg=True)
        if self.burst_delay + self.burst_jitter >= self.t_ref:
            raise ModelError(f"Parameters 'burst_delay' + 'burst_jitter' = "
                             f"{self.burst_delay + self.burst_jitter} must be below 't_ref' = "
                             f"{self.t_ref}: the second spike of a burst falls inside the "
                             "refractory period of its event.")
        frag.equations += [_sub("p_burst = 1/(1 + exp(-(v_dend - E_burst)/D_burst)) : 1", names),
                           "burst_pending : 1", "t_burst : second", "second_spike : 1"]
        # t_spike (the previous spike, set after this reset) starts the refractory period
        frag.threshold = _sub("(v > theta and t - t_spike >= t_ref) or "
                              "(burst_pending > 0.5 and t >= t_burst)", names)
        # the second spike of a burst resets nothing (the event's reset, gated)
        frag.reset = [_sub(line, names) for line in (
            "second_spike = int(burst_pending > 0.5 and t >= t_burst)",
            "v = second_spike*v + (1 - second_spike)*V_reset",
            "theta += (1 - second_spike)*dtheta",
            "w_s += (1 - second_spike)*b_ws",
            "burst_pending = (1 - second_spike)*int(rand() < p_burst)",
            "t_burst = t + burst_delay + rand()*burst_jitter")]
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


