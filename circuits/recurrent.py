"""Recurrent network of three-compartment pyramidal neurons with STDP (foundation benchmark).

This is the benchmark model of this package: *N* three-compartment neurons
(:func:`dendrites.presets.pyramidal` with an integrate-and-fire soma and an
AMPA channel in every compartment) in one ``NeuronGroup``, each receiving
independent Poisson input on the AMPA channels of its basal (100 synapses)
and apical (50 synapses) compartment,
and recurrent excitation (fixed connection probability, default 2 %) onto the
basal AMPA channel whose weights follow additive all-to-all pair STDP.

Two exact reformulations make it cheap to simulate (the Brian2 network and the
hand-written reference in ``tests/benchmarks/numba_loop.py`` both use them):

Event-driven Poisson input
    The *n* independent Poisson synapses of rate *r* and equal weight onto one
    channel superpose to a single Poisson process of rate ``n r``.  Instead of a
    binomial draw per neuron and time step (``PoissonInput``), each neuron
    keeps the arrival time of its next input event in *operational time*
    ``s`` (event ``k`` arrives when ``t n r`` reaches ``s_k``, a running sum of
    unit exponentials): a custom event ``t*n*r >= s`` adds the weight to the
    conductance and draws the next gap, ``s += -log(1 - rand())``.  Because
    ``s`` is dimensionless, a rate changed through ``run_args`` takes effect
    from the first event.  Events whose arrival times fall into the same time
    step are delivered in consecutive steps (one per step; at the default
    500 Hz per neuron and dt = 0.1 ms this concerns about 2.5 % of the basal
    events, delayed by 0.1 ms); none are lost, so the mean count is exact.

Per-neuron STDP traces
    In additive all-to-all pair STDP every synapse leaving neuron *i* carries
    the same presynaptic trace (the low-pass filtered spike train of *i*) and
    every synapse onto *j* the same postsynaptic trace, so one trace per
    neuron (``trace_plus`` with ``tau_plus``, read as presynaptic trace, and
    ``trace_minus`` with ``tau_minus``, read as postsynaptic trace, both
    incremented by one in the spike reset) is exactly equivalent to one per
    synapse, and costs *N* instead of *N^2 p* updates.  A presynaptic spike
    delivers ``w`` and then depresses it by ``A_minus trace_minus_post``; a
    postsynaptic spike potentiates every incoming weight by
    ``A_plus trace_plus_pre``; weights are clipped to ``[0, w_max]``.  Traces
    are read before the increments of the current step, so pre- and
    postsynaptic spikes in the same time step are not paired.

Rates, input weights, STDP amplitudes, time constants and ``w_max`` are
``(shared, constant)`` state variables, so a ``cpp_standalone`` build can be
re-run with other values through ``device.run(run_args=...)`` without
recompiling (initial recurrent weights are set at build time).
"""

from dataclasses import dataclass, field, replace

from brian2 import (EventMonitor, Hz, Network, PopulationRateMonitor, SpikeMonitor,
                    Synapses, mV, ms, nS, second)

from dendrites import EventPoissonInput, IntegrateAndFire, SpikeTrace, presets
from dendrites.errors import ModelError, check_quantity

__all__ = ["DEFAULTS", "RecurrentNetwork", "benchmark_model", "recurrent_network"]

#: Default parameters of the benchmark network: 5.0 Hz at N = 1,000 (20
#: recurrent inputs per neuron) and 7.5 Hz at N = 10,000 (200).  At N = 10,000
#: fixed recurrent weights of 0.11 nS still give 11 Hz but 0.12 nS switch the
#: network to a ~140 Hz up state, so the initial weight (0.08 nS) and
#: ``w_max`` (0.1 nS) stay below that.
DEFAULTS = dict(
    n_basal_inputs=100, n_apical_inputs=50, input_rate=5 * Hz,
    w_basal=2.4 * nS, w_apical=2.4 * nS, p_rec=0.02, w_rec=0.08 * nS,
    tau_plus=16.8 * ms, tau_minus=33.7 * ms, A_plus=0.001 * nS,
    A_minus=1.05 * 0.001 * nS * 16.8 / 33.7, w_max=0.1 * nS,
    V_th=-50 * mV, V_reset=-65 * mV, t_ref=2 * ms,
)

RECORD_CHOICES = ("counts", "spikes", "rate", "inputs")


def benchmark_model(V_th=-50 * mV, V_reset=-65 * mV, t_ref=2 * ms, *, p=None, stdp=True,
                    channels=("ampa",), external_currents=None):
    """The neuron of the benchmark: ``presets.pyramidal(3)`` with an LIF soma.

    Its compartments carry only the synaptic *channels* named (default AMPA,
    the only one the network uses; every input and recurrent synapse is
    AMPA).  Adding ``'nmda'`` and ``'gaba'`` (channels a user's own synapses
    might target) at zero conductance leaves the dynamics unchanged but costs
    about four times the simulation time (N = 10,000 on ``cpp_standalone``:
    7.8 s against 1.9 s, the latter measured on a busier machine): 15 instead
    of 6 integrated compartment variables per neuron and an exponential (the
    NMDA Mg2+ block) per compartment and integration stage.
    *external_currents* names the compartments with an injected current
    ``I_ext_<compartment>`` (default all; see :class:`dendrites.NeuronModel`).

    With parameters *p* (see :data:`DEFAULTS`) it also carries the
    event-driven Poisson inputs on its basal and apical AMPA channels
    (:class:`dendrites.inputs.EventPoissonInput`) and, with *stdp*, the
    per-neuron spike traces of the pair rule
    (:class:`dendrites.inputs.SpikeTrace`).
    """
    channels = (channels,) if isinstance(channels, str) else tuple(channels)
    if "ampa" not in channels:
        raise ModelError(f"Parameter 'channels' = {channels!r} must include 'ampa' (the "
                         f"channel of the network's inputs and recurrent synapses).")
    model = replace(presets.pyramidal(3, spike=IntegrateAndFire(V_th, V_reset, t_ref),
                                      name="pyramidal-3c-lif", channels=channels),
                    external_currents=external_currents)
    if p is None:
        return model
    extra = {c: (EventPoissonInput("ampa", p[f"n_{c}_inputs"], p["input_rate"], p[f"w_{c}"]),)
             for c in ("basal", "apical")}
    if stdp:
        extra["soma"] = (SpikeTrace("plus", p["tau_plus"]), SpikeTrace("minus", p["tau_minus"]))
    comps = tuple(replace(c, mechanisms=c.mechanisms + extra.get(c.name, ()))
                  for c in model.compartments)
    return replace(model, compartments=comps)


@dataclass
class RecurrentNetwork:
    """Brian2 objects of a :func:`recurrent_network` and its parameters.

    Attributes
    ----------
    group : `NeuronGroup`
        All neurons (variables of :func:`benchmark_model` plus ``s_basal``,
        ``s_apical`` and, with STDP, ``trace_plus``, ``trace_minus``).
    synapses : `Synapses`
        Recurrent connections (weight ``w``).
    spikes : `SpikeMonitor`
        Spike monitor (spike counts only unless ``'spikes'`` was recorded).
    monitors : dict
        Further monitors by name (``rate``, ``basal_inputs``, ``apical_inputs``, ...).
    model : `dendrites.NeuronModel`
        The neuron model.
    params : dict
        Parameters used to build it.
    """

    group: object
    synapses: object
    spikes: object
    monitors: dict = field(default_factory=dict)
    model: object = None
    params: dict = field(default_factory=dict)

    @property
    def objects(self):
        """Every Brian2 object to put into a `Network`."""
        return [self.group, self.synapses, self.spikes] + list(self.monitors.values())

    def network(self, *extra):
        """A new `Network` holding :attr:`objects` and *extra*."""
        return Network(*self.objects, *extra)

    def mean_rate(self, duration):
        """Mean firing rate (Hz) over all neurons for a run of *duration*."""
        return float(self.spikes.num_spikes / (len(self.group) * float(duration / second)))


def _check(p):
    for key in ("n_basal_inputs", "n_apical_inputs"):
        if not isinstance(p[key], int) or p[key] < 0:
            raise ModelError(f"Parameter '{key}' = {p[key]!r} must be a non-negative integer.")
    if not 0 <= p["p_rec"] <= 1:
        raise ModelError(f"Parameter 'p_rec' = {p['p_rec']!r} must lie in [0, 1].")
    check_quantity("input_rate", p["input_rate"], Hz, nonnegative=True)
    for key in ("w_basal", "w_apical", "w_rec", "A_plus", "A_minus", "w_max"):
        check_quantity(key, p[key], nS, nonnegative=True)
    for key in ("tau_plus", "tau_minus"):
        check_quantity(key, p[key], ms, positive=True)
    if p["w_rec"] > p["w_max"]:
        raise ModelError(f"Parameter 'w_rec' = {p['w_rec']} must not exceed 'w_max' = {p['w_max']}.")


def recurrent_network(N, *, stdp=True, dt=None, name="recurrent", record=("counts",),
                      method=None, channels=("ampa",), external_currents=(), **params):
    """Build the benchmark network of *N* pyramidal neurons.

    Parameters
    ----------
    N : int
        Number of neurons.
    stdp : bool
        Plastic recurrent weights (additive all-to-all pair STDP); otherwise fixed.
    dt : `Quantity`, optional
        Time step (default: ``defaultclock``); all objects share the neuron
        group's clock.  It is checked against the neuron's time constants: at
        0.1 ms it exceeds a fifth of the fastest passive eigenmode (0.36 ms)
        and a `dendrites.DtWarning` is issued; second-order Runge-Kutta stays
        accurate there (that mode is the fast soma-dendrite equalisation).
    name : str
        Prefix of the Brian2 object names.
    record : str or sequence of str
        ``'counts'`` (always), ``'spikes'`` (spike times), ``'rate'``
        (population rate) and ``'inputs'`` (per-neuron counts of basal and
        apical input events).
    method : str, optional
        Integration method (default: the model's, second-order Runge-Kutta).
    channels : sequence of str
        Synaptic channels of every compartment (see :func:`benchmark_model`):
        ``'ampa'`` and any of ``'nmda'``, ``'gaba'``.
    external_currents : sequence of str
        Compartments with an injected current ``I_ext_<compartment>``
        (default none: the network injects no current, and each such
        variable costs memory bandwidth at every step).
    **params
        Overrides of :data:`DEFAULTS`: ``n_basal_inputs``, ``n_apical_inputs``,
        ``input_rate`` (per input synapse), ``w_basal``, ``w_apical`` (AMPA
        weights of the inputs), ``p_rec``, ``w_rec`` (initial recurrent
        weight), ``tau_plus``, ``tau_minus``, ``A_plus``, ``A_minus``
        (weight changes per pair, both positive), ``w_max``, and the soma's
        ``V_th``, ``V_reset``, ``t_ref``.

    Returns
    -------
    RecurrentNetwork

    Notes
    -----
    Sweepable through ``run_args``: ``group.rate_basal``, ``group.rate_apical``,
    ``group.n_basal``, ``group.n_apical``, ``group.w_basal``, ``group.w_apical``,
    ``group.tau_plus``, ``group.tau_minus``, ``synapses.A_plus``,
    ``synapses.A_minus``, ``synapses.w_max`` and every neuron parameter.
    The STDP time constants are the exponential fits to the hippocampal STDP
    window of Bi & Poo (2001, Annu Rev Neurosci 24:139), as used by Pfister &
    Gerstner (2006, J Neurosci 26:9673); ``A_minus tau_minus = 1.05 A_plus
    tau_plus`` makes depression slightly dominate (Song, Miller & Abbott 2000,
    Nat Neurosci 3:919), which keeps the recurrent excitation stable.

    Examples
    --------
    >>> from brian2 import ms
    >>> net = recurrent_network(20, dt=0.1*ms)  # doctest: +SKIP
    >>> net.network().run(100*ms)  # doctest: +SKIP
    """
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ModelError(f"Unknown parameter(s) {sorted(unknown)}; allowed: {', '.join(DEFAULTS)}.")
    if not isinstance(N, int) or N < 2:
        raise ModelError(f"Parameter 'N' = {N!r} must be an integer of at least 2.")
    record = (record,) if isinstance(record, str) else tuple(record)
    bad = set(record) - set(RECORD_CHOICES)
    if bad:
        raise ModelError(f"Unknown record option(s) {sorted(bad)}; allowed: {', '.join(RECORD_CHOICES)}.")
    p = dict(DEFAULTS, **params)
    _check(p)
    model = benchmark_model(p["V_th"], p["V_reset"], p["t_ref"], p=p, stdp=stdp,
                            channels=channels, external_currents=tuple(external_currents))
    group = model.build(N, name=f"{name}_neurons", dt=dt, method=method)
    syn = _recurrent(model, group, stdp, name, p)  # on the group's clock: one clock in all
    spikes = SpikeMonitor(group, record="spikes" in record, name=f"{name}_spikes")
    monitors = {}
    if "rate" in record:
        monitors["rate"] = PopulationRateMonitor(group, name=f"{name}_rate")
    if "inputs" in record:
        for comp in ("basal", "apical"):
            monitors[f"{comp}_inputs"] = EventMonitor(group, f"input_{comp}", record=False,
                                                      name=f"{name}_{comp}_inputs")
    return RecurrentNetwork(group, syn, spikes, monitors, model,
                            dict(p, N=N, stdp=stdp, dt=group.clock.dt))


def _recurrent(model, group, stdp, name, p):
    """Recurrent synapses onto the basal AMPA channel, optionally plastic.

    Delays are scalar (zero for every synapse): without ``delay=`` Brian2
    keeps a per-synapse delay array for each pathway, 16 bytes per synapse
    that are stored, written out after every standalone run and read when
    the spike queues are prepared (160 MB at N = 50,000 with 200 synapses
    per neuron).
    """
    deliver = model.on_pre("ampa", "basal", "w")
    if stdp:
        syn = Synapses(group, group,
                       "w : siemens\nA_plus : siemens (shared, constant)\n"
                       "A_minus : siemens (shared, constant)\nw_max : siemens (shared, constant)",
                       on_pre=f"{deliver}\nw = clip(w - A_minus*trace_minus_post, 0*siemens, w_max)",
                       on_post="w = clip(w + A_plus*trace_plus_pre, 0*siemens, w_max)",
                       delay={"pre": 0 * ms, "post": 0 * ms},
                       clock=group.clock, name=f"{name}_synapses", namespace={})
    else:
        syn = Synapses(group, group, "w : siemens", on_pre=deliver, delay=0 * ms,
                       clock=group.clock, name=f"{name}_synapses", namespace={})
    if p["p_rec"] >= 1:  # all-to-all draws no random numbers (same streams on all backends)
        syn.connect(condition="i != j")
    else:  # geometric skipping: O(number of synapses), not O(N^2)
        syn.connect(j="k for k in sample(N_post, p=p_rec) if k != i",
                    namespace={"p_rec": float(p["p_rec"])})
    syn.w = p["w_rec"]
    if stdp:
        syn.A_plus, syn.A_minus, syn.w_max = p["A_plus"], p["A_minus"], p["w_max"]
        group.tau_plus, group.tau_minus = p["tau_plus"], p["tau_minus"]
    return syn
