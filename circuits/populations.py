"""Populations of a microcircuit: neuron groups with a role, input layers, drives and an RPE signal.

A :class:`Population` is a named group of identical :class:`dendrites.NeuronModel`
neurons with a role (pyramidal, PV-like soma-targeting or SST-like
dendrite-targeting interneuron); it builds one ``NeuronGroup``.  An
:class:`InputLayer` presents rate-coded patterns, each held for a presentation
time and low-pass filtered, as rates or as Poisson spikes.  A
:class:`CurrentDrive` sets a compartment's external current, and
:class:`RPESignal` is a global reward-prediction error that other groups read
through a linked variable (the neuromodulator of the four-factor rule,
Roelfsema & Holtmaat 2018).  Somatic nudging (:class:`Nudging`) is the
teaching current of Sacramento et al. (2018).
"""

import logging
from dataclasses import dataclass, field, replace

import numpy as np
from brian2 import Hz, NeuronGroup, TimedArray, defaultclock, linked_var, ms, mV, nS, pA

from dendrites import NeuronModel
from dendrites.errors import ModelError, check_choice, check_quantity
from dendrites.fragments import Fragment, _param, _rename

__all__ = ["ROLES", "Population", "InputLayer", "CurrentDrive", "RPESignal", "Nudging",
           "RPEInput", "add_mechanisms", "check_size"]

logger = logging.getLogger(__name__)

#: population roles; interneuron roles fix where their axons may land
ROLES = ("pyramidal", "pv", "sst", "input")


def check_size(name, value):
    """A population size must be a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ModelError(f"Parameter '{name}' = {value!r} must be a positive integer.")
    return int(value)


def _check_name(name):
    if not isinstance(name, str) or not name.isidentifier():
        raise ModelError(f"Population name {name!r} must be a Python identifier "
                         "(it names Brian2 objects).")


@dataclass(frozen=True)
class Nudging:
    """Somatic nudging toward a target voltage, ``g_nudge gate (u_nudge - v)``.

    Sacramento et al. 2018 (NeurIPS), Eq. for ``i^P_N`` and ``i^I_k``: an
    excitatory and an inhibitory conductance whose ratio encodes the target,
    ``g_exc = g_som (u_trgt - E_inh)/(E_exc - E_inh)`` and
    ``g_inh = -g_som (u_trgt - E_exc)/(E_exc - E_inh)``, which sum to
    ``g_som (u_trgt - u)`` (SCIENCE.md section 3.2).  ``u_nudge`` is a
    per-neuron variable: set by a protocol (the output target) or written by a
    one-to-one ``voltage`` projection (interneurons nudged by the upper
    pyramids).  ``gate`` (per neuron, initially 1) switches the teacher on
    and off, also within a run (``run_regularly``); ``g_nudge`` is
    ``(shared, constant)``.
    """

    g: object = field(default_factory=lambda: 80 * nS)

    def fragment(self, comp, soma):
        names = {"v": f"v_{comp}", "g": f"g_nudge_{comp}", "u": f"u_nudge_{comp}",
                 "gate": f"gate_nudge_{comp}"}
        frag = Fragment()
        _param(frag, names, "g", self.g, nS, nonneg=True)
        frag.equations += ["u : volt", "gate : 1"]
        frag.currents[comp] = ["g*gate*(u - v)"]
        frag.init["gate"] = 1.0
        _rename(frag, names)
        return frag


@dataclass(frozen=True)
class RPEInput:
    """A linked variable ``RPE`` through which a group reads an :class:`RPESignal`."""

    def fragment(self, comp, soma):
        frag = Fragment()
        frag.equations.append("RPE : 1 (linked)")
        return frag


def add_mechanisms(model, compartment, *mechanisms):
    """Return *model* with *mechanisms* appended to one compartment."""
    model.compartment(compartment)
    comps = tuple(replace(c, mechanisms=c.mechanisms + tuple(mechanisms))
                  if c.name == compartment else c for c in model.compartments)
    return replace(model, compartments=comps)


@dataclass(frozen=True)
class Population:
    """*N* neurons of one model with a role; builds one ``NeuronGroup``.

    Parameters
    ----------
    name : str
        Identifier, also the Brian2 name of the group.
    model : `dendrites.NeuronModel`
    N : int
        Number of neurons.
    role : str
        ``pyramidal``, ``pv`` (soma-targeting interneuron) or ``sst``
        (dendrite-targeting interneuron); a :class:`~circuits.projections.Projection`
        refuses a PV axon on a dendrite and an SST axon on a soma.
    """

    name: str
    model: NeuronModel
    N: int
    role: str = "pyramidal"

    def __post_init__(self):
        _check_name(self.name)
        if not isinstance(self.model, NeuronModel):
            raise ModelError(f"Population '{self.name}': 'model' must be a dendrites.NeuronModel, "
                             f"got {type(self.model).__name__}.")
        check_size(f"N of population '{self.name}'", self.N)
        check_choice("population role", self.role, ROLES[:-1])

    @property
    def spiking(self):
        return self.model.spiking

    @property
    def has_rate(self):
        """Whether the neurons expose a rate ``phi(v)`` (RateOutput or EscapeRate)."""
        return "phi_max" in self.model.parameters()

    def with_mechanisms(self, compartment, *mechanisms):
        """A copy whose model has *mechanisms* added to *compartment*."""
        return replace(self, model=add_mechanisms(self.model, compartment, *mechanisms))

    def build(self, dt=None, params=None, method=None):
        """The ``NeuronGroup`` (see :meth:`dendrites.NeuronModel.build`)."""
        return self.model.build(self.N, name=self.name, dt=dt, params=params, method=method)


@dataclass(frozen=True)
class InputLayer:
    """Rate-coded input patterns, each held for ``presentation`` and low-pass filtered.

    Each neuron's activity ``r`` relaxes with ``tau`` toward its pattern
    value (in [0, 1]); its rate is ``phi_max r``.  With ``spiking`` the
    neurons fire Poisson spikes at that rate (``rand() < rate dt``).  This is
    the input of the reference code of Sacramento et al. (2018)
    (miyosuda/dendritic_bp main.py: patterns U(0, 1) held 100 ms, filtered
    with 3 ms).  With patterns, a ``run_regularly`` operation copies row
    ``k`` of a ``TimedArray`` into the per-neuron variable ``pattern`` at the
    start of presentation ``k`` (the last row is held after the end); without,
    ``pattern`` is set between runs.
    """

    name: str
    N: int
    phi_max: object = field(default_factory=lambda: 200 * Hz)
    tau: object = field(default_factory=lambda: 3 * ms)
    spiking: bool = False
    role = "input"
    has_rate = True

    def __post_init__(self):
        _check_name(self.name)
        check_size(f"N of input layer '{self.name}'", self.N)
        check_quantity("phi_max", self.phi_max, Hz, positive=True)
        check_quantity("tau_input", self.tau, ms, positive=True)

    def build(self, patterns=None, presentation=None, dt=None):
        """The input ``NeuronGroup``.

        Parameters
        ----------
        patterns : array (n_presentations, N), optional
            Values in [0, 1]; row ``k`` is shown from ``k presentation`` on.
        presentation : `Quantity`
            Duration of one pattern (required with *patterns*).
        """
        namespace = {}
        step = dt if dt is not None else defaultclock.dt
        if step > self.tau / 5:
            raise ModelError(f"Input layer '{self.name}': dt = {step} must be at most a fifth "
                             f"of tau_input = {self.tau}.")
        if patterns is not None:
            patterns = np.asarray(patterns, dtype=float)
            if patterns.ndim != 2 or patterns.shape[1] != self.N:
                raise ModelError(f"Input layer '{self.name}': 'patterns' has shape "
                                 f"{patterns.shape}; expected (n_presentations, {self.N}).")
            if np.any(patterns < 0) or np.any(patterns > 1) or not np.all(np.isfinite(patterns)):
                raise ModelError(f"Input layer '{self.name}': pattern values must lie in [0, 1].")
            check_quantity("presentation", presentation, ms, positive=True)
            ratio = float(presentation / step)
            if abs(ratio - round(ratio)) > 1e-6:
                raise ModelError(f"Input layer '{self.name}': presentation = {presentation} must "
                                 f"be a multiple of dt = {step}.")
            namespace["input_patterns"] = TimedArray(patterns, dt=presentation)
        eqs = "\n".join(["dr/dt = (pattern - r)/tau_input : 1", "pattern : 1",
                         "rate = phi_max*r : hertz", "phi_max : hertz (shared, constant)",
                         "tau_input : second (shared, constant)"])
        kwargs = dict(dt=dt) if dt is not None and dt != defaultclock.dt else {}
        group = NeuronGroup(self.N, eqs, threshold="rand() < rate*dt" if self.spiking else None,
                            method="exact", name=self.name, namespace=namespace, **kwargs)
        group.phi_max, group.tau_input = self.phi_max, self.tau
        if patterns is not None:   # switched exactly at each presentation start
            group.run_regularly("pattern = input_patterns(t, i)", dt=presentation, when="start",
                                name=f"{self.name}_patterns")
        return group


@dataclass(frozen=True)
class CurrentDrive:
    """External current into one compartment of a population, constant or per presentation.

    ``values`` is one current per neuron (or one for all), or an array
    (n_presentations, N) of currents (amp) switched every ``presentation``
    by a ``run_regularly`` operation reading a ``TimedArray``.
    """

    compartment: str
    values: object
    presentation: object = None

    def apply(self, population, group):
        """Set (or schedule) ``I_ext_<compartment>`` of *group*; returns added objects."""
        population.model.compartment(self.compartment)
        var = f"I_ext_{self.compartment}"
        check_quantity(var, self.values, pA)
        values = np.asarray(self.values / pA)
        if values.ndim <= 1:
            if values.ndim == 1 and values.size not in (1, population.N):
                raise ModelError(f"CurrentDrive of '{population.name}': {values.size} currents "
                                 f"for {population.N} neurons.")
            setattr(group, var, values * pA)
            return []
        if values.shape[1] != population.N:
            raise ModelError(f"CurrentDrive of '{population.name}': 'values' has shape "
                             f"{values.shape}; expected (n_presentations, {population.N}).")
        check_quantity("presentation", self.presentation, ms, positive=True)
        group.namespace[f"drive_{self.compartment}"] = TimedArray(values * pA,
                                                                 dt=self.presentation)
        op = group.run_regularly(f"{var} = drive_{self.compartment}(t, i)",
                                 dt=self.presentation, when="start",
                                 name=f"{group.name}_drive_{self.compartment}")
        return [op]


class RPESignal:
    """A global reward-prediction error: one ``(shared)`` value every reader sees.

    ``build()`` makes a one-neuron group holding ``RPE`` (a constant set
    between runs, or a ``TimedArray`` of values per trial); groups whose
    model carries :class:`RPEInput` read it through :meth:`link` as their
    own ``RPE`` (so their synapses read ``RPE_post``).  Rules with their own
    ``(shared)`` RPE (e.g. :class:`dendrites.plasticity.FourFactor`) get the
    value through :meth:`set` (between runs).
    """

    def __init__(self, name="rpe", values=None, trial=None):
        _check_name(name)
        self.name, self.values, self.trial = name, values, trial
        self.group, self._readers = None, []
        if values is not None:
            check_quantity("trial", trial, ms, positive=True)
            if np.ndim(values) != 1 or not np.all(np.isfinite(values)):
                raise ModelError(f"RPESignal '{name}': 'values' must be a finite 1-d sequence.")

    def build(self):
        group = NeuronGroup(1, "RPE : 1 (shared)", name=self.name, namespace={})
        if self.values is not None:   # a variable (not an expression) so that links can read it
            group.namespace["rpe_values"] = TimedArray(np.asarray(self.values, float),
                                                       dt=self.trial)
            group.run_regularly("RPE = rpe_values(t)", when="start", name=f"{self.name}_update")
        self.group = group
        return group

    def link(self, group):
        """Let *group* (built with :class:`RPEInput`) read this signal as ``RPE``."""
        eqs = getattr(group, "equations", None)
        if eqs is None or "RPE" not in eqs.names:
            raise ModelError(f"Group '{group.name}' has no linked variable 'RPE': add "
                             "circuits.RPEInput() to one compartment of its model.")
        group.RPE = linked_var(self.group, "RPE")

    def set(self, value, *synapses):
        """Set a constant RPE (between runs) here and in rules that keep their own."""
        if self.values is not None:
            raise ModelError(f"RPESignal '{self.name}' follows its TimedArray; it cannot be set.")
        value = float(value)
        self.group.RPE = value
        self._readers += [s for s in synapses if s not in self._readers]
        for syn in self._readers:
            syn.RPE = value


def noise_sigma(C, sigma, tau):
    """OU current std giving the white voltage noise ``sigma xi(t)`` of Sacramento et al.

    ``du/dt = ... + sigma xi`` (per ms, unit voltage 1 mV) has intensity
    ``(C sigma mV)^2/ms`` as a current; an OU current of correlation time
    *tau* and std ``s`` has intensity ``2 s^2 tau``, so ``s = C sigma mV /
    sqrt(2 tau ms)``.
    """
    return C * sigma * mV / np.sqrt(2 * float(tau / ms)) / ms
