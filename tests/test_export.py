"""Stored runs export to xarray/NetCDF with dims (neuron, compartment, time) and units."""

import subprocess
import sys

import numpy as np
import pytest

from protocols import run
from protocols.export import run_to_dataset, spikes_to_dataset, traces_to_dataset

xr = pytest.importorskip("xarray")


def test_passive_transfer_run_exports_labelled_traces(tmp_path):
    run("passive-transfer", tmp_path / "pt", backend="numpy", quick=True)
    ds = run_to_dataset(tmp_path / "pt")
    v = ds["v"]
    assert v.dims == ("neuron", "compartment", "time")
    assert list(v.compartment.values) == ["soma", "basal", "apical"]
    assert v.attrs["units"] == "mV" and ds.time.attrs["units"] == "ms"
    assert ds.attrs["protocol"] == "passive-transfer" and ds.attrs["backend"] == "numpy"
    # neuron k had the step in compartment k: its own compartment depolarises most
    peak = (v.max("time") - v.isel(time=0)).values
    assert np.all(np.argmax(peak, axis=1) == np.arange(3))
    out = tmp_path / "pt.nc"
    proc = subprocess.run([sys.executable, "-m", "protocols", "export", str(tmp_path / "pt"),
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    back = xr.open_dataset(out)
    np.testing.assert_allclose(back["v"].values, v.values)
    assert back["v"].attrs["units"] == "mV"
    back.close()


def test_spike_table_and_shape_errors():
    ds = spikes_to_dataset([0.1, 0.2], [0, 3], n_neurons=4)
    assert ds.spike_time.attrs["units"] == "s" and ds.attrs["n_neurons"] == 4
    from dendrites import ModelError

    with pytest.raises(ModelError, match="do not match 2 compartments"):
        traces_to_dataset(np.arange(5), np.zeros((3, 5)), ["soma", "apical"])
