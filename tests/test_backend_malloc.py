"""ember.tune_malloc keeps glibc from handing a training step's arrays back to the OS (so they do not
page-fault in afresh each step); it is opt-in, not a side effect of `import ember`."""

import os
import subprocess
import sys

import pytest

from ember import _backend


_FAULTS_SCRIPT = """
import resource, sys
if sys.argv[1] != "numpy":
    import ember
if sys.argv[1] == "tuned":
    assert ember.tune_malloc()
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


def _faults(who, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "EMBER_TUNE_MALLOC"}
    env.update(env_extra)
    out = subprocess.run(
        [sys.executable, "-c", _FAULTS_SCRIPT, who], capture_output=True, text=True, env=env, check=True
    )
    return int(out.stdout)


@pytest.mark.skipif(not _backend.is_glibc(), reason="glibc's malloc is not the allocator here")
def test_tune_malloc_stops_arrays_page_faulting_in_again_and_import_alone_does_not():
    untouched = 10 * 6 * 500  # glibc's default hands the memory back: ~1000 faults per array
    assert _faults("numpy") > untouched
    assert _faults("ember") > untouched  # importing ember leaves the allocator alone
    assert _faults("tuned") < 1000  # ember.tune_malloc()
    assert _faults("ember", EMBER_TUNE_MALLOC="1") < 1000


@pytest.mark.skipif(not _backend.is_glibc(), reason="glibc's malloc is not the allocator here")
def test_user_malloc_settings_are_kept():
    out = subprocess.run(
        [sys.executable, "-c", "import ember; print(ember.tune_malloc())"],
        capture_output=True,
        text=True,
        env=dict(os.environ, MALLOC_TRIM_THRESHOLD_="1000000"),
        check=True,
    )
    assert out.stdout.strip() == "False"
