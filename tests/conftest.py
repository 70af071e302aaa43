import importlib.util
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(autouse=True)
def _seed():
    import ember
    ember.manual_seed(0)
    np.random.seed(0)


# The ops with compiled kernels (ember._kernels) run their tests on both paths where numba is installed;
# the NumPy path stays the reference. A test module opts in with
# `pytestmark = pytest.mark.usefixtures("kernel_path")`.
KERNEL_PATHS = ["numpy"] + (["numba"] if importlib.util.find_spec("numba") and
                            os.environ.get("EMBER_NO_NUMBA", "") in ("", "0") else [])


@pytest.fixture(params=KERNEL_PATHS)
def kernel_path(request, monkeypatch):
    from ember import _kernels
    monkeypatch.setattr(_kernels, "enabled", request.param == "numba")
    return request.param
