"""torch.sparse and the COO sparse tensor, dense-backed.

A sparse COO tensor here is a dense array (the values summed into place) that also keeps its indices: it reports
layout torch.sparse_coo, has torch's indices()/values()/coalesce()/_nnz(), prints as torch's, and every op
computes on the dense array, so sparse @ dense, torch.sparse.mm and torch.spmm give torch's values and gradients
(the gradient reaches `values`). Memory is that of the dense tensor, and the result of an op on a sparse tensor
is a dense (torch.strided) tensor where torch's may be sparse."""

import numpy as np

from . import _dtype
from ._backend import array_module
from ._formats import check_pin_memory, sparse_coo, strided
from ._tensor import Tensor
from .ops._registry import FUNCTIONS, METHODS, named


class _Coo:
    """What makes a dense tensor a COO sparse one: its indices (sparse_dim, nnz), whether they are coalesced
    (sorted and unique), and, while they are not, the values as given (duplicates not yet summed)."""

    __slots__ = ("indices", "coalesced", "raw_values")

    def __init__(self, indices, coalesced, raw_values=None):
        self.indices, self.coalesced, self.raw_values = indices, coalesced, raw_values


def coo_of(tensor):
    return tensor.__dict__.get("_coo")


def _mark(tensor, indices, coalesced, raw_values=None):
    tensor.__dict__["_coo"] = _Coo(indices, coalesced, None if coalesced else raw_values)
    return tensor


def _coalesced_indices(indices, shape):
    """Sorted unique columns of an index array (in row-major order of the positions they name)."""
    xp = array_module(indices)
    if indices.shape[1] == 0:
        return indices
    flat = xp.ravel_multi_index(tuple(indices), shape)
    return xp.stack(xp.unravel_index(xp.unique(flat), shape)).astype(np.int64)


def sparse_coo_tensor(
    indices,
    values,
    size=None,
    *,
    dtype=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
    check_invariants=None,
    is_coalesced=None,
):
    """(check_invariants: ember checks the indices against the size always, as torch does when asked to.)"""
    from .ops.creation import tensor, zeros

    check_pin_memory("sparse_coo_tensor", pin_memory)
    indices = indices if isinstance(indices, Tensor) else tensor(indices, dtype=_dtype.int64)
    values = values if isinstance(values, Tensor) else tensor(values, dtype=dtype)
    if dtype is not None:
        values = values.to(dtype)
    if device is not None:
        indices, values = indices.to(device), values.to(device)
    if indices.dim() != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(indices.shape)}")
    if indices.is_floating_point() or indices.is_complex():
        raise RuntimeError(f"indices must be an int64 tensor (got {indices.dtype})")
    sparse_dim, nnz = indices.shape
    if values.dim() < 1 or values.shape[0] != nnz:
        raise RuntimeError(
            f"indices and values must have same nnz, but got nnz from indices: {nnz}, nnz from values: "
            f"{values.shape[0] if values.dim() else 0}"
        )
    index = indices._data.astype(np.int64)
    if size is None:
        size = tuple(int(m) + 1 for m in index.max(1)) if nnz else (0,) * sparse_dim
        size = size + tuple(values.shape[1:])
    size = tuple(size)
    if len(size) != sparse_dim + values.dim() - 1:
        raise RuntimeError(
            f"number of dimensions must be sparse_dim ({sparse_dim}) + dense_dim "
            f"({values.dim() - 1}), but got {len(size)}"
        )
    if nnz and (bool((index < 0).any()) or any(int(index[d].max()) >= size[d] for d in range(sparse_dim))):
        raise RuntimeError(
            f"size is inconsistent with indices: for dim {sparse_dim}, size is {list(size)} but found "
            f"index {int(index.max())}"
        )
    dense = zeros(size, dtype=values.dtype, device=values.device)
    if requires_grad:
        values = values.detach()
    out = dense.index_put(tuple(Tensor._make(row) for row in index), values, accumulate=True) if nnz else dense
    if requires_grad:
        out = out.detach().requires_grad_()
    out = named(out, "SparseCooTensorWithDimsAndTensorsBackward0")
    coalesced = bool(is_coalesced) if is_coalesced is not None else False
    return _mark(out, index if not coalesced else _coalesced_indices(index, size[:sparse_dim]), coalesced, values)


def _need_coalesced(tensor, what):
    coo = coo_of(tensor)
    if coo is None:
        raise RuntimeError(f"{what}(): expected a sparse tensor (layout torch.sparse_coo), got a strided one")
    if not coo.coalesced:
        raise RuntimeError(f"Cannot get {what} on an uncoalesced tensor, please call .coalesce() first")
    return coo


def _sparse_dim(tensor):
    coo = coo_of(tensor)
    return 0 if coo is None else coo.indices.shape[0]


def indices(self):
    return Tensor._make(_need_coalesced(self, "indices").indices.copy())


def values(self):
    coo = _need_coalesced(self, "values")
    return named(self[tuple(Tensor._make(row) for row in coo.indices)], "ValuesBackward0")


def _indices(self):
    coo = coo_of(self)
    if coo is None:
        raise RuntimeError("_indices(): expected a sparse tensor")
    return Tensor._make(coo.indices.copy())


def _values(self):
    coo = coo_of(self)
    if coo is None:
        raise RuntimeError("_values(): expected a sparse tensor")
    if coo.raw_values is not None:
        return coo.raw_values
    return self[tuple(Tensor._make(row) for row in coo.indices)]


def coalesce(self):
    coo = coo_of(self)
    if coo is None:
        raise RuntimeError("coalesce(): expected a sparse tensor (layout torch.sparse_coo), got a strided one")
    if coo.coalesced:
        return self
    out = named(self.view(self.shape), "CoalesceBackward0")
    return _mark(out, _coalesced_indices(coo.indices, tuple(self.shape[: coo.indices.shape[0]])), True)


def is_coalesced(self):
    coo = coo_of(self)
    if coo is None:
        raise RuntimeError("is_coalesced expected sparse coordinate tensor layout but got Strided")
    return coo.coalesced


def sparse_dim(self):
    return _sparse_dim(self)


def dense_dim(self):
    return self.dim() - _sparse_dim(self) if coo_of(self) is not None else self.dim()


def _nnz(self):
    coo = coo_of(self)
    if coo is None:
        raise RuntimeError("_nnz(): expected a sparse tensor")
    return coo.indices.shape[1]


def to_dense(self, dtype=None, *, masked_grad=None):
    """A strided copy; its gradient reaches only the specified elements (masked_grad, torch's default) or all."""
    coo = coo_of(self)
    if coo is None:
        return self if dtype is None else self.to(dtype)
    out = self.clone()
    if masked_grad is not False:
        from .ops.elementwise import where

        out = where(_specified(self, coo), out, 0.0)
    out = named(out, "ToDenseBackward0")
    return out if dtype is None else out.to(dtype)


def _specified(tensor, coo):
    """True at the positions a COO tensor's indices name (over the dense dims too)."""
    from .ops.creation import zeros

    keys = tuple(Tensor._make(row) for row in coo.indices)
    marks = Tensor._make(array_module(coo.indices).ones(coo.indices.shape[1], np.bool_))
    return (
        zeros(tuple(tensor.shape[: coo.indices.shape[0]]), dtype=_dtype.bool, device=tensor.device)
        .index_put(keys, marks)
        .reshape(tuple(tensor.shape[: coo.indices.shape[0]]) + (1,) * (tensor.dim() - coo.indices.shape[0]))
    )


def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    if layout not in (None, sparse_coo) or blocksize is not None:
        raise NotImplementedError(
            f"to_sparse(layout={layout}): ember has only the COO sparse layout (torch.sparse_coo)"
        )
    if coo_of(self) is not None:
        return self
    d = self.dim() if sparse_dim is None else sparse_dim
    if dense_dim is not None and d + dense_dim != self.dim():
        raise RuntimeError(f"to_sparse: sparse_dim ({d}) + dense_dim ({dense_dim}) must be {self.dim()}")
    xp = array_module(self._data)
    occupied = self._data != 0 if d == self.dim() else (self._data != 0).reshape(self.shape[:d] + (-1,)).any(-1)
    index = xp.stack(xp.nonzero(occupied)).astype(np.int64) if occupied.ndim else xp.zeros((0, 1), np.int64)
    out = named(self.view(self.shape), "ToSparseBackward0")
    return _mark(out, index, True)


def sparse_mask(self, mask):
    coo = coo_of(mask)
    if coo is None:
        raise RuntimeError("sparse_mask(): mask is expected to be a sparse COO tensor")
    if tuple(self.shape) != tuple(mask.shape):
        raise RuntimeError(
            f"sparse_mask(): operands have incompatible sizes; self has size {list(self.shape)} but "
            f"mask has size {list(mask.shape)}"
        )
    from .ops.creation import zeros
    from .ops.index import index_put

    keys = tuple(Tensor._make(row) for row in coo.indices)
    out = index_put(zeros(tuple(self.shape), dtype=self.dtype, device=self.device), keys, self.to_dense()[keys])
    return _mark(named(out, "SparseMaskBackward0"), coo.indices, coo.coalesced)


# --- torch.sparse -------------------------------------------------------------------------------------------


def mm(mat1, mat2, reduce="sum"):
    if reduce != "sum":
        raise NotImplementedError(f"torch.sparse.mm(reduce={reduce!r}): ember implements reduce='sum' only")
    return named(mat1.to_dense() @ mat2.to_dense(), "SparseAddmmBackward0")


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    return FUNCTIONS["addmm"](mat.to_dense(), mat1.to_dense(), mat2.to_dense(), beta=beta, alpha=alpha)


def sum(input, dim=None, dtype=None):  # noqa: A001 -- torch.sparse.sum
    dense = input.to_dense()
    if dim is None:
        out = dense.sum(dtype=dtype)
        return out
    out = dense.sum(dim, dtype=dtype)
    return out.to_sparse() if coo_of(input) is not None and out.dim() else out


def _masked_softmax(input, dim, log, dtype):
    from .ops.elementwise import where

    coo = coo_of(input)
    x = input.to_dense() if dtype is None else input.to_dense().to(dtype)
    if coo is None:
        return x.log_softmax(dim) if log else x.softmax(dim)
    specified = _specified(input, coo)
    masked = where(specified, x, float("-inf"))
    out = masked.log_softmax(dim) if log else masked.softmax(dim)
    out = where(specified, out, 0.0)
    return _mark(out, coo.indices, coo.coalesced)


def softmax(input, dim, *, dtype=None):
    """Softmax over the specified elements only (the unspecified ones count as -inf), a sparse result."""
    return _masked_softmax(input, dim, False, dtype)


def log_softmax(input, dim, *, dtype=None):
    return _masked_softmax(input, dim, True, dtype)


def spmm(input, mat2):
    return mm(input, mat2)


def smm(input, mat2):
    """sparse @ dense as a sparse tensor (torch's Tensor.smm)."""
    return mm(input, mat2).to_sparse()


def sspaddmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2) as a sparse tensor, input and mat1 sparse."""
    return (beta * input.to_dense() + alpha * mm(mat1, mat2)).to_sparse()


def layout_of(tensor):
    return sparse_coo if coo_of(tensor) is not None else strided


def sparse_repr(t):
    """torch's print of a sparse tensor: its indices and values, then size, nnz and layout."""
    from ._tensor_str import _add_suffixes, array_str
    from ._backend import to_host

    indent = len("tensor(")
    with_values = _values(t).detach()
    indices_text = "indices=tensor(" + array_str(to_host(coo_of(t).indices), indent + len("indices=tensor(")) + ")"
    values_text = "values=tensor(" + array_str(to_host(with_values._data), indent + len("values=tensor(")) + ")"
    suffixes = [f"size={tuple(t.shape)}", f"nnz={_nnz(t)}", "layout=torch.sparse_coo"]
    if t.device.type != "cpu":
        suffixes.insert(0, f"device='{t.device}'")
    if t.dtype is not _dtype.get_default_dtype():
        suffixes.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name().rpartition('::')[2]}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(
        "tensor(" + indices_text + ",\n" + " " * indent + values_text, suffixes, indent, force_newline=True
    )


METHODS.update(
    {
        "indices": indices,
        "values": values,
        "_indices": _indices,
        "_values": _values,
        "coalesce": coalesce,
        "is_coalesced": is_coalesced,
        "sparse_dim": sparse_dim,
        "dense_dim": dense_dim,
        "_nnz": _nnz,
        "to_dense": to_dense,
        "to_sparse": to_sparse,
        "sparse_mask": sparse_mask,
        "smm": smm,
        "sspaddmm": sspaddmm,
        "to_sparse_coo": lambda self: to_sparse(self),
    }
)
TORCH_FUNCTIONS = {"sparse_coo_tensor": sparse_coo_tensor, "spmm": spmm, "smm": smm, "sspaddmm": sspaddmm}
