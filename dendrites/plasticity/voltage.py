"""Voltage-based plasticity: Clopath et al. 2010 and its local-dendrite form (Bono & Clopath 2017).

The rules read low-pass filtered postsynaptic voltages.  These filters are
neuron-side *mechanisms* placed in the compartment that hosts the synapse:

* :class:`ClopathFilters` -- the voltage seen by the rule during a clamped
  2 ms spike, the filtered voltages ``ubar_minus``/``ubar_plus`` and their
  delayed copies, and optionally the slow mean depolarisation of the
  homeostatic variant (Clopath et al. 2010);
* :class:`LocalVoltageFilters` -- the cascade ``v -> v_ca -> v_ltd, v_ltp``
  of the local dendritic voltage (Bono & Clopath 2017).

:func:`clopath_neuron` builds the Clopath AdEx neuron of the authors' code
(ModelDB 144566) with the filters in place; its spike mechanism is
:class:`ClampedAdEx` (spike-triggered jumps at the end of the spike clamp).
"""

from dataclasses import dataclass, fields, replace

from brian2 import mV, ms, second

from ..errors import ModelError, check_quantity
from ..fragments import Fragment, _d, _param, _rename, _sub
from ..mechanisms import AdEx
from .base import Rule

__all__ = ["ClopathFilters", "LocalVoltageFilters", "ClampedAdEx", "Clopath2010",
           "BonoClopath2017", "clopath_neuron", "add_mechanism"]


def _relu(expr):
    """``[expr]_+`` as Brian2 code (``expr`` dimensionless)."""
    return f"int(({expr}) > 0)*({expr})"


# --------------------------------------------------------------------------
# Neuron-side mechanisms
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class ClopathFilters:
    """Filtered postsynaptic voltages of the Clopath et al. (2010) rule.

    ``u = v`` except during ``t_clamp`` after a somatic spike, when ``u`` is
    the clamped spike voltage ``V_spike`` (the author code holds the spike at
    29.4 mV and 32.862 mV for one 1-ms step each; ``V_spike`` defaults to
    their mean 31.131 mV so that the integral of ``u - theta_plus`` over the
    spike is the authors').  ``u`` never exceeds ``V_spike``, so a voltage
    kick that forces a spike reads as the clamped spike.  Then
    (Clopath et al. 2010, Nat Neurosci 13:344, Methods)::

        tau_minus d ubar_minus/dt = u - ubar_minus
        tau_plus  d ubar_plus/dt  = u - ubar_plus

    and the rule reads ``ubar_*_del`` = ``ubar_*(t - delay)`` (author code: 3
    steps of 1 ms, "to read the voltage before the spike").  The depression
    term acts in the presynaptic spike code, which Brian2 runs after the
    neuron's state update; it reads ``ubar_minus_ltd``, a copy of
    ``ubar_minus_del`` taken at the start of each step (before the state
    update), so that both terms read the delayed filters of the same step, as
    ``VoTri.m`` does (``u_md(t-3)``; reading ``ubar_minus_del`` itself in
    ``on_pre`` shortens the LTD delay by one step).  The delay is a
    line of ``n_delay`` first-order stages of time constant
    ``delay/n_delay``; integrated with forward Euler at ``dt = delay/n_delay``
    each stage copies the previous one, i.e. it is an exact shift register
    (the authors' scheme); at smaller ``dt`` the delay is gamma-distributed
    with mean ``delay``.  ``dt`` must not exceed ``delay/n_delay``
    (Euler would be unstable); ``n_delay = 0`` reads the undelayed filters.

    With ``homeostasis=True`` it also provides the mean depolarisation
    ``ubarbar``: ``tau_hom d ubarbar/dt = (u - E_L) - ubarbar`` (paper: a
    1-s average of the depolarisation; NEST uses a 500 ms low-pass of
    ``ubar_minus``), started at ``ubarbar_0``.

    Only the soma has a spike clamp; in a dendrite ``u = v``.

    Variables (suffix ``_{comp}``): ``u``, ``ubar_minus``, ``ubar_plus``,
    ``ubar_minus_del``, ``ubar_plus_del``, ``ubar_minus_ltd`` (volt) and
    ``ubarbar`` (volt).
    """

    tau_minus: object = _d(10 * ms)
    tau_plus: object = _d(7 * ms)
    delay: object = _d(3 * ms)
    n_delay: int = 3
    V_spike: object = _d(31.131 * mV)
    t_clamp: object = _d(2 * ms)
    homeostasis: bool = False
    tau_hom: object = _d(1 * second)
    ubarbar_0: object = _d(0 * mV)

    def fragment(self, comp, soma):
        c = comp
        if not isinstance(self.n_delay, int) or isinstance(self.n_delay, bool) or self.n_delay < 0:
            raise ModelError(f"Parameter 'n_delay' = {self.n_delay!r} must be a non-negative "
                             "integer (number of delay stages).")
        names = {k: f"{k}_{c}" for k in ("u", "ubar_minus", "ubar_plus", "ubar_minus_del",
                                          "ubar_plus_del", "ubar_minus_ltd", "ubarbar",
                                          "tau_minus", "tau_plus", "tau_del", "V_spike",
                                          "t_clamp", "tau_hom")}
        names.update(v=f"v_{c}", E_L=f"E_L_{c}")
        frag = Fragment()
        _param(frag, names, "tau_minus", self.tau_minus, ms, positive=True)
        _param(frag, names, "tau_plus", self.tau_plus, ms, positive=True)
        frag.time_constants.update({names["tau_minus"]: self.tau_minus,
                                    names["tau_plus"]: self.tau_plus})
        if c == soma:
            _param(frag, names, "V_spike", self.V_spike, mV)
            _param(frag, names, "t_clamp", self.t_clamp, ms, nonneg=True)
            vv = "clip(v, -1*volt, V_spike)"
            # integer time steps, as Brian2's refractoriness: 0.022 s - 0.020 s < 2 ms in floats
            clamped = "int(timestep(t - t_spike, dt) < timestep(t_clamp, dt))"
            frag.equations.append(f"u = {vv} + (V_spike - {vv})*{clamped} : volt")
        else:
            frag.equations.append("u = v : volt")
        frag.equations += ["dubar_minus/dt = (u - ubar_minus)/tau_minus : volt",
                           "dubar_plus/dt = (u - ubar_plus)/tau_plus : volt"]
        frag.init.update({"ubar_minus": "E_L", "ubar_plus": "E_L"})
        self._delay_line(frag, names, c)
        # the value at the start of the step, for the LTD term in on_pre (runs 'before_groups')
        frag.equations.append("ubar_minus_ltd : volt")
        frag.regular.append("ubar_minus_ltd = ubar_minus_del")
        frag.init["ubar_minus_ltd"] = "E_L"
        if self.homeostasis:
            _param(frag, names, "tau_hom", self.tau_hom, ms, positive=True)
            frag.time_constants[names["tau_hom"]] = self.tau_hom
            frag.equations.append("dubarbar/dt = ((u - E_L) - ubarbar)/tau_hom : volt")
            frag.init["ubarbar"] = self.ubarbar_0
        _rename(frag, names)
        frag.regular = [_sub(r, names) for r in frag.regular]
        frag.init = {k: (names.get(v, v) if isinstance(v, str) else v)
                     for k, v in frag.init.items()}
        return frag

    def _delay_line(self, frag, names, comp):
        """``n_delay`` first-order stages from ``ubar_*`` to ``ubar_*_del``."""
        n = self.n_delay
        if n == 0:
            frag.equations += ["ubar_minus_del = ubar_minus : volt",
                               "ubar_plus_del = ubar_plus : volt"]
            return
        check_quantity("delay", self.delay, ms, positive=True)
        _param(frag, names, "tau_del", self.delay / n, ms, positive=True)
        for base in ("ubar_minus", "ubar_plus"):
            inner = [f"{base}_d{k}_{comp}" for k in range(1, n)]    # already suffixed
            stages = [base] + inner + [f"{base}_del"]
            for prev, cur in zip(stages[:-1], stages[1:]):
                frag.equations.append(f"d{cur}/dt = ({prev} - {cur})/tau_del : volt")
                frag.init[cur] = "E_L"


@dataclass(frozen=True)
class LocalVoltageFilters:
    """Filtered local voltage of the Bono & Clopath (2017) rule.

    ``tau_ca dv_ca/dt = v - v_ca``, ``tau_ltd dv_ltd/dt = v_ca - v_ltd``,
    ``tau_ltp dv_ltp/dt = v_ca - v_ltp`` with ``v`` the voltage of the host
    compartment (Bono & Clopath 2017, Nat Commun 8:706, Methods; ModelDB
    232914 ``oo_equations_AMPAplast.py``: 5, 15 and 45 ms).  Variables
    ``v_ca``, ``v_ltd``, ``v_ltp`` carry the compartment suffix.
    """

    tau_ca: object = _d(5 * ms)
    tau_ltd: object = _d(15 * ms)
    tau_ltp: object = _d(45 * ms)

    def fragment(self, comp, soma):
        names = {k: f"{k}_{comp}" for k in ("v_ca", "v_ltd", "v_ltp", "tau_ca", "tau_ltd",
                                             "tau_ltp")}
        names.update(v=f"v_{comp}", E_L=f"E_L_{comp}")
        frag = Fragment()
        for key in ("tau_ca", "tau_ltd", "tau_ltp"):
            _param(frag, names, key, getattr(self, key), ms, positive=True)
            frag.time_constants[names[key]] = getattr(self, key)
        frag.equations += ["dv_ca/dt = (v - v_ca)/tau_ca : volt",
                           "dv_ltd/dt = (v_ca - v_ltd)/tau_ltd : volt",
                           "dv_ltp/dt = (v_ca - v_ltp)/tau_ltp : volt"]
        _rename(frag, names)
        frag.init = {names[k]: names["E_L"] for k in ("v_ca", "v_ltd", "v_ltp")}
        return frag


@dataclass(frozen=True)
class ClampedAdEx(AdEx):
    """AdEx whose spike-triggered jumps take effect at the end of the spike clamp.

    In ``aEIF.m`` (ModelDB 144566) a spike is clamped for 2 ms, during which
    the adaptation current is not integrated; only when the clamp ends are
    ``u`` reset, ``w += b``, the after-depolarisation set to ``I_sp`` and
    ``V_T`` set to ``V_T,max``, and the same step then integrates the membrane
    from the reset.  Here the jumps are applied at the spike (reset code) and
    ``w_ad``, ``z_ad`` and ``V_T`` are frozen while refractory, so they start
    to evolve from their jumped values when the clamp ends; the membrane is
    held at the reset until the last step of the clamp ``t_ref`` and
    integrates in that step, so that one clamp length after the spike it is
    one step past the reset, as in ``aEIF.m`` at its 1 ms step (the
    difference vanishes as ``dt -> 0``).  ``w_ad`` is also frozen in a step
    that starts above ``V_peak``: only a spike forced by setting ``v`` (the
    protocols' stand-in for the authors' one-step 1e6 pA current) starts a
    step there, and that step is the first step of the clamp, in which
    ``aEIF.m`` undoes the adaptation update (``w = w - wdot``).

    A plain :class:`AdEx` (and NEST's ``aeif_psc_delta_clopath``) lets ``z``
    and ``V_T`` decay during the clamp: at ``dt = 0.1 ms`` that moved the
    Sjöström curve by up to 5.7 percentage points (50 Hz) from the authors'
    code.
    """

    FROZEN = ("dw_ad/dt", "dz_ad/dt", "dV_T/dt")

    def fragment(self, comp, soma):
        frag = super().fragment(comp, soma)
        eqs = []
        for e in frag.equations:
            if e.startswith("dw_ad/dt"):
                eq, unit = e.split(" : ", 1)
                lhs, rhs = eq.split(" = ", 1)
                e = f"{lhs} = ({rhs})*int(v_{comp} <= V_peak) : {unit}"
            eqs.append(e + " (unless refractory)" if e.startswith(self.FROZEN) else e)
        if not any(e.startswith("dw_ad/dt") for e in eqs):
            raise ModelError("ClampedAdEx: the AdEx fragment has no adaptation equation "
                             "'dw_ad/dt'.")
        frag.equations = eqs
        frag.refractory = "timestep(t - lastspike, dt) < timestep(t_ref, dt) - 1"
        return frag


def add_mechanism(model, compartment, mechanism):
    """Return *model* with *mechanism* appended to one compartment's mechanisms."""
    model.compartment(compartment)   # error names the valid compartments
    comps = tuple(replace(c, mechanisms=c.mechanisms + (mechanism,)) if c.name == compartment
                  else c for c in model.compartments)
    return replace(model, compartments=comps)


def clopath_neuron(model=None, filters=None):
    """The Clopath AdEx neuron of the authors' code, ready for :class:`Clopath2010`.

    Starts from ``presets.clopath_2010()`` (or *model*), sets the somatic
    refractory period to the spike clamp ``filters.t_clamp`` (2 ms: the author
    code holds the spike for 2 ms, during which the membrane does not
    integrate, then resets to E_L + 21.1 mV) and adds *filters* (default
    :class:`ClopathFilters`) to the soma.  An :class:`AdEx` spike mechanism
    becomes a :class:`ClampedAdEx` (same parameters): adaptation,
    after-depolarisation and threshold jump when the clamp ends, as in
    ``aEIF.m``.

    The preset's adaptation jump is the paper-table 80.5 pA.  ``aEIF.m``
    literally adds ``b = 0.0805`` to an adaptation current in pA, i.e. the
    authors' code (and NEST's pairing example) runs with 0.0805 pA; pass a
    *model* with that ``b`` (as ``protocols.stdp_protocols.author_clopath_neuron``
    does) to reproduce the authors' frequency curve.
    """
    from .. import presets

    model = presets.clopath_2010() if model is None else model
    filters = ClopathFilters() if filters is None else filters
    if model.spike is None or not hasattr(model.spike, "t_ref"):
        raise ModelError(f"Model '{model.name}' has no somatic spike mechanism with a "
                         "refractory period; the Clopath spike clamp needs one.")
    spike = model.spike
    if type(spike) is AdEx:
        spike = ClampedAdEx(**{f.name: getattr(spike, f.name) for f in fields(spike)})
    model = replace(model, spike=replace(spike, t_ref=filters.t_clamp))
    return add_mechanism(model, "soma", filters)


def _requires(post_model, compartment, variables, mechanism):
    hint = (f"add {mechanism}() to the mechanisms of compartment '{compartment}' of model "
            f"'{post_model.name}'")
    return {f"{v}_{compartment}_post": hint for v in variables}


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Clopath2010(Rule):
    """Voltage-based STDP of Clopath, Büsing, Vasilaki & Gerstner (2010).

    Nat Neurosci 13:344, Eqs. 1-4 (Methods), as in the authors' MATLAB code
    (ModelDB 144566, ``VoTri.m``)::

        dw/dt = -A_LTD X(t) [ubar_minus(t - d) - theta_minus]_+
                + A_LTP xbar(t) [u(t) - theta_plus]_+ [ubar_plus(t - d) - theta_minus]_+

    ``X`` is the presynaptic spike train (depression at each presynaptic
    spike) and ``tau_x dxbar/dt = -xbar + X`` (``xbar`` jumps by ``1/tau_x``,
    in 1/ms as in the author code).  Voltages are in mV, so ``A_LTD`` is per
    mV and ``A_LTP`` per mV^2 per ms of the LTP term.  Defaults: the
    visual-cortex set of the author code (``FrequencyDependence.m``):
    ``A_LTD`` 14e-5, ``A_LTP`` 8e-5, theta_minus -70.6 mV, theta_plus
    -45.3 mV, tau_x 15 ms (filter constants and the delay live in
    :class:`ClopathFilters`).  The weight is kept in ``[w_min, w_max]`` (the
    author code has no bounds; w stays inside them in its protocols).

    ``homeostatic=True`` scales the depression amplitude by
    ``ubarbar^2/u_ref_sq`` (paper Eq. 5; ``u_ref_sq`` in mV^2, default
    60 mV^2), which needs ``ClopathFilters(homeostasis=True)``.
    """

    A_LTD: float = 14e-5
    A_LTP: float = 8e-5
    theta_minus: object = _d(-70.6 * mV)
    theta_plus: object = _d(-45.3 * mV)
    tau_x: object = _d(15 * ms)
    w_min: float = 0.0
    w_max: float = 1.0
    homeostatic: bool = False
    u_ref_sq: float = 60.0
    name = "clopath-2010"

    def spec(self, post_model, compartment):
        c = compartment
        s = self.start_spec(post_model, c, ("A_LTD", "A_LTP"),
                            (("theta_minus", mV, {}), ("theta_plus", mV, {}),
                             ("tau_x", ms, {"positive": True})))
        needed = ["u", "ubar_minus_ltd", "ubar_plus_del"]
        ltd = "A_LTD"
        if self.homeostatic:
            self.param(s, "u_ref_sq", self.u_ref_sq, 1, positive=True)
            needed.append("ubarbar")
            ltd = f"A_LTD*(ubarbar_{c}_post/mV)**2/u_ref_sq"
        s.requires = _requires(post_model, c, needed, "ClopathFilters"
                               + ("(homeostasis=True)" if self.homeostatic else ""))
        ltp = (f"A_LTP*xbar*{_relu(f'(u_{c}_post - theta_plus)/mV')}"
               f"*{_relu(f'(ubar_plus_del_{c}_post - theta_minus)/mV')}")
        s.model = ["dxbar/dt = -xbar/tau_x : 1 (clock-driven)",
                   f"dw/dt = int(w < w_max)*{ltp}/ms : 1 (clock-driven)"]
        s.on_pre = [f"w = clip(w - {ltd}*{_relu(f'(ubar_minus_ltd_{c}_post - theta_minus)/mV')}, "
                    "w_min, w_max)",
                    "xbar += 1/(tau_x/ms)"]
        return s


@dataclass(frozen=True)
class BonoClopath2017(Rule):
    """The Clopath rule on the local dendritic voltage (Bono & Clopath 2017).

    Nat Commun 8:706, Methods (plasticity rule), as in ModelDB 232914
    ``oo_equations_AMPAplast.py``, with ``v`` the voltage of the compartment
    that hosts the synapse::

        at each presynaptic spike:  w <- clip(w - A_LTD [v_ltd - theta_low]_+, w_min, w_max)
        dw/dt = A_LTP x [v_ltp - theta_low]_+ [v - theta_high]_+ * 1 Hz   (while w < w_max)

    with ``tau_x dx/dt = -x`` and ``x += x_reset tau_x/ms`` per presynaptic
    spike; voltages in mV.  LTP needs the local voltage above theta_high
    (-15 mV): a backpropagating spike in a proximal dendrite or an NMDA
    spike in a distal one.  Defaults are the authors' (``oo_Parameters.py``):
    A_LTD 4e-4, A_LTP 14e-4, theta_high -15 mV, tau_x 20 ms, x_reset 5,
    w in [1e-4, 1]; theta_low -69 mV is their L5 (Acker) value and the
    resting potential of their reduced model (``Model CPU/f_parameters.py``).
    The filters ``v_ltd``/``v_ltp`` come from :class:`LocalVoltageFilters`.
    """

    A_LTD: float = 4e-4
    A_LTP: float = 14e-4
    theta_low: object = _d(-69 * mV)
    theta_high: object = _d(-15 * mV)
    tau_x: object = _d(20 * ms)
    x_reset: float = 5.0
    w_min: float = 1e-4
    w_max: float = 1.0
    name = "bono-clopath-2017"

    def spec(self, post_model, compartment):
        c = compartment
        s = self.start_spec(post_model, c, ("A_LTD", "A_LTP"),
                            (("theta_low", mV, {}), ("theta_high", mV, {}),
                             ("tau_x", ms, {"positive": True}),
                             ("x_reset", 1, {"nonnegative": True})))
        s.requires = _requires(post_model, c, ["v", "v_ltd", "v_ltp"], "LocalVoltageFilters")
        s.requires.pop(f"v_{c}_post")
        ltp = (f"A_LTP*x_trace*{_relu(f'(v_ltp_{c}_post - theta_low)/mV')}"
               f"*{_relu(f'(v_{c}_post - theta_high)/mV')}")
        s.model = ["dx_trace/dt = -x_trace/tau_x : 1 (clock-driven)",
                   f"dw/dt = int(w < w_max)*{ltp}*Hz : 1 (clock-driven)"]
        s.on_pre = [f"w = clip(w - A_LTD*{_relu(f'(v_ltd_{c}_post - theta_low)/mV')}, "
                    "w_min, w_max)",
                    "x_trace += x_reset*tau_x/ms"]
        return s
