"""interneuron-subtraction and four-factor-gate: targets at reduced size, bad input, figures."""

import numpy as np
import pytest
from brian2 import ms, pA

from dendrites import ModelError
from protocols import run


@pytest.fixture(scope="module")
def subtraction():
    # quick settings: 11 conditions (5 per sign and the match), 1 s; numpy backend
    return run("interneuron-subtraction", None, backend="numpy", quick=True)


@pytest.fixture(scope="module")
def gate():
    return run("four-factor-gate", None, backend="numpy", quick=True,
               overrides=dict(duration=600 * ms))


def test_subtraction_sign_of_dw_is_sign_of_mismatch(subtraction):
    m = subtraction[0]["metrics"]
    mismatch, dw, apical = (np.asarray(m[k]) for k in ("mismatch", "dw", "apical_mV"))
    # issue target: sign(dw) = sign(mismatch) in >= 95 % of the conditions with a mismatch
    assert m["sign_agreement"] >= 0.95
    nonzero = mismatch != 0
    assert np.mean(np.sign(dw[nonzero]) == np.sign(mismatch[nonzero])) >= 0.95
    # the grid spans both signs and holds exactly one matched condition (offset 0 gives
    # the upper neurons the interneurons' drive, hence identical spike trains)
    assert (mismatch > 0).sum() >= 3 and (mismatch < 0).sum() >= 3
    assert m["n_matched"] == 1
    # the apical voltage carries the error: monotone in the mismatch, both signs
    order = np.argsort(mismatch)
    assert np.all(np.diff(apical[order]) > 0)


def test_subtraction_dw_near_zero_at_the_match(subtraction):
    m = subtraction[0]["metrics"]
    dw = np.asarray(m["dw"])
    match = np.flatnonzero(np.asarray(m["mismatch"]) == 0)
    # issue target: |dw| below 5 % of the largest |dw| when the prediction matches
    assert np.abs(dw[match]).max() < 0.05 * np.abs(dw).max()
    assert m["dw_at_match_relative"] < 0.05


def test_gate_sign_follows_rpe_and_size_follows_fb(gate):
    m = gate[0]["metrics"]
    fb, rpe, dw, mismatch = (np.asarray(m[k]) for k in ("fb", "rpe", "dw", "mismatch"))
    on = fb > 0
    np.testing.assert_array_equal(np.sign(dw[on]), np.sign(rpe[on]))
    assert m["sign_follows_rpe"] == 1.0
    assert np.all(dw[~on] == 0)
    # same activity within an apical-error group, so dw/FB is one number per (error, RPE):
    # only rounding separates the conditions
    for e in np.unique(mismatch):
        for r in np.unique(rpe):
            sel = on & (mismatch == e) & (rpe == r)
            np.testing.assert_allclose(dw[sel] / fb[sel], dw[sel][0] / fb[sel][0], rtol=1e-9)
    assert m["fb_scaling_error"] < 1e-9
    # gating cannot make two neurons with the same RPE change in opposite directions ...
    assert m["opposite_signs_same_rpe"] is False
    # ... although their apical errors have opposite signs, which the signed rule follows
    assert (mismatch > 0).any() and (mismatch < 0).any()
    signed = np.asarray(m["dw_signed"])
    np.testing.assert_array_equal(np.sign(signed), np.sign(mismatch))
    assert m["signed_opposite_signs_same_rpe"] is True


@pytest.mark.parametrize("name, overrides, match", [
    ("interneuron-subtraction", dict(n_conditions=10), r"'n_conditions' = 10 must be odd"),
    ("interneuron-subtraction", dict(n_sst=0), r"'n_sst' = 0 must be at least 1"),
    ("interneuron-subtraction", dict(t_skip=3000 * ms), r"'t_skip' = 3\. s must be shorter"),
    ("four-factor-gate", dict(fb=[0.5, 1.5]), r"'fb' = \[0\.5, 1\.5\] must lie in \[0, 1\]"),
    ("four-factor-gate", dict(eta_gate=-1.0), r"'eta' = -1\.0 must be zero or positive"),
    ("four-factor-gate", dict(I_pred_min=200 * pA), r"the minimum must not exceed"),
])
def test_protocols_refuse_bad_parameters(name, overrides, match):
    with pytest.raises(ModelError, match=match):
        run(name, None, backend="numpy", quick=True, overrides=overrides)


def test_figures_draw_with_and_without_companion_runs(subtraction, gate, tmp_path, monkeypatch):
    import figures.credit_sign as fc
    from protocols.results import write_run

    monkeypatch.setattr(fc, "RUNS", tmp_path)
    fig = fc.interneuron_subtraction(*subtraction)
    assert len(fig.axes) == 3
    assert len(fc.four_factor_gate(*gate).axes) == 2           # nothing stored yet
    write_run(tmp_path / "interneuron-subtraction", subtraction[0], subtraction[1])
    timing = dict(protocol="feedback-timing", metrics=dict(
        offset_ms={"guerguiev": [-10, 10], "payeur": [0, 20]},
        dw={"guerguiev": [-1e-3, 2e-3], "payeur": [1e-3, -1e-3]}))
    write_run(tmp_path / "feedback-timing", timing)
    fig = fc.four_factor_gate(*gate)
    assert len(fig.axes) == 4
    assert fig.axes[3].get_xlabel() == "feedback offset (ms)"
