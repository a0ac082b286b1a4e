"""Hand-written single-core numba reference of the recurrent benchmark network.

Same model as :func:`circuits.recurrent.recurrent_network`, written out by
hand: the state variables of the three-compartment neuron (voltages and AMPA
conductances of soma, basal and apical compartment: the only channel the
network uses, and no injected current) and the two STDP traces,
integrated with the same explicit midpoint method (Brian2's ``rk2``, the model's default) in the
same algebraic form, the same refractoriness rule (``v_soma`` clamped while
``timestep(t - lastspike) < timestep(t_ref)``), event-driven Poisson input in
operational time (``t n r >= s``, ``s += -log(1 - U)``), connectivity with
the same statistics (each ordered pair ``i != j`` with probability ``p_rec``,
drawn by geometric skipping like Brian2's ``sample(N, p=p)``), and per-neuron
STDP traces read before the spike increments of the current step.  Only the
random streams differ from Brian2's.

The per-step work follows Brian2's schedule (state update, thresholds,
synaptic propagation, resets, input events); the state update, threshold,
voltage reset and input events share one loop over the neurons, which is
equivalent because none of them reads what another writes in between.
Compiled with the fast-math flags Brian2 passes to its C++ compiler
(``-ffast-math -fno-finite-math-only``).
"""

import time

import numba
import numpy as np
from brian2 import second

__all__ = ["STATE_VARS", "model_constants", "connect", "simulate", "run_benchmark"]

FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
COMPS = ("soma", "basal", "apical")
#: Rows of the state array: Brian2's variable names, and the last spike's time step.
STATE_VARS = tuple(f"v_{c}" for c in COMPS) + tuple(f"g_ampa_{c}" for c in COMPS) + (
    "trace_plus", "trace_minus", "s_basal", "s_apical", "last")
#: Rows integrated like Brian2's group (compared in the tests).
N_DYNAMIC = 8
#: Constants per compartment in :func:`model_constants`.
N_COMP_CONST = 5


def model_constants(params, dt):
    """Float (SI) constants of the network, from its parameter dictionary.

    Parameters
    ----------
    params : dict
        ``RecurrentNetwork.params`` or :data:`circuits.recurrent.DEFAULTS`
        merged with overrides.
    dt : `Quantity`
        Time step.

    Returns
    -------
    ndarray
        Constants in the order used by :func:`_simulate`.
    """
    from circuits.recurrent import benchmark_model

    m = benchmark_model(params["V_th"], params["V_reset"], params["t_ref"]).parameters()
    f = {k: float(v) for k, v in m.items()}
    dt = float(dt)
    c = []
    for comp in COMPS:  # per compartment: N_COMP_CONST values
        c += [dt / f[f"C_{comp}"], f[f"g_L_{comp}"], f[f"E_L_{comp}"], f[f"E_ampa_{comp}"],
              -dt / f[f"tau_ampa_{comp}"]]
    c += [f["g_soma_basal"], f["g_soma_apical"], f["V_th"], f["V_reset"],
          float(int((f["t_ref"] + 1e-3 * dt) / dt)), dt,
          params["n_basal_inputs"] * float(params["input_rate"]),
          params["n_apical_inputs"] * float(params["input_rate"]),
          float(params["w_basal"]), float(params["w_apical"]),
          -dt / float(params["tau_plus"]), -dt / float(params["tau_minus"]),
          float(params["A_plus"]), float(params["A_minus"]), float(params["w_max"])]
    return np.array(c)


@numba.njit(cache=False)
def _connect(N, p, seed):
    np.random.seed(seed)
    pre, post = [np.int32(0)][:0], [np.int32(0)][:0]
    if p <= 0.0:
        return np.array(pre, dtype=np.int32), np.array(post, dtype=np.int32)
    logq = np.log(1.0 - p) if p < 1.0 else -np.inf
    for i in range(N):
        j = -1
        while True:
            j += 1 + int(np.log(1.0 - np.random.random()) / logq)
            if j >= N:
                break
            if j != i:
                pre.append(np.int32(i))
                post.append(np.int32(j))
    return np.array(pre, dtype=np.int32), np.array(post, dtype=np.int32)


def connect(N, p, seed=0):
    """Random connectivity, presynaptic-major, and the postsynaptic index.

    Returns
    -------
    pre_ptr, post : ndarray
        Synapses ``pre_ptr[i]:pre_ptr[i+1]`` leave neuron *i* towards ``post``.
    post_ptr, in_syn, in_pre : ndarray
        Synapses ``in_syn[post_ptr[j]:post_ptr[j+1]]`` arrive at *j* from ``in_pre``.
    """
    pre, post = _connect(N, float(p), seed)
    pre_ptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=N), out=pre_ptr[1:])
    in_syn = np.argsort(post, kind="stable").astype(np.int64)
    post_ptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.bincount(post, minlength=N), out=post_ptr[1:])
    return pre_ptr, post, post_ptr, in_syn, pre[in_syn]


@numba.njit(fastmath=FASTMATH, cache=False)
def _simulate(n_steps, c, state, w, pre_ptr, post, post_ptr, in_syn, in_pre, stdp, seed,
              counts, inputs):
    np.random.seed(seed)
    N = state.shape[1]
    vs, vb, va, gas, gab, gaa = state[0], state[1], state[2], state[3], state[4], state[5]
    tp, tm, sb, sa, last = state[6], state[7], state[8], state[9], state[10]
    dtC_s, gL_s, EL_s, Ea_s, ka_s = c[0], c[1], c[2], c[3], c[4]
    dtC_b, gL_b, EL_b, Ea_b, ka_b = c[5], c[6], c[7], c[8], c[9]
    dtC_a, gL_a, EL_a, Ea_a, ka_a = c[10], c[11], c[12], c[13], c[14]
    g_sb, g_sa, V_th, V_reset, ref_steps = c[15], c[16], c[17], c[18], c[19]
    dt, R_b, R_a, w_b, w_a = c[20], c[21], c[22], c[23], c[24]
    k_plus, k_minus, A_plus, A_minus, w_max = c[25], c[26], c[27], c[28], c[29]
    spk = np.empty(N, np.int64)
    for n in range(n_steps):
        t = n * dt
        n_spk = 0
        for i in range(N):
            # ---- state update: explicit midpoint (Brian2 'rk2') ----
            nr = (n - last[i]) >= ref_steps
            k_gas, k_gab, k_gaa = ka_s * gas[i], ka_b * gab[i], ka_a * gaa[i]
            v_s, v_b, v_a = vs[i], vb[i], va[i]
            k_va = dtC_a * (gL_a * (EL_a - v_a) + gaa[i] * (Ea_a - v_a) + g_sa * (v_s - v_a))
            k_vb = dtC_b * (gL_b * (EL_b - v_b) + gab[i] * (Ea_b - v_b) + g_sb * (v_s - v_b))
            k_vs = 0.0
            if nr:
                k_vs = dtC_s * (gL_s * (EL_s - v_s) + gas[i] * (Ea_s - v_s)
                                + g_sa * (v_a - v_s) + g_sb * (v_b - v_s))
            m_s, m_b, m_a = v_s + 0.5 * k_vs, v_b + 0.5 * k_vb, v_a + 0.5 * k_va
            h_gas, h_gab, h_gaa = gas[i] + 0.5 * k_gas, gab[i] + 0.5 * k_gab, gaa[i] + 0.5 * k_gaa
            va[i] = v_a + dtC_a * (gL_a * (EL_a - m_a) + g_sa * (m_s - m_a)
                                   + h_gaa * (Ea_a - m_a))
            vb[i] = v_b + dtC_b * (gL_b * (EL_b - m_b) + g_sb * (m_s - m_b)
                                   + h_gab * (Ea_b - m_b))
            if nr:
                v_s = v_s + dtC_s * (gL_s * (EL_s - m_s) + g_sa * (m_a - m_s)
                                     + g_sb * (m_b - m_s) + h_gas * (Ea_s - m_s))
            gas[i] += ka_s * h_gas
            gab[i] += ka_b * h_gab
            gaa[i] += ka_a * h_gaa
            if stdp:
                tp[i] += k_plus * (tp[i] + 0.5 * k_plus * tp[i])
                tm[i] += k_minus * (tm[i] + 0.5 * k_minus * tm[i])
            # ---- threshold and voltage reset ----
            if nr and v_s > V_th:
                v_s = V_reset
                last[i] = n
                spk[n_spk] = i
                n_spk += 1
            vs[i] = v_s
            # ---- event-driven Poisson input (operational time) ----
            if t * R_b >= sb[i]:
                gab[i] += w_b
                sb[i] += -np.log(1.0 - np.random.random())
                inputs[0] += 1
            if t * R_a >= sa[i]:
                gaa[i] += w_a
                sa[i] += -np.log(1.0 - np.random.random())
                inputs[1] += 1
        # ---- synaptic propagation (traces not yet incremented) ----
        for k in range(n_spk):
            i = spk[k]
            counts[i] += 1
            for s in range(pre_ptr[i], pre_ptr[i + 1]):
                j = post[s]
                gab[j] += w[s]
                if stdp:
                    w[s] = min(max(w[s] - A_minus * tm[j], 0.0), w_max)
        if stdp:
            for k in range(n_spk):
                j = spk[k]
                for q in range(post_ptr[j], post_ptr[j + 1]):
                    s = in_syn[q]
                    w[s] = min(max(w[s] + A_plus * tp[in_pre[q]], 0.0), w_max)
            for k in range(n_spk):
                tp[spk[k]] += 1.0
                tm[spk[k]] += 1.0


def _setup(N, params, dt, seed):
    p = dict(_defaults(), **(params or {}))
    c = model_constants(p, dt)
    state = np.zeros((len(STATE_VARS), N))
    for k in range(len(COMPS)):
        state[k] = c[N_COMP_CONST * k + 2]               # v = E_L
    rng = np.random.default_rng(seed + 1)
    isb = STATE_VARS.index("s_basal")
    state[isb:isb + 2] = -np.log(1.0 - rng.random((2, N)))  # first input events (operational time)
    state[STATE_VARS.index("last")] = -1e4 / float(dt)    # last spike step (Brian2: -1e4 s)
    return p, c, state


def _defaults():
    from circuits.recurrent import DEFAULTS
    return DEFAULTS


def simulate(N, duration=1 * second, dt=None, params=None, stdp=True, seed=1, state=None):
    """Run the reference network once.

    Parameters
    ----------
    N : int
        Number of neurons.
    duration, dt : `Quantity`
        Biological time and time step (default 0.1 ms).
    params : dict, optional
        Overrides of :data:`circuits.recurrent.DEFAULTS`.
    stdp : bool
        Plastic recurrent weights.
    seed : int
        Seed of connectivity and input streams.
    state : dict, optional
        Initial values (SI floats, one per neuron) of some :data:`STATE_VARS`
        (``last`` is the time step of the last spike).

    Returns
    -------
    dict
        ``spikes``, ``counts`` (per neuron), ``mean_rate_hz``, ``input_events``
        (basal, apical), ``weights``, ``state`` (final values by name),
        ``run_s`` (simulation loop only), ``setup_s`` (connectivity and state).
    """
    dt = 0.1e-3 * second if dt is None else dt
    t0 = time.perf_counter()
    p, c, arr = _setup(N, params, dt, seed)
    for name, value in (state or {}).items():
        arr[STATE_VARS.index(name)] = value
    pre_ptr, post, post_ptr, in_syn, in_pre = connect(N, p["p_rec"], seed)
    w = np.full(len(post), float(p["w_rec"]))
    counts, inputs = np.zeros(N, np.int64), np.zeros(2, np.int64)
    n_steps = int(round(float(duration) / float(dt)))
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    _simulate(n_steps, c, arr, w, pre_ptr, post, post_ptr, in_syn, in_pre, bool(stdp),
              seed + 2, counts, inputs)
    run = time.perf_counter() - t0
    spikes = int(counts.sum())
    return dict(spikes=spikes, counts=counts, mean_rate_hz=spikes / (N * float(duration)),
                input_events=inputs, weights=w, state=dict(zip(STATE_VARS, arr)),
                run_s=run, setup_s=setup)


def run_benchmark(N, duration=1 * second, repeats=3, seed=1, **kw):
    """JIT-compile (``build_s``), then run *repeats* times; minimum ``run_s``."""
    t0 = time.perf_counter()
    simulate(4, duration=0.002 * second, seed=seed, **kw)
    build = time.perf_counter() - t0
    runs = [simulate(N, duration=duration, seed=seed, **kw) for _ in range(repeats)]
    best = min(runs, key=lambda r: r["run_s"])
    return dict(best, build_s=build + best["setup_s"], run_s=best["run_s"],
                all_run_s=[r["run_s"] for r in runs])
