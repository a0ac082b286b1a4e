"""Burstprop protocols of Payeur et al. (2021): burst multiplexing and spiking XOR learning.

``multiplexing`` drives the somata of population 1 and the dendrites of
population 2 of the propagation network (:func:`circuits.burstprop.build_propagation`)
with incommensurate sinusoids and correlates, in 50 ms bins, the pop-2 event
rate with the pop-1 somatic drive and the pop-1 burst probability with the
pop-2 dendritic drive (SCIENCE.md 6.2, A12).  ``learn-xor`` trains the XOR
network (:func:`circuits.burstprop.build_xor`) with the burst-dependent rule
(SCIENCE.md 6.3, A14), one seed after the other.
"""

import logging
import time

import numpy as np
from brian2 import Hz, ms, nS, pA, second

from circuits.burstprop import (
    PLASTIC,
    Propagation,
    RateXOR,
    XORNet,
    build_propagation,
    build_xor,
)
from circuits.populations import check_size
from dendrites.errors import ModelError

from .registry import protocol
from .tasks import xor

__all__ = ["binned_events", "lagged_correlation", "learn_xor", "multiplexing", "raster_sample",
           "spike_classes", "train_xor"]

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ analysis
def spike_classes(t, i, burst_isi=0.016):
    """Sort a spike train by neuron, then time, and classify each spike (times in second).

    Returns ``(t, i, event, burst_start, in_burst)`` for the sorted spikes: a
    spike starts an event if the neuron's preceding ISI exceeds *burst_isi*;
    the second spike of a run of ISIs at most *burst_isi* registers a burst
    (Payeur et al. 2021, Methods); every spike of such a run, i.e. with a
    neighbour of the same neuron within *burst_isi*, is ``in_burst``.
    """
    t, i = np.asarray(t, float), np.asarray(i)
    order = np.lexsort((t, i))
    t, i = t[order], i[order]
    isi = np.r_[np.inf, np.diff(t)]
    isi[np.r_[True, i[1:] != i[:-1]]] = np.inf
    event = isi > burst_isi
    burst = ~event & np.r_[False, event[:-1]]
    in_burst = ~event | np.r_[~event[1:], False]
    return t, i, event, burst, in_burst


def binned_events(t, i, edges, burst_isi=0.016):
    """Event and burst counts per bin of a population spike train (see :func:`spike_classes`)."""
    t, _, event, burst, _ = spike_classes(t, i, burst_isi)
    return np.histogram(t[event], edges)[0], np.histogram(t[burst], edges)[0]


def raster_sample(t, i, n, window, burst_isi=0.016):
    """Spikes of neurons ``0..n-1`` within *window* ``(t0, t1)`` (second), classified.

    The classes come from each neuron's whole train, so a spike at the start
    of the window keeps the ISI to its predecessor.  Returns a dict of
    ``t_s``, ``i``, ``in_burst`` and ``event`` (starts an event), sorted by time.
    """
    keep = np.asarray(i) < n
    t, i, event, _, in_burst = spike_classes(np.asarray(t)[keep], np.asarray(i)[keep], burst_isi)
    win = (t >= window[0]) & (t < window[1])
    order = np.argsort(t[win], kind="stable")
    return dict(t_s=t[win][order], i=i[win][order].astype(np.int32),
                in_burst=in_burst[win][order], event=event[win][order])


def _corr(a, b):
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def lagged_correlation(x, signal, cross, max_lag):
    """Correlation of *x* with *signal* at the best lag in ``[-max_lag, max_lag]`` bins.

    *signal* and *cross* are functions of the bin shift giving the driving
    signals; returns ``(r, lag, r_cross)`` where the cross correlation uses
    the same lag (so it is not inflated by a search of its own).
    """
    best = None
    for lag in range(-max_lag, max_lag + 1):
        r = _corr(x, signal(lag))
        if best is None or (np.isfinite(r) and (not np.isfinite(best[0]) or r > best[0])):
            best = (r, lag, _corr(x, cross(lag)))
    return best


# -------------------------------------------------------------- multiplexing
@protocol("multiplexing",
          "Payeur 2021 propagation network: sinusoidal somatic drive of pop 1 and dendritic "
          "drive of pop 2; pop-2 event rate vs pop-1 drive and pop-1 burst probability vs "
          "pop-2 drive (burst multiplexing)",
          dict(n_pyr=2000, n_pv=500, n_sst=500, p_connect=0.05, duration=12 * second,
               t_skip=1 * second, bin=50 * ms, max_lag=2, G_ff=100 * nS, G_fb=550 * nS,
               G_pv_in=60 * nS, G_pv_out=3 * nS, G_sst_in=100 * nS, G_sst_out=20 * nS,
               G_rec=300 * nS, I1_soma=470 * pA, A1_soma=100 * pA, I2_apical=150 * pA,
               A2_apical=200 * pA, I1_apical=-50 * pA, I2_soma=370 * pA, I_pv=100 * pA,
               I_sst=-50 * pA, noise_soma=220 * pA, noise_apical=150 * pA, burst_isi=16 * ms,
               dt=0.1 * ms, n_raster=40, t_raster=1.5 * second),
          quick=dict(n_pyr=400, n_pv=100, n_sst=100, p_connect=0.1, duration=6 * second,
                     t_skip=0.5 * second))
def multiplexing(p, ctx):
    """Correlations are taken at the best lag within ``max_lag`` bins (reported).

    Somatic adaptation makes the event rate lead a slow drive (a phase
    advance of up to ~100 ms at 2 Hz), so a small lag window is allowed;
    each cross term uses the lag chosen for the matched signal of the same
    response.

    The arrays also hold a raster sample (``raster*``): the spikes of the
    first ``n_raster`` pyramids of each population during ``t_raster`` after
    ``t_skip``, each flagged as part of a burst (a neighbour within
    ``burst_isi``) and as the start of an event, by the same ISI rule as the
    binned counts (:func:`spike_classes`).

    Calibration of the defaults (2000 pyramids/population, in-degree 100):
    a strong PV pathway (``G_pv_out`` 10 nS) made pop 2 a differentiator
    of pop-1 events (feedforward excitation minus slightly later
    inhibition; r(E2, E1) ~ 0.45), a weak one let the pop1 <-> pop2 loop
    oscillate.  The authors' burst-driven dendritic inhibition within each
    population (STF ``G_rec``, "fake inhibitory" pyr->pyr in
    sim_propagation.cpp) stabilises the loop, which allows weak PV
    (3 nS) and stronger STF feedback (550 nS).  A higher pop-2 dendritic
    mean (150 pA) raises the pop-2 burst fraction, so that bursts rather
    than single spikes dominate what the STF feedback transmits; pop-1
    dendrites sit closer to their burst threshold (-50 pA) so that the
    feedback acts on the linear part of the burst-probability curve.
    """
    for key in ("duration", "bin", "burst_isi", "dt"):
        if p[key] <= 0 * second:
            raise ModelError(f"Parameter '{key}' = {p[key]} must be positive.")
    if p.t_skip < 0 * second:
        raise ModelError(f"Parameter 't_skip' = {p.t_skip} must be >= 0 s.")
    if p.t_skip + 10 * p.bin > p.duration:
        raise ModelError(f"Parameter 'duration' = {p.duration} must exceed 't_skip' = "
                         f"{p.t_skip} by at least 10 bins of {p.bin}.")
    if p.max_lag < 0:
        raise ModelError(f"Parameter 'max_lag' = {p.max_lag} must be >= 0 bins.")
    if p.n_raster < 0:
        raise ModelError(f"Parameter 'n_raster' = {p.n_raster} must be >= 0 neurons.")
    if p.t_raster <= 0 * second:
        raise ModelError(f"Parameter 't_raster' = {p.t_raster} must be positive.")
    desc = Propagation(n_pyr=p.n_pyr, n_pv=p.n_pv, n_sst=p.n_sst, p_connect=p.p_connect,
                       G_ff=p.G_ff, G_fb=p.G_fb, G_pv_in=p.G_pv_in, G_pv_out=p.G_pv_out,
                       G_sst_in=p.G_sst_in, G_sst_out=p.G_sst_out, I1_soma=p.I1_soma,
                       A1_soma=p.A1_soma, I2_apical=p.I2_apical, A2_apical=p.A2_apical,
                       I1_apical=p.I1_apical, I2_soma=p.I2_soma, I_pv=p.I_pv, I_sst=p.I_sst,
                       G_rec=p.G_rec, noise_soma=p.noise_soma, noise_apical=p.noise_apical)
    t0 = time.perf_counter()
    with ctx.backend_scope(dt=p.dt) as be:
        net = build_propagation(desc, p.duration, p.dt, seed=ctx.seed)
        be.run(net["network"], p.duration)
        be.finish()
        t1, i1 = np.asarray(net["spikes1"].t / second), np.asarray(net["spikes1"].i)
        t2, i2 = np.asarray(net["spikes2"].t / second), np.asarray(net["spikes2"].i)
    wall = time.perf_counter() - t0
    bw, skip, dur = (float(x / second) for x in (p.bin, p.t_skip, p.duration))
    edges = np.arange(skip, dur + 1e-9, bw)
    centres = 0.5 * (edges[1:] + edges[:-1])
    isi = float(p.burst_isi / second)
    E1, B1 = binned_events(t1, i1, edges, isi)
    E2, B2 = binned_events(t2, i2, edges, isi)
    P1 = np.where(E1 > 0, B1 / np.maximum(E1, 1), np.nan)
    P2 = np.where(E2 > 0, B2 / np.maximum(E2, 1), np.nan)

    def drive(k, lag):
        return desc.drives(centres - lag * bw)[k]

    ev = lagged_correlation(E2, lambda L: drive(0, L), lambda L: drive(1, L), p.max_lag)
    bu = lagged_correlation(P1, lambda L: drive(1, L), lambda L: drive(0, L), p.max_lag)
    n, span = desc.n_pyr, dur - skip
    metrics = dict(
        r_event_somatic=ev[0], r_burst_dendritic=bu[0], r_cross_event=ev[2],
        r_cross_burst=bu[2], lag_event_ms=ev[1] * bw * 1e3, lag_burst_ms=bu[1] * bw * 1e3,
        r_event1_somatic=_corr(E1, drive(0, 0)), r_burst2_dendritic=_corr(P2, drive(1, 0)),
        event_rate_hz=[float(E1.sum() / n / span), float(E2.sum() / n / span)],
        burst_probability=[float(B1.sum() / max(E1.sum(), 1)),
                           float(B2.sum() / max(E2.sum(), 1))],
        n_pyramids_per_population=int(n), wall_time_sim_s=wall)
    d1, d2 = desc.drives(centres)
    return metrics, dict(t_bin_s=centres, somatic_drive_pA=d1, dendritic_drive_pA=d2,
                         events1=E1, bursts1=B1, events2=E2, bursts2=B2,
                         **_rasters(desc, p, (t1, i1), (t2, i2)))


def _rasters(desc, p, spikes1, spikes2):
    """Raster sample of the first ``n_raster`` pyramids per population after ``t_skip``.

    ``raster{1,2}_*``: spike times, indices and classes (:func:`raster_sample`);
    ``raster_t_s`` with the two drives (pA) sampled every 5 ms over the window.
    """
    skip = float(p.t_skip / second)
    window = (skip, min(skip + float(p.t_raster / second), float(p.duration / second)))
    isi, n = float(p.burst_isi / second), min(p.n_raster, desc.n_pyr)
    out = {"raster_window_s": np.array(window), "raster_n": np.array(n),
           "raster_burst_isi_s": np.array(isi)}
    for k, (t, i) in ((1, spikes1), (2, spikes2)):
        out.update({f"raster{k}_{key}": v
                    for key, v in raster_sample(t, i, n, window, isi).items()})
    ts = np.arange(window[0], window[1] + 1e-9, 0.005)
    out["raster_t_s"] = ts
    out["raster_somatic_drive_pA"], out["raster_dendritic_drive_pA"] = desc.drives(ts)
    return out


# ------------------------------------------------------------------- XOR
def _xor_desc(p):
    same = ("eta_ih", "eta_ho", "tau_pre", "tau_avg", "e_min", "e_max", "t_predict", "t_learn",
            "t_count", "teach_mode", "teach_gain", "teach_ce", "G_fb", "G_ho", "G_ih", "G_pv_in",
            "G_pv_out", "I_pv", "I_out", "I_hid_apical", "I_hid2", "I_hid2_apical",
            "I_out_apical", "h_hom", "k_in", "G_sst_in", "G_sst_out", "I_sst", "pyramid")
    return XORNet(n_in=p.n_input or p.n_per_pop, n_hid=p.n_per_pop, n_out=p.n_per_pop,
                  n_pv=p.n_inter, n_sst=p.n_inter, **{k: p[k] for k in same})


def _counts(groups, keys):
    return {k: (float(np.sum(groups[k].n_events_soma)), float(np.sum(groups[k].n_bursts_soma)))
            for k in keys}


def train_xor(desc, be, n_examples, seed, dt, order=None, test_duration=None):
    """Train one XOR network in a runtime backend scope; returns a dict of curves and rates.

    Each example: plasticity off for ``t_predict`` (the output event rate
    is counted over its last ``t_count``), then the teacher current into
    the output dendrites and plasticity on for ``t_learn``.  Examples cycle
    through the four patterns in a random order per cycle.  The four
    patterns are tested (plasticity off) before and after training
    (``output_rate_before``, ``output_rate``).  Training and tests are one
    Brian2 run (:meth:`protocols.backend.Backend.run_phases`).
    """
    rng = np.random.RandomState(seed + 1000)
    data = xor()
    net = build_xor(desc, dt, seed=seed)
    g, syn, network = net["groups"], net["synapses"], net["network"]
    etas = {k: desc.eta_ho if k.endswith("_out") else desc.eta_ih for k in PLASTIC}
    pyr = ("hid1", "hid2", "out")
    if order is None:
        order = np.concatenate([rng.permutation(4) for _ in range(n_examples // 4 + 1)])
    order = np.asarray(order)[:n_examples]
    curve, teach, weights, test, before = [], [], [], [], []
    tdur = test_duration or desc.t_predict
    tail = min(desc.t_count * 2, tdur)

    def present(k):
        x = data.x_train[k]
        rates = desc.input_rates(x) / float(desc.r_on / Hz)
        g["in1"].pattern, g["in2"].pattern = rates

    def measure(duration, tail, out):
        yield duration - tail
        c0 = _counts(g, pyr)
        yield tail
        c1 = _counts(g, pyr)
        out.update({k: ((c1[k][0] - c0[k][0]) / g[k].N / float(tail / second),
                         (c1[k][1] - c0[k][1]) / max(c1[k][0] - c0[k][0], 1)) for k in pyr})

    def test_phases(out):
        for name in PLASTIC:
            syn[name].eta = 0.0
        for k in range(4):
            present(k)
            out.append({})
            yield from measure(tdur, tail, out[-1])

    def phases():
        yield from test_phases(before)
        for k in order:
            present(k)
            for name in PLASTIC:
                syn[name].eta = 0.0
            rates = {}
            yield from measure(desc.t_predict, desc.t_count, rates)
            e_out = rates["out"][0]
            current = desc.teacher(desc.target_rate(data.y_train[k]), e_out)
            g["out"].I_ext_apical = desc.I_out_apical + current * pA
            for name in PLASTIC:
                syn[name].eta = etas[name]
            yield desc.t_learn
            g["out"].I_ext_apical = desc.I_out_apical
            curve.append(e_out)
            teach.append(current)
            weights.append([float(np.mean(syn[n].w)) for n in PLASTIC])
        yield from test_phases(test)

    total = len(order) * (desc.t_predict + desc.t_learn) + 8 * tdur
    lengths = [desc.t_predict - desc.t_count, desc.t_count, desc.t_learn, tdur - tail, tail]
    be.run_phases(network, phases(), total, lengths)
    return dict(order=order, curve=np.array(curve), teach=np.array(teach),
                weights=np.array(weights).reshape(-1, len(PLASTIC)),
                output_rate=np.array([r["out"][0] for r in test]),
                output_rate_before=np.array([r["out"][0] for r in before]),
                hidden_rate=np.array([[r["hid1"][0], r["hid2"][0]] for r in test]),
                output_burst_probability=np.array([r["out"][1] for r in test]))


@protocol("learn-xor",
          "Payeur 2021 spiking burstprop on XOR (2 input, 2 hidden, 1 output population): "
          "output event rate per pattern after training with the burst-dependent rule",
          dict(n_seeds=5, n_per_pop=40, n_input=400, k_in=200, n_inter=40, n_examples=200,
               t_predict=2400 * ms, t_learn=300 * ms, t_count=1200 * ms,
               test_duration=1000 * ms, eta_ih=0.05, eta_ho=0.1, tau_pre=100 * ms,
               tau_avg=800 * ms, e_min=2 * Hz, e_max=10 * Hz, teach_mode="cross-entropy",
               teach_gain=100 * pA, teach_ce=200 * pA, G_fb=300 * nS, G_ho=350 * nS,
               G_ih=80 * nS, G_pv_in=150 * nS, G_pv_out=900 * nS, I_pv=0 * pA,
               G_sst_in=300 * nS, G_sst_out=600 * nS, I_sst=0 * pA, pyramid="burst-poisson",
               I_out=320 * pA, I_hid_apical=0 * pA, I_hid2=120 * pA, I_hid2_apical=800 * pA,
               I_out_apical=400 * pA, h_hom=0.0, high_hz=8.0, low_hz=4.0, dt=0.2 * ms),
          quick=dict(n_seeds=1, n_examples=24))
def learn_xor(p, ctx):
    """Seeds run one after the other in the runtime backend (the teacher closes a loop).

    ``solved``: output event rate >= ``high_hz`` for (0,1) and (1,0) and
    <= ``low_hz`` for (0,0) and (1,1) in the test after training.

    Defaults: the authors' XOR neuron (``pyramid='burst-poisson'``).  The
    authors' ``sim_xor.cpp`` does not use the coupled Naud & Sprekeler
    neuron of the propagation network but ``BurstPoissonGroup``: a somatic
    spike is an event, and it becomes a burst with a probability set by the
    dendritic voltage alone; the feedback transmits bursts only
    (``TransmitBurstConnection``; here :class:`dendrites.plasticity.stp.BurstOnly`
    on out -> hid1 and out -> SST).  With the coupled neuron, somatic drive
    makes bursts too, and hid2's burst probability at (1,1) did not follow
    the feedback: 0.19, 0.20, 0.21 for teachers -200, 0, +200 pA while the
    SST cells fired 1.0, 9.0, 11.7 Hz (sparse 200-of-400 input, 40
    neurons/population, ``I_out_apical`` 100 pA, ``G_sst_out`` 600 nS,
    ``I_hid2_apical`` 100 pA; 6 trials of 0.9 s settling + 0.3 s learning
    per teacher).  With the uncoupled neuron and the defaults below it does
    (3 trials): 0.70, 0.57, 0.59 (SST 0.5, 12.9, 26.9 Hz) at (1,1) and
    0.40, 0.27, 0.24 at (0,1), and in -> hid2 now
    potentiates at (1,1) during training (+0.7 to +2.7e-3 per example)
    and depresses at one input (-1.9 to -3.0e-3 on the active input).
    Further calibration of that network (measured, seed 1 unless stated):
    sparse input (400 per input population, 200 per hidden neuron), 40
    neurons/population and interneurons, ``G_fb`` and ``G_sst_in`` 300 nS
    (at 100 nS hid1's burst probability stayed at 0.12-0.13 whatever the
    teacher), ``G_sst_out`` 600 nS with ``I_hid2_apical`` 800 pA (with 150
    nS and 500 pA hid2 still depressed at (1,1), -1.0 to -2.4e-3 per
    example), hid2 held AND-like by ``I_hid2`` 120 pA, PV without bias, 200
    examples, and the authors' teacher (``teach_mode='cross-entropy'``, with
    their 1 Hz tolerance).  ``I_out`` stays at 320 pA: with 360 pA and the
    linear teacher (100 pA/Hz) the network solved XOR *before* training in
    3 of 5 seeds (margins 4.7-5.6 Hz) and training brought that down to
    1/5 (margins 3.47, 3.09, 5.03, -1.06, 3.72 Hz): a network that is XOR
    by construction shows nothing about learning.

    Defaults of this version: examples of 2.7 s (``t_predict`` 2.4 s,
    ``tau_avg`` 800 ms, ``t_count`` 1.2 s), ``G_pv_out`` 900 nS and
    ``G_ho`` 350 nS, so that the output can reach the 9 Hz at which the
    true-pattern teacher stops (the mechanism is below).  Result (A14 NOT
    met: 3/5 solved, 4/5 needed), seeds 1-5, 200 examples, each seed in its
    own process (two or three side by side on two cores, 800-1,310 s of
    training per seed; the 5-seed protocol in one process was not timed):
    seeds 3, 4 and 5 solved; before training seeds 4 and 5 were solved
    already (2/5).  Test before -> after training (Hz, (0,0) (0,1) (1,0)
    (1,1)): seed 1 [2.38 10.45 8.65 5.92] -> [2.02 8.3 7.12 1.25]; seed 2
    [2.33 10.22 9.68 4.2] -> [1.58 9.05 7.22 3.5]; seed 3 [2.5 12.25 10.05
    5.2] -> [2.95 10.0 9.88 1.6]; seed 4 [2.25 9.78 9.57 3.08] -> [2.0 10.1
    10.2 2.25]; seed 5 [2.4 10.32 9.72 2.02] -> [2.17 9.18 8.32 1.72].
    Training lowers (1,1) in every seed (the signed credit: at (1,1) hid1
    -> out and in -> hid1 depress, in -> hid2 potentiates, +0.7 to +2.0e-3
    per example in seeds 1 and 3) and lowers the true patterns in seeds 1,
    2, 3 and 5 (by 0.2 to 2.5 Hz; in -> hid1 ends at 0.30-0.44 from 0.5):
    seeds 1 and 2 fail on one true pattern (7.12, 7.22 Hz), not on a false
    one.  Margins (min true - max false, Hz) 2.73 -> 5.10, 5.48 -> 3.72,
    4.85 -> 6.92, 6.49 -> 7.85, 7.32 -> 6.15.  The quick setting (24
    examples) raises (1,1) from 5.9 to 7.1 Hz in seed 1: the full run
    lowers it only after about 40 examples (prediction-phase mean over
    examples 1-40 4.9 Hz, 81-120 0.6 Hz).  Half the input learning rate
    (``--set eta_ih=0.025``, seeds 1-5, same network) also solves 3/5, other
    seeds: after training [2.0 10.3 9.72 0.75], [1.75 10.12 8.6 3.5], [1.82
    9.4 7.8 4.9], [2.45 8.8 9.48 5.75], [2.22 11.08 11.02 3.92] (seeds 1, 2
    and 5 solved; seed 4, solved before training, is lost at (1,1)): which
    seeds pass moves with the learning rate, so 3/5 is not a stable count
    either way.

    Result with the former defaults (``t_predict`` 900 ms, ``tau_avg``
    300 ms, ``t_count`` 400 ms, ``G_pv_out`` 600 nS, ``G_ho`` 250 nS; A14
    NOT met), seeds 1-5, 200 examples, each seed in its own process (two
    cores, about 6 min per seed):
    0/5 solved and 0/5 before training.  Test after training (Hz, (0,0)
    (0,1) (1,0) (1,1)): [2.5 7.3 7.3 1.3], [2.3 7.2 6.9 4.9], [1.9 5.6
    5.4 6.2], [2.3 5.9 6.6 0.8], [1.8 6.6 6.8 3.8]; margins (min true - max
    false) 4.72, 2.00, -0.75, 3.69, 2.84 Hz against 5.03, 4.94, 4.44,
    3.38, 4.81 before training: the false patterns sit at 1-3 Hz from the
    start, the true ones at 6.6-7.9 Hz, and training does not lift them to
    8 Hz (it lowered the margin in 4 of 5 seeds).

    Why it stops there (training averages per example, x 1e-3, seeds 1-5):
    in -> hid1 depresses at (1,1) (-5.5 to -7.4; the output there averaged
    3.0-3.8 Hz, above the teacher's 3 Hz tolerance) 1.5-5 times as much as
    it potentiates at one input (+1.2 to +4.0 on the active input), so hid1
    weakens while hid1 -> out grows (+4.8 to +7.6 per single-input
    example); the output at one input stays near 7 Hz.  hid2's
    potentiation at (1,1) does not outweigh its depression at one input
    (net -0.3 to -2.2 per cycle for each input's weights), so hid2 does not
    become more AND-like and does not take over the (1,1) suppression that
    would switch the (1,1) teacher off.  A lower output floor does not help:
    with ``I_out`` 300 pA (seeds 1, 2) the silent pattern sits at 1.3 Hz
    but the single inputs start at 6.0-6.7 Hz and (1,1) averaged 4.3-5.0 Hz
    in training; margins after training 1.44 and -0.19 Hz (3.34, 3.78
    before).

    More training and longer examples alone do not fix it (former defaults,
    seeds 1 and 3, each in its own process; rates Hz for (0,0) (0,1) (1,0)
    (1,1)):

    * 800 examples instead of 200 (the target allows 2000;
      ``--set n_examples=800``, 1,310 s of training per seed): the network
      drifts away from XOR.  Prediction-phase means over the first and the
      last 100 examples: seed 1 [2.2 7.9 7.1 4.1] -> [2.1 5.9 5.7 5.0], seed
      3 [2.2 7.8 7.3 3.0] -> [2.1 5.0 5.8 5.7]; test after training [2.25
      6.44 6.31 1.56] (margin 4.06 Hz, 4.72 after 200) and [2.0 4.56 4.69
      6.84] (-2.28, -0.75 after 200); in -> hid1 ends at 0.29-0.31 and 0.25-0.27.
    * Examples 2.7 s long, as the paper's arrangement (``t_predict`` 2.4 s,
      ``tau_avg`` 800 ms, ``t_count`` 1.2 s; 200 examples, 745 s per seed):
      ``P_bar = B_bar/E_bar`` changes only at a neuron's own events, so at
      hid2's 1 Hz in a 0.9 s prediction phase it is the burst (1) or not (0)
      of its last event or two; longer phases give it more events.  Test
      after training [1.95 8.05 7.4 4.8] and [2.33 6.53 6.9 1.45] (margins
      2.6, 4.2; before training [1.98 7.88 6.92 1.68], [2.33 8.1 7.15
      3.4]); the prediction-phase means over 40 examples fall from [2.1 8.2
      8.2 2.3] to [2.1 6.8 7.8 3.1] (seed 1) as in -> hid1 falls to
      0.33-0.36.  With ``G_pv_out`` 900 nS on top: [1.9 9.4 8.52 5.62] and
      [1.9 6.4 6.58 3.2] (margins 2.9, 3.2); the (1,1) prediction stays
      at 1.4-2.8 Hz for 120 examples, then rises to 4.2 and 5.3 Hz as in
      -> hid2 falls (0.50 -> 0.43).
    * The mechanism, from the teacher: a true pattern is pushed up until it
      is within 1 Hz of ``e_max`` (9 Hz), which the output reaches only in
      single examples (means 6-8 Hz), so its positive teacher acts on
      nearly every single-input example and
      depresses the active input's weights onto hid2 (hid2 fires about 1 Hz
      there, so it is not silent below an AND threshold, and its SST-carried
      credit is negative); the (1,1) teacher is zero whenever the output is
      at or below 3 Hz, so the potentiation of hid2 at (1,1) comes only
      after (1,1) has failed.  hid2 loses its AND selectivity, (1,1) rises,
      and its negative teacher then depresses in -> hid1 on both inputs at
      hid1's (1,1) rate (5-7 Hz against 2-3.5 Hz at one input, in the runs
      above).

    Earlier calibration, with the coupled neuron (the former defaults:
    ``--set "pyramid='coupled'" --set n_per_pop=20 --set n_input=20 --set
    k_in=20 --set n_inter=10 --set n_examples=60 --set eta_ho=0.05 --set
    "teach_mode='linear'" --set teach_gain=40*pA --set G_fb=100*nS --set
    G_pv_in=60*nS --set G_pv_out=100*nS --set I_pv=100*pA --set
    G_sst_in=100*nS --set G_sst_out=150*nS --set I_hid2=250*pA --set
    I_hid2_apical=200*pA --set I_out_apical=0*pA``; every number from here
    on was measured with that network or the variants named; 20 inputs
    from 20 is the former all-to-all wiring, the same draws):

    * ``tau_avg`` 300 ms with ``t_predict`` 900 ms (3 ``tau_avg``) keeps the
      paper's arrangement (7.2 s prediction, ``tau_avg`` 2 s): when learning
      starts, ``P_bar`` is the burst probability of the *current* pattern
      without teacher.  With the former 2 s average over 0.8 s examples it
      mixed the last 2-3 patterns, whose burst probabilities differ by up to
      0.3 without any teacher (feedback follows the output's own bursts), so
      the sign of ``B - P_bar E`` followed the pattern, not the teacher:
      hid1 -> out grew for every pattern (+7 to +14e-3 per example, also
      with a negative teacher), and (1,1) with a -27 pA teacher depressed
      in -> hid1 by -15e-3 per example while (0,1) with +262 pA potentiated
      in2 -> hid1 by only +1.6e-3 (seed 1, second half of training).
    * Dendritic biases 0 pA (hid1, out) and ``G_fb`` 100 nS (was 100 pA,
      100 pA, 400 nS): hid1 and out burst probabilities were 0.5-1.0 with
      the teacher at zero, so the teacher could hardly raise them, and the
      out -> hid1 burst loop kept out in a burst mode whose event rate stays
      at 3-5 Hz (somatic adaptation after each burst), below the 8 Hz target
      even with hid1 -> out at its bound.  Now hid1 P is ~0.1-0.3 at
      baseline and 0.3-0.6 with a positive teacher.
    * ``I_hid2_apical`` 200 pA: under SST inhibition hid2 burst probability
      sat at its floor (0.1-0.2), where less SST input could not raise it.
    * ``h_hom``: the authors' upper event-rate homeostasis
      (:class:`circuits.burstprop.HomeostaticBurstRule`), off by default
      (with ``h_hom`` 1 and ``G_pv_out`` 200 nS all five margins were
      negative, -0.2 to -3.9 Hz).

    Not solved (A14): 0/5 seeds with those defaults, and 0/5 before
    training (the four patterns are also tested before the first example:
    ``output_rate_before_hz``, ``solved_before_training``).  Margins (min
    true - max false, Hz) for seeds 1-5: -0.75, 0.5, -1.44, 1.06, 1.5 (8.4
    min, cython); before training -0.19, -1.69, 0.31, 1.69, -1.25.  An earlier
    version without the pre-training test (same parameters, a different
    random stream) gave 3.5, 1.25, -3.25, -2.38, 2.37 for seeds 1-5 and
    -1.12, -3.62, -1.75, 0.5, 0.31 for seeds 6-10: the margin of a seed
    moves by several Hz with the random stream alone.  hid1 learns with the
    teacher's sign, but responds about linearly (5-6 Hz to one input, 8-10 Hz
    to both), so that only scales one gain.  XOR needs hid2 (through PV) to
    respond to (1,1) only, and its SST-inverted teacher signal is weak: the
    mean in -> hid2 weights end between 0.47 and 0.60 (from 0.5), in no
    consistent direction.

    What limits it, measured with the pattern held and plasticity off (20
    neurons/population, output event rate over repeated 400 ms windows):

    * With all-to-all input (``k_in`` None) every hidden neuron sees the
      same input spikes; hid2 and the PV cells it drives fire in volleys
      every ~70 ms, so PV inhibition of the output is pulsatile (its somatic
      GABA conductance swings between 0 and ~470 nS) and the output fires
      in the gaps: at (1,1) with ``G_pv_out`` 1000 nS the output still fired
      7.5 spikes/s.  Sparse input (``n_input`` 100, ``k_in`` 20) removes the
      volleys: 1.2 spikes/s with the same inhibition.
    * A lower hid2 bias (``I_hid2`` 120-150 pA against ``I_hid`` 250 pA)
      makes hid2 AND-like (0.8-2 Hz to one input, 4-5 Hz to both), but
      hid2's bursts still drive PV to 4-5 Hz at a single input, which costs
      the output about 2 Hz there (7.7 -> 5.6 Hz).
    * The output event rate in a 400 ms window fluctuates by 1-2 Hz at one
      input and 1.5-2.9 Hz at (1,1) (SD over windows), and not less with
      three times as many output neurons: the fluctuations are common input
      from 20-neuron hidden populations.  Against the 2 Hz between the
      targets (10 and 2 Hz) and the criterion (8 and 4 Hz), a learned state
      is solved or not by chance.
    * Single-seed trials with sparse input, ``I_hid2`` 120-150 pA, ``G_pv_in``
      90-150 nS, ``G_pv_out`` 600-1000 nS, 40 interneurons, 100 examples and
      ``eta_ho`` 0.1 (20 or 40 neurons/population) ended with margins from
      -3.25 to +4.25 Hz; where the last training cycle was solved (margin
      5.25 Hz) a 2 s test window still failed at (1,1) (7.8 Hz), and the
      in -> hid2 weights drifted up in one seed (0.56-0.59) and down in
      another (0.40-0.44): the hid2 signal does not settle hid2 into an AND
      unit.  The paper's populations are 25 times larger (500) and its
      examples 8 s long.
    * Five seeds of that configuration (``--set n_input=100 --set k_in=20
      --set n_per_pop=40 --set I_hid2=120*pA --set G_pv_in=150*nS --set
      I_pv=0*pA --set G_pv_out=600*nS --set n_inter=40 --set n_examples=100
      --set eta_ho=0.1``; 14 min on 2 cores): 1/5 solved (margins 2.53, 4.12,
      0.56, -0.91, 1.91 Hz), 0/5 before training, where (1,1) was already
      low (1-3.4 Hz) and the single inputs at 6.4-7.3 Hz.  Training lifts
      the single inputs to 6.8-10.4 Hz and (1,1) with them (3.9-8.9 Hz): the
      in -> hid2 weights fall in 4 of 5 seeds (to 0.34-0.50).  With the
      cross-entropy teacher as first ported (normalised by ``e_max`` instead
      of the authors' ``(e - e_min)/(e_max - e_min)``, no tolerance for false
      patterns, so a false pattern was always pushed down) instead: 0/5 (margins 3.56,
      -0.22, 0.81, 0.16, 3.72 Hz; single inputs 7.8-11.1 Hz, (1,1) 4.4-8.1
      Hz), in -> hid2 at 0.39-0.53.
    * Why hid2 does not learn AND, from :func:`teacher_sign_trial` (same
      configuration, 0.9 s settled, 300 ms of learning per teacher current,
      mean dw x 1e3): at (1,1), in -> hid2 changes by -5.3, -5.4, -7.6 for
      teachers -200, 0, +200 pA: the relative sign is right (a negative
      teacher should potentiate hid2) but a negative offset as large as the
      teacher's effect remains, so (1,1) cannot raise hid2; at (0,1) it is
      +12.0, +5.5, +1.3 (right).  The SST path can only lower its
      inhibition of hid2 from where the output's bursts put it, and at (1,1)
      the output is silenced by PV: there is little to take away.  Tonic SST
      activity (``I_sst`` 50 pA) makes it worse: +12.7 at +200 pA.
      Re-measured later with 4 learning phases per teacher from that one
      settled state: -6.0, -7.2, -1.2 (standard errors 0.4, 1.7, 2.9), no
      reliable order; and the offset belongs to the trial as much as to the
      rule: every teacher starts from the same stored state, whose
      ``P_bar`` estimates (300 ms averages of a few events) are one frozen
      sample, so the trial is meant for differences between teachers.  The
      robust finding is the one in the defaults section: with the coupled
      neuron hid2's burst probability at (1,1) did not follow the teacher.
    """
    if p.n_seeds < 1:
        raise ModelError(f"Parameter 'n_seeds' = {p.n_seeds} must be at least 1.")
    for key in ("n_per_pop", "n_inter") + (("n_input",) if p.n_input is not None else ()):
        check_size(key, p[key])
    if p.n_examples < 0 or p.n_examples > 2000:
        raise ModelError(f"Parameter 'n_examples' = {p.n_examples} must lie in [0, 2000] "
                         "(the target is 'after <= 2000 examples').")
    for key in ("t_predict", "t_learn", "t_count", "test_duration", "dt"):
        if p[key] <= 0 * second:
            raise ModelError(f"Parameter '{key}' = {p[key]} must be positive.")
    if ctx.backend.endswith("standalone"):
        raise ModelError(f"Backend {ctx.backend!r}: learn-xor closes a loop between phases "
                         "(teacher from the measured output rate); allowed: numpy, cython.")
    desc = _xor_desc(p)
    labels = xor().y_train
    rates, curves, hidden, weights, solved, orders, before = [], [], [], [], [], [], []
    t0 = time.perf_counter()
    for s in range(p.n_seeds):
        with ctx.backend_scope(dt=p.dt, seed_offset=s) as be:
            res = train_xor(desc, be, p.n_examples, ctx.seed + s, p.dt,
                            test_duration=p.test_duration)
        rates.append(res["output_rate"])
        before.append(res["output_rate_before"])
        curves.append(res["curve"])
        orders.append(res["order"])
        hidden.append(res["hidden_rate"])
        weights.append(res["weights"])
        solved.append(_solved(res["output_rate"], labels, p))
    rates = np.array(rates)
    gap = rates[:, labels == 1].min(axis=1) - rates[:, labels == 0].max(axis=1)
    metrics = dict(
        patterns=[list(map(int, x)) for x in xor().x_train], labels=labels.tolist(),
        output_rate_hz=rates.tolist(), solved_seeds=int(np.sum(solved)),
        output_rate_before_hz=np.array(before).tolist(),
        solved_before_training=int(sum(_solved(r, labels, p) for r in before)),
        solved=solved, n_seeds=int(p.n_seeds), margin_hz=gap.tolist(),
        first_cycle_margin_hz=[_cycle_margin(c, o, labels, 0) for c, o in zip(curves, orders)],
        last_cycle_margin_hz=[_cycle_margin(c, o, labels, -1) for c, o in zip(curves, orders)],
        hidden_rate_hz=np.array(hidden).tolist(), wall_time_training_s=time.perf_counter() - t0,
        rate_model_solves=bool(RateXOR(desc, seed=ctx.seed).train(4 * 100)["solved"]))
    return metrics, dict(output_rate_hz=rates, output_rate_before_hz=np.array(before),
                         curves=np.array(curves), orders=np.array(orders),
                         labels=labels,
                         mean_weights=np.array(weights), hidden_rate_hz=np.array(hidden))


def _solved(rates, labels, p):
    rates = np.asarray(rates)
    return bool(np.all(rates[labels == 1] >= p.high_hz) and np.all(rates[labels == 0] <= p.low_hz))


def _cycle_margin(curve, order, labels, which):
    """Margin (min true - max false prediction-phase output rate) over one cycle of 4 examples."""
    n = len(curve) // 4
    if n == 0:
        return float("nan")
    k = 0 if which == 0 else n - 1
    rates = np.empty(4)
    rates[np.asarray(order[4 * k:4 * k + 4])] = curve[4 * k:4 * k + 4]
    return float(rates[labels == 1].min() - rates[labels == 0].max())


def teacher_sign_trial(desc, be, pattern, teachers, t_settle, dt, seed=1):
    """Mean weight change of each plastic pathway after one learning phase per teacher current.

    The network settles for *t_settle* with *pattern* and plasticity off; its
    state is stored, then for each teacher current (pA, into the output
    dendrites) it learns for ``desc.t_learn`` from that same state.  Returns
    ``{teacher: {pathway: mean dw}}``: the spiking counterpart of
    :meth:`circuits.burstprop.RateXOR.delta`.
    """
    net = build_xor(desc, dt, seed=seed)
    g, syn, network = net["groups"], net["synapses"], net["network"]
    rates = desc.input_rates(pattern) / float(desc.r_on / Hz)
    g["in1"].pattern, g["in2"].pattern = rates
    etas = {k: desc.eta_ho if k.endswith("_out") else desc.eta_ih for k in PLASTIC}
    for name in PLASTIC:
        syn[name].eta = 0.0
    be.run(network, t_settle)
    network.store("settled")
    w0 = {k: np.asarray(syn[k].w).copy() for k in PLASTIC}
    out = {}
    for current in teachers:
        network.restore("settled")
        for name in PLASTIC:
            syn[name].eta = etas[name]
        g["out"].I_ext_apical = desc.I_out_apical + float(current) * pA
        be.run(network, desc.t_learn)
        out[float(current)] = {k: float(np.mean(np.asarray(syn[k].w) - w0[k])) for k in PLASTIC}
    return out
