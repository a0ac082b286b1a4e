"""Equation fragments: the text and code one mechanism contributes, and the renaming helpers.

Mechanisms write equations with generic symbols (``v``, ``g_L``, ``tau``)
that are renamed per compartment with :func:`brian2.utils.stringtools.word_substitute`
(plus ``dX/dt`` derivatives), so building a model twice gives identical text.
"""

import re
from dataclasses import dataclass, field

from brian2 import Hz, amp, farad, mmolar, second, siemens, volt
from brian2.units.fundamentalunits import get_dimensions
from brian2.utils.stringtools import word_substitute

from .errors import check_quantity

__all__ = ["Fragment", "UNIT_NAMES"]

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


def _rename(frag, names):
    """Apply the compartment renaming to everything in a fragment."""
    frag.equations = [_sub(e, names) for e in frag.equations]
    frag.currents = {c: [_sub(e, names) for e in es] for c, es in frag.currents.items()}
    frag.reset = [_sub(r, names) for r in frag.reset]
    if frag.threshold:
        frag.threshold = _sub(frag.threshold, names)
    frag.init = {names.get(k, k): v for k, v in frag.init.items()}
