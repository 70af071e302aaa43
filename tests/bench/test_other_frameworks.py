"""tinygrad and MyGrad builders of the benchmark (ember/bench/others.py): each really trains at tiny size, and
run.py puts them in its table. Skipped where the framework is not installed."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ember.bench.others import MYGRAD, TINYGRAD, tinygrad_env
from ember.bench.run import main, measure

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY_LOSS = float(np.sum(np.linspace(-1, 1, 16) ** 2 + np.linspace(-1, 1, 16)))   # the tiny workload's loss


def _fake_executable(folder, name):
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_tinygrad_env_finds_a_versioned_clang_and_says_when_there_is_none(tmp_path):
    env, why_not = tinygrad_env({"PATH": str(tmp_path)})
    assert env == {} and "clang" in why_not
    _fake_executable(tmp_path, "clang-14")
    newest = _fake_executable(tmp_path, "clang-15")
    env, why_not = tinygrad_env({"PATH": str(tmp_path), "CC": "gcc"})
    assert why_not is None and env == {"DEV": "CPU", "NUM_CPU_THREADS": "2", "CC": newest}
    env, why_not = tinygrad_env({"PATH": "", "DEV": "PYTHON"})    # a device that compiles nothing
    assert why_not is None and "CC" not in env


@pytest.mark.parametrize("workload", sorted(MYGRAD))
def test_mygrad_step_trains(workload):
    pytest.importorskip("mygrad")
    step = MYGRAD[workload](0.1)
    losses = [float(step()) for _ in range(4)]
    if workload == "tiny":
        assert losses[-1] == pytest.approx(TINY_LOSS, rel=1e-5)
    else:
        assert np.isfinite(losses).all() and losses[-1] < losses[0], losses


def _tinygrad_or_skip():
    pytest.importorskip("tinygrad")
    env, why_not = tinygrad_env()
    if why_not:
        pytest.skip(why_not)
    return env


def test_tinygrad_steps_train_eager_and_jitted():
    env = _tinygrad_or_skip()
    code = f"""
import json, sys
sys.path.insert(0, {REPO!r})
from ember.bench.others import BUILDERS
out = {{}}
for framework in ("tinygrad", "tinygrad-jit"):
    for workload in ("tiny", "mlp"):
        step = BUILDERS[framework][1][workload](0.1)
        out[framework + " " + workload] = [step().item() for _ in range(4)]
print(json.dumps(out))
"""
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env},
                           timeout=300)
    assert child.returncode == 0, child.stderr[-2000:]
    losses = json.loads(child.stdout.strip().splitlines()[-1])
    for framework in ("tinygrad", "tinygrad-jit"):
        assert losses[f"{framework} tiny"][-1] == pytest.approx(TINY_LOSS, rel=1e-5)
        mlp = losses[f"{framework} mlp"]
        assert mlp[-1] < mlp[0], (framework, mlp)       # under TinyJit too: the replayed kernels update the weights


def test_benchmark_table_has_the_other_frameworks(tmp_path, capsys):
    pytest.importorskip("mygrad")
    out = tmp_path / "bench.json"
    assert main(["--size", "tiny", "--steps", "1", "--workloads", "tiny", "mlp", "--frameworks", "mygrad",
                 "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    for workload in ("tiny", "mlp"):
        row = results[workload]["mygrad"]
        assert "error" not in row and row["median"] > 0, row
    assert results["import_s"]["mygrad"] > 0 and results["installed_mb"]["mygrad"] > 0
    assert "mygrad ms" in capsys.readouterr().out


@pytest.mark.slow
def test_benchmark_runs_every_workload_on_tinygrad_and_mygrad(tmp_path):
    _tinygrad_or_skip()
    pytest.importorskip("mygrad")
    out = tmp_path / "bench.json"
    assert main(["--size", "tiny", "--steps", "1", "--frameworks", "tinygrad", "tinygrad-jit", "mygrad",
                 "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    for framework, builders in (("tinygrad", TINYGRAD), ("tinygrad-jit", TINYGRAD), ("mygrad", MYGRAD)):
        for workload in builders:
            row = results[workload][framework]
            assert "error" not in row and row["median"] > 0, (framework, workload, row)
    assert results["dcgan"]["mygrad"] is None       # MyGrad has no transposed convolution


def test_a_run_past_its_timeout_is_reported_not_waited_for():
    # 1000 full-size DCGAN steps (the timed loop stops after 30 s) cannot finish in 1 s on any machine
    row = measure("ember", "dcgan", 1000, 1.0, timeout=1.0)
    assert row == {"error": "timed out after 1.0 s", "timeout": True}
