"""Feedback timing sets the sign of basal plasticity (Richards & Lillicrap 2018, mechanism (a)).

One neuron per condition.  Feedforward input onto the basal side drives the
soma; feedback onto the apical dendrite arrives at a controlled offset.  Pre-
and postsynaptic rates are the same in every condition (reported), only the
timing of the feedback differs:

* ``guerguiev``: Guerguiev et al. 2017 neuron (segregated apical dendrite)
  with :class:`~dendrites.plasticity.plateau.PlateauRule`.  Cycles of a
  forward and a target phase; the feedback volley starts ``offset`` after the
  forward/target boundary, so it lands in the forward phase (offset < 0) or
  in the target phase (offset >= 0).
* ``payeur``: Payeur et al. 2021 neuron with
  :class:`~dendrites.plasticity.burst.BurstRule`.  A feedforward volley
  every ``event_period`` makes one somatic event; the plastic input fires
  with the first volley of each cycle; the feedback volley is aligned with the
  volley ``offset`` later and turns that event into a burst.
"""

import numpy as np
from brian2 import (Hz, Network, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, ms, nS, pA,
                    second)

from dendrites import presets
from dendrites.errors import ModelError
from dendrites.plasticity.base import connect
from dendrites.plasticity.burst import BurstDetector, BurstRule
from dendrites.plasticity.plateau import PhasePlateau, PlateauRule
from dendrites.plasticity.stp import FixedWeight

from .dendritic_rules import with_mechanism
from .registry import protocol

__all__ = ["feedback_timing"]


def _grid(times, dt):
    return np.round(np.asarray(times) / dt) * dt


def _periodic(onsets, n, step, period, n_cycles, dt):
    """Spike times of *n*-spike volleys (spacing *step*) at *onsets* of every cycle."""
    ts = np.concatenate([c * period + np.asarray(onsets)[:, None] + step * np.arange(n)[None, :]
                         for c in range(-1, n_cycles + 1)], axis=0) if len(onsets) else []
    ts = _grid(np.ravel(ts), dt)
    return np.unique(ts[(ts >= 0) & (ts < n_cycles * period - dt / 2)])


def _cycles(duration, cycle, name):
    n = float(duration / second) / cycle
    if n < 1 or abs(n - round(n)) > 1e-6:
        raise ModelError(f"Parameter 'duration' = {duration} must be a positive multiple of the "
                         f"cycle ({name} = {cycle * 1e3:g} ms).")
    return int(round(n))


def _guerguiev(p, rng, dt):
    """Build the Guerguiev conditions; return objects and a reader for the results."""
    offsets = np.asarray([float(o / second) for o in p.g_offsets])
    t_ph = float(p.T_phase / second)
    cycle = 2 * t_ph
    model = with_mechanism(presets.guerguiev_2017(), "apical",
                           PhasePlateau(p.T_phase, p.T_phase, p.T_integrate))
    n_cyc = _cycles(p.warmup + p.duration, cycle, "T_phase")
    _cycles(p.warmup, cycle, "T_phase") if p.warmup > 0 * second else None
    n, dur, t_w = len(offsets), n_cyc * cycle, float(p.warmup / second)
    post = model.build(n, name="g_neuron", dt=p.dt)
    ff_i, ff_t = [], []
    for k in range(p.n_ff):
        tr = np.unique(_grid(rng.uniform(0, dur - dt, rng.poisson(float(p.ff_rate / Hz) * dur)),
                             dt))
        ff_i.append(np.full(tr.size, k))
        ff_t.append(tr)
    ff = SpikeGeneratorGroup(p.n_ff, np.concatenate(ff_i).astype(int), np.concatenate(ff_t) * second,
                             name="g_feedforward")
    syn = connect(PlateauRule(eta=p.g_eta), ff, post, model, "basal", "cur", w_init=p.w_init,
                  w_scale=p.g_ff_w_scale, name="g_plastic")
    n_fb = int(round(float(p.fb_duration / p.fb_isi)))
    fb_i, fb_t = [], []
    for j, o in enumerate(offsets):
        ts = _periodic([t_ph + o], n_fb, float(p.fb_isi / second), cycle, n_cyc, dt)
        fb_i.append(np.full(ts.size, j))
        fb_t.append(ts)
    fb = SpikeGeneratorGroup(n, np.concatenate(fb_i).astype(int), np.concatenate(fb_t) * second,
                             name="g_feedback")
    fbs = connect(FixedWeight(), fb, post, model, "apical", "cur", w_init=1.0,
                  w_scale=p.g_fb_w_scale, connect=dict(j="i"), name="g_fb_syn")
    spikes = SpikeMonitor(post, name="g_spikes")
    alphas = StateMonitor(post, ["alpha_f_apical", "alpha_t_apical"], record=True,
                          dt=cycle * second, name="g_alpha")
    objs = [post, ff, syn, fb, fbs, spikes, alphas]

    def restart():
        syn.w = p.w_init

    def read():
        w = np.asarray(syn.w)
        j = np.asarray(syn.j)
        dw = [float(np.mean(w[j == c]) - p.w_init) for c in range(n)]
        late = np.asarray(spikes.t / second) >= t_w - dt / 2
        counts = np.bincount(np.asarray(spikes.i)[late], minlength=n)
        n_ff = sum(np.sum(tr >= t_w - dt / 2) for tr in ff_t)
        keep = np.asarray(alphas.t / second) > t_w + dt / 2
        a_f = np.asarray(alphas.alpha_f_apical)[:, keep]
        a_t = np.asarray(alphas.alpha_t_apical)[:, keep]
        return dict(offset_ms=(offsets * 1e3).tolist(), dw=dw,
                    pre_rate_hz=float(n_ff / p.n_ff / (dur - t_w)),
                    post_rate_hz=(counts / (dur - t_w)).tolist(),
                    alpha_f=a_f.mean(axis=1).tolist(), alpha_t=a_t.mean(axis=1).tolist())
    return objs, restart, read


def _payeur(p, dt):
    offsets = np.asarray([float(o / second) for o in p.p_offsets])
    period, k = float(p.event_period / second), p.events_per_cycle
    cycle = period * k
    steps = offsets / period
    if np.any(np.abs(steps - np.round(steps)) > 1e-6):
        raise ModelError(f"Parameter 'p_offsets' = {p.p_offsets} must be multiples of "
                         f"'event_period' = {p.event_period}.")
    detector = BurstDetector(p.burst_isi, p.tau_avg, k / cycle * Hz, 1.0 / k)
    model = with_mechanism(presets.payeur_2021(), "soma", detector)
    n_cyc = _cycles(p.warmup + p.duration, cycle, "event_period*events_per_cycle")
    _cycles(p.warmup, cycle, "event_period*events_per_cycle") if p.warmup > 0 * second else None
    n, dur, t_w = len(offsets), n_cyc * cycle, float(p.warmup / second)
    post = model.build(n, name="p_neuron", dt=p.dt)
    t0 = float(p.first_volley / second)
    volleys = _periodic(t0 + period * np.arange(k), 1, 0.0, cycle, n_cyc, dt)
    drive = SpikeGeneratorGroup(1, np.zeros(volleys.size, int), volleys * second, name="p_drive")
    dsyn = connect(FixedWeight(), drive, post, model, "soma", "ampa", w_init=1.0,
                   w_scale=p.drive, name="p_drive_syn")
    pre_t = _periodic([t0 - float(p.pre_lead / second)], 1, 0.0, cycle, n_cyc, dt)
    pre = SpikeGeneratorGroup(1, np.zeros(pre_t.size, int), pre_t * second, name="p_plastic_in")
    syn = connect(BurstRule(eta=p.p_eta, tau_pre=p.tau_pre, burst_isi=p.burst_isi), pre, post,
                  model, "soma", "ampa", w_init=p.w_init, w_scale=p.p_plastic_w_scale,
                  name="p_plastic")
    fb_i, fb_t = [], []
    for j, o in enumerate(offsets):
        onset = t0 + (o % cycle) - float(p.fb_lead / second)
        ts = _periodic([onset], p.fb_spikes, float(p.fb_spike_isi / second), cycle, n_cyc, dt)
        fb_i.append(np.full(ts.size, j))
        fb_t.append(ts)
    fb = SpikeGeneratorGroup(n, np.concatenate(fb_i).astype(int), np.concatenate(fb_t) * second,
                             name="p_feedback")
    fbs = connect(FixedWeight(), fb, post, model, "apical", "ampa", w_init=1.0,
                  w_scale=p.p_fb_w_scale, connect=dict(j="i"), name="p_fb_syn")
    spikes = SpikeMonitor(post, name="p_spikes")
    objs = [post, drive, dsyn, pre, syn, fb, fbs, spikes]

    def restart():
        # the warm-up lets adaptation settle (an unadapted neuron bursts on its first volley)
        syn.w = p.w_init
        post.n_events_soma = 0
        post.n_bursts_soma = 0
        post.E_bar_soma = detector.E_init
        post.B_bar_soma = detector.E_init * detector.P_init

    def read():
        w = np.asarray(syn.w)[np.argsort(np.asarray(syn.j))]
        late = np.asarray(spikes.t / second) >= t_w - dt / 2
        counts = np.bincount(np.asarray(spikes.i)[late], minlength=n)
        ev, bu = np.asarray(post.n_events_soma), np.asarray(post.n_bursts_soma)
        span = dur - t_w
        return dict(offset_ms=(offsets * 1e3).tolist(), dw=(w - p.w_init).tolist(),
                    pre_rate_hz=float(np.sum(pre_t >= t_w - dt / 2) / span),
                    post_rate_hz=(counts / span).tolist(), event_rate_hz=(ev / span).tolist(),
                    burst_probability=(bu / np.maximum(ev, 1)).tolist())
    return objs, restart, read


@protocol("feedback-timing",
          "One neuron per feedback offset: basal/somatic feedforward drive, apical feedback at a "
          "controlled offset (Guerguiev forward vs target phase; Payeur burst timing); sign of "
          "the basal weight change at equal pre- and postsynaptic rates",
          dict(g_offsets=[-50 * ms, -25 * ms, 0 * ms, 25 * ms], T_phase=50 * ms,
               T_integrate=20 * ms, warmup=200 * ms, duration=5 * second, n_ff=20,
               ff_rate=20 * Hz, g_ff_w_scale=10 * pA,
               fb_duration=50 * ms, fb_isi=5 * ms, g_fb_w_scale=30 * pA, g_eta=0.21,
               p_offsets=[-80 * ms, -40 * ms, 0 * ms, 40 * ms, 80 * ms], event_period=40 * ms,
               events_per_cycle=5, first_volley=10 * ms, drive=100 * nS,
               pre_lead=1 * ms, p_plastic_w_scale=1 * nS, fb_spikes=3, fb_spike_isi=2 * ms,
               fb_lead=2 * ms, p_fb_w_scale=20 * nS, p_eta=0.1, tau_pre=50 * ms,
               tau_avg=15 * second, burst_isi=16 * ms, w_init=1.0, dt=0.1 * ms),
          quick=dict(duration=2 * second))
def feedback_timing(p, ctx):
    """Both variants run in one network; ``dw`` is the mean weight change per condition.

    Guerguiev: every neuron receives the same frozen feedforward Poisson
    trains (the apical compartment does not drive the soma, so the somatic
    potential and rate do not depend on the feedback).  Payeur: every neuron
    receives the same volleys; the feedback turns exactly one event per
    cycle into a burst whatever its offset, so event rate, burst probability
    and firing rate are the same across offsets.
    """
    for key in ("n_ff", "events_per_cycle", "fb_spikes"):
        if p[key] < 1:
            raise ModelError(f"Parameter '{key}' = {p[key]} must be a positive integer.")
    if not p.g_offsets or not p.p_offsets:
        raise ModelError("Parameters 'g_offsets' and 'p_offsets' must not be empty.")
    dt = float(p.dt / second)
    rng = np.random.RandomState(ctx.seed)
    with ctx.backend_scope(dt=p.dt) as be:
        g_objs, g_restart, g_read = _guerguiev(p, rng, dt)
        p_objs, p_restart, p_read = _payeur(p, dt)
        net = Network(*g_objs, *p_objs)
        if p.warmup > 0 * second:
            be.run(net, p.warmup)
            g_restart()
            p_restart()
        # one extra step: the update of the last cycle happens at its next cycle start
        be.run(net, p.duration + p.dt)
        be.finish()
        res = {"guerguiev": g_read(), "payeur": p_read()}
    metrics = {key: {v: res[v][key] for v in res} for key in
               ("offset_ms", "dw", "pre_rate_hz", "post_rate_hz")}
    metrics.update(dw_guerguiev=res["guerguiev"]["dw"], dw_payeur=res["payeur"]["dw"],
                   alpha_f=res["guerguiev"]["alpha_f"], alpha_t=res["guerguiev"]["alpha_t"],
                   event_rate_hz=res["payeur"]["event_rate_hz"],
                   burst_probability=res["payeur"]["burst_probability"],
                   sign_flip={v: bool(min(r["dw"]) < 0 < max(r["dw"])) for v, r in res.items()})
    arrays = {f"{v}_{k}": np.asarray(r[k]) for v, r in res.items()
              for k in ("offset_ms", "dw", "post_rate_hz")}
    return metrics, arrays
