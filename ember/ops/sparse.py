"""Lookup ops (nn.functional.embedding, embedding_bag, one_hot): forward and backward together."""

import warnings

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Op
from ..autograd.grad_mode import no_grad
from ._registry import torch_api

__all__ = ["embedding", "embedding_bag", "one_hot"]


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
        return (
            EmbeddingBackward.apply(g, ctx.indices, ctx.num_rows, ctx.padding_idx, ctx.scale_grad_by_freq),
            None,
            None,
            None,
        )


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
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {input.dtype} instead (while checking arguments for embedding; "
            f"convert the indices with .long())"
        )
    if input.numel():
        lo, hi = int(input._data.min()), int(input._data.max())
        if lo < 0 or hi >= num_rows:
            bad = lo if lo < 0 else hi
            raise IndexError(
                f"index out of range in self (embedding got index {bad}, the weight has "
                f"{num_rows} rows: valid indices are 0..{num_rows - 1})"
            )


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
        weight._version_counter[0] += 1


@torch_api(method=False)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    num_rows = weight.shape[0]
    if padding_idx is not None:
        if not -num_rows <= padding_idx < num_rows:
            raise AssertionError(
                f"Padding_idx must be within num_embeddings (got padding_idx={padding_idx} for {num_rows} embeddings)"
            )
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
            raise RuntimeError(
                f"Class values must be smaller than num_classes. (got class {int(data.max())} with "
                f"num_classes={num_classes})"
            )
    out = (data[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out)


class _Bags:
    """The bags of an embedding_bag call as flat arrays: the looked-up rows that count (padding dropped), the
    bag of each, and per bag its number of rows and where they start."""

    def __init__(self, indices, offsets, num_bags, end, padding_idx, num_rows):
        xp = array_module(indices)
        position = xp.arange(len(indices))
        bag = xp.searchsorted(offsets[1:num_bags], position, side="right")
        self.keep = position < end  # with include_last_offset, rows after the last offset are in no bag
        if padding_idx is not None:
            self.keep &= indices != padding_idx
        self.rows, self.bag = indices[self.keep], bag[self.keep]
        self.num_bags, self.num_rows = num_bags, num_rows
        self.count = xp.bincount(self.bag, minlength=num_bags)
        self.counts_of_rows = xp.bincount(indices, minlength=num_rows)  # for scale_grad_by_freq


class EmbeddingBag(Op):
    """Per bag, the sum (optionally per_sample_weights-weighted), mean or max of its rows of weight (an empty bag
    gives zeros); in max mode the gradient goes to each feature's maximal row."""

    inputs = (0, 1)  # weight and per_sample_weights, as torch's node

    @staticmethod
    def forward(ctx, weight, per_sample_weights, bags, mode, scale_grad_by_freq):
        xp = array_module(weight)
        ctx.bags, ctx.mode, ctx.scale_grad_by_freq = bags, mode, scale_grad_by_freq
        picked = weight[bags.rows]
        out = xp.zeros((bags.num_bags, weight.shape[1]), weight.dtype)
        if mode == "max":
            if len(bags.rows):
                starts = xp.concatenate([xp.zeros(1, np.int64), xp.cumsum(bags.count)[:-1]])
                filled = bags.count > 0
                out[filled] = xp.maximum.reduceat(picked, starts[filled], axis=0)
                # the first row reaching each bag's maximum, per feature
                hit = picked == out[bags.bag]
                position = xp.where(hit, xp.arange(len(picked))[:, None], len(picked))
                first = xp.minimum.reduceat(position, starts[filled], axis=0)
                ctx.argmax = (
                    bags.rows[first],
                    xp.arange(weight.shape[1])[None, :].repeat(len(first), 0),
                    xp.nonzero(filled)[0],
                )
            return out
        if per_sample_weights is not None:
            picked = picked * per_sample_weights[bags.keep][:, None]
        xp.add.at(out, bags.bag, picked)
        if mode == "mean":
            out /= xp.maximum(bags.count, 1)[:, None].astype(out.dtype)
        ctx.save_for_backward(weight, per_sample_weights)
        return out

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros

        bags = ctx.bags
        rows, bag = Tensor._make(bags.rows), Tensor._make(bags.bag)
        if ctx.mode == "max":
            gw = zeros((bags.num_rows, g.shape[1]), dtype=g.dtype)
            if len(bags.rows):
                word, feature, filled = ctx.argmax
                gw = gw.index_put((Tensor._make(word), Tensor._make(feature)), g[Tensor._make(filled)], accumulate=True)
            return gw, None, None, None, None
        weight, per_sample_weights = ctx.saved_tensors
        per_row = g[bag]
        scale = np.ones(len(bags.rows), g._data.dtype)
        if ctx.mode == "mean":
            scale = scale / bags.count[bags.bag]
        if ctx.scale_grad_by_freq:
            scale = scale / bags.counts_of_rows[bags.rows]
        gw = gpsw = None
        if ctx.needs_input_grad[0]:
            contribution = per_row * Tensor._make(scale.astype(g._data.dtype)[:, None])
            if per_sample_weights is not None:
                contribution = contribution * per_sample_weights[Tensor._make(bags.keep)].unsqueeze(1)
            gw = zeros((bags.num_rows, g.shape[1]), dtype=g.dtype).index_add(0, rows, contribution)
        if per_sample_weights is not None and ctx.needs_input_grad[1]:
            dots = (per_row * weight[rows]).sum(1)
            gpsw = zeros(tuple(per_sample_weights.shape), dtype=g.dtype).index_put(
                (Tensor._make(np.nonzero(bags.keep)[0]),), dots
            )
        return gw, gpsw, None, None, None


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    if weight.dtype.name == "int64" and input.is_floating_point():
        warnings.warn(
            "Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
            "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
            stacklevel=2,
        )
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
            f"must have the same shape as the input ({input.shape})"
        )
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                f"fixed length sequences. However, found offsets of type {type(offsets)}"
            )
        offsets_array = np.arange(0, input.numel(), input.shape[1], dtype=np.int64)
        include_last_offset = False
        indices = input._data.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        offsets_array, indices = offsets._data.astype(np.int64), input._data
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    _check_indices(input, weight.shape[0])
    if len(offsets_array) and offsets_array[0] != 0:
        raise RuntimeError(
            f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
            f"position 0. However, got {int(offsets_array[0])}"
        )
    if len(offsets_array) and offsets_array[-1] > len(indices):
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {len(indices)}, but got "
            f"offsets[-1] of {int(offsets_array[-1])}"
        )
    if max_norm is not None:
        _renorm_rows(weight, indices, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            f"GitHub."
        )
    num_rows = weight.shape[0]
    if padding_idx is not None:
        if not -num_rows <= padding_idx < num_rows:
            raise AssertionError(
                f"padding_idx must be within the number of embeddings (got padding_idx="
                f"{padding_idx} for {num_rows} embeddings)"
            )
        padding_idx %= num_rows
    num_bags = len(offsets_array) - 1 if include_last_offset else len(offsets_array)
    end = int(offsets_array[-1]) if include_last_offset and len(offsets_array) else len(indices)
    bags = _Bags(indices.astype(np.int64), offsets_array, num_bags, end, padding_idx, num_rows)
    return EmbeddingBag.apply(weight, per_sample_weights, bags, mode, scale_grad_by_freq)
