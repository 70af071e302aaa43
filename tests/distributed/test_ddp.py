"""ember.distributed and DistributedDataParallel on 2 real MPI ranks (`ember run --nproc 2`), each
compared with the same training done in one process on the global batches."""

import importlib.util
import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import ember as torch
import ember.distributed as dist
from ember import nn
from ember.utils.data import DataLoader

pytest.importorskip("mpi4py")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def _load_script(name):
    spec = importlib.util.spec_from_file_location(f"_ember_test_{name}", os.path.join(HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ddp_train = _load_script("ddp_train")


def ember_run(script, *args, timeout):
    """`python -m ember run --nproc 2 script args` in its own session, killed whole if it overruns."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])), OMP_NUM_THREADS="1"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "ember", "run", "--nproc", "2", os.path.join(HERE, script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    start = time.monotonic()
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"ember run {script} did not finish within {timeout} s:\n{output}")
    return proc.returncode, output, time.monotonic() - start


@pytest.fixture(scope="module")
def ddp_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    rc, output, _ = ember_run("ddp_train.py", out, timeout=120)
    assert rc == 0, output
    return {
        (name, rank): dict(np.load(out / f"{name}.rank{rank}.npz"))
        for name in ("plain", "accumulate", "no_sync", "syncbn")
        for rank in (0, 1)
    }


def _single_process(model, n, batch_size, train=ddp_train.train):
    train(model, DataLoader(ddp_train.make_dataset(n), batch_size=batch_size))
    return ddp_train.state_arrays(model)


def _assert_same_state(got, expected):
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("rank", [0, 1])
def test_ddp_equals_one_process_on_the_global_batch(ddp_results, rank):
    expected = _single_process(ddp_train.make_model(), ddp_train.STEPS * ddp_train.GLOBAL_BATCH, ddp_train.GLOBAL_BATCH)
    _assert_same_state(ddp_results["plain", rank], expected)


def test_ddp_result_depends_on_the_other_rank(ddp_results):
    """Training on rank 0's half of each batch alone gives other weights: the comparison above can fail."""
    model = ddp_train.make_model()
    batches = [
        (x[0::2], y[0::2])
        for x, y in DataLoader(
            ddp_train.make_dataset(ddp_train.STEPS * ddp_train.GLOBAL_BATCH), batch_size=ddp_train.GLOBAL_BATCH
        )
    ]
    ddp_train.train(model, batches)
    alone = ddp_train.state_arrays(model)
    assert not np.allclose(alone["1.weight"], ddp_results["plain", 0]["1.weight"], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("rank", [0, 1])
def test_no_sync_accumulation_equals_one_large_batch(ddp_results, rank):
    expected = _single_process(
        ddp_train.make_model(), ddp_train.ACCUMULATION_STEPS * 2 * ddp_train.GLOBAL_BATCH, 2 * ddp_train.GLOBAL_BATCH
    )
    _assert_same_state(ddp_results["accumulate", rank], expected)
    # the result alone cannot tell whether no_sync() skipped the all-reduce (averaging is linear): the
    # gradients after the no_sync() backward must still be each rank's own
    assert ddp_results["no_sync", rank]["differed"].tolist() == [True] * ddp_train.ACCUMULATION_STEPS
    assert ddp_results["no_sync", rank]["agreed"].tolist() == [True] * ddp_train.ACCUMULATION_STEPS


@pytest.mark.parametrize("rank", [0, 1])
def test_sync_batchnorm_uses_global_batch_statistics(ddp_results, rank):
    """Parameters and running statistics equal a plain BatchNorm1d trained on the global batch."""
    expected = _single_process(
        ddp_train.make_model(batchnorm=True), ddp_train.STEPS * ddp_train.GLOBAL_BATCH, ddp_train.GLOBAL_BATCH
    )
    got = ddp_results["syncbn", rank]
    _assert_same_state(got, expected)
    assert got["2.num_batches_tracked"] == ddp_train.STEPS


def test_failing_rank_aborts_every_rank(tmp_path):
    rc, output, elapsed = ember_run("ddp_train.py", tmp_path, "--fail-rank", 1, timeout=60)
    assert rc != 0, output
    assert elapsed < 30, f"took {elapsed:.1f} s"
    assert "injected failure at step 3" in output
    assert "rank 1 raised RuntimeError" in output


def test_collectives_on_two_ranks(tmp_path):
    rc, output, _ = ember_run("collectives.py", tmp_path, timeout=120)
    assert rc == 0, output
    for rank in (0, 1):
        with open(tmp_path / f"rank{rank}.pkl", "rb") as f:
            seen = pickle.load(f)
        assert (seen["rank"], seen["world"], seen["backend"], seen["initialized"]) == (rank, 2, "mpi", True)
        # rank 0 contributed [1, -1, 0], rank 1 [2, -2, 10]
        assert seen["all_reduce_SUM"] == [3, -3, 10]
        assert seen["all_reduce_default"] == (None, [3, -3, 10])
        assert seen["all_reduce_AVG"] == [1.5, -1.5, 5]
        assert seen["all_reduce_MAX"] == [2, -1, 10]
        assert seen["all_reduce_MIN"] == [1, -2, 0]
        assert seen["all_reduce_PRODUCT"] == [2, 2, 0]
        assert seen["all_reduce_int64"] == (torch.int64, [0, 3, 6, 9])
        assert seen["broadcast_src1"] == (torch.float64, [[1, 1], [1, 1]])
        assert seen["all_gather"] == [[1, -1, 0], [2, -2, 10]]
        assert seen["all_gather_object"] == [{"rank": 0}, {"rank": 1}]
        assert seen["broadcast_object_list"] == ["from rank 0", 0]
        assert seen["async_wait"] is True
    with open(tmp_path / "rank1.pkl", "rb") as f:
        assert pickle.load(f)["reduce_dst1"] == [3, -3, 10]


def test_without_a_process_group():
    assert not dist.is_initialized()
    assert dist.is_available()
    for call in (dist.get_rank, dist.get_world_size, lambda: dist.all_reduce(torch.ones(2))):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            call()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))


def test_sync_batchnorm_conversion_shares_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=0.3), nn.Sequential(nn.BatchNorm2d(2)))
    model[1].running_mean.fill_(0.5)
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(converted[1]) is nn.SyncBatchNorm and type(converted[2][0]) is nn.SyncBatchNorm
    assert converted[1].weight is model[1].weight and converted[1].running_mean is model[1].running_mean
    assert converted[1].momentum == 0.3
    torch_module = pytest.importorskip("torch").nn
    assert repr(converted[1]) == repr(
        torch_module.SyncBatchNorm.convert_sync_batchnorm(torch_module.BatchNorm1d(4, momentum=0.3))
    )
    # with no process group a SyncBatchNorm is a BatchNorm
    x = torch.randn(6, 4)
    np.testing.assert_allclose(converted[1](x).detach().numpy(), model[1](x).detach().numpy(), rtol=1e-6)
