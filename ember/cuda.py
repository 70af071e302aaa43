"""torch.cuda on CuPy: available only when CuPy is installed and sees a GPU.

Without one, is_available() is False, device_count() 0, the memory counters 0, and everything that
needs a device raises torch's error (AssertionError "Torch not compiled with CUDA enabled" without CuPy,
RuntimeError when CuPy finds no GPU).

Streams, events and CUDA graphs wrap CuPy's (cupy.cuda.Stream, Event, Stream.begin_capture/end_capture,
Graph.launch). A graph replays the kernels captured between capture_begin and capture_end on the same
memory, so, as in torch, a captured region reads its inputs from static tensors (copy new data into
them before replay) and writes its outputs into the same tensors at every replay; nothing in it may
read values back to the host. On the strict test device (ember._strict_cuda) capture records the array
operations and replay re-runs them eagerly on the same buffers.
"""

import gc

from ._backend import as_device, cupy_module, device as _device, no_cuda_error
from ._tensor import Tensor


def _cupy():
    cp = cupy_module()
    if cp is None:
        raise no_cuda_error()
    return cp


def _cupy_for(cls):
    """CuPy for a stream, event or graph object: without CUDA torch refuses to make one (RuntimeError)."""
    cp = cupy_module()
    if cp is None:
        raise RuntimeError(f"torch.cuda.{cls.__name__} requires CUDA support")
    return cp


def _index(device):
    """A device index from None (the current device), an int, 'cuda', 'cuda:1' or an ember.device."""
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    dev = as_device(device)
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    return current_device() if dev.index is None else dev.index


def is_available():
    return cupy_module() is not None


def device_count():
    cp = cupy_module()
    return cp.cuda.runtime.getDeviceCount() if cp else 0


def current_device():
    return _cupy().cuda.Device().id


def set_device(device):
    _cupy().cuda.Device(_index(device)).use()


class device:
    """torch.cuda.device(i): makes GPU i the current device inside the block."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device)

    def __enter__(self):
        if self.idx >= 0:
            self._context = _cupy().cuda.Device(self.idx)
            self._context.__enter__()

    def __exit__(self, *exc):
        if self.idx >= 0:
            self._context.__exit__(*exc)


def synchronize(device=None):
    """Wait for every kernel queued on the device, on all its streams."""
    _cupy().cuda.Device(_index(device)).synchronize()


def get_device_name(device=None):
    name = _cupy().cuda.runtime.getDeviceProperties(_index(device))["name"]
    return name.decode() if isinstance(name, bytes) else name


def manual_seed(seed):
    """Seeds ember's generator (one generator serves every device)."""
    from .ops.creation import manual_seed as _seed

    _seed(seed)


manual_seed_all = manual_seed


def empty_cache():
    cp = cupy_module()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None):
    cp = cupy_module()
    return cp.get_default_memory_pool().used_bytes() if cp else 0


def max_memory_allocated(device=None):
    """CuPy's pool keeps no high-water mark: the bytes the pool holds, an upper bound of what was in use."""
    cp = cupy_module()
    return cp.get_default_memory_pool().total_bytes() if cp else 0


def memory_reserved(device=None):
    """The bytes CuPy's memory pool holds (torch's caching allocator's reserve), 0 without a GPU."""
    cp = cupy_module()
    return cp.get_default_memory_pool().total_bytes() if cp else 0


max_memory_reserved = max_memory_allocated


def reset_peak_memory_stats(device=None):
    """CuPy's pool keeps no peak to reset (max_memory_allocated reports what the pool holds)."""
    _cupy()


def is_initialized():
    return cupy_module() is not None


def is_bf16_supported(including_emulation=True):
    """False: CuPy arrays have no bfloat16 dtype, so ember's GPU tensors cannot hold it."""
    return False


def seed_all():
    from .ops.creation import seed

    seed()


def _legacy_types():
    """torch.cuda.FloatTensor ...: the legacy types of CUDA tensors (a TypeError without a GPU, as torch's)."""
    from .ops.creation import _legacy_type
    from . import _dtype

    names = {
        "FloatTensor": _dtype.float32,
        "DoubleTensor": _dtype.float64,
        "HalfTensor": _dtype.float16,
        "LongTensor": _dtype.int64,
        "IntTensor": _dtype.int32,
        "ShortTensor": _dtype.int16,
        "CharTensor": _dtype.int8,
        "ByteTensor": _dtype.uint8,
        "BoolTensor": _dtype.bool,
    }
    return {name: _legacy_type(dt, name, "cuda") for name, dt in names.items()}


globals().update(_legacy_types())


# --- streams and events ------------------------------------------------------------------------------------------


class Stream:
    """torch.cuda.Stream: a queue of kernels (CuPy's non-blocking stream on the device)."""

    def __init__(self, device=None, priority=0, **kwargs):
        cp = _cupy_for(Stream)
        index = _index(device)
        with cp.cuda.Device(index):
            self._stream = cp.cuda.Stream(non_blocking=True, priority=priority or None)
        self.device = _device("cuda", index)

    @classmethod
    def _of(cls, cupy_stream, index):
        stream = object.__new__(cls)
        stream._stream, stream.device = cupy_stream, _device("cuda", index)
        return stream

    @property
    def cuda_stream(self):
        return self._stream.ptr

    def query(self):
        return self._stream.done

    def synchronize(self):
        self._stream.synchronize()

    def wait_event(self, event):
        self._stream.wait_event(event._event)

    def wait_stream(self, stream):
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and self._stream.ptr == other._stream.ptr and self.device == other.device

    def __hash__(self):
        return hash((self._stream.ptr, self.device))

    def __repr__(self):
        return f"<torch.cuda.Stream device={self.device} cuda_stream={hex(self._stream.ptr)}>"

    def __enter__(self):
        self._stream.__enter__()
        return self

    def __exit__(self, *exc):
        self._stream.__exit__(*exc)


def current_stream(device=None):
    cp = _cupy()
    index = _index(device)
    with cp.cuda.Device(index):
        return Stream._of(cp.cuda.get_current_stream(), index)


def default_stream(device=None):
    return Stream._of(_cupy().cuda.Stream.null, _index(device))


def set_stream(stream):
    if stream is not None:
        stream._stream.use()


class stream:
    """torch.cuda.stream(s): run the block's kernels on `s` (None: no change)."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        if self.stream is not None:
            self.stream.__enter__()
        return self.stream

    def __exit__(self, *exc):
        if self.stream is not None:
            self.stream.__exit__(*exc)


class Event:
    """torch.cuda.Event: a marker in a stream, for ordering streams and timing."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        self._event = _cupy_for(Event).cuda.Event(
            block=blocking, disable_timing=not enable_timing, interprocess=interprocess
        )

    def record(self, stream=None):
        self._event.record((current_stream() if stream is None else stream)._stream)

    def wait(self, stream=None):
        (current_stream() if stream is None else stream).wait_event(self)

    def query(self):
        return self._event.done

    def synchronize(self):
        self._event.synchronize()

    def elapsed_time(self, end_event):
        """Milliseconds from this event to end_event (both recorded, with enable_timing=True)."""
        return _cupy().cuda.get_elapsed_time(self._event, end_event._event)


# --- CUDA graphs -------------------------------------------------------------------------------------------------


def is_current_stream_capturing():
    cp = cupy_module()
    return cp is not None and cp.cuda.get_current_stream().is_capturing()


class _MemPool:
    """A graph's private memory pool (graph_pool_handle() makes one to share between graphs). Everything a
    capture allocates comes from it and stays there: a replay writes into those addresses, so they must
    never go back to CuPy's common pool (torch's graphs have private pools for the same reason)."""

    def __init__(self):
        self.pool = _cupy().cuda.MemoryPool()


def graph_pool_handle():
    return _MemPool()


class CUDAGraph:
    """torch.cuda.CUDAGraph: the kernels queued on the current stream between capture_begin and capture_end,
    replayed as one launch by replay()."""

    def __init__(self, keep_graph=False):
        _cupy_for(CUDAGraph)
        self._graph = None
        self._capturing = None
        self._pool = None

    def capture_begin(self, pool=None, capture_error_mode="global"):
        if self._graph is not None or self._capturing is not None:
            raise RuntimeError(
                "This CUDAGraph instance already owns a captured graph. To capture a new graph, create a new instance."
            )
        cp = _cupy()
        self._pool = pool if isinstance(pool, _MemPool) else _MemPool()
        allocating = cp.cuda.using_allocator(self._pool.pool.malloc)
        allocating.__enter__()
        capturing = cp.cuda.get_current_stream()
        try:
            capturing.begin_capture()
        except BaseException:
            allocating.__exit__(None, None, None)
            raise
        self._capturing = (capturing, allocating)

    def capture_end(self):
        if self._capturing is None:
            raise RuntimeError("capture_end() without capture_begin()")
        (capturing, allocating), self._capturing = self._capturing, None
        try:
            self._graph = capturing.end_capture()
        finally:
            allocating.__exit__(None, None, None)

    def replay(self):
        if self._graph is None:
            raise RuntimeError("Called CUDAGraph::replay without a preceding successful capture.")
        self._graph.launch(_cupy().cuda.get_current_stream())

    def reset(self):
        self._graph = None

    def pool(self):
        return self._pool


class graph:
    """`with torch.cuda.graph(g):` captures the block into g, on a side stream as torch does (CUDA cannot
    capture the default stream); the block's tensors are g's static inputs and outputs."""

    default_capture_stream = None

    def __init__(self, cuda_graph, pool=None, stream=None, capture_error_mode="global"):
        if stream is None:
            if graph.default_capture_stream is None:
                graph.default_capture_stream = Stream()
            stream = graph.default_capture_stream
        self.capture_stream = stream
        self.cuda_graph = cuda_graph
        self.pool, self.capture_error_mode = pool, capture_error_mode

    def __enter__(self):
        synchronize()
        gc.collect()
        self.capture_stream.__enter__()
        self.cuda_graph.capture_begin(self.pool, self.capture_error_mode)

    def __exit__(self, *exc):
        try:
            self.cuda_graph.capture_end()
        finally:
            self.capture_stream.__exit__(*exc)


def make_graphed_callables(callables, sample_args, num_warmup_iters=3, allow_unused_input=False, pool=None):
    """torch.cuda.make_graphed_callables: each callable (a function or a Module) becomes one that replays a
    captured forward graph, and whose backward replays a captured backward graph. sample_args give the
    static inputs (their shapes, dtypes and requires_grad); warm-up runs on a side stream first."""
    from .nn import Module

    just_one = not isinstance(callables, tuple)
    if just_one:
        callables, sample_args = (callables,), (sample_args,)
    graphed = []
    for fn, args in zip(callables, sample_args):
        args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        if not all(isinstance(a, Tensor) for a in args):
            raise AssertionError(
                "In the beta API, sample_args for each callable must contain only Tensors. Other types are not allowed."
            )
        if isinstance(fn, Module) and (fn._forward_hooks or fn._forward_pre_hooks or fn._backward_hooks):
            raise AssertionError(
                "Modules must not have hooks registered at the time they are passed. However, "
                "registering hooks on modules after passing them through make_graphed_callables "
                "is allowed."
            )
        graphed.append(_graphed(fn, args, num_warmup_iters, allow_unused_input))
    return graphed[0] if just_one else tuple(graphed)


def _graphed(fn, args, num_warmup_iters, allow_unused_input):
    from . import autograd
    from .nn import Module
    from .ops.creation import empty_like

    params = tuple(fn.parameters()) if isinstance(fn, Module) else ()
    static_inputs = args + params
    wanted = tuple(t for t in static_inputs if t.requires_grad)

    def grads_of(outputs, grad_outputs):
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
        if not pairs or not wanted:
            return (None,) * len(wanted)
        return autograd.grad(
            [o for o, _ in pairs],
            wanted,
            grad_outputs=[g for _, g in pairs],
            only_inputs=True,
            allow_unused=allow_unused_input,
        )

    side = Stream()
    side.wait_stream(current_stream())
    with stream(side):  # warm-up: lazy initialisations happen outside the capture
        for _ in range(num_warmup_iters):
            outputs = _tensors_of(fn(*args))
            grads_of(outputs, [empty_like(o) for o in outputs])
    current_stream().wait_stream(side)

    forward_graph, backward_graph = CUDAGraph(), CUDAGraph()
    with graph(forward_graph):
        returned = fn(*args)
    static_outputs = _tensors_of(returned)
    static_grad_outputs = tuple(empty_like(o) if o.requires_grad else None for o in static_outputs)
    with graph(backward_graph):
        grads = grads_of(static_outputs, static_grad_outputs)
    by_input = dict(zip(map(id, wanted), grads))
    static_grad_inputs = tuple(by_input.get(id(t)) for t in static_inputs)

    class Graphed(autograd.Function):
        @staticmethod
        def forward(ctx, *inputs):
            for static, new in zip(static_inputs, inputs):
                if static._data is not new._data:
                    static._data[...] = new._data
            forward_graph.replay()
            return tuple(o.detach() for o in static_outputs)

        @staticmethod
        def backward(ctx, *grad_outputs):
            for static, new in zip(static_grad_outputs, grad_outputs):
                if static is not None and new is not None:
                    static._data[...] = new._data
            backward_graph.replay()
            return tuple(None if g is None else g.detach() for g in static_grad_inputs)

    def functionalized(*user_args):
        outputs = Graphed.apply(*(tuple(user_args) + params))
        return outputs if isinstance(returned, (tuple, list)) else outputs[0]

    if not isinstance(fn, Module):
        return functionalized
    eager_forward, training = fn.forward, fn.training

    def forward(*user_args):
        return functionalized(*user_args) if fn.training == training else eager_forward(*user_args)

    fn.forward = forward
    return fn


def _tensors_of(out):
    outputs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if not all(isinstance(o, Tensor) for o in outputs):
        raise TypeError("make_graphed_callables: a callable must return a Tensor or a tuple of Tensors")
    return outputs


class amp:
    """torch.cuda.amp: the deprecated spelling of torch.amp with device_type='cuda'."""

    from .amp import GradScaler as _GradScaler, autocast as _autocast

    class GradScaler(_GradScaler):
        def __init__(
            self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000, enabled=True
        ):
            import warnings

            warnings.warn(
                "`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use `torch.amp.GradScaler("
                "'cuda', args...)` instead.",
                FutureWarning,
                stacklevel=2,
            )
            super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)

    class autocast(_autocast):
        def __init__(self, enabled=True, dtype=None, cache_enabled=True):
            import warnings

            warnings.warn(
                "`torch.cuda.amp.autocast(args...)` is deprecated. Please use `torch.amp.autocast("
                "'cuda', args...)` instead.",
                FutureWarning,
                stacklevel=2,
            )
            super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
