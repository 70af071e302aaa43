"""CI smoke run of the benchmark at tiny size: every workload must run on ember and torch (not be fast), and
the run says where the machine stands (BLAS of each framework, load average, installed sizes)."""
import importlib.util
import json
import os

from ember.bench.run import installed_mb, main
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
    assert "torch ms" in table and "eager/torch" in table and all(w in table for w in WORKLOADS)
    assert "load average" in table and "numpy.libs included" in table


def test_repeated_runs_report_their_spread_and_the_blas_each_framework_uses(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["--size", "tiny", "--steps", "1", "--repeat", "2", "--workloads", "tiny", "--frameworks", "torch",
                 "--json", str(out)]) == 0
    row = json.loads(out.read_text())["tiny"]["ember"]
    assert len(row["runs"]) == 2 and row["min"] <= row["median"] <= row["max"]
    table = capsys.readouterr().out
    assert "  ember (numpy " in table and "  torch (" in table and "oneDNN (mkldnn)" in table
    if importlib.util.find_spec("threadpoolctl"):
        assert "openblas" in table.lower() or "mkl" in table.lower()
    if importlib.util.find_spec("numba"):
        assert "[fast]" in table and "NumPy only" in table


def test_installed_size_counts_the_libraries_a_wheel_bundles_beside_the_package():
    numpy_dir = os.path.dirname(importlib.util.find_spec("numpy").origin)
    libs = numpy_dir + ".libs"
    if os.path.isdir(libs):
        assert installed_mb("numpy") > sum(os.path.getsize(os.path.join(libs, f)) for f in os.listdir(libs)) / 2 ** 20
    assert installed_mb("no_such_package_here") is None


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
