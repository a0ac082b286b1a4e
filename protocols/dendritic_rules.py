"""Protocols of the dendritic plasticity rules: dendritic prediction, burst rule, STP pairs.

``dendritic-prediction`` is Urbanczik & Senn (2014) Fig. 1B as reproduced by
NEST's ``urbanczik_synapse_example.py``; ``burst-rule`` is the burst-Poisson
protocol of Payeur et al. (2021) Fig. 2 (authors' analysis scripts);
``stp-paired-pulse`` measures the paired-pulse ratios of the Payeur et al.
short-term plastic pathways against the closed form.  Every condition of a
protocol lives in one network.
"""

from dataclasses import replace

import numpy as np
from brian2 import (Hz, Network, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, Synapses, mV,
                    ms, nS, pA, pF, second)

from dendrites import presets
from dendrites.errors import ModelError
from dendrites.channels import current_channel
from dendrites.neuron import Compartment, NeuronModel
from dendrites.plasticity.base import connect
from dendrites.plasticity.burst import BurstDetector, BurstRule, SpikeRelay
from dendrites.plasticity.prediction import DendriticPrediction, UrbanczikSenn
from dendrites.plasticity.stp import FixedWeight, paired_pulse_ratio, stf_feedback, std_feedforward

from .registry import protocol

__all__ = ["dendritic_prediction", "burst_rule", "stp_paired_pulse", "burst_poisson_train",
           "zero_crossing", "with_mechanism"]


def with_mechanism(model, compartment, mechanism):
    """Copy of *model* with *mechanism* added to *compartment*."""
    model.compartment(compartment)
    comps = tuple(replace(c, mechanisms=c.mechanisms + (mechanism,)) if c.name == compartment
                  else c for c in model.compartments)
    return replace(model, compartments=comps)


def _check_positive_int(name, value):
    if value < 1:
        raise ModelError(f"Parameter '{name}' = {value} must be a positive integer.")


def _steady_teacher(t, interval, taus, weights, period):
    """Somatic teacher conductances (nS) at times *t* (s) of a teacher that is always on.

    The increments ``amp sin(2 pi t/period) + off`` and ``g_i`` (nS) every
    *interval* s decay with ``taus`` = (tau_exc, tau_inh) s; the recursion
    starts 20 time constants early, so the onset transient is gone.  Values
    are those at the start of a step, before its increment (as recorded).
    """
    amp, off, g_i = weights
    lead = int(np.ceil(20 * max(taus) / interval))
    tn = (np.arange(int(np.ceil(np.max(t) / interval)) + 2 + lead) - lead) * interval
    a_e, a_i = (np.exp(-interval / tau) for tau in taus)
    # g_e[n] = x[n] + a_e g_e[n-1] (scipy.signal.lfilter([1], [1, -a_e], x), whose
    # import alone takes about a second)
    x = amp * np.sin(2 * np.pi * tn / period) + off
    g_e, acc = np.empty_like(x), 0.0
    for n, xn in enumerate(x.tolist()):
        acc = xn + a_e * acc
        g_e[n] = acc
    k = np.round(np.asarray(t) / interval).astype(int) + lead - 1
    return a_e * g_e[k], np.full(k.size, a_i * g_i / (1 - a_i))


# ---------------------------------------------------------------------------
@protocol("dendritic-prediction",
          "Urbanczik-Senn 2014 Fig. 1B: a frozen 200 ms pattern of 200 Poisson inputs onto the "
          "dendrite, a somatic conductance teacher; V*_w learns the matching potential U_M",
          dict(n_inputs=200, input_rate=10 * Hz, pattern=200 * ms, teacher_reps=100, pre_reps=2,
               post_reps=2, eta=0.1275, tau_Delta=100 * ms, w_init=0.3, w_min=0.0, w_max=4.5,
               bounds="nest", w_scale=300 * pA, teacher_E_amp=4.8 * nS,
               teacher_E_offset=5.4 * nS, teacher_I=18 * nS, teacher_interval=0.1 * ms,
               teacher_period=100 * ms, record_dt=1 * ms, dt=0.1 * ms),
          quick=dict(teacher_reps=30))
def dendritic_prediction(p, ctx):
    """Teacher conductances as in the NEST example.

    NEST drives the somatic conductances with a spike every 0.1 ms of weight
    0.016 C sin(2 pi t/100 ms) + 0.018 C (excitatory) and 0.06 C
    (inhibitory), C = 300 pF read as nS (4.8, 5.4 and 18 nS), through its
    3 ms exponential conductance synapses; here the same increments are
    added to the soma's 3 ms ``exc``/``inh`` channels every
    ``teacher_interval`` (steady state about 30.5 times the increment:
    g_E = 146.4 nS sin + 164.7 nS, g_I = 549 nS, low-passed with 3 ms).  As
    in the example, U_M is computed from the conductances the soma actually
    has (outside the teacher window: from the steady-state teacher train).
    ``eta`` is NEST's 0.17 converted
    (:func:`dendrites.plasticity.prediction.nest_eta`); ``bounds='nest'``:
    the delivered weight is NEST's unbounded integral clipped to
    ``[w_min, w_max]`` (``w_min = 0`` is NEST's default ``Wmin``).
    "first"/"last" are the first and last pattern repetitions with the
    teacher on (``rmse_last10_mean``: mean over the last ten).
    """
    for key in ("n_inputs", "teacher_reps", "pre_reps"):
        _check_positive_int(key, p[key])
    if p.post_reps < 0:
        raise ModelError(f"Parameter 'post_reps' = {p.post_reps} must be >= 0.")
    ratio = float(p.teacher_interval / p.dt)
    if round(ratio) < 1 or abs(ratio - round(ratio)) > 1e-9:
        raise ModelError(f"Parameter 'teacher_interval' = {p.teacher_interval} must be a "
                         f"positive multiple of dt = {p.dt}.")
    rng = np.random.RandomState(ctx.seed)
    pat = float(p.pattern / second)
    dt = float(p.dt / second)
    steps = [np.unique(rng.randint(0, int(round(pat / dt)), n))
             for n in rng.poisson(float(p.input_rate * p.pattern), p.n_inputs)]
    idx = np.concatenate([np.full(s.size, k) for k, s in enumerate(steps)]).astype(int)
    times = np.concatenate(steps) * dt
    n_tot = p.pre_reps + p.teacher_reps + p.post_reps
    all_i = np.tile(idx, n_tot)
    all_t = (times[None, :] + pat * np.arange(n_tot)[:, None]).ravel()
    t_on, t_off = p.pre_reps * pat, (p.pre_reps + p.teacher_reps) * pat
    model = with_mechanism(presets.urbanczik_senn_2014(), "dendrite", DendriticPrediction())
    rule = UrbanczikSenn(eta=p.eta, tau_Delta=p.tau_Delta, w_min=p.w_min, w_max=p.w_max,
                         bounds=p.bounds)
    T_teach = float(p.teacher_period / ms)
    amp, off, g_i_step = (float(x / nS) for x in (p.teacher_E_amp, p.teacher_E_offset,
                                                  p.teacher_I))
    rec = list(range(0, p.n_inputs, max(1, p.n_inputs // 20)))
    with ctx.backend_scope(dt=p.dt) as be:
        neuron = model.build(1, name="us_neuron")
        inputs = SpikeGeneratorGroup(p.n_inputs, all_i, all_t * second, name="us_inputs")
        syn = connect(rule, inputs, neuron, model, "dendrite", "cur", w_init=p.w_init,
                      w_scale=p.w_scale, name="us_syn")
        teach = neuron.run_regularly(
            f"teach = int(t >= {t_on!r}*second and t < {t_off!r}*second)\n"
            f"g_exc_soma += teach*({amp!r}*nS*sin(2*pi*t/({T_teach!r}*ms)) + {off!r}*nS)\n"
            f"g_inh_soma += teach*{g_i_step!r}*nS", dt=p.teacher_interval, when="before_groups",
            name="us_teacher")
        vmon = StateMonitor(neuron, ["v_star_dendrite", "v_soma", "g_exc_soma", "g_inh_soma"],
                            record=0, dt=p.record_dt)
        wmon = StateMonitor(syn, "w", record=rec, dt=p.pattern)
        spikes = SpikeMonitor(neuron)
        net = Network(neuron, inputs, syn, teach, vmon, wmon, spikes)
        be.run(net, n_tot * p.pattern)
        be.finish()
        t = np.asarray(vmon.t / second)
        v_star = np.asarray(vmon.v_star_dendrite[0] / mV)
        u = np.asarray(vmon.v_soma[0] / mV)
        w = np.asarray(wmon.w)
        spike_t = np.asarray(spikes.t / second)
        g_e, g_i = (np.asarray(getattr(vmon, f"g_{k}_soma")[0] / nS) for k in ("exc", "inh"))
        E_E, E_I = (float(model.parameters()[f"E_{k}_soma"] / mV) for k in ("exc", "inh"))
    # outside the teacher window: the conductances of a teacher that is always on
    taus = [float(model.parameters()[f"tau_{k}_soma"] / second) for k in ("exc", "inh")]
    g_e_ss, g_i_ss = _steady_teacher(t, float(p.teacher_interval / second), taus,
                                     (amp, off, g_i_step), T_teach * 1e-3)
    on = (t >= t_on - 1e-9) & (t < t_off - 1e-9) & (g_e + g_i > 0)
    g_e, g_i = np.where(on, g_e, g_e_ss), np.where(on, g_i, g_i_ss)
    u_m = (g_e * E_E + g_i * E_I) / (g_e + g_i)

    def rep(k):
        return (t >= k * pat - 1e-9) & (t < (k + 1) * pat - 1e-9)

    first, last = rep(p.pre_reps), rep(p.pre_reps + p.teacher_reps - 1)
    rmse = {k: float(np.sqrt(np.mean((v_star[s] - u_m[s]) ** 2))) for k, s in
            (("first", first), ("last", last))}
    corr = {k: float(np.corrcoef(v_star[s], u_m[s])[0, 1]) for k, s in
            (("first", first), ("last", last))}
    last10 = [float(np.sqrt(np.mean((v_star[s] - u_m[s]) ** 2))) for s in
              (rep(k) for k in range(p.pre_reps + max(0, p.teacher_reps - 10),
                                     p.pre_reps + p.teacher_reps))]
    metrics = dict(corr_vstar_um_first=corr["first"], corr_vstar_um_last=corr["last"],
                   rmse_first=rmse["first"], rmse_last=rmse["last"],
                   rmse_reduction=1 - rmse["last"] / rmse["first"],
                   rmse_last10_mean=float(np.mean(last10)),
                   rate_teacher_hz=float(np.sum((spike_t >= t_on) & (spike_t < t_off))
                                         / (t_off - t_on)))
    if p.post_reps:
        after = rep(p.pre_reps + p.teacher_reps)
        metrics["corr_vstar_um_after"] = float(np.corrcoef(v_star[after], u_m[after])[0, 1])
        metrics["rmse_after"] = float(np.sqrt(np.mean((v_star[after] - u_m[after]) ** 2)))
        metrics["max_abs_u_minus_vstar_after_mV"] = float(np.max(np.abs(u[after] - v_star[after])))
    arrays = dict(t_s=t, v_star_mV=v_star, u_mV=u, u_m_mV=u_m, w=w, w_index=np.array(rec),
                  spike_t_s=spike_t, teacher_on_s=np.array([t_on, t_off]), pattern_s=np.array([pat]),
                  reps=np.array([p.pre_reps, p.teacher_reps, p.post_reps]))
    return metrics, arrays


# ---------------------------------------------------------------------------
def burst_poisson_train(rng, event_rate, p_burst, duration, event_refractory=0.020,
                        spike_refractory=0.004, jitter=0.010):
    """Burst-Poisson spike train of Payeur et al. 2021 (authors' ``PoissonBurstProtocol``).

    Events follow a Poisson process with dead time ``event_refractory``,
    rate ``event_rate/(1 - event_rate*event_refractory)`` so that the event
    rate is ``event_rate`` (Hz); each event is a burst with probability
    ``p_burst``: a second spike ``spike_refractory + U(0, jitter)`` later.
    Times in seconds.
    """
    rate = event_rate / (1 - event_rate * event_refractory)
    out, last = [], 0.0
    while True:
        last += event_refractory + rng.exponential(1.0 / rate)
        if last > duration:
            break
        out.append(last)
        if rng.uniform() < p_burst:
            last += spike_refractory + rng.uniform(0.0, jitter)
            if last > duration:
                break
            out.append(last)
    return np.array(out)


def zero_crossing(x, y):
    """First x where y changes sign from negative to positive (linear interpolation)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    for k in range(len(y) - 1):
        if y[k] < 0 <= y[k + 1]:
            return float(x[k] - y[k] * (x[k + 1] - x[k]) / (y[k + 1] - y[k]))
    return float("nan")


@protocol("burst-rule",
          "Payeur 2021 burst-Poisson protocol: pre and post burst-Poisson trains at event rate "
          "5 and 10 Hz, burst probability p; weight change of the adaptive burst rule vs p",
          dict(p_burst=[0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5],
               event_rates=[5 * Hz, 10 * Hz], duration=100 * second, realisations=20,
               eta=0.1, tau_pre=50 * ms, tau_avg=15 * second, P_init=0.2, burst_isi=16 * ms,
               dt=1 * ms),
          quick=dict(duration=30 * second, realisations=10,
                     p_burst=[0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]))
def burst_rule(p, ctx):
    """One relay neuron and one synapse per (event rate, p, realisation).

    The postsynaptic train is imposed (:class:`SpikeRelay`, one time step
    late), as in the authors' analysis scripts; ``P_bar`` starts at
    ``P_init`` and ``E_bar`` at the condition's event rate.
    """
    _check_positive_int("realisations", p.realisations)
    probs = np.asarray(p.p_burst, float)
    if np.any(probs < 0) or np.any(probs > 1):
        raise ModelError(f"Parameter 'p_burst' = {p.p_burst} must lie in [0, 1].")
    rates = [float(r / Hz) for r in p.event_rates]
    if min(rates) <= 0 or max(rates) * 0.020 >= 1:
        raise ModelError(f"Parameter 'event_rates' = {p.event_rates} must lie in (0, 50) Hz.")
    rng = np.random.RandomState(ctx.seed)
    dur, dt = float(p.duration / second), float(p.dt / second)
    conds = [(r, q, k) for r in rates for q in probs for k in range(p.realisations)]
    n = len(conds)
    pre_i, pre_t, post_i, post_t = [], [], [], []
    for j, (r, q, _) in enumerate(conds):
        for ids, ts in ((pre_i, pre_t), (post_i, post_t)):
            tr = np.unique(np.round(burst_poisson_train(rng, r, q, dur - 2 * dt) / dt)) * dt
            ids.append(np.full(tr.size, j))
            ts.append(tr)
    model = NeuronModel("burst-relay", (Compartment(
        "soma", 100 * pF, 10 * nS, channels=(current_channel("cur", 10 * ms),),
        mechanisms=(BurstDetector(p.burst_isi, p.tau_avg, rates[0] * Hz, p.P_init),)),),
        spike=SpikeRelay(), source="Payeur et al. 2021 burst-Poisson protocol (relay neuron)")
    rule = BurstRule(eta=p.eta, tau_pre=p.tau_pre, burst_isi=p.burst_isi)
    with ctx.backend_scope(dt=p.dt) as be:
        post = model.build(n, name="relay", dt=p.dt)
        post.E_bar_soma = np.array([c[0] for c in conds]) * Hz
        post.B_bar_soma = np.array([c[0] for c in conds]) * p.P_init * Hz
        gen_post = SpikeGeneratorGroup(n, np.concatenate(post_i), np.concatenate(post_t) * second,
                                       name="post_trains")
        drive = Synapses(gen_post, post, on_pre="relay_post = 1", name="relay_drive")
        drive.connect(j="i")
        gen_pre = SpikeGeneratorGroup(n, np.concatenate(pre_i), np.concatenate(pre_t) * second,
                                      name="pre_trains")
        syn = connect(rule, gen_pre, post, model, "soma", "cur", w_init=0.0, w_scale=0 * pA,
                      connect=dict(j="i"), name="burst_syn")
        net = Network(post, gen_post, drive, gen_pre, syn)
        be.run(net, p.duration)
        be.finish()
        dw = np.asarray(syn.w)[np.argsort(np.asarray(syn.i))]
        n_ev, n_bu = np.asarray(post.n_events_soma), np.asarray(post.n_bursts_soma)
    shape = (len(rates), len(probs), p.realisations)
    dw, p_meas = dw.reshape(shape), (n_bu / np.maximum(n_ev, 1)).reshape(shape)
    metrics = dict(p_burst=probs.tolist(), event_rates_hz=rates,
                   measured_burst_probability=p_meas.mean(axis=2).tolist(),
                   measured_event_rate_hz=(n_ev.reshape(shape).mean(axis=2) / dur).tolist())
    for r, row, sem in zip(rates, dw.mean(axis=2),
                           dw.std(axis=2, ddof=1) / np.sqrt(p.realisations)):
        tag = f"{r:g}hz"
        metrics[f"dw_{tag}"] = row.tolist()
        metrics[f"dw_sem_{tag}"] = sem.tolist()
        metrics[f"p_star_{tag}"] = zero_crossing(probs, row)
    return metrics, dict(p_burst=probs, event_rates_hz=np.array(rates), dw=dw)


# ---------------------------------------------------------------------------
@protocol("stp-paired-pulse",
          "Paired-pulse ratios of the depressing (feedforward) and facilitating (feedback) "
          "synapses of Payeur 2021 vs the closed form of the extended Tsodyks-Markram model",
          dict(isi=[5 * ms, 10 * ms, 20 * ms, 50 * ms, 100 * ms], t_first=10 * ms,
               w_scale=1 * nS, dt=0.1 * ms))
def stp_paired_pulse(p, ctx):
    """Each (synapse type, ISI) pair drives its own Payeur neuron.

    The efficacy of a spike is the conductance jump it causes, read by two
    monitors of ``g_ampa`` just before and just after the synaptic step.
    The STD pathway lands on the soma, the STF pathway on the apical dendrite.
    """
    isis = np.asarray([float(i / second) for i in p.isi])
    dt = float(p.dt / second)
    if np.any(isis <= dt) or abs(p.t_first / p.dt - round(float(p.t_first / p.dt))) > 1e-6:
        raise ModelError(f"Parameter 'isi' = {p.isi} must exceed dt = {p.dt} (and t_first "
                         f"must be a multiple of dt).")
    model, m = presets.payeur_2021(), len(isis)
    t1 = float(p.t_first / second)
    idx = np.concatenate([np.arange(m), np.arange(m)])
    times = np.concatenate([np.full(m, t1), t1 + np.round(isis / dt) * dt])
    kinds = (("std", std_feedforward(), "soma"), ("stf", stf_feedback(), "apical"))
    with ctx.backend_scope(dt=p.dt) as be:
        post = model.build(2 * m, name="stp_post", dt=p.dt)
        objs, jumps = [post], {}
        for k, (tag, stp, comp) in enumerate(kinds):
            gen = SpikeGeneratorGroup(m, idx, times * second, name=f"pairs_{tag}")
            syn = connect(FixedWeight(), gen, post, model, comp, "ampa", w_init=1.0,
                          w_scale=p.w_scale, stp=stp, connect=dict(j=f"i + {k * m}"),
                          name=f"syn_{tag}")
            var = f"g_ampa_{comp}"
            before = StateMonitor(post, var, record=range(k * m, (k + 1) * m),
                                  when="before_synapses", name=f"before_{tag}")
            after = StateMonitor(post, var, record=range(k * m, (k + 1) * m),
                                 when="after_synapses", name=f"after_{tag}")
            objs += [gen, syn, before, after]
            jumps[tag] = (after, before, var)
        net = Network(*objs)
        be.run(net, p.t_first + float(isis.max()) * second + 5 * p.dt)
        be.finish()
        t = np.asarray(jumps["std"][0].t / second)
        out = {}
        for tag, (after, before, var) in jumps.items():
            out[tag] = np.asarray(getattr(after, var) / p.w_scale - getattr(before, var) / p.w_scale)
    steps = np.round(t / dt).astype(int)
    first = np.flatnonzero(steps == round(t1 / dt))[0]
    metrics = dict(isi_ms=(isis * 1e3).tolist())
    for tag, stp, _ in kinds:
        second_idx = [np.flatnonzero(steps == round(t1 / dt) + round(d / dt))[0] for d in isis]
        e1 = out[tag][np.arange(m), first]
        e2 = out[tag][np.arange(m), second_idx]
        metrics[f"ppr_{tag}"] = (e2 / e1).tolist()
        metrics[f"efficacy_first_{tag}"] = e1.tolist()
        metrics[f"ppr_{tag}_closed_form"] = paired_pulse_ratio(
            np.round(isis / dt) * dt, stp.U, stp.f, stp.tau_D, stp.tau_F).tolist()
        metrics[f"max_rel_error_{tag}"] = float(np.max(np.abs(
            np.array(metrics[f"ppr_{tag}"]) / np.array(metrics[f"ppr_{tag}_closed_form"]) - 1)))
    return metrics, dict(isi_ms=isis * 1e3)
