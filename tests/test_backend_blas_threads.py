"""ember._backend: matmul, torch's thread-count API over NumPy's BLAS (threadpoolctl), and the malloc tuning."""

import numpy as np
import pytest

import ember
from ember import _backend

threadpoolctl = pytest.importorskip("threadpoolctl")


def _counts():
    return [lib.get_num_threads() for lib in _backend._blas()]


def test_blas_libraries_found():
    assert _backend._blas(), "threadpoolctl found no BLAS library behind NumPy"


@pytest.mark.parametrize("shapes", [((7, 5), (5, 9)), ((4, 3, 5), (4, 5, 6)), ((3, 5), (2, 5, 4))])
def test_matmul_matches_numpy(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    np.testing.assert_allclose(_backend.matmul(a, b), np.matmul(a, b), rtol=1e-6)
    out = np.empty(np.matmul(a, b).shape, np.float32)
    assert _backend.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-6)


@pytest.fixture
def restore_threads():
    before = _counts()
    saved = _backend._num_threads
    yield
    _backend._num_threads = saved
    for lib, n in zip(_backend._blas(), before):
        lib.set_num_threads(n)


def test_set_num_threads_sets_the_blas_threads(restore_threads):
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1 and _counts() == [1] * len(_counts())
    ember.set_num_threads(2)
    assert ember.get_num_threads() == 2 and _counts() == [2] * len(_counts())


@pytest.mark.parametrize(
    "value,message", [(0, "positive integer"), (-1, "positive integer"), (2.5, "expects an int, but got float")]
)
def test_set_num_threads_rejects_what_torch_rejects(value, message, restore_threads):
    with pytest.raises(RuntimeError, match=message):
        ember.set_num_threads(value)


def test_set_num_threads_without_threadpoolctl_says_so(monkeypatch, restore_threads):
    monkeypatch.setattr(_backend, "_blas_libraries", ())
    with pytest.warns(RuntimeWarning, match="threadpoolctl is not installed"):
        ember.set_num_threads(1)
    assert ember.get_num_threads() == 1


def test_interop_threads_round_trip():
    before = ember.get_num_interop_threads()
    ember.set_num_interop_threads(3)
    assert ember.get_num_interop_threads() == 3
    ember.set_num_interop_threads(before)
