"""Sacramento et al. (2018) microcircuit: self-predicting state, signed apical error, regression.

``self-prediction``: from random interneuron weights and no target, only
W^IP and W^PI learn (SCIENCE.md sections 3.4 and A6; eta^PI 0.0005 as the
reference, eta^IP 0.011875 = 50x the reference's self-prediction value, the
rate ``learn-regression`` uses, see :func:`self_prediction`) on random
input patterns U(0, 1) held 100 ms each; the apical
voltage of the hidden pyramids falls toward zero and the interneurons come to
follow the upper pyramids.  ``signed-apical-error``: right after
self-prediction, with plasticity frozen, the output is nudged toward a
teacher's output; the hidden apical voltage is the signed error (A7),
compared with backprop (symmetric feedback, B = W^PP transposed) and with
B times the output error (random feedback).  Both run the rate network or the
spiking one (``mode``) from the same description
(:class:`circuits.Sacramento2018`); in the spiking network each unit pools
``copies`` = 25 Poisson neurons (5 kHz at phi = 1, each spike 1/25 of the
charge), which brings the Poisson noise of a 100 ms mean of the apical voltage
below a tenth of its initial size (with one neuron per unit, measured: mean
|v_A| levels off at 0.33 mV from 1.11 mV, -70 %, after 2,000 presentations).
``learn-regression``: from the self-predicting state, W^PP, W^IP and W^PI
learn a teacher-student regression (Fig. 1) with the output nudged toward the
teacher; test loss against exact backprop and output-layer-only learning.

Per-sample values are time averages of each presentation after ``t_settle``
(voltages in mV above rest = the paper's units).
"""

from dataclasses import replace

import numpy as np
from brian2 import Hz, StateMonitor, mV, ms

from circuits.microcircuit import (Sacramento2018, build_microcircuit, initial_weights,
                                   steady_state)
from dendrites.errors import ModelError

from .registry import protocol

__all__ = ["self_prediction", "signed_apical_error", "learn_regression", "describe",
           "sample_means", "hidden_errors", "backprop_curve"]

COMMON = dict(mode="rate", sizes=[30, 20, 10], interneurons=[], presentation=100 * ms,
              dt=0.1 * ms, record_dt=5 * ms, t_settle=20 * ms, eta_IP=0.011875, eta_PI=0.0005,
              noise=0.1, w_init=1.0, g_som=0.8, copies=25, tau_syn=5 * ms)
# Quick settings step at 0.25 ms (rate network; the stiffest variable, a soma with
# tau = C/(g_lk + g_B + g_A) = 0.53 ms, is integrated by RK2 at dt/tau = 0.47).  Measured,
# seed 1: self-prediction quick metrics within 0.003 of dt 0.1 ms (per-neuron corr 0.738 vs
# 0.737, apical reduction 0.9175 vs 0.9171); learn-regression quick final loss 0.105 vs
# 0.096 mV^2 (3.2 % vs 2.9 % of the initial).  The spiking network at copies 25 needs
# dt <= 0.1 ms (copies phi_max dt <= 0.5): add --set dt=0.1*ms.
QUICK_DT = 0.25 * ms


def describe(p, feedback="random"):
    """The circuit description from protocol parameters (validated)."""
    if p.mode not in ("rate", "spiking"):
        raise ModelError(f"Unknown mode {p.mode!r}; allowed: rate, spiking.")
    sizes = [int(n) for n in p.sizes]
    return Sacramento2018(sizes=sizes, interneurons=list(p.interneurons) or None,
                          eta_IP=p.eta_IP, eta_PI=p.eta_PI, noise=p.noise, w_init=p.w_init,
                          g_som=p.g_som, feedback=feedback, copies=p.copies, tau_syn=p.tau_syn,
                          eta_PP=[0.0] * (len(sizes) - 1))


def _timing(p):
    """Recorded points per presentation and points skipped at its start."""
    per = float(p.presentation / p.record_dt)
    skip = float(p.t_settle / p.record_dt)
    if abs(per - round(per)) > 1e-9 or abs(skip - round(skip)) > 1e-9:
        raise ModelError(f"Parameters 'presentation' = {p.presentation} and 't_settle' = "
                         f"{p.t_settle} must be multiples of 'record_dt' = {p.record_dt}.")
    if not 0 <= skip < per:
        raise ModelError(f"Parameter 't_settle' = {p.t_settle} must be shorter than "
                         f"'presentation' = {p.presentation}.")
    return int(round(per)), int(round(skip))


def sample_means(values, per, skip):
    """Average ``(N, n_samples*per)`` recordings over each presentation after *skip* points."""
    values = np.asarray(values)
    n = values.shape[1] // per
    return values[:, :n * per].reshape(values.shape[0], n, per)[:, :, skip:].mean(axis=2)


def _record(mc, p):
    """Record the hidden apical and every somatic voltage of the circuit."""
    L = mc.desc.n_layers
    for k in range(1, L + 1):
        mc.record(f"pyr_{k}", ["v_soma", "v_apical"] if k < L else ["v_soma"], p.record_dt,
                  name=f"{mc.groups[f'pyr_{k}'].name}_state")
    for k in range(1, L):
        mc.record(f"int_{k}", ["v_soma"], p.record_dt, name=f"{mc.groups[f'int_{k}'].name}_state")


def _read(mc, p, var, pop):
    per, skip = _timing(p)
    mon = mc.monitors[f"{mc.groups[pop].name}_state"]
    return sample_means(getattr(mon, var) / mV - float(mc.desc.E_L / mV), per, skip)


def _corr(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")


# ---------------------------------------------------------------------------
@protocol("self-prediction",
          "Sacramento 2018 microcircuit from random interneuron weights, no target: mean "
          "|apical voltage| of hidden pyramids falls and interneurons follow the upper pyramids",
          dict(COMMON, n_samples=2000, n_baseline=20, n_eval=100, window=20),
          quick=dict(n_samples=400, n_eval=50, dt=QUICK_DT))
def self_prediction(p, ctx):
    """Baseline, ``n_samples`` with W^IP, W^PI learning, then a frozen evaluation block.

    ``n_baseline`` presentations with plasticity off, ``n_samples`` with
    W^IP and W^PI learning, then ``n_eval`` fresh patterns with plasticity
    off again (held out: the weights no longer follow the patterns they are
    measured on).  Metrics: ``apical_abs_start`` (mean over baseline
    presentations and hidden neurons of the per-presentation |v_A|, mV),
    ``apical_abs_end`` (same over the evaluation block),
    ``apical_reduction``, ``samples_to_90pct`` (first learning presentation
    at which the running mean over ``window`` presentations is at most 10 %
    of the start; None if never), ``corr_interneuron_upper`` (Pearson over
    neurons and the evaluation block of interneuron vs upper pyramidal
    somatic voltage), ``corr_interneuron_upper_per_neuron`` (the smallest
    per-neuron correlation over the evaluation block), and the relative
    distances of W^IP to W^PP_k+1 and of W^PI to -B, first and last.

    Notes
    -----
    Why the per-neuron correlation is slow: W^IP learns along ``phi(u_k)``,
    whose second moment over U(0, 1) inputs (30-20-10) has one large
    eigenvalue (5.3, the mean rate ~0.5 of every hidden neuron) and small
    ones in the directions in which patterns differ (median 0.008; hidden
    rates vary by ~0.1 across patterns).  Per presentation of length T the
    update is ``eta T phi' g_som/(g_lk + g_D + g_som) (u^P_k+1 - v_hat)
    phi(u_k)`` (``u^I - v_hat = g_som/(g_lk + g_D + g_som) (u^P_k+1 -
    v_hat)``): the mean converges in ~90 presentations at the reference
    eta^IP, the pattern-specific part in ~60,000.  The pooled correlation
    follows the mean (0.98 after 400); the per-neuron one needs the
    pattern-specific part.  Not the cause: noise (simulated 0.52 vs 0.53 in a
    noise-free prototype that takes one fixed-point step per presentation),
    nor upper neurons without variance (all vary 0.2-0.3 mV across patterns).

    Learning rate: ``eta_IP`` = 0.011875, the rate of W^IP in
    ``learn-regression`` (10x the reference code's target-learning value,
    50x its self-prediction value 0.0002375).  Slow directions converge
    with about ``eta n`` (rate times presentations; prototype: 0.74 after
    20,000 presentations at 1x, 0.79 after 2,000 at 10x), so the target
    within 2,000 presentations needs a larger rate.  Prototype, minimum per-neuron
    correlation after 2,000 presentations (evaluation block frozen), by
    eta^IP multiple of 0.0002375: 1x 0.53, 5x 0.69, 10x 0.79, 20x 0.90, 30x
    0.94 (seeds 1-3 at 30x: 0.96, 0.84, 0.93), 50x 0.98, 0.90, 0.96.  The
    mean direction stays stable (eta T lambda phi' 0.42 ~ 0.7 per
    presentation at 50x); apical reduction and pooled correlation barely
    change (eta^PI unchanged; 1x: -92.4 %, 0.98).  The evaluation block is frozen since
    at this rate W^IP moves within ~150 ms along the current pattern, which
    would make a correlation measured during learning partly the rule
    tracking the pattern.

    Measured (rate network, cython, seed 1): full settings (2,000
    presentations at dt 0.1 ms, 145 s here under load) apical |v_A| 1.061 ->
    0.069 mV (-93.5 %), 90 % reached after 33 presentations, correlation
    pooled 0.9986, per neuron min 0.969 (median 0.982; 0.45-0.92 before
    learning), |W^IP - W^PP_2|/|W^PP_2| 1.34 -> 0.57, |W^PI + B|/|B| 1.47 ->
    1.20.  Seed 2 (full): -93.9 %, 90 % after 37, pooled 0.998, per neuron
    min 0.880 (median 0.974; 0.30 pooled before learning).  Quick (400
    presentations at dt 0.25 ms, 16 s of CPU): -91.7 %, pooled 0.990, per
    neuron min 0.738 (median 0.889).
    """
    desc = describe(p)
    per, _ = _timing(p)
    for key in ("n_samples", "n_baseline", "n_eval", "window"):
        if p[key] < 1:
            raise ModelError(f"Parameter '{key}' = {p[key]} must be at least 1.")
    if p.window > p.n_samples:
        raise ModelError(f"Parameter 'window' = {p.window} must not exceed 'n_samples' = "
                         f"{p.n_samples}.")
    if p.n_eval < 2:
        raise ModelError(f"Parameter 'n_eval' = {p.n_eval} must be at least 2 (correlations "
                         "over the evaluation block).")
    rng_w, rng_p = np.random.default_rng([ctx.seed, 1]), np.random.default_rng([ctx.seed, 2])
    W0 = initial_weights(desc, rng_w)
    n_total = p.n_baseline + p.n_samples + p.n_eval
    patterns = rng_p.uniform(0, 1, (n_total, desc.sizes[0]))
    with ctx.backend_scope(dt=p.dt) as be:
        mc = build_microcircuit(desc, p.mode, W0, patterns, p.presentation, dt=p.dt)
        _record(mc, p)
        net = mc.network()
        for eta_IP, eta_PI, n in ((0.0, 0.0, p.n_baseline), (p.eta_IP, p.eta_PI, p.n_samples),
                                  (0.0, 0.0, p.n_eval)):
            mc.set_eta("IP", eta_IP), mc.set_eta("PI", eta_PI)
            be.run(net, n * p.presentation)
        be.finish()
        L = desc.n_layers
        v_a = np.concatenate([_read(mc, p, "v_apical", f"pyr_{k}") for k in range(1, L)])
        u_int = [_read(mc, p, "v_soma", f"int_{k}") for k in range(1, L)]
        u_up = [_read(mc, p, "v_soma", f"pyr_{k + 1}") for k in range(1, L)]
        W1 = {name: mc.weights(name) for name in mc.synapses if name[:3] in ("ip_", "pi_")}
        t_trace = np.arange(2 * per) * float(p.record_dt / ms)
        mon = mc.monitors[f"{mc.groups['pyr_1'].name}_state"]
        rest = float(desc.E_L / mV)
        trace_first = np.asarray(mon.v_apical[:, :2 * per] / mV) - rest
        last_learn = (p.n_baseline + p.n_samples) * per
        trace_last = np.asarray(mon.v_apical[:, last_learn - 2 * per:last_learn] / mV) - rest
    metrics, curve = _self_prediction_metrics(p, desc, v_a, u_int, u_up, W0, W1)
    last = slice(n_total - p.n_eval, n_total)
    arrays = dict(apical_abs=curve, u_interneuron=np.concatenate(u_int)[:, last],
                  u_upper=np.concatenate(u_up)[:, last], t_trace_ms=t_trace,
                  v_apical_first=trace_first, v_apical_last=trace_last)
    return metrics, arrays


def _self_prediction_metrics(p, desc, v_a, u_int, u_up, W0, W1):
    curve = np.abs(v_a).mean(axis=0)                     # per presentation
    nb, n_learn = p.n_baseline, p.n_baseline + p.n_samples
    n_total = n_learn + p.n_eval
    last = slice(n_learn, n_total)                       # the frozen evaluation block
    start, end = float(curve[:nb].mean()), float(curve[last].mean())
    running = np.convolve(curve[nb:n_learn], np.ones(p.window) / p.window, mode="valid")
    hit = np.flatnonzero(running <= 0.1 * start)
    ui, uu = np.concatenate(u_int), np.concatenate(u_up)
    per_neuron = [_corr(ui[j, last], uu[j, last]) for j in range(ui.shape[0])]
    dist = {}
    for k in range(1, desc.n_layers):
        ff, td = W0[f"ff_{k + 1}"], W0[f"td_{k}"]
        rel = lambda a, b: float(np.linalg.norm(a - b) / np.linalg.norm(b))  # noqa: E731
        dist[f"W_IP_to_W_PP_{k}"] = [rel(W0[f"ip_{k}"], ff), rel(W1[f"ip_{k}"], ff)]
        dist[f"W_PI_to_minus_B_{k}"] = [rel(W0[f"pi_{k}"], -td), rel(W1[f"pi_{k}"], -td)]
    m = dict(apical_abs_start=start, apical_abs_end=end,
             apical_reduction=1 - end / start if start > 0 else None,
             samples_to_90pct=int(hit[0] + p.window) if hit.size else None,
             corr_interneuron_upper=_corr(ui[:, last], uu[:, last]),
             corr_interneuron_upper_per_neuron=float(np.nanmin(per_neuron)),
             corr_per_neuron_median=float(np.nanmedian(per_neuron)),
             corr_per_neuron=per_neuron,
             corr_interneuron_upper_baseline=_corr(ui[:, :nb], uu[:, :nb]),
             corr_per_neuron_baseline=[_corr(ui[j, :nb], uu[j, :nb]) for j in range(ui.shape[0])],
             weight_distance_first_last=dist, mode=p.mode,
             unit_rate_hz=float(desc.unit_rate(p.mode) / Hz))
    m["targets"] = {"apical_reduction >= 0.9": bool(m["apical_reduction"] is not None
                                                    and m["apical_reduction"] >= 0.9),
                    "samples_to_90pct <= 2000": m["samples_to_90pct"] is not None
                    and m["samples_to_90pct"] <= 2000,
                    "corr pooled >= 0.95": m["corr_interneuron_upper"] >= 0.95,
                    "corr per neuron >= 0.85": m["corr_interneuron_upper_per_neuron"] >= 0.85}
    return m, curve


# ---------------------------------------------------------------------------
def hidden_errors(W_out, B, u_out, u_target):
    """Hidden errors of backprop (``W_out`` transposed) and of the feedback (``B``).

    The apical error of the circuit is ``B (phi(u_nudged) - phi(u_free))``,
    approximately ``B (phi'(u) (u_nudged - u_free))``, with the output moved
    toward the target; backprop of ``1/2 |phi(u_trgt) - phi(u)|^2`` through
    ``u = lambda W_out phi(u_hidden)`` gives
    ``delta_hidden = phi'(u_hidden) lambda W_out^T e`` with
    ``e = phi'(u) (phi(u_trgt) - phi(u))``; ``phi' > 0`` and ``lambda > 0``,
    so ``sign(delta_hidden) = sign(W_out^T e)``; returns ``W_out^T e`` and
    ``B e`` as arrays (tests, neurons).
    """
    phi = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    e = phi(u_out) * (1 - phi(u_out)) * (phi(u_target) - phi(u_out))
    return e @ W_out, e @ B.T


@protocol("signed-apical-error",
          "After self-prediction the output is nudged toward a teacher's output: the sign of the "
          "hidden apical voltage vs backprop (symmetric feedback) and vs B times the output "
          "error (random feedback)",
          dict(COMMON, n_selfpred=6000, n_test=50, interneuron_init="random", eta_PI=0.005),
          quick=dict(n_selfpred=200, n_test=20, dt=QUICK_DT))
def signed_apical_error(p, ctx):
    """Two circuits (symmetric and random feedback) with the same forward weights and inputs.

    Both self-predict for ``n_selfpred`` presentations from random W^IP and
    W^PI (``interneuron_init='self_predicting'`` starts them at the exact
    self-predicting state W^IP = W^PP, W^PI = -B instead, the analytic
    limit); then plasticity is frozen and each of ``n_test`` patterns is shown
    twice: free, then with the output nudged (``g_som``) toward the output of
    a teacher network (same shape, weights U(-w_init, w_init)) for that
    pattern.  Metrics (pooled over hidden neurons and test patterns, apical
    voltage averaged over the nudged presentation after ``t_settle``):
    ``fraction_positive``, ``sign_agreement_with_backprop`` (symmetric),
    ``sign_agreement_with_feedback_error`` (random: sign of B e),
    ``sign_agreement_random_vs_backprop`` and the same three for the change
    of the apical voltage from the free to the nudged presentation;
    ``W_PI_to_minus_B`` (relative distance |W^PI + B|/|B| after
    self-prediction, per circuit).

    Notes
    -----
    What limits the agreement: the nudged apical voltage is ``B phi(u_N) +
    W^PI phi(u^I)`` with the interneuron following g_som/(g_lk + g_D + g_som)
    = 0.42 of the output's move.  With ``W^PI = -B + D`` it is about ``0.58 B
    delta phi(u_N) + D (phi(u^I) + 0.42 delta phi(u_N))``: the D terms carry
    no sign information.  Self-prediction makes W^PI cancel B only along
    the directions in which the upper rates vary across inputs: their second
    moment has one eigenvalue ~2-3 (the mean rate) and the others 1e-2 to
    1e-4, while the teacher's error points anywhere in the 10-dimensional
    output space (mostly a per-neuron offset, 0.1-0.7 in rate units).  A
    noise-free prototype (one fixed-point step per presentation or part of
    one; same seeds and weights as the protocol), agreement of the random
    case with sign(B e): exact self-predicting weights 0.89, 0.91, 0.98
    (seeds 1-3); after 2,000 presentations at the reference rates (eta^IP
    0.0002375, eta^PI 0.0005) 0.74, 0.86, 0.88, 0.79, 0.79, 0.84 (seeds 1-6;
    |W^PI + B|/|B| 1.1-1.3, from 1.4 at random); seed 1: 0.74 at eta^IP x50
    (2,000), 0.78 at eta^IP x50 and eta^PI x10, 0.77 at x50/x30 (2,000),
    0.79 at x100/x10 (2,000), 0.78 at x50/x1 (6,000), 0.78 at x50/x10
    (4,000; distance 0.52) and 0.88 at x50/x10 (6,000; distance 0.38;
    symmetric 0.93); x50/x10 (6,000) on seeds 2, 3: 0.88, 0.95 (symmetric
    0.90, 0.89).  Hence the defaults: eta^IP 0.011875 (as
    ``self-prediction``), eta^PI 0.005 (10x reference; frozen during the
    test, so it cannot cancel the error it is measured on) and 6,000
    self-prediction presentations (the issue fixes neither).

    Measured (rate network, cython): full settings, seed 1 (28 min here
    under load, 16.7 min of CPU): agreement with B e (random) 0.836, with
    backprop (symmetric) 0.919, random vs backprop 0.566 (near chance),
    fraction positive 0.33 (random circuit 0.66), |W^PI + B|/|B| 0.39
    (symmetric) and 0.48 (random), mean |v_A| free 0.017 mV, nudged 0.197
    mV.  Seed 2 (full, 16.3 min of CPU): 0.871 with B e, 0.880 with
    backprop, random vs backprop 0.413, fraction positive 0.36,
    |W^PI + B|/|B| 0.48 and 0.55.  Before (2,000 presentations at the
    reference rates), seed 1: 0.74 with B e.
    Quick (200 presentations, dt 0.25 ms; 26 s of CPU): 0.755 with B e,
    0.903 with backprop.
    """
    if p.n_selfpred < 1 or p.n_test < 1:
        raise ModelError(f"Parameters 'n_selfpred' = {p.n_selfpred} and 'n_test' = {p.n_test} "
                         "must be at least 1.")
    if p.g_som <= 0:
        raise ModelError(f"Parameter 'g_som' = {p.g_som} must be positive (it nudges the output).")
    descs = {fb: describe(p, fb) for fb in ("symmetric", "random")}
    desc = descs["random"]
    _timing(p)
    rng_w, rng_p = np.random.default_rng([ctx.seed, 1]), np.random.default_rng([ctx.seed, 2])
    if p.interneuron_init not in ("random", "self_predicting"):
        raise ModelError(f"Unknown interneuron_init {p.interneuron_init!r}; allowed: random, "
                         "self_predicting.")
    exact = p.interneuron_init == "self_predicting"
    W_rand = initial_weights(desc, rng_w, self_predicting=exact)
    W_sym = dict(W_rand)
    for k in range(1, desc.n_layers):
        W_sym[f"td_{k}"] = W_rand[f"ff_{k + 1}"].T.copy()
        if exact:
            W_sym[f"pi_{k}"] = -W_sym[f"td_{k}"]
    teacher = initial_weights(desc, np.random.default_rng([ctx.seed, 3]), self_predicting=True)
    tests = rng_p.uniform(0, 1, (p.n_test, desc.sizes[0]))
    selfpred = rng_p.uniform(0, 1, (p.n_selfpred, desc.sizes[0]))
    patterns = np.concatenate([selfpred, np.repeat(tests, 2, axis=0)])
    for k in range(1, desc.n_layers):
        teacher[f"td_{k}"][:] = 0
        teacher[f"pi_{k}"][:] = 0
    u_target = np.array([steady_state(desc, teacher, x)["u"][-1] for x in tests])
    n_sp = p.n_selfpred
    targets = np.concatenate([np.zeros((n_sp, desc.sizes[-1])), np.repeat(u_target, 2, axis=0)])
    gate = np.r_[np.zeros(n_sp), np.tile([0.0, 1.0], p.n_test)]
    with ctx.backend_scope(dt=p.dt) as be:
        circuits = {fb: build_microcircuit(descs[fb], p.mode, W, patterns, p.presentation,
                                           dt=p.dt, prefix=f"{fb[:3]}_")
                    for fb, W in (("symmetric", W_sym), ("random", W_rand))}
        for mc in circuits.values():
            _record(mc, p)
            mc.schedule_targets(targets, gate, p.presentation)
        net = circuits["random"].network(*circuits["symmetric"].objects)
        be.run(net, n_sp * p.presentation)
        for mc in circuits.values():     # plasticity frozen for the test
            mc.set_eta("IP", 0.0), mc.set_eta("PI", 0.0)
        be.run(net, 2 * p.n_test * p.presentation)
        be.finish()
        res = {fb: _test_values(mc, p) for fb, mc in circuits.items()}
        L = desc.n_layers
        dist = {fb: float(np.linalg.norm(mc.weights(f"pi_{L - 1}") + W[f"td_{L - 1}"])
                          / np.linalg.norm(W[f"td_{L - 1}"]))
                for (fb, mc), W in zip(circuits.items(), (W_sym, W_rand))}
    m, arrays = _signed_metrics(p, res, W_sym, W_rand, u_target)
    m["W_PI_to_minus_B"] = dist
    return m, arrays


def _test_values(mc, p):
    L = mc.desc.n_layers
    sel = slice(p.n_selfpred, None)
    # the hidden layer just under the output carries the output error
    v_a = _read(mc, p, "v_apical", f"pyr_{L - 1}")[:, sel]
    u_out = _read(mc, p, "v_soma", f"pyr_{L}")[:, sel]
    return dict(v_free=v_a[:, 0::2].T, v_nudged=v_a[:, 1::2].T, u_out_free=u_out[:, 0::2].T,
                u_out_nudged=u_out[:, 1::2].T)


def _signed_metrics(p, res, W_sym, W_rand, u_target):
    L = len(p.sizes) - 1
    out = f"ff_{L}"
    sym, rnd = res["symmetric"], res["random"]
    e_sym, _ = hidden_errors(W_sym[out], W_sym[f"td_{L - 1}"], sym["u_out_free"], u_target)
    e_bp, e_fb = hidden_errors(W_rand[out], W_rand[f"td_{L - 1}"], rnd["u_out_free"], u_target)
    bp_sym, bp_rnd, fb_rnd = np.sign(e_sym), np.sign(e_bp), np.sign(e_fb)
    agree = lambda v, s: float(np.mean(np.sign(v) == s))  # noqa: E731
    d_sym, d_rnd = sym["v_nudged"] - sym["v_free"], rnd["v_nudged"] - rnd["v_free"]
    per_test = [agree(sym["v_nudged"][t], bp_sym[t]) for t in range(p.n_test)]
    phi = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    # the output change the circuit itself produced, fed back through B (or W^T)
    moved = {fb: phi(r["u_out_nudged"]) - phi(r["u_out_free"]) for fb, r in res.items()}
    fb_moved = np.sign(moved["random"] @ W_rand[f"td_{L - 1}"].T)
    bp_moved = np.sign(moved["symmetric"] @ W_sym[f"td_{L - 1}"].T)
    m = dict(fraction_positive=float(np.mean(sym["v_nudged"] > 0)),
             fraction_positive_random=float(np.mean(rnd["v_nudged"] > 0)),
             sign_agreement_with_backprop=agree(sym["v_nudged"], bp_sym),
             sign_agreement_with_feedback_error=agree(rnd["v_nudged"], fb_rnd),
             sign_agreement_random_vs_backprop=agree(rnd["v_nudged"], bp_rnd),
             change_agreement_with_backprop=agree(d_sym, bp_sym),
             change_agreement_with_feedback_error=agree(d_rnd, fb_rnd),
             change_agreement_random_vs_backprop=agree(d_rnd, bp_rnd),
             sign_agreement_with_fed_back_output_change=[agree(sym["v_nudged"], bp_moved),
                                                         agree(rnd["v_nudged"], fb_moved)],
             sign_agreement_with_backprop_per_test=per_test,
             apical_abs_free=float(np.abs(sym["v_free"]).mean()),
             apical_abs_nudged=float(np.abs(sym["v_nudged"]).mean()),
             output_shift_toward_target=float(np.mean(
                 np.sign(sym["u_out_nudged"] - sym["u_out_free"])
                 == np.sign(u_target - sym["u_out_free"]))),
             mode=p.mode)
    m["targets"] = {"both signs": 0 < m["fraction_positive"] < 1,
                    "sign agreement (symmetric) >= 0.8": m["sign_agreement_with_backprop"] >= 0.8,
                    "sign agreement (random, B e) >= 0.8":
                    m["sign_agreement_with_feedback_error"] >= 0.8}
    arrays = dict(v_apical_nudged_symmetric=sym["v_nudged"], v_apical_free_symmetric=sym["v_free"],
                  backprop_error_symmetric=e_sym, v_apical_nudged_random=rnd["v_nudged"],
                  v_apical_free_random=rnd["v_free"], feedback_error_random=e_fb,
                  backprop_error_random=e_bp, u_target=u_target, u_out_free=sym["u_out_free"],
                  u_out_nudged=sym["u_out_nudged"], u_out_free_random=rnd["u_out_free"],
                  u_out_nudged_random=rnd["u_out_nudged"])
    return m, arrays


# ---------------------------------------------------------------------------
def _forward_gains(desc):
    """Attenuations of the free (v_A = 0, no nudging) forward map, hidden layers then output."""
    hidden = desc.g_B / (desc.g_lk + desc.g_B + desc.g_A)
    return [hidden] * (desc.n_layers - 1) + [desc.g_B / (desc.g_lk + desc.g_B)]


def backprop_curve(desc, W_ff, x_train, u_train, x_test, u_test, lr, eval_every):
    """Exact backprop (online SGD) of ``1/2 |u_N - u_trgt|^2`` on the circuit's free forward map.

    The map is the steady state of the student circuit with ``v_A = 0`` and
    no nudging: ``u_k = lambda_k W^PP_k phi(u_k-1)`` (``phi(u_0)`` = the input
    rates), ``lambda = g_B/(g_lk + g_B + g_A)`` in hidden layers and
    ``g_B/(g_lk + g_B)`` at the output.  One step per training sample, in the
    circuit's order; returns the test MSE every *eval_every* samples (first:
    before learning, last: after all) and the final weights.
    """
    phi = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    gains = _forward_gains(desc)
    W = [np.array(w, float) for w in W_ff]

    def forward(x):
        acts, u = [np.asarray(x, float)], None
        for k, (w, lam) in enumerate(zip(W, gains)):
            u = lam * acts[-1] @ w.T
            if k < len(W) - 1:
                acts.append(phi(u))
        return acts, u

    curve = []
    for n, (x, t) in enumerate(zip(x_train, u_train)):
        if n % eval_every == 0:
            curve.append(float(np.mean((forward(x_test)[1] - u_test) ** 2)))
        acts, u = forward(x)
        delta = u - t                                   # d loss / d u_N
        for k in range(len(W) - 1, -1, -1):
            grad = gains[k] * np.outer(delta, acts[k])
            if k > 0:
                delta = gains[k] * (W[k].T @ delta) * acts[k] * (1 - acts[k])
            W[k] -= lr * grad
    curve.append(float(np.mean((forward(x_test)[1] - u_test) ** 2)))
    return np.array(curve), W


def _regression_check(p):
    for key in ("n_train", "n_test", "eval_every"):
        if isinstance(p[key], bool) or int(p[key]) != p[key] or p[key] < 1:
            raise ModelError(f"Parameter '{key}' = {p[key]!r} must be a positive integer.")
    if p.n_train % p.eval_every:
        raise ModelError(f"Parameter 'eval_every' = {p.eval_every} must divide 'n_train' = "
                         f"{p.n_train} (the loss curve is read every 'eval_every' samples).")
    if not p.eta_scale > 0:
        raise ModelError(f"Parameter 'eta_scale' = {p.eta_scale} must be positive.")
    if p.g_som <= 0:
        raise ModelError(f"Parameter 'g_som' = {p.g_som} must be positive (it nudges the output).")
    if len(p.eta_PP) != len(p.sizes) - 1:
        raise ModelError(f"Parameter 'eta_PP' = {list(p.eta_PP)} needs one rate per layer above "
                         f"the input ({len(p.sizes) - 1} for sizes {list(p.sizes)}).")
    for key, values in (("eta_PP", p.eta_PP), ("bp_lr_grid", p.bp_lr_grid)):
        if len(values) == 0 or not all(np.isfinite(v) and v > 0 for v in values):
            raise ModelError(f"Parameter '{key}' = {list(values)} must be a non-empty list of "
                             "positive numbers.")
    if p.eta_IP < 0 or p.eta_PI < 0:
        raise ModelError(f"Parameters 'eta_IP' = {p.eta_IP} and 'eta_PI' = {p.eta_PI} must not be "
                         "negative.")


def _weight_history(mc, name, mon):
    """Recorded weights of projection *name* as (n_records, N_post, N_pre) arrays."""
    proj, syn = mc.projections[name], mc.synapses[name]
    w = np.asarray(mon.w)                                # (n_synapses, n_records)
    out = np.zeros((w.shape[1], proj.post.N, proj.pre.N))
    out[:, np.asarray(syn.j[:]), np.asarray(syn.i[:])] = w.T
    return out


@protocol("learn-regression",
          "Sacramento 2018 microcircuit learns a teacher-student nonlinear regression (Fig. 1): "
          "test loss of the circuit vs tuned backprop on the same architecture and vs learning "
          "the output layer only",
          dict(COMMON, sizes=[30, 20, 10], n_train=2000, n_test=200, eval_every=100, eta_scale=10.0,
               eta_PP=[0.011875, 0.0005], eta_IP=0.0011875, eta_PI=0.0005,
               bp_lr_grid=[0.01, 0.03, 0.1, 0.3, 1.0]),
          quick=dict(n_train=500, eval_every=50, n_test=100, presentation=50 * ms, dt=QUICK_DT))
def learn_regression(p, ctx):
    """Teacher-student regression learned by the microcircuit, with two baselines.

    Task (Sacramento et al. 2018, Fig. 1; reference code miyosuda/dendritic_bp
    ``train_nonlinear_association``): input rates ``x`` drawn U(0, 1) (the
    circuit's input convention: the input layer passes ``phi = x`` directly,
    as the reference code's ``set_input_firing_rate(np.random.rand(30))``),
    each held ``presentation``; the teacher is a circuit of the same shape
    (weights U(-w_init, w_init), seed stream 3) without top-down input, and
    its output somatic potential ``u_trgt`` at the noise-free fixed point
    (:func:`circuits.microcircuit.steady_state`) is the target.  The student
    starts in the self-predicting state (W^IP = W^PP_k+1, W^PI = -B, random
    B) and learns with W^PP, W^IP and W^PI plastic while its output is
    nudged (``g_som``) toward ``u_trgt``.  Learning rates: ``eta_PP`` (per
    layer) and ``eta_IP`` times ``eta_scale``; ``eta_PI`` as given.  The
    defaults are the reference code's target-learning values (SCIENCE.md 3.3:
    eta^PP 0.0011875 hidden, 0.0005 output; eta^IP 0.0011875; eta^PI 0.0005)
    with two departures.  The hidden rate parameter is 10x the reference
    (0.011875) and, like every eta_PP and eta_IP, is multiplied by
    ``eta_scale`` (10): the effective rates are 0.119 hidden (100x the
    reference), 0.005 output and 0.0119 eta^IP (10x).  With the hidden rate
    at 10x as well (``eta_PP`` 0.0011875, 0.0005), full settings, seed 1:
    test loss 3.25 -> 0.049 (1.5 %), 11.2x backprop, 0.87x output-only: the
    "<= 5x backprop" target is met only with the hidden layer at 100x.
    Why the hidden layer needs the larger rate:
    the error reaching a hidden neuron is the output's error attenuated by
    ``phi'(u_N) <= 1/4`` and by the interneuron's partial following
    (``(g_lk + g_D)/(g_lk + g_D + g_som) = 0.58``) and the apical share
    ``g_A/(g_lk + g_B + g_A) = 0.42``, so at the reference ratio the hidden
    layer barely learns (rate prototype, 1000 samples: loss 0.057 with hidden
    learning vs 0.059 output-only); the reference's own nonlinear-association
    option uses a hidden/output ratio of 11.9 (0.00011875/0.00001).  And
    eta^PI is not scaled: at 10x it relaxes the apical voltage within
    ``1/(eta_PI |phi(u^I)|^2)`` ~ 40 ms, cancelling the error it should
    carry (the reference fixes W^PI during this task).

    Test loss: MSE over ``n_test`` fixed test inputs and the output neurons
    between the output somatic potential of the student (mV above rest =
    paper units; not phi of it) and the teacher's, both at the noise-free
    fixed point of the full rate circuit without nudging, computed from the
    student's weights recorded every ``eval_every`` samples (the weights
    learnt by the spiking network are read the same way).  Baselines on the
    same training samples in the same order: ``backprop`` (exact online SGD
    on the student's free forward map, :func:`backprop_curve`, learning rate
    the best of ``bp_lr_grid`` by final test loss) and ``output_only`` (a
    second circuit in the same network, same initial weights, only W^PP of
    the output layer plastic, at its scaled rate).

    Metrics: ``loss_curve`` (circuit, at 0, eval_every, ..., n_train
    samples), ``initial_test_loss``, ``final_test_loss``,
    ``backprop_final_test_loss``, ``output_only_final_test_loss``, the two
    baselines' curves, ``backprop_lr``, the ratios and ``targets``.

    Measured (seed 1, rate network unless said): full settings (2,000
    samples of 100 ms, dt 0.1 ms) test loss 3.25 -> 0.0164 mV^2 (0.5 %),
    backprop 0.0044 (lr 0.3; ratio 3.8), output-only 0.056 (ratio 0.29);
    quick (500 of 50 ms) at dt 0.1 ms 3.28 -> 0.096 (2.9 %), backprop 0.030
    (3.2), output-only 0.115 (0.83), 52 s of CPU; at the quick settings' dt
    0.25 ms 0.105 (3.2 %; 3.5; 0.91), 28 s; spiking quick (dt 0.1 ms) 0.095
    (2.9 %; 3.2; 0.81).  At the reference rates (``eta_scale`` 1,
    ``eta_PP`` 0.0011875, 0.0005), quick: 0.117 vs output-only 0.116, the
    hidden layer does not help.  The output-only circuit keeps W^IP fixed,
    so its interneurons stop predicting the learning output layer and its
    hidden layer gets an apical input; both circuits are read the same way.
    """
    desc = describe(p)
    _regression_check(p)
    desc = replace(desc, plastic=("PP", "IP", "PI"), eta_PP=tuple(float(e) * p.eta_scale
                                                                  for e in p.eta_PP),
                   eta_IP=p.eta_IP * p.eta_scale, eta_PI=p.eta_PI)
    out_desc = replace(desc, plastic=("PP",), eta_PP=(0.0,) * (desc.n_layers - 1)
                       + (desc.eta_PP[-1],))
    _timing(p)
    rng_w, rng_p = np.random.default_rng([ctx.seed, 1]), np.random.default_rng([ctx.seed, 2])
    W0 = initial_weights(desc, rng_w, self_predicting=True)
    teacher = initial_weights(desc, np.random.default_rng([ctx.seed, 3]), self_predicting=True)
    for k in range(1, desc.n_layers):
        teacher[f"td_{k}"][:] = 0
        teacher[f"pi_{k}"][:] = 0
    x_train = rng_p.uniform(0, 1, (p.n_train, desc.sizes[0]))
    x_test = rng_p.uniform(0, 1, (p.n_test, desc.sizes[0]))
    u_train = steady_state(desc, teacher, x_train, tol=1e-9)["u"][-1]     # target=None: free
    u_test = steady_state(desc, teacher, x_test, tol=1e-9)["u"][-1]
    every = p.eval_every * p.presentation
    with ctx.backend_scope(dt=p.dt) as be:
        circuits = {key: build_microcircuit(d, p.mode, W0, x_train, p.presentation, dt=p.dt,
                                            prefix=f"{key}_")
                    for key, d in (("full", desc), ("out", out_desc))}
        mons = {}
        for key, mc in circuits.items():
            mc.schedule_targets(u_train, np.ones(p.n_train), p.presentation)
            for name, syn in mc.synapses.items():
                if mc.projections[name].rule is not None:
                    mons[key, name] = StateMonitor(syn, "w", record=True, dt=every,
                                                   name=f"{key}_{name}_w")
        net = circuits["full"].network(*circuits["out"].objects, *mons.values())
        be.run(net, p.n_train * p.presentation)
        be.finish()
        history = {key: {} for key in circuits}
        for (key, name), mon in mons.items():
            hist = _weight_history(circuits[key], name, mon)
            history[key][name] = np.concatenate([hist, circuits[key].weights(name)[None]])
    curves = {}
    for key in circuits:
        curve = []
        for t in range(p.n_train // p.eval_every + 1):
            W = {name: (history[key][name][t] if name in history[key] else w)
                 for name, w in W0.items()}
            u = steady_state(desc, W, x_test, tol=1e-9)["u"][-1]
            curve.append(float(np.mean((u - u_test) ** 2)))
        curves[key] = np.array(curve)
    W_ff = [W0[f"ff_{k}"] for k in range(1, desc.n_layers + 1)]
    bp = {lr: backprop_curve(desc, W_ff, x_train, u_train, x_test, u_test, lr, p.eval_every)[0]
          for lr in p.bp_lr_grid}
    best = min(bp, key=lambda lr: bp[lr][-1] if np.isfinite(bp[lr][-1]) else np.inf)
    return _regression_metrics(p, curves, bp, best)


def _regression_metrics(p, curves, bp, best):
    c, out, b = curves["full"], curves["out"], bp[best]
    m = dict(loss_curve=c.tolist(), samples=list(range(0, p.n_train + 1, p.eval_every)),
             initial_test_loss=float(c[0]), final_test_loss=float(c[-1]),
             backprop_final_test_loss=float(b[-1]), backprop_lr=float(best),
             backprop_final_by_lr={str(lr): float(v[-1]) for lr, v in bp.items()},
             output_only_final_test_loss=float(out[-1]),
             backprop_loss_curve=b.tolist(), output_only_loss_curve=out.tolist(),
             final_over_initial=float(c[-1] / c[0]),
             final_over_backprop=float(c[-1] / b[-1]),
             final_over_output_only=float(c[-1] / out[-1]),
             eta_scale=p.eta_scale, mode=p.mode)
    m["targets"] = {"final < 0.2 initial": m["final_over_initial"] < 0.2,
                    "final < output only": m["final_over_output_only"] < 1,
                    "final <= 5 backprop": m["final_over_backprop"] <= 5}
    arrays = dict(samples=np.array(m["samples"]), loss_circuit=c, loss_output_only=out,
                  loss_backprop=b)
    return m, arrays
