"""AGREL / four-factor network: stochastic winner, global RPE, attentional feedback (two variants).

Roelfsema & van Ooyen 2005, Neural Comput 17:2176 (AGREL; SCIENCE.md section
7.1), one hidden layer::

    y_j = sigma(sum_i v_ij x_i)            a_k = sum_j w_kj y_j,  Z = softmax(a)
    winner s ~ Z (stochastic)              delta = 1 - Z_s if rewarded, else -1
    f(delta) = delta/(1 - delta) (delta >= 0), f(-1) = -1
    dw_sj = beta f(delta) y_j              (output: only the winner's weights)
    dv_ij = beta f(delta) x_i FB_j         (hidden)

The hidden feedback term ``FB_j`` is the switchable part (Richards &
Lillicrap 2018; SCIENCE.md sections 7.1 and 14):

``agrel`` (G2)
    signed feedback weight from the winner, ``FB_j = y_j (1 - y_j) w_sj``
    (:class:`dendrites.plasticity.AGREL`); per-neuron sign ``sign(delta w_sj)``.
``gated`` (G1)
    four-factor gate ``FB_j = y_j g_j`` with ``g_j = |w_sj|/max_k |w_sk|``
    in [0, 1] (:class:`dendrites.plasticity.FourFactor`, ``f_post = y_j``):
    the sign of every hidden update is the sign of ``delta``.

Over the winner draw, ``E[f(delta) w_s] = sum_k (t_k - Z_k) w_k``, so the
expected ``agrel`` update is the backprop update of the softmax
cross-entropy (:meth:`RateAGREL.backprop_update`).

One description (:class:`AGRELConfig`) has two simulators:
:class:`RateAGREL` (the paper's rate model, numpy) and :class:`SpikingAGREL`
(Brian2: Poisson input populations; escape-rate hidden neurons, ``n_per_unit``
per hidden unit, whose rates the output layer reads from their spike counts
in the decision phase; hidden plasticity in Brian2 synapses with the
package's AGREL/FourFactor rules, applied at each presynaptic spike of the
learning phase with ``y_j`` the neuron's escape rate; the output layer and
the winner draw in a ``network_operation`` between the decision and the
learning phase of each trial).  A trial is ``t_settle`` (the basal dendrite,
tau 10 ms, settles on the new input; 40 ms: with 10 ms the decision read a
mix of two patterns and XOR was not learned), ``t_decide`` and ``t_learn``.  The spiking weights are scaled so that a neuron's mean somatic
depolarisation in mV equals the rate model's ``sum_i v_ij x_i``, and its
escape rate is ``phi_max sigma(u)`` (Guerguiev et al. 2017 neuron).
"""

import logging
from dataclasses import dataclass, replace

import numpy as np
from brian2 import Hz, Network, NetworkOperation, SpikeMonitor, mV, ms, second

from dendrites.fragments import _d as _q  # dataclass default for a quantity
from dendrites import presets
from dendrites.errors import ModelError, check_choice, check_quantity
from dendrites.plasticity import AGREL, FourFactor, connect
from dendrites.plasticity.modulated import FeedbackGate, FeedbackWeight, expansive

from .populations import InputLayer, add_mechanisms, check_size
from .projections import soma_attenuation

__all__ = ["VARIANTS", "AGRELConfig", "RateAGREL", "SpikingAGREL", "sigmoid", "softmax",
           "hidden_model"]

logger = logging.getLogger(__name__)

#: hidden feedback variants: signed feedback weight (AGREL) or a [0, 1] gate (four-factor)
VARIANTS = ("agrel", "gated")


def sigmoid(u):
    return 1.0 / (1.0 + np.exp(-np.asarray(u, dtype=float)))


def softmax(a, axis=-1):
    a = np.asarray(a, float)
    z = np.exp(a - a.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


@dataclass(frozen=True)
class AGRELConfig:
    """Shared description of the rate and the spiking network.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        Layer sizes (a bias input and a bias hidden unit are added).
    variant : str
        ``agrel`` (signed feedback weight) or ``gated`` (four-factor gate).
    beta : float
        Learning rate per trial (the paper's beta), hidden and output.
    w_init : float
        Initial weights drawn from U(-w_init, w_init).
    w_bound : float
        Weights are clipped to [-w_bound, w_bound].
    n_per_input, n_per_unit : int
        Spiking only: Poisson neurons per input and escape-rate neurons per
        hidden unit (a unit's rate is their mean).
    phi_in : `Quantity`
        Spiking only: rate of an input neuron whose input is 1 (hertz).
    t_settle, t_decide, t_learn : `Quantity`
        Spiking only: phases of a trial (no plasticity; spikes counted for
        the decision; feedback and RPE present, hidden plasticity on).
    """

    n_in: int = 2
    n_hidden: int = 8
    n_out: int = 2
    variant: str = "agrel"
    beta: float = 0.2
    w_init: float = 2.0
    w_bound: float = 20.0
    n_per_input: int = 10
    n_per_unit: int = 5
    phi_in: object = _q(100 * Hz)
    t_settle: object = _q(40 * ms)
    t_decide: object = _q(30 * ms)
    t_learn: object = _q(20 * ms)

    def check(self):
        """Validate every field (ModelError naming the field) before anything is built."""
        for key in ("n_in", "n_hidden", "n_per_input", "n_per_unit"):
            check_size(key, getattr(self, key))
        n_out = check_size("n_out", self.n_out)
        if n_out < 2:
            raise ModelError(f"Parameter 'n_out' = {n_out} must be at least 2 (a choice).")
        check_choice("variant", self.variant, VARIANTS)
        for key in ("beta", "w_init", "w_bound"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                    or not np.isfinite(value) or value <= 0:
                raise ModelError(f"Parameter '{key}' = {value!r} must be a positive number.")
        if self.w_init > self.w_bound:
            raise ModelError(f"Parameter 'w_init' = {self.w_init} must not exceed "
                             f"'w_bound' = {self.w_bound}.")
        check_quantity("phi_in", self.phi_in, Hz, positive=True)
        for key in ("t_settle", "t_decide", "t_learn"):
            check_quantity(key, getattr(self, key), ms, positive=True)
        return self

    def init_weights(self, rng):
        """``(V, W)``: hidden (n_hidden, n_in + 1) and output (n_out, n_hidden + 1) weights."""
        V = rng.uniform(-self.w_init, self.w_init, (self.n_hidden, self.n_in + 1))
        W = rng.uniform(-self.w_init, self.w_init, (self.n_out, self.n_hidden + 1))
        return V, W

    def check_data(self, X, labels):
        """Inputs in [0, 1] with ``n_in`` columns and labels in ``range(n_out)``."""
        X, labels = np.asarray(X, float), np.asarray(labels)
        if X.ndim != 2 or X.shape[1] != self.n_in:
            raise ModelError(f"Inputs have shape {X.shape}; the network has n_in = {self.n_in} "
                             f"inputs, so expected (n_samples, {self.n_in}).")
        if np.any(X < 0) or np.any(X > 1):
            raise ModelError("Inputs must lie in [0, 1] (they are rates relative to phi_in).")
        if labels.shape != (X.shape[0],) or np.any(labels < 0) or np.any(labels >= self.n_out):
            raise ModelError(f"Labels must be one per input in 0..{self.n_out - 1} "
                             f"(n_out = {self.n_out}).")
        return X, labels.astype(int)


def _outcome(Z, s, label):
    """Reward, RPE ``delta`` and ``f(delta)`` of choosing *s* (SCIENCE.md 7.1)."""
    rewarded = int(s) == int(label)
    delta = float(1.0 - Z[s]) if rewarded else -1.0
    delta = min(delta, 1.0 - 1e-12)
    return rewarded, delta, float(expansive(delta))


def gate_of(w_s):
    """Four-factor gate from the winner's feedback weights: ``|w_sj|/max |w_s|`` in [0, 1]."""
    mag = np.abs(np.asarray(w_s, float))
    top = mag.max()
    return mag / top if top > 0 else np.zeros_like(mag)


class RateAGREL:
    """The rate model of Roelfsema & van Ooyen (2005) with a switchable hidden feedback.

    Examples
    --------
    >>> import numpy as np
    >>> net = RateAGREL(AGRELConfig(), np.random.default_rng(1))
    >>> y, Z = net.forward([0, 1])
    >>> y.shape, round(float(Z.sum()), 6)
    ((8,), 1.0)
    """

    def __init__(self, config, rng, weights=None):
        self.config = config.check()
        self.V, self.W = weights if weights is not None else config.init_weights(rng)
        self.V, self.W = np.array(self.V, float), np.array(self.W, float)
        self.rng = rng

    def forward(self, x):
        y = sigmoid(self.V @ np.r_[np.asarray(x, float), 1.0])
        return y, softmax(self.W @ np.r_[y, 1.0])

    def updates(self, x, s, f_delta, y=None):
        """``(dV, dW)`` of one trial with winner *s* and ``f(delta)`` (not applied)."""
        c = self.config
        xb = np.r_[np.asarray(x, float), 1.0]
        y = self.forward(x)[0] if y is None else y
        w_s = self.W[s, :-1]
        fb = y * (1 - y) * w_s if c.variant == "agrel" else y * gate_of(w_s)
        dV = c.beta * f_delta * np.outer(fb, xb)
        dW = np.zeros_like(self.W)
        dW[s] = c.beta * f_delta * np.r_[y, 1.0]
        return dV, dW

    def trial(self, x, label, learn=True):
        """One trial: draw the winner, reward, update; returns ``(rewarded, dV)``."""
        y, Z = self.forward(x)
        s = self.rng.choice(Z.size, p=Z)
        rewarded, _, f = _outcome(Z, s, label)
        dV, dW = self.updates(x, s, f, y)
        if learn:
            b = self.config.w_bound
            self.V = np.clip(self.V + dV, -b, b)
            self.W = np.clip(self.W + dW, -b, b)
        return rewarded, dV

    def train(self, X, labels, order):
        """Trials on ``X[order]``; returns the reward of each trial."""
        X, labels = self.config.check_data(X, labels)
        return np.array([self.trial(X[k], labels[k])[0] for k in order], dtype=bool)

    def accuracy(self, X, labels):
        """Fraction of inputs whose greedy choice (argmax Z) is correct."""
        X, labels = self.config.check_data(X, labels)
        return float(np.mean([np.argmax(self.forward(x)[1]) == t for x, t in zip(X, labels)]))

    def backprop_update(self, x, label):
        """Backprop ``dV`` of the softmax cross-entropy, ``beta (t - Z) W y (1 - y) x``."""
        y, Z = self.forward(x)
        err = np.eye(self.config.n_out)[int(label)] - Z
        return self.config.beta * np.outer((err @ self.W[:, :-1]) * y * (1 - y),
                                           np.r_[np.asarray(x, float), 1.0])


def hidden_model(config):
    """Guerguiev et al. 2017 neuron with the feedback signals on its apical dendrite.

    Escape rate ``phi_max sigma(v_soma - E_L)`` (1 mV = 1 unit); the basal
    dendrite drives the soma one way; the apical compartment (not coupled to
    the soma) holds the winner's feedback: ``wfb_apical`` (AGREL) and
    ``fb_apical`` (gate).
    """
    return add_mechanisms(presets.guerguiev_2017(), "apical", FeedbackWeight(), FeedbackGate(0.0))


class SpikingAGREL:
    """Spiking AGREL network(s): one input population, one hidden group per variant.

    Several configurations (variants) that differ only in ``variant`` share
    the input spike trains and the trial sequence; each has its own hidden
    neurons, plastic synapses, output weights and winner draws.  Build and
    run inside a backend scope (runtime targets: the winner is drawn by a
    ``network_operation``).
    """

    def __init__(self, configs, rng, weights, dt):
        self.configs = [c.check() for c in configs]
        base = replace(self.configs[0], variant="agrel")
        if any(replace(c, variant="agrel") != base for c in self.configs):
            raise ModelError("SpikingAGREL: the configurations may differ only in 'variant'.")
        self.c, self.rng, self.dt = base, rng, dt
        V, W = weights
        self.model = hidden_model(base)
        q = self.model.parameters()
        lam, _ = soma_attenuation(self.model, "basal")
        tau_s = q["tau_cur_basal"]
        # charge so that each unit weight adds 1 mV of mean somatic depolarisation at rate phi_in
        self.w_scale = (1 * mV) * q["g_L_basal"] / (lam * tau_s * base.phi_in * base.n_per_input)
        self.phi_max = q["phi_max"]
        self.W = [np.array(W, float) for _ in self.configs]
        self._build(np.asarray(V, float))

    # ---------------------------------------------------------------- build
    def _build(self, V):
        c = self.c
        n_pre = (c.n_in + 1) * c.n_per_input
        self.inputs = InputLayer("agrel_input", n_pre, phi_max=c.phi_in, spiking=True).build(
            dt=self.dt)
        self.inputs.pattern = 0.0
        pre_unit = np.arange(n_pre) // c.n_per_input
        n_post = c.n_hidden * c.n_per_unit
        post_unit = np.arange(n_post) // c.n_per_unit
        i, j = np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)
        per_spike = c.beta / float(c.phi_in * c.t_learn)   # expected spikes per trial at x=1
        self.hidden, self.syn, self.mons = [], [], []
        for k, cfg in enumerate(self.configs):
            group = self.model.build(n_post, name=f"agrel_hidden_{k}", dt=self.dt)
            rule = (AGREL(beta=per_spike, feedback="apical", w_min=-c.w_bound, w_max=c.w_bound)
                    if cfg.variant == "agrel" else
                    FourFactor(eta=per_spike, f_post="rate", nu_ref=self.phi_max, gate="apical",
                               w_min=-c.w_bound, w_max=c.w_bound))
            syn = connect(rule, self.inputs, group, self.model, "basal", "cur",
                          w_init=V[post_unit[j], pre_unit[i]], w_scale=self.w_scale,
                          connect=dict(i=i, j=j), name=f"agrel_plastic_{k}")
            self.hidden.append(group)
            self.syn.append(syn)
            self.mons.append(SpikeMonitor(group, record=False, name=f"agrel_count_{k}"))
        self._pre_unit, self._post_unit = pre_unit, post_unit
        self.net = Network(self.inputs, *self.hidden, *self.syn, *self.mons)

    # ------------------------------------------------------------- read-out
    def effective_V(self, k=0):
        """Effective hidden weights (n_hidden, n_in + 1): mean over input and hidden copies."""
        c = self.c
        w = np.asarray(self.syn[k].w[:])
        i, j = np.asarray(self.syn[k].i[:]), np.asarray(self.syn[k].j[:])
        flat = self._post_unit[j] * (c.n_in + 1) + self._pre_unit[i]
        sums = np.bincount(flat, weights=w, minlength=c.n_hidden * (c.n_in + 1))
        return (sums / (c.n_per_input * c.n_per_unit)).reshape(c.n_hidden, c.n_in + 1)

    def _set_signal(self, k, s, delta, f):
        cfg, group, syn = self.configs[k], self.hidden[k], self.syn[k]
        if cfg.variant == "agrel":   # the rule applies f(delta) itself
            group.wfb_apical = np.repeat(self.W[k][s, :-1], self.c.n_per_unit)
            syn.delta = delta
        else:
            group.fb_apical = np.repeat(gate_of(self.W[k][s, :-1]), self.c.n_per_unit)
            syn.RPE = f

    def _clear_signal(self, k):
        if self.configs[k].variant == "agrel":
            self.syn[k].delta = 0.0
        else:
            self.syn[k].RPE = 0.0

    # ------------------------------------------------------------------ run
    def run(self, backend, X, labels, order, learn=True, freeze_hidden=False, winners=None):
        """Present ``X[order]``, one trial each, as one Brian2 run.

        Parameters
        ----------
        learn : bool
            Apply the RPE and feedback in the learning phase (hidden) and
            update the output weights; False: decisions only (greedy test).
        freeze_hidden : bool
            Probe of the expected update at a fixed state: the hidden weights
            are restored after each trial and the output weights not updated.
        winners : array, optional
            Force the winner of each trial (tests).

        Returns
        -------
        dict of arrays per variant: ``rewarded`` (n_trials,), ``choice``,
        ``y`` (n_trials, n_hidden) and, with *freeze_hidden*, ``dV``
        (n_trials, n_hidden, n_in + 1) effective hidden updates.
        """
        X, labels = self.c.check_data(X, labels)
        order = np.asarray(order, int)
        c, n = self.c, len(order)
        if n < 1 or order.min() < 0 or order.max() >= len(labels):
            raise ModelError(f"'order' must list at least one input index in 0..{len(labels) - 1}.")
        if winners is not None and (np.shape(winners) != (n,) or np.min(winners) < 0
                                    or np.max(winners) >= c.n_out):
            raise ModelError(f"'winners' must give one output in 0..{c.n_out - 1} per trial.")
        unit = float(c.t_settle / ms), float(c.t_decide / ms), float(c.t_learn / ms)
        for name, u in zip(("t_settle", "t_decide", "t_learn"), unit):
            ratio = u / float(self.dt / ms)
            if abs(ratio - round(ratio)) > 1e-6:
                raise ModelError(f"Parameter '{name}' = {u} ms must be a multiple of "
                                 f"dt = {self.dt}.")
        step = np.gcd.reduce([int(round(u / float(self.dt / ms))) for u in unit])
        tick = step * self.dt
        marks = np.cumsum([0, *unit]) / float(tick / ms)
        per_trial = int(round(marks[-1]))
        nv = len(self.configs)
        rec = [dict(rewarded=np.zeros(n, bool), choice=np.zeros(n, int),
                    y=np.zeros((n, c.n_hidden)), dV=np.zeros((n, c.n_hidden, c.n_in + 1))
                    if freeze_hidden else None) for _ in range(nv)]
        state = dict(count=None, w0=[None] * nv, V0=[None] * nv)

        def finish_trial(t):
            for k in range(nv):
                self._clear_signal(k)
                if freeze_hidden and state["w0"][k] is not None:
                    rec[k]["dV"][t] = self.effective_V(k) - state["V0"][k]
                    self.syn[k].w = state["w0"][k]

        t_start = float(self.net.t / ms)

        def controller(t):
            tick_no = int(round((float(t / ms) - t_start) / float(tick / ms)))
            trial, pos = divmod(tick_no, per_trial)
            if pos == 0:
                if trial > 0:
                    finish_trial(trial - 1)
                if trial < n:
                    self.inputs.pattern = np.repeat(np.r_[X[order[trial]], 1.0], c.n_per_input)
                    for k in range(nv):
                        if freeze_hidden:
                            state["w0"][k] = np.array(self.syn[k].w[:])
                            state["V0"][k] = self.effective_V(k)
            elif pos == marks[1]:
                state["count"] = [np.array(m.count[:]) for m in self.mons]
            elif pos == marks[2] and trial < n:
                self._decide(trial, order, labels, state, rec, learn, winners, freeze_hidden)

        op = NetworkOperation(controller, dt=tick, when="start", name="agrel_controller")
        self.net.add(op)
        try:
            backend.run(self.net, n * per_trial * tick)
        finally:
            self.net.remove(op)
        finish_trial(n - 1)
        return rec

    def _decide(self, trial, order, labels, state, rec, learn, winners, probe):
        c = self.c
        span = float(c.t_decide / second) * float(self.phi_max / Hz) * c.n_per_unit
        for k in range(len(self.configs)):
            counts = np.array(self.mons[k].count[:]) - state["count"][k]
            y = np.bincount(self._post_unit, weights=counts, minlength=c.n_hidden) / span
            Z = softmax(self.W[k] @ np.r_[y, 1.0])
            if winners is not None:
                s = int(winners[trial])
            elif learn:
                s = int(self.rng.choice(Z.size, p=Z))
            else:
                s = int(np.argmax(Z))
            rewarded, delta, f = _outcome(Z, s, labels[order[trial]])
            rec[k]["rewarded"][trial], rec[k]["choice"][trial], rec[k]["y"][trial] = rewarded, s, y
            if learn:
                self._set_signal(k, s, delta, f)
            if learn and not probe:
                self.W[k][s] = np.clip(self.W[k][s] + c.beta * f * np.r_[y, 1.0],
                                       -c.w_bound, c.w_bound)
