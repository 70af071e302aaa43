"""DistributedDataParallel's construction checks, arguments and unused parameters, the same code on ember (MPI)
and on torch (gloo), launched by test_ddp_checks.py as `ember run --nproc 2 ddp_checks.py FRAMEWORK OUT_DIR PORT`
(hydra's PMI_RANK/PMI_SIZE give torch its rank). Each rank pickles what it saw, scenario by scenario, to
OUT_DIR/FRAMEWORK.rank<R>.pkl. The last scenario leaves the process group broken, as it does in torch.
"""

import datetime
import os
import pickle
import sys
import warnings

import numpy as np

FRAMEWORK, OUT_DIR, PORT = sys.argv[1:]
if FRAMEWORK == "torch":
    import torch
    import torch.distributed as dist

    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{PORT}",
        rank=int(os.environ["PMI_RANK"]),
        world_size=int(os.environ["PMI_SIZE"]),
        timeout=datetime.timedelta(seconds=20),
    )
else:
    import ember as torch
    import ember.distributed as dist

    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=20))
nn = torch.nn
DDP = nn.parallel.DistributedDataParallel
RANK = dist.get_rank()
seen = {}


def record(name, value):
    seen[name] = value
    with open(os.path.join(OUT_DIR, f"{FRAMEWORK}.rank{RANK}.pkl"), "wb") as f:
        pickle.dump(seen, f)


def raised(build):
    """(exception type, message) of build(), or None; (warning categories, messages) too."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            build()
            error = None
        except Exception as e:
            error = (type(e).__name__, str(e))
    return error, [
        (w.category.__name__, str(w.message)) for w in caught if "torch.distributed.reduce_op" not in str(w.message)
    ]


class TwoLayers(nn.Module):
    """b is used on rank 0 only (or on no rank)."""

    def __init__(self, b_used_on):
        super().__init__()
        torch.manual_seed(0)
        self.a, self.b = nn.Linear(2, 2), nn.Linear(2, 2)
        with torch.no_grad():
            for i, p in enumerate(self.parameters()):
                p.copy_(
                    torch.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) * (i + 1), dtype=torch.float32)
                )
        self.b_used_on = b_used_on

    def forward(self, x):
        return self.b(self.a(x)) if RANK in self.b_used_on else self.a(x)


def grads(model):
    return [None if p.grad is None else p.grad.tolist() for p in model.parameters()]


def two_steps(ddp):
    """Two backward passes without zero_grad (the second adds to the first, reduced, gradients)."""
    x = torch.tensor([[1.0 + RANK, -2.0]])
    out = []
    for _ in range(2):
        (ddp(x) ** 2).sum().backward()
        out.append(grads(ddp.module))
    return out


def bucket_view():
    """gradient_as_bucket_view=True: the same gradients, viewing one buffer (a and b share the first bucket)."""
    plain = two_steps(DDP(TwoLayers(b_used_on=(0, 1))))
    ddp = DDP(TwoLayers(b_used_on=(0, 1)), gradient_as_bucket_view=True)
    viewed = two_steps(ddp)
    a, b = ddp.module.a.weight.grad, ddp.module.b.weight.grad
    if FRAMEWORK == "torch":
        shared = a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    else:
        shared = a._data.base is not None and a._data.base is b._data.base
    return plain, viewed, bool(shared)


def buffers(**kwargs):
    """Where each rank's BatchNorm running_mean stands after construction and after one forward."""
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    with torch.no_grad():
        model[1].running_mean.fill_(float(RANK + 1))
        model[0].weight.fill_(float(RANK + 1))
    ddp = DDP(model, **kwargs)
    at_init = (model[1].running_mean.tolist(), model[0].weight.tolist())
    model.eval()
    ddp(torch.ones(1, 2))
    return at_init, model[1].running_mean.tolist()


def main():
    record("count", raised(lambda: DDP(nn.Sequential(nn.Linear(2, 2), *([nn.Linear(2, 2)] if RANK == 0 else [])))))
    record("no_grad_params", raised(lambda: DDP(nn.Linear(2, 2).requires_grad_(False))))
    record("two_device_ids", raised(lambda: DDP(nn.Linear(2, 2), device_ids=[0, 1])))
    record("cpu_device_ids", raised(lambda: DDP(nn.Linear(2, 2), device_ids=[0])))
    record("check_reduction", raised(lambda: DDP(nn.Linear(2, 2), check_reduction=True)))
    record("half_of_delay", raised(lambda: DDP(nn.Linear(2, 2), delay_all_reduce_named_params=[])))
    record("buffers_default", buffers())
    record(
        "buffers_not_broadcast",
        (buffers(broadcast_buffers=False), raised(lambda: DDP(nn.Linear(2, 2), broadcast_buffers=False))[1]),
    )
    record("forward_sync_buffers_off", buffers(forward_sync_buffers=False))
    record("init_sync_off", buffers(init_sync=False))
    record("find_unused", two_steps(DDP(TwoLayers(b_used_on=(0,)), find_unused_parameters=True)))
    record("static_graph", two_steps(DDP(TwoLayers(b_used_on=(0,)), static_graph=True)))
    record("unused_everywhere", two_steps(DDP(TwoLayers(b_used_on=()), find_unused_parameters=True)))
    record("bucket_view", bucket_view())
    record("all_used_default", two_steps(DDP(TwoLayers(b_used_on=(0, 1)))))
    if FRAMEWORK == "ember":
        record("shape", raised(lambda: DDP(nn.Linear(2, 3 if RANK == 0 else 4))))
        record("dtype", raised(lambda: DDP(nn.Linear(2, 2).to(torch.float64 if RANK else torch.float32))))
        record(
            "unsupported",
            [
                raised(lambda kw={name: value}: DDP(nn.Linear(2, 2), **kw))[0]
                for name, value in [
                    ("process_group", object()),
                    ("mixed_precision", object()),
                    ("device_mesh", object()),
                    ("skip_all_reduce_unused_params", True),
                    ("bucket_cap_mb_list", [1]),
                    ("delay_all_reduce_named_params", []),
                ]
            ]
            + [
                raised(
                    lambda: DDP(
                        nn.Linear(2, 2), process_group=dist.group.WORLD, bucket_cap_mb=1, batched_grad_copy=True
                    )
                )[0]
            ],
        )

    # b gets no gradient on rank 1 and find_unused_parameters=False: rank 1 raises at the next forward, rank 0
    # waits for the reduction of b's bucket until rank 1 is gone
    ddp = DDP(TwoLayers(b_used_on=(0,)))
    x = torch.ones(1, 2)
    try:
        for step in range(2):  # noqa: B007 (read by the except clause)
            ddp(x).sum().backward()
            record("unfinished_grads", grads(ddp.module))
    except Exception as e:
        record("unfinished", (step, type(e).__name__, isinstance(e, RuntimeError), str(e)))


if __name__ == "__main__":
    main()
