"""torch.multiprocessing: Python's multiprocessing, plus torch's spawn/start_processes and tensors that share memory
across processes.

A tensor in shared memory (Tensor.share_memory_, Module.share_memory) goes to another process as the file
descriptor of its memory, so both processes read and write the same elements (Hogwild training): under fork
the child inherits the mapping, under spawn/forkserver the receiver maps the descriptor. Any other tensor is
copied, as pickling copies it. (torch moves every tensor it sends into shared memory first; ember leaves a
tensor the program did not share where it is.)"""

import multiprocessing
import multiprocessing.connection
import signal
import sys
import time
from multiprocessing import *  # noqa: F401,F403 -- torch.multiprocessing re-exports the whole module
from multiprocessing import get_context
from multiprocessing.reduction import DupFd, ForkingPickler

import numpy as np

from ._tensor import Tensor
from . import storage as _storage

__all__ = list(multiprocessing.__all__) + [
    "spawn",
    "start_processes",
    "ProcessContext",
    "SpawnContext",
    "ProcessRaisedException",
    "ProcessExitedException",
    "get_sharing_strategy",
    "set_sharing_strategy",
    "get_all_sharing_strategies",
    "init_reductions",
]

_STRATEGIES = {"file_descriptor"}
_strategy = "file_descriptor"


def get_all_sharing_strategies():
    return set(_STRATEGIES)


def get_sharing_strategy():
    return _strategy


def set_sharing_strategy(new_strategy):
    if new_strategy not in _STRATEGIES:
        raise NotImplementedError(
            f"set_sharing_strategy({new_strategy!r}): ember shares memory by file descriptor only ('file_descriptor')"
        )


# --- tensors between processes --------------------------------------------------------------------------------


def _rebuild_shared(dup, nbytes, dtype, shape, strides, offset, requires_grad, cls):
    block = _storage.adopt_shared(dup.detach(), nbytes)
    array = np.ndarray(shape, np.dtype(dtype), buffer=block, offset=offset, strides=strides)
    t = Tensor._make(array)
    if cls is not Tensor:
        return cls(t, requires_grad)
    t.requires_grad = requires_grad
    return t


def _reduce_tensor(t):
    if t.requires_grad and t.grad_fn is not None:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does "
            "not support crossing process boundaries.  If you just want to transfer the data, call "
            "detach() on the tensor before serializing (e.g., putting it on the queue)."
        )
    fd = _storage.shared_fd(t._data) if t.device.type == "cpu" else None
    if fd is None:
        return t.__reduce_ex__(2)
    arr = t._data
    owner = _storage._root(arr)[0]
    block = _storage._bytes_of(owner)
    offset = arr.__array_interface__["data"][0] - block.__array_interface__["data"][0]
    return _rebuild_shared, (
        DupFd(fd),
        block.size,
        arr.dtype.str,
        arr.shape,
        arr.strides,
        offset,
        t.requires_grad,
        type(t),
    )


def init_reductions():
    """Send shared tensors (and parameters) by file descriptor (done when this module is imported)."""
    from .nn.parameter import Parameter

    for cls in (Tensor, Parameter):
        ForkingPickler.register(cls, _reduce_tensor)


init_reductions()


# --- spawn -------------------------------------------------------------------------------------------------


class ProcessException(Exception):
    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised an exception; its traceback is in the message."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a non-zero code or by a signal."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001 -- the child reports any failure to the parent, as torch's
        import traceback

        error_queue.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None, grace_period=None):
        """Wait for the processes; True when all have finished. The first failure terminates the others and
        raises ProcessRaisedException (with the child's traceback) or ProcessExitedException."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(self.sentinels.keys(), timeout=timeout)
        failed = None
        for sentinel in ready:
            i = self.sentinels.pop(sentinel)
            process = self.processes[i]
            process.join()
            if process.exitcode != 0:
                failed = i
                break
        if failed is None:
            return not self.sentinels
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + (grace_period or 30)
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
        process = self.processes[failed]
        if self.error_queues[failed].empty():
            code = process.exitcode
            if code < 0:
                name = signal.Signals(-code).name
                raise ProcessExitedException(
                    f"process {failed} terminated with signal {name}", failed, process.pid, code, name
                )
            raise ProcessExitedException(
                f"process {failed} terminated with exit code {code}", failed, process.pid, code
            )
        trace = self.error_queues[failed].get()
        raise ProcessRaisedException(
            f"\n\n-- Process {failed} terminated with the following error:\n{trace}", failed, process.pid
        )


class SpawnContext(ProcessContext):
    pass


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run fn(i, *args) in nprocs processes (i = 0 .. nprocs - 1); with join, wait and raise the first failure."""
    context = get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        queue = context.SimpleQueue()
        process = context.Process(target=_wrap, args=(fn, i, args, queue), daemon=daemon)
        process.start()
        processes.append(process)
        queues.append(queue)
    ctx = ProcessContext(processes, queues)
    if not join:
        return ctx
    while not ctx.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    return start_processes(fn, args, nprocs, join, daemon, start_method)
