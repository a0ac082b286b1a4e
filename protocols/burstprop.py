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
    same = ("eta_ih", "eta_ih2", "eta_ho", "tau_pre", "tau_avg", "e_min", "e_max", "t_predict",
            "t_learn", "t_count", "teach_mode", "teach_gain", "teach_ce", "G_fb", "G_ho", "G_ih",
            "G_pv_in", "G_pv_out", "I_pv", "I_out", "I_hid_apical", "I_hid2", "I_hid2_apical",
            "I_out_apical", "h_hom", "k_in", "G_sst_in", "G_sst_out", "I_sst", "pyramid")
    return XORNet(n_in=p.n_input or p.n_per_pop, n_hid=p.n_per_pop, n_out=p.n_per_pop,
                  n_pv=p.n_inter, n_sst=p.n_inter, **{k: p[k] for k in same})


def _counts(groups, keys):
    return {k: (float(np.sum(groups[k].n_events_soma)), float(np.sum(groups[k].n_bursts_soma)))
            for k in keys}


def train_xor(desc, be, n_examples, seed, dt, order=None, test_duration=None, test_settle=None,
              eta_decay=1.0):
    """Train one XOR network in a runtime backend scope; returns a dict of curves and rates.

    Each example: plasticity off for ``t_predict`` (the output event rate
    is counted over its last ``t_count``), then the teacher current into
    the output dendrites and plasticity on for ``t_learn``.  Examples cycle
    through the four patterns in a random order per cycle.  The four
    patterns are tested (plasticity off) before and after training
    (``output_rate_before``, ``output_rate``): each is shown for
    ``test_settle`` (default ``t_predict - t_count``, as in training) and then
    counted over ``test_duration`` (default ``t_count``), so that the rates
    of one test pattern do not carry over into the next.  Learning rates
    decay by *eta_decay* per cycle of four examples (example ``k`` from 0
    learns with ``eta * eta_decay**(k // 4)``).  Training and tests are one
    Brian2 run (:meth:`protocols.backend.Backend.run_phases`).
    """
    if not 0 < eta_decay <= 1:
        raise ModelError(f"Parameter 'eta_decay' = {eta_decay} must be in (0, 1].")
    rng = np.random.RandomState(seed + 1000)
    data = xor()
    net = build_xor(desc, dt, seed=seed)
    g, syn, network = net["groups"], net["synapses"], net["network"]
    etas = {k: desc.learning_rate(k) for k in PLASTIC}
    pyr = ("hid1", "hid2", "out")
    if order is None:
        order = np.concatenate([rng.permutation(4) for _ in range(n_examples // 4 + 1)])
    order = np.asarray(order)[:n_examples]
    curve, teach, weights, test, before = [], [], [], [], []
    tdur = desc.t_count if test_duration is None else test_duration
    tsettle = desc.t_predict - desc.t_count if test_settle is None else test_settle

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
            yield from measure(tsettle + tdur, tdur, out[-1])

    def phases():
        yield from test_phases(before)
        for i, k in enumerate(order):
            present(k)
            for name in PLASTIC:
                syn[name].eta = 0.0
            rates = {}
            yield from measure(desc.t_predict, desc.t_count, rates)
            e_out = rates["out"][0]
            current = desc.teacher(desc.target_rate(data.y_train[k]), e_out)
            g["out"].I_ext_apical = desc.I_out_apical + current * pA
            for name in PLASTIC:
                syn[name].eta = etas[name] * eta_decay ** (i // 4)
            yield desc.t_learn
            g["out"].I_ext_apical = desc.I_out_apical
            curve.append(e_out)
            teach.append(current)
            weights.append([float(np.mean(syn[n].w)) for n in PLASTIC])
        yield from test_phases(test)

    total = len(order) * (desc.t_predict + desc.t_learn) + 8 * (tsettle + tdur)
    lengths = [desc.t_predict - desc.t_count, desc.t_count, desc.t_learn, tsettle, tdur]
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
               test_settle=1200 * ms, test_duration=2000 * ms, eta_ih=0.0125, eta_ih2=0.05,
               eta_ho=0.1, eta_decay=0.974,
               tau_pre=100 * ms, tau_avg=800 * ms, e_min=2 * Hz, e_max=10 * Hz,
               teach_mode="cross-entropy",
               teach_gain=100 * pA, teach_ce=200 * pA, G_fb=300 * nS, G_ho=350 * nS,
               G_ih=80 * nS, G_pv_in=150 * nS, G_pv_out=900 * nS, I_pv=0 * pA,
               G_sst_in=300 * nS, G_sst_out=600 * nS, I_sst=0 * pA, pyramid="burst-poisson",
               I_out=320 * pA, I_hid_apical=0 * pA, I_hid2=60 * pA, I_hid2_apical=800 * pA,
               I_out_apical=400 * pA, h_hom=0.0, high_hz=8.0, low_hz=4.0, dt=0.2 * ms),
          quick=dict(n_seeds=1, n_examples=24))
def learn_xor(p, ctx):
    """Seeds run one after the other in the runtime backend (the teacher closes a loop).

    ``solved``: output event rate >= ``high_hz`` for (0,1) and (1,0) and
    <= ``low_hz`` for (0,0) and (1,1) in the test after training.

    Each test pattern is shown for ``test_settle`` (1.2 s, the settling
    time of a training example) before its events are counted for
    ``test_duration`` (2 s).  Counted from its onset, in the fixed test
    order, a pattern carried over the rates of the one before.

    The network (:class:`circuits.burstprop.XORNet`): the authors' XOR
    neuron (``pyramid='burst-poisson'``: an event becomes a burst with a
    probability set by the dendritic voltage alone) and burst-only
    feedback.  hid1 excites the output; hid2 inhibits it through PV cells.
    The output's bursts reach hid1's dendrites directly and hid2's through
    SST cells, so one teacher signs hid2's credit opposite to hid1's.
    hid2 starts nearly silent (``I_hid2`` 60 pA: 0.05-0.1 Hz at one input,
    2.6 Hz at (1,1), seed 1), so the untrained network computes OR ((1,1)
    at 15 Hz) and must learn XOR.  With the former 120 pA it was XOR by
    construction (4 of 5 seeds solved before training in the settled test)
    and training took it apart (seeds 1, 2: 0 of 2 solved after 200
    examples).

    Learning rates: in -> hid1 ``eta_ih`` 0.0125, in -> hid2 ``eta_ih2``
    0.05, hid1 -> out ``eta_ho`` 0.1.  hid1 starts OR-like and needs
    little learning; at (1,1) the teacher depresses in -> hid1 1.7 to 2.9
    times as much as one input potentiates it (seed 1, equal rates 0.05:
    -6.4, -6.7e-3 against +2.3, +3.8e-3 per example), so a fast in -> hid1
    rate mostly weakens hid1 and with it the single-input responses.  After
    200 examples in -> hid1 ends at 0.44-0.48 (seeds 1-10; 0.43-0.46 on
    seeds 1-5 without the decay below, 0.34-0.45 at 0.025, 0.29-0.36 at
    0.05).

    All rates decay by ``eta_decay`` 0.974 per cycle of four examples (to
    0.27 of their start by example 200).  Without it, in -> hid2 rose to
    0.60-0.63 within 80-160 examples and then fell to 0.52-0.57 in three
    of the four failed seeds of ten (it is potentiated at (1,1) and
    depressed wherever hid2 fires at a single input, where the teacher is
    positive while the output is below 9 Hz); with it, that late fall is
    slowed and in -> hid2 ends at 0.55-0.61.

    Result (A14 met: 5 of 5 on seeds 1-5, 9 of 10 on seeds 1-10).  200
    examples (the default), before -> after training (Hz, (0,0) (0,1)
    (1,0) (1,1)):

    - seed 1: [2.28 9.32 9.84 15.41] -> [2.55 9.6 9.24 0.9]
    - seed 2: [2.36 10.06 10.1 15.11] -> [2.3 9.94 9.7 1.71]
    - seed 3: [2.4 9.89 9.61 14.99] -> [2.16 9.18 8.41 3.31]
    - seed 4: [2.08 9.68 9.4 15.71] -> [2.48 8.98 8.36 3.55]
    - seed 5: [2.21 9.48 10.1 13.24] -> [2.44 8.32 8.14 3.72]

    Margins (min true - max false) -6.09, -5.05, -5.38, -6.31, -3.76 Hz
    before -> 6.69, 7.4, 5.1, 4.81, 4.41 after.  Seeds 6-10 solved 4 of 5
    (margins 6.61, 2.64, 4.38, 6.92, 6.28 Hz; seed 7 ended at [2.3 9.05
    8.09 5.45]).  Learning moves every seed from OR to XOR: (1,1) falls
    from 13-16 Hz, in -> hid2 grows at (1,1).  Without the decay
    (``--set eta_decay=1``) the same seeds solved 4 of 5 and 2 of 5
    (margins 6.25, 6.4, 6.45, 1.88, 6.54 and 5.64, 4.02, -0.01, 0.1, 5.96
    Hz; mean 4.32 against 5.52 Hz with it); seeds 4, 8 and 9 fail there
    and are solved with it.  Not every solved seed is far from the
    criterion: (1,1) reads 3.55, 3.72 and 3.99 Hz in seeds 4, 5 and 8,
    and (1,0) 8.14 Hz in seed 5, while repeated tests of one frozen
    network scatter by 0.6-0.9 Hz at (1,1); the count of solved seeds
    carries that test noise.

    Without the decay and with ``eta_ih`` 0.025 the same seeds solved 2
    of 5 (margins 4.89, 5.95, -0.26, 5.45, 1.61 Hz; seed 4 was solved
    there), and seeds 6-10 2 of 5 (6 and 8), as at 0.0125: 4 of 10
    against 6 of 10 at 0.0125 (mean margins 4.04 and 4.32 Hz), not
    clearly distinguishable.  With equal rates (0.05, 0.05) seeds 1 and 2
    solved 0 of 2, and 400 examples gave 0 of 5 (single-input rates fall
    as hid1 keeps weakening).  A faster in -> hid2 (0.1, with ``eta_ih``
    0.025) solved 0 of 3 (seeds 1, 3, 4): the erosion of hid2 at single
    inputs is faster too.

    Every run behind these choices, with its numbers and command, is in
    ``protocols/calibration/learn_xor.md``.
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
    if p.test_settle < 0 * second:
        raise ModelError(f"Parameter 'test_settle' = {p.test_settle} must be zero or positive.")
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
                            test_duration=p.test_duration, test_settle=p.test_settle,
                            eta_decay=p.eta_decay)
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
    etas = {k: desc.learning_rate(k) for k in PLASTIC}
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
