"""The numba reference of the Payeur propagation network fires like the Brian2 network.

``tests/benchmarks/payeur_net.py`` re-implements
:func:`circuits.burstprop.build_propagation` by hand (same cells, synapses,
short-term plasticity, noise statistics, drives and connectivity) as the
reference of the propagation benchmark; only the noise streams differ.
Here both run a small network (200 pyramids per population, 50 PV, 50 SST,
1 s) on two seeds, and the mean rate of every population, averaged over
the seeds, must agree within 15 % (the benchmark's tolerance).  When this
test was written the two-seed averages differed by 0.7, 0.3, 2.7 and 2.8 %
(pyr1, pyr2, PV, SST); single seeds by up to 11 % (SST: 50 neurons at
7 Hz), hence the average.  Runs in about 20 s (Brian2 on numpy).
"""

import sys
from pathlib import Path

import pytest
from brian2 import ms, second

numba = pytest.importorskip("numba")

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))
import payeur_net  # noqa: E402

SIZE = dict(n_pyr=200, n_pv=50, n_sst=50, p_connect=0.05)
SEEDS = (1, 2)
TOL = 0.15


def test_stp_per_presynaptic_neuron_is_exact():
    """STP state per presynaptic neuron gives the same spikes as per synapse."""
    a = payeur_net.simulate(**SIZE, duration=0.2 * second, dt=0.1 * ms, seed=3, stp="synapse")
    b = payeur_net.simulate(**SIZE, duration=0.2 * second, dt=0.1 * ms, seed=3, stp="neuron")
    assert a["spikes"] > 0
    for k in payeur_net.POPULATIONS:
        assert (a["counts"][k] == b["counts"][k]).all()


def test_same_network_as_brian2():
    """Connectivity and initial voltages are those of build_propagation for the same seed."""
    from brian2 import start_scope

    from circuits.burstprop import build_propagation

    start_scope()
    ref = payeur_net.network(**SIZE, dt=0.1 * ms, seed=5)
    b = build_propagation(ref["desc"], 10 * ms, 0.1 * ms, seed=5)
    assert (b["groups"]["pyr1"].v_soma_[:] == ref["state"]["pyr1"][0]).all()
    for name, path in ref["paths"].items():
        syn = b["synapses"][name]
        pre = syn.i[:]
        order = sorted(range(len(pre)), key=lambda s: pre[s])
        assert list(syn.j[:][order]) == list(path["post_idx"])
        assert float(syn.w_scale_[:]) == pytest.approx(path["w_scale"])


def test_rates_match_brian2():
    rates_b, rates_n = {}, {}
    for seed in SEEDS:
        rb = payeur_net.run_brian2("numpy", **SIZE, duration=1 * second, dt=0.1 * ms, seed=seed)
        rn = payeur_net.simulate(**SIZE, duration=1 * second, dt=0.1 * ms, seed=seed)
        for k in payeur_net.POPULATIONS:
            rates_b[k] = rates_b.get(k, 0.0) + rb["rates_hz"][k] / len(SEEDS)
            rates_n[k] = rates_n.get(k, 0.0) + rn["rates_hz"][k] / len(SEEDS)
    for k in payeur_net.POPULATIONS:
        assert rates_b[k] > 1.0, (k, rates_b)
        assert abs(rates_n[k] / rates_b[k] - 1) < TOL, (k, rates_n, rates_b)
