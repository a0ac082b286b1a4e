"""Reward-driven learning: AGREL beside the four-factor gate, and disinhibitory gating.

``learn-agrel``
    AGREL (Roelfsema & van Ooyen 2005) learns XOR with a stochastic winner
    and a global RPE; the four-factor gated variant (Roelfsema & Holtmaat
    2018) runs beside it on the same seeds, inputs and initial weights
    (SCIENCE.md section 7, target A18).  Rate model and spiking network
    (:mod:`circuits.agrel`).
``disinhibitory-gate``
    Williams & Holtmaat 2018: higher-order input onto VIP cells silences the
    SST cells that inhibit the apical dendrite, and only then does the pairing
    of basal input with somatic and apical activity potentiate the basal
    synapses (:mod:`circuits.disinhibition`).
"""

import time
from dataclasses import fields

import numpy as np
from brian2 import Hz, Network, mV, ms, nS, pA, second

from circuits.agrel import VARIANTS, AGRELConfig, RateAGREL, SpikingAGREL
from circuits.disinhibition import GateConfig, build_gate_circuit
from dendrites.errors import ModelError, check_choice

from . import tasks
from .registry import protocol

__all__ = ["learn_agrel", "disinhibitory_gate", "TASKS", "GATE_CONDITIONS"]

#: tasks learn-agrel accepts (protocols.tasks functions)
TASKS = ("xor",)


def _dataset(name):
    check_choice("task", name, TASKS)
    return getattr(tasks, name)()


def _config(p, data, variant):
    """The shared network description; layer sizes must match the task."""
    n_in, n_out = data.x_train.shape[1], int(data.n_classes)
    if p.n_in != n_in or p.n_out != n_out:
        raise ModelError(f"Parameters 'n_in' = {p.n_in} and 'n_out' = {p.n_out} do not match task "
                         f"'{data.name}', which has {n_in} inputs and {n_out} classes.")
    return AGRELConfig(n_in=p.n_in, n_hidden=p.n_hidden, n_out=p.n_out, variant=variant,
                       beta=p.beta, w_init=p.w_init, w_bound=p.w_bound,
                       n_per_input=p.n_per_input, n_per_unit=p.n_per_unit, phi_in=p.phi_in,
                       t_settle=p.t_settle, t_decide=p.t_decide, t_learn=p.t_learn).check()


def _check(p):
    for key in ("n_trials", "n_trials_rate", "n_test", "n_probe", "n_probe_rate", "n_seeds",
                "n_seeds_rate"):
        if isinstance(p[key], bool) or p[key] < 1:
            raise ModelError(f"Parameter '{key}' = {p[key]!r} must be a positive integer.")
    for key in ("n_probe", "n_probe_rate"):
        if p[key] % 4:
            raise ModelError(f"Parameter '{key}' = {p[key]} must be a multiple of 4 "
                             "(equal presentations of the four patterns).")
    unknown = [v for v in p.variants if v not in VARIANTS]
    if unknown or not p.variants:
        raise ModelError(f"Parameter 'variants' = {p.variants!r}: unknown variant(s) "
                         f"{unknown}; allowed: {', '.join(VARIANTS)}.")


def _corr(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else 0.0


def _probe_order(data, n_probe):
    return np.tile(np.arange(len(data.y_train)), n_probe // len(data.y_train) + 1)[:n_probe]


def _rate_seed(p, data, seed):
    """Rate model, both variants from the same weights and trial order."""
    X, labels = data.x_train, data.y_train
    rng = np.random.default_rng(seed)
    weights = _config(p, data, "agrel").init_weights(rng)
    order = rng.integers(0, len(labels), p.n_trials_rate)
    probe = _probe_order(data, p.n_probe_rate)
    out = {}
    for v in p.variants:
        net = RateAGREL(_config(p, data, v), np.random.default_rng(seed + 1000), weights)
        dV = np.mean([net.trial(X[k], labels[k], learn=False)[1] for k in probe], axis=0)
        bp = np.mean([net.backprop_update(X[k], labels[k]) for k in probe], axis=0)
        rewards = net.train(X, labels, order)
        out[v] = dict(accuracy=net.accuracy(X, labels), corr=_corr(dV, bp), rewards=rewards)
    return out


def _spiking_seed(p, data, ctx, r):
    """Spiking network, both variants side by side (same inputs, weights, trial order)."""
    X, labels = data.x_train, data.y_train
    seed = ctx.seed + r
    rng = np.random.default_rng(seed)
    configs = [_config(p, data, v) for v in p.variants]
    weights = configs[0].init_weights(rng)
    order = rng.integers(0, len(labels), p.n_trials)
    probe = _probe_order(data, p.n_probe)
    test = np.tile(np.arange(len(labels)), p.n_test)
    with ctx.backend_scope(dt=p.dt, seed_offset=r) as be:
        net = SpikingAGREL(configs, np.random.default_rng(seed + 1000), weights, p.dt)
        ref = RateAGREL(configs[0], None, weights)
        bp = np.mean([ref.backprop_update(X[k], labels[k]) for k in probe], axis=0)
        rec_probe = net.run(be, X, labels, probe, freeze_hidden=True)
        rec_train = net.run(be, X, labels, order)
        rec_test = net.run(be, X, labels, test, learn=False)
        be.finish()
    out = {}
    for k, v in enumerate(p.variants):
        dV = rec_probe[k]["dV"].mean(axis=0)
        out[v] = dict(accuracy=float(rec_test[k]["rewarded"].mean()), corr=_corr(dV, bp),
                      rewards=rec_train[k]["rewarded"], dV=dV, bp=bp,
                      V_final=net.effective_V(k))
    return out


def _curve(rewards, window):
    r = np.asarray(rewards, float)
    w = min(window, r.size)
    return np.convolve(r, np.ones(w) / w, mode="valid")


@protocol("learn-agrel",
          "AGREL learns XOR (stochastic winner, global RPE, signed attentional feedback); the "
          "four-factor gated variant runs beside it on the same seeds (rate and spiking)",
          dict(task="xor", n_in=2, n_out=2, n_hidden=8, variants=["agrel", "gated"], beta=0.2,
               w_init=2.0, w_bound=20.0, n_trials=3000, n_trials_rate=3000, n_test=10,
               n_probe=400, n_probe_rate=2000, n_seeds=5, n_seeds_rate=20, n_per_input=10,
               n_per_unit=10, phi_in=100 * Hz, t_settle=40 * ms, t_decide=30 * ms,
               t_learn=20 * ms, dt=0.5 * ms, window=100),
          quick=dict(n_trials=1500, n_seeds=1, n_probe=80, n_test=5, n_seeds_rate=5))
def learn_agrel(p, ctx):
    """Rate model (``n_seeds_rate`` seeds) and spiking network (``n_seeds`` seeds).

    Per seed: probe of the expected hidden update at the initial weights
    (``n_probe`` trials, equal per pattern, weights restored after each),
    correlated with the softmax cross-entropy backprop update over the same
    patterns (``update_corr_with_backprop``); ``n_trials`` training trials;
    a greedy test, ``n_test`` presentations per pattern without plasticity
    (``accuracy``).  The spiking run needs a runtime backend (the winner is
    drawn between the phases of a trial by a ``network_operation``).
    """
    _check(p)
    data = _dataset(p.task)
    for v in p.variants:
        _config(p, data, v)
    if ctx.backend.endswith("_standalone"):
        raise ModelError(f"Backend '{ctx.backend}' cannot run learn-agrel: the winner is drawn "
                         "between trial phases in Python; allowed: numpy, cython.")
    t0 = time.perf_counter()
    rate = [_rate_seed(p, data, ctx.seed + r) for r in range(p.n_seeds_rate)]
    t_rate = time.perf_counter() - t0
    spk = [_spiking_seed(p, data, ctx, r) for r in range(p.n_seeds)]
    t_spk = time.perf_counter() - t0 - t_rate
    per = lambda runs, key: {v: [s[v][key] for s in runs] for v in p.variants}  # noqa: E731
    mean = lambda d: {v: float(np.mean(x)) for v, x in d.items()}  # noqa: E731
    acc, corr = per(spk, "accuracy"), per(spk, "corr")
    acc_r, corr_r = per(rate, "accuracy"), per(rate, "corr")
    last = {v: [float(np.mean(s[v]["rewards"][-p.window:])) for s in spk] for v in p.variants}
    metrics = dict(accuracy=mean(acc), accuracy_per_seed=acc,
                   update_corr_with_backprop=mean(corr), update_corr_per_seed=corr,
                   accuracy_rate=mean(acc_r), accuracy_rate_per_seed=acc_r,
                   update_corr_with_backprop_rate=mean(corr_r), update_corr_rate_per_seed=corr_r,
                   reward_last_window=last,
                   seeds_at_95=sum(a >= 0.95 for a in acc.get("agrel", [])),
                   wall_rate_s=t_rate, wall_spiking_s=t_spk)
    arrays = {}
    for v in p.variants:
        arrays[f"curve_{v}"] = np.array([_curve(s[v]["rewards"], p.window) for s in spk])
        arrays[f"curve_rate_{v}"] = np.array([_curve(s[v]["rewards"], p.window) for s in rate])
        arrays[f"dV_{v}"] = spk[0][v]["dV"]
    arrays["dV_backprop"] = spk[0][p.variants[0]]["bp"]
    return metrics, arrays


# ---------------------------------------------------------------------------
#: (label, higher-order input on, apical drive on)
GATE_CONDITIONS = (("ho+apical", True, True), ("apical", False, True),
                   ("ho", True, False), ("none", False, False))

GATE = dict(n_basal=20, basal_rate=10 * Hz, w_basal=1.0 * nS, w_init=0.5, n_apical=40,
            apical_rate=20 * Hz, w_apical_ampa=2.0 * nS, w_apical_nmda=4.0 * nS, n_sst=10,
            I_sst=100 * pA, w_sst=80 * nS, n_vip=10, I_vip=0 * pA, w_vip=6 * nS, n_ho=20,
            ho_rate=30 * Hz, w_ho=1.5 * nS, A_LTP=8e-5, A_LTD=14e-5)


def _gate_config(p):
    return GateConfig(**{f.name: p[f.name] for f in fields(GateConfig)}).check()


def _per_condition(spike_mon, per, n, duration):
    idx = np.asarray(spike_mon.i) // per
    return np.bincount(idx, minlength=n) / (per * float(duration / second))


@protocol("disinhibitory-gate",
          "Higher-order input onto VIP cells silences SST inhibition of the apical dendrite; "
          "the same basal/apical pairing then gives basal LTP (Clopath rule), without it little "
          "or none (Williams & Holtmaat 2018)",
          dict(GATE, duration=2000 * ms, dt=0.1 * ms, ltp_min=0.03, gate_max=0.2),
          quick=dict(duration=1000 * ms))
def disinhibitory_gate(p, ctx):
    """Four circuits (conditions) in one network, same basal and apical spike trains.

    Conditions: higher-order input on/off crossed with apical drive on/off
    (:data:`GATE_CONDITIONS`).  ``dw`` is the mean relative change of the
    plastic basal weights over the run (``(w - w_init)/w_init``);
    ``apical_mV`` the mean apical voltage above rest.  The gate is open when
    ``dw_with_higher_order >= ltp_min`` (LTP) and closed when
    ``|dw_without| <= gate_max * dw_with_higher_order`` (little or none);
    ``gate_met`` records both.
    """
    config = _gate_config(p)
    for key in ("ltp_min", "gate_max"):
        if not 0 < p[key] < 1:
            raise ModelError(f"Parameter '{key}' = {p[key]!r} must lie in (0, 1).")
    if p.duration <= 0 * ms:
        raise ModelError(f"Parameter 'duration' = {p.duration} must be positive.")
    labels = [c[0] for c in GATE_CONDITIONS]
    ho = np.array([c[1] for c in GATE_CONDITIONS])
    apical = np.array([c[2] for c in GATE_CONDITIONS])
    n = len(labels)
    with ctx.backend_scope(dt=p.dt) as be:
        objs, parts = build_gate_circuit(config, ho, apical, p.dt)
        be.run(Network(*objs), p.duration)
        be.finish()
        w, j = np.asarray(parts["plastic"].w), np.asarray(parts["plastic"].j)
        dw = np.bincount(j, weights=w - config.w_init, minlength=n) / np.bincount(j, minlength=n)
        dw = dw / config.w_init
        st = parts["state"]
        rest = float(parts["model"].parameters()["E_L_apical"] / mV)
        v_ap = np.asarray(st.v_apical / mV)
        v_soma = np.asarray(st.v_soma / mV)
        t = np.asarray(st.t / ms)
        sst = _per_condition(parts["sst_spikes"], config.n_sst, n, p.duration)
        vip = _per_condition(parts["vip_spikes"], config.n_vip, n, p.duration)
        pyr = _per_condition(parts["pyr_spikes"], 1, n, p.duration)
    per = lambda x: dict(zip(labels, np.asarray(x, float).tolist()))  # noqa: E731
    with_ho, without = float(dw[0]), float(dw[1])
    ratio = without / with_ho if with_ho else None
    metrics = dict(conditions=labels, dw_with_higher_order=with_ho, dw_without=without,
                   dw=per(dw), apical_mV=per(v_ap.mean(axis=1) - rest),
                   sst_rate_hz=per(sst), vip_rate_hz=per(vip), pyramid_rate_hz=per(pyr),
                   gate_ratio=ratio, ltp=bool(with_ho >= p.ltp_min),
                   gate_met=bool(with_ho >= p.ltp_min and abs(without) <= p.gate_max * with_ho))
    return metrics, dict(t_ms=t, v_apical_mV=v_ap, v_soma_mV=v_soma, dw=dw,
                         ho_on=ho, apical_on=apical)
