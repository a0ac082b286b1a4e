"""Stored runs: ``summary.json`` plus ``arrays.npz`` and figures, written atomically.

A run is written into a hidden temporary directory beside ``OUT`` and renamed
into place only when everything is on disk, so an exception, a killed process
or a full disk never leaves a half result (and never damages a previous run).
"""

import functools
import json
import os
import platform
import shutil
import subprocess
import uuid
from pathlib import Path

import numpy as np
from brian2.units.fundamentalunits import Quantity

from dendrites.errors import ModelError

__all__ = ["RunResult", "versions", "to_jsonable", "write_run", "load", "check_out_dir"]


class RunResult(dict):
    """A loaded run: the summary (a dict) with its arrays under ``.arrays``."""

    def __init__(self, summary, arrays, path):
        super().__init__(summary)
        self.arrays = arrays
        self.path = Path(path)

    @property
    def metrics(self):
        return self["metrics"]


@functools.lru_cache(maxsize=1)
def _git_commit():
    """The package's git commit (looked up once per process: a sweep stores many runs)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def versions():
    """Versions of Python, Brian2, NumPy and this package, and the git commit."""
    import brian2

    import dendrites

    return {"python": platform.python_version(), "brian2": brian2.__version__,
            "numpy": np.__version__, "dendrites": dendrites.__version__,
            "git_commit": _git_commit()}


def to_jsonable(value):
    """Quantities become strings with units ("10. ms"); arrays become lists."""
    if isinstance(value, Quantity):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def check_out_dir(out, protocol):
    """Refuse an existing ``OUT`` unless it holds a previous run of *protocol*."""
    out = Path(out)
    if not out.exists():
        return
    summary = out / "summary.json"
    try:
        previous = json.loads(summary.read_text()).get("protocol")
    except (OSError, ValueError):
        previous = None
    if previous != protocol:
        raise ModelError(f"Output directory '--out {out}' exists and is not a previous run of "
                         f"protocol '{protocol}'; choose a new directory or remove it.")


def write_run(out, summary, arrays=None, extra=None):
    """Write a run directory atomically.

    Parameters
    ----------
    out : str or Path
        Final directory; replaced only if it holds a run of the same protocol.
    summary : dict
        Written as ``summary.json`` (converted with :func:`to_jsonable`).
    arrays : dict of ndarray, optional
        Written as ``arrays.npz``.
    extra : callable, optional
        ``extra(tmpdir)`` writes further files (figures) before the rename.
    """
    out = Path(out)
    check_out_dir(out, summary["protocol"])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    old = None
    try:
        if arrays:
            np.savez_compressed(tmp / "arrays.npz", **{k: np.asarray(v) for k, v in arrays.items()})
        if extra is not None:
            extra(tmp)
        text = json.dumps(to_jsonable(summary), indent=2, allow_nan=False)
        part = tmp / "summary.json.part"
        part.write_text(text)
        os.replace(part, tmp / "summary.json")
        if out.exists():
            old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(out, old)
        os.rename(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not out.exists():
            os.rename(old, out)  # interrupted between the two renames: put the old run back
        raise
    return out


def load(path):
    """Load a stored run: ``load(path)`` returns a :class:`RunResult`.

    Examples
    --------
    >>> res = load('runs/pt')            # doctest: +SKIP
    >>> res['metrics']['steady_state_mV']  # doctest: +SKIP
    """
    path = Path(path)
    if path.name == "summary.json":
        path = path.parent
    try:
        summary = json.loads((path / "summary.json").read_text())
    except OSError as err:
        raise ModelError(f"No stored run at '{path}': {err.strerror}.") from None
    arrays = {}
    if (path / "arrays.npz").exists():
        with np.load(path / "arrays.npz", allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    return RunResult(summary, arrays, path)
