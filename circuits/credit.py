"""One spiking network, six credit channels: the hypothesis test of the project.

Richards & Lillicrap (2018) ask whether feedback only *gates* plasticity
(Roelfsema & Holtmaat's four-factor rule) or carries a *signed* credit
signal (SCIENCE.md sections 1, 8 and 14).  This module builds one network
and swaps only the signal ``delta_j`` that reaches hidden neuron ``j``; every
hidden weight then changes as ``dW_ji = eta delta_j pre_i`` (``pre_i`` the
presynaptic rate of the forward phase, measured from spike counts).

Network (all spiking, escape-rate neurons of Guerguiev et al. 2017, rates
``phi_max sigma(a)``; drives in the rate model's units):

- ``N`` Poisson inputs at ``phi_in x_i`` (``x`` in [0, 1]);
- ``K`` hidden pyramidal neurons: a basal drive ``a_j = sum_i W_ji s_i + b_j``
  (``s_i`` the synaptic trace of input ``i``, mean ``x_i``) sets the somatic
  rate; the apical compartment ``v_A`` (tau_apical) is segregated from the
  soma (Guerguiev's ``g_A = 0``) and holds the top-down feedback
  ``sum_k B_jk`` (output spike traces); at each somatic event the apical
  potential sets the probability that the event is a burst (Payeur et al.
  2021: ``P = sigma(g v_A (1 - rate/phi_max) + logit p_b)``, the factor
  ``1 - rate/phi_max`` as the ``(1 - e)`` of the rate burstprop, ``g`` set by
  the feedback weights' scale (:func:`burst_gains`); the burst is counted, its
  second spike is not transmitted: the feedforward synapses carry events);
- ``M`` output neurons, drive ``sum_j V_kj s_j + c_k``;
- ``M`` SST-like interneurons per replica of channel S3, driven by the hidden
  layer through a copy of ``V`` (the self-predicting state of Sacramento et
  al. 2018, which ``self-prediction`` shows W^IP learning), inhibiting the
  hidden apical dendrites through the same feedback weights.

One example is ``t_settle`` (new input, nothing counted), the forward window
``t_forward`` (counts and means), then the feedback phase: ``t_gap`` (the
feedback arrives) and the target window ``t_target``.  In the feedback phase
the output does what the channel's feedback needs:

==== ============================================= =========================================
S1   output nudged to the target                   ``(sigma(<v_A>_T) - sigma(<v_A>_F)) sigma'(a_j)`` (plateau difference, Guerguiev)
S2   output nudged to the target                   ``(B_j - P_j E_j) / (phi_max t_T)``: bursts against the moving-average burst probability at the end of the forward phase (Payeur)
S3   output nudged to the target                   ``<v_A>_T sigma'(a_j)``: top-down minus the interneurons' prediction (Sacramento)
G1   only a stochastic winner active               ``f(RPE) FB_j y_j``, ``FB_j = <v_A>_T / max`` in [0, 1] through ``|B|`` (four-factor gate)
G2   only a stochastic winner active               ``f(RPE) <v_A>_T sigma'(a_j)`` through signed ``B`` (AGREL)
P1   hidden drives perturbed by ``xi_j``           ``-(E_T - E_F) xi_j / sigma^2`` (node perturbation)
==== ============================================= =========================================

``f(RPE)`` is AGREL's expansive function of the reward-prediction error
(winner drawn from ``softmax(beta a_out)``); ``E`` the squared output error
of a window.  The output layer learns the same way in every channel (the
delta rule on the forward window), so only the hidden credit differs.
Feedback weights are ``B = V^T`` (``symmetric``, default: the question is
gate against sign, not weight transport) or fixed random (``random``).

Many replicas (channel x learning rate x seed) run side by side in one
NeuronGroup per population; replicas of a seed share initial weights and the
example sequence.  :class:`RateCredit` is the rate model of the same network
(exact backprop, output-only learning, and the expected update of every
channel) used as the reference.
"""

from dataclasses import dataclass

import numpy as np
from brian2 import Hz, Network, NetworkOperation, NeuronGroup, Synapses, ms, second

from dendrites.errors import ModelError, check_choice, check_quantity
from dendrites.fragments import _d
from dendrites.plasticity.modulated import expansive

from .agrel import sigmoid, softmax
from .populations import check_size

__all__ = [
    "CHANNELS",
    "CHANNEL_NAMES",
    "CreditConfig",
    "RateCredit",
    "SpikingCredit",
    "dsigmoid",
    "expansive",
    "init_weights",
    "sigmoid",
    "softmax",
]

#: the spiking credit channels (BP is the NumPy reference)
CHANNELS = ("S1", "S2", "S3", "G1", "G2", "P1")
CHANNEL_NAMES = {
    "S1": "signed: plateau difference (Guerguiev)",
    "S2": "signed: burst probability vs running mean (Payeur)",
    "S3": "signed: interneuron subtraction (Sacramento)",
    "G1": "gated: four-factor, FB in [0, 1] x RPE (Roelfsema-Holtmaat)",
    "G2": "AGREL: signed feedback weight x RPE",
    "P1": "node perturbation (REINFORCE)",
    "BP": "exact backprop (rate, NumPy)",
}
_SUPERVISED = ("S1", "S2", "S3")
#: largest reward-prediction error of the winner draw (f(delta) <= 99)
DELTA_MAX = 0.99
_REWARD = ("G1", "G2")


def dsigmoid(a):
    s = sigmoid(a)
    return s * (1.0 - s)


@dataclass(frozen=True)
class CreditConfig:
    """Sizes, neurons, phases and rules of the credit-assignment network.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        Inputs ``N``, hidden width ``K``, outputs ``M`` (at least 2).
    w_init : float
        Hidden weights ``W ~ N(0, w_init^2 / N)``, biases centre the input at
        0.5; output weights ``V ~ N(0, v_init^2 / K)``.
    eta_out : float
        Output-layer learning rate (the same for every channel).
    w_bound : float
        Weights are clipped to ``[-w_bound, w_bound]``.
    feedback : str
        ``symmetric`` (``B = V^T``, follows V) or ``random`` (fixed).
    target_high, target_low : float
        Target activity of the correct and of the other outputs.
    nudge : float
        Fraction of the output rate set by the target in the feedback phase
        (supervised channels).
    beta : float
        Inverse temperature of the winner draw ``softmax(beta a_out)`` (G1, G2).
    winner_rate : float
        Activity of the winner in the feedback phase (G1, G2).
    p_burst, burst_gain : float
        Baseline burst probability and apical sensitivity (S2).
    sigma_pert : float
        Standard deviation of the hidden drive perturbation (P1).
    phi_in, phi_max : `Quantity`
        Input rate at ``x = 1``; maximal rate of hidden and output neurons.
    tau_syn, tau_apical, tau_avg : `Quantity`
        Synaptic (drive) and apical time constants; burst moving average (S2).
    t_settle, t_forward, t_gap, t_target : `Quantity`
        Phases of one example (multiples of ``tick``).
    """

    n_in: int = 30
    n_hidden: int = 64
    n_out: int = 2
    w_init: float = 1.0
    v_init: float = 0.5
    eta_out: float = 0.3
    w_bound: float = 20.0
    feedback: str = "symmetric"
    target_high: float = 0.9
    target_low: float = 0.1
    nudge: float = 1.0
    beta: float = 4.0
    winner_rate: float = 1.0
    p_burst: float = 0.2
    burst_gain: float = 4.0
    sigma_pert: float = 0.5
    phi_in: object = _d(200 * Hz)
    phi_max: object = _d(200 * Hz)
    tau_syn: object = _d(10 * ms)
    tau_apical: object = _d(10 * ms)
    tau_avg: object = _d(40 * ms)
    t_settle: object = _d(20 * ms)
    t_forward: object = _d(40 * ms)
    t_gap: object = _d(10 * ms)
    t_target: object = _d(30 * ms)

    tick = 10 * ms

    def check(self):
        """Validate every field (ModelError naming it) before anything is built."""
        for key in ("n_in", "n_hidden", "n_out"):
            check_size(key, getattr(self, key))
        if self.n_out < 2:
            raise ModelError(f"Parameter 'n_out' = {self.n_out} must be at least 2 (a choice "
                             "between outputs).")
        check_choice("feedback", self.feedback, ("symmetric", "random"))
        for key in ("w_init", "v_init", "eta_out", "w_bound", "beta", "winner_rate",
                    "burst_gain", "sigma_pert", "nudge"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) \
                    or not np.isfinite(v) or v < 0 or (v == 0 and key not in ("eta_out",)):
                raise ModelError(f"Parameter '{key}' = {v!r} must be a positive number.")
        if self.nudge > 1:
            raise ModelError(f"Parameter 'nudge' = {self.nudge} must lie in (0, 1].")
        for key in ("target_high", "target_low", "p_burst"):
            v = getattr(self, key)
            if not 0 < v < 1:
                raise ModelError(f"Parameter '{key}' = {v!r} must lie in (0, 1).")
        if self.target_low >= self.target_high:
            raise ModelError(f"Parameter 'target_low' = {self.target_low} must be below "
                             f"'target_high' = {self.target_high}.")
        for key in ("phi_in", "phi_max"):
            check_quantity(key, getattr(self, key), Hz, positive=True)
        for key in ("tau_syn", "tau_apical", "tau_avg", "t_settle", "t_forward", "t_gap",
                    "t_target"):
            v = check_quantity(key, getattr(self, key), ms, positive=key != "t_gap"
                               and key != "t_settle", nonnegative=True)
            if key.startswith("t_"):
                ratio = float(v / self.tick)
                if abs(ratio - round(ratio)) > 1e-9:
                    raise ModelError(f"Parameter '{key}' = {v} must be a multiple of "
                                     f"{self.tick}.")
        return self

    @property
    def t_example(self):
        return self.t_settle + self.t_forward + self.t_gap + self.t_target

    def targets(self, labels):
        """Target activities ``(n, M)`` of class labels."""
        labels = np.asarray(labels, int)
        t = np.full((labels.size, self.n_out), self.target_low)
        t[np.arange(labels.size), labels] = self.target_high
        return t


def init_weights(cfg, rng):
    """``(W, V, B)`` of one seed: hidden ``(K, N+1)``, output ``(M, K+1)``, feedback ``(K, M)``.

    The last column of W and V is the bias; hidden biases centre the inputs
    (``a = W (x - 1/2)``).  ``B`` is ``V^T`` (symmetric) or ``N(0, v_init^2/M)``.
    """
    N, K, M = cfg.n_in, cfg.n_hidden, cfg.n_out
    W = np.zeros((K, N + 1))
    W[:, :N] = rng.standard_normal((K, N)) * cfg.w_init / np.sqrt(N)
    W[:, N] = -0.5 * W[:, :N].sum(axis=1)
    V = np.zeros((M, K + 1))
    V[:, :K] = rng.standard_normal((M, K)) * cfg.v_init / np.sqrt(K)
    B = V[:, :K].T.copy() if cfg.feedback == "symmetric" else \
        rng.standard_normal((K, M)) * cfg.v_init / np.sqrt(M)
    return W, V, B


def burst_gains(cfg, B):
    """Apical sensitivity of the burst probability per replica: ``burst_gain`` over the RMS feedback norm.

    ``B (R, K, M)``; the gain makes the apical drive of a typical neuron O(1)
    whatever the scale of the feedback weights.
    """
    rms = np.sqrt(np.mean(np.sum(np.asarray(B, float) ** 2, axis=2), axis=1))
    return cfg.burst_gain / np.maximum(rms, 1e-12)


class RateCredit:
    """The rate model of the network: forward pass, backprop, and the expected channel updates.

    Weights are batched: ``W (R, K, N+1)``, ``V (R, M, K+1)``.
    """

    def __init__(self, cfg):
        self.cfg = cfg

    @staticmethod
    def forward(W, V, X):
        """Hidden drives, hidden activities, output drives, outputs for inputs ``X (R, N)``."""
        Xb = np.concatenate([X, np.ones(X.shape[:-1] + (1,))], axis=-1)
        a = np.einsum("rkn,rn->rk", W, Xb)
        h = sigmoid(a)
        hb = np.concatenate([h, np.ones(h.shape[:-1] + (1,))], axis=-1)
        ao = np.einsum("rmk,rk->rm", V, hb)
        return Xb, a, h, hb, ao, sigmoid(ao)

    def backprop_delta(self, W, V, X, T):
        """Backprop's hidden signal ``delta_j = sigma'(a_j) sum_k V_kj (t_k - y_k) sigma'(a_k)``.

        The gradient of ``-|t - y|^2 / 2``; the update is ``delta_j x_i``.
        """
        Xb, a, h, hb, ao, y = self.forward(W, V, X)
        dk = (T - y) * y * (1 - y)
        return np.einsum("rmk,rm->rk", V[:, :, :-1], dk) * h * (1 - h), dk

    @staticmethod
    def accuracy(W, V, X, labels):
        """Test accuracy of each replica's rate read-out ``argmax y`` on ``X (n, N)``."""
        Xb = np.c_[X, np.ones(len(X))]
        h = sigmoid(np.einsum("rkn,in->rik", W, Xb))
        hb = np.concatenate([h, np.ones(h.shape[:-1] + (1,))], axis=-1)
        ao = np.einsum("rmk,rik->rim", V, hb)
        return (ao.argmax(axis=-1) == np.asarray(labels)[None]).mean(axis=1)

    def train(self, W, V, X, T, labels, etas, hidden=True, eval_X=None, eval_labels=None,
              eval_every=50, criterion=None, channel="BP", B=None):
        """Online learning from ``W, V`` on the sequence ``X, T``: backprop, or output-only.

        With *channel* one of :data:`CHANNELS`, the hidden layer follows that
        channel's expected signal (:meth:`expected_delta`; feedback *B*
        ``(R, K, M)``, or ``V^T`` when symmetric) instead of backprop's: the
        channel without its trial-to-trial noise.

        ``etas`` (R,) are hidden learning rates (the output layer uses
        ``cfg.eta_out``).  Returns the accuracy curve ``(R, n_evals)`` at
        examples ``0, eval_every, ...``; stops early when every replica
        has reached *criterion*.
        """
        W, V = W.copy(), V.copy()
        etas = np.asarray(etas, float)
        curve = []
        for e in range(len(X) + 1):
            if e % eval_every == 0:
                curve.append(self.accuracy(W, V, eval_X, eval_labels))
                if criterion is not None and np.all(np.max(curve, axis=0) >= criterion):
                    break
            if e == len(X):
                break
            x = np.broadcast_to(X[e], (W.shape[0], X.shape[1]))
            t = np.broadcast_to(T[e], (W.shape[0], T.shape[1]))
            Xb, a, h, hb, ao, y = self.forward(W, V, x)
            dk = (t - y) * y * (1 - y)
            if hidden:
                if channel == "BP":
                    dj = np.einsum("rmk,rm->rk", V[:, :, :-1], dk) * h * (1 - h)
                else:
                    fb = np.transpose(V[:, :, :-1], (0, 2, 1)) \
                        if self.cfg.feedback == "symmetric" or B is None else B
                    dj = self.expected_delta(channel, W, V, fb, x, t)
                W += etas[:, None, None] * dj[:, :, None] * Xb[:, None, :]
            V += self.cfg.eta_out * dk[:, :, None] * hb[:, None, :]
            np.clip(W, -self.cfg.w_bound, self.cfg.w_bound, out=W)
            np.clip(V, -self.cfg.w_bound, self.cfg.w_bound, out=V)
        return np.array(curve).T, W, V

    def expected_delta(self, channel, W, V, B, X, T):
        """The rate model's hidden signal of *channel* (its expectation over winners for G1/G2).

        S1/S3: the feedback-phase change of the apical potential (S1 through
        the plateau sigmoid); S2: ``e_j (P^T_j - P^F_j)``; G1: ``E[f] FB y``;
        G2: ``E[f B_s] sigma'``; P1: the gradient (node perturbation is unbiased).
        """
        c = self.cfg
        Xb, a, h, hb, ao, y = self.forward(W, V, X)
        yT = (1 - c.nudge) * y + c.nudge * T
        if channel == "S1":
            return (sigmoid(np.einsum("rkm,rm->rk", B, yT))
                    - sigmoid(np.einsum("rkm,rm->rk", B, y))) * h * (1 - h)
        if channel == "S3":
            return np.einsum("rkm,rm->rk", B, yT - y) * h * (1 - h)
        if channel == "S2":
            g = burst_gains(c, B)[:, None] * (1 - h)
            lp = np.log(c.p_burst / (1 - c.p_burst))
            PT = sigmoid(g * np.einsum("rkm,rm->rk", B, yT) + lp)
            PF = sigmoid(g * np.einsum("rkm,rm->rk", B, y) + lp)
            return h * (PT - PF)
        if channel == "P1":
            return self.backprop_delta(W, V, X, T)[0]
        if channel in _REWARD:
            Z = softmax(c.beta * ao)
            labels = T.argmax(axis=1)
            out = np.zeros_like(a)
            for s in range(c.n_out):
                rewarded = labels == s
                # Z_s f(delta) in closed form: (1 - Z_s) when rewarded, -Z_s when not
                zf = np.where(rewarded, 1 - Z[:, s], -Z[:, s])
                if channel == "G2":
                    fb = B[:, :, s] * c.winner_rate
                    term = fb * h * (1 - h)
                else:
                    fb = np.abs(B[:, :, s])
                    fb = fb / np.maximum(fb.max(axis=1, keepdims=True), 1e-12)
                    term = fb * h
                out += zf[:, None] * term
            return out
        raise ModelError(f"Unknown channel {channel!r}; allowed: {', '.join(CHANNELS)}.")


class SpikingCredit:
    """Replicas of the spiking network, one per (channel, learning rate, seed), side by side.

    Parameters
    ----------
    cfg : CreditConfig
    channels : sequence of str
        Channel of each replica.
    etas : sequence of float
        Hidden learning rate of each replica.
    weights : list of ``(W, V, B)``
        Initial weights of each replica (:func:`init_weights`).
    rng : numpy Generator
        Winner draws and perturbations.
    dt : `Quantity`
        Simulation time step (set the backend scope's dt to the same).

    Build and run inside a backend scope with a runtime target (``numpy``
    or ``cython``): the phase control and the weight updates are a
    ``network_operation``.
    """

    def __init__(self, cfg, channels, etas, weights, rng, dt):
        self.cfg = cfg = cfg.check()
        self.channels = np.array([check_choice("channel", c, CHANNELS) for c in channels])
        self.R = R = len(self.channels)
        if R < 1:
            raise ModelError("SpikingCredit needs at least one replica.")
        self.etas = np.asarray(etas, float)
        if self.etas.shape != (R,) or np.any(~np.isfinite(self.etas)) or np.any(self.etas < 0):
            raise ModelError(f"'etas' must give one non-negative learning rate per replica "
                             f"({R}); got {etas!r}.")
        if len(weights) != R:
            raise ModelError(f"'weights' must give (W, V, B) for each of the {R} replicas.")
        N, K, M = cfg.n_in, cfg.n_hidden, cfg.n_out
        self.W = np.array([w[0] for w in weights], float)
        self.V = np.array([w[1] for w in weights], float)
        self.B = np.array([w[2] for w in weights], float)
        if self.W.shape != (R, K, N + 1) or self.V.shape != (R, M, K + 1) \
                or self.B.shape != (R, K, M):
            raise ModelError("Initial weights do not match the sizes of 'cfg'.")
        check_quantity("dt", dt, ms, positive=True)
        if float(cfg.tick / dt) % 1 > 1e-9 or dt > 1 * ms:
            raise ModelError(f"Parameter 'dt' = {dt} must divide {cfg.tick} and be at most "
                             "1 ms (escape rates up to phi_max).")
        if float(cfg.phi_max * dt) > 0.25 or float(cfg.phi_in * dt) > 0.25:
            raise ModelError(f"Parameter 'dt' = {dt} is too coarse for rates up to "
                             f"{max(cfg.phi_max, cfg.phi_in)} (spike probability per step "
                             "must stay below 0.25).")
        self.rng, self.dt = rng, dt
        self._build()

    # ---------------------------------------------------------------- build
    def _build(self):
        c, R = self.cfg, self.R
        N, K, M = c.n_in, c.n_hidden, c.n_out
        ns = dict(phi_in=c.phi_in, phi_max=c.phi_max, tau_syn=c.tau_syn,
                  tau_apical=c.tau_apical, tau_avg=c.tau_avg, t_F=c.t_forward,
                  t_T=c.t_target, lp_b=float(np.log(c.p_burst / (1 - c.p_burst))))
        self.inp = NeuronGroup(R * N, """rate_in : Hz
                                          cnt_F : 1
                                          winF : 1 (shared)""",
                               threshold="rand() < rate_in*dt", reset="cnt_F += winF",
                               namespace=ns, name="credit_input", dt=self.dt)
        self.hid = NeuronGroup(R * K, """
            dv_b/dt = -v_b/tau_syn : 1
            dv_a/dt = -v_a/tau_apical : 1
            a = v_b + b + inT*pert : 1
            rate = phi_max/(1 + exp(-a)) : Hz
            p_b = 1/(1 + exp(-(g_b*v_a*(1 - rate/phi_max) + lp_b))) : 1
            ddrv_F/dt = winF*a/t_F : 1
            dA_F/dt = winF*v_a/t_F : 1
            dA_T/dt = winT*v_a/t_T : 1
            dEbar/dt = -Ebar/tau_avg : 1
            dBbar/dt = -Bbar/tau_avg : 1
            b : 1
            pert : 1
            g_b : 1 (constant)
            cnt_F : 1
            cnt_T : 1
            brst_T : 1
            isb : 1
            winF : 1 (shared)
            winT : 1 (shared)
            inT : 1 (shared)
            """, threshold="rand() < rate*dt",
            reset="""isb = int(rand() < p_b)
                     cnt_F += winF
                     cnt_T += winT
                     brst_T += winT*isb
                     Ebar += 1
                     Bbar += isb""",
            method="euler", namespace=ns, name="credit_hidden", dt=self.dt)
        out_eqs = """
            dv_o/dt = -v_o/tau_syn : 1
            a = v_o + c : 1
            sg = 1/(1 + exp(-a)) : 1
            c : 1
            ddrv_F/dt = winF*a/t_F : 1
            cnt_F : 1
            cnt_T : 1
            winF : 1 (shared)
            winT : 1 (shared)
            inT : 1 (shared)
            """
        self.out = NeuronGroup(
            R * M, out_eqs + """
            rate = phi_max*((1 - inT)*sg + inT*(nud*((1 - lam)*sg + lam*tgt) + rew*win
                                                + per*sg)) : Hz
            tgt : 1
            win : 1
            nud : 1 (constant)
            lam : 1 (constant)
            rew : 1 (constant)
            per : 1 (constant)
            """, threshold="rand() < rate*dt", reset="cnt_F += winF\ncnt_T += winT", method="euler",
            namespace=ns, name="credit_output", dt=self.dt)
        self.inter = NeuronGroup(R * M, """
            dv_o/dt = -v_o/tau_syn : 1
            a = v_o + c : 1
            rate = phi_max/(1 + exp(-a)) : Hz
            c : 1
            """, threshold="rand() < rate*dt", method="euler", namespace=ns,
            name="credit_interneurons", dt=self.dt)
        ch = self.channels
        rep_o = np.repeat(np.arange(R), M)
        self.out.nud = np.isin(ch, _SUPERVISED)[rep_o].astype(float)
        self.out.lam = c.nudge
        self.out.rew = np.isin(ch, _REWARD)[rep_o].astype(float)
        self.out.per = (ch == "P1")[rep_o].astype(float)
        self.hid.g_b = np.repeat(burst_gains(c, self.B), K)

        # synapses, created in a known order: replica-major, then post, then pre
        def block(n_pre, n_post):
            r = np.repeat(np.arange(R), n_pre * n_post)
            post = np.tile(np.repeat(np.arange(n_post), n_pre), R)
            pre = np.tile(np.arange(n_pre), R * n_post)
            return r * n_pre + pre, r * n_post + post

        k_in = 1.0 / float(c.phi_in * c.tau_syn)
        k_h = 1.0 / float(c.phi_max * c.tau_syn)
        k_a = 1.0 / float(c.phi_max * c.tau_apical)
        self.s_in = Synapses(self.inp, self.hid, "w : 1", on_pre=f"v_b_post += w*{k_in!r}",
                             name="credit_in_hidden", dt=self.dt)
        self.s_in.connect(i=block(N, K)[0], j=block(N, K)[1])
        self.s_ho = Synapses(self.hid, self.out, "w : 1", on_pre=f"v_o_post += w*{k_h!r}",
                             name="credit_hidden_output", dt=self.dt)
        self.s_ho.connect(i=block(K, M)[0], j=block(K, M)[1])
        self.s_fb = Synapses(self.out, self.hid, "w : 1", on_pre=f"v_a_post += w*{k_a!r}",
                             name="credit_feedback", dt=self.dt)
        self.s_fb.connect(i=block(M, K)[0], j=block(M, K)[1])
        s3 = np.flatnonzero(ch == "S3")
        self._s3 = s3
        self.s_hi = Synapses(self.hid, self.inter, "w : 1", on_pre=f"v_o_post += w*{k_h!r}",
                             name="credit_hidden_inter", dt=self.dt)
        self.s_ia = Synapses(self.inter, self.hid, "w : 1", on_pre=f"v_a_post -= w*{k_a!r}",
                             name="credit_inter_apical", dt=self.dt)
        if s3.size:
            i, j = block(K, M)
            keep = np.isin(i // K, s3)
            self.s_hi.connect(i=i[keep], j=j[keep])
            i, j = block(M, K)
            keep = np.isin(i // M, s3)
            self.s_ia.connect(i=i[keep], j=j[keep])
        self._push_weights()
        extra = (self.inter, self.s_hi, self.s_ia) if s3.size else ()
        self.net = Network(self.inp, self.hid, self.out, self.s_in, self.s_ho, self.s_fb, *extra)

    def _push_weights(self):
        """Write the NumPy weights into the synapses (their order is replica, post, pre)."""
        c, N, K = self.cfg, self.cfg.n_in, self.cfg.n_hidden
        self.s_in.w = self.W[:, :, :N].ravel()
        self.hid.b = self.W[:, :, N].ravel()
        self.s_ho.w = self.V[:, :, :K].ravel()
        self.out.c = self.V[:, :, K].ravel()
        if c.feedback == "symmetric":
            self.B = np.transpose(self.V[:, :, :K], (0, 2, 1)).copy()
        fb = np.where((self.channels == "G1")[:, None, None], np.abs(self.B), self.B)
        self.s_fb.w = fb.ravel()                                    # (R, post K, pre M)
        if self._s3.size:
            self.s_hi.w = self.V[self._s3, :, :K].ravel()
            self.inter.c = self.V[:, :, K].ravel()
            self.s_ia.w = self.B[self._s3].ravel()

    # --------------------------------------------------------------- signals
    def _deltas(self, ex):
        """Hidden signal ``delta (R, K)`` of every replica from the counts of one example."""
        c, R, K, M = self.cfg, self.R, self.cfg.n_hidden, self.cfg.n_out
        tF, tT = float(c.t_forward / second), float(c.t_target / second)
        phi = float(c.phi_max / Hz)
        uF = np.asarray(self.hid.drv_F[:]).reshape(R, K)
        A_F = np.asarray(self.hid.A_F[:]).reshape(R, K)
        A_T = np.asarray(self.hid.A_T[:]).reshape(R, K)
        hF = np.asarray(self.hid.cnt_F[:]).reshape(R, K) / (phi * tF)
        cnt_T = np.asarray(self.hid.cnt_T[:]).reshape(R, K)
        brst_T = np.asarray(self.hid.brst_T[:]).reshape(R, K)
        yF = np.asarray(self.out.cnt_F[:]).reshape(R, M) / (phi * tF)
        yT = np.asarray(self.out.cnt_T[:]).reshape(R, M) / (phi * tT)
        sp = dsigmoid(uF)
        T = ex["T"]
        delta = np.zeros((R, K))
        for ch in CHANNELS:
            r = self.channels == ch
            if not r.any():
                continue
            if ch == "S1":
                d = (sigmoid(A_T[r]) - sigmoid(A_F[r])) * sp[r]
            elif ch == "S2":
                d = (brst_T[r] - ex["Pbar"][r] * cnt_T[r]) / (phi * tT)
            elif ch == "S3":
                d = A_T[r] * sp[r]
            elif ch == "G1":
                fb = np.clip(A_T[r] / np.maximum(ex["gmax"][r], 1e-12), 0.0, 1.0)
                d = ex["f"][r, None] * fb * hF[r]
            elif ch == "G2":
                d = ex["f"][r, None] * A_T[r] / c.winner_rate * sp[r]
            else:                                                   # P1
                EF = 0.5 * ((T[r] - yF[r]) ** 2).sum(axis=1)
                ET = 0.5 * ((T[r] - yT[r]) ** 2).sum(axis=1)
                d = -(ET - EF)[:, None] * ex["xi"][r] / c.sigma_pert ** 2
            delta[r] = d
        return delta, hF, yF

    # ------------------------------------------------------------------ run
    def run(self, backend, X, labels, learn=True, on_chunk=None, chunk=None, source=None):
        """Present examples ``X (n, S, N)`` with ``labels (n, S)``; replica ``r`` sees row ``source[r]``.

        *source* defaults to ``arange(R)`` (``S = R``).
        With *learn*, every replica updates its weights after each example;
        otherwise the weights stay and the single-trial signals are returned.
        *on_chunk(done)* is called every *chunk* examples (learning curves,
        early stop: return True to stop).  Returns a dict: ``delta``
        ``(n, R, K)`` and ``pre`` ``(n, R, N+1)`` (without *learn*),
        ``examples`` run.
        """
        c, R = self.cfg, self.R
        N, K, M = c.n_in, c.n_hidden, c.n_out
        X = np.asarray(X, float)
        labels = np.asarray(labels, int)
        n = X.shape[0]
        src = np.arange(R) if source is None else np.asarray(source, int)
        S = X.shape[1] if X.ndim == 3 else 0
        if X.ndim != 3 or X.shape[2] != N or labels.shape != (n, S) or src.shape != (R,) \
                or src.min() < 0 or src.max() >= S:
            raise ModelError(f"Inputs must have shape (n, S, {N}), labels (n, S) and 'source' "
                             f"one row in 0..S-1 per replica ({R}); got {X.shape}, "
                             f"{labels.shape} and {src.shape}.")
        if np.any(X < 0) or np.any(X > 1):
            raise ModelError("Inputs must lie in [0, 1] (rate-coded).")
        if np.any(labels < 0) or np.any(labels >= M):
            raise ModelError(f"Labels must lie in 0..{M - 1}.")
        ticks = [int(round(float(v / c.tick))) for v in
                 (c.t_settle, c.t_forward, c.t_gap, c.t_target)]
        marks = np.cumsum([0] + ticks)
        per = int(marks[-1])
        rec = dict(delta=None if learn else np.zeros((n, R, K)),
                   pre=None if learn else np.zeros((n, R, N + 1)), examples=0)
        ex = {}
        phi_in = float(c.phi_in / Hz)
        tF = float(c.t_forward / second)
        t0 = int(round(float(self.net.t / c.tick)))
        state = dict(stop=False)
        ch = self.channels

        def start(e):
            self.inp.rate_in = X[e][src].ravel() * c.phi_in
            for g in (self.inp, self.hid, self.out):
                g.cnt_F = 0.0
            for v in ("cnt_T", "brst_T", "drv_F", "A_F", "A_T", "pert"):
                setattr(self.hid, v, 0.0)
            self.out.cnt_T = 0.0
            self.out.drv_F = 0.0
            self.out.tgt = 0.0
            self.out.win = 0.0
            ex.clear()
            ex["T"] = c.targets(labels[e][src])

        def feedback_phase(e):
            ao = np.asarray(self.out.drv_F[:]).reshape(R, M)
            T = ex["T"]
            self.out.tgt = T.ravel()
            Ebar = np.asarray(self.hid.Ebar[:]).reshape(R, K)
            Bbar = np.asarray(self.hid.Bbar[:]).reshape(R, K)
            ex["Pbar"] = (Bbar + c.p_burst * 0.5) / (Ebar + 0.5)
            # winner (G1, G2): stochastic, from the output drives of the forward window
            Z = softmax(c.beta * ao)
            u = self.rng.random(R)
            s = np.minimum((Z.cumsum(axis=1) < u[:, None]).sum(axis=1), M - 1)
            rewarded = s == labels[e][src]
            # delta = 1 - Z_s, at most DELTA_MAX: f(delta) = delta/(1 - delta) stays finite
            # when a winner of vanishing probability is drawn
            dZ = np.where(rewarded, np.minimum(1 - Z[np.arange(R), s], DELTA_MAX), 0.0)
            ex["f"] = np.where(rewarded, expansive(dZ), -1.0)
            win = np.zeros((R, M))
            win[np.arange(R), s] = c.winner_rate
            self.out.win = win.ravel()
            gate = np.abs(self.B[np.arange(R), :, s]) * c.winner_rate       # (R, K)
            ex["gmax"] = gate.max(axis=1, keepdims=True) * np.ones((1, K))
            xi = self.rng.standard_normal((R, K)) * c.sigma_pert * (ch == "P1")[:, None]
            ex["xi"] = xi
            self.hid.pert = xi.ravel()

        def finish(e):
            delta, hF, yF = self._deltas(ex)
            pre = np.c_[np.asarray(self.inp.cnt_F[:]).reshape(R, N) / (phi_in * tF), np.ones(R)]
            if not learn:
                rec["delta"][e], rec["pre"][e] = delta, pre.reshape(R, N + 1)
            else:
                pre = pre.reshape(R, N + 1)
                self.W += self.etas[:, None, None] * delta[:, :, None] * pre[:, None, :]
                uo = np.asarray(self.out.drv_F[:]).reshape(R, M)
                dk = (ex["T"] - sigmoid(uo)) * dsigmoid(uo)   # target vs dendritic prediction
                hb = np.c_[hF, np.ones(R)]
                self.V += c.eta_out * dk[:, :, None] * hb[:, None, :]
                np.clip(self.W, -c.w_bound, c.w_bound, out=self.W)
                np.clip(self.V, -c.w_bound, c.w_bound, out=self.V)
                self._push_weights()
            rec["examples"] = e + 1

        def controller(t):
            if state["stop"]:
                return
            tick = int(round(float(t / c.tick))) - t0
            e, pos = divmod(tick, per)
            if pos == 0:
                if e > 0:
                    self.hid.winT = self.out.winT = 0.0
                    self.hid.inT = self.out.inT = 0.0
                    self.hid.pert = 0.0
                    finish(e - 1)
                    if on_chunk is not None and chunk and e % chunk == 0 and on_chunk(e):
                        state["stop"] = True
                        self.net.stop()
                        return
                if e < n:
                    start(e)
            if pos == marks[1]:
                self.inp.winF = self.hid.winF = self.out.winF = 1.0
            if pos == marks[2]:
                self.inp.winF = self.hid.winF = self.out.winF = 0.0
                self.hid.inT = self.out.inT = 1.0
                feedback_phase(e)
            if pos == marks[3]:
                self.hid.winT = self.out.winT = 1.0

        op = NetworkOperation(controller, dt=c.tick, when="start", name="credit_controller")
        self.net.add(op)
        try:
            backend.run(self.net, n * per * c.tick + c.tick)
        finally:
            self.net.remove(op)
        return rec
