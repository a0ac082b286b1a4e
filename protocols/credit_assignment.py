"""The hypothesis test: signed credit against a gate, on one spiking network.

``credit-assignment`` trains the network of :mod:`circuits.credit` with
each credit channel in turn (S1 plateau difference, S2 burst deviation, S3
interneuron subtraction, G1 four-factor gate, G2 AGREL, P1 node
perturbation; BP exact backprop of the rate model as the reference) on a
teacher-student classification task, and measures (SCIENCE.md sections 1, 8
and 14; issue 5):

- learning time: examples until the test accuracy of the learned weights
  (read out through the rate model, ``argmax`` of the expected outputs)
  first reaches the criterion, against hidden width K (at M outputs =
  ``outputs_for_widths``) and against M (at K = ``width_for_outputs``).  The
  criterion removes a fixed fraction ``criterion`` of the chance error:
  accuracy >= 1/M + criterion (1 - 1/M).  Every channel gets the same grid
  of hidden learning rates (``etas``) and seeds; per channel and size the
  rate with the smallest median over seeds is reported (runs that miss the
  criterion within ``max_examples`` count as censored: infinite for the
  median, ``null`` in the metrics, never dropped).  The output layer learns
  by the same delta rule in every channel, at the rate ``eta_out *
  eta_out_width / K`` (its step sums over K hidden activities; without the
  1/K the read-out of 256 frozen features alone reached the criterion, median
  700 examples, as fast as the signed channels).
- estimator quality at the initial weights, per K: a probe stimulus is
  presented ``n_repeats`` times with plasticity frozen; single-trial and
  trial-averaged angle between the hidden update ``delta_j pre_i`` and
  backprop's, the fraction of hidden neurons whose update sign matches
  backprop's in one trial, and the relative variance (summed variance of the
  update over repeats divided by the squared norm of its mean).

The task: inputs ``x ~ U(0, 1)^N``; a teacher with ``teacher_hidden`` tanh
units of sharp random projections (``teacher_scale``) and M random output
weights labels each input by its largest output.  The hidden weights start
small enough that the hidden layer is nearly linear, so frozen random
features cannot solve it: the output-only learner (rate model) is reported
beside the channels as the check.
"""

import time

import numpy as np
from brian2 import ms

from circuits.credit import (
    CHANNEL_NAMES,
    CHANNELS,
    CreditConfig,
    RateCredit,
    SpikingCredit,
    init_weights,
)
from dendrites.errors import ModelError, check_choice

from .progress import Progress
from .registry import protocol

__all__ = [
    "best_rate",
    "criterion_accuracy",
    "examples_to_criterion",
    "probe_metrics",
    "scaling_slope",
    "teacher_task",
]


def teacher_task(n_in, n_out, n_teacher, scale, n_train, n_test, rng):
    """``(X_train, y_train, X_test, y_test)`` of a random teacher (labels = its argmax output)."""
    A = rng.standard_normal((n_teacher, n_in)) * scale / np.sqrt(n_in)
    C = rng.standard_normal((n_out, n_teacher))

    def label(x):
        return np.argmax(np.tanh((x - 0.5) @ A.T) @ C.T, axis=1)

    X = rng.uniform(0.0, 1.0, (n_train + n_test, n_in))
    y = label(X)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def criterion_accuracy(criterion, n_out):
    """Test accuracy that removes the fraction *criterion* of the chance error."""
    return 1.0 / n_out + criterion * (1.0 - 1.0 / n_out)


def examples_to_criterion(curve, threshold, eval_every):
    """Examples at the first evaluation with accuracy >= *threshold*; None when censored."""
    hit = np.flatnonzero(np.asarray(curve) >= threshold)
    return int(hit[0] * eval_every) if hit.size else None


def best_rate(examples, etas):
    """Index of the rate with the smallest median over seeds (censored = inf) and that median.

    *examples*: ``(n_etas, n_seeds)`` with None for censored runs.
    """
    vals = np.array([[np.inf if v is None else v for v in row] for row in examples], float)
    med = np.median(vals, axis=1)
    k = int(np.argmin(med))                # first minimum: the smallest such rate
    return k, (None if not np.isfinite(med[k]) else float(med[k]))


def _angle(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 90.0
    return float(np.degrees(np.arccos(np.clip(np.dot(a.ravel(), b.ravel()) / (na * nb),
                                              -1.0, 1.0))))


def probe_metrics(delta, pre, delta_bp, x):
    """Angle, sign agreement and relative variance of single-trial updates of one stimulus.

    The relative variance is the summed variance over repeats divided by an
    unbiased estimate of the squared norm of the mean update (None when that
    estimate is not positive: no mean update detectable in the repeats).

    *delta* ``(n_rep, K)``, *pre* ``(n_rep, N+1)``: the channel's trials;
    *delta_bp* ``(K,)`` and *x* ``(N+1,)`` backprop's signal and input.
    """
    dW = delta[:, :, None] * pre[:, None, :]
    bp = delta_bp[:, None] * x[None, :]
    mean = dW.mean(axis=0)
    single = float(np.mean([_angle(d, bp) for d in dW]))
    sign = float(np.mean(np.sign(delta) == np.sign(delta_bp)[None]))
    n = dW.shape[0]
    var = float(dW.var(axis=0, ddof=1).sum())
    m2 = float((mean ** 2).sum()) - var / n        # unbiased squared norm of the mean
    return dict(angle_single=single, angle_mean=_angle(mean, bp), sign=sign,
                relvar=var / m2 if m2 > 0 else None)


def scaling_slope(sizes, examples):
    """Slope of log(examples) against log(size) over uncensored points (None if < 2)."""
    pts = [(s, e) for s, e in zip(sizes, examples) if e is not None and e > 0]
    if len(pts) < 2:
        return None
    s, e = np.log(np.array(pts, float)).T
    return float(np.polyfit(s, e, 1)[0])


DEFAULTS = dict(
    channels=list(CHANNELS), n_in=30, teacher_hidden=3, teacher_scale=6.0,
    widths=[16, 64, 256], outputs=[2, 4, 8], width_for_outputs=64, outputs_for_widths=2,
    etas=[0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0], n_seeds=3, max_examples=3000,
    eval_every=100, criterion=0.6, n_test=500, n_probe=4, n_repeats=20, dt=1 * ms,
    feedback="symmetric", eta_out=0.3, eta_out_width=16, w_init=1.0, v_init=0.5,
    sigma_pert=0.5, beta=4.0, burst_gain=4.0)
QUICK = dict(widths=[16, 64], outputs=[2, 4], etas=[0.1, 1.0, 10.0, 100.0], n_seeds=2,
             max_examples=1000, eval_every=100, n_test=300, n_probe=2, n_repeats=10)


def _check(p):
    chans = list(p.channels)
    if not chans:
        raise ModelError("Parameter 'channels' must name at least one channel; allowed: "
                         f"{', '.join(CHANNELS)}.")
    for ch in chans:
        check_choice("channels", ch, CHANNELS)
    for key in ("widths", "outputs", "etas"):
        if len(p[key]) < 1:
            raise ModelError(f"Parameter '{key}' must list at least one value.")
    for key in ("widths", "outputs"):
        for v in p[key]:
            if isinstance(v, bool) or int(v) != v or v < (2 if key == "outputs" else 1):
                raise ModelError(f"Parameter '{key}' has {v!r}; sizes must be integers "
                                 f"{'>= 2' if key == 'outputs' else '>= 1'}.")
    for v in p.etas:
        if not np.isfinite(v) or v <= 0:
            raise ModelError(f"Parameter 'etas' has {v!r}; learning rates must be positive.")
    for key in ("n_seeds", "max_examples", "eval_every", "n_test", "n_probe", "n_repeats",
                "n_in", "teacher_hidden", "width_for_outputs", "eta_out_width"):
        if isinstance(p[key], bool) or int(p[key]) != p[key] or p[key] < 1:
            raise ModelError(f"Parameter '{key}' = {p[key]!r} must be a positive integer.")
    if p.n_repeats < 2:
        raise ModelError(f"Parameter 'n_repeats' = {p.n_repeats} must be at least 2 (a variance).")
    if not 0 < p.criterion < 1:
        raise ModelError(f"Parameter 'criterion' = {p.criterion} must lie in (0, 1) (fraction "
                         "of the chance error removed).")
    if p.outputs_for_widths < 2:
        raise ModelError(f"Parameter 'outputs_for_widths' = {p.outputs_for_widths} must be >= 2.")
    return chans


def _config(p, K, M):
    # the output layer's rate scales as 1/K: its effective step (a sum over K hidden
    # activities) then does not grow with width, so wide frozen features do not solve the
    # task by the read-out alone (mean-field scaling)
    return CreditConfig(n_in=int(p.n_in), n_hidden=int(K), n_out=int(M), feedback=p.feedback,
                        eta_out=p.eta_out * p.eta_out_width / int(K), w_init=p.w_init,
                        v_init=p.v_init,
                        sigma_pert=p.sigma_pert, beta=p.beta, burst_gain=p.burst_gain).check()


def _seed_data(p, ctx, M, s):
    """Task, example order and the rng of seed *s* (shared by every channel)."""
    rng = np.random.default_rng([ctx.seed, int(M), s])
    return teacher_task(int(p.n_in), int(M), int(p.teacher_hidden), p.teacher_scale,
                        int(p.max_examples), int(p.n_test), rng), rng


def _learn(p, ctx, chans, K, M, bar):
    """Learning curves of every (channel, rate, seed) at one size, BP and output-only beside."""
    cfg = _config(p, K, M)
    etas = np.asarray(p.etas, float)
    S, E, C = int(p.n_seeds), len(etas), len(chans)
    data, weights = [], []
    for s in range(S):
        (Xtr, ytr, Xte, yte), rng = _seed_data(p, ctx, M, s)
        data.append((Xtr, ytr, Xte, yte))
        weights.append(init_weights(cfg, rng))
    thr = criterion_accuracy(p.criterion, M)
    every = int(p.eval_every)
    rate = RateCredit(cfg)
    # reference: rate-model backprop (every eta) and output-only learning, same examples
    ref = {"BP": np.zeros((E, S), object), "output_only": np.zeros((1, S), object)}
    ref_curves = {"BP": [], "output_only": []}
    for s, (Xtr, ytr, Xte, yte) in enumerate(data):
        W0, V0, _ = weights[s]
        T = cfg.targets(ytr)
        for name, hidden, e_list in (("BP", True, etas), ("output_only", False, etas[:1])):
            W = np.repeat(W0[None], len(e_list), axis=0)
            V = np.repeat(V0[None], len(e_list), axis=0)
            curve, _, _ = rate.train(W, V, Xtr, T, ytr, e_list, hidden=hidden, eval_X=Xte,
                                     eval_labels=yte, eval_every=every)
            for k in range(len(e_list)):
                ref[name][k, s] = examples_to_criterion(curve[k], thr, every)
            ref_curves[name].append(curve)
    # the channels' expected updates in the rate model (no trial-to-trial noise; P1's
    # expectation is backprop's)
    rate_ex = {}
    for name in chans:
        if name == "P1":
            continue
        ex_c = np.zeros((E, S), object)
        for s, (Xtr, ytr, Xte, yte) in enumerate(data):
            W0, V0, B0 = weights[s]
            curve, _, _ = rate.train(np.repeat(W0[None], E, 0), np.repeat(V0[None], E, 0), Xtr,
                                     cfg.targets(ytr), ytr, etas, eval_X=Xte, eval_labels=yte,
                                     eval_every=every, channel=name,
                                     B=np.repeat(B0[None], E, 0))
            for k in range(E):
                ex_c[k, s] = examples_to_criterion(curve[k], thr, every)
        rate_ex[name] = best_rate(ex_c, etas)[1]
    # spiking: one replica per (channel, eta, seed), all in one network
    reps = [(c, e, s) for c in range(C) for e in range(E) for s in range(S)]
    ch = [chans[c] for c, _, _ in reps]
    eta_r = [etas[e] for _, e, _ in reps]
    src = np.array([s for _, _, s in reps])
    X = np.stack([d[0] for d in data], axis=1)               # (n, S, N)
    L = np.stack([d[1] for d in data], axis=1)
    rng = np.random.default_rng([ctx.seed, int(K), int(M), 7])
    curves = []
    with ctx.backend_scope(dt=p.dt, seed_offset=int(K) * 10 + int(M)) as be:
        net = SpikingCredit(cfg, ch, eta_r, [weights[s] for s in src], rng, p.dt)

        def evaluate(done):
            acc = np.zeros(len(reps))
            for s in range(S):
                r = src == s
                acc[r] = RateCredit.accuracy(net.W[r], net.V[r], data[s][2], data[s][3])
            curves.append(acc)
            if done:
                bar.update(done=every)
            return bool(np.all(np.max(curves, axis=0) >= thr))

        evaluate(0)
        if not np.all(curves[0] >= thr):
            net.run(be, X, L, learn=True, on_chunk=evaluate, chunk=every, source=src)
    curves = np.array(curves).T                                # (R, n_evals)
    n_eval = int(p.max_examples) // every + 1
    full = np.full((len(reps), n_eval), np.nan)
    full[:, :curves.shape[1]] = curves
    ex = np.zeros((C, E, S), object)
    for r, (c, e, s) in enumerate(reps):
        ex[c, e, s] = examples_to_criterion(curves[r], thr, every)
    out = {}
    for c, name in enumerate(chans):
        k, med = best_rate(ex[c], etas)
        rows = [r for r, (cc, ee, _) in enumerate(reps) if cc == c and ee == k]
        out[name] = dict(eta=float(etas[k]), median=med, seeds=list(ex[c, k]),
                         curves=full[rows], per_eta=_medians(ex[c]),
                         final=[float(np.nanmean(full[r, :][np.isfinite(full[r, :])][-1:]))
                                for r in range(len(reps)) if reps[r][0] == c])
    for name in ("BP", "output_only"):
        k, med = best_rate(ref[name], etas)
        cur = np.full((S, n_eval), np.nan)
        for s in range(S):
            cc = ref_curves[name][s][k]
            cur[s, :cc.size] = cc
        out[name] = dict(eta=float(etas[k]) if name == "BP" else None, median=med,
                         seeds=list(ref[name][k]), curves=cur, per_eta=_medians(ref[name]))
    out["_rate"] = rate_ex
    return out, thr


def _median_or_none(values):
    """Median with None as +inf (a mean update indistinguishable from zero); None if that."""
    med = float(np.median([np.inf if v is None else v for v in values]))
    return med if np.isfinite(med) else None


def _medians(examples):
    """Median over seeds of each rate's examples to criterion (None where censored)."""
    vals = np.array([[np.inf if v is None else v for v in row] for row in examples], float)
    return [None if not np.isfinite(m) else float(m) for m in np.median(vals, axis=1)]


def _probe(p, ctx, chans, K, M):
    """Single-trial estimator statistics of every channel at the initial weights of seed 0."""
    cfg = _config(p, K, M)
    (Xtr, ytr, _, _), rng = _seed_data(p, ctx, M, 0)
    W, V, B = init_weights(cfg, rng)
    n_stim, n_rep = int(p.n_probe), int(p.n_repeats)
    reps = [(c, q) for c in range(len(chans)) for q in range(n_stim)]
    X = np.repeat(Xtr[None, :n_stim], n_rep, axis=0)              # (n_rep, n_stim, N)
    L = np.repeat(ytr[None, :n_stim], n_rep, axis=0)
    rng = np.random.default_rng([ctx.seed, int(K), int(M), 11])
    with ctx.backend_scope(dt=p.dt, seed_offset=int(K) * 10 + int(M) + 5) as be:
        net = SpikingCredit(cfg, [chans[c] for c, _ in reps], [0.0] * len(reps),
                            [(W, V, B)] * len(reps), rng, p.dt)
        rec = net.run(be, X, L, learn=False, source=np.array([q for _, q in reps]))
    rate = RateCredit(cfg)
    dbp, _ = rate.backprop_delta(W[None].repeat(n_stim, 0), V[None].repeat(n_stim, 0),
                                 Xtr[:n_stim], cfg.targets(ytr[:n_stim]))
    res = {}
    for c, name in enumerate(chans):
        stats = [probe_metrics(rec["delta"][:, r], rec["pre"][:, r], dbp[q],
                               np.r_[Xtr[q], 1.0]) for r, (cc, q) in enumerate(reps) if cc == c]
        res[name] = {k: _median_or_none([s[k] for s in stats]) for k in stats[0]}
    return res


@protocol("credit-assignment",
          "Signed credit vs a gate on one spiking network: learning time against hidden width K "
          "and outputs M, angle, sign agreement and variance of each channel's hidden update",
          DEFAULTS, quick=QUICK)
def credit_assignment(p, ctx):
    if ctx.backend.endswith("_standalone"):
        raise ModelError(f"Protocol 'credit-assignment' runs on a runtime backend (numpy or "
                         f"cython): its phases and weight updates are a network_operation; got "
                         f"backend {ctx.backend!r}.")
    chans = _check(p)
    t0 = time.perf_counter()
    widths = [int(k) for k in p.widths]
    outputs = [int(m) for m in p.outputs]
    M0, K0 = int(p.outputs_for_widths), int(p.width_for_outputs)
    conds = [("width", K, M0) for K in widths] + \
            [("outputs", K0, M) for M in outputs if not (K0 in widths and M == M0)]
    total = len(conds) * int(p.max_examples)
    learned = {}
    bar = Progress(total, "examples (all channels, rates and seeds at once)")
    try:
        for kind, K, M in conds:
            before = bar.done
            learned[(K, M)] = _learn(p, ctx, chans, K, M, bar)
            bar.update(done=int(p.max_examples) - (bar.done - before))
    finally:
        bar.close()
    names = chans + ["BP", "output_only"]
    metrics = dict(channels=names, channel_names={c: CHANNEL_NAMES.get(c, "output layer only "
                                                                         "(rate, frozen hidden)")
                                                  for c in names},
                   widths=widths, outputs=outputs, width_for_outputs=K0, outputs_for_widths=M0)
    arrays = {}
    for key, sizes, cond in (("width", widths, lambda s: (s, M0)),
                             ("outputs", outputs, lambda s: (K0, s))):
        med, eta, seeds = {}, {}, {}
        for name in names:
            med[name] = [learned[cond(s)][0][name]["median"] for s in sizes]
            eta[name] = [learned[cond(s)][0][name]["eta"] for s in sizes]
            seeds[name] = [learned[cond(s)][0][name]["seeds"] for s in sizes]
            arrays[f"curves_{key}_{name}"] = np.stack(
                [learned[cond(s)][0][name]["curves"] for s in sizes])
        metrics[f"examples_to_criterion_{key}"] = med
        metrics[f"examples_to_criterion_{key}_rate_expectation"] = {
            n: [learned[cond(s)][0]["_rate"][n] for s in sizes]
            for n in learned[cond(sizes[0])][0]["_rate"]}
        metrics[f"best_eta_{key}"] = eta
        metrics[f"examples_per_seed_{key}"] = seeds
        metrics[f"median_per_eta_{key}"] = {
            n: [learned[cond(s)][0][n]["per_eta"] for s in sizes] for n in names}
        metrics[f"criterion_accuracy_{key}"] = [learned[cond(s)][1] for s in sizes]
        metrics[f"slope_{key}"] = {n: scaling_slope(sizes, med[n]) for n in names}
        metrics[f"ratio_to_bp_{key}"] = {
            n: [None if (a is None or b is None or b == 0) else a / b
                for a, b in zip(med[n], med["BP"])] for n in names}
    probes = {K: _probe(p, ctx, chans, K, M0) for K in widths}
    for key in ("angle_single", "angle_mean", "sign", "relvar"):
        metrics[{"angle_single": "angle_deg", "angle_mean": "angle_deg_trial_averaged",
                 "sign": "sign_agreement", "relvar": "relative_variance"}[key]] = {
            c: [probes[K][c][key] for K in widths] for c in chans}
    metrics["budget"] = dict(etas=[float(e) for e in p.etas], seeds=int(p.n_seeds),
                             max_examples=int(p.max_examples), eval_every=int(p.eval_every),
                             criterion=float(p.criterion),
                             note="the same rate grid, seeds and example cap for every channel; "
                                  "censored runs count as infinite in the median")
    metrics["summary"] = _summary(metrics, names)
    metrics["wall_s"] = time.perf_counter() - t0
    arrays["eval_examples"] = np.arange(int(p.max_examples) // int(p.eval_every) + 1) \
        * int(p.eval_every)
    return metrics, arrays


def _fmt(v):
    return "censored" if v is None else f"{v:.0f}"


def _summary(m, names):
    """One line per channel: learning time against K and M, relative to backprop."""
    lines = []
    for n in names:
        w = m["examples_to_criterion_width"][n]
        o = m["examples_to_criterion_outputs"][n]
        rw = m["ratio_to_bp_width"][n]
        ro = m["ratio_to_bp_outputs"][n]
        sw, so = m["slope_width"][n], m["slope_outputs"][n]
        lines.append(
            f"{n}: K={m['widths']} -> {[_fmt(v) for v in w]} examples "
            f"(x BP {[None if r is None else round(r, 2) for r in rw]}, log-log slope "
            f"{'n/a' if sw is None else round(sw, 2)}); M={m['outputs']} -> "
            f"{[_fmt(v) for v in o]} (x BP {[None if r is None else round(r, 2) for r in ro]}, "
            f"slope {'n/a' if so is None else round(so, 2)})")
    return lines
