"""Hand-written single-core numba reference of the Payeur propagation network, and its benchmark.

Same model as :func:`circuits.burstprop.build_propagation`, written out by
hand: two populations of two-compartment bursting pyramids
(:func:`dendrites.presets.payeur_2021`: somatic and dendritic voltages, AMPA
and GABA conductances on both compartments, adaptive threshold, somatic and
dendritic adaptation, calcium nonlinearity, bAP box), PV- and SST-like AdEx
interneurons with refractoriness, Ornstein-Uhlenbeck background currents
advanced with the same exact update once per step before the groups
(``NoiseCurrent``'s ``run_regularly``), the sinusoidal drives sampled every
1 ms at ``when='start'`` (the ``TimedArray`` ``run_regularly``), and the
eight fixed-in-degree pathways with the extended Tsodyks-Markram short-term
plasticity (:func:`dendrites.plasticity.stp.std_feedforward`,
:func:`~dendrites.plasticity.stp.stf_feedback`): at a presynaptic spike the
event-driven ``x_stp`` and ``uf_stp`` recover exponentially since the
synapse's last update, the postsynaptic conductance gets ``w w_scale (U +
uf) x``, then ``x -= (U + uf) x`` and ``uf += f (1 - U - uf)``.

Conventions (as :mod:`numba_loop`): the pyramids are integrated with the
explicit midpoint method (Brian2's ``rk2``, chosen automatically for them)
and the interneurons with forward Euler (Brian2's choice), each in the
algebraic form of Brian2's generated abstract code; refractoriness as
Brian2's ``timestep(t - lastspike, dt) >= timestep(t_ref, dt)``; the per-step
schedule is Brian2's (drives at ``start``, noise ``before_groups``, state
update, thresholds, synaptic propagation, resets).  Drive, noise, state
update, threshold and reset of a group share one loop over its neurons,
which is equivalent because synaptic propagation only writes conductances,
which neither threshold nor reset read.  Connectivity and initial somatic
voltages are drawn by the same code with the same seed as
:func:`~circuits.burstprop.build_propagation` (identical networks); only the
noise streams differ from Brian2's.  Compiled with the fast-math flags
Brian2 passes to its C++ compiler.

Short-term plasticity state is kept per synapse (``stp='synapse'``, what
Brian2 does) or, optionally, per presynaptic neuron (``stp='neuron'``):
every synapse of a presynaptic neuron starts at ``x = 1, uf = 0`` and sees
the same spike train, so their states are identical and one copy per
presynaptic neuron and pathway is exact (tested: same spikes).  Synapses
are stored presynaptic-major (those of one presynaptic neuron contiguous),
as a hand-written loop would, and as ``build_propagation`` creates Brian2's
synapses (``fixed_indegree`` returns the pairs sorted by presynaptic neuron;
in the drawing order, postsynaptic-major, Brian2 gathered each spike's
synapses from scattered memory, about half of the standalone run: 9.9 s
against 6.1 s at the published size, measured 2026-11-28).
The noise deviates come from Marsaglia's polar method (Brian2's ``randn``
algorithm) on a xoshiro256+ stream (``rng='polar'``); numba's own
``np.random.standard_normal`` (``rng='numpy'``) is about three times slower
per deviate and would make the reference, not the model, dominate.

Usage::

    python tests/benchmarks/payeur_net.py --out FILE.json [--n-pyr 4000] [--n-pv 1000]
        [--n-sst 1000] [--duration 1] [--repeats 3] [--threads 1,2]
        [--stp synapse,neuron] [--rng polar,numpy] [--profile]

runs numba (one core) and ``cpp_standalone`` with each number of OpenMP
threads, every case in a fresh subprocess, and writes the minimum over
repeats and every repeat, ratios and the load average to ``FILE.json``.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
from brian2 import ms, second

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = ["POPULATIONS", "WIRING", "network", "simulate", "run_numba", "run_brian2",
           "main"]

FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
POPULATIONS = ("pyr1", "pyr2", "pv", "sst")
#: name, pre, post, target conductance of the post group, STP ('std', 'stf' or None);
#: the order of :func:`circuits.burstprop.build_propagation` (it draws the connections)
WIRING = (("ff", "pyr1", "pyr2", "g_ampa_soma", "std"),
          ("pv_in", "pyr1", "pv", "g_ampa_soma", "std"),
          ("pv_out", "pv", "pyr2", "g_gaba_soma", None),
          ("fb", "pyr2", "pyr1", "g_ampa_apical", "stf"),
          ("sst_in", "pyr2", "sst", "g_ampa_soma", "stf"),
          ("sst_out", "sst", "pyr1", "g_gaba_apical", None),
          ("rec1", "pyr1", "pyr1", "g_gaba_apical", "stf"),
          ("rec2", "pyr2", "pyr2", "g_gaba_apical", "stf"))
_G = {"ff": "G_ff", "pv_in": "G_pv_in", "pv_out": "G_pv_out", "fb": "G_fb",
      "sst_in": "G_sst_in", "sst_out": "G_sst_out", "rec1": "G_rec", "rec2": "G_rec"}
#: rows of a pyramid's state array
PYR_VARS = ("v_soma", "v_apical", "g_ampa_soma", "g_ampa_apical", "g_gaba_soma",
            "g_gaba_apical", "theta", "w_d_apical", "w_s", "I_noise_soma", "I_noise_apical",
            "t_spike")
#: rows of an interneuron's state array (``lastspike`` as a time step)
INT_VARS = ("v_soma", "g_ampa_soma", "g_gaba_soma", "w_ad", "I_noise_soma", "lastspike")
_TARGET = {"g_ampa_soma": 2, "g_ampa_apical": 3, "g_gaba_soma": 4, "g_gaba_apical": 5}
_TARGET_INT = {"g_ampa_soma": 1, "g_gaba_soma": 2}


# ------------------------------------------------------------------ the network
def _desc(n_pyr, n_pv, n_sst, p_connect):
    from circuits.burstprop import Propagation
    return Propagation(n_pyr=int(n_pyr), n_pv=int(n_pv), n_sst=int(n_sst),
                       p_connect=float(p_connect))


def _f(params, name):
    return float(params[name])


def _pyr_constants(desc, dt):
    from circuits.burstprop import _pyramid
    p = _pyramid((desc.noise_soma, desc.noise_apical, desc.noise_tau)).parameters()
    dt = float(dt)
    names = ("C_soma", "g_L_soma", "E_L_soma", "C_apical", "g_L_apical", "E_L_apical",
             "tau_ampa_soma", "E_ampa_soma", "tau_gaba_soma", "E_gaba_soma", "tau_ampa_apical",
             "E_ampa_apical", "tau_gaba_apical", "E_gaba_apical", "g_ca_apical",
             "g_ca_apical_to_soma", "E_ca_apical", "D_ca_apical", "a_wd_apical", "tau_wd_apical",
             "zeta_bap_apical", "d_bap_apical", "theta_0", "dtheta", "tau_theta", "V_reset",
             "b_ws", "tau_ws")
    c = [_f(p, n) for n in names]
    for comp in ("soma", "apical"):     # exact OU update: decay and step s.d.
        tau, sig = _f(p, f"tau_noise_{comp}"), _f(p, f"sigma_noise_{comp}")
        c += [np.exp(-dt / tau), sig * np.sqrt(1 - np.exp(-2 * dt / tau))]
    return np.array(c + [dt])


def _int_constants(desc, kind, dt):
    from circuits.burstprop import _interneuron
    p = _interneuron(kind, desc.noise_inter, desc.noise_tau).parameters()
    dt = float(dt)
    names = ("C_soma", "g_L_soma", "E_L_soma", "tau_ampa_soma", "E_ampa_soma", "tau_gaba_soma",
             "E_gaba_soma", "DeltaT", "V_T", "V_peak", "V_reset", "a_w", "b_w", "tau_w")
    c = [_f(p, n) for n in names]
    tau, sig = _f(p, "tau_noise_soma"), _f(p, "sigma_noise_soma")
    ref_steps = float(int((_f(p, "t_ref") + 1e-3 * dt) / dt))   # Brian2's timestep()
    return np.array(c + [np.exp(-dt / tau), sig * np.sqrt(1 - np.exp(-2 * dt / tau)),
                         ref_steps, dt])


def network(n_pyr=4000, n_pv=1000, n_sst=1000, p_connect=0.05, dt=0.1 * ms, seed=1):
    """Constants, initial state and connectivity of the reference network.

    Draws the initial somatic voltages of the pyramids and every pathway's
    connections with ``numpy.random.RandomState(seed)`` in the order of
    :func:`circuits.burstprop.build_propagation`, so that both build the same
    network from the same seed.

    Parameters
    ----------
    n_pyr, n_pv, n_sst : int
        Population sizes (paper: 4000, 1000, 1000).
    p_connect : float
        Connection probability; in-degree ``round(p_connect N_pre)``.
    dt : `Quantity`
        Time step.
    seed : int
        Seed of the initial voltages and the connectivity.

    Returns
    -------
    dict
        ``desc`` (the :class:`~circuits.burstprop.Propagation`), ``const``
        (per population), ``state`` (per population, rows
        :data:`PYR_VARS` or :data:`INT_VARS`) and ``paths``: per pathway the
        presynaptic CSR (``ptr``, ``post``), ``w_scale`` (S), STP parameters
        ``(U, f, tau_D, tau_F)`` or None.
    """
    from circuits.burstprop import _k, fixed_indegree
    from dendrites.plasticity.stp import std_feedforward, stf_feedback

    desc = _desc(n_pyr, n_pv, n_sst, p_connect)
    sizes = dict(pyr1=desc.n_pyr, pyr2=desc.n_pyr, pv=desc.n_pv, sst=desc.n_sst)
    const = dict(pyr1=_pyr_constants(desc, dt), pv=_int_constants(desc, "pv", dt),
                 sst=_int_constants(desc, "sst", dt))
    const["pyr2"] = const["pyr1"]
    rng = np.random.RandomState(seed)
    state = {}
    for key in ("pyr1", "pyr2"):
        s = np.zeros((len(PYR_VARS), desc.n_pyr))
        s[0] = (-70 + rng.uniform(0, 10, desc.n_pyr)) * 1e-3
        s[1] = const[key][5]                              # v_apical = E_L
        s[6] = float(const[key][22])                      # theta = theta_0
        s[11] = -1e4                                      # t_spike (Brian2: -1e4 s)
        state[key] = s
    for key in ("pv", "sst"):
        s = np.zeros((len(INT_VARS), sizes[key]))
        s[0] = const[key][2]                              # v = E_L
        s[5] = -1e4 / float(dt)                           # lastspike (step)
        state[key] = s
    stp_params = {}
    for name, model in (("std", std_feedforward()), ("stf", stf_feedback())):
        stp_params[name] = (float(model.U), float(model.f), float(model.tau_D / second),
                            float(model.tau_F / second))
    paths = {}
    for name, pre, post, target, stp in WIRING:
        G = getattr(desc, _G[name])
        if name.startswith("rec") and float(G) == 0:
            continue
        k = _k(desc.p_connect, sizes[pre])
        i, j = fixed_indegree(rng, sizes[pre], sizes[post], k)
        order = np.argsort(i, kind="stable")             # presynaptic-major, then synapse index
        ptr = np.zeros(sizes[pre] + 1, np.int64)
        np.cumsum(np.bincount(i, minlength=sizes[pre]), out=ptr[1:])
        paths[name] = dict(pre=pre, post=post, target=target, ptr=ptr,
                           post_idx=j[order].astype(np.int64), w_scale=float(G) / k,
                           stp=stp_params[stp] if stp else None)
    return dict(desc=desc, const=const, state=state, paths=paths, sizes=sizes)


# ------------------------------------------------------------------ the loop
_U17, _U45, _U19, _U11 = np.uint64(17), np.uint64(45), np.uint64(19), np.uint64(11)


@numba.njit(fastmath=FASTMATH, cache=False)
def _uniform(rs):
    """xoshiro256+ (Blackman & Vigna): a double in [0, 1)."""
    result = rs[0] + rs[3]
    t = rs[1] << _U17
    rs[2] ^= rs[0]
    rs[3] ^= rs[1]
    rs[1] ^= rs[2]
    rs[0] ^= rs[3]
    rs[2] ^= t
    rs[3] = (rs[3] << _U45) | (rs[3] >> _U19)
    return (result >> _U11) * (1.0 / 9007199254740992.0)


@numba.njit(fastmath=FASTMATH, cache=False)
def _gauss(rs, cache, use_np):
    """A standard normal deviate: Marsaglia's polar method with the second deviate cached.

    The algorithm of Brian2's ``randn`` (RandomKit's ``rk_gauss``) on a
    xoshiro256+ stream; ``use_np``: numba's ``np.random.standard_normal``.
    """
    if use_np:
        return np.random.standard_normal()
    if cache[0] != 0.0:
        cache[0] = 0.0
        return cache[1]
    while True:
        x1 = 2.0 * _uniform(rs) - 1.0
        x2 = 2.0 * _uniform(rs) - 1.0
        r2 = x1 * x1 + x2 * x2
        if r2 < 1.0 and r2 != 0.0:
            break
    f = np.sqrt(-2.0 * np.log(r2) / r2)
    cache[0] = 1.0
    cache[1] = f * x1
    return f * x2


def _rng_state(seed):
    """xoshiro256+ state from *seed* (splitmix64)."""
    out, x, mask = [], int(seed) & (2**64 - 1), 2**64 - 1
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & mask
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append(z ^ (z >> 31))
    return np.array(out, dtype=np.uint64)


@numba.njit(fastmath=FASTMATH, cache=False)
def _pyr_step(n, t, c, s, I_ext_s, I_ext_a, spk, counts, rs, cache, use_np):
    """Noise, midpoint state update, threshold and reset of one pyramid population."""
    C_s, gL_s, EL_s, C_a, gL_a, EL_a = c[0], c[1], c[2], c[3], c[4], c[5]
    ta_s, Ea_s, tg_s, Eg_s, ta_a, Ea_a = c[6], c[7], c[8], c[9], c[10], c[11]
    tg_a, Eg_a, g_ca, g_ca_s, E_ca, D_ca = c[12], c[13], c[14], c[15], c[16], c[17]
    a_wd, tau_wd, zeta, d_bap, theta_0, dtheta = c[18], c[19], c[20], c[21], c[22], c[23]
    tau_th, V_reset, b_ws, tau_ws = c[24], c[25], c[26], c[27]
    dec_s, sd_s, dec_a, sd_a, dt = c[28], c[29], c[30], c[31], c[32]
    vs, va, gas, gaa, ggs, gga = s[0], s[1], s[2], s[3], s[4], s[5]
    th, wd, ws, Ins, Ina, tsp = s[6], s[7], s[8], s[9], s[10], s[11]
    bap_lim = d_bap + 0.5 * dt
    n_spk = 0
    for i in range(vs.shape[0]):
        # ---- OU noise (run_regularly, before_groups) ----
        Ins[i] = Ins[i] * dec_s + sd_s * _gauss(rs, cache, use_np)
        Ina[i] = Ina[i] * dec_a + sd_a * _gauss(rs, cache, use_np)
        # ---- state update: explicit midpoint (Brian2 'rk2') ----
        v_s, v_a, g_as, g_aa, g_gs, g_ga = vs[i], va[i], gas[i], gaa[i], ggs[i], gga[i]
        theta, w_d, w_s, I_s, I_a = th[i], wd[i], ws[i], I_ext_s + Ins[i], I_ext_a + Ina[i]
        k_gas = -dt * g_as / ta_s
        k_gaa = -dt * g_aa / ta_a
        k_ggs = -dt * g_gs / tg_s
        k_gga = -dt * g_ga / tg_a
        k_th = dt * (-theta + theta_0) / tau_th
        bap0 = 1.0 if t - tsp[i] < bap_lim else 0.0
        bap1 = 1.0 if dt / 2 + t - tsp[i] < bap_lim else 0.0
        k_va = dt * (I_a + a_wd * w_d + gL_a * (EL_a - v_a) + g_aa * (Ea_a - v_a)
                     + g_ca / (np.exp((E_ca - v_a) / D_ca) + 1) + g_ga * (Eg_a - v_a)
                     + zeta * bap0) / C_a
        k_vs = dt * (I_s + gL_s * (EL_s - v_s) + g_as * (Ea_s - v_s)
                     + g_ca_s / (np.exp((E_ca - v_a) / D_ca) + 1) + g_gs * (Eg_s - v_s)
                     + w_s) / C_s
        k_wd = dt * (-EL_a + v_a - w_d) / tau_wd
        k_ws = -dt * w_s / tau_ws
        m_a = v_a + 0.5 * k_va
        f_ca = 1.0 / (np.exp((E_ca - m_a) / D_ca) + 1)
        m_s = v_s + 0.5 * k_vs
        gas[i] = -dt * (k_gas / 2 + g_as) / ta_s + g_as
        gaa[i] = -dt * (k_gaa / 2 + g_aa) / ta_a + g_aa
        ggs[i] = -dt * (k_ggs / 2 + g_gs) / tg_s + g_gs
        gga[i] = -dt * (k_gga / 2 + g_ga) / tg_a + g_ga
        theta = dt * (-k_th / 2 - theta + theta_0) / tau_th + theta
        va[i] = v_a + dt * (I_a + a_wd * (k_wd / 2 + w_d) + gL_a * (EL_a - m_a) + g_ca * f_ca
                            + zeta * bap1 + (k_gaa / 2 + g_aa) * (Ea_a - m_a)
                            + (k_gga / 2 + g_ga) * (Eg_a - m_a)) / C_a
        v_s = v_s + dt * (I_s + k_ws / 2 + gL_s * (EL_s - m_s) + g_ca_s * f_ca + w_s
                          + (k_gas / 2 + g_as) * (Ea_s - m_s)
                          + (k_ggs / 2 + g_gs) * (Eg_s - m_s)) / C_s
        wd[i] = dt * (-EL_a + k_va / 2 - k_wd / 2 + v_a - w_d) / tau_wd + w_d
        w_s = -dt * (k_ws / 2 + w_s) / tau_ws + w_s
        # ---- threshold and reset ----
        if v_s > theta:
            v_s = V_reset
            theta += dtheta
            w_s += b_ws
            tsp[i] = t
            spk[n_spk] = i
            n_spk += 1
            counts[i] += 1
        vs[i], th[i], ws[i] = v_s, theta, w_s
    return n_spk


@numba.njit(fastmath=FASTMATH, cache=False)
def _int_step(n, c, s, I_ext, spk, counts, rs, cache, use_np):
    """Noise, Euler state update, threshold (with refractoriness) and reset of interneurons."""
    C, gL, EL, ta, Ea, tg, Eg = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    DeltaT, V_T, V_peak, V_reset, a_w, b_w, tau_w = c[7], c[8], c[9], c[10], c[11], c[12], c[13]
    dec, sd, ref_steps, dt = c[14], c[15], c[16], c[17]
    vs, ga, gg, wad, In, last = s[0], s[1], s[2], s[3], s[4], s[5]
    n_spk = 0
    for i in range(vs.shape[0]):
        In[i] = In[i] * dec + sd * _gauss(rs, cache, use_np)
        nr = (n - last[i]) >= ref_steps
        v = vs[i]
        g_a, g_g, w = ga[i], gg[i], wad[i]
        ga[i] = -dt * g_a / ta + g_a
        gg[i] = -dt * g_g / tg + g_g
        if nr:
            v = v + dt * (DeltaT * gL * np.exp((-V_T + min(max(v, -1.0), V_peak)) / DeltaT)
                          + I_ext + In[i] + gL * (EL - v) + g_a * (Ea - v) + g_g * (Eg - v)
                          - w) / C
        w = dt * (a_w * (-EL + vs[i]) - w) / tau_w + w
        if v > V_peak and nr:
            last[i] = n
            v = V_reset
            w += b_w
            spk[n_spk] = i
            n_spk += 1
            counts[i] += 1
        vs[i], wad[i] = v, w
    return n_spk


@numba.njit(fastmath=FASTMATH, cache=False)
def _deliver(t, spk, n_spk, ptr, post, w, scale, g, has_stp, U, f, tau_D, tau_F, x, uf, lu,
             per_neuron):
    """Synaptic propagation of one pathway (with the event-driven STP update)."""
    for k in range(n_spk):
        i = spk[k]
        if not has_stp:
            for q in range(ptr[i], ptr[i + 1]):
                g[post[q]] += w[q] * scale
        elif per_neuron:
            d = t - lu[i]
            uf_i = uf[i] * np.exp(-d / tau_F)
            x_i = x[i] * np.exp(-d / tau_D) + 1 - np.exp(-d / tau_D)
            eff = scale * (U + uf_i) * x_i
            for q in range(ptr[i], ptr[i + 1]):
                g[post[q]] += w[q] * eff
            x[i] = x_i - (U + uf_i) * x_i
            uf[i] = uf_i + f * (1 - U - uf_i)
            lu[i] = t
        else:
            for q in range(ptr[i], ptr[i + 1]):
                d = t - lu[q]
                uf_q = uf[q] * np.exp(-d / tau_F)
                x_q = x[q] * np.exp(-d / tau_D) + 1 - np.exp(-d / tau_D)
                g[post[q]] += w[q] * scale * (U + uf_q) * x_q
                x[q] = x_q - (U + uf_q) * x_q
                uf[q] = uf_q + f * (1 - U - uf_q)
                lu[q] = t


@numba.njit(fastmath=FASTMATH, cache=False)
def _simulate(n_steps, every, d1, d2, I1_apical, I2_soma, I_pv, I_sst, c_pyr, c_pv, c_sst,
              s1, s2, s_pv, s_sst, counts1, counts2, counts_pv, counts_sst,
              p_pre, p_tgt, p_ptr, p_post, p_w, p_scale, p_stp, p_x, p_uf, p_lu, per_neuron,
              seed, rs, use_np):
    np.random.seed(seed)
    cache = np.zeros(2)
    dt = c_pyr[32]
    spk = (np.empty(s1.shape[1], np.int64), np.empty(s2.shape[1], np.int64),
           np.empty(s_pv.shape[1], np.int64), np.empty(s_sst.shape[1], np.int64))
    nsp = np.zeros(4, np.int64)
    I1_soma, I2_apical = d1[0], d2[0]
    for n in range(n_steps):
        t = n * dt
        if n % every == 0:                    # TimedArray drives (run_regularly, 'start')
            I1_soma, I2_apical = d1[n // every], d2[n // every]
        nsp[0] = _pyr_step(n, t, c_pyr, s1, I1_soma, I1_apical, spk[0], counts1, rs, cache, use_np)
        nsp[1] = _pyr_step(n, t, c_pyr, s2, I2_soma, I2_apical, spk[1], counts2, rs, cache, use_np)
        nsp[2] = _int_step(n, c_pv, s_pv, I_pv, spk[2], counts_pv, rs, cache, use_np)
        nsp[3] = _int_step(n, c_sst, s_sst, I_sst, spk[3], counts_sst, rs, cache, use_np)
        for p in range(len(p_pre)):
            pre, tgt = p_pre[p], p_tgt[p]
            post_state = (s1, s2, s_pv, s_sst)[tgt // 8]
            pp = p_stp[p]
            if nsp[pre] > 0:
                _deliver(t, spk[pre], nsp[pre], p_ptr[p], p_post[p], p_w[p], p_scale[p],
                         post_state[tgt % 8], pp[0] > 0, pp[0], pp[1], pp[2], pp[3],
                         p_x[p], p_uf[p], p_lu[p], per_neuron)


def simulate(n_pyr=4000, n_pv=1000, n_sst=1000, p_connect=0.05, duration=1 * second,
             dt=0.1 * ms, seed=1, stp="synapse", rng="polar"):
    """Run the reference network once.

    Parameters
    ----------
    n_pyr, n_pv, n_sst : int
        Population sizes.
    p_connect : float
        Connection probability (fixed in-degree ``round(p_connect N_pre)``).
    duration, dt : `Quantity`
        Biological time and time step.
    seed : int
        Seed of connectivity and initial voltages (as Brian2's build) and,
        offset by 1000, of the noise.
    stp : str
        ``'synapse'`` (STP state per synapse, as Brian2) or ``'neuron'``
        (per presynaptic neuron and pathway, exactly equivalent here).
    rng : str
        Normal deviates of the noise: ``'polar'`` (Marsaglia's polar method
        with the second deviate cached, the algorithm of Brian2's ``randn``,
        on a xoshiro256+ stream) or ``'numpy'`` (numba's
        ``np.random.standard_normal``, about 29 ns a deviate here, 3-4 times
        slower).

    Returns
    -------
    dict
        ``counts`` (per population, per neuron), ``spikes`` (total),
        ``rates_hz`` (per population), ``run_s`` (the loop), ``setup_s``.
    """
    if stp not in ("synapse", "neuron"):
        raise ValueError(f"stp={stp!r}; allowed: 'synapse', 'neuron'")
    if rng not in ("polar", "numpy"):
        raise ValueError(f"rng={rng!r}; allowed: 'polar', 'numpy'")
    t0 = time.perf_counter()
    net = network(n_pyr, n_pv, n_sst, p_connect, dt, seed)
    desc, paths, sizes, st = net["desc"], net["paths"], net["sizes"], net["state"]
    T, h = float(duration / second), float(dt / second)
    n_steps = int(round(T / h))
    every = int(round(1e-3 / h))
    tt = np.arange(int(np.ceil(T * 1e3)) + 2) * 1e-3       # as build_propagation
    d1, d2 = (np.asarray(d, float) * 1e-12 for d in desc.drives(tt))
    index = {k: n for n, k in enumerate(POPULATIONS)}
    p_pre, p_tgt, p_ptr, p_post, p_w, p_scale, p_stp, p_x, p_uf, p_lu = ([] for _ in range(10))
    for name, pth in paths.items():
        post = pth["post"]
        row = (_TARGET if post.startswith("pyr") else _TARGET_INT)[pth["target"]]
        p_pre.append(index[pth["pre"]])
        p_tgt.append(8 * index[post] + row)
        p_ptr.append(pth["ptr"])
        p_post.append(pth["post_idx"])
        p_w.append(np.ones(len(pth["post_idx"])))
        p_scale.append(pth["w_scale"])
        p_stp.append(np.array(pth["stp"] if pth["stp"] else (0.0, 0.0, 1.0, 1.0)))
        m = sizes[pth["pre"]] if stp == "neuron" else len(pth["post_idx"])
        p_x.append(np.ones(m))
        p_uf.append(np.zeros(m))
        p_lu.append(np.zeros(m))
    counts = {k: np.zeros(sizes[k], np.int64) for k in POPULATIONS}
    lists = [numba.typed.List(v) for v in (p_ptr, p_post, p_w, p_stp, p_x, p_uf, p_lu)]
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    _simulate(n_steps, every, d1, d2, float(desc.I1_apical), float(desc.I2_soma),
              float(desc.I_pv), float(desc.I_sst), net["const"]["pyr1"], net["const"]["pv"],
              net["const"]["sst"], st["pyr1"], st["pyr2"], st["pv"], st["sst"],
              counts["pyr1"], counts["pyr2"], counts["pv"], counts["sst"],
              np.array(p_pre, np.int64), np.array(p_tgt, np.int64), lists[0], lists[1],
              lists[2], np.array(p_scale), lists[3], lists[4], lists[5], lists[6],
              stp == "neuron", seed + 1000, _rng_state(seed + 1000), rng == "numpy")
    run = time.perf_counter() - t0
    rates = {k: float(counts[k].sum()) / (sizes[k] * T) for k in POPULATIONS}
    return dict(counts=counts, spikes=int(sum(int(c.sum()) for c in counts.values())),
                rates_hz=rates, run_s=run, setup_s=setup)


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_numba(n_pyr=4000, n_pv=1000, n_sst=1000, p_connect=0.05, duration=1 * second,
              dt=0.1 * ms, seed=1, stp="synapse", rng="polar"):
    """JIT-compile on a tiny network (``build_s``), then run once (``run_s``); a case dict.

    Parameters are those of :func:`simulate`.

    Returns
    -------
    dict
        ``implementation``, ``backend``, ``N`` (all neurons), ``threads`` (1),
        ``build_s`` (JIT and set-up), ``run_s``, ``peak_mb`` (this process),
        ``spikes``, ``rates_hz``, ``stp``.
    """
    t0 = time.perf_counter()
    simulate(8, 4, 4, 0.5, duration=2 * ms, dt=dt, seed=seed, stp=stp, rng=rng)
    jit = time.perf_counter() - t0
    r = simulate(n_pyr, n_pv, n_sst, p_connect, duration, dt, seed, stp, rng)
    return dict(implementation="numba", backend="numba", N=2 * n_pyr + n_pv + n_sst, threads=1,
                build_s=jit + r["setup_s"], run_s=r["run_s"], peak_mb=_peak_mb(),
                spikes=r["spikes"], rates_hz=r["rates_hz"], stp=stp, rng=rng)


# ------------------------------------------------------------------ Brian2
def _counters(net_dict):
    """Spike-count monitors (no recording) on the interneurons, added to the network."""
    from brian2 import SpikeMonitor
    mons = {k: SpikeMonitor(net_dict["groups"][k], record=False, name=f"count_{k}")
            for k in ("pv", "sst")}
    net_dict["network"].add(*mons.values())
    return mons


def _brian2_counts(b, mons):
    return dict(pyr1=int(b["spikes1"].num_spikes), pyr2=int(b["spikes2"].num_spikes),
                pv=int(mons["pv"].num_spikes), sst=int(mons["sst"].num_spikes))


def run_brian2(backend="cpp_standalone", threads=1, n_pyr=4000, n_pv=1000, n_sst=1000,
               p_connect=0.05, duration=1 * second, dt=0.1 * ms, seed=1, build_dir=None,
               repeats=1, profile=False):
    """Build :func:`circuits.burstprop.build_propagation` on a Brian2 backend and run it.

    Run this in a fresh process for ``cpp_standalone`` (the CLI does), as
    ``tests/benchmarks/run.py`` does for its cases: the device is reset on
    entry and exit, but a process holds one standalone build at a time.

    Parameters
    ----------
    backend : str
        ``cpp_standalone``, ``cython`` or ``numpy``.
    threads : int
        OpenMP threads (``cpp_standalone``).
    n_pyr, n_pv, n_sst, p_connect, duration, dt, seed
        As :func:`simulate`.
    build_dir : str or Path, optional
        Standalone project directory (temporary if omitted).
    repeats : int
        ``cpp_standalone``: the binary is built once and run *repeats* times
        (minimum ``run_s``); runtime backends: one run.
    profile : bool
        Run with Brian2's per-code-object profiling (``cpp_standalone``);
        adds ``profile`` (name, seconds, fraction) and ``profile_summary``.

    Returns
    -------
    dict
        A case dict (as :func:`run_numba`), plus ``all_run_s``; ``run_s`` is
        the binary's simulation time (``device._last_run_time``) or the
        runtime loop's.
    """
    from brian2 import BrianLogger, device, prefs, profiling_summary

    from circuits.burstprop import build_propagation
    from protocols.backend import Backend

    BrianLogger.log_level_warn()
    desc = _desc(n_pyr, n_pv, n_sst, p_connect)
    sizes = dict(pyr1=n_pyr, pyr2=n_pyr, pv=n_pv, sst=n_sst)
    T = float(duration / second)
    out = dict(implementation="brian2", backend=backend, N=2 * n_pyr + n_pv + n_sst,
               threads=int(threads) if backend == "cpp_standalone" else 1)
    tmp = None
    if backend == "cpp_standalone" and build_dir is None:
        tmp = tempfile.mkdtemp(prefix="payeur-build-")
        build_dir = tmp
    with Backend(backend, build_dir=build_dir, seed=seed, dt=dt, threads=threads) as be:
        t0 = time.perf_counter()
        b = build_propagation(desc, duration, dt, seed)
        mons = _counters(b)
        net = b["network"]
        if backend != "cpp_standalone":
            net.run(0 * ms, namespace={})
            out["build_s"] = time.perf_counter() - t0
            net.run(duration, profile=profile, namespace={})
            runs, peaks = [float(device._last_run_time)], [_peak_mb()]
            counts = _brian2_counts(b, mons)
        else:
            net.run(duration, profile=profile, namespace={})
            device.build(directory=str(build_dir), compile=True, run=False, with_output=False)
            out["build_s"] = time.perf_counter() - t0
            rss = Path(build_dir) / "binary-maxrss.txt"
            prefs.devices.cpp_standalone.run_cmd_unix = [
                sys.executable, str(HERE / "run.py"), "--measure-rss", str(rss), "./main"]
            runs, peaks = [], []
            for _ in range(max(int(repeats), 1)):
                device.run(directory=str(build_dir), with_output=False)
                runs.append(float(device._last_run_time))
                peaks.append(float(rss.read_text()) / 1024)
            counts = _brian2_counts(b, mons)
        if profile:
            rows = [(str(name), float(t / second)) for name, t in net.profiling_info]
            total = sum(t for _, t in rows) or 1.0
            out["profile"] = [dict(name=n, seconds=t, fraction=t / total)
                              for n, t in sorted(rows, key=lambda r: -r[1])]
            out["profile_summary"] = str(profiling_summary(net))
    if tmp is not None:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    out.update(run_s=min(runs), all_run_s=runs, peak_mb=max(peaks),
               spikes=int(sum(counts.values())),
               rates_hz={k: counts[k] / (sizes[k] * T) for k in POPULATIONS})
    return out


# ------------------------------------------------------------------ driver
def _run_case(case):
    kw = dict(n_pyr=case["n_pyr"], n_pv=case["n_pv"], n_sst=case["n_sst"],
              p_connect=case["p_connect"], duration=case["duration"] * second,
              dt=case["dt_ms"] * ms, seed=case["seed"])
    if case["backend"] == "numba":
        opts = dict(stp=case.get("stp", "synapse"), rng=case.get("rng", "polar"))
        runs = [run_numba(**opts, **kw)]
        # JIT done in the first call; further repeats reuse the compiled loop
        for _ in range(case["repeats"] - 1):
            r = simulate(**opts, **kw)
            runs.append(dict(runs[0], run_s=r["run_s"], spikes=r["spikes"],
                             rates_hz=r["rates_hz"], peak_mb=_peak_mb()))
        best = dict(min(runs, key=lambda r: r["run_s"]))
        best["all_run_s"] = [r["run_s"] for r in runs]
        best["repeats_detail"] = [dict(run_s=r["run_s"], spikes=r["spikes"],
                                       rates_hz=r["rates_hz"]) for r in runs]
        return best
    return run_brian2(case["backend"], case["threads"], repeats=case["repeats"],
                      profile=case.get("profile", False), **kw)


def _spawn(case):
    with tempfile.TemporaryDirectory(prefix="payeur-case-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--case", json.dumps(case),
               "--result", str(result)]
        load = os.getloadavg()
        proc = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        if proc.returncode != 0:
            return dict(case, error=f"case failed with status {proc.returncode}")
        r = json.loads(result.read_text())
        r.update(load_average_before=load, load_average_after=os.getloadavg())
        return r


def _environment():
    import brian2
    env = dict(cpu_count=os.cpu_count(), platform=platform.platform(),
               brian2=brian2.__version__, numba=numba.__version__, numpy=np.__version__)
    try:
        with open("/proc/cpuinfo") as f:
            env["cpu_model"] = next((l.split(":", 1)[1].strip() for l in f
                                     if l.startswith("model name")), None)
    except OSError:
        pass
    return env


def main(argv=None):
    """Command line: numba and ``cpp_standalone`` cases, JSON out, ratios printed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--n-pyr", type=int, default=4000)
    ap.add_argument("--n-pv", type=int, default=1000)
    ap.add_argument("--n-sst", type=int, default=1000)
    ap.add_argument("--p-connect", type=float, default=0.05)
    ap.add_argument("--duration", type=float, default=1.0, help="second")
    ap.add_argument("--dt", type=float, default=0.1, help="ms")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--stp", default="synapse",
                    help="numba STP state: synapse, neuron or both (comma-separated)")
    ap.add_argument("--rng", default="polar",
                    help="numba normal deviates: polar, numpy or both (comma-separated)")
    ap.add_argument("--profile", action="store_true",
                    help="add a profiled one-thread cpp_standalone run")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.case:
        import warnings
        from dendrites import DtWarning
        warnings.simplefilter("ignore", DtWarning)
        Path(args.result).write_text(json.dumps(_run_case(json.loads(args.case))))
        return 0
    if not args.out:
        ap.error("--out is required")
    base = dict(n_pyr=args.n_pyr, n_pv=args.n_pv, n_sst=args.n_sst, p_connect=args.p_connect,
                duration=args.duration, dt_ms=args.dt, seed=args.seed, repeats=args.repeats)
    cases = [dict(base, backend="numba", threads=1, stp=s, rng=g)
             for g in args.rng.split(",") for s in args.stp.split(",")]
    cases += [dict(base, backend="cpp_standalone", threads=int(t))
              for t in args.threads.split(",")]
    if args.profile:
        cases.append(dict(base, backend="cpp_standalone", threads=1, repeats=1, profile=True))
    results = []
    for case in cases:
        print(f"running {case['backend']} threads={case['threads']} "
              f"{case.get('stp', '')} {case.get('rng', '')}", flush=True)
        results.append(_spawn(case))
        r = results[-1]
        if "error" not in r:
            print(f"  run_s={r['run_s']:.3f} all={['%.3f' % x for x in r['all_run_s']]} "
                  f"build_s={r['build_s']:.1f} rates={ {k: round(v, 2) for k, v in r['rates_hz'].items()} }"
                  f" load={r['load_average_before'][0]:.2f}", flush=True)
    ok = [r for r in results if "error" not in r and not r.get("profile")]
    ref = next((r for r in ok if r["backend"] == "numba" and r.get("stp") == "synapse"
                and r.get("rng") == "polar"),
               next((r for r in ok if r["backend"] == "numba"), None))
    summary = {}
    for r in ok:
        if ref is None or r is ref:
            continue
        key = f"{r['backend']}_t{r['threads']}" + (
            f"_{r['stp']}_{r['rng']}" if r["backend"] == "numba" else "")
        summary[f"{key}_over_numba"] = r["run_s"] / ref["run_s"]
        summary[f"{key}_rate_rel_diff"] = {k: r["rates_hz"][k] / ref["rates_hz"][k] - 1
                                           for k in POPULATIONS if ref["rates_hz"][k] > 0}
    cpp1 = next((r for r in ok if r["backend"] == "cpp_standalone" and r["threads"] == 1), None)
    cpp2 = next((r for r in ok if r["backend"] == "cpp_standalone" and r["threads"] == 2), None)
    if ref and cpp1:
        summary["goal_t1_within_1.3x"] = bool(cpp1["run_s"] <= 1.3 * ref["run_s"])
    if ref and cpp2:
        summary["goal_t2_faster"] = bool(cpp2["run_s"] < ref["run_s"])
    report = dict(environment=_environment(), settings=base, cases=results, summary=summary,
                  load_average_end=os.getloadavg())
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    for k, v in summary.items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
