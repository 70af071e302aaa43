"""The 'nccl' backend on two ranks without a GPU, launched by test_nccl.py as
`EMBER_STRICT_CUDA=1 ember run --nproc 2 nccl_train.py OUT_DIR`: tensors live on the strict test device
and NCCL is tests/distributed/fake_nccl.py (collectives over MPI on the buffers behind the pointers).
Each rank pickles its collectives' results, the fake's call counts and its DDP-trained state."""

import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_nccl  # noqa: E402
import ember as torch  # noqa: E402
from ember import _backend  # noqa: E402
import ember.distributed as dist  # noqa: E402
from ember.nn.parallel import DistributedDataParallel  # noqa: E402
from ember.utils.data import DataLoader, DistributedSampler  # noqa: E402
import ddp_train  # noqa: E402

_backend.nccl_module = lambda: fake_nccl


def main():
    out_dir = sys.argv[1]
    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.cuda.set_device(0)
    seen = {"backend": dist.get_backend()}
    mine = torch.tensor([rank + 1.0, -(rank + 1.0), 10.0 * rank], device="cuda")
    for op in ("SUM", "AVG", "MAX", "PRODUCT"):
        t = mine.clone()
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        seen[f"all_reduce_{op}"] = (t.device.type, t.tolist())
    t = torch.full((2, 2), float(rank), dtype=torch.float64, device="cuda")
    dist.broadcast(t, src=1)
    seen["broadcast_src1"] = (t.device.type, t.tolist())
    gathered = [torch.zeros(3, device="cuda") for _ in range(world)]
    dist.all_gather(gathered, mine)
    seen["all_gather"] = [g.tolist() for g in gathered]
    ints = torch.arange(4, device="cuda") * (rank + 1)
    dist.all_reduce(ints)
    seen["all_reduce_int64"] = ints.tolist()
    t = mine.clone()
    dist.reduce(t, dst=1)
    seen["reduce_dst1"] = t.tolist()

    before = fake_nccl.calls.get("allReduce", 0)
    dataset = ddp_train.make_dataset(ddp_train.STEPS * ddp_train.GLOBAL_BATCH)
    sampler = DistributedSampler(dataset, shuffle=False)
    loader = DataLoader(dataset, batch_size=ddp_train.GLOBAL_BATCH // world, sampler=sampler)
    model = DistributedDataParallel(ddp_train.make_model().to("cuda"))
    ddp_train.train(model, [(x.to("cuda"), y.to("cuda")) for x, y in loader])
    seen["ddp_all_reduces"] = fake_nccl.calls.get("allReduce", 0) - before
    seen["grad_devices"] = sorted({str(p.grad.device) for p in model.parameters()})
    seen["state"] = {k: v.detach().cpu().numpy() for k, v in model.module.state_dict().items()}
    with open(os.path.join(out_dir, f"rank{rank}.pkl"), "wb") as f:
        pickle.dump(seen, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
