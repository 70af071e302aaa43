"""ember._backend tunes glibc's malloc so that a training step's arrays do not page-fault in afresh each step."""
import os
import subprocess
import sys

import pytest

from ember import _backend


_FAULTS_SCRIPT = """
import resource, sys
if sys.argv[1] == "ember":
    import ember
import numpy as np
def churn():
    for _ in range(10):     # a step's worth of 4 MB activations, all freed at its end
        arrays = [np.ones(1 << 20, np.float32) for _ in range(6)]
        del arrays
churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
churn()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not _backend.MALLOC_TUNED, reason="glibc's malloc is not the allocator here")
def test_importing_ember_stops_arrays_page_faulting_in_again():
    faults = {}
    for who in ("numpy", "ember"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
        out = subprocess.run([sys.executable, "-c", _FAULTS_SCRIPT, who], capture_output=True, text=True,
                             env=env, check=True)
        faults[who] = int(out.stdout)
    assert faults["numpy"] > 10 * 6 * 500        # glibc's default hands the memory back: ~1000 faults per array
    assert faults["ember"] < 1000, faults
