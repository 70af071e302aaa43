"""Linear maps (nn.functional.linear, bilinear): compositions of ember's matmul/einsum."""

from .linalg import matmul, einsum, mm, fused_addmm
from ._registry import named
from ..amp.autocast_mode import low_precision

__all__ = ["linear", "bilinear"]


def _shape_text(shape):
    return "x".join(map(str, shape))


def linear_shape_error(input, weight, layer=None):
    """torch's mat1/mat2 message, prefixed with the layer and what it expected when a module calls."""
    if input.dim() == 0:
        return RuntimeError(
            f"{layer or 'linear'}: both arguments to linear need to be at least 1D, but they are 0D and {weight.dim()}D"
        )
    rows = 1
    for s in input.shape[:-1]:
        rows *= s
    core = (
        f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1] if input.dim() else 1} and "
        f"{_shape_text(tuple(weight.shape)[::-1])})"
    )
    if layer is None:
        return RuntimeError(
            f"linear: {core}; input of shape {tuple(input.shape)}, weight of shape "
            f"{tuple(weight.shape)} (out_features x in_features)"
        )
    return RuntimeError(
        f"{layer} got input of shape {tuple(input.shape)}: expected the last dimension to be "
        f"{weight.shape[-1]} (did you forget to flatten?). {core}"
    )


def linear(input, weight, bias=None):
    input, weight, bias = low_precision(input, weight, bias)
    in_shape, w_shape = input._data.shape, weight._data.shape  # (Tensor.shape builds a Size each time)
    if not in_shape or in_shape[-1] != w_shape[-1]:
        raise linear_shape_error(input, weight)
    if len(w_shape) != 2:
        out = matmul(input, weight.t())
        return out if bias is None else out + bias
    # as torch: one 2-D product (so the weight gradient is a single GEMM, not a batch to sum), with the
    # bias added in the same node (AddmmBackward0), viewed back to the input's leading dims
    flat = input.reshape(-1, in_shape[-1]) if len(in_shape) != 2 else input
    out = None if bias is None else fused_addmm(bias, flat, weight.t())
    if out is None:
        out = mm(flat, weight.t())
        if bias is not None:
            out = out + bias
    return out.reshape(in_shape[:-1] + (w_shape[0],)) if len(in_shape) != 2 else out


def bilinear(input1, input2, weight, bias=None):
    if weight.dim() != 3:
        raise RuntimeError(
            f"bilinear(): weight must be three-dimensional (out, in1, in2), got shape {tuple(weight.shape)}"
        )
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected {weight.shape[1]}"
        )
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected {weight.shape[2]}"
        )
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(
            f"bilinear(): input batch dimensions do not match: got {tuple(input1.shape[:-1])} and "
            f"{tuple(input2.shape[:-1])}"
        )
    lead = tuple(input1.shape[:-1])
    # torch's node for the contraction is TrilinearBackward0 (its _trilinear kernel)
    out = named(
        einsum("bi,oij,bj->bo", input1.reshape(-1, weight.shape[1]), weight, input2.reshape(-1, weight.shape[2])),
        "TrilinearBackward0",
    ).reshape(lead + (weight.shape[0],))
    return out if bias is None else out + bias
