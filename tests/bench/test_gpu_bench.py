"""`ember bench --device cuda` as part of `python -m pytest -m gpu`: ember on CuPy against torch on CUDA (when
torch has CUDA), every workload including the GPU-sized ones. The table is printed whatever pytest captures."""
import json

import pytest

from ember._backend import has_real_cupy


@pytest.mark.gpu
@pytest.mark.skipif(not has_real_cupy(), reason="needs CuPy and a CUDA GPU")
def test_gpu_benchmark(tmp_path, capsys):
    from ember.bench.run import main
    out = tmp_path / "gpu_bench.json"
    with capsys.disabled():
        print("\n--- ember bench --device cuda ---")
        assert main(["--device", "cuda", "--timeout", "120", "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    for workload, row in results.items():
        if isinstance(row, dict) and "ember" in row:
            assert "error" not in row["ember"], f"{workload}: {row['ember']}"
