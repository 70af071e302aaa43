"""DistributedDataParallel training, launched by test_ddp.py as `ember run --nproc 2 ddp_train.py OUT_DIR`.

Each rank writes OUT_DIR/<scenario>.rank<R>.npz with the final state_dict of each scenario; test_ddp.py trains the
same model in one process on the global batches and compares. The helpers below are shared with it.
`--fail-rank R` makes rank R raise mid-training, to check that no other rank is left waiting.
"""

import argparse
import os

import numpy as np

import ember as torch
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset

STEPS = 10
GLOBAL_BATCH = 16
ACCUMULATION_STEPS = 3


def make_dataset(n):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 20)).astype(np.float32)
    y = rng.integers(0, 4, n)
    return TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


def make_model(seed=0, batchnorm=False):
    torch.manual_seed(seed)
    hidden = [nn.BatchNorm1d(32)] if batchnorm else []
    return nn.Sequential(nn.Flatten(), nn.Linear(20, 32), *hidden, nn.ReLU(), nn.Linear(32, 4))


def make_optimizer(model):
    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def state_arrays(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def train(model, batches, fail_at=None):
    """One optimizer step per batch; the loss is the batch mean, so DDP's average equals the global mean."""
    optimizer = make_optimizer(model)
    loss_fn = nn.CrossEntropyLoss()
    for step, (x, y) in enumerate(batches):
        if step == fail_at:
            raise RuntimeError(f"injected failure at step {step}")
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()


def train_accumulating(ddp, batches):
    """Two micro-batches per step: the first backward inside no_sync(), the second one synchronised.

    Returns, per step, whether the ranks' gradients differed after the no_sync() backward (they must:
    each rank saw other data) and whether they agreed after the synchronised one."""
    optimizer = make_optimizer(ddp)
    loss_fn = nn.CrossEntropyLoss()
    differed, agreed = [], []
    for x, y in batches:
        optimizer.zero_grad()
        half = len(x) // 2
        with ddp.no_sync():
            (loss_fn(ddp(x[:half]), y[:half]) / 2).backward()
        differed.append(not _same_on_all_ranks(ddp.module[1].weight.grad))
        (loss_fn(ddp(x[half:]), y[half:]) / 2).backward()
        agreed.append(_same_on_all_ranks(ddp.module[1].weight.grad))
        optimizer.step()
    return differed, agreed


def _same_on_all_ranks(t):
    copies = [torch.zeros_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(copies, t)
    return all(torch.equal(c, copies[0]) for c in copies)


def local_batches(n, batch_size):
    """This rank's batches: DistributedSampler without shuffling, so step k's batches together are
    samples [k * batch_size * world, (k + 1) * batch_size * world)."""
    dataset = make_dataset(n)
    return DataLoader(dataset, batch_size=batch_size, sampler=DistributedSampler(dataset, shuffle=False))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--fail-rank", type=int)
    args = parser.parse_args()
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_batch = GLOBAL_BATCH // world

    # every rank starts from different weights: DDP must broadcast rank 0's
    ddp = DistributedDataParallel(make_model(seed=rank))
    fail_at = 3 if args.fail_rank == rank else None
    train(ddp, local_batches(STEPS * GLOBAL_BATCH, local_batch), fail_at)
    results = {"plain": ddp.module}

    ddp = DistributedDataParallel(make_model(seed=rank))
    differed, agreed = train_accumulating(ddp, local_batches(ACCUMULATION_STEPS * 2 * GLOBAL_BATCH, 2 * local_batch))
    results["accumulate"] = ddp.module

    synced = nn.SyncBatchNorm.convert_sync_batchnorm(make_model(seed=rank, batchnorm=True))
    ddp = DistributedDataParallel(synced)
    train(ddp, local_batches(STEPS * GLOBAL_BATCH, local_batch))
    results["syncbn"] = ddp.module

    for name, model in results.items():
        np.savez(os.path.join(args.out_dir, f"{name}.rank{rank}.npz"), **state_arrays(model))
    np.savez(os.path.join(args.out_dir, f"no_sync.rank{rank}.npz"), differed=differed, agreed=agreed)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
