"""The 'nccl' backend of ember.distributed: collectives on GPU buffers through CuPy's NCCL bindings
(cupy.cuda.nccl, reached through ember._backend.nccl_module()).

Ranks are found and the NCCL unique id is shared over MPI (the processes `ember run --nproc N` starts);
each rank then talks to the others on its current GPU (call ember.cuda.set_device(local_rank) first, as
with torch). Collectives are queued on the current stream; MPI stays the CPU backend.
"""

import numpy as np

from .. import _backend


def _datatype(nccl, dtype):
    types = {
        np.dtype(np.int8): nccl.NCCL_INT8,
        np.dtype(np.uint8): nccl.NCCL_UINT8,
        np.dtype(np.int32): nccl.NCCL_INT32,
        np.dtype(np.int64): nccl.NCCL_INT64,
        np.dtype(np.float16): nccl.NCCL_FLOAT16,
        np.dtype(np.float32): nccl.NCCL_FLOAT32,
        np.dtype(np.float64): nccl.NCCL_FLOAT64,
    }
    if dtype not in types:
        raise TypeError(
            f"ember.distributed (nccl): unsupported dtype {dtype} (use a float, int8/32/64 or uint8 tensor)"
        )
    return types[dtype]


class NcclGroup:
    """One NCCL communicator over every MPI rank, on the current GPU."""

    def __init__(self, mpi_comm):
        self.nccl = nccl = _backend.nccl_module()
        if nccl is None:
            raise RuntimeError("Distributed package doesn't have NCCL built in")
        self.rank, self.size = mpi_comm.Get_rank(), mpi_comm.Get_size()
        unique_id = nccl.get_unique_id() if self.rank == 0 else None
        unique_id = mpi_comm.bcast(unique_id, root=0)
        self.comm = nccl.NcclCommunicator(self.size, unique_id, self.rank)

    def _stream(self, arr):
        return _backend.array_module(arr).cuda.get_current_stream().ptr

    def _op(self, op):
        from . import ReduceOp

        nccl = self.nccl
        return {
            ReduceOp.SUM: nccl.NCCL_SUM,
            ReduceOp.AVG: nccl.NCCL_AVG,
            ReduceOp.PRODUCT: nccl.NCCL_PROD,
            ReduceOp.MAX: nccl.NCCL_MAX,
            ReduceOp.MIN: nccl.NCCL_MIN,
        }[op]

    @staticmethod
    def _contiguous(arr):
        if not arr.flags.c_contiguous:
            raise RuntimeError("ember.distributed (nccl): tensors must be contiguous (call .contiguous() first)")
        return arr

    def all_reduce(self, arr, op):
        """In place, on every rank."""
        arr = self._contiguous(arr)
        ptr = arr.data.ptr
        self.comm.allReduce(ptr, ptr, arr.size, _datatype(self.nccl, arr.dtype), self._op(op), self._stream(arr))

    def reduce(self, arr, dst, op):
        arr = self._contiguous(arr)
        ptr = arr.data.ptr
        self.comm.reduce(ptr, ptr, arr.size, _datatype(self.nccl, arr.dtype), self._op(op), dst, self._stream(arr))

    def broadcast(self, arr, src):
        arr = self._contiguous(arr)
        ptr = arr.data.ptr
        self.comm.broadcast(ptr, ptr, arr.size, _datatype(self.nccl, arr.dtype), src, self._stream(arr))

    def all_gather(self, out, arr):
        """`out` (size * arr.size elements, contiguous) gets every rank's `arr`, rank after rank."""
        arr, out = self._contiguous(arr), self._contiguous(out)
        self.comm.allGather(arr.data.ptr, out.data.ptr, arr.size, _datatype(self.nccl, arr.dtype), self._stream(arr))
