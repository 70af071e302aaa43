"""ember.distributed collectives on every rank, launched by test_ddp.py as
`ember run --nproc 2 collectives.py OUT_DIR`; each rank pickles what it saw to OUT_DIR/rank<R>.pkl."""

import os
import pickle
import sys

import ember as torch
import ember.distributed as dist


def main():
    out_dir = sys.argv[1]
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    seen = {"rank": rank, "world": world, "backend": dist.get_backend(), "initialized": dist.is_initialized()}
    mine = torch.tensor([rank + 1.0, -(rank + 1.0), 10.0 * rank])  # rank 0: [1, -1, 0]; rank 1: [2, -2, 10]

    for op in ("SUM", "AVG", "MAX", "MIN", "PRODUCT"):
        t = mine.clone()
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        seen[f"all_reduce_{op}"] = t.tolist()
    t = mine.clone()
    seen["all_reduce_default"] = (dist.all_reduce(t), t.tolist())

    t = mine.clone()
    dist.reduce(t, dst=1, op=dist.ReduceOp.SUM)
    seen["reduce_dst1"] = t.tolist()

    t = torch.full((2, 2), float(rank), dtype=torch.float64)
    dist.broadcast(t, src=1)
    seen["broadcast_src1"] = (t.dtype, t.tolist())

    gathered = [torch.zeros(3) for _ in range(world)]
    dist.all_gather(gathered, mine)
    seen["all_gather"] = [g.tolist() for g in gathered]

    ints = torch.arange(4) * (rank + 1)
    dist.all_reduce(ints)
    seen["all_reduce_int64"] = (ints.dtype, ints.tolist())

    objects = []
    dist.all_gather_object(objects, {"rank": rank})
    seen["all_gather_object"] = objects
    payload = [f"from rank {rank}", rank]
    dist.broadcast_object_list(payload, src=0)
    seen["broadcast_object_list"] = payload

    work = dist.all_reduce(mine.clone(), async_op=True)
    seen["async_wait"] = work.wait()

    dist.barrier()
    with open(os.path.join(out_dir, f"rank{rank}.pkl"), "wb") as f:
        pickle.dump(seen, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
