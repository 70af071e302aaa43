import importlib.util
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("OMP_NUM_THREADS", "2")


def _cuda_param():
    """cuda: the real GPU when CuPy sees one (marked gpu, so `pytest -m gpu` runs it), else the strict test
    device, which runs in the default run on any machine."""
    from ember._backend import has_real_cupy

    return pytest.param("cuda", marks=[pytest.mark.gpu] if has_real_cupy() else [])


DEVICES = ["cpu", _cuda_param()]


@pytest.fixture(params=DEVICES)
def device(request):
    """The device a test runs on: "cpu", or "cuda" (a real GPU, or the strict test device without one)."""
    import oracle
    from ember._backend import has_real_cupy, strict_cuda

    oracle.DEVICE = request.param
    try:
        if request.param == "cuda" and not has_real_cupy():
            with strict_cuda():
                yield "cuda"
        else:
            yield request.param
    finally:
        oracle.DEVICE = "cpu"


@pytest.fixture(autouse=True)
def _seed():
    import ember

    ember.manual_seed(0)
    np.random.seed(0)


# The ops with compiled kernels (ember._kernels) run their tests on both paths where numba is installed;
# the NumPy path stays the reference. A test module opts in with
# `pytestmark = pytest.mark.usefixtures("kernel_path")`.
KERNEL_PATHS = ["numpy"] + (
    ["numba"] if importlib.util.find_spec("numba") and os.environ.get("EMBER_NO_NUMBA", "") in ("", "0") else []
)


@pytest.fixture(params=KERNEL_PATHS)
def kernel_path(request, monkeypatch):
    from ember import _kernels

    monkeypatch.setattr(_kernels, "enabled", request.param == "numba")
    return request.param
