"""Single-neuron protocols: passive transfer, f-I curves, bAP attenuation, burst induction.

Each protocol builds all its conditions into one network (one neuron per
condition), so that a ``cpp_standalone`` run compiles once.
"""

import numpy as np
from brian2 import Network, SpikeMonitor, StateMonitor, mV, ms, nS, pA, pF, second

from dendrites import presets
from dendrites.errors import ModelError

from .analysis import burst_statistics, exp_decay_tau
from .registry import Compiled, compiled_protocol, protocol

__all__ = ["passive_transfer", "fi_curve", "bap", "burst_induction"]


def _steps(be, net, group, settle, *stages):
    """Run *settle*, then each ``(duration, {var: values})`` stage."""
    be.run(net, settle)
    for duration, values in stages:
        for var, val in values.items():
            setattr(group, var, val)
        be.run(net, duration)


# ---------------------------------------------------------------------------
#: passive-transfer parameters a cpp_standalone build takes through run_args
PASSIVE_RUN_PARAMS = ("C_soma", "C_basal", "C_apical", "g_L_soma", "g_L_basal", "g_L_apical",
                      "g_B", "g_A")


def _passive_model(p):
    model = presets.pyramidal(3, C_soma=p.C_soma, g_L_soma=p.g_L_soma, g_basal=p.g_B,
                              g_apical=p.g_A, E_L=p.E_L, name="passive-3c")
    return model.with_params(C_basal=p.C_basal, C_apical=p.C_apical, g_L_basal=p.g_L_basal,
                             g_L_apical=p.g_L_apical)


@compiled_protocol("passive-transfer",
                   "Current step into each compartment of a passive 3-compartment neuron; "
                   "steady-state transfer matrix and slowest time constant vs the closed form",
                   dict(C_soma=100 * pF, C_basal=100 * pF, C_apical=100 * pF, g_L_soma=10 * nS,
                        g_L_basal=10 * nS, g_L_apical=10 * nS, g_B=100 * nS, g_A=80 * nS,
                        E_L=-70 * mV, amplitude=50 * pA, t_settle=20 * ms, t_step=200 * ms,
                        t_after=100 * ms, dt=0.025 * ms),
                   quick=dict(t_step=150 * ms, t_after=80 * ms),
                   run_params=PASSIVE_RUN_PARAMS)
def passive_transfer(p, be):
    """Sacramento-style passive neuron (both-way coupling) in physical units.

    Capacitances, leak and coupling conductances are state variables: a
    ``cpp_standalone`` sweep over them re-runs one build (``E_L`` sets the
    initial voltage and the stimulus is set between stages, so ``E_L`` and
    ``amplitude`` define model variants).
    """
    model = _passive_model(p)
    comps = model.compartment_names
    n = len(comps)
    group = model.build(n, name="passive", dt=p.dt)
    mon = StateMonitor(group, [f"v_{c}" for c in comps], record=True)
    net = Network(group, mon)
    on = {f"I_ext_{c}": np.where(np.arange(n) == i, 1.0, 0.0) * p.amplitude
          for i, c in enumerate(comps)}
    off = {f"I_ext_{c}": 0 * pA for c in comps}

    def run(be):
        _steps(be, net, group, p.t_settle, (p.t_step, on), (p.t_after, off))

    def run_args(q):
        return {group.C_soma: q.C_soma, group.C_basal: q.C_basal, group.C_apical: q.C_apical,
                group.g_L_soma: q.g_L_soma, group.g_L_basal: q.g_L_basal,
                group.g_L_apical: q.g_L_apical, group.g_soma_basal: q.g_B,
                group.g_soma_apical: q.g_A}

    def collect(q):
        t = np.asarray(mon.t / ms)
        v = np.stack([np.asarray(getattr(mon, f"v_{c}") / mV) for c in comps], axis=1)
        rest = float(q.E_L / mV)
        t_off = float((q.t_settle + q.t_step) / ms)
        window = (t > t_off - 10) & (t <= t_off)
        steady = v[:, :, window].mean(axis=2) - rest          # injected x recorded
        C, A = _passive_model(q).passive_system()
        theory = np.linalg.solve(A, np.diag(float(q.amplitude) / C)).T / 1e-3
        taus = [exp_decay_tau(t, v[i, i] - rest, t_off) for i in range(n)]
        tau_theory = 1e3 / np.min(np.linalg.eigvals(A).real)
        rel = np.abs(steady - theory) / np.abs(theory).max()
        metrics = dict(compartments=list(comps), steady_state_mV=steady.tolist(),
                       steady_state_theory_mV=theory.tolist(),
                       max_rel_error_steady_state=float(rel.max()),
                       input_resistance_MOhm=(np.diag(steady) / float(q.amplitude / pA)
                                              * 1e3).tolist(),
                       time_constants_ms=taus, time_constant_theory_ms=float(tau_theory))
        return metrics, dict(t_ms=t, v_mV=v)

    return Compiled(net, None, run_args, collect, run=run)


# ---------------------------------------------------------------------------
# Largest somatic current per preset: about twice the rheobase, or up to
# saturation for the sigmoidal-rate neurons (whose soma is clamped by a large
# one-way dendritic conductance in Urbanczik & Senn).
FI_RANGES = {"clopath-2010": 1000 * pA, "payeur-2021": 1000 * pA, "payeur-2021-pv": 600 * pA,
             "payeur-2021-sst": 200 * pA, "bono-clopath-2017": 4000 * pA,
             "urbanczik-senn-2014": 20000 * pA, "guerguiev-2017": 300 * pA}


@protocol("fi-curve", "Somatic current steps for each spiking preset: firing rate vs current",
          dict(presets=list(FI_RANGES), current_scale=1.0, n_currents=11, duration=1000 * ms,
               t_skip=100 * ms, replicates=20, dt=0.05 * ms),
          quick=dict(duration=500 * ms))
def fi_curve(p, ctx):
    """Currents run from 0 to ``current_scale`` times the preset's range (FI_RANGES).

    Rates are counted after ``t_skip`` (onset transient excluded); presets
    that spike stochastically (escape rate) are averaged over ``replicates``
    neurons per current.
    """
    from dendrites.mechanisms import EscapeRate

    for name in p.presets:
        presets.get(name)
    if p.replicates < 1:
        raise ModelError(f"Parameter 'replicates' = {p.replicates} must be at least 1.")
    frac = np.linspace(0, 1, p.n_currents)
    currents = {name: frac * float(FI_RANGES[name] / pA) * p.current_scale for name in p.presets}
    with ctx.backend_scope(dt=p.dt) as be:
        mons, reps = {}, {}
        for k, name in enumerate(p.presets):
            model = presets.get(name)
            reps[name] = p.replicates if isinstance(model.spike, EscapeRate) else 1
            g = model.build(p.n_currents * reps[name], name=f"fi_{k}", dt=p.dt)
            g.I_ext_soma = np.repeat(currents[name], reps[name]) * pA
            mons[name] = SpikeMonitor(g)
        net = Network(*mons.values(), *(m.source for m in mons.values()))
        be.run(net, p.duration)
        be.finish()
        rates = {}
        for name, mon in mons.items():
            t, i = np.asarray(mon.t / second), np.asarray(mon.i)
            keep = t >= float(p.t_skip / second)
            counts = np.bincount(i[keep] // reps[name], minlength=p.n_currents) / reps[name]
            rates[name] = (counts / float((p.duration - p.t_skip) / second)).tolist()
    metrics = dict(presets=list(p.presets),
                   current_pA={k: v.tolist() for k, v in currents.items()}, rate_hz=rates)
    return metrics, {f"current_pA_{k}": v for k, v in currents.items()}


# ---------------------------------------------------------------------------
@protocol("bap", "Somatic spike from a brief current; peak depolarisation per compartment "
          "of a 4-compartment AdEx pyramidal neuron (bAP attenuation)",
          dict(amplitude=6000 * pA, pulse=2 * ms, t_settle=20 * ms, t_record=40 * ms,
               dt=0.025 * ms, g_B=100 * nS, g_A=80 * nS, g_trunk_tuft=40 * nS))
def bap(p, ctx):
    """Attenuation is compared with the electrotonic distance from the soma."""
    model = presets.pyramidal(4, C_soma=281 * pF, g_L_soma=30 * nS, E_L=-70.6 * mV,
                              g_basal=p.g_B, g_apical=p.g_A, g_trunk_tuft=p.g_trunk_tuft,
                              spike=presets.clopath_2010().spike, name="clopath-2010-4c")
    comps = model.compartment_names
    with ctx.backend_scope(dt=p.dt) as be:
        group = model.build(1, name="bap", dt=p.dt)
        mon = StateMonitor(group, [f"v_{c}" for c in comps], record=0)
        spikes = SpikeMonitor(group)
        net = Network(group, mon, spikes)
        _steps(be, net, group, p.t_settle, (p.pulse, {"I_ext_soma": p.amplitude}),
               (p.t_record, {"I_ext_soma": 0 * pA}))
        be.finish()
        t = np.asarray(mon.t / ms)
        v = np.stack([np.asarray(getattr(mon, f"v_{c}")[0] / mV) for c in comps])
        n_spikes = int(spikes.num_spikes)
    rest = float(model.parameters()["E_L_soma"] / mV)
    after = t >= float(p.t_settle / ms)
    peak = (v[:, after].max(axis=1) - rest).tolist()
    C, A = model.passive_system()
    dc = np.linalg.solve(A, np.eye(len(comps))[:, 0] / C[0])
    attenuation = (dc / dc[0]).tolist()     # steady-state transfer from the soma
    return (dict(compartments=list(comps), peak_depolarisation_mV=dict(zip(comps, peak)),
                 steady_state_attenuation=dict(zip(comps, attenuation)), n_spikes=n_spikes),
            dict(t_ms=t, v_mV=v))


# ---------------------------------------------------------------------------
@protocol("burst-induction", "Payeur neuron: somatic step alone vs somatic plus apical step; "
          "event rate and burst probability (burst multiplexing)",
          dict(n_neurons=100, I_soma=400 * pA, I_apical=200 * pA, noise_soma=150 * pA,
               noise_apical=150 * pA, noise_tau=5 * ms, duration=2000 * ms, t_skip=200 * ms,
               burst_isi=16 * ms, dt=0.1 * ms),
          quick=dict(n_neurons=40, duration=1500 * ms))
def burst_induction(p, ctx):
    """Both conditions get the same somatic step and independent OU noise."""
    n = int(p.n_neurons)
    if n < 1:
        raise ModelError(f"Parameter 'n_neurons' = {n} must be at least 1.")
    model = presets.payeur_2021(noise=(p.noise_soma, p.noise_apical, p.noise_tau))
    with ctx.backend_scope(dt=p.dt) as be:
        group = model.build(2 * n, name="payeur", dt=p.dt)
        group.I_ext_soma = p.I_soma
        group.I_ext_apical = np.r_[np.zeros(n), np.ones(n)] * p.I_apical
        mon = SpikeMonitor(group)
        net = Network(group, mon)
        be.run(net, p.duration)
        be.finish()
        t, i = np.asarray(mon.t / second), np.asarray(mon.i)
    keep = t >= float(p.t_skip / second)
    span = float((p.duration - p.t_skip) / second)
    stats = {}
    for label, ids in (("soma_only", range(n)), ("soma_and_apical", range(n, 2 * n))):
        trains = [t[keep & (i == k)] for k in ids]
        stats[label] = burst_statistics(trains, float(p.burst_isi / second), span)
    metrics = dict(conditions=list(stats),
                   event_rate_hz={k: v["event_rate_hz"] for k, v in stats.items()},
                   burst_probability={k: v["burst_probability"] for k, v in stats.items()},
                   firing_rate_hz={k: v["firing_rate_hz"] for k, v in stats.items()})
    e0, e1 = (metrics["event_rate_hz"][k] for k in stats)
    b0, b1 = (metrics["burst_probability"][k] for k in stats)
    metrics.update(burst_probability_increase=b1 - b0,
                   event_rate_relative_change=(e1 - e0) / e0 if e0 > 0 else None)
    return metrics, dict(spike_t_s=t, spike_i=i)
