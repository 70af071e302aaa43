"""DistributedSampler: each of num_replicas processes reads its own slice of the dataset."""

import importlib
import math

from ...ops.creation import Generator, randperm
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _process_group():
    """ember.distributed when it exists and a process group is initialised, else a clear error."""
    try:
        dist = importlib.import_module("ember.distributed")
    except ImportError:
        dist = None
    if dist is None or not dist.is_available():
        raise RuntimeError(
            "Requires distributed package to be available (DistributedSampler: pass num_replicas= and rank= explicitly)"
        )
    if not dist.is_initialized():
        raise RuntimeError(
            "DistributedSampler: num_replicas/rank not given and the default process group is "
            "not initialized; call ember.distributed.init_process_group() first or pass them"
        )
    return dist


class DistributedSampler(Sampler):
    """Pads the (optionally shuffled, seeded by seed + epoch) index list by repeating it up to a multiple
    of num_replicas, or truncates it with drop_last, then gives rank the indices rank, rank + R, ..."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None:
            num_replicas = _process_group().get_world_size()
        if rank is None:
            rank = _process_group().get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        if self.shuffle:
            # every replica seeds identically, so they all see the same permutation and slice it disjointly
            indices = randperm(len(self.dataset), generator=Generator().manual_seed(self.seed + self.epoch)).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if self.drop_last:
            indices = indices[: self.total_size]
        elif self.total_size > len(indices):
            padding_size = self.total_size - len(indices)
            indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Reshuffle differently each epoch (call before creating the epoch's iterator)."""
        self.epoch = epoch
