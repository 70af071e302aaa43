"""DistributedDataParallel over ember.distributed (MPI): gradients averaged in buckets as they become ready."""
import contextlib

from ... import distributed as dist
from ...autograd.grad_mode import no_grad
from ...autograd.graph import queue_callback
from ..modules.module import Module

_FIRST_BUCKET_BYTES = 1024 * 1024


class DistributedDataParallel(Module):
    """Wraps `module`: rank 0's parameters and buffers are broadcast at construction, and every backward
    all-reduces (averages) the gradients, bucket by bucket in reverse parameter order, as torch does."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure to call "
                             "init_process_group. (DistributedDataParallel: call "
                             "ember.distributed.init_process_group('mpi') and launch with `ember run --nproc N`)")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        self.world_size = dist.get_world_size()
        params = [p for p in module.parameters() if p.requires_grad]
        self._check_same_shapes(params)
        with no_grad():
            for t in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(t, 0)
        self._buckets = self._make_buckets(params, bucket_cap_mb)
        self._bucket_of = {id(p): i for i, bucket in enumerate(self._buckets) for p in bucket}
        self._ready = None
        self._sync_this_backward = True
        for p in params:
            p.register_post_accumulate_grad_hook(self._on_grad_ready)

    def _check_same_shapes(self, params):
        shapes = [tuple(p.shape) for p in params]
        everyone = []
        dist.all_gather_object(everyone, shapes)
        if any(s != shapes for s in everyone):
            raise RuntimeError("DistributedDataParallel: the model's parameters differ across ranks "
                               f"(rank {dist.get_rank()} has shapes {shapes})")

    @staticmethod
    def _make_buckets(params, bucket_cap_mb):
        buckets, current, size = [], [], 0
        cap = _FIRST_BUCKET_BYTES
        for p in reversed(params):
            current.append(p)
            size += p.numel() * p.element_size()
            if size >= cap:
                buckets.append(current)
                current, size, cap = [], 0, int(bucket_cap_mb * 1024 * 1024)
        if current:
            buckets.append(current)
        return buckets

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.world_size > 1:
            with no_grad():
                for b in self.module.buffers():
                    dist.broadcast(b, 0)
        self._sync_this_backward = self.require_backward_grad_sync
        return self.module(*inputs, **kwargs)

    def _on_grad_ready(self, param):
        if not self._sync_this_backward:
            return
        if self._ready is None:
            self._ready = [0] * len(self._buckets)
            self._next_bucket = 0
            queue_callback(self._finish_backward)
        self._ready[self._bucket_of[id(param)]] += 1
        # every rank must issue the same Allreduce sequence: buckets go out in index order, as torch's
        while self._next_bucket < len(self._buckets) and \
                self._ready[self._next_bucket] == len(self._buckets[self._next_bucket]):
            self._reduce_bucket(self._next_bucket)
            self._next_bucket += 1

    def _finish_backward(self):
        """Buckets holding parameters that got no gradient are reduced at the end (those count as zeros)."""
        for b in range(self._next_bucket, len(self._buckets)):
            self._reduce_bucket(b)
        self._ready = None

    def _reduce_bucket(self, b):
        from ..._backend import array_module
        from ..._tensor import Tensor
        bucket = self._buckets[b]
        xp = array_module(bucket[0]._data)      # the bucket lives on the parameters' device
        grads = [p.grad._data if p.grad is not None else xp.zeros(p.shape, p._data.dtype) for p in bucket]
        flat = xp.concatenate([g.reshape(-1) for g in grads]) / self.world_size   # divide first, as torch
        dist._all_reduce_sum(flat)
        offset = 0
        for p, g in zip(bucket, grads):
            values = flat[offset:offset + g.size].reshape(g.shape).astype(g.dtype, copy=False)
            offset += g.size
            if p.grad is None:
                p.grad = Tensor._make(values.copy())
            else:
                p.grad._data[...] = values

    @contextlib.contextmanager
    def no_sync(self):
        """Gradient accumulation: backward passes inside skip the all-reduce."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


class DataParallel(Module):
    """Single-process stand-in for nn.DataParallel, so that code written for it runs (with `.module`)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
