"""torch.layout and torch.memory_format: the objects (torch.strided, torch.channels_last, ...) and the checks of
the layout=, memory_format= and pin_memory= arguments ember's functions take.

ember's tensors are strided arrays: any memory format is a stride order of one, so channels_last is a real
layout here (NumPy keeps a tensor's stride order through elementwise ops, as torch's preserve_format does),
while the sparse layouts are not available."""


class _Named:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name  # pickles as the module-level singleton of that name


class layout(_Named):
    __slots__ = ()


class memory_format(_Named):
    __slots__ = ()


strided, sparse_coo, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc, jagged = (
    layout(n) for n in ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged")
)
contiguous_format, channels_last, channels_last_3d, preserve_format = (
    memory_format(n) for n in ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format")
)
legacy_contiguous_format = contiguous_format  # one object in torch too

LAYOUTS = {f.name: f for f in (strided, sparse_coo, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc, jagged)}
MEMORY_FORMATS = {f.name: f for f in (contiguous_format, channels_last, channels_last_3d, preserve_format)}


def check_layout(op, value):
    """layout=: ember makes strided tensors only."""
    if value is not None and value is not strided:
        raise NotImplementedError(
            f"{op}(): layout={value} is not supported: ember's tensors are dense (torch.strided) arrays"
        )


def check_pin_memory(op, value):
    """pin_memory=True: torch's error on a machine without an accelerator; with CUDA, ember's host memory is
    what a copy to the GPU reads (ember's copies are synchronous, so page-locking would change no result)."""
    if value:
        from .cuda import is_available

        if not is_available():
            raise RuntimeError(
                "pin_memory=True requires a CUDA or other accelerator backend; no pinned memory "
                f"allocator is available on this system. ({op}: ember found no CUDA device)"
            )
    return bool(value)


# memory format -> the order of the dims from outermost to innermost in memory, by rank
_ORDERS = {"channels_last": {4: (0, 2, 3, 1)}, "channels_last_3d": {5: (0, 2, 3, 4, 1)}}


def dim_order_of(fmt, ndim, op="contiguous"):
    """The physical dim order `fmt` asks of a tensor of rank ndim (None: keep the tensor's own order)."""
    if fmt is None or fmt is preserve_format:
        return None
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{op}(): argument 'memory_format' must be torch.memory_format, not {type(fmt).__name__}")
    if fmt is contiguous_format:
        return tuple(range(ndim))
    order = _ORDERS[fmt.name].get(ndim)
    if order is None:
        raise RuntimeError(f"required rank {4 if fmt is channels_last else 5} tensor to use {fmt.name} format")
    return order


def with_dim_order(xp, arr, order):
    """A copy of arr whose memory holds its dims in `order` (outermost first)."""
    inverse = [order.index(d) for d in range(len(order))]
    return xp.ascontiguousarray(arr.transpose(order)).transpose(inverse)


def has_dim_order(arr, order):
    """torch's is_contiguous(memory_format): strides are those of a dense array with dims in `order`
    (size-1 dims may have any stride)."""
    expected = arr.itemsize
    for d in reversed(order):
        if arr.shape[d] != 1 and arr.strides[d] != expected:
            return False
        expected *= arr.shape[d]
    return True


def check_factory(op, layout=None, pin_memory=False):
    """The layout= and pin_memory= every factory takes."""
    check_layout(op, layout)
    check_pin_memory(op, pin_memory)


def in_memory_format(tensor, memory_format, like=None):
    """tensor with its memory laid out as memory_format asks: preserve_format (None) keeps the layout of `like`
    when that is a dense non-contiguous one (as torch's *_like and clone do), contiguous_format is row-major,
    channels_last(_3d) puts the channels innermost. Values are unchanged; only the strides differ."""
    from ._backend import array_module

    arr = tensor._data
    if memory_format is None or memory_format is preserve_format:
        if like is None or like._data.flags.c_contiguous or arr.ndim != like._data.ndim:
            return tensor
        order = like.dim_order()
    else:
        order = dim_order_of(memory_format, arr.ndim)
    if has_dim_order(arr, order):
        return tensor
    tensor._data = with_dim_order(array_module(arr), arr, order)
    return tensor
