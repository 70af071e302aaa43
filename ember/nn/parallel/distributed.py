"""DistributedDataParallel over ember.distributed (MPI): gradients averaged in buckets as they become ready."""

import contextlib
import warnings

import numpy as np

from ... import distributed as dist
from ..._backend import as_device
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...autograd.graph import queue_callback
from ..modules.module import Module
from ..._tensor import Tensor

_FIRST_BUCKET_BYTES = 1024 * 1024

# torch's message (reducer.cpp) when a parameter got no gradient and find_unused_parameters=False
_UNFINISHED_REDUCTION = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error indicates "
    "that your module has parameters that were not used in producing loss. You can enable unused parameter "
    "detection by passing the keyword argument `find_unused_parameters=True` to "
    "`torch.nn.parallel.DistributedDataParallel`, and by \nmaking sure all `forward` function outputs participate "
    "in calculating loss. \nIf you already have done the above, then the distributed data parallel module wasn't "
    "able to locate the output tensors in the return value of your module's `forward` function. Please include "
    "the loss function and the structure of the return value of `forward` of your module when reporting this "
    "issue (e.g. list, dict, iterable).\n"
)

# arguments ember has no machinery for: (name, default, why)
_UNSUPPORTED = (
    ("delay_all_reduce_named_params", None, "ember reduces every parameter in the gradient buckets"),
    ("param_to_hook_all_reduce", None, "ember reduces every parameter in the gradient buckets"),
    ("mixed_precision", None, "use ember.autocast for mixed precision"),
    ("device_mesh", None, "ember has one process group, the default one"),
    (
        "skip_all_reduce_unused_params",
        False,
        ("unused parameters are reduced as zeros, as with find_unused_parameters=True"),
    ),
    ("bucket_cap_mb_list", None, "use bucket_cap_mb"),
)


class DistributedDataParallel(Module):
    """Wraps `module`: rank 0's parameters and buffers are broadcast at construction (after checking that every
    rank has the same parameters), and every backward all-reduces (averages) the gradients, bucket by bucket in
    reverse parameter order, as torch does.

    A parameter that gets no gradient on some rank: with find_unused_parameters=False the next forward raises
    torch's error (the other ranks wait for a reduction that never comes, until they raise too); with
    find_unused_parameters=True or static_graph=True it is reduced as zeros from that rank, and one that no rank
    used keeps its .grad, as torch does."""

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim=0,
        broadcast_buffers=None,
        init_sync=True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters=False,
        check_reduction=False,
        gradient_as_bucket_view=False,
        static_graph=False,
        delay_all_reduce_named_params=None,
        param_to_hook_all_reduce=None,
        mixed_precision=None,
        device_mesh=None,
        skip_all_reduce_unused_params=False,
        bucket_cap_mb_list=None,
        batched_grad_copy=False,
        forward_sync_buffers=None,
    ):
        super().__init__()
        if (delay_all_reduce_named_params is None) != (param_to_hook_all_reduce is None):
            raise ValueError(
                "delay_all_reduce_named_params and param_to_hook_all_reduce need to be set at the same time."
            )
        given = {
            "delay_all_reduce_named_params": delay_all_reduce_named_params,
            "param_to_hook_all_reduce": param_to_hook_all_reduce,
            "mixed_precision": mixed_precision,
            "device_mesh": device_mesh,
            "skip_all_reduce_unused_params": skip_all_reduce_unused_params,
            "bucket_cap_mb_list": bucket_cap_mb_list,
        }
        for name, default, why in _UNSUPPORTED:
            value = given[name]
            if (value is not None) if default is None else bool(value) != default:
                raise NotImplementedError(f"DistributedDataParallel({name}=...) is not supported by ember: {why}")
        if not dist.is_initialized():
            raise ValueError(
                "Default process group has not been initialized, please make sure to call "
                "init_process_group. (DistributedDataParallel: call "
                "ember.distributed.init_process_group('mpi') and launch with `ember run --nproc N`)"
            )
        if process_group is not None and process_group is not dist.group.WORLD:
            raise NotImplementedError(
                "DistributedDataParallel(process_group=...): ember has only the default "
                "process group (pass None or ember.distributed.group.WORLD)"
            )
        self.process_group = dist.group.WORLD
        self.parameters_to_ignore = set(getattr(module, "_ddp_params_and_buffers_to_ignore", ()))
        named = [(n, p) for n, p in module.named_parameters() if n not in self.parameters_to_ignore]
        self._module_parameters = [p for _, p in named]
        if not any(p.requires_grad for p in self._module_parameters):
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter "
                "that requires a gradient."
            )
        self._set_devices(device_ids, output_device)
        self.dim = dim
        self.module = module
        self.forward_sync_buffers = _forward_sync_buffers(broadcast_buffers, forward_sync_buffers)
        init_sync_buffers = forward_sync_buffers is not None or broadcast_buffers in (None, True)
        if check_reduction:
            warnings.warn(
                "The `check_reduction` argument in `DistributedDataParallel` module is deprecated. "
                "Please avoid using it.",
                FutureWarning,
                stacklevel=2,
            )
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.batched_grad_copy = batched_grad_copy  # ember always copies a bucket's gradients at once
        self.static_graph = False
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.world_size = dist.get_world_size()
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._names, self._params = zip(*[(n, p) for n, p in named if p.requires_grad])
        if init_sync:
            self._verify_same_model()
            with no_grad():
                for t in self._module_parameters + (self._synced_buffers() if init_sync_buffers else []):
                    dist.broadcast(t, 0)
        self._buckets = self._make_buckets(self._params, self.bucket_bytes_cap)
        self._bucket_of = {i: b for b, bucket in enumerate(self._buckets) for i in bucket}
        self._index = {id(p): i for i, p in enumerate(self._params)}
        self._ready = None  # during a synced backward: the parameters whose gradients are ready
        self._used = set()  # parameters that got a gradient since the last reduction (no_sync too)
        self._unfinished = None  # the parameters a backward left without gradient (raised at the next forward)
        self._sync_this_backward = True
        if static_graph:
            self._set_static_graph()
        for p in self._params:
            p.register_post_accumulate_grad_hook(self._on_grad_ready)

    def _set_devices(self, device_ids, output_device):
        """torch's rules: device_ids and output_device only for a module on one CUDA device, whose inputs
        forward then moves there."""
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        devices = {p.device for p in self._module_parameters}
        types = {d.type for d in devices}
        if len(types) != 1:
            raise ValueError(
                f"DistributedDataParallel's input module must be on the same type of devices, but "
                f"input module parameters locate in {types}."
            )
        self.device_type = types.pop()
        self.device = self._module_parameters[0].device
        if not device_ids or self.device_type == "cpu" or len(devices) > 1:
            if device_ids or output_device:
                raise ValueError(
                    "DistributedDataParallel device_ids and output_device arguments only work with "
                    "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                    f"{device_ids}, output_device {output_device}, and module parameters {devices}."
                )
            self.device_ids = self.output_device = None
        else:
            self.device_ids = [_device_index(d) for d in device_ids]
            self.output_device = _device_index(device_ids[0] if output_device is None else output_device)

    def _set_static_graph(self):
        """The set of used parameters never changes: unused ones are reduced as with find_unused_parameters."""
        self.static_graph = True

    def _synced_buffers(self):
        return [b for n, b in self.module.named_buffers() if n not in self.parameters_to_ignore]

    def _verify_same_model(self):
        """torch's check that every rank wraps the same parameters (count, then sizes in order): each rank raises
        naming its rank and the one it differs from, instead of reducing mismatched buckets."""
        rank = dist.get_rank()
        mine = [(list(p.shape), p.dtype.name) for p in self._params]
        everyone = []
        dist.all_gather_object(everyone, mine)
        for other, theirs in enumerate(everyone):
            if len(theirs) != len(mine):
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but Rank {rank} has {len(mine)} params, "
                    f"while rank {other} has inconsistent {len(theirs)} params."
                )
        for other in [0] if rank else range(1, len(everyone)):
            for i, ((shape, dtype), (their_shape, their_dtype)) in enumerate(zip(mine, everyone[other])):
                if shape != their_shape:
                    raise RuntimeError(
                        f"[{rank}]: params[{i}] in this process with sizes {shape} appears not to "
                        f"match sizes of the same param in process {other}."
                    )
                if dtype != their_dtype:
                    raise RuntimeError(
                        f"[{rank}]: params[{i}] in this process with dtype {dtype} appears not to "
                        f"match the dtype of the same param in process {other} ({their_dtype})."
                    )

    @staticmethod
    def _make_buckets(params, cap_bytes):
        """Lists of parameter indices, in reverse order, the first bucket small (1 MiB) as torch's."""
        buckets, current, size = [], [], 0
        cap = _FIRST_BUCKET_BYTES
        for i in reversed(range(len(params))):
            current.append(i)
            size += params[i].numel() * params[i].element_size()
            if size >= cap:
                buckets.append(current)
                current, size, cap = [], 0, cap_bytes
        if current:
            buckets.append(current)
        return buckets

    def forward(self, *inputs, **kwargs):
        if self._unfinished is not None and is_grad_enabled() and self.require_backward_grad_sync:
            raise RuntimeError(self._unfinished_message())
        if self.device_ids:
            inputs, kwargs = _to_device((inputs, kwargs), as_device(f"cuda:{self.device_ids[0]}"))
        if self.forward_sync_buffers and self.world_size > 1:
            with no_grad():
                for b in self._synced_buffers():
                    dist.broadcast(b, 0)
        self._sync_this_backward = self.require_backward_grad_sync
        return self.module(*inputs, **kwargs)

    def _unfinished_message(self):
        rank = dist.get_rank()
        return (
            _UNFINISHED_REDUCTION
            + f"Parameter indices which did not receive grad for rank {rank}: "
            + " ".join(map(str, self._unfinished))
            + f"\nParameters which did not receive grad for rank {rank}: "
            + ", ".join(self._names[i] for i in self._unfinished)
        )

    @property
    def _finds_unused(self):
        return self.find_unused_parameters or self.static_graph

    def _on_grad_ready(self, param):
        i = self._index[id(param)]
        self._used.add(i)
        if not self._sync_this_backward:
            return
        if self._ready is None:
            self._ready, self._ready_in_bucket = set(), [0] * len(self._buckets)
            self._next_bucket = 0
            queue_callback(self._finish_backward)
        self._ready.add(i)
        if self._finds_unused:
            return  # which parameters every rank used is known once the backward is over
        self._ready_in_bucket[self._bucket_of[i]] += 1
        # every rank must issue the same Allreduce sequence: buckets go out in index order, as torch's
        while self._next_bucket < len(self._buckets) and self._ready_in_bucket[self._next_bucket] == len(
            self._buckets[self._next_bucket]
        ):
            self._reduce_bucket(self._next_bucket)
            self._next_bucket += 1

    def _finish_backward(self):
        ready, self._ready = self._ready, None
        if not self._finds_unused:
            if self._next_bucket < len(self._buckets):
                # torch leaves the reduction unfinished (the other ranks wait in it) and raises at the next forward
                self._unfinished = sorted(set(range(len(self._params))) - ready)
            self._used = set()
            return
        from mpi4py import MPI

        used = np.zeros(len(self._params), np.int64)
        used[list(self._used)] = 1
        dist._comm().Allreduce(MPI.IN_PLACE, used, op=MPI.SUM)
        for b in range(len(self._buckets)):
            self._reduce_bucket(b, used)
        self._used = set()

    def _reduce_bucket(self, b, used=None):
        """Average bucket b's gradients over the ranks (a missing .grad counts as zeros), on the parameters'
        device. `used` (find_unused_parameters): how many ranks used each parameter; one that no rank used
        keeps its .grad."""
        from ..._backend import array_module

        bucket = [self._params[i] for i in self._buckets[b]]
        xp = array_module(bucket[0]._data)  # the bucket lives on the parameters' device
        grads = [p.grad._data if p.grad is not None else xp.zeros(p.shape, p._data.dtype) for p in bucket]
        flat = xp.concatenate([g.reshape(-1) for g in grads]) / self.world_size  # divide first, as torch
        dist._all_reduce_sum(flat)
        offset = 0
        for i, p, g in zip(self._buckets[b], bucket, grads):
            values = flat[offset : offset + g.size].reshape(g.shape).astype(g.dtype, copy=False)
            offset += g.size
            if used is not None and not used[i]:
                continue
            if p.grad is None or self.gradient_as_bucket_view:
                p.grad = Tensor._make(values if self.gradient_as_bucket_view else values.copy())
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


def _forward_sync_buffers(broadcast_buffers, forward_sync_buffers):
    """torch 2.13: broadcast_buffers is deprecated for forward_sync_buffers (both default to syncing)."""
    if broadcast_buffers is not None:
        if forward_sync_buffers is not None:
            warnings.warn(
                "Both `broadcast_buffers` and `forward_sync_buffers` were specified. `broadcast_buffers` "
                "is deprecated and its value is ignored when `forward_sync_buffers` is provided.",
                FutureWarning,
                stacklevel=3,
            )
        else:
            warnings.warn(
                "`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. IMPORTANT: unlike "
                "`broadcast_buffers=False`, `forward_sync_buffers=False` still syncs buffers at init. If "
                "you rely on buffers NOT being synced at init (e.g. rank-local buffers), keep using "
                "`broadcast_buffers=False` until `init_sync_buffers` is available.",
                FutureWarning,
                stacklevel=3,
            )
    if forward_sync_buffers is not None:
        return forward_sync_buffers
    return True if broadcast_buffers is None else broadcast_buffers


def _device_index(device):
    """torch's _get_device_index for device_ids entries: an int, 'cuda:1', or a CUDA device with an index."""
    if isinstance(device, int):
        return device
    dev = as_device(device)
    if dev.type != "cuda" or dev.index is None:
        raise ValueError(f"Expected a cuda device with a specified index or an integer, but got:{device}")
    return dev.index


def _to_device(obj, device):
    """Tensors inside nested tuples, lists and dicts moved to `device` (DDP's inputs with device_ids)."""
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, (tuple, list)):
        moved = [_to_device(o, device) for o in obj]
        return type(obj)(*moved) if hasattr(obj, "_fields") else type(obj)(moved)
    if isinstance(obj, dict):
        return type(obj)((k, _to_device(v, device)) for k, v in obj.items())
    return obj


class DataParallel(Module):
    """Single-process stand-in for nn.DataParallel, so that code written for it runs (with `.module`)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
