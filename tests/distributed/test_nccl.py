"""backend='nccl': torch's error without NCCL, and the backend's code path on two ranks with the strict test
device and a fake NCCL communicator over MPI (no GPU here; with one, CuPy's real NCCL takes its place)."""

import pickle

import pytest

import ember
import ember.distributed as dist

pytest.importorskip("mpi4py")
from test_ddp import _assert_same_state, _single_process, ddp_train, ember_run  # noqa: E402


def test_nccl_without_nccl_raises_torchs_error():
    if ember._backend.nccl_module() is not None:
        pytest.skip("CuPy has NCCL here")
    with pytest.raises(RuntimeError, match="^Distributed package doesn't have NCCL built in"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_nccl_backend_collectives_and_ddp_on_two_ranks(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_STRICT_CUDA", "1")
    rc, output, _ = ember_run("nccl_train.py", tmp_path, timeout=180)
    assert rc == 0, output
    expected = _single_process(ddp_train.make_model(), ddp_train.STEPS * ddp_train.GLOBAL_BATCH, ddp_train.GLOBAL_BATCH)
    for rank in (0, 1):
        with open(tmp_path / f"rank{rank}.pkl", "rb") as f:
            seen = pickle.load(f)
        assert seen["backend"] == "nccl"
        assert seen["all_reduce_SUM"] == ("cuda", [3, -3, 10])
        assert seen["all_reduce_AVG"] == ("cuda", [1.5, -1.5, 5])
        assert seen["all_reduce_MAX"] == ("cuda", [2, -1, 10])
        assert seen["all_reduce_PRODUCT"] == ("cuda", [2, 2, 0])
        assert seen["broadcast_src1"] == ("cuda", [[1, 1], [1, 1]])
        assert seen["all_gather"] == [[1, -1, 0], [2, -2, 10]]
        assert seen["all_reduce_int64"] == [0, 3, 6, 9]
        # every bucket of every step went through NCCL, with the gradients on the device
        assert seen["ddp_all_reduces"] >= ddp_train.STEPS and seen["grad_devices"] == ["cuda:0"]
        _assert_same_state(seen["state"], expected)
    with open(tmp_path / "rank1.pkl", "rb") as f:
        assert pickle.load(f)["reduce_dst1"] == [3, -3, 10]
