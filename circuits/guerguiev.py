"""The segregated-dendrite network of Guerguiev, Lillicrap & Richards (2017), spiking or rate.

One description (:class:`Guerguiev2017`) and one builder
(:func:`build_guerguiev`) with ``mode='spiking'`` (Poisson spikes at
``lambda_max sigma(C)``, the paper's spiking mode) or ``mode='rate'`` (the
paper's non-spiking mode: the same filters driven by the rates).  Layers
(eLife 6:e22901, Fig. 3; SCIENCE.md section 4.1; voltages are the paper's
dimensionless ones, read as mV above rest):

==========  ===========================  ==========================================
name        pre -> post                  weights
==========  ===========================  ==========================================
ff_k        layer k-1 -> layer k basal   W_k, plastic (plateau rule / output rule)
fb_k        output -> hidden k apical    Y_k, random and fixed ("broadcast")
==========  ===========================  ==========================================

Every neuron keeps the PSP of its own spike train (or rate),
``kappa(t) = (e^{-t/tau_L} - e^{-t/tau_s})/(tau_L - tau_s)``, as two
exponential traces; the basal potential is ``B = W PSP_in + b``, the apical
``A = Y PSP_out`` (Brian2 summed variables); with ``feedback='rate'`` the
apical dendrites see the output rates themselves, ``A = Y lambda_out``, with
no spikes and no kernel (the authors' ``use_spiking_feedback = False``, which
their code offers beside spiking feedback).  Hidden somata follow
``dC/dt = -g_L C + g_B (B - C) + g_A (A - C)``, output somata
``dU/dt = -g_L U + g_D (V - U) + I`` with the teaching current ``I = g_E (E_E
- U) + g_I (E_I - U)`` in the target phase only (``g_E`` one-hot, ``g_I = 1 -
g_E``, in 1/ms).  Each learning cycle is a forward phase then a target phase;
exact means over the last ``T_integrate`` of each phase are accumulated in
Brian2 (windows timed from the cycle start ``t_start``).  A test cycle is one
``T_test`` phase without teaching; the output rate is averaged over its last
``T_test_integrate``.

Weights change once per cycle, at its end, in Python (a ``NetworkOperation``
of :class:`GuerguievNetwork`), from those means (authors' ``update_W``):

- output: ``Delta W = eta P_out (<lambda_U>_t - lambda_max sigma(<U>_f))
  k_D lambda_max sigma'(<U>_f) <PSP>_f``;
- hidden: ``Delta W = eta P_h (alpha_t - alpha_f) k_B lambda_max
  sigma'(<C>_f) <PSP_in>_f``, ``alpha = sigma(<A>)``; its sign per neuron
  is ``sign(alpha_t - alpha_f)`` (sigma' > 0, PSPs >= 0).

Why not :class:`dendrites.plasticity.PlateauRule` and the ``guerguiev-2017``
preset: the rule keeps three traces *per synapse* (36 000-82 000 synapses
here, every time step), which makes a digits epoch several times slower,
and the preset's leaky dendrite with 3 ms current synapses gives the
paper's kernel per synapse but no per-neuron ``<PSP>_f`` to learn from.
Here the traces are per presynaptic neuron and feed both the dendrites and
the rule; the means are the same exact window means as
:class:`dendrites.plasticity.PhasePlateau`.
"""

import logging
from dataclasses import dataclass

import numpy as np
from brian2 import Hz, Network, NetworkOperation, NeuronGroup, Synapses, defaultclock, ms, mV

from dendrites.fragments import _d as _q  # dataclass default for a quantity
from dendrites.errors import ModelError, check_choice, check_quantity

from .populations import check_size

__all__ = [
    "FEEDBACK",
    "MODES",
    "Guerguiev2017",
    "GuerguievNetwork",
    "angle_deg",
    "backprop_deltas",
    "backprop_hidden",
    "build_guerguiev",
    "hidden_update",
    "initial_weights",
    "output_update",
    "sigma",
]

logger = logging.getLogger(__name__)

MODES = ("spiking", "rate")
FEEDBACK = ("psp", "rate")
SOURCE = ("Guerguiev, Lillicrap & Richards 2017 eLife 6:e22901; jordan-g/Segregated-Dendrite-"
          "Deep-Learning deep_learning.py (SCIENCE.md section 4)")


def sigma(x):
    """The logistic function (numerically safe)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, float)))


@dataclass(frozen=True)
class Guerguiev2017:
    """Description of the network (SCIENCE.md section 4.2).

    Parameters
    ----------
    sizes : tuple of int
        Neurons per layer, input first (0, 1 or 2 hidden layers).
    g_L, g_B, g_A, g_D : float
        Leak, basal, apical and output-dendrite conductances in 1/ms
        (0.1, 0.6, 0, 0.6).
    E_E, E_I : float
        Reversal potentials of the teaching conductances (+8, -8).
    lambda_max : `Quantity`
        Maximal rate (200 Hz).
    tau_L, tau_s : `Quantity`
        PSP kernel time constants (10 ms, 3 ms).
    T_forward, T_target, T_integrate : `Quantity`
        Phase lengths (50 ms) and the averaging window at the end of each (20 ms).
    T_test, T_test_integrate : `Quantity`
        Test phase per image (250 ms, no teaching, no learning) and the window at its
        end over which the output rates are averaged for the prediction (220 ms; the
        paper's values, SCIENCE.md section 4.2).
    P_hidden, P_final : `Quantity`
        Loss scales ``20/lambda_max`` and ``20/lambda_max**2`` (in ms, ms**2).
    eta : tuple of float
        Learning rate per layer above the input, output last (default 3.0, 0.21
        for 64-500-10, tuned on digits).
    w_sd, y_scale : float
        Initial ``W ~ U(-a, a)`` with ``a`` such that the basal potential has
        standard deviation ``w_sd`` for inputs at ``lambda_max/2``; feedback
        ``Y ~ y_scale U(-1, 1)``.
    feedback : str
        What the apical dendrites receive from the output layer: ``'psp'`` (the
        PSP of its spike trains, the paper's spiking feedback; in ``mode='rate'``
        the PSP of its rates) or ``'rate'`` (its rates ``lambda_max sigma(U)``
        directly, no spikes and no kernel: the authors' non-spiking feedback).
    """

    sizes: tuple = (64, 500, 10)
    g_L: float = 0.1
    g_B: float = 0.6
    g_A: float = 0.0
    g_D: float = 0.6
    E_E: float = 8.0
    E_I: float = -8.0
    lambda_max: object = _q(200 * Hz)
    tau_L: object = _q(10 * ms)
    tau_s: object = _q(3 * ms)
    T_forward: object = _q(50 * ms)
    T_target: object = _q(50 * ms)
    T_integrate: object = _q(20 * ms)
    T_test: object = _q(250 * ms)
    T_test_integrate: object = _q(220 * ms)
    P_hidden: object = None
    P_final: object = None
    eta: tuple = (3.0, 0.21)
    w_sd: float = 1.0
    y_scale: float = 3.0
    feedback: str = "psp"

    def __post_init__(self):
        object.__setattr__(self, "sizes", tuple(self.sizes))
        object.__setattr__(self, "eta", tuple(float(e) for e in np.atleast_1d(self.eta)))
        if self.P_hidden is None:
            object.__setattr__(self, "P_hidden", 20 / self.lambda_max)
        if self.P_final is None:
            object.__setattr__(self, "P_final", 20 / self.lambda_max ** 2)
        self.validate()

    @property
    def n_hidden(self):
        return len(self.sizes) - 2

    @property
    def k_B(self):
        return self.g_B / (self.g_L + self.g_B + self.g_A)

    @property
    def k_D(self):
        return self.g_D / (self.g_L + self.g_D)

    @property
    def T_cycle(self):
        return self.T_forward + self.T_target

    def validate(self):
        check_choice("feedback", self.feedback, FEEDBACK)
        if not 2 <= len(self.sizes) <= 4:
            raise ModelError(f"Parameter 'sizes' = {list(self.sizes)} needs 2 to 4 layers (input, "
                             "0-2 hidden, output).")
        for k, n in enumerate(self.sizes):
            check_size(f"sizes[{k}]", n)
        if len(self.eta) != len(self.sizes) - 1:
            raise ModelError(f"Parameter 'eta' = {list(self.eta)} needs one learning rate per "
                             f"layer above the input ({len(self.sizes) - 1} for sizes "
                             f"{list(self.sizes)}).")
        check_quantity("eta", np.asarray(self.eta), 1, nonnegative=True)
        for name in ("g_B", "g_A", "g_D", "w_sd", "y_scale"):
            check_quantity(name, getattr(self, name), 1, nonnegative=True)
        check_quantity("g_L", self.g_L, 1, positive=True)
        check_quantity("lambda_max", self.lambda_max, Hz, positive=True)
        for name in ("tau_L", "tau_s", "T_forward", "T_target", "T_integrate", "T_test",
                     "T_test_integrate"):
            check_quantity(name, getattr(self, name), ms, positive=True)
        check_quantity("P_hidden", self.P_hidden, ms, positive=True)
        check_quantity("P_final", self.P_final, ms ** 2, positive=True)
        if not self.tau_s < self.tau_L:
            raise ModelError(f"Parameter 'tau_s' = {self.tau_s} must be shorter than 'tau_L' = "
                             f"{self.tau_L}.")
        if not (self.T_integrate <= self.T_forward and self.T_integrate <= self.T_target):
            raise ModelError(f"Parameter 'T_integrate' = {self.T_integrate} must not exceed the "
                             f"phase lengths ({self.T_forward}, {self.T_target}).")
        if not self.T_test_integrate <= self.T_test:
            raise ModelError(f"Parameter 'T_test_integrate' = {self.T_test_integrate} must not "
                             f"exceed 'T_test' = {self.T_test}.")


def initial_weights(desc, rng):
    """``{name: array}``: ``ff_k`` (N_k, N_k-1), ``b_k`` (N_k,), ``fb_k`` (N_k, N_out)."""
    lam = float(desc.lambda_max / (1 / ms))
    W = {}
    for k in range(1, len(desc.sizes)):
        n_in = desc.sizes[k - 1]
        a = np.sqrt(3) * desc.w_sd / (0.5 * lam * np.sqrt(n_in))
        W[f"ff_{k}"] = rng.uniform(-a, a, (desc.sizes[k], n_in))
        W[f"b_{k}"] = np.zeros(desc.sizes[k])
    for k in range(1, len(desc.sizes) - 1):
        W[f"fb_{k}"] = desc.y_scale * rng.uniform(-1, 1, (desc.sizes[k], desc.sizes[-1]))
    return W


# ------------------------------------------------------------------ the learning rules (NumPy)
def hidden_update(desc, alpha_f, alpha_t, C_f, psp_in):
    """Hidden-layer update ``(Delta W / eta, Delta b / eta)`` (per ms units, C_f in mV).

    ``P_h (alpha_t - alpha_f) k_B lambda_max sigma'(C_f)`` times ``<PSP_in>_f``;
    the sign of row ``i`` is ``sign(alpha_t_i - alpha_f_i)``.
    """
    lam = float(desc.lambda_max * ms)
    s = sigma(C_f)
    d = float(desc.P_hidden / ms) * (np.asarray(alpha_t) - alpha_f) * desc.k_B * lam * s * (1 - s)
    return np.outer(d, psp_in), d


def output_update(desc, lam_t, U_f, psp_in):
    """Output-layer update ``(Delta W / eta, Delta b / eta)``; ``lam_t`` in 1/ms."""
    lam = float(desc.lambda_max * ms)
    s = sigma(U_f)
    e = float(desc.P_final / ms ** 2) * (np.asarray(lam_t) - lam * s) * desc.k_D * lam * s * (1 - s)
    return np.outer(e, psp_in), e


def backprop_deltas(desc, W, lam_t, U_f, C_fs):
    """Backprop's per-neuron factors ``{k: delta_k}`` of every hidden layer.

    ``-dL/dW_k = outer(delta_k, PSP_{k-1})`` and ``-dL/db_k = delta_k`` for the
    output loss of the paper, ``L = P_final/2 ||<lambda_U>_t - lambda_max
    sigma(U_f)||^2`` with ``U_f = k_D V``, ``V = W_out PSP_h + b`` and
    ``PSP_h = lambda_max sigma(C_f)`` (the kernel integrates to 1), ``C_f = k_B B``.
    """
    lam = float(desc.lambda_max * ms)
    s = sigma(U_f)
    delta = (float(desc.P_final / ms ** 2) * (np.asarray(lam_t) - lam * s) * desc.k_D * lam
             * s * (1 - s))
    L = len(desc.sizes) - 1
    out = {}
    for k in range(L - 1, 0, -1):
        s = sigma(C_fs[k - 1])
        delta = (W[f"ff_{k + 1}"].T @ delta) * lam * s * (1 - s) * desc.k_B
        out[k] = delta
    return out


def backprop_hidden(desc, W, lam_t, U_f, C_fs, psps):
    """Exact backprop updates of every hidden layer, ``{k: -dL/dW_k}`` (see
    :func:`backprop_deltas`)."""
    return {k: np.outer(d, psps[k - 1])
            for k, d in backprop_deltas(desc, W, lam_t, U_f, C_fs).items()}


def angle_deg(a, b):
    """Angle (degrees) between two arrays, flattened; nan if either is zero."""
    a, b = np.ravel(a), np.ravel(b)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return float("nan")
    return float(np.degrees(np.arccos(np.clip(a @ b / (na * nb), -1, 1))))


# ------------------------------------------------------------------ Brian2 network
_TRACE = """
dxL/dt = -kL*xL + drive : 1
dxs/dt = -ks*xs + drive : 1
psp = (xL - xs)/(tau_L - tau_s) : Hz
kL : Hz (shared, constant)
ks : Hz (shared, constant)
tau_L : second (shared, constant)
tau_s : second (shared, constant)
"""

_WINDOWS = """
pos = timestep(t - t_start, dt) : integer
t_start : second (shared)
in_fwd = int(pos >= timestep(T_fwd - T_int, dt))*int(pos < timestep(T_fwd, dt)) : 1
in_tgt = int(pos >= timestep(T_fwd + T_tgt - T_int, dt)) : 1
in_tphase = int(pos >= timestep(T_fwd, dt)) : 1
dpsp_f/dt = in_fwd*psp/T_int : Hz
T_fwd : second (shared, constant)
T_tgt : second (shared, constant)
T_int : second (shared, constant)
lambda_max : Hz (shared, constant)
g_L : Hz (shared, constant)
"""

_HIDDEN = """
B = Bsyn + b : volt
Bsyn : volt
A : volt
b : volt
dC/dt = -g_L*C + g_B*(B - C) + g_A*(A - C) : volt
rate = lambda_max*0.5*(1 + tanh(0.5*C/mV)) : Hz
dA_f/dt = in_fwd*A/T_int : volt
dA_t/dt = in_tgt*A/T_int : volt
dC_f/dt = in_fwd*C/T_int : volt
g_B : Hz (shared, constant)
g_A : Hz (shared, constant)
"""

_OUTPUT = """
V = Vsyn + b : volt
Vsyn : volt
b : volt
dU/dt = -g_L*U + g_D*(V - U) + teach*in_tphase*(g_E*(E_E - U) + (1/ms - g_E)*(E_I - U)) : volt
g_E : Hz
teach : 1 (shared)
rate = lambda_max*0.5*(1 + tanh(0.5*U/mV)) : Hz
rate_now : Hz
dU_f/dt = in_fwd*U/T_int : volt
drate_t/dt = in_tgt*rate/T_int : Hz
drate_f/dt = in_fwd*rate/T_int : Hz
in_late = int(pos >= timestep(T_test - T_test_int, dt)) : 1
drate_w/dt = in_late*rate/T_test_int : Hz
T_test : second (shared, constant)
T_test_int : second (shared, constant)
g_D : Hz (shared, constant)
E_E : volt (shared, constant)
E_I : volt (shared, constant)
"""


class GuerguievNetwork:
    """A built network: groups, synapses, weights (master copies) and the cycle operation.

    A cycle is a forward then a target phase (``T_forward + T_target``) when
    learning, one test phase (``T_test``, no teaching) otherwise.  The
    operation ticks every ``gcd`` of the phase lengths; at each cycle end it
    learns from the cycle (when ``learning``), recording the angle of each
    hidden update to backprop's, or stores the prediction (mean output rate
    over the last ``T_test_integrate``), then presents the next example of the
    schedule set by :meth:`present` and restarts the windows (``t0``).  Call
    :meth:`close_cycle` after each run for the last cycle.  Learning rates are
    ``desc.eta`` times ``eta_scale`` (a schedule sets it, e.g. per epoch).
    """

    def __init__(self, desc, mode, groups, synapses, weights):
        self.desc, self.mode = desc, mode
        self.groups, self.synapses = groups, synapses
        self.W = weights
        self.learning = True
        self.eta_scale = 1.0
        self.schedule, self.labels = None, None
        self.cursor = 0
        self._open = False         # a cycle is running and not yet closed
        self._end = 0              # time step at which the open cycle ends
        self.records = []          # per learned cycle: dict of angles and plateau data
        self.predictions = []      # per test cycle: mean output rate (1/ms) over the last
                                   # T_test_integrate
        self.keep_updates = False
        self._index = {name: (np.asarray(s.j[:]), np.asarray(s.i[:]))
                       for name, s in synapses.items()}
        step = defaultclock.dt
        ticks = [round(float(T / step)) for T in (desc.T_forward, desc.T_target, desc.T_test)]
        self._tick = int(np.gcd.reduce(ticks))
        self.op = NetworkOperation(self._cycle, dt=self._tick * step, when="start", order=-10,
                                   name="guerguiev_cycle")

    @property
    def objects(self):
        return [*self.groups.values(), *self.synapses.values(), self.op]

    def network(self):
        return Network(*self.objects)

    @property
    def T_cycle(self):
        """Length of one cycle in the current mode (learning or testing)."""
        return self.desc.T_cycle if self.learning else self.desc.T_test

    # -- schedule
    def present(self, x, labels=None, learning=True):
        """Show the rows of *x* one per cycle from the next run on (targets from *labels*)."""
        x = np.asarray(x, float)
        if x.ndim != 2 or x.shape[1] != self.desc.sizes[0]:
            raise ModelError(f"Inputs have shape {x.shape}; expected (n, {self.desc.sizes[0]}).")
        if learning and labels is None:
            raise ModelError("Learning needs labels (the output target of each example).")
        if self._open:
            self.close_cycle()
        self.schedule, self.labels, self.learning = x, labels, learning
        self.cursor = 0
        self.groups["out"].teach = 1.0 if learning else 0.0

    def duration(self):
        return len(self.schedule) * self.T_cycle

    # -- reading the window means
    def _means(self):
        g, L = self.groups, len(self.desc.sizes) - 1
        lam_ms = lambda q: np.asarray(q) * 1e-3
        m = {"psp": [lam_ms(g["in"].psp_f_[:])]}
        m["C_f"], m["A_f"], m["A_t"] = [], [], []
        for k in range(1, L):
            h = g[f"h{k}"]
            m["psp"].append(lam_ms(h.psp_f_[:]))
            m["C_f"].append(np.asarray(h.C_f_[:]) * 1e3)
            m["A_f"].append(np.asarray(h.A_f_[:]) * 1e3)
            m["A_t"].append(np.asarray(h.A_t_[:]) * 1e3)
        out = g["out"]
        m["U_f"] = np.asarray(out.U_f_[:]) * 1e3
        m["rate_t"], m["rate_f"] = lam_ms(out.rate_t_[:]), lam_ms(out.rate_f_[:])
        return m

    def _reset_means(self):
        for name, grp in self.groups.items():
            grp.psp_f_[:] = 0
            if name.startswith("h"):
                grp.A_f_[:], grp.A_t_[:], grp.C_f_[:] = 0, 0, 0
            if name == "out":
                grp.U_f_[:], grp.rate_t_[:], grp.rate_f_[:], grp.rate_w_[:] = 0, 0, 0, 0

    def _write(self, name):
        j, i = self._index[name]
        self.synapses[name].w_[:] = self.W[name][j, i]

    def learn(self, m):
        """Apply one cycle's updates from the window means *m*; returns the record.

        The angle to backprop is computed from the factors: both updates of
        layer k are outer products with the same ``<PSP_in>_f``, so the angle
        between the matrices is the angle between the per-neuron factors
        (:func:`angle_deg` of the full matrices gives the same number, slower).
        """
        desc, L = self.desc, len(self.desc.sizes) - 1
        eta = [e * self.eta_scale for e in desc.eta]
        deltas = backprop_deltas(desc, self.W, m["rate_t"], m["U_f"], m["C_f"])
        rec = {"angle": {}, "alpha_diff": {}}
        for k in range(1, L):
            alpha_f, alpha_t = sigma(m["A_f"][k - 1]), sigma(m["A_t"][k - 1])
            dW, db = hidden_update(desc, alpha_f, alpha_t, m["C_f"][k - 1], m["psp"][k - 1])
            rec["angle"][k] = (angle_deg(db, deltas[k]) if np.any(m["psp"][k - 1])
                               else float("nan"))
            if self.keep_updates:
                rec["alpha_diff"][k] = alpha_t - alpha_f
                rec.setdefault("dW", {})[k] = dW
                rec.setdefault("bp", {})[k] = np.outer(deltas[k], m["psp"][k - 1])
            self.W[f"ff_{k}"] += eta[k - 1] * dW
            self.W[f"b_{k}"] += eta[k - 1] * db
        dW, db = output_update(desc, m["rate_t"], m["U_f"], m["psp"][-1])
        if self.keep_updates:
            rec.setdefault("dW", {})[L] = dW
        self.W[f"ff_{L}"] += eta[-1] * dW
        self.W[f"b_{L}"] += eta[-1] * db
        for k in range(1, L + 1):
            self._write(f"ff_{k}")
            grp = self.groups["out"] if k == L else self.groups[f"h{k}"]
            grp.b_[:] = self.W[f"b_{k}"] * 1e-3
        return rec

    def _cycle(self):
        now = int(defaultclock.timestep[:])
        if self._open and now < self._end:
            return                      # a tick inside a cycle
        self.close_cycle()
        if self.schedule is None or self.cursor >= len(self.schedule):
            return
        x = self.schedule[self.cursor]
        self.groups["in"].pattern = x
        g_E = np.zeros(self.desc.sizes[-1])
        if self.labels is not None and self.learning:
            g_E[int(self.labels[self.cursor])] = 1.0
        self.groups["out"].g_E_[:] = g_E * 1e3
        self.cursor += 1
        self._reset_means()
        t0 = now * float(defaultclock.dt_)
        for grp in self.groups.values():
            grp.t_start_ = t0
        self._open = True
        self._end = now + round(float(self.T_cycle / defaultclock.dt))

    def close_cycle(self):
        """Learn from (or read the prediction of) the cycle that just ended (once per cycle)."""
        if not self._open:
            return
        self._open = False
        if self.learning:
            self.records.append(self.learn(self._means()))
        else:
            self.predictions.append(np.asarray(self.groups["out"].rate_w_[:]) * 1e-3)


def _group(desc, mode, N, eqs, name, extra_init=None):
    drive = "drive = rate : Hz" if mode == "rate" else "drive : Hz"
    spiking = mode == "spiking"
    g = NeuronGroup(N, "\n".join([eqs, _TRACE, _WINDOWS, drive]), method="euler", name=name,
                    threshold="rand() < rate*dt" if spiking else None,
                    reset="xL += 1\nxs += 1" if spiking else None, namespace={})
    step = defaultclock.dt
    g.kL = (1 - np.exp(-float(step / desc.tau_L))) / step      # exact discrete decay
    g.ks = (1 - np.exp(-float(step / desc.tau_s))) / step
    g.tau_L, g.tau_s = desc.tau_L, desc.tau_s
    g.T_fwd, g.T_tgt, g.T_int = desc.T_forward, desc.T_target, desc.T_integrate
    g.lambda_max, g.g_L = desc.lambda_max, desc.g_L / ms
    return g


def build_guerguiev(desc, mode, weights, prefix=""):
    """Build the spiking or rate network of *desc* (inside a backend scope).

    Parameters
    ----------
    desc : `Guerguiev2017`
    mode : str
        ``spiking`` or ``rate``.
    weights : dict
        From :func:`initial_weights` (copied; shapes checked first).
    """
    check_choice("mode", mode, MODES)
    _check_weights(desc, weights)
    step = defaultclock.dt
    if mode == "spiking" and not float(desc.lambda_max * step) <= 1:
        raise ModelError(f"lambda_max*dt = {float(desc.lambda_max * step):.3g} must be at most 1 "
                         "(one Bernoulli draw per step).")
    W = {k: np.array(v, float) for k, v in weights.items()}
    n, L = desc.sizes, len(desc.sizes) - 1
    groups = {"in": _group(desc, mode, n[0], "pattern : 1\nrate = lambda_max*pattern : Hz",
                           f"{prefix}input")}
    for k in range(1, L):
        h = _group(desc, mode, n[k], _HIDDEN, f"{prefix}hidden_{k}")
        h.g_B, h.g_A = desc.g_B / ms, desc.g_A / ms
        groups[f"h{k}"] = h
    out = _group(desc, mode, n[L], _OUTPUT, f"{prefix}output")
    out.g_D, out.E_E, out.E_I = desc.g_D / ms, desc.E_E * mV, desc.E_I * mV
    out.T_test, out.T_test_int = desc.T_test, desc.T_test_integrate
    groups["out"] = out
    layer = lambda k: groups["out"] if k == L else groups[f"h{k}"]
    synapses = {}
    for k in range(1, L + 1):
        target = "Vsyn" if k == L else "Bsyn"
        pre = groups["in"] if k == 1 else groups[f"h{k - 1}"]
        s = Synapses(pre, layer(k), f"w : 1\n{target}_post = w*psp_pre*mV*ms : volt (summed)",
                     name=f"{prefix}ff_{k}", namespace={})
        s.connect()
        synapses[f"ff_{k}"] = s
        layer(k).b = W[f"b_{k}"] * mV
    signal = "psp_pre" if desc.feedback == "psp" else "rate_now_pre"
    if desc.feedback == "rate":
        # the rate once per output neuron and step, before the summed variables (order -1):
        # as a subexpression it would be evaluated once per feedback synapse
        out.run_regularly("rate_now = rate", when="groups", order=-2,
                          name=f"{prefix}output_rate_now")
    for k in range(1, L):
        s = Synapses(out, groups[f"h{k}"], f"w : 1\nA_post = w*{signal}*mV*ms : volt (summed)",
                     name=f"{prefix}fb_{k}", namespace={})
        s.connect()
        synapses[f"fb_{k}"] = s
    net = GuerguievNetwork(desc, mode, groups, synapses, W)
    for name in synapses:
        net._write(name)
    return net


def _check_weights(desc, weights):
    n, L = desc.sizes, len(desc.sizes) - 1
    want = {f"ff_{k}": (n[k], n[k - 1]) for k in range(1, L + 1)}
    want.update({f"b_{k}": (n[k],) for k in range(1, L + 1)})
    want.update({f"fb_{k}": (n[k], n[-1]) for k in range(1, L)})
    for name, shape in want.items():
        if name not in weights:
            raise ModelError(f"Weights lack {name!r}; sizes {list(n)} need "
                             f"{', '.join(sorted(want))}.")
        got = np.shape(weights[name])
        if got != shape:
            raise ModelError(f"Weight {name!r} has shape {got}; sizes {list(n)} need {shape}.")
