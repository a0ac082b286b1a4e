"""Protocol registry, parameter handling and the ``run`` entry point.

A protocol is a function ``fn(p, ctx)`` registered with :func:`protocol`:
``p`` holds its parameters (defaults, optionally overridden by ``quick``
settings and by the user), ``ctx`` is a :class:`RunContext` (seed, backend).
It returns ``(metrics, arrays)``.  :func:`run` validates everything first,
runs the protocol, and stores the result atomically.

A protocol whose whole measurement is one network run can instead register
a *build* function with :func:`compiled_protocol`: ``build(p, be)`` returns a
:class:`Compiled` (the network, its duration, how its ``run_params`` map to
state variables, and how metrics are read from the monitors).  Such a
protocol runs like any other, and a ``cpp_standalone`` sweep compiles it once
per model variant (points that differ only in ``run_params`` and the seed)
and re-runs the binary with ``run_args`` for every point
(:mod:`protocols.sweep`).
"""

import difflib
import time
from dataclasses import dataclass, field

import brian2
import numpy as np
from brian2.units.fundamentalunits import Quantity, have_same_dimensions

from dendrites.errors import ModelError, format_quantity

from .backend import DEFAULT_BACKEND, Backend
from .results import check_out_dir, versions, write_run

__all__ = ["Protocol", "RunContext", "Params", "PROTOCOLS", "Compiled", "protocol",
           "compiled_protocol", "get_protocol", "parse_assignment", "resolve_params",
           "variant_key", "make_summary", "run"]

PROTOCOLS = {}


@dataclass
class Protocol:
    """A registered protocol: a name, a description and default parameters."""

    name: str
    description: str
    fn: object
    defaults: dict
    quick: dict = field(default_factory=dict)
    #: ``build(p, be) -> Compiled`` for protocols registered with :func:`compiled_protocol`
    build: object = None
    #: parameters realised as state variables, changeable by ``run_args``
    run_params: tuple = ()


class Params(dict):
    """Parameters with attribute access (``p.duration``)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


@dataclass
class RunContext:
    """What a protocol needs to know about the run besides its parameters."""

    seed: int = 1
    backend: str = DEFAULT_BACKEND
    build_dir: object = None
    quick: bool = False

    def backend_scope(self, dt=None, seed_offset=0, build_dir=None):
        """A :class:`Backend` context for one simulation of this run."""
        return Backend(self.backend, build_dir=build_dir or self.build_dir,
                       seed=self.seed + seed_offset, dt=dt)


@dataclass
class Compiled:
    """A protocol's network, built once and run (on ``cpp_standalone``: re-run) per point.

    Attributes
    ----------
    network : `Network`
        Everything to simulate.
    duration : `Quantity`
        Length of the one run.
    run_args : callable
        ``run_args(p)`` -> ``{group.variable: value}`` for the protocol's
        ``run_params`` (the values *p* asks for).
    collect : callable
        ``collect(p)`` -> ``(metrics, arrays)`` from the monitors after a run.
    run : callable, optional
        ``run(be)`` makes the runs itself (stages with values set in between,
        which a standalone build replays in order); by default one run of
        *network* for *duration*.
    """

    network: object
    duration: object
    run_args: object
    collect: object
    run: object = None

    def simulate(self, be):
        """Make the protocol's run(s) on backend *be*."""
        if self.run is not None:
            self.run(be)
        else:
            be.run(self.network, self.duration)


def protocol(name, description, defaults, quick=None):
    """Register ``fn(p, ctx) -> (metrics, arrays)`` as protocol *name*."""
    def register(fn):
        PROTOCOLS[name] = Protocol(name, description, fn, dict(defaults), dict(quick or {}))
        return fn
    return register


def compiled_protocol(name, description, defaults, quick=None, run_params=()):
    """Register ``build(p, be) -> Compiled`` as protocol *name*.

    *run_params* names the parameters that ``build`` realises as state
    variables (``(shared, constant)`` or per-neuron) that are only read during
    the run, so that ``run_args`` can change them without recompiling; every
    other parameter (sizes, durations, the time step, switches) defines a
    model variant.  All random numbers must be drawn in generated code
    (``rand()``, ``Synapses.connect(p=...)``), never in Python at build
    time, so that the seed too can change from run to run.
    """
    unknown = sorted(set(run_params) - set(defaults))
    if unknown:
        raise ValueError(f"run_params {unknown} of protocol {name!r} are not parameters")

    def register(build):
        def fn(p, ctx):
            with ctx.backend_scope(dt=p.get("dt")) as be:
                model = build(p, be)
                model.simulate(be)
                be.finish()
                return model.collect(p)

        fn.__doc__ = build.__doc__
        PROTOCOLS[name] = Protocol(name, description, fn, dict(defaults), dict(quick or {}),
                                   build=build, run_params=tuple(run_params))
        return build
    return register


def variant_key(proto, params):
    """The parameters that need their own build (all but ``run_params``), as JSON text."""
    import json

    from .results import to_jsonable

    fixed = {k: v for k, v in params.items() if k not in proto.run_params}
    return json.dumps(to_jsonable(fixed), sort_keys=True)


_SKIP = {"__main__", "cli", "registry", "backend", "results", "analysis", "export", "tasks", "sweep", "progress"}


def load_all():
    """Import every protocol module of the package (each registers its protocols)."""
    import importlib
    import pkgutil

    import protocols

    for mod in pkgutil.iter_modules(protocols.__path__):
        if mod.name not in _SKIP:
            importlib.import_module(f"protocols.{mod.name}")


def get_protocol(name):
    load_all()
    if name not in PROTOCOLS:
        raise ModelError(f"Unknown protocol {name!r}; allowed: {', '.join(sorted(PROTOCOLS))}.")
    return PROTOCOLS[name]


_NAMESPACE = {k: getattr(brian2.units, k) for k in dir(brian2.units) if not k.startswith("_")}
_NAMESPACE.update({k: v for k, v in vars(brian2.units.allunits).items() if not k.startswith("_")})
_NAMESPACE.update(pi=np.pi, e=np.e, True_=True)


def _coerce(key, value, default):
    """Check *value* against the type and dimensions of *default*."""
    if isinstance(default, bool):
        if not isinstance(value, (bool, int, np.integer)) or value not in (0, 1):
            raise ModelError(f"Parameter '{key}' = {value!r} must be True or False.")
        return bool(value)
    if isinstance(default, Quantity) or isinstance(value, Quantity):
        ref = default if isinstance(default, Quantity) else 1
        try:
            same = have_same_dimensions(value, ref)
        except TypeError:  # not a number at all (e.g. --set g_A=foo)
            same = False
        if not same:
            unit = brian2.get_unit(brian2.get_dimensions(ref))
            raise ModelError(f"Parameter '{key}' = {format_quantity(value)} has the wrong "
                             f"dimensions: expected a quantity in units of {unit} "
                             f"(default {format_quantity(default)}).")
        if np.ndim(value) != np.ndim(default):
            raise ModelError(f"Parameter '{key}' = {format_quantity(value)} must be "
                             f"{'a list' if np.ndim(default) else 'a single value'} like "
                             f"the default {format_quantity(default)}.")
        return value
    if isinstance(default, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, (int, np.integer)):
            raise ModelError(f"Parameter '{key}' = {value!r} must be an integer.")
        return int(value)
    if isinstance(default, float):
        if not isinstance(value, (int, float, np.number)):
            raise ModelError(f"Parameter '{key}' = {value!r} must be a number.")
        return float(value)
    if isinstance(default, str):
        return str(value)
    if isinstance(default, (list, tuple)):
        return list(value) if isinstance(value, (list, tuple)) else [value]
    return value


def parse_assignment(text):
    """Parse ``'name=expression'``; the expression may use Brian2 units."""
    if "=" not in text:
        raise ModelError(f"Malformed --set {text!r}: expected NAME=VALUE, e.g. 'g_A=0.8*nS'.")
    key, expr = (s.strip() for s in text.split("=", 1))
    if not key.isidentifier() or not expr:
        raise ModelError(f"Malformed --set {text!r}: expected NAME=VALUE, e.g. 'g_A=0.8*nS'.")
    try:
        value = eval(expr, {"__builtins__": {}}, dict(_NAMESPACE))  # noqa: S307 (units only)
    except Exception as err:  # any parse or evaluation failure is a user error
        if expr.isidentifier():
            return key, expr
        raise ModelError(f"Cannot evaluate --set {key}={expr!r}: {err}. Use a number or a "
                         f"Brian2 quantity expression such as 0.8*nS.") from None
    return key, value


def resolve_params(proto, overrides=None, quick=False):
    """Defaults, then quick settings, then user overrides (all checked)."""
    params = dict(proto.defaults)
    if quick:
        params.update(proto.quick)
    for key, value in (overrides or {}).items():
        if key not in proto.defaults:
            close = difflib.get_close_matches(key, proto.defaults, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise ModelError(f"Unknown parameter {key!r} for protocol '{proto.name}'.{hint} "
                             f"Allowed: {', '.join(sorted(proto.defaults))}.")
        params[key] = _coerce(key, value, proto.defaults[key])
    return Params(params)


def make_summary(proto, params, quick, seed, backend, wall_time_s, metrics):
    """The ``summary.json`` content of a run."""
    return {"protocol": proto.name, "description": proto.description, "params": dict(params),
            "quick": bool(quick), "seed": int(seed), "backend": backend,
            "versions": versions(), "wall_time_s": wall_time_s, "metrics": metrics}


def run(name, out, *, seed=1, backend=DEFAULT_BACKEND, overrides=None, quick=False,
        build_dir=None, figure=None):
    """Run protocol *name* and store it in *out* (atomically).

    Parameters
    ----------
    figure : callable, optional
        ``figure(summary, arrays, directory)`` draws the run's figure into the
        temporary run directory before it is renamed into place.

    Returns
    -------
    summary : dict
    arrays : dict
    """
    proto = get_protocol(name)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ModelError(f"Parameter 'seed' = {seed!r} must be a non-negative integer.")
    Backend(backend)  # validates the backend name before anything runs
    params = resolve_params(proto, overrides, quick)
    if out is not None:
        check_out_dir(out, name)
    ctx = RunContext(int(seed), backend, build_dir, quick)
    t0 = time.perf_counter()
    metrics, arrays = proto.fn(params, ctx)
    summary = make_summary(proto, params, quick, seed, backend, time.perf_counter() - t0,
                           metrics)
    if out is not None:
        extra = (lambda d: figure(summary, arrays, d)) if figure is not None else None
        write_run(out, summary, arrays, extra)
    return summary, arrays
