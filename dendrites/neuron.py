"""Reduced compartmental neurons: a declarative description built into one NeuronGroup.

A :class:`NeuronModel` lists compartments (each with capacitance, leak,
synaptic channels and mechanisms), the conductances coupling them and the
somatic spike mechanism.  :meth:`NeuronModel.build` turns it into a single
``brian2.NeuronGroup`` whose state variables carry a suffix per compartment
(``v_soma``, ``v_basal``, ``g_ampa_apical``, ...).  Every parameter is a
``(shared, constant)`` state variable, so standalone builds can be re-run with
new values through ``run_args``.
"""

import difflib
import logging
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from brian2 import Equations, NeuronGroup, defaultclock, mV, ms, nS, pF, second
from brian2.units.fundamentalunits import Quantity

from .errors import ModelError, check_quantity, format_quantity
from .fragments import Fragment

__all__ = ["Compartment", "Coupling", "NeuronModel", "DtWarning"]

logger = logging.getLogger(__name__)

DEFAULT_METHOD = ("rk2", "heun")  # see NeuronModel.method
ADEX_METHOD = ("euler",)


class DtWarning(UserWarning):
    """The time step is more than a fifth of one of the model's time constants."""


@dataclass(frozen=True)
class Compartment:
    """One isopotential compartment.

    Parameters
    ----------
    name : str
        Identifier used as suffix of its variables (``soma``, ``basal``, ...).
    C : `Quantity`
        Capacitance (farad), strictly positive.
    g_L : `Quantity`
        Leak conductance (siemens), strictly positive.
    E_L : `Quantity`
        Leak reversal potential (volt).
    channels : tuple of `SynapticChannel`
        Named synaptic input channels.
    mechanisms : tuple
        Dendritic mechanisms (:mod:`dendrites.mechanisms`).
    """

    name: str
    C: object
    g_L: object
    E_L: object = field(default_factory=lambda: -70 * mV)
    channels: tuple = ()
    mechanisms: tuple = ()

    def validate(self):
        for item in self.channels + self.mechanisms:
            if not callable(getattr(item, "fragment", None)):
                raise ModelError(f"Unknown mechanism {item!r} in compartment '{self.name}': "
                                 f"allowed are channels (dendrites.channels) and mechanisms "
                                 f"(dendrites.mechanisms, dendrites.inputs) with a fragment() "
                                 f"method.")
        for mech in self.mechanisms:
            if hasattr(mech, "validate"):
                mech.validate(self)
        if not self.name.isidentifier():
            raise ModelError(f"Compartment name {self.name!r} must be a Python identifier.")
        check_quantity(f"C_{self.name}", self.C, pF, positive=True)
        check_quantity(f"g_L_{self.name}", self.g_L, nS, positive=True)
        check_quantity(f"E_L_{self.name}", self.E_L, mV)
        names = [ch.name for ch in self.channels]
        if len(set(names)) != len(names):
            raise ModelError(f"Compartment '{self.name}' has duplicate channel names {names}.")


@dataclass(frozen=True)
class Coupling:
    """Conductance ``g`` between compartments ``a`` and ``b``.

    ``a`` receives ``g (v_b - v_a)`` and, unless ``one_way``, ``b`` receives
    ``g (v_a - v_b)``.  One-way coupling is the dendrite-to-soma drive of
    Urbanczik & Senn (2014), Sacramento et al. (2018) and Guerguiev et al.
    (2017), whose dendritic potentials are not affected by the soma.  Zero is
    allowed (a segregated compartment).
    """

    a: str
    b: str
    g: object
    one_way: bool = False

    @property
    def param(self):
        return f"g_{self.b}_{self.a}" if self.one_way else f"g_{self.a}_{self.b}"


@dataclass(frozen=True)
class NeuronModel:
    """A reduced multi-compartment neuron, described as data.

    Parameters
    ----------
    name : str
        Model name (used in printouts and provenance).
    compartments : tuple of `Compartment`
        Must contain one named ``soma``.
    couplings : tuple of `Coupling`
    spike : mechanism or None
        Somatic output: :class:`IntegrateAndFire`, :class:`AdEx`,
        :class:`AdaptiveThresholdIF`, :class:`EscapeRate`, :class:`RateOutput`
        or None (passive).
    source : str
        Citation of the model and its parameters.
    overrides : tuple of (name, value)
        Parameter values replacing the defaults (see :meth:`with_params`).
    method : tuple of str, optional
        Brian2 integration methods, first applicable wins.  Default:
        second-order Runge-Kutta (``heun`` for stochastic equations), but
        forward Euler for AdEx models, whose exponential upstroke makes the
        Runge-Kutta midpoint overshoot and miss spikes (measured: a
        non-monotonic f-I curve).  Exponential Euler is avoided: its operator
        splitting misestimates the slow time constant of coupled compartments
        (measured: +1.5 % at dt = 0.025 ms, +6 % at 0.1 ms; Euler -0.1 % and
        -0.5 %; rk2 < 0.01 %).
    external_currents : tuple of str, optional
        Compartments that get an injected-current state variable
        ``I_ext_<compartment>`` (amp, one value per neuron, zero unless set).
        Default: every compartment.  A network that injects no current can
        pass ``()``: each such variable is read at every integration step, and
        at N = 50,000 the three of a three-compartment neuron cost nearly half
        of the state update (``cpp_standalone``, where the update is limited
        by memory bandwidth: 9.7 s against 5.1 s with the reads removed from
        the generated code by hand).

    Examples
    --------
    >>> from brian2 import pF, nS, mV
    >>> m = NeuronModel('demo', (Compartment('soma', 100*pF, 10*nS),))
    >>> print(m.equations)  # doctest: +ELLIPSIS
    dv_soma/dt = ...
    """

    name: str
    compartments: tuple
    couplings: tuple = ()
    spike: object = None
    source: str = ""
    overrides: tuple = ()
    method: tuple = None
    external_currents: tuple = None

    # ------------------------------------------------------------------ checks
    def __post_init__(self):
        names = [c.name for c in self.compartments]
        if "soma" not in names:
            raise ModelError(f"Model '{self.name}' needs a compartment named 'soma'; got {names}.")
        if len(set(names)) != len(names):
            raise ModelError(f"Model '{self.name}' has duplicate compartments {names}.")
        if self.spike is not None and not callable(getattr(self.spike, "fragment", None)):
            raise ModelError(f"Unknown spike mechanism {self.spike!r} for model '{self.name}'; "
                             "allowed: IntegrateAndFire, AdEx, AdaptiveThresholdIF, EscapeRate, "
                             "RateOutput or None.")
        for comp in self.compartments:
            comp.validate()
        for cp in self.couplings:
            for end in (cp.a, cp.b):
                self.compartment(end)
            check_quantity(cp.param, cp.g, nS, nonnegative=True)
        if self.external_currents is not None:
            if isinstance(self.external_currents, str):
                raise ModelError(f"Parameter 'external_currents' = {self.external_currents!r} "
                                 f"must be a tuple of compartment names, e.g. ('soma',).")
            for c in self.external_currents:
                self.compartment(c)
            object.__setattr__(self, "external_currents", tuple(self.external_currents))
        self._assemble()  # validates every mechanism and override once
        params = dict(self._fragments_params())
        for key, value in self.overrides:
            self._check_override(key, value, params)

    @property
    def compartment_names(self):
        return tuple(c.name for c in self.compartments)

    @property
    def current_compartments(self):
        """Compartments with an injected current ``I_ext_<name>`` (see ``external_currents``)."""
        names = self.compartment_names
        return names if self.external_currents is None else tuple(
            c for c in names if c in self.external_currents)

    def compartment(self, name):
        """Return the compartment called *name* (error lists the valid names)."""
        for comp in self.compartments:
            if comp.name == name:
                return comp
        raise ModelError(f"Unknown compartment {name!r} in model '{self.name}'; "
                         f"allowed: {', '.join(self.compartment_names)}.")

    # ---------------------------------------------------------------- assembly
    def _fragments(self):
        """Every fragment, in a fixed order (so equations are reproducible)."""
        frags = []
        for comp in self.compartments:
            for item in comp.channels + comp.mechanisms:
                frags.append(item.fragment(comp.name, "soma"))
        if self.spike is not None:
            frags.append(self.spike.fragment("soma", "soma"))
        return frags

    def _fragments_params(self):
        params = []
        for comp in self.compartments:
            c = comp.name
            params += [(f"C_{c}", comp.C, "farad"), (f"g_L_{c}", comp.g_L, "siemens"),
                       (f"E_L_{c}", comp.E_L, "volt")]
        params += [(cp.param, cp.g, "siemens") for cp in self.couplings]
        for frag in self._fragments():
            params += frag.params
        return [(n, (v, u)) for n, v, u in params]

    def _assemble(self):
        frags = self._fragments()
        currents = {c: [f"g_L_{c}*(E_L_{c} - v_{c})"] for c in self.compartment_names}
        for cp in self.couplings:
            currents[cp.a].append(f"{cp.param}*(v_{cp.b} - v_{cp.a})")
            if not cp.one_way:
                currents[cp.b].append(f"{cp.param}*(v_{cp.a} - v_{cp.b})")
        for frag in frags:
            for comp, exprs in frag.currents.items():
                if comp not in currents:
                    self.compartment(comp)
                currents[comp].extend(exprs)
        spike = frags[-1] if self.spike is not None else Fragment()
        lines = []
        for c in self.compartment_names:
            flag = " (unless refractory)" if (c == "soma" and spike.unless_refractory) else ""
            total = " + ".join(currents[c] + ([f"I_ext_{c}"] if c in self.current_compartments
                                              else []))
            lines.append(f"dv_{c}/dt = ({total})/C_{c} : volt{flag}")
        for frag in frags:
            lines += frag.equations
        lines += [f"I_ext_{c} : amp" for c in self.current_compartments]
        if spike.threshold is not None:
            lines.append("t_spike : second")
        param_lines = [f"{n} : {u} (shared, constant)" for n, (_, u) in self._fragments_params()]
        self_eqs = Equations("\n".join(lines + param_lines))
        # spike reset first, then the spike-triggered code of other mechanisms
        others = [line for f in frags if f is not spike for line in f.reset]
        if others and spike.threshold is None:
            raise ModelError(f"Model '{self.name}' has spike-triggered mechanisms but no "
                             "spike mechanism.")
        reset = spike.reset + others + (["t_spike = t"] if spike.threshold is not None else [])
        object.__setattr__(self, "_cache", dict(
            equations=self_eqs, threshold=spike.threshold, reset="\n".join(reset),
            refractory=spike.refractory, init={k: v for f in frags for k, v in f.init.items()},
            taus={k: v for f in frags for k, v in f.time_constants.items()},
            regular=[line for f in frags for line in f.regular],
            events={k: v for f in frags for k, v in f.events.items()}))

    @property
    def equations(self):
        """The model's `brian2.Equations` (identical for identical models)."""
        return self._cache["equations"]

    @property
    def threshold(self):
        return self._cache["threshold"]

    @property
    def reset(self):
        return self._cache["reset"]

    @property
    def refractory(self):
        return self._cache["refractory"]

    @property
    def integration_method(self):
        """The integration method(s) used by :meth:`build` (see ``method``)."""
        from .mechanisms import AdEx

        if self.method:
            return tuple(self.method) if not isinstance(self.method, str) else (self.method,)
        return ADEX_METHOD if isinstance(self.spike, AdEx) else DEFAULT_METHOD

    @property
    def spiking(self):
        return self._cache["threshold"] is not None

    # -------------------------------------------------------------- parameters
    def parameters(self):
        """Parameter values (after overrides), as ``{name: Quantity}``."""
        values = {n: v for n, (v, _) in self._fragments_params()}
        values.update(dict(self.overrides))
        return values

    def _check_override(self, key, value, params):
        if key not in params:
            close = difflib.get_close_matches(key, params, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise ModelError(f"Unknown parameter {key!r} for model '{self.name}'.{hint} "
                             f"Allowed: {', '.join(sorted(params))}.")
        default, _ = params[key]
        unit = default if isinstance(default, Quantity) else 1
        positive = key.startswith(("C_", "g_L_", "tau"))
        nonneg = key.startswith("g_") and not positive
        check_quantity(key, value, unit, positive=positive, nonnegative=nonneg)

    def with_params(self, **values):
        """Return a copy with some parameter defaults replaced (validated)."""
        merged = dict(self.overrides)
        merged.update(values)
        return replace(self, overrides=tuple(sorted(merged.items())))

    def time_constants(self):
        """Named time constants of the model (for the ``dt`` check).

        Each compartment's effective membrane time constant
        ``C/(g_L + sum of coupling conductances into it)``, the fastest and
        slowest eigenmodes of the passive linear system, and every synaptic
        and mechanism time constant.
        """
        p = self.parameters()
        taus = {}
        for c in self.compartment_names:
            g = p[f"g_L_{c}"] + sum((p[cp.param] for cp in self.couplings
                                     if cp.a == c or (cp.b == c and not cp.one_way)), 0 * nS)
            taus[f"C_{c}/(g_L_{c} + couplings)"] = p[f"C_{c}"] / g
        rates = np.linalg.eigvals(self.passive_system()[1]).real
        taus["fastest passive eigenmode"] = 1 / np.max(rates) * second
        taus.update({k: p.get(k, v) for k, v in self._cache["taus"].items()})
        return taus

    def passive_system(self):
        """Linear passive system ``dv/dt = -A (v - E_L) + I/C``.

        Returns
        -------
        C : ndarray
            Capacitances in farad, one per compartment.
        A : ndarray
            Rate matrix in 1/second (leak and coupling only).
        """
        p = self.parameters()
        names = self.compartment_names
        idx = {c: i for i, c in enumerate(names)}
        C = np.array([float(p[f"C_{c}"]) for c in names])
        G = np.diag([float(p[f"g_L_{c}"]) for c in names])
        for cp in self.couplings:
            g, a, b = float(p[cp.param]), idx[cp.a], idx[cp.b]
            G[a, a] += g
            G[a, b] -= g
            if not cp.one_way:
                G[b, b] += g
                G[b, a] -= g
        return C, G / C[:, None]

    def check_dt(self, dt):
        """Refuse a ``dt`` at or above a time constant; warn above a fifth of one."""
        check_quantity("dt", dt, ms, positive=True)
        name, tau = min(self.time_constants().items(), key=lambda kv: float(kv[1]))
        if dt >= tau:
            raise ModelError(f"Parameter 'dt' = {dt} is not below the smallest time constant "
                             f"of model '{self.name}' ({name} = {tau}); use dt < {tau / 5}.")
        if dt > tau / 5:
            warnings.warn(f"dt = {dt} is more than a fifth of {name} = {tau} in model "
                          f"'{self.name}'; results may be inaccurate.", DtWarning, stacklevel=2)

    # ------------------------------------------------------------------- build
    def build(self, N, name=None, dt=None, params=None, method=None, clock=None):
        """Create the ``NeuronGroup`` of *N* neurons with parameters set.

        Parameters
        ----------
        N : int
            Number of neurons.
        name : str, optional
            Brian2 object name.
        dt : `Quantity`, optional
            Time step, checked against the model's time constants (default:
            ``defaultclock.dt``).  A group gets its own clock only when *dt*
            differs from ``defaultclock.dt``, so that groups and synapses share
            one clock (an extra clock costs a scheduling step in standalone).
        params : dict, optional
            Further parameter values for this group (validated).
        method : str or tuple, optional
            Integration method(s); default :attr:`integration_method`.
        clock : `Clock`, optional
            Explicit clock (overrides *dt*).
        """
        if not isinstance(N, (int, np.integer)) or N < 1:
            raise ModelError(f"Parameter 'N' = {N!r} must be a positive integer.")
        model = self.with_params(**(params or {}))
        model.check_dt(clock.dt if clock is not None else (dt or defaultclock.dt))
        kwargs = {}
        if clock is not None:
            kwargs["clock"] = clock
        elif dt is not None and dt != defaultclock.dt:
            kwargs["dt"] = dt
        events = model._cache["events"]
        group = NeuronGroup(int(N), model.equations, threshold=model.threshold,
                            reset=model.reset or None, refractory=model.refractory or False,
                            events={k: cond for k, (cond, _) in events.items()} or None,
                            method=method or model.integration_method,
                            name=name or "neurongroup*", namespace={}, **kwargs)
        for event, (_, code) in events.items():
            group.run_on_event(event, code)
        for key, value in model.parameters().items():
            setattr(group, key, value)
        for c in model.compartment_names:
            setattr(group, f"v_{c}", model.parameters()[f"E_L_{c}"])
        for key, value in model._cache["init"].items():
            setattr(group, key, value)
        if model.spiking:
            group.t_spike = -1e4 * second
        if model._cache["regular"]:
            group.run_regularly("\n".join(model._cache["regular"]), when="before_groups",
                                name=f"{group.name}_regular")
        return group

    # ------------------------------------------------------------------- wiring
    def channel(self, channel, compartment):
        comp = self.compartment(compartment)
        for ch in comp.channels:
            if ch.name == channel:
                return ch
        raise ModelError(f"Unknown channel {channel!r} in compartment '{compartment}' of model "
                         f"'{self.name}'; allowed: {', '.join(ch.name for ch in comp.channels) or 'none'}.")

    def on_pre(self, channel, compartment, weight="w"):
        """``on_pre`` statement that delivers *weight* into a synaptic channel.

        Examples
        --------
        >>> from dendrites import presets
        >>> presets.payeur_2021().on_pre('ampa', 'apical')
        'g_ampa_apical_post += w'
        """
        ch = self.channel(channel, compartment)
        var = ch.variable(compartment)
        if ch.tau_rise is not None:
            return f"{var}_post += {weight}*norm_{ch.name}_{compartment}_post"
        return f"{var}_post += {weight}"

    # ------------------------------------------------------------------ display
    def __str__(self):
        params = self.parameters()
        lines = [f"NeuronModel '{self.name}'", f"  source: {self.source or 'n/a'}",
                 f"  compartments: {', '.join(self.compartment_names)}", "  equations:"]
        lines += ["    " + l for l in str(self.equations).strip().splitlines()
                  if "(shared, constant)" not in l]
        lines += [f"  threshold: {self.threshold}", f"  reset: {self.reset.replace(chr(10), '; ')}",
                  f"  refractory: {self.refractory}"]
        for event, (cond, code) in self._cache["events"].items():
            lines.append(f"  event {event}: when {cond}: {code.replace(chr(10), '; ')}")
        lines.append("  parameters:")
        lines += [f"    {k} = {format_quantity(v)}" for k, v in sorted(params.items())]
        return "\n".join(lines)
