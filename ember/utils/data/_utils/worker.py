"""The DataLoader worker process: seeds itself, then fetches the batches its index queue asks for."""

import multiprocessing.queues
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from . import MP_STATUS_CHECK_INTERVAL

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """What a dataset can learn about the worker process it runs in (see get_worker_info)."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """The WorkerInfo of the current DataLoader worker process; None in the main process.

    An IterableDataset uses it to shard: worker `id` of `num_workers` yields its own part of the stream.
    """
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent by a worker whose copy of an IterableDataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; they echo it back once ready."""


class KeyErrorMessage(str):
    """KeyError prints repr() of its argument; this keeps the traceback's newlines readable."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception with its formatted traceback, picklable so it can cross from a worker to the main process."""

    def __init__(self, exc_info=None, where="in background"):
        exc_type, exc_value, tb = exc_info if exc_info is not None else sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc_value, tb))
        self.where = where

    def reraise(self):
        """Raise the same exception type here, its message carrying the original traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


def _where(worker_id):
    return f"in DataLoader worker process {worker_id}"


class _ResultQueue(multiprocessing.queues.Queue):
    """The workers' shared result queue. A worker's queue thread pickles results after `put` returns, so a
    result that cannot be pickled would be dropped (and the main process would wait forever): send an
    ExceptionWrapper for the same task instead."""

    def _on_queue_feeder_error(self, e, obj):
        if not (isinstance(obj, tuple) and len(obj) == 2):
            return super()._on_queue_feeder_error(e, obj)
        worker_id = _worker_info.id if _worker_info is not None else "?"
        self.put((obj[0], ExceptionWrapper(where=_where(worker_id))))


def _seed_worker(base_seed, worker_id):
    """Seed Python, ember and NumPy's global RNGs as torch seeds a worker: base_seed + worker_id for the
    first two, NumPy's SeedSequence of (worker_id, base_seed's two 32-bit halves) for the legacy np.random."""
    from .... import manual_seed

    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]).generate_state(4))
    return seed


def _worker_loop(
    dataset_kind,
    dataset,
    index_queue,
    data_queue,
    done_event,
    auto_collation,
    collate_fn,
    drop_last,
    base_seed,
    init_fn,
    worker_id,
    num_workers,
):
    """Serve (task_idx, index) messages from index_queue until it sends None or the parent process dies."""
    from ..dataloader import _DatasetKind

    global _worker_info
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=_where(worker_id))
        iteration_end = False
        parent_pid = os.getppid()
        while os.getppid() == parent_pid:  # re-parented means the main process died: exit
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if done_event.is_set():
                    # shutting down: the None may never come when garbage collection already closed
                    # the main process's end of this queue
                    break
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue  # shutting down, or this worker's iterable is exhausted: drop the task
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and dataset_kind == _DatasetKind.Iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=_where(worker_id))
            data_queue.put((idx, data))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group; the main process handles it
    if done_event.is_set():
        # the main process stopped reading: don't block exit flushing results nobody will take
        data_queue.cancel_join_thread()
        data_queue.close()
