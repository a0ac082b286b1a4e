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
