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


@pytest.fixture
def restore_threads():
    before = _counts()
    saved = _backend._num_threads
    yield
    _backend._num_threads = saved
    for lib, n in zip(_backend._blas(), before):
        lib.set_num_threads(n)


def test_set_num_threads_sets_the_blas_threads(restore_threads):
    import ember
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1 and _counts() == [1] * len(_counts())
    ember.set_num_threads(2)
    assert ember.get_num_threads() == 2 and _counts() == [2] * len(_counts())


@pytest.mark.parametrize("value,message", [(0, "positive integer"), (-1, "positive integer"),
                                           (2.5, "expects an int, but got float")])
def test_set_num_threads_rejects_what_torch_rejects(value, message, restore_threads):
    import ember
    with pytest.raises(RuntimeError, match=message):
        ember.set_num_threads(value)


def test_only_small_gemms_drop_to_one_thread(monkeypatch):
    calls = []
    real = _backend.blas_threads_to_one
    monkeypatch.setattr(_backend, "blas_threads_to_one", lambda: calls.append(1) or real())
    small = np.ones((8, 8), np.float32)
    _backend.matmul(small, small)
    assert calls == [1]
    n = int(round(_backend.PARALLEL_GEMM_MACS ** (1 / 3))) + 1      # n**3 multiply-adds: past the threshold
    big = np.ones((n, n), np.float32)
    _backend.matmul(big, big)
    assert calls == [1]


def test_interop_threads_round_trip():
    import ember
    before = ember.get_num_interop_threads()
    ember.set_num_interop_threads(3)
    assert ember.get_num_interop_threads() == 3
    ember.set_num_interop_threads(before)
