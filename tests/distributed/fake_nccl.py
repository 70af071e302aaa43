"""A stand-in for cupy.cuda.nccl with the API ember's 'nccl' backend calls (constants, get_unique_id,
NcclCommunicator with pointer-based collectives), running the collectives over MPI on the buffers the
pointers address. Used with the strict test device, whose arrays live in host memory, so the backend's
code path (pointers, counts, dtype and op codes, streams) runs on two real ranks without a GPU."""

import ctypes
import os

import numpy as np
from mpi4py import MPI

NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = 0, 1, 2, 3, 4
NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_UINT32, NCCL_INT64, NCCL_UINT64 = 0, 1, 2, 3, 4, 5
NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64 = 6, 7, 8
available = True
calls = {}

_DTYPES = {
    NCCL_INT8: np.int8,
    NCCL_UINT8: np.uint8,
    NCCL_INT32: np.int32,
    NCCL_INT64: np.int64,
    NCCL_FLOAT16: np.float16,
    NCCL_FLOAT32: np.float32,
    NCCL_FLOAT64: np.float64,
}
_OPS = {NCCL_SUM: MPI.SUM, NCCL_PROD: MPI.PROD, NCCL_MAX: MPI.MAX, NCCL_MIN: MPI.MIN, NCCL_AVG: MPI.SUM}


def get_unique_id():
    return os.urandom(128)


def _buffer(ptr, count, datatype):
    dtype = np.dtype(_DTYPES[datatype])
    raw = (ctypes.c_char * (count * dtype.itemsize)).from_address(ptr)
    return np.frombuffer(raw, dtype, count)


class NcclCommunicator:
    def __init__(self, ndev, commId, rank):
        self.mpi = MPI.COMM_WORLD
        assert (ndev, rank) == (self.mpi.Get_size(), self.mpi.Get_rank())
        ids = self.mpi.allgather(commId)
        assert all(i == ids[0] for i in ids), "ranks were given different unique ids"
        self._rank, self._size = rank, ndev

    def _count(self, name, stream):
        assert isinstance(stream, int)
        calls[name] = calls.get(name, 0) + 1

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
        self._count("allReduce", stream)
        send, recv = _buffer(sendbuf, count, datatype), _buffer(recvbuf, count, datatype)
        total = np.empty_like(send)
        self.mpi.Allreduce(send.copy(), total, op=_OPS[op])
        recv[...] = total / self._size if op == NCCL_AVG else total

    def reduce(self, sendbuf, recvbuf, count, datatype, op, root, stream):
        self._count("reduce", stream)
        send, recv = _buffer(sendbuf, count, datatype), _buffer(recvbuf, count, datatype)
        total = np.empty_like(send)
        self.mpi.Reduce(send.copy(), total, op=_OPS[op], root=root)
        if self._rank == root:
            recv[...] = total / self._size if op == NCCL_AVG else total

    def broadcast(self, sendbuff, recvbuff, count, datatype, root, stream):
        self._count("broadcast", stream)
        send, recv = _buffer(sendbuff, count, datatype), _buffer(recvbuff, count, datatype)
        values = send.copy() if self._rank == root else np.empty_like(recv)
        self.mpi.Bcast(values, root=root)
        recv[...] = values

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):
        self._count("allGather", stream)
        send, recv = _buffer(sendbuf, count, datatype), _buffer(recvbuf, count * self._size, datatype)
        self.mpi.Allgather(send.copy(), recv)
