"""Export stored runs as labelled xarray Datasets (NetCDF), with units in attributes.

Voltage traces become ``(neuron, compartment, time)`` arrays and spike trains
a ``spike`` dimension with the spike time and neuron index of each spike.
Array names carry their unit as a suffix (``v_mV``, ``t_ms``, ``spike_t_s``),
which becomes the ``units`` attribute; the run's provenance becomes global
attributes.
"""

import json

import numpy as np

from dendrites.errors import ModelError

from .results import load

__all__ = ["traces_to_dataset", "spikes_to_dataset", "run_to_dataset", "export_netcdf"]

_UNITS = {"mV": "mV", "ms": "ms", "s": "s", "pA": "pA", "nS": "nS", "hz": "Hz", "Hz": "Hz"}


def _xarray():
    try:
        import xarray
    except ImportError:
        raise ModelError("Export needs xarray: pip install '.[export]'.") from None
    return xarray


def _split_unit(name):
    base, _, suffix = name.rpartition("_")
    return (base, _UNITS[suffix]) if base and suffix in _UNITS else (name, "1")


def traces_to_dataset(t_ms, v_mV, compartments, name="v"):
    """Voltage traces as a Dataset with dims ``(neuron, compartment, time)``.

    Parameters
    ----------
    t_ms : array, shape (T,)
        Sample times in ms.
    v_mV : array, shape (compartment, T) or (neuron, compartment, T)
        Membrane potentials in mV.
    compartments : sequence of str
        Compartment names, in the order of the compartment axis.
    """
    xr = _xarray()
    v = np.asarray(v_mV, float)
    if v.ndim == 2:
        v = v[None]
    if v.ndim != 3 or v.shape[1] != len(compartments) or v.shape[2] != len(t_ms):
        raise ModelError(f"Traces of shape {np.shape(v_mV)} do not match {len(compartments)} "
                         f"compartments and {len(t_ms)} time points.")
    data = xr.DataArray(v, dims=("neuron", "compartment", "time"),
                        coords={"neuron": np.arange(v.shape[0]), "compartment": list(compartments),
                                "time": np.asarray(t_ms, float)},
                        attrs={"units": "mV", "long_name": "membrane potential"})
    data.time.attrs["units"] = "ms"
    return xr.Dataset({name: data})


def spikes_to_dataset(spike_t_s, spike_i, n_neurons=None):
    """Spike trains as a Dataset along a ``spike`` dimension (time in s, neuron index)."""
    xr = _xarray()
    t, i = np.asarray(spike_t_s, float), np.asarray(spike_i, int)
    if t.shape != i.shape:
        raise ModelError(f"Spike times {t.shape} and indices {i.shape} differ in shape.")
    ds = xr.Dataset({"spike_time": ("spike", t, {"units": "s"}),
                     "spike_neuron": ("spike", i, {"long_name": "neuron index"})})
    if n_neurons is not None:
        ds.attrs["n_neurons"] = int(n_neurons)
    return ds


def run_to_dataset(path):
    """A stored run (see :func:`protocols.load`) as one Dataset.

    ``t_ms`` with ``v_mV`` and the run's ``compartments`` metric give a
    ``(neuron, compartment, time)`` voltage array; ``spike_t_s`` with
    ``spike_i`` a spike table; every other array is kept with its unit.
    """
    xr = _xarray()
    res = load(path)
    arrays = dict(res.arrays)
    parts = []
    comps = res["metrics"].get("compartments")
    if "t_ms" in arrays and "v_mV" in arrays and comps:
        parts.append(traces_to_dataset(arrays.pop("t_ms"), arrays.pop("v_mV"), comps))
    if "spike_t_s" in arrays and "spike_i" in arrays:
        parts.append(spikes_to_dataset(arrays.pop("spike_t_s"), arrays.pop("spike_i")))
    extra = {}
    for key, value in arrays.items():
        base, unit = _split_unit(key)
        value = np.asarray(value)
        extra[base] = xr.DataArray(value, dims=[f"{base}_dim{k}" for k in range(value.ndim)],
                                   attrs={"units": unit})
    ds = xr.merge(parts + [xr.Dataset(extra)])
    ds.attrs.update(protocol=res["protocol"], seed=int(res["seed"]), backend=res["backend"],
                    params=json.dumps(res["params"]), versions=json.dumps(res["versions"]),
                    metrics=json.dumps(res["metrics"]))
    return ds


def export_netcdf(path, out):
    """Write the Dataset of the run at *path* to the NetCDF file *out*."""
    ds = run_to_dataset(path)
    ds.to_netcdf(out)
    return out
