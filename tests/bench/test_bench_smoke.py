"""CI smoke run of the benchmark at tiny size: every workload must run on ember and torch (not be fast)."""
import json

from ember.bench.run import main
from ember.bench.workloads import WORKLOADS


def test_benchmark_runs_every_workload_on_both_frameworks(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["--size", "tiny", "--steps", "1", "--frameworks", "torch", "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    for workload in WORKLOADS:
        for framework in ("ember", "torch"):
            row = results[workload][framework]
            assert "error" not in row, f"{workload} on {framework}: {row}"
            assert row["median"] > 0
    assert results["import_s"]["ember"] > 0
    assert results["installed_mb"]["ember"] > 0
    table = capsys.readouterr().out
    assert "ratio" in table and all(w in table for w in WORKLOADS)


def test_gpu_bench_path_runs_ember_on_the_strict_device():
    """`ember bench --device cuda`'s child: the workload built under `with T.device("cuda")`, every step synchronised.
    Without a GPU the strict test device stands in for CuPy (EMBER_STRICT_CUDA=1), so this checks the code path."""
    from ember.bench.run import measure
    row = measure("ember", "lstm-h1024", 1, 0.1, timeout=300, device="cuda", env={"EMBER_STRICT_CUDA": "1"})
    assert "error" not in row and row["median"] > 0
    from ember._backend import has_real_cupy
    if not has_real_cupy():
        no_gpu = measure("ember", "mlp", 1, 0.1, timeout=300, device="cuda", env={"EMBER_STRICT_CUDA": "0"})
        assert no_gpu["error"] == "ember has no CUDA here"
