"""The command line (``python -m protocols``) and atomic run directories."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from brian2 import ms, pA

from protocols import registry, results

PROTOCOL_NAMES = ("passive-transfer", "fi-curve", "bap", "burst-induction")
# passive-transfer with shorter steps: enough for the tests of the run directory
SHORT = {"t_step": 40 * ms, "t_after": 30 * ms}


REPO = Path(__file__).resolve().parents[1]


def cli(cwd, *args, timeout=300):
    # this checkout's packages first, whatever an (editable) install maps
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=path)
    return subprocess.run([sys.executable, "-m", "protocols", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def leftovers(directory):
    """Hidden temporary or old run directories left beside OUT."""
    return sorted(p.name for p in Path(directory).iterdir() if p.name.startswith("."))


def test_list_prints_one_line_per_protocol(tmp_path):
    res = cli(tmp_path, "list")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    table = dict(line.split("\t") for line in lines)   # exactly one tab per line
    assert len(table) == len(lines)
    for name in PROTOCOL_NAMES:
        assert name in table and table[name].strip()
    assert table["passive-transfer"] == registry.get_protocol("passive-transfer").description


def test_run_writes_summary_arrays_and_figure(tmp_path):
    res = cli(tmp_path, "run", "passive-transfer", "--out", "DIR", "--backend", "numpy",
              "--seed", "1", "--set", "g_A=0.8*nS", "--quick")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    out = tmp_path / "DIR"
    assert {"summary.json", "arrays.npz", "figure.png"} <= {p.name for p in out.iterdir()}
    assert (out / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["protocol"] == "passive-transfer"
    assert summary["params"]["g_A"] == "0.8 nS"
    assert summary["seed"] == 1 and summary["backend"] == "numpy" and summary["quick"] is True
    printed = json.loads(res.stdout)                          # machine-readable stdout
    assert printed["metrics"] == summary["metrics"]
    assert leftovers(tmp_path) == []


BAD_INPUT = {
    "unknown protocol": (["run", "nope"], r"Unknown protocol 'nope'"),
    "unknown backend": (["run", "passive-transfer", "--backend", "gpu"], r"Unknown backend 'gpu'"),
    "unknown parameter": (["run", "passive-transfer", "--set", "g_AA=1*nS"],
                          r"Unknown parameter 'g_AA'.*Did you mean g_A"),
    "wrong dimensions": (["run", "passive-transfer", "--set", "g_A=3*ms"],
                         r"'g_A' = 3\. ms has the wrong dimensions"),
    "malformed set, no value": (["run", "passive-transfer", "--set", "g_A"],
                                r"Malformed --set 'g_A'"),
    "malformed set, no name": (["run", "passive-transfer", "--set", "=3"],
                               r"Malformed --set '=3'"),
    "unparsable expression": (["run", "passive-transfer", "--set", "g_A=3*(nS"],
                              r"Cannot evaluate --set g_A="),
    "not a quantity": (["run", "passive-transfer", "--set", "g_A=foo"], r"'g_A' = 'foo'"),
    "negative capacitance": (["run", "passive-transfer", "--backend", "numpy", "--set",
                              "C_soma=-1*pF"], r"'C_soma' = -1\. pF must be strictly positive"),
    "zero leak": (["run", "passive-transfer", "--backend", "numpy", "--set", "g_L_soma=0*nS"],
                  r"'g_L_soma' = 0\. S must be strictly positive"),
    "bad seed": (["run", "passive-transfer", "--seed", "x"], r"seed"),
    "no command": ([], r"command"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_exits_2_without_traceback_or_output(tmp_path, case):
    args, pattern = BAD_INPUT[case]
    if args:
        args = args + ["--out", "OUT"]
    res = cli(tmp_path, *args)
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, res.stderr
    assert re.search(pattern, errors[0]), errors[0]
    assert not (tmp_path / "OUT").exists()
    assert res.stdout == ""
    assert leftovers(tmp_path) == []


def _previous_run(out, name="passive-transfer"):
    overrides = SHORT if name == "passive-transfer" else None
    registry.run(name, out, backend="numpy", quick=True, overrides=overrides)
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_existing_unrelated_out_is_refused(tmp_path):
    out = tmp_path / "OUT"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    res = cli(tmp_path, "run", "passive-transfer", "--out", "OUT", "--backend", "numpy",
              "--quick")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--out OUT" in errors[0], res.stderr
    assert "not a previous run of protocol 'passive-transfer'" in res.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "keep me"
    assert leftovers(tmp_path) == []


def test_previous_run_of_another_protocol_is_refused(tmp_path):
    out = tmp_path / "OUT"
    before = _previous_run(out, "bap")
    res = cli(tmp_path, "run", "passive-transfer", "--out", "OUT", "--backend", "numpy",
              "--quick")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "'passive-transfer'" in errors[0], res.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []


def test_rerun_into_previous_run_of_same_protocol_replaces_it(tmp_path):
    out = tmp_path / "OUT"
    common = ["run", "passive-transfer", "--out", "OUT", "--backend", "numpy", "--quick",
              "--set", "t_step=40*ms", "--set", "t_after=30*ms"]
    first = cli(tmp_path, *common, "--set", "g_A=80*nS", "--no-figure")
    assert first.returncode == 0, first.stderr
    assert not (out / "figure.png").exists()
    second = cli(tmp_path, *common, "--set", "g_A=0.8*nS", "--seed", "2")
    assert second.returncode == 0, second.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["params"]["g_A"] == "0.8 nS" and summary["seed"] == 2
    assert (out / "figure.png").exists()
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- atomic writes
class Boom(RuntimeError):
    pass


def _half_written_figure(summary, arrays, directory):
    (Path(directory) / "figure.png").write_bytes(b"\x89PNG half")
    raise Boom("figure failed half way")


def test_failure_while_writing_leaves_no_run(tmp_path):
    out = tmp_path / "OUT"
    with pytest.raises(Boom):
        registry.run("passive-transfer", out, backend="numpy", quick=True, overrides=SHORT,
                     figure=_half_written_figure)
    assert not out.exists()
    assert not (tmp_path / "OUT" / "summary.json").exists()
    assert list(tmp_path.iterdir()) == []


def test_failure_while_writing_keeps_previous_run(tmp_path):
    out = tmp_path / "OUT"
    before = _previous_run(out)
    with pytest.raises(Boom):
        registry.run("passive-transfer", out, backend="numpy", quick=True,
                     overrides=dict(SHORT, amplitude=10 * pA),
                     figure=_half_written_figure)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []


def test_failure_writing_summary_keeps_previous_run(tmp_path, monkeypatch):
    out = tmp_path / "OUT"
    before = _previous_run(out)

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        registry.run("passive-transfer", out, backend="numpy", quick=True, overrides=SHORT)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    fresh = tmp_path / "FRESH"
    monkeypatch.setattr(results.os, "replace", failing_replace)
    with pytest.raises(OSError):
        registry.run("passive-transfer", fresh, backend="numpy", quick=True, overrides=SHORT)
    assert not fresh.exists()
    assert leftovers(tmp_path) == []


def test_failure_at_the_final_rename_keeps_previous_run(tmp_path, monkeypatch):
    """Interrupted between moving the old run aside and renaming the new one into place."""
    out = tmp_path / "OUT"
    before = _previous_run(out)
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if Path(dst) == out and len(calls) == 2:   # the new run's rename into place
            raise KeyboardInterrupt
        return real_rename(src, dst)

    monkeypatch.setattr(results.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        registry.run("passive-transfer", out, backend="numpy", quick=True, overrides=SHORT)
    monkeypatch.undo()
    assert calls[0][0] == "OUT" and calls[0][1].startswith(".OUT.old-")   # old run moved aside
    assert out.exists()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []

