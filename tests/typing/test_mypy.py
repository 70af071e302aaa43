"""The public API type-checks: a typical typed training program passes mypy, lines with type errors fail it, and
the generated stubs of the import-time surface are current (tools/gen_stubs.py)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
pytest.importorskip("mypy")


def _mypy(*files):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )


def test_typed_training_program_passes_mypy_and_runs():
    result = _mypy(HERE / "program.py")
    assert result.returncode == 0, result.stdout + result.stderr
    run = subprocess.run(
        [sys.executable, str(HERE / "program.py")],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert run.returncode == 0, run.stderr


def test_mypy_rejects_each_wrong_line():
    path = HERE / "wrong.py"
    result = _mypy(path)
    expected = {i for i, line in enumerate(path.read_text().splitlines(), 1) if line.endswith("# E")}
    reported = {int(m.group(1)) for m in re.finditer(r"wrong\.py:(\d+): error", result.stdout)}
    assert result.returncode == 1 and reported == expected, result.stdout


def test_generated_stubs_are_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_stubs.py"), "--check"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert result.returncode == 0, result.stderr
