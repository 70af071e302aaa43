"""torch.distributed over MPI (mpi4py, imported lazily): process groups and collectives on ember tensors.

Launch with `ember run --nproc 2 script.py` or `mpiexec -n 2 python script.py`. backend='mpi' is the
native backend; 'gloo' (torch's CPU default) is accepted and runs over MPI too. backend='nccl' runs the
collectives of CUDA tensors through NCCL (CuPy's bindings, see _nccl.py), MPI still starting the ranks.
A collective that can't complete (a rank exited or skipped it) raises DistBackendError within the process
group's timeout (_mpi.py).
"""

import atexit
import datetime
import enum
import sys
import traceback

import numpy as np

from .._backend import array_module, device_of, to_device, to_host

# torch's: the timeout of gloo and MPI process groups, and of every collective in them
default_pg_timeout = datetime.timedelta(minutes=30)


class DistError(RuntimeError):
    """torch.distributed.DistError: an error in the distributed package."""


class DistBackendError(DistError):
    """A collective failed: a rank left, or it did not complete within the process group's timeout."""


class DistNetworkError(DistError):
    """torch.distributed.DistNetworkError (ember's MPI reports network failures as DistBackendError)."""


class DistStoreError(DistError):
    """torch.distributed.DistStoreError (ember's process group has no store)."""


class ReduceOp(enum.Enum):
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MAX = "max"
    MIN = "min"


class _Group:
    comm = None
    backend = None
    nccl = None  # the NcclGroup under backend='nccl'


_WORLD = _Group()
group = type("group", (), {"WORLD": _WORLD})


def is_available():
    try:
        import mpi4py  # noqa: F401

        return True
    except ImportError:
        return False


def is_mpi_available():
    return is_available()


def is_initialized():
    return _WORLD.comm is not None


def _comm():
    if _WORLD.comm is None:
        raise ValueError("Default process group has not been initialized, please make sure to call init_process_group.")
    return _WORLD.comm


def _abort_on_uncaught(exc_type, exc, tb):
    """An exception on one rank aborts every rank, so that none waits forever in a collective."""
    traceback.print_exception(exc_type, exc, tb)
    sys.stderr.write(
        f"ember.distributed: rank {_WORLD.comm.Get_rank()} raised {exc_type.__name__}; aborting all ranks\n"
    )
    sys.stderr.flush()
    _WORLD.comm.Abort(1)


def init_process_group(
    backend="mpi",
    init_method=None,
    timeout=None,
    world_size=-1,
    rank=-1,
    store=None,
    group_name="",
    pg_options=None,
    device_id=None,
):
    if backend not in ("mpi", "gloo", "nccl", None):
        raise ValueError(
            f"ember.distributed supports backend='mpi' (and 'gloo', run over MPI) and 'nccl', got {backend!r}"
        )
    if backend == "nccl":
        from .. import _backend

        if _backend.nccl_module() is None:
            raise RuntimeError(
                "Distributed package doesn't have NCCL built in (ember's 'nccl' backend needs CuPy "
                "with NCCL and a GPU; use backend='mpi' on the CPU)"
            )
    if timeout is None:
        timeout = default_pg_timeout
    elif not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {timeout}")
    if _WORLD.comm is not None:
        raise ValueError("trying to initialize the default process group twice!")
    try:
        from mpi4py import MPI
        from ._mpi import Communicator
    except ImportError:
        from .._extras import install_hint

        raise RuntimeError(
            f"ember.distributed needs mpi4py and an MPI library (mpi4py + the mpich wheel): "
            f"{install_hint('distributed')}, then launch with `ember run --nproc 2 script.py`"
        ) from None
    comm = MPI.COMM_WORLD
    if world_size not in (-1, None) and world_size != comm.Get_size():
        raise RuntimeError(
            f"init_process_group: world_size={world_size} but MPI started {comm.Get_size()} "
            f"processes (launch with `ember run --nproc {world_size} ...`)"
        )
    if backend == "nccl":
        from ._nccl import NcclGroup

        _WORLD.nccl = NcclGroup(comm)
    _WORLD.comm, _WORLD.backend = Communicator(comm, timeout), backend or "mpi"
    atexit.register(_leave)
    if comm.Get_size() > 1:
        sys.excepthook = _abort_on_uncaught


def _leave():
    """At exit or destroy_process_group: the other ranks stop waiting for this one in collectives."""
    atexit.unregister(_leave)
    if _WORLD.comm is not None:
        _WORLD.comm.leave()


def destroy_process_group(group=None):
    if sys.excepthook is _abort_on_uncaught:
        sys.excepthook = sys.__excepthook__
    _leave()
    _WORLD.comm = _WORLD.nccl = None


def get_rank(group=None):
    return _comm().Get_rank()


def get_world_size(group=None):
    return _comm().Get_size()


def get_backend(group=None):
    _comm()
    return _WORLD.backend


def barrier(group=None, async_op=False, device_ids=None):
    _comm().Barrier()


def _mpi_op(op):
    from mpi4py import MPI

    return {
        ReduceOp.SUM: MPI.SUM,
        ReduceOp.AVG: MPI.SUM,
        ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MAX: MPI.MAX,
        ReduceOp.MIN: MPI.MIN,
    }[op]


def _host_buffer(tensor):
    """A contiguous host array for MPI, and a function that writes results back into the tensor."""
    arr = tensor._data
    if type(arr) is np.ndarray and arr.flags["C_CONTIGUOUS"]:
        return arr, lambda: None
    host = np.ascontiguousarray(to_host(arr))

    def write_back():
        tensor._data[...] = to_device(host, tensor.device)

    return host, write_back


class _Work:
    """What async_op=True returns: the collective already ran (MPI calls here are blocking)."""

    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True


def _done(async_op):
    return _Work() if async_op else None


def _on_nccl(tensor):
    return _WORLD.nccl is not None and tensor.is_cuda


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    from mpi4py import MPI

    if _on_nccl(tensor):
        _WORLD.nccl.all_reduce(tensor._data, op)
        tensor._version_counter[0] += 1
        return _done(async_op)
    buf, write_back = _host_buffer(tensor)
    _comm().Allreduce(MPI.IN_PLACE, buf, op=_mpi_op(op))
    if op is ReduceOp.AVG:
        buf /= _comm().Get_size()
    write_back()
    tensor._version_counter[0] += 1
    return _done(async_op)


def _sum_arrays(arrays):
    """Sum arrays over every rank in one Allreduce (SyncBatchNorm's statistics); same shapes, dtypes, devices back."""
    from mpi4py import MPI
    from .._backend import CPU, device_of, to_device

    host = [np.asarray(to_device(a, CPU)) for a in arrays]
    flat = np.concatenate([h.astype(np.float64).reshape(-1) for h in host])
    _comm().Allreduce(MPI.IN_PLACE, flat, op=MPI.SUM)
    out, offset = [], 0
    for a, h in zip(arrays, host):
        out.append(to_device(flat[offset : offset + h.size].reshape(h.shape).astype(h.dtype), device_of(a)))
        offset += h.size
    return tuple(out)


def _all_reduce_sum(arr):
    """Sum a contiguous array over every rank, in place (DDP's gradient buckets): through NCCL for a GPU
    array under backend='nccl', else through MPI (on a host copy for a GPU array)."""
    from mpi4py import MPI

    if _WORLD.nccl is not None and type(arr) is not np.ndarray:
        _WORLD.nccl.all_reduce(arr, ReduceOp.SUM)
        return
    host = to_host(arr)
    _comm().Allreduce(MPI.IN_PLACE, host, op=MPI.SUM)
    if host is not arr:
        arr[...] = to_device(host, device_of(arr))


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    from mpi4py import MPI

    if _on_nccl(tensor):
        _WORLD.nccl.reduce(tensor._data, dst, op)
        return _done(async_op)
    buf, write_back = _host_buffer(tensor)
    comm = _comm()
    if comm.Get_rank() == dst:
        comm.Reduce(MPI.IN_PLACE, buf, op=_mpi_op(op), root=dst)
        if op is ReduceOp.AVG:
            buf /= comm.Get_size()
        write_back()
    else:
        comm.Reduce(buf, None, op=_mpi_op(op), root=dst)
    return _done(async_op)


def broadcast(tensor, src=0, group=None, async_op=False):
    if _on_nccl(tensor):
        _WORLD.nccl.broadcast(tensor._data, src)
        tensor._version_counter[0] += 1
        return _done(async_op)
    buf, write_back = _host_buffer(tensor)
    _comm().Bcast(buf, root=src)
    write_back()
    tensor._version_counter[0] += 1
    return _done(async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    comm = _comm()
    if len(tensor_list) != comm.Get_size():
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} entries for world size {comm.Get_size()}")
    if _on_nccl(tensor):
        xp = array_module(tensor._data)
        recv = xp.empty((comm.Get_size(),) + tuple(tensor.shape), tensor._data.dtype)
        _WORLD.nccl.all_gather(recv, xp.ascontiguousarray(tensor._data))
        for t, part in zip(tensor_list, recv):
            t._data[...] = part
        return _done(async_op)
    send = np.ascontiguousarray(to_host(tensor._data))
    recv = np.empty((comm.Get_size(),) + send.shape, send.dtype)
    comm.Allgather(send, recv)
    for t, part in zip(tensor_list, recv):
        t._data[...] = part
    return _done(async_op)


def all_gather_object(object_list, obj, group=None):
    gathered = _comm().allgather(obj)
    object_list[:] = gathered


def broadcast_object_list(object_list, src=0, group=None, device=None):
    object_list[:] = _comm().bcast(object_list, root=src)


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    comm = _comm()
    send = np.ascontiguousarray(to_host(tensor._data))
    recv = np.empty((comm.Get_size(),) + send.shape, send.dtype) if comm.Get_rank() == dst else None
    comm.Gather(send, recv, root=dst)
    if comm.Get_rank() == dst:
        for t, part in zip(gather_list, recv):
            t._data[...] = part
    return _done(async_op)


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    comm = _comm()
    send = np.stack([to_host(t._data) for t in scatter_list]) if comm.Get_rank() == src else None
    recv = np.empty(tensor.shape, tensor._data.dtype)
    comm.Scatter(send, recv, root=src)
    tensor._data[...] = recv
    return _done(async_op)


__all__ = [
    "ReduceOp",
    "DistError",
    "DistBackendError",
    "DistNetworkError",
    "DistStoreError",
    "default_pg_timeout",
    "init_process_group",
    "destroy_process_group",
    "is_initialized",
    "is_available",
    "get_rank",
    "get_world_size",
    "get_backend",
    "barrier",
    "all_reduce",
    "reduce",
    "broadcast",
    "all_gather",
    "all_gather_object",
    "broadcast_object_list",
    "gather",
    "scatter",
    "group",
]
