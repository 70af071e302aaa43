"""A rank that leaves, launched by test_failures.py as `ember run --nproc 2 failures.py OUT_DIR MODE`.

Both ranks do one all_reduce; then rank 1 leaves as MODE says while rank 0 calls a second all_reduce:
  exit1  sys.exit(1)        exit0  sys.exit(0)        destroy  destroy_process_group(), then sleeps
  skip   sleeps without calling it (rank 0 must time out: the group's timeout is 2 s here)
  sleep  both ranks print "ready" and sleep (for signals sent to `ember run`)
Rank 0 writes what it raised to OUT_DIR/rank0.json and raises it again, as an uncaught error would end it.
"""

import datetime
import json
import os
import sys
import time

import ember as torch
import ember.distributed as dist


def main():
    out_dir, mode = sys.argv[1:]
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=2))
    rank = dist.get_rank()
    t = torch.ones(3)
    dist.all_reduce(t)
    if mode == "sleep":
        # one write per line: print() may write the text and the newline apart, and the launcher (MPICH's
        # hydra) then can put the other rank's line between them
        os.write(sys.stdout.fileno(), f"ready {rank} {os.getpid()}\n".encode())
        time.sleep(120)
    if rank == 1:
        if mode == "exit1":
            sys.exit(1)
        if mode == "exit0":
            sys.exit(0)
        if mode == "destroy":
            dist.destroy_process_group()
        time.sleep(120)
    start = time.monotonic()
    try:
        dist.all_reduce(t)
    except Exception as e:
        record = {
            "type": type(e).__name__,
            "runtime_error": isinstance(e, RuntimeError),
            "dist_error": isinstance(e, dist.DistError),
            "message": str(e),
            "after": time.monotonic() - start,
        }
        try:
            dist.barrier()
        except dist.DistBackendError as again:
            record["next"] = str(again)
        with open(os.path.join(out_dir, "rank0.json"), "w") as f:
            json.dump(record, f)
        raise


if __name__ == "__main__":
    main()
