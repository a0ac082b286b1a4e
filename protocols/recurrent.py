"""The foundation network as a protocol: recurrent pair STDP under Poisson drive.

``recurrent-stdp`` runs :func:`circuits.recurrent.recurrent_network` (N
three-compartment pyramidal neurons, event-driven Poisson input onto basal
and apical AMPA channels, 2 % recurrent excitation with additive all-to-all
pair STDP) once and reports the firing statistics and the weight drift.  It
is registered with :func:`protocols.registry.compiled_protocol`: the input
rate and weights and the STDP amplitudes, time constants and bound are state
variables, so a ``cpp_standalone`` sweep over them (and over seeds) compiles
the network once and re-runs the binary with ``run_args``::

    python -m protocols sweep recurrent-stdp --backend cpp_standalone \\
        --grid input_rate=3*Hz,4*Hz,5*Hz --seeds 3 --workers 1 --out runs/rec-sweep

Checks built into the metrics: ``input_rate_measured_hz`` counts the input
events actually delivered (it follows ``input_rate`` in every re-run, which
shows that ``run_args`` reached the binary), and with depression slightly
dominating (``A_minus tau_minus = 1.05 A_plus tau_plus``) uncorrelated
firing lowers the mean recurrent weight (Song, Miller & Abbott 2000).
"""

import numpy as np
from brian2 import Hz, ms, nS, second

from circuits.recurrent import DEFAULTS as NET
from circuits.recurrent import recurrent_network
from dendrites.errors import ModelError

from .registry import Compiled, compiled_protocol

__all__ = ["recurrent_stdp", "RUN_PARAMS"]

#: parameters a ``cpp_standalone`` build takes through ``run_args``
RUN_PARAMS = ("input_rate", "w_basal", "w_apical", "A_plus", "A_minus", "tau_plus",
              "tau_minus", "w_max")

N_RASTER = 100          # neurons whose spike times are kept for the figure
BIN = 10 * ms           # population-rate bins


@compiled_protocol(
    "recurrent-stdp",
    "Foundation network: N three-compartment neurons, Poisson input onto basal and apical "
    "AMPA, 2 % recurrent excitation with additive pair STDP; firing statistics and weight "
    "drift (compiled once, re-run with run_args on cpp_standalone)",
    dict(N=1000, duration=1 * second, dt=0.1 * ms, stdp=True, p_rec=NET["p_rec"],
         w_rec=NET["w_rec"], **{k: NET[k] for k in RUN_PARAMS}),
    quick=dict(N=400, duration=0.5 * second),
    run_params=RUN_PARAMS)
def recurrent_stdp(p, be):
    """Build the network; metrics from its spikes, input events and final weights."""
    if not isinstance(p.N, int) or p.N < 2:
        raise ModelError(f"Parameter 'N' = {p.N!r} must be an integer of at least 2.")
    if p.duration <= 0 * second:
        raise ModelError(f"Parameter 'duration' = {p.duration} must be positive.")
    kw = {k: p[k] for k in ("p_rec", "w_rec", *RUN_PARAMS)}
    net = recurrent_network(p.N, stdp=p.stdp, dt=p.dt, record=("spikes", "inputs"), **kw)
    group, syn = net.group, net.synapses

    def run_args(q):
        args = {group.rate_basal: q.input_rate, group.rate_apical: q.input_rate,
                group.w_basal: q.w_basal, group.w_apical: q.w_apical}
        if p.stdp:
            args.update({group.tau_plus: q.tau_plus, group.tau_minus: q.tau_minus,
                         syn.A_plus: q.A_plus, syn.A_minus: q.A_minus, syn.w_max: q.w_max})
        return args

    def collect(q):
        T = float(q.duration / second)
        t = np.asarray(net.spikes.t / second)
        i = np.asarray(net.spikes.i)
        counts = np.bincount(i, minlength=q.N)
        rates = counts / T
        order = np.lexsort((t, i))                 # by neuron, then time
        ts, idx = t[order], i[order]
        same = idx[1:] == idx[:-1]
        isi, owner = np.diff(ts)[same], idx[1:][same]
        n_isi = np.bincount(owner, minlength=q.N)
        s1 = np.bincount(owner, isi, minlength=q.N)
        s2 = np.bincount(owner, isi * isi, minlength=q.N)
        ok = n_isi >= 3                            # CV of neurons with >= 3 intervals
        mean = s1[ok] / n_isi[ok]
        isi_cv = np.sqrt(np.maximum(s2[ok] / n_isi[ok] - mean ** 2, 0)) / mean
        edges = np.arange(0, T + 1e-12, float(BIN / second))
        pop = np.histogram(t, edges)[0] / (q.N * float(BIN / second))
        # the whole array as stored (``syn.w_[:]`` indexes it, then np.array copies it: 14 ms
        # per point at N = 10,000, 2 million synapses); the division makes the only copy
        w = np.asarray(syn.variables["w"].get_value()) / float(nS)
        w0, w_max = float(q.w_rec / nS), float(q.w_max / nS)
        measured = {c: float(net.monitors[f"{c}_inputs"].num_events)
                    / (NET[f"n_{c}_inputs"] * q.N * T)
                    for c in ("basal", "apical")}
        keep = i < N_RASTER
        metrics = dict(
            N=int(q.N), n_synapses=int(len(w)),
            mean_rate_hz=float(rates.mean()), rate_sd_hz=float(rates.std()),
            fraction_silent=float(np.mean(counts == 0)),
            cv_isi=float(np.mean(isi_cv)) if len(isi_cv) else None,
            population_rate_cv=float(pop.std() / pop.mean()) if pop.mean() > 0 else None,
            input_rate_hz=float(q.input_rate / Hz),
            input_rate_measured_hz=measured,
            w_mean_start_nS=w0, w_mean_end_nS=float(w.mean()) if len(w) else None,
            w_change_pct=float(100 * (w.mean() - w0) / w0) if len(w) and w0 > 0 else None,
            fraction_at_w_max=float(np.mean(w >= w_max * (1 - 1e-9))) if len(w) else None,
            fraction_at_zero=float(np.mean(w <= 0)) if len(w) else None)
        # O(sample) draw (a permutation of every synapse cost 50 ms per point at N = 10,000)
        sample = np.random.default_rng(0).choice(len(w), min(20000, len(w)), replace=False)
        arrays = dict(rates_hz=rates, population_rate_hz=pop, bin_edges_s=edges,
                      raster_t_s=t[keep], raster_i=i[keep], w_end_nS=w[np.sort(sample)])
        return metrics, arrays

    return Compiled(net.network(), p.duration, run_args, collect)
