"""The yardstick of the hypothesis test: gradient descent vs node and weight perturbation.

Werfel, Xie & Seung (2005, Neural Comput 17:2699): in a linear network
``y = W x`` learning online from a teacher ``W*``, with each method's learning
rate chosen to maximise its learning speed, node perturbation (NP) is slower
than gradient descent (GD) by a factor of about the number of outputs M, and
weight perturbation (WP) slower than NP by a further factor of about the
number of inputs N (SCIENCE.md section 8).  A gated four-factor rule across K
hidden units behaves like node perturbation across them, which is why the
ratio matters for the hypothesis.

The three estimators, for the loss ``E = |W x - W* x|^2 / 2`` of one example:

- GD: ``dW = -eta e x^T`` with ``e = (W - W*) x``;
- NP: ``dW = -eta (E(y + xi) - E(y)) xi x^T / sigma^2``, ``xi ~ N(0, sigma^2 I_M)``;
- WP: ``dW = -eta (E(W + psi) - E(W)) psi / sigma^2``, ``psi ~ N(0, sigma^2)`` per weight.

All three are unbiased estimates of ``-eta grad E``.  The learning speed of
a run is ``log(1/criterion)`` divided by the number of examples until the
mean squared weight error over ``n_runs`` runs first falls below
``criterion`` times its start (inputs ``x ~ N(0, I_N)``, ``W* ~ N(0, 1)``,
``W(0) = 0``); the learning rate is the best of a log-spaced grid, the same
grid for every method.  Runs that do not reach the criterion within
``max_examples`` are censored (speed from the decay so far, flagged).
"""

import numpy as np

from dendrites.errors import ModelError

from .registry import protocol

__all__ = ["simulate", "learning_speed", "best_speed", "METHODS"]

METHODS = ("gd", "np", "wp")


def simulate(method, n_in, n_out, etas, n_runs, n_examples, sigma, rng, stop_at=None):
    """Mean squared weight error ``(len(etas), n_examples + 1)`` over runs, one column per example.

    With *stop_at*, the simulation ends at the first example at which any rate's
    error falls below ``stop_at`` times its start (no slower rate can then be the
    fastest), and the curves are that long.

    All learning rates and runs are simulated at once on the same inputs,
    teachers and perturbations (common random numbers across rates).
    """
    etas = np.asarray(etas, float)
    L, R, M, N = len(etas), n_runs, n_out, n_in
    W_star = rng.standard_normal((R, M, N))
    D = np.broadcast_to(-W_star, (L, R, M, N)).copy()          # D = W - W*, W(0) = 0
    err = np.empty((L, n_examples + 1))
    err[:, 0] = (D ** 2).sum(axis=(2, 3)).mean(axis=1)
    eta = etas[:, None, None, None]
    dead = np.zeros(L, bool)
    for t in range(n_examples):
        x = rng.standard_normal((R, N))
        e = np.einsum("lrmn,rn->lrm", D, x)                       # output error
        if method == "gd":
            D -= eta * e[..., None] * x[None, :, None, :]
        elif method == "np":
            xi = sigma * rng.standard_normal((R, M))
            dE = np.einsum("lrm,rm->lr", e, xi) + 0.5 * (xi ** 2).sum(axis=1)
            D -= eta * (dE[..., None] * xi[None])[..., None] * x[None, :, None, :] / sigma ** 2
        elif method == "wp":
            psi = sigma * rng.standard_normal((R, M, N))
            px = np.einsum("rmn,rn->rm", psi, x)
            dE = np.einsum("lrm,rm->lr", e, px) + 0.5 * (px ** 2).sum(axis=1)
            D -= eta * dE[..., None, None] * psi[None] / sigma ** 2
        else:
            raise ModelError(f"Unknown method {method!r}; allowed: {', '.join(METHODS)}.")
        err[:, t + 1] = (D ** 2).sum(axis=(2, 3)).mean(axis=1)
        dead |= ~np.isfinite(err[:, t + 1]) | (err[:, t + 1] > 1e6 * err[:, 0])
        if dead.any():            # a diverging rate stays diverged (infinite error)
            err[dead, t + 1] = np.inf
            D[dead] = 0.0         # only to keep the arithmetic finite
            if dead.all():
                err[:, t + 2:] = np.inf
                break
        if stop_at is not None and np.any(err[:, t + 1] <= stop_at * err[:, 0]):
            return err[:, :t + 2]
    return err


def learning_speed(curve, criterion):
    """``(speed per example, examples to criterion or None)`` of one mean-error curve."""
    curve = np.asarray(curve, float)
    target = criterion * curve[0]
    hit = np.flatnonzero(curve <= target)
    if hit.size:
        return float(np.log(1 / criterion) / hit[0]), int(hit[0])
    finite = np.isfinite(curve) & (curve > 0)
    if not finite[-1]:
        return 0.0, None
    return max(0.0, float(np.log(curve[0] / curve[-1]) / (len(curve) - 1))), None


def best_speed(method, n_in, n_out, p, rng):
    """The best learning speed of *method* over the learning-rate grid."""
    etas = np.logspace(np.log10(p.eta_min), np.log10(p.eta_max), p.n_eta)
    curves = simulate(method, n_in, n_out, etas, p.n_runs, p.max_examples, p.sigma, rng,
                      stop_at=p.criterion)
    speeds = [learning_speed(c, p.criterion) for c in curves]
    k = int(np.argmax([s for s, _ in speeds]))
    edge = k in (0, len(etas) - 1)
    return dict(speed=speeds[k][0], examples=speeds[k][1], eta=float(etas[k]),
                censored=speeds[k][1] is None, eta_at_grid_edge=edge, curve=curves[k])


def _check(p):
    for key in ("n_in", "n_runs", "max_examples", "n_eta", "m_wp"):
        if not isinstance(p[key], int) or p[key] < 1:
            raise ModelError(f"Parameter '{key}' = {p[key]!r} must be an integer >= 1.")
    for key in ("m", "n"):
        vals = p[key]
        if not vals or not all(isinstance(v, int) and v >= 1 for v in vals):
            raise ModelError(f"Parameter '{key}' = {vals!r} must be a non-empty list of integers "
                             ">= 1.")
    if not 0 < p.criterion < 1:
        raise ModelError(f"Parameter 'criterion' = {p.criterion} must be in (0, 1).")
    if not p.sigma > 0:
        raise ModelError(f"Parameter 'sigma' = {p.sigma} must be positive.")
    if not 0 < p.eta_min < p.eta_max:
        raise ModelError(f"Parameters 'eta_min' = {p.eta_min} and 'eta_max' = {p.eta_max}: need "
                         "0 < eta_min < eta_max.")


@protocol("werfel",
          "Linear network, learning rates optimised per method: gradient descent vs node "
          "perturbation vs weight perturbation, learning-speed ratios against outputs M and "
          "inputs N (Werfel, Xie & Seung 2005)",
          dict(n_in=10, m=[1, 2, 3, 5, 10], n=[2, 5, 10], m_wp=2, n_runs=32, n_eta=25,
               eta_min=1e-3, eta_max=0.3, sigma=1e-3, criterion=1e-3, max_examples=8000),
          quick=dict(m=[1, 3, 10], n=[2, 10], n_runs=16, n_eta=13, max_examples=4000))
def werfel(p, ctx):
    """Metrics: ``m``, ``gd_over_np`` (speed ratio per M at N = ``n_in``), ``n``,
    ``np_over_wp`` (per N at M = ``m_wp``), the speeds, best rates and censoring per method,
    the log-log slope of GD/NP against M, and the targets of SCIENCE.md A15."""
    _check(p)
    rng = np.random.default_rng([ctx.seed, 41])
    gd, npt = {}, {}
    for m in p.m:
        gd[m] = best_speed("gd", p.n_in, m, p, rng)
        npt[m] = best_speed("np", p.n_in, m, p, rng)
    np_n, wp_n = {}, {}
    for n in p.n:
        np_n[n] = best_speed("np", n, p.m_wp, p, rng)
        wp_n[n] = best_speed("wp", n, p.m_wp, p, rng)

    def ratio(a, b):
        return a["speed"] / b["speed"] if b["speed"] > 0 else None

    gd_over_np = [ratio(gd[m], npt[m]) for m in p.m]
    np_over_wp = [ratio(np_n[n], wp_n[n]) for n in p.n]
    ok = [g is not None for g in gd_over_np]
    slope = None
    if sum(ok) >= 2:
        ms = np.log([m for m, o in zip(p.m, ok) if o])
        slope = float(np.polyfit(ms, np.log([g for g in gd_over_np if g is not None]), 1)[0])
    summary = lambda d: {str(k): {kk: v[kk] for kk in ("speed", "examples", "eta", "censored",  # noqa: E731
                                                       "eta_at_grid_edge")} for k, v in d.items()}
    m = dict(m=list(p.m), gd_over_np=gd_over_np, n=list(p.n), np_over_wp=np_over_wp,
             gd_over_np_loglog_slope=slope, gd=summary(gd), node_perturbation=summary(npt),
             node_perturbation_vs_n=summary(np_n), weight_perturbation=summary(wp_n),
             budget=dict(eta_grid=[p.eta_min, p.eta_max, p.n_eta], runs=p.n_runs,
                         max_examples=p.max_examples, criterion=p.criterion))
    targets = {}
    if 1 in p.m and 10 in p.m and gd_over_np[p.m.index(1)] and gd_over_np[p.m.index(10)]:
        targets["ratio(M=10)/ratio(M=1) >= 3"] = bool(
            gd_over_np[p.m.index(10)] / gd_over_np[p.m.index(1)] >= 3)
    if 10 in p.n and np_over_wp[p.n.index(10)] is not None:
        targets["NP/WP >= N/2 at N=10"] = bool(np_over_wp[p.n.index(10)] >= 5)
    targets["GD/NP grows with M"] = bool(all(ok) and np.all(np.diff(gd_over_np) > 0))
    m["targets"] = targets
    arrays = {f"curve_gd_m{k}": v["curve"] for k, v in gd.items()}
    arrays.update({f"curve_np_m{k}": v["curve"] for k, v in npt.items()})
    arrays.update({f"curve_wp_n{k}": v["curve"] for k, v in wp_n.items()})
    arrays.update({f"curve_np_n{k}": v["curve"] for k, v in np_n.items()})
    return m, arrays
