"""DataLoader with real worker processes: ordering, seeding, errors, dead workers, timeouts and shutdown."""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Pids(Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, i):
        return os.getpid()


class SlowFirst(Dataset):
    """Item 0 is slow, so later items finish first and must wait in the reorder buffer."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        if i == 0:
            time.sleep(0.3)
        return i


class WorkerState(Dataset):
    """What each worker sees: its info, and draws from every RNG the worker seeds."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return (
            info.id,
            info.num_workers,
            info.seed,
            ember.rand(1).item(),
            float(np.random.rand()),
            info.dataset is self,
        )


class FailsAt(Dataset):
    def __init__(self, bad):
        self.bad = bad

    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == self.bad:
            raise ValueError(f"bad sample {i}")
        return i


class DiesAt(Dataset):
    def __init__(self, bad, how):
        self.bad, self.how = bad, how

    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == self.bad:
            if self.how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(3)
        return i


class Sleeps(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(5)
        return i


class Unpicklable(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return lambda: i


class Range(IterableDataset):
    """0..n-1, split between workers by get_worker_info() when `sharded`."""

    def __init__(self, n, sharded=True):
        self.n, self.sharded = n, sharded

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.sharded:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def _gone(pid):
    """True once `pid` no longer runs (exited and reaped, or a zombie waiting for its reaper)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _wait_gone(pids, seconds=2.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(_gone(p) for p in pids):
        time.sleep(0.02)
    return [p for p in pids if not _gone(p)]


def _flat(loader):
    return [v for batch in loader for v in batch.tolist()]


def test_workers_are_separate_processes():
    pids = set(_flat(DataLoader(Pids(), batch_size=2, num_workers=2)))
    assert len(pids) == 2 and os.getpid() not in pids


def test_results_equal_single_process_in_sampler_order():
    ds = TensorDataset(ember.arange(40.0).reshape(20, 2), ember.arange(20))

    def run(workers):
        loader = DataLoader(
            ds, batch_size=3, shuffle=True, num_workers=workers, generator=ember.Generator().manual_seed(0)
        )
        return [(x.tolist(), y.tolist(), x.dtype, y.dtype) for x, y in loader]

    assert run(2) == run(0)
    assert _flat(DataLoader(SlowFirst(), batch_size=1, num_workers=2)) == list(range(12))
    unordered = _flat(DataLoader(SlowFirst(), batch_size=1, num_workers=2, in_order=False))
    assert sorted(unordered) == list(range(12)) and unordered[0] != 0


def test_prefetch_keeps_factor_times_workers_tasks_in_flight():
    it = iter(DataLoader(SlowFirst(), batch_size=1, num_workers=2, prefetch_factor=3))
    assert it._send_idx - it._rcvd_idx == 6
    assert next(it).tolist() == [0]
    assert it._send_idx - it._rcvd_idx == 6


def test_worker_seeding_info_and_init_fn():
    def run():
        loader = DataLoader(WorkerState(), batch_size=None, num_workers=2, generator=ember.Generator().manual_seed(1))
        return [tuple(row) for row in loader]

    rows = run()
    assert rows == run()  # seeded from the loader's generator: reproducible
    by_worker = {row[0]: row for row in rows}
    assert sorted(by_worker) == [0, 1] and all(row[1] == 2 and row[5] for row in rows)
    assert by_worker[1][2] == by_worker[0][2] + 1  # seed = base_seed + worker_id
    assert by_worker[0][3] != by_worker[1][3] and by_worker[0][4] != by_worker[1][4]
    assert rows != [
        tuple(row)
        for row in DataLoader(WorkerState(), batch_size=None, num_workers=2, generator=ember.Generator().manual_seed(2))
    ]

    def init_fn(worker_id):
        np.random.seed(100 + worker_id)

    seeded = [tuple(row) for row in DataLoader(WorkerState(), batch_size=None, num_workers=2, worker_init_fn=init_fn)]
    assert seeded[0][4] == np.random.RandomState(100).rand()  # first item comes from worker 0


def test_worker_exception_carries_original_traceback():
    with pytest.raises(ValueError) as excinfo:
        list(DataLoader(FailsAt(3), batch_size=2, num_workers=2))
    message = str(excinfo.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 1.\nOriginal Traceback")
    assert "in __getitem__" in message and 'raise ValueError(f"bad sample {i}")' in message
    assert "ValueError: bad sample 3" in message

    def broken_init(worker_id):
        raise KeyError("init failed")

    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        list(DataLoader(FailsAt(-1), num_workers=1, worker_init_fn=broken_init))


def test_unpicklable_result_raises_instead_of_hanging():
    start = time.monotonic()
    with pytest.raises(Exception, match="Caught .* in DataLoader worker process 0"):
        # timeout= turns a regression (a result lost in the queue) into a failure instead of a hang
        list(DataLoader(Unpicklable(), batch_size=None, num_workers=1, timeout=10))
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("how,cause", [("sigkill", "killed by signal SIGKILL"), ("exit", "exit code 3")])
def test_dead_worker_raises_promptly(how, cause):
    # timeout= turns a regression (no liveness check) into a "timed out" failure instead of a hang
    loader = DataLoader(DiesAt(5, how), batch_size=1, num_workers=2, timeout=10)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly") as excinfo:
        list(loader)
    assert time.monotonic() - start < 3
    assert cause in str(excinfo.value)


def test_timeout():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(iter(DataLoader(Sleeps(), num_workers=1, timeout=0.3)))
    assert time.monotonic() - start < 2  # includes terminating the sleeping worker


def test_break_and_garbage_collection_stop_workers():
    for leave in ("break", "del"):
        pids = []
        it = iter(DataLoader(Pids(), batch_size=1, num_workers=2))
        for pid in it:
            pids.append(pid.item())
            if len(pids) == 2:
                break
        assert len(set(pids)) == 2
        if leave == "del":
            del it
            gc.collect()
        else:
            it = None
        assert _wait_gone(pids) == []


def test_exhausted_iterator_stops_workers_and_persistent_workers_survive_epochs():
    loader = DataLoader(Pids(), batch_size=2, num_workers=2)
    first = set(_flat(loader))
    assert _wait_gone(first) == []
    assert set(_flat(loader)).isdisjoint(first)  # a new epoch starts new workers

    persistent = DataLoader(Pids(), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [set(_flat(persistent)) for _ in range(3)]
    assert epochs[0] == epochs[1] == epochs[2] and len(epochs[0]) == 2
    partial = iter(persistent)
    next(partial)  # abandon an epoch midway: the next one still starts clean
    assert len(_flat(persistent)) == 16
    del persistent, partial
    gc.collect()
    assert _wait_gone(epochs[0]) == []


def test_iterable_dataset_sharded_by_worker_info():
    assert sorted(_flat(DataLoader(Range(11), batch_size=2, num_workers=2))) == list(range(11))
    # unsharded, each worker replays the whole stream, as in torch
    assert sorted(_flat(DataLoader(Range(5, sharded=False), batch_size=2, num_workers=2))) == sorted(list(range(5)) * 2)
    persistent = DataLoader(Range(7), batch_size=3, num_workers=2, persistent_workers=True)
    assert sorted(_flat(persistent)) == sorted(_flat(persistent)) == list(range(7))
    assert sorted(_flat(DataLoader(Range(7), batch_size=3, num_workers=2, drop_last=True))) == [0, 1, 2, 3, 4, 5]


def test_spawn_context():
    ds = TensorDataset(ember.arange(6).reshape(3, 2))
    loader = DataLoader(ds, batch_size=2, num_workers=1, multiprocessing_context="spawn")
    assert [b[0].tolist() for b in loader] == [[[0, 1], [2, 3]], [[4, 5]]]


def _run_script(body):
    script = textwrap.dedent("""
        import os, sys
        sys.path.insert(0, {repo!r})
        import ember
        from ember.utils.data import DataLoader, Dataset

        class Pids(Dataset):
            def __len__(self):
                return 8

            def __getitem__(self, i):
                return os.getpid()
    """).format(repo=REPO) + textwrap.dedent(body)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    pids = [int(p) for p in out.stdout.split()]
    assert len(set(pids)) == 2, out.stderr
    return pids


def test_interpreter_exit_stops_persistent_workers():
    pids = _run_script("""
        loader = DataLoader(Pids(), batch_size=1, num_workers=2, persistent_workers=True)
        it = iter(loader)
        print(next(it).item(), next(it).item(), flush=True)
    """)
    assert _wait_gone(pids) == []


def test_workers_exit_when_main_process_is_killed():
    pids = _run_script("""
        import signal
        it = iter(DataLoader(Pids(), batch_size=1, num_workers=2))
        print(next(it).item(), next(it).item(), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert _wait_gone(pids) == []
