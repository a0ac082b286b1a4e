"""Disinhibitory gating circuit (circuits.disinhibition) and the disinhibitory-gate protocol."""

import numpy as np
import pytest
from brian2 import Network, mV, ms, nS

from circuits.disinhibition import GateConfig, build_gate_circuit
from dendrites import ModelError
from protocols import run
from protocols.backend import Backend

DT = 0.1 * ms
DURATION = 400 * ms


@pytest.fixture(scope="module")
def gate():
    """Two circuits, same basal and apical input: higher-order input on (0) and off (1)."""
    config = GateConfig()
    with Backend("numpy", seed=2, dt=DT) as be:
        objs, parts = build_gate_circuit(config, [True, False], [True, True], DT)
        be.run(Network(*objs), DURATION)
        w, j = np.asarray(parts["plastic"].w), np.asarray(parts["plastic"].j)
        dw = np.array([w[j == k].mean() - config.w_init for k in (0, 1)])
        span = float(DURATION / ms) / 1000

        def rate(mon, per):
            return np.bincount(np.asarray(mon.i) // per, minlength=2) / (per * span)

        rest = float(parts["model"].parameters()["E_L_apical"] / mV)
        apical = np.asarray(parts["state"].v_apical / mV).mean(axis=1) - rest
        return dict(dw=dw, apical=apical, sst=rate(parts["sst_spikes"], config.n_sst),
                    vip=rate(parts["vip_spikes"], config.n_vip))


def test_vip_drive_lowers_sst_rate_and_raises_apical_depolarisation(gate):
    assert gate["vip"][0] > 20 and gate["vip"][1] == 0     # higher-order input drives VIP
    # quick-run values (1 s): SST 2 Hz with, 18 Hz without; apical +43 mV vs +15 mV
    assert gate["sst"][0] < 0.5 * gate["sst"][1]
    assert gate["apical"][0] > gate["apical"][1] + 10


def test_ltp_larger_with_higher_order_input(gate):
    dw_with, dw_without = gate["dw"]
    assert dw_with > 0
    assert dw_with > dw_without
    # the gate at this short size already: without the higher-order input at most a third
    assert abs(dw_without) < dw_with / 3


@pytest.mark.slow
def test_protocol_gate_criterion():
    m = run("disinhibitory-gate", None, backend="numpy", quick=True)[0]["metrics"]
    # criterion: LTP >= +3 % of w_init with the higher-order input, |dw| <= 20 % of it without
    assert m["gate_met"]
    assert m["dw_with_higher_order"] >= 0.03
    assert abs(m["dw_without"]) <= 0.2 * m["dw_with_higher_order"]


@pytest.mark.parametrize("overrides, match", [
    (dict(n_sst=0), "n_sst"),
    (dict(w_sst=1 * mV), "w_sst"),
    (dict(w_init=1.5), "w_init"),
    (dict(gate_max=2.0), "gate_max"),
])
def test_bad_input_is_refused_and_nothing_written(tmp_path, overrides, match):
    out = tmp_path / "run"
    with pytest.raises(ModelError, match=match):
        run("disinhibitory-gate", out, backend="numpy", quick=True, overrides=overrides)
    assert not out.exists()


def test_condition_arrays_must_match():
    with pytest.raises(ModelError, match="equal length"):
        build_gate_circuit(GateConfig(), [True, False], [True], DT)


def test_negative_conductance_refused():
    with pytest.raises(ModelError, match="w_vip"):
        GateConfig(w_vip=-1 * nS).check()
