"""The recurrent STDP benchmark network (circuits.recurrent) on the numpy backend."""

import functools
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from brian2 import Hz, Network, Synapses, device, ms, nS, second

from circuits.recurrent import DEFAULTS, recurrent_network
from dendrites import ModelError
from protocols import Backend

pytestmark = pytest.mark.filterwarnings("ignore::dendrites.DtWarning")

DT = 0.1 * ms


def _numba_loop():
    pytest.importorskip("numba")
    return _load_numba_loop()


@functools.lru_cache(maxsize=None)
def _load_numba_loop():
    path = Path(__file__).parent / "benchmarks" / "numba_loop.py"
    spec = importlib.util.spec_from_file_location("numba_loop", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(N, duration, backend="numpy", seed=1, build_dir=None, **kw):
    with Backend(backend, seed=seed, dt=DT, build_dir=build_dir) as be:
        net = recurrent_network(N, **kw)
        be.run(net.network(), duration)
        be.finish()
        counts = np.asarray(net.spikes.count[:])
        w = np.asarray(net.synapses.w[:] / nS)
        events = {k: np.asarray(m.count[:]) for k, m in net.monitors.items()
                  if k.endswith("_inputs")}
        return net, counts, w, events


def test_builds_one_group_and_fires_at_a_plausible_rate():
    net, counts, w, _ = _run(50, 200 * ms)
    assert len(net.group) == 50 and len(net.objects) == 3
    for var in ("v_soma", "v_basal", "v_apical", "s_basal", "trace_plus", "trace_minus"):
        assert var in net.group.variables
    rate = counts.sum() / (50 * 0.2)
    assert 1 < rate < 20
    assert net.mean_rate(200 * ms) == pytest.approx(rate)
    assert np.all(w >= 0) and np.all(w <= float(DEFAULTS["w_max"] / nS))


def test_sweepable_parameters_are_shared_constants():
    with Backend("numpy", dt=DT):
        net = recurrent_network(10)
    for owner, names in ((net.group, ("rate_basal", "rate_apical", "w_basal", "w_apical",
                                      "tau_plus", "tau_minus", "g_L_soma", "V_th")),
                         (net.synapses, ("A_plus", "A_minus", "w_max"))):
        for name in names:
            var = owner.variables[name]
            assert var.scalar and var.constant, name


def test_event_driven_input_delivers_the_expected_number_of_events():
    N, T = 200, 200 * ms
    _, _, _, events = _run(N, T, record=("counts", "inputs"), p_rec=0.0)
    for comp, n in (("basal", 100), ("apical", 50)):
        expected = N * n * 5 * 0.2
        got = events[f"{comp}_inputs"].sum()
        assert got == pytest.approx(expected, rel=0.03), comp  # 3 % = 4-6 sd
    # and the inputs' conductance jumps reach the neurons: no input, no spikes
    _, counts, _, _ = _run(20, 100 * ms, input_rate=0 * Hz)
    assert counts.sum() == 0


def test_stdp_changes_weights_both_ways_within_bounds():
    kw = dict(p_rec=0.5, w_rec=0.05 * nS, w_max=0.1 * nS, A_plus=0.01 * nS, A_minus=0.01 * nS,
              input_rate=7 * Hz)
    _, counts, w, _ = _run(50, 200 * ms, **kw)
    assert counts.sum() > 100
    assert np.all(w >= 0) and np.all(w <= 0.1 + 1e-12)
    assert np.sum(w > 0.05 + 1e-6) > 10 and np.sum(w < 0.05 - 1e-6) > 10
    _, _, w_fixed, _ = _run(50, 200 * ms, stdp=False, **kw)
    assert np.all(w_fixed == 0.05)


def test_per_neuron_traces_equal_per_synapse_traces():
    """Per-neuron STDP traces give the weights of classic per-synapse traces."""
    kw = dict(p_rec=0.3, w_rec=0.05 * nS, w_max=0.1 * nS, A_plus=0.004 * nS,
              A_minus=0.003 * nS, input_rate=7 * Hz)
    with Backend("numpy", seed=2, dt=DT) as be:
        net = recurrent_network(30, **kw)
        # same pairs, same spikes (it delivers nothing); its traces live on the
        # synapses and are incremented after both pathways have read them
        ref = Synapses(net.group, net.group,
                       """w_ref : siemens
                          dapre/dt = -apre/tau_plus_pre : 1 (clock-driven)
                          dapost/dt = -apost/tau_minus_post : 1 (clock-driven)""",
                       on_pre={"pre": "w_ref = clip(w_ref - A_minus*apost, 0*nS, w_max)",
                               "pre_trace": "apre += 1"},
                       on_post={"post": "w_ref = clip(w_ref + A_plus*apre, 0*nS, w_max)",
                                "post_trace": "apost += 1"},
                       method="rk2", namespace=dict(A_plus=kw["A_plus"], A_minus=kw["A_minus"],
                                                    w_max=kw["w_max"]))
        ref.pre_trace.order = ref.post_trace.order = 10
        ref.connect(i=net.synapses.i[:], j=net.synapses.j[:])
        ref.w_ref = kw["w_rec"]
        be.run(Network(*net.objects, ref), 200 * ms)
        w, w_ref = np.asarray(net.synapses.w[:]), np.asarray(ref.w_ref[:])
        counts = np.asarray(net.spikes.count[:])
    assert counts.sum() > 100 and len(w) > 100
    assert np.any(w > 0.05e-9 * (1 + 1e-6)) and np.any(w < 0.05e-9 * (1 - 1e-6))
    np.testing.assert_allclose(w, w_ref, rtol=1e-9, atol=1e-24)


def test_rejects_bad_parameters():
    with Backend("numpy", dt=DT):
        with pytest.raises(ModelError, match="w_rex"):
            recurrent_network(10, w_rex=1 * nS)
        with pytest.raises(ModelError, match="w_max"):
            recurrent_network(10, w_rec=1 * nS)
        with pytest.raises(ModelError, match="input_rate"):
            recurrent_network(10, input_rate=5 * ms)
        with pytest.raises(ModelError, match="record"):
            recurrent_network(10, record=("voltage",))
        with pytest.raises(ModelError, match=r"'channels' = \('nmda',\) must include 'ampa'"):
            recurrent_network(10, channels=("nmda",))
        with pytest.raises(ModelError, match=r"Unknown compartment 'dend'"):
            recurrent_network(10, external_currents=("dend",))


def test_unused_channels_and_currents_are_left_out_and_can_be_added():
    with Backend("numpy", dt=DT):
        lean = recurrent_network(10).group.variables
        full = recurrent_network(10, channels=("ampa", "nmda", "gaba"),
                                 external_currents=("soma", "basal", "apical")).group.variables
    assert "g_ampa_basal" in lean and "g_nmda_basal" not in lean and "I_ext_soma" not in lean
    assert "g_nmda_basal" in full and "g_gaba_apical" in full and "I_ext_apical" in full


@pytest.mark.standalone
def test_cpp_standalone_gives_the_numpy_spikes(tmp_path):
    # all-to-all connectivity draws no random numbers, so both backends see the
    # same input events; the spike counts then agree neuron by neuron
    kw = dict(p_rec=1.0, w_rec=0.05 * nS, w_max=0.1 * nS, A_plus=0.01 * nS, A_minus=0.01 * nS,
              input_rate=8 * Hz)
    _, counts_np, w_np, _ = _run(20, 200 * ms, seed=3, **kw)
    with Backend("cpp_standalone", seed=3, dt=DT, build_dir=tmp_path / "build") as be:
        net = recurrent_network(20, **kw)
        be.run(net.network(), 200 * ms)
        be.finish()
        counts_cpp, w_cpp = np.asarray(net.spikes.count[:]), np.asarray(net.synapses.w[:] / nS)
        # the STDP amplitude is a run_args parameter: without potentiation no weight grows
        device.run(directory=str(be.build_dir), with_output=False,
                   run_args={net.synapses.A_plus: 0 * nS})
        w_no_ltp = np.asarray(net.synapses.w[:] / nS)
    assert counts_np.sum() > 50
    np.testing.assert_array_equal(counts_cpp, counts_np)
    np.testing.assert_allclose(w_cpp, w_np, rtol=1e-6)
    assert np.any(w_cpp > 0.05 * (1 + 1e-9)) and np.all(w_no_ltp <= 0.05 * (1 + 1e-12))


@pytest.mark.slow
def test_numba_reference_matches_the_brian2_rate():
    # statistical equivalence of the benchmark's reference (5-10 s)
    loop = _numba_loop()
    N, T = 300, 1 * second
    _, counts, _, _ = _run(N, T)
    ref = loop.simulate(N, T, seed=4)
    rate = counts.sum() / (N * float(T))
    assert ref["mean_rate_hz"] == pytest.approx(rate, rel=0.15)
    events = ref["input_events"] / (N * float(T))
    assert events == pytest.approx([500, 250], rel=0.02)


def test_numba_reference_integrates_the_same_equations():
    """Deterministic (no input, no synapses): same initial state, same trajectory."""
    loop = _numba_loop()
    init = dict(v_soma=[-70e-3, -60e-3, -52e-3], v_basal=[-70e-3, -40e-3, -65e-3],
                v_apical=[-70e-3, -55e-3, -30e-3], g_ampa_basal=[0, 20e-9, 5e-9],
                g_ampa_apical=[10e-9, 0, 3e-9], g_ampa_soma=[5e-9, 150e-9, 30e-9],
                trace_plus=[0.5, 0, 1], trace_minus=[0, 2, 0.1])
    params = dict(p_rec=0.0, input_rate=0 * Hz)
    with Backend("numpy", dt=DT):
        net = recurrent_network(3, **params)
        for name, value in init.items():
            setattr(net.group, name + "_", np.array(value))
        net.network().run(30 * ms)
        brian = {name: np.array(getattr(net.group, name + "_")[:]) for name in loop.STATE_VARS[:loop.N_DYNAMIC]}
        counts = np.asarray(net.spikes.count[:])
    ref = loop.simulate(3, 30 * ms, params=params, state=init)
    assert counts[1] >= 3 and counts[2] > 0  # spikes, resets and refractory periods included
    np.testing.assert_array_equal(ref["counts"], counts)
    for name in loop.STATE_VARS[:loop.N_DYNAMIC]:
        np.testing.assert_allclose(ref["state"][name], brian[name], rtol=1e-9, atol=1e-20,
                                   err_msg=name)


def test_numba_reference_runs_and_stays_in_bounds():
    loop = _numba_loop()
    ref = loop.simulate(40, 50 * ms, params=dict(p_rec=0.5), seed=1)
    assert ref["counts"].shape == (40,)
    w_max = float(DEFAULTS["w_max"])
    assert np.all(ref["weights"] >= 0) and np.all(ref["weights"] <= w_max)
