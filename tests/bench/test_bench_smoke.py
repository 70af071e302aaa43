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
