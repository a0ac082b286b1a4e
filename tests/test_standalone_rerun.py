"""A cpp_standalone build is re-run with new parameter values through run_args, without recompiling."""

import time

import numpy as np
import pytest
from brian2 import Network, StateMonitor, device, mV, ms, nS, pA

from dendrites import presets
from protocols import Backend


@pytest.mark.standalone
def test_run_args_change_a_parameter_without_recompiling(tmp_path):
    model = presets.pyramidal(3)
    with Backend("cpp_standalone", build_dir=tmp_path / "build", seed=1, dt=0.05 * ms) as be:
        group = model.build(1, name="cell", dt=0.05 * ms)
        group.I_ext_soma = 50 * pA
        mon = StateMonitor(group, "v_soma", record=0)
        be.run(Network(group, mon), 200 * ms)
        device.build(directory=str(be.build_dir), compile=True, run=True)
        binary = next((be.build_dir).glob("main*"))
        stamp = binary.stat().st_mtime
        v_default = float(mon.v_soma[0, -1] / mV)
        results = {}
        for g_L in (10, 20, 40):
            t0 = time.perf_counter()
            device.run(directory=str(be.build_dir), with_output=False,
                       run_args={group.g_L_soma: g_L * nS})
            results[g_L] = (float(mon.v_soma[0, -1] / mV), time.perf_counter() - t0)
        assert binary.stat().st_mtime == stamp  # nothing was recompiled
    for g_L, (v_end, seconds) in results.items():
        C, A = model.with_params(g_L_soma=g_L * nS).passive_system()
        expected = np.linalg.solve(A, np.array([50e-12 / C[0], 0, 0]))[0] * 1e3 - 70
        # 200 ms is 20 slowest time constants: the steady state is reached to < 1e-6
        assert v_end == pytest.approx(expected, abs=1e-4)
        assert seconds < 5  # a re-run, not a compilation (cold builds take 10-40 s here)
    assert results[10][0] == pytest.approx(v_default)
