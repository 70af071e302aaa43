"""ember._backend runs small GEMMs on one BLAS thread and leaves the library's thread count as it was."""
import numpy as np
import pytest

from ember import _backend

threadpoolctl = pytest.importorskip("threadpoolctl")


def _counts():
    return [lib.get_num_threads() for lib in _backend._blas()]


def test_blas_libraries_found():
    assert _backend._blas(), "threadpoolctl found no BLAS library behind NumPy"


def test_single_threaded_blas_sets_one_and_restores():
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = _counts()
        with _backend.single_threaded_blas():
            assert _counts() == [1] * len(before)
        assert _counts() == before


@pytest.mark.parametrize("shapes", [((7, 5), (5, 9)), ((4, 3, 5), (4, 5, 6)), ((3, 5), (2, 5, 4))])
def test_matmul_matches_numpy_and_restores_thread_count(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = _counts()
        np.testing.assert_allclose(_backend.matmul(a, b), np.matmul(a, b), rtol=1e-6)
        out = np.empty(np.matmul(a, b).shape, np.float32)
        assert _backend.matmul(a, b, out=out) is out
        np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-6)
        assert _counts() == before
