"""Independent NumPy/Python port of the Clopath et al. (2010) reference code (ModelDB 144566).

Ports ``VoTriCode/VoTri.m`` (voltage-triplet rule, Sjöström protocol),
``aEIF.m`` (AdEx neuron with a 2 ms spike clamp at a 1 ms step) and the
parameter vector of ``FrequencyDependence.m``, line by line (MATLAB indices
shifted by one).  It is a test reference only: the package never imports it.

Units are those of ``aEIF.m``: mV, ms, pF, nS and pA.  The adaptation jump is
the literal ``b = 0.0805`` of ``aEIF.m``; its comment says nA, but the code
adds it to ``w`` in pA (``w_jump = 400`` is the 400 pA after-depolarisation),
so the authors' neuron runs with a spike-triggered adaptation of 0.0805 pA,
1000 times below the 80.5 pA (0.0805 nA) of the paper's parameter table.
NEST's ``clopath_synapse_spike_pairing.py`` uses the same ``'b': 0.0805``
(pA).  With the literal value this port reproduces the authors' own plot of
``FrequencyDependence.m`` (``VoTriCode/screenshot2.png``) to within 0.5
percentage points; with 80.5 pA it does not (post-pre LTD at 40 Hz).

Two quirks of ``VoTri.m``'s spike trains are kept with ``extra_post=True``
(the literal code):

* for a negative offset the postsynaptic train ``y(abs(Dt)+1+Dt:f:end)`` has a
  sixth spike after the last presynaptic one;
* the main loop starts at ``t = 4``, so the postsynaptic spike at index 1
  (negative offsets) is never applied in the first repetition.

``extra_post=False`` gives the 5-pair protocol that the package's
``frequency-dependence`` runs: the sixth postsynaptic spike is dropped and
the trains start 3 steps later, so that every repetition has all 5 pairs.
"""

import math

__all__ = ["PAR", "B_ADAPT", "aeif_step", "votri", "frequency_dependence"]

#: A_m (depression, per mV), A_p (potentiation, per mV^2), tau_p, tau_r (= tau_x), tau_d [ms]
PAR = (0.00014, 0.00008, 7.0, 15.0, 10.0)

#: spike-triggered adaptation jump of aEIF.m, literally ``b = 0.0805`` in the code's pA
B_ADAPT = 0.0805

#: the MATLAB loop ``for t = 4:l`` (reads ``u_md(t-3)``): first simulated index, 0-based
_FIRST = 3


def aeif_step(u, w, w_tail, current, counter, V_T, b=B_ADAPT):
    """One 1-ms step of ``aEIF.m``: voltage (mV), adaptation (pA), ADP (pA), clamp counter, V_T."""
    th, C, g_L, E_L, VT_rest, Delta_T = 20.0, 281.0, 30.0, -70.6, -50.4, 2.0
    tau_w, a, w_jump, tau_wtail, tau_VT, VT_jump = 144.0, 4.0, 400.0, 40.0, 50.0, 20.0
    if counter == 2:                       # end of the 2 ms clamp: reset and spike-triggered jumps
        u = E_L + 15 + 6.0984
        w = w + b
        w_tail = w_jump
        counter = 0
        V_T = VT_jump + VT_rest
    # exp() argument capped only to avoid an OverflowError in Python floats (MATLAB gives Inf,
    # and the value is overwritten by the clamp in both cases)
    udot = 1 / C * (-g_L * (u - E_L) + g_L * Delta_T * math.exp(min((u - V_T) / Delta_T, 700.0))
                    - w + w_tail + current)
    wdot = 1 / tau_w * (a * (u - E_L) - w)
    u = u + udot
    w = w + wdot
    w_tail = w_tail - w_tail / tau_wtail
    V_T = VT_rest / tau_VT + (1 - 1 / tau_VT) * V_T
    if counter == 1:
        counter = 2
        u = 29.4 + 3.462
        w = w - wdot
    if u > th and counter == 0:
        u = 29.4
        counter = 1
    return u, w, w_tail, counter, V_T


def _trains(rho, Dt, extra_post, n_rep):
    n, f = 5, int(round(1000 / rho))
    length = n * f + abs(Dt) + 1
    x, y = [0] * length, [0] * length
    for k in range(abs(Dt), length - 1, f):        # x(abs(Dt)+1:f:end-1) = 1
        x[k] = 1
    for k in range(abs(Dt) + Dt, length, f):       # y(abs(Dt)+1+Dt:f:end) = 1
        y[k] = 1
    if not extra_post:
        for k in [k for k in range(length) if y[k]][n:]:
            y[k] = 0
        # start 3 steps later: the loop skips the first 3 steps of the first repetition
        x, y, length = [0] * _FIRST + x, [0] * _FIRST + y, length + _FIRST
    if n_rep is None:
        n_rep = 10 if rho == 0.1 else 15
    pad = [0] * max(0, int(1000 / 0.1) - length)   # repetition at 0.1 Hz
    return (x + pad) * n_rep, (y + pad) * n_rep


def votri(rho, Dt, par=PAR, extra_post=True, n_rep=None, b=B_ADAPT):
    """Final weight (initially 0.5) after the Sjöström protocol at *rho* Hz, offset *Dt* ms."""
    A_m, A_p, tau_p, tau_r, tau_d = par
    tetam, tetap, E_L = -70.6, -45.3, -70.6
    x, y = _trains(rho, int(Dt), extra_post, n_rep)
    length = len(x)
    u = [E_L] * (length + 1)
    u_md = [E_L] * (length + 2)
    u_mp = [E_L] * (length + 2)
    r = [0.0] * (length + 2)
    wad = w_tail = 0.0
    V_T, counter, w = -50.4, 0, 0.5
    for t in range(_FIRST, length):                # MATLAB: for t = 4:l
        u[t], wad, w_tail, counter, V_T = aeif_step(u[t - 1], wad, w_tail, y[t] * 1e6,
                                                    counter, V_T, b)
        u_md[t + 1] = u[t] / tau_d + (1 - 1 / tau_d) * u_md[t]
        u_mp[t + 1] = u[t] / tau_p + (1 - 1 / tau_p) * u_mp[t]
        r[t + 1] = x[t] / tau_r + (1 - 1 / tau_r) * r[t]
        u_sig = (u[t] - tetap) if u[t] > tetap else 0.0
        u_md_sig = max(u_md[t - 3] - tetam, 0.0)
        u_mp_sig = max(u_mp[t - 3] - tetam, 0.0)
        w = w - A_m * x[t] * u_md_sig + A_p * u_sig * r[t] * u_mp_sig
    return w


def frequency_dependence(rhos=(0.1, 10, 20, 40, 50), Dt=10, extra_post=False, b=B_ADAPT):
    """Weight change in % for pre-post (+Dt) and post-pre (-Dt), as FrequencyDependence.m."""
    return {order: [100 * (votri(rho, sign * Dt, extra_post=extra_post, b=b) - 0.5) / 0.5
                    for rho in rhos]
            for order, sign in (("pre_post", +1), ("post_pre", -1))}
