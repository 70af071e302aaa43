"""Lookup ops (nn.functional.embedding, one_hot): forward and backward together."""
import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Op
from ..autograd.grad_mode import no_grad
from ._registry import torch_api

__all__ = ["embedding", "one_hot"]


def _row_counts(xp, flat_indices, num_rows):
    return xp.bincount(flat_indices, minlength=num_rows)


class Embedding(Op):
    """weight[indices]; the backward adds each output row's grad into its weight row (padding row: none)."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.num_rows = indices, weight.shape[0]
        ctx.padding_idx, ctx.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return array_module(weight).take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, g):
        return EmbeddingBackward.apply(g, ctx.indices, ctx.num_rows, ctx.padding_idx, ctx.scale_grad_by_freq), \
            None, None, None


class EmbeddingBackward(Op):
    @staticmethod
    def forward(ctx, g, indices, num_rows, padding_idx, scale_grad_by_freq):
        xp = array_module(g)
        ctx.indices, ctx.padding_idx, ctx.scale_grad_by_freq = indices, padding_idx, scale_grad_by_freq
        flat = indices.reshape(-1)
        rows = g.reshape(flat.shape[0], -1)
        if scale_grad_by_freq:
            ctx.counts = _row_counts(xp, flat, num_rows)
            rows = rows / ctx.counts[flat][:, None]
        out = xp.zeros((num_rows, rows.shape[1]), g.dtype)
        xp.add.at(out, flat, rows)
        if padding_idx is not None:
            out[padding_idx] = 0
        return out

    @staticmethod
    def backward(ctx, gg):
        # the backward is linear in g: its own derivative looks up the same rows
        picked = Embedding.apply(gg, ctx.indices, None, False)
        keep = np.ones(ctx.indices.shape + (1,), dtype=gg._data.dtype)
        if ctx.padding_idx is not None:
            keep[ctx.indices == ctx.padding_idx] = 0
        if ctx.scale_grad_by_freq:
            keep = keep / ctx.counts[ctx.indices][..., None]
        return picked * Tensor._make(keep), None, None, None, None


def _check_indices(input, num_rows):
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype} instead (while checking arguments for embedding; "
                           f"convert the indices with .long())")
    if input.numel():
        lo, hi = int(input._data.min()), int(input._data.max())
        if lo < 0 or hi >= num_rows:
            bad = lo if lo < 0 else hi
            raise IndexError(f"index out of range in self (embedding got index {bad}, the weight has "
                             f"{num_rows} rows: valid indices are 0..{num_rows - 1})")


def _renorm_rows(weight, indices, max_norm, norm_type):
    """torch's embedding_renorm_: rows that are looked up and longer than max_norm are scaled down, in place."""
    xp = array_module(weight._data)
    rows = xp.unique(indices.reshape(-1))
    with no_grad():
        w = weight._data
        norms = xp.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
        too_long = norms > max_norm
        scale = (max_norm / (norms[too_long] + 1e-7)).astype(w.dtype)
        w[rows[too_long]] *= scale[:, None]
        weight._vc[0] += 1


@torch_api(method=False)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    num_rows = weight.shape[0]
    if padding_idx is not None:
        if not -num_rows <= padding_idx < num_rows:
            raise AssertionError(f"Padding_idx must be within num_embeddings (got padding_idx={padding_idx} for "
                                 f"{num_rows} embeddings)")
        padding_idx = padding_idx % num_rows
    _check_indices(input, num_rows)
    if max_norm is not None:
        _renorm_rows(weight, input._data, max_norm, norm_type)
    return Embedding.apply(weight, input._data, padding_idx, scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype.name != "int64":
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor. (got {tensor.dtype})")
    data = tensor._data
    xp = array_module(data)
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    if data.size:
        if int(data.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(data.max()) >= num_classes:
            raise RuntimeError(f"Class values must be smaller than num_classes. (got class {int(data.max())} with "
                               f"num_classes={num_classes})")
    out = (data[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out)
