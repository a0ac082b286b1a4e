"""Signed versus gated credit in one neuron: interneuron subtraction and the four-factor gate.

Both protocols use the same circuit (Richards & Lillicrap 2018; SCIENCE.md
sections 1, 3, 7 and 14): a Sacramento et al. (2018) pyramidal neuron with
escape-rate spiking receives Poisson input onto its basal dendrite, top-down
excitation from upper-layer neurons onto its apical AMPA channel and
inhibition from SST-like interneurons (Payeur et al. 2021 AdEx) onto its
apical GABA channel.  The interneurons *predict* the top-down input: the
upper-layer neurons have the interneurons' own dynamics, so that, when the
interneurons' drive equals theirs, both fire the same spike trains and the
per-spike charges (balanced at rest) cancel -- the self-predicting state
``u^I = u^P_(k+1)`` of Sacramento et al. made exact.  A mismatch is an offset
of the upper-layer drive that the interneurons do not see.

The top-down input arrives through ``n_sst`` = 40 weak synapses (and as many
interneurons).  Per-spike charges balance at rest, but AMPA (5 ms) and GABA
(10 ms, 10 mV driving force) differ in time course, so the voltage ripple
biases the mean apical voltage at the match; the bias falls with the number
of synapses (measured, 2 s runs, seeds 1-3: with 10 synapses of 4x the weight
``|dw|`` at the match is 4.3-6.4 % of the largest; with 40, 0.9-1.7 %,
seeds 1-6).

Plastic basal synapses are read-outs: they receive the same presynaptic
spikes as fixed basal synapses but deliver nothing (``w_scale = 0``), so that
plasticity does not feed back on activity during a run and every condition
sees the same basal input.  One pyramidal neuron per condition, all in one
network.
"""

from dataclasses import replace

import numpy as np
from brian2 import (Hz, Network, PoissonGroup, SpikeMonitor, StateMonitor, Synapses, mV, ms, nS,
                    pA, second)

from dendrites import presets
from dendrites.errors import ModelError
from dendrites.mechanisms import EscapeRate
from dendrites.plasticity import FourFactor, SacramentoBasal, connect
from dendrites.plasticity.base import check_unit_interval
from dendrites.plasticity.modulated import FeedbackGate, set_gate

from .registry import protocol

__all__ = ["interneuron_subtraction", "four_factor_gate", "pyramid_model"]

CIRCUIT = dict(n_basal=20, basal_rate=10 * Hz, w_basal=0.3 * nS, w_init=0.5, n_sst=40,
               I_pred_min=60 * pA, I_pred_max=100 * pA, w_td=0.5 * nS, phi_max=200 * Hz,
               theta_phi=-70 * mV, beta_phi=1 / mV, t_ref=2 * ms, eta=0.002,
               t_skip=200 * ms, duration=2000 * ms, dt=0.1 * ms)


def pyramid_model(p, gate=False):
    """Sacramento et al. 2018 neuron (one-way couplings) with escape-rate spiking.

    The escape rate is the paper's logistic ``phi`` (``phi_max``, k = 1,
    ``beta_phi``, ``theta_phi``; 1 mV = 1 unit, rest = -70 mV); ``gate``
    adds a :class:`FeedbackGate` to the apical compartment.
    """
    base = presets.sacramento_2018("rate")
    comps = base.compartments
    if gate:
        comps = tuple(replace(c, mechanisms=c.mechanisms + (FeedbackGate(),))
                      if c.name == "apical" else c for c in comps)
    spike = EscapeRate(p.phi_max, 1.0, p.beta_phi, p.theta_phi, p.t_ref)
    return replace(base, compartments=comps, spike=spike, name="sacramento-2018-escape",
                   source=base.source + "; escape-rate spiking with the paper's phi")


def _check(p):
    for key in ("n_basal", "n_sst"):
        if p[key] < 1:
            raise ModelError(f"Parameter '{key}' = {p[key]} must be at least 1.")
    if not p.t_skip < p.duration:
        raise ModelError(f"Parameter 't_skip' = {p.t_skip} must be shorter than "
                         f"'duration' = {p.duration}.")
    if not p.I_pred_min <= p.I_pred_max:
        raise ModelError(f"Parameters 'I_pred_min' = {p.I_pred_min} and 'I_pred_max' = "
                         f"{p.I_pred_max}: the minimum must not exceed the maximum.")


def _balanced_weight(model, w_td):
    """GABA weight whose charge at rest cancels one AMPA event of weight *w_td*."""
    q = model.parameters()
    drive_e = q["tau_ampa_apical"] * (q["E_ampa_apical"] - q["E_L_apical"])
    drive_i = q["tau_gaba_apical"] * (q["E_L_apical"] - q["E_gaba_apical"])
    return w_td * drive_e / drive_i, drive_e * w_td


def _circuit(p, model, offsets):
    """Build the circuit (inside a backend scope): one pyramid per entry of *offsets*."""
    n, k = len(offsets), int(p.n_sst)
    pyr = model.build(n, name="pyramid", dt=p.dt)
    basal = PoissonGroup(int(p.n_basal), p.basal_rate, name="basal_input")
    fixed = Synapses(basal, pyr, "w_b : siemens (shared, constant)",
                     on_pre=model.on_pre("ampa", "basal", "w_b"), name="basal_fixed")
    fixed.connect()
    fixed.w_b = p.w_init * p.w_basal
    sst_model = presets.payeur_2021_sst()
    drive = np.linspace(float(p.I_pred_min / pA), float(p.I_pred_max / pA), k) * pA
    sst = sst_model.build(k, name="sst", dt=p.dt)
    sst.I_ext_soma = drive
    upper = sst_model.build(n * k, name="upper", dt=p.dt)
    upper.I_ext_soma = np.tile(drive, n) + np.repeat(np.asarray(offsets / pA), k) * pA
    w_gaba, _ = _balanced_weight(model, p.w_td)
    topdown = Synapses(upper, pyr, "w_e : siemens (shared, constant)",
                       on_pre=model.on_pre("ampa", "apical", "w_e"), name="topdown")
    topdown.connect(i=np.arange(n * k), j=np.arange(n * k) // k)
    topdown.w_e = p.w_td
    inhib = Synapses(sst, pyr, "w_i : siemens (shared, constant)",
                     on_pre=model.on_pre("gaba", "apical", "w_i"), name="sst_apical")
    inhib.connect()
    inhib.w_i = w_gaba
    mons = dict(upper=SpikeMonitor(upper, name="upper_spikes"),
                sst=SpikeMonitor(sst, name="sst_spikes"),
                state=StateMonitor(pyr, ["v_apical", "v_soma", "rate"], record=True,
                                   dt=1 * ms, name="pyramid_state"))
    objs = [pyr, basal, fixed, sst, upper, topdown, inhib] + list(mons.values())
    return pyr, basal, objs, mons


def _mismatch(p, model, mons, n):
    """Top-down minus predicted apical current at rest (pA) over the analysis window."""
    k = int(p.n_sst)
    t0 = float(p.t_skip / second)
    span = float((p.duration - p.t_skip) / second)
    tu, iu = np.asarray(mons["upper"].t / second), np.asarray(mons["upper"].i)
    ts = np.asarray(mons["sst"].t / second)
    n_up = np.bincount(iu[tu >= t0] // k, minlength=n)
    n_sst = int(np.sum(ts >= t0))
    _, q = _balanced_weight(model, p.w_td)   # charge per event at rest
    return (float(q / (pA * second)) * (n_up - n_sst) / span, n_up / (k * span),
            n_sst / (k * span))


def _window_mean(mon, var, p, rest=0.0):
    t = np.asarray(mon.t / ms)
    sel = t >= float(p.t_skip / ms)
    unit = mV if var.startswith("v_") else Hz
    return np.asarray(getattr(mon, var) / unit)[:, sel].mean(axis=1) - rest


def _dw(syn, n, w0, out=None):
    """Mean weight change per postsynaptic neuron (written into *out* where it has synapses)."""
    w, j = np.asarray(syn.w), np.asarray(syn.j)
    count = np.bincount(j, minlength=n)
    out = np.full(n, np.nan) if out is None else out
    has = count > 0
    out[has] = np.bincount(j, weights=w - w0, minlength=n)[has] / count[has]
    return out


# ---------------------------------------------------------------------------
@protocol("interneuron-subtraction",
          "Signed apical error = top-down input minus an SST interneuron's prediction; the "
          "Sacramento basal rule's weight change follows its sign (mechanism (b))",
          dict(CIRCUIT, offset_max=40 * pA, n_conditions=21),
          quick=dict(n_conditions=11, duration=1000 * ms))
def interneuron_subtraction(p, ctx):
    """Top-down drive offsets span ``[-offset_max, offset_max]`` (odd count: includes 0).

    Metrics per condition: ``mismatch`` (pA; top-down minus predicted apical
    current at rest, from spike counts), ``apical_mV`` (mean apical voltage
    relative to rest), ``dw`` (mean basal weight change after ``t_skip``).
    """
    _check(p)
    n = int(p.n_conditions)
    if n < 3 or n % 2 == 0:
        raise ModelError(f"Parameter 'n_conditions' = {n} must be odd and at least 3, so that "
                         "the grid includes a matched prediction (offset 0).")
    offsets = np.linspace(-1, 1, n) * p.offset_max
    model = pyramid_model(p)
    with ctx.backend_scope(dt=p.dt) as be:
        pyr, basal, objs, mons = _circuit(p, model, offsets)
        syn = connect(SacramentoBasal(eta=p.eta), basal, pyr, model, "basal", "ampa",
                      w_init=p.w_init, w_scale=0 * nS, name="basal_plastic")
        net = Network(*objs, syn)
        be.run(net, p.t_skip)
        syn.w = p.w_init
        be.run(net, p.duration - p.t_skip)
        be.finish()
        mismatch, rate_up, rate_sst = _mismatch(p, model, mons, n)
        apical = _window_mean(mons["state"], "v_apical", p,
                              float(model.parameters()["E_L_apical"] / mV))
        rate = _window_mean(mons["state"], "rate", p)
        dw = _dw(syn, n, p.w_init)
        t = np.asarray(mons["state"].t / ms)
        v_ap = np.asarray(mons["state"].v_apical / mV)
    metrics = dict(offset_pA=(offsets / pA).tolist(), mismatch=mismatch.tolist(),
                   apical_mV=apical.tolist(), dw=dw.tolist(), rate_hz=rate.tolist(),
                   upper_rate_hz=rate_up.tolist(), sst_rate_hz=rate_sst)
    metrics.update(_sign_summary(mismatch, dw))
    return metrics, dict(t_ms=t, v_apical_mV=v_ap[:, :], offset_pA=np.asarray(offsets / pA))


def _sign_summary(mismatch, dw):
    """Sign agreement over conditions with a mismatch, |dw| at the match relative to max."""
    mismatch, dw = np.asarray(mismatch), np.asarray(dw)
    nonzero = mismatch != 0
    agree = np.sign(dw[nonzero]) == np.sign(mismatch[nonzero])
    match = np.flatnonzero(~nonzero)
    largest = float(np.max(np.abs(dw))) if dw.size else 0.0
    at_match = (float(np.max(np.abs(dw[match]))) / largest) if match.size and largest else None
    return dict(sign_agreement=float(agree.mean()) if agree.size else None,
                dw_at_match_relative=at_match, n_matched=int(match.size))


# ---------------------------------------------------------------------------
@protocol("four-factor-gate",
          "Gated four-factor rule on the interneuron-subtraction neuron: FB in [0, 1] crossed "
          "with a global RPE of either sign; sign(dw) follows the RPE, |dw| scales with FB",
          dict(CIRCUIT, fb=[0.0, 0.25, 0.5, 1.0], rpe=[-1.0, 1.0], offsets=[-20 * pA, 20 * pA],
               eta_gate=5e-4, nu_ref=100 * Hz),
          quick=dict(duration=1000 * ms))
def four_factor_gate(p, ctx):
    """One pyramid per (top-down offset, RPE, FB); same activity within an offset.

    Each RPE value is one ``Synapses`` object whose ``(shared)`` RPE every
    neuron of that object receives; FB is each neuron's
    :class:`~dendrites.plasticity.modulated.FeedbackGate`.  Read-out
    Sacramento synapses on the same neurons give ``dw_signed``, the signed
    rule's change for the same activity.
    """
    _check(p)
    fb = np.asarray(p.fb, dtype=float)
    rpe = np.asarray(p.rpe, dtype=float)
    if fb.size < 1 or rpe.size < 1 or len(p.offsets) < 1:
        raise ModelError("Parameters 'fb', 'rpe' and 'offsets' must each list at least one value.")
    check_unit_interval("fb", p.fb)
    offsets = np.array([float(o / pA) for o in p.offsets]) * pA
    grid = [(o, r, f) for o in range(len(offsets)) for r in range(rpe.size) for f in range(fb.size)]
    n = len(grid)
    cond_offset = np.array([float(offsets[g[0]] / pA) for g in grid]) * pA
    cond_rpe = np.array([rpe[g[1]] for g in grid])
    cond_fb = np.array([fb[g[2]] for g in grid])
    model = pyramid_model(p, gate=True)
    rule = FourFactor(eta=p.eta_gate, f_post="rate", nu_ref=p.nu_ref, gate="apical")
    with ctx.backend_scope(dt=p.dt) as be:
        pyr, basal, objs, mons = _circuit(p, model, cond_offset)
        set_gate(pyr, cond_fb, "apical")
        gated = []
        for r, value in enumerate(rpe):
            post = np.array([c for c, g in enumerate(grid) if g[1] == r])
            pre = np.arange(int(p.n_basal))
            syn = connect(rule, basal, pyr, model, "basal", "ampa", w_init=p.w_init,
                          w_scale=0 * nS, name=f"gated_{r}",
                          connect=dict(i=np.tile(pre, post.size), j=np.repeat(post, pre.size)))
            syn.RPE = value
            gated.append(syn)
        signed = connect(SacramentoBasal(eta=p.eta), basal, pyr, model, "basal", "ampa",
                         w_init=p.w_init, w_scale=0 * nS, name="signed_readout")
        plastic = gated + [signed]
        net = Network(*objs, *plastic)
        be.run(net, p.t_skip)
        for syn in plastic:
            syn.w = p.w_init
        be.run(net, p.duration - p.t_skip)
        be.finish()
        dw = np.full(n, np.nan)
        for syn in gated:
            _dw(syn, n, p.w_init, out=dw)
        dw_signed = _dw(signed, n, p.w_init)
        mismatch, _, _ = _mismatch(p, model, mons, n)
        apical = _window_mean(mons["state"], "v_apical", p,
                              float(model.parameters()["E_L_apical"] / mV))
        rate = _window_mean(mons["state"], "rate", p)
    metrics = dict(fb=cond_fb.tolist(), rpe=cond_rpe.tolist(), dw=dw.tolist(),
                   offset_pA=(cond_offset / pA).tolist(), mismatch=mismatch.tolist(),
                   apical_mV=apical.tolist(), rate_hz=rate.tolist(), dw_signed=dw_signed.tolist())
    metrics.update(_gate_summary(cond_fb, cond_rpe, cond_offset / pA, dw, dw_signed))
    return metrics, dict(fb=cond_fb, rpe=cond_rpe, dw=dw, dw_signed=dw_signed)


def _gate_summary(fb, rpe, offset, dw, dw_signed):
    """Does sign(dw) follow the RPE alone, and |dw| scale with FB?"""
    on = fb > 0
    follows = np.sign(dw[on]) == np.sign(rpe[on])
    scaling = []
    for o in np.unique(offset):
        for r in np.unique(rpe):
            sel = on & (offset == o) & (rpe == r)
            if sel.sum() and r != 0:
                slope = dw[sel] / fb[sel]
                ref = np.abs(slope).max()
                scaling.append(float(np.max(np.abs(slope - slope.mean())) / ref) if ref else 0.0)
    both = lambda x, sel: bool((x[sel] > 0).any() and (x[sel] < 0).any())  # noqa: E731
    return dict(sign_follows_rpe=float(follows.mean()) if follows.size else None,
                fb_scaling_error=max(scaling) if scaling else None,
                dw_gate_closed=float(np.max(np.abs(dw[~on]))) if (~on).any() else None,
                opposite_signs_same_rpe=any(both(dw, rpe == r) for r in np.unique(rpe)),
                signed_opposite_signs_same_rpe=any(both(dw_signed, rpe == r)
                                                   for r in np.unique(rpe)))
