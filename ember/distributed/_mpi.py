"""The MPI side of ember.distributed: a rank that leaves or skips a collective makes the others raise.

MPI's blocking collectives wait forever for a rank that exited early or never calls them. Here each collective
is the nonblocking MPI call, polled until it completes or the process group's timeout passes. A rank that
leaves (exits, or calls destroy_process_group) tells the others on a communicator of their own, so that they
raise within a short grace instead of at the end of the timeout. MPI aborts the whole job itself when a rank
dies from a signal or an uncaught exception (ember.distributed's excepthook).
"""

import pickle
import time

import numpy as np
from mpi4py import MPI

from . import DistBackendError

_LEFT = 1  # the tag of departure notices
_GRACE = 0.5  # seconds a collective may still complete after a rank left (its part may be in flight)
_LONGEST_PAUSE = 1e-3  # between polls: a late rank costs at most this much extra latency


class Communicator:
    """COMM_WORLD's collectives under the names of mpi4py's blocking calls, each one raising DistBackendError
    when it can't complete: the timeout passed, or a rank left without joining it."""

    def __init__(self, comm, timeout):
        self.comm = comm
        self.timeout = timeout.total_seconds()
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.departed = set()
        self.issued = 0
        self.broken = None  # the first failure's message: later collectives can't match up either
        self._stuck = []  # requests of failed collectives: MPI may still write their buffers
        self._notices = comm.Dup()
        self._notice = np.zeros(1, np.int64)
        self._listener = self._notices.Irecv(self._notice, source=MPI.ANY_SOURCE, tag=_LEFT)

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.size

    def Abort(self, errorcode=1):
        self.comm.Abort(errorcode)

    # --- collectives -----------------------------------------------------------------------------------------
    def Allreduce(self, sendbuf, recvbuf, op=MPI.SUM):
        self._wait(lambda: self.comm.Iallreduce(sendbuf, recvbuf, op=op), "all_reduce")

    def Reduce(self, sendbuf, recvbuf, op=MPI.SUM, root=0):
        self._wait(lambda: self.comm.Ireduce(sendbuf, recvbuf, op=op, root=root), "reduce")

    def Bcast(self, buf, root=0):
        self._wait(lambda: self.comm.Ibcast(buf, root=root), "broadcast")

    def Allgather(self, sendbuf, recvbuf):
        self._wait(lambda: self.comm.Iallgather(sendbuf, recvbuf), "all_gather")

    def Gather(self, sendbuf, recvbuf, root=0):
        self._wait(lambda: self.comm.Igather(sendbuf, recvbuf, root=root), "gather")

    def Scatter(self, sendbuf, recvbuf, root=0):
        self._wait(lambda: self.comm.Iscatter(sendbuf, recvbuf, root=root), "scatter")

    def Barrier(self):
        self._wait(self.comm.Ibarrier, "barrier")

    def allgather(self, obj):
        """Every rank's (picklable) object, in rank order."""
        data = np.frombuffer(pickle.dumps(obj), np.uint8)
        sizes = np.zeros(self.size, np.int64)
        self._wait(lambda: self.comm.Iallgather(np.array([data.size], np.int64), sizes), "all_gather_object")
        everything = np.empty(int(sizes.sum()), np.uint8)
        self._wait(lambda: self.comm.Iallgatherv(data, [everything, sizes.tolist()]), "all_gather_object")
        ends = np.cumsum(sizes)
        return [pickle.loads(everything[end - n : end].tobytes()) for n, end in zip(sizes, ends)]

    def bcast(self, obj, root=0):
        """The root's (picklable) object, on every rank."""
        data = np.frombuffer(pickle.dumps(obj), np.uint8) if self.rank == root else None
        size = np.array([0 if data is None else data.size], np.int64)
        self._wait(lambda: self.comm.Ibcast(size, root=root), "broadcast_object_list")
        buf = data.copy() if data is not None else np.empty(int(size[0]), np.uint8)
        self._wait(lambda: self.comm.Ibcast(buf, root=root), "broadcast_object_list")
        return obj if self.rank == root else pickle.loads(buf.tobytes())

    # --- waiting ---------------------------------------------------------------------------------------------
    def _wait(self, start, op):
        self.issued += 1
        if self.broken:
            raise DistBackendError(
                f"[Rank {self.rank}] {op} (collective #{self.issued}) not started: the process "
                f"group failed before ({self.broken})"
            )
        request = start()
        deadline = time.monotonic() + self.timeout
        left_at, pause = None, 0.0
        while not request.Test():
            now = time.monotonic()
            if left_at is None and self._someone_left():
                left_at = now
            if left_at is not None and (now - left_at >= _GRACE or now >= deadline):
                ranks = ", ".join(map(str, sorted(self.departed)))
                self._fail(
                    request,
                    f"[Rank {self.rank}] Connection closed by peer: rank {ranks} left the process "
                    f"group (it exited or called destroy_process_group) without joining {op} "
                    f"(collective #{self.issued})",
                )
            if now >= deadline:
                self._fail(
                    request,
                    f"[Rank {self.rank}] Timed out after {self.timeout:g} s waiting for {op} "
                    f"(collective #{self.issued}) to complete: another rank exited, crashed, hangs "
                    "or did not call it (init_process_group's timeout= sets the limit)",
                )
            time.sleep(pause)
            pause = min(2 * pause or 1e-5, _LONGEST_PAUSE)

    def _fail(self, request, message):
        self._stuck.append(request)
        self.broken = message
        raise DistBackendError(message)

    def _someone_left(self):
        while self._listener is not None and self._listener.Test():
            self.departed.add(int(self._notice[0]))
            self._listener = self._notices.Irecv(self._notice, source=MPI.ANY_SOURCE, tag=_LEFT)
        return bool(self.departed)

    def leave(self):
        """Tell every other rank that this one takes part in no more collectives (the sends are small, so
        MPI completes them at once; they are given up after a second if a rank is gone)."""
        if self._listener is None:
            return
        self._listener.Cancel()
        self._listener.Wait()
        self._listener = None
        me = np.array([self.rank], np.int64)
        sends = [self._notices.Isend(me, dest=r, tag=_LEFT) for r in range(self.size) if r != self.rank]
        deadline = time.monotonic() + 1.0
        while not MPI.Request.Testall(sends) and time.monotonic() < deadline:
            time.sleep(_LONGEST_PAUSE)
