"""Plasticity rules as Brian2 ``Synapses`` specifications that may read any postsynaptic compartment.

A rule is a frozen dataclass with a :meth:`Rule.spec` method returning a
:class:`SynapseSpec`: the ``Synapses`` model, ``on_pre``/``on_post`` code and
its parameters.  Parameters become ``(shared, constant)`` synaptic variables,
so a ``cpp_standalone`` build can be re-run with new values through
``run_args``.  Weights ``w`` are dimensionless; a spike delivers
``w * w_scale`` into the named channel of the postsynaptic compartment
(``w_scale`` in siemens for conductance channels, amp for current channels).
:func:`connect` builds the ``Synapses`` object and checks everything first.
"""

import re
from dataclasses import dataclass, field

import numpy as np
from brian2 import Synapses, ms, nS, pA
from brian2.units.fundamentalunits import get_dimensions

from ..errors import ModelError, check_quantity
from ..fragments import UNIT_NAMES

__all__ = ["SynapseSpec", "Rule", "connect", "check_rate", "check_bounds", "check_unit_interval"]


@dataclass
class SynapseSpec:
    """What a rule adds to a ``Synapses`` object.

    ``model``/``on_pre``/``on_post`` are code lines using ``{post}`` for the
    postsynaptic compartment suffix already substituted; ``params`` is a list
    of ``(name, value, unit_name)``; ``requires`` names postsynaptic (or
    presynaptic) variables the rule reads, with the mechanism that provides
    them, for a clear error when they are missing.
    """

    model: list = field(default_factory=list)
    on_pre: list = field(default_factory=list)
    on_post: list = field(default_factory=list)
    params: list = field(default_factory=list)
    requires: dict = field(default_factory=dict)   # variable -> hint
    method: str = "euler"


class Rule:
    """Base class: subclasses are frozen dataclasses implementing :meth:`spec`."""

    name = "rule"

    def spec(self, post_model, compartment):
        raise NotImplementedError  # abstract

    def start_spec(self, post_model, compartment, rates, params):
        """A new `SynapseSpec` after the checks every rule shares.

        *rates* names the learning rates/amplitudes (each >= 0); ``w_min`` and
        ``w_max`` are checked and registered; *params* is a sequence of
        ``(name, unit, kwargs)`` registered from the rule's attributes.
        """
        post_model.compartment(compartment)
        for name in rates:
            check_rate(name, getattr(self, name))
        check_bounds(self.w_min, self.w_max)
        spec = SynapseSpec()
        for name in rates:
            self.param(spec, name, getattr(self, name), 1)
        for name, unit, kwargs in params:
            self.param(spec, name, getattr(self, name), unit, **kwargs)
        self.param(spec, "w_min", self.w_min, 1)
        self.param(spec, "w_max", self.w_max, 1)
        return spec

    def param(self, spec, name, value, unit, *, positive=False, nonnegative=False):
        """Validate and register a ``(shared, constant)`` synaptic parameter."""
        check_quantity(name, value, unit, positive=positive, nonnegative=nonnegative)
        uname = UNIT_NAMES.get(get_dimensions(unit), "1") if hasattr(unit, "dim") else "1"
        spec.params.append((name, value, uname))


def check_rate(name, value):
    """A learning rate or amplitude must be zero or positive."""
    check_quantity(name, value, 1, nonnegative=True)


def check_bounds(w_min, w_max):
    if not w_min < w_max:
        raise ModelError(f"Weight bounds are inverted or empty: w_min = {w_min} must be below "
                         f"w_max = {w_max}.")


def check_unit_interval(name, value):
    arr = np.asarray(value, dtype=float)
    if np.any(arr < 0) or np.any(arr > 1) or not np.all(np.isfinite(arr)):
        raise ModelError(f"Parameter '{name}' = {value} must lie in [0, 1].")


def connect(rule, pre, post, post_model, compartment, channel="ampa", *, w_init=0.5,
            w_scale=1 * nS, connect=True, name=None, delay=0 * ms, dt=None, stp=None):
    """Connect *pre* to compartment *compartment* of *post* with plastic synapses.

    Parameters
    ----------
    rule : `Rule`
    pre, post : `NeuronGroup`
    post_model : `dendrites.NeuronModel`
        The model *post* was built from (to address its channels).
    compartment, channel : str
        Where the synapses land (``'basal'``, ``'apical'``, ...; ``'ampa'``...).
    w_init : float or array
        Initial dimensionless weights.
    w_scale : `Quantity`
        Conductance (or current) delivered per unit weight.
    connect : bool, str or dict
        Passed to ``Synapses.connect`` (``True``, a condition, or kwargs).
    delay : `Quantity` or None
        Transmission delay, the same for every synapse and pathway (default
        0 ms: Brian2 then keeps no per-synapse delay array, 8 bytes per
        synapse and pathway that would be stored, written out after every
        standalone run and read when the spike queues are prepared).  None
        gives per-synapse delays, to be set afterwards (``syn.delay = ...``).
    stp : optional
        Short-term plasticity (e.g. :class:`dendrites.plasticity.stp.TsodyksMarkram`):
        its ``spec()`` gives model lines, parameters, initial values, the
        efficacy ``factor`` multiplying the delivered weight and the ``on_pre``
        updates run after delivery.  A rule whose model defines ``w`` itself
        (``dw/dt = ...``) replaces the plain ``w : 1``.

    Raises
    ------
    ModelError
        Unknown compartment or channel, a missing postsynaptic variable the
        rule reads, or invalid rule parameters.
    """
    post_model.compartment(compartment)
    ch = post_model.channel(channel, compartment)
    check_quantity("w_scale", w_scale, nS if ch.conductance else pA, nonnegative=True)
    spec = rule.spec(post_model, compartment)
    for var, hint in spec.requires.items():
        group = pre if var.endswith("_pre") else post
        base = var[:-4] if var.endswith(("_pre", "_post")) else var
        base = base[:-1] if base.endswith("_") else base
        if base not in group.variables:
            raise ModelError(f"Rule '{rule.name}' reads '{base}' of the "
                             f"{'pre' if group is pre else 'post'}synaptic group, which it does "
                             f"not have: {hint}")
    short = stp.spec() if stp is not None else None
    for var, hint in (short.requires_pre.items() if short is not None else ()):
        if var not in pre.variables:
            raise ModelError(f"Short-term plasticity {type(stp).__name__} reads '{var}' of the "
                             f"presynaptic group '{pre.name}', which it does not have: {hint}")
    factor = f"*{short.factor}" if short is not None else ""
    deliver = post_model.on_pre(channel, compartment, f"w*w_scale{factor}")
    unit = "siemens" if ch.conductance else "amp"
    own_w = any(re.match(r"\s*(dw/dt|w)\s*[=:]", line) for line in spec.model)
    lines = ([] if own_w else ["w : 1"]) + [f"w_scale : {unit} (shared, constant)"] + spec.model
    params = spec.params + (short.params if short is not None else [])
    lines += (short.model if short is not None else [])
    lines += [f"{n} : {u} (shared, constant)" for n, _, u in params]
    pre_code = [deliver] + (short.on_pre if short is not None else []) + spec.on_pre
    if delay is not None:
        check_quantity("delay", delay, ms, nonnegative=True)
    paths = ["pre"] + (["post"] if spec.on_post else [])
    kwargs = dict(delay={p: delay for p in paths}) if delay is not None else {}
    if dt is not None:
        kwargs["dt"] = dt
    syn = Synapses(pre, post, "\n".join(lines), on_pre="\n".join(pre_code),
                   on_post="\n".join(spec.on_post) or None, method=spec.method,
                   name=name or f"{rule.name.replace('-', '_')}*", namespace={}, **kwargs)
    if isinstance(connect, dict):
        syn.connect(**connect)
    else:
        syn.connect(connect) if not isinstance(connect, str) else syn.connect(condition=connect)
    syn.w_scale = w_scale
    for n, value, _ in params:
        setattr(syn, n, value)
    for n, value in (short.init.items() if short is not None else ()):
        setattr(syn, n, value)
    syn.w = w_init
    return syn
