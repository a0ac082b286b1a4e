"""Every Python code block of the README runs (on the numpy backend where it picks one)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2
    for k, block in enumerate(blocks):
        exec(compile(block, f"README block {k}", "exec"), {})
    assert (tmp_path / "runs" / "pt-quick" / "summary.json").exists()


def test_readme_opens_with_the_two_commands():
    text = README.read_text()
    bash = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert "python -m figures" in bash[0]
    assert "pytest" in bash[1]
    ci = (README.parent / ".ci" / "run").read_text()
    command = bash[1].split("&&")[-1].strip()
    assert command in ci


def _bash_blocks():
    return re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)


def test_readme_shell_commands_run(tmp_path):
    """Every shell line after the two install commands runs (the first two are what CI and the
    main job run); a scheduler is started for the line that names one."""
    import os
    import socket
    import subprocess
    import sys
    import time

    lines = [ln.strip() for block in _bash_blocks()[2:] for ln in block.splitlines()
             if ln.strip()]
    assert any("sweep" in ln for ln in lines) and any(" run " in ln for ln in lines)
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"],
               PYTHONWARNINGS="ignore", DENDRITES_CACHE=str(tmp_path / "cache"))
    procs = []
    try:
        for line in lines:
            match = re.search(r"--scheduler tcp://127\.0\.0\.1:(\d+)", line)
            if match and not procs:
                port = int(match.group(1))
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        raise AssertionError(f"port {port} is taken; cannot test {line!r}")
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                     "127.0.0.1", "--port", str(port), "--no-dashboard"], env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "distributed.cli.dask_worker",
                     f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--no-dashboard"], env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                time.sleep(3)
            done = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True,
                                  text=True, timeout=600)
            assert done.returncode == 0, f"{line!r} failed:\n{done.stderr[-2000:]}"
    finally:
        for p in procs:
            p.kill()
            p.wait(timeout=30)
    assert (tmp_path / "runs" / "pt" / "summary.json").exists()
    assert (tmp_path / "runs" / "werfel-sweep" / "sweep.csv").exists()
    assert (tmp_path / "runs" / "werfel-seeds" / "sweep.json").exists()
