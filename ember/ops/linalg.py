"""Matrix products and linear algebra (numpy.linalg underneath), with torch's shape rules."""

import numpy as np

from .. import _dtype
from .._backend import array_module, diagonal_view, is_half_precision, matmul as array_matmul
from ..autograd.function import Op, renamed
from ..amp.autocast_mode import low_precision
from ._registry import named, torch_api
from .._tensor import Tensor
from .reduce import widened


_CPP_TYPE_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
}


def _kernel_of(a, b):
    """Which of torch's kernels a product of these ranks runs: its name in torch's error messages."""
    if a.dim() == 1 and b.dim() == 1:
        return "dot"
    if a.dim() == 2 and b.dim() == 1:
        return "addmv"
    return "mm" if a.dim() <= 2 and b.dim() <= 2 else "bmm"


def _check_float_pair(op, a, b):
    """torch's dtype checks of a matrix product, with the message of the kernel it runs."""
    kernel = _kernel_of(a, b)
    if a.dtype is not b.dtype:
        names = [_dtype.scalar_type_name(t.dtype) for t in (a, b)]
        raise RuntimeError(
            {
                "dot": f"dot : expected both vectors to have same dtype, but found {names[0]} and {names[1]}",
                "addmv": (
                    f"addmv input tensors must have the same dtype, but got {names[1]}, {names[0]}, and {names[1]}"
                ),
                "mm": f"expected m1 and m2 to have the same dtype, but got: {_CPP_TYPE_NAMES[a.dtype.name]} != "
                f"{_CPP_TYPE_NAMES[b.dtype.name]}",
                "bmm": f"expected scalar type {names[0]} but found {names[1]}",
            }[kernel]
            + f" ({op} of {a.dtype} and {b.dtype}: convert one operand with .to(other.dtype))"
        )
    if a.dtype is _dtype.bool:
        kernel_name = {"mm": "addmm_impl_cpu_", "addmv": "addmv_impl_cpu"}.get(kernel, kernel)
        raise NotImplementedError(
            f"\"{kernel_name}\" not implemented for 'Bool' ({op} of bool tensors: convert with .int() or .float())"
        )
    if a.device != b.device:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, "
            f"{a.device} and {b.device}! ({op})"
        )


# torch's grad_fn names for matmul by operand dims (it dispatches to mm, mv, dot, or views around bmm)
_MATMUL_NODE_NAMES = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0", (1, 2): "SqueezeBackward4"}


class MatMul(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, a, b):
        if ctx._record:
            ctx.save_for_backward(b if ctx.needs_input_grad[0] else None, a if ctx.needs_input_grad[1] else None)
            ctx.b_transposed = _transposed(b)
            if type(ctx) is MatMul:
                ctx.__class__ = _MATMUL_NODES.get((a.ndim, b.ndim), _MATMUL_BATCHED)
        return array_matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        a_1d, b_1d = len(ctx._in_meta[0][0]) == 1, len(ctx._in_meta[1][0]) == 1
        if not isinstance(g, Tensor):  # the engine's array mode (no create_graph)
            if g.ndim == 2 and len(ctx._in_meta[0][0]) == 2 and len(ctx._in_meta[1][0]) == 2:
                return (None if b is None else array_matmul(g, b.T)), _grad_in_layout(a, g, ctx.b_transposed)
            g, b, a = (None if v is None else Tensor._make(v) for v in (g, b, a))
        # 1-D operands are treated as a row (left) or column (right) matrix, then squeezed back
        g2 = g.unsqueeze(-1) if b_1d else g
        g2 = g2.unsqueeze(-2) if a_1d else g2
        ga = gb = None
        if b is not None:
            ga = g2.matmul((b.unsqueeze(-1) if b_1d else b).transpose(-1, -2))
            ga = ga.squeeze(-2) if a_1d else ga
        if a is not None:
            gb = (a.unsqueeze(0) if a_1d else a).transpose(-1, -2).matmul(g2)
            gb = gb.squeeze(-1) if b_1d else gb
        return ga, gb


_MATMUL_NODES = {dims: renamed(MatMul, name) for dims, name in _MATMUL_NODE_NAMES.items()}
_MATMUL_BATCHED = renamed(MatMul, "UnsafeViewBackward0")


def _matmul_shapes_error(op, a, b):
    return RuntimeError(
        f"{op}: mat1 and mat2 shapes cannot be multiplied "
        f"({'x'.join(map(str, a.shape))} and {'x'.join(map(str, b.shape))})"
    )


@torch_api()
def matmul(input, other):
    input, other = low_precision(input, other)
    _check_float_pair("matmul", input, other)
    if input.dim() == 0 or other.dim() == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {input.dim()}D and {other.dim()}D"
        )
    k_a = input.shape[-1]
    k_b = other.shape[0] if other.dim() == 1 else other.shape[-2]
    if k_a != k_b:
        raise _matmul_shapes_error("matmul", input.reshape(-1, k_a) if input.dim() == 1 else input, other)
    if input.dim() > 2 or other.dim() > 2:
        try:
            np.broadcast_shapes(tuple(input.shape[:-2]), tuple(other.shape[:-2]))
        except ValueError:
            raise RuntimeError(
                f"matmul: batch dimensions {list(input.shape[:-2])} and {list(other.shape[:-2])} cannot be broadcast"
            ) from None
    return MatMul.apply(input, other)


@torch_api()
def mm(input, mat2):
    input, mat2 = low_precision(input, mat2)
    if input.dim() != 2 or mat2.dim() != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got {input.dim()}-D and {mat2.dim()}-D")
    if input.shape[1] != mat2.shape[0]:
        raise _matmul_shapes_error("mm", input, mat2)
    _check_float_pair("mm", input, mat2)
    return MatMul.apply(input, mat2)


@torch_api()
def bmm(input, mat2):
    input, mat2 = low_precision(input, mat2)
    if input.dim() != 3 or mat2.dim() != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (bmm got {input.dim()}-D and {mat2.dim()}-D)")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}]."
        )
    _check_float_pair("bmm", input, mat2)
    return Bmm.apply(input, mat2)


class Bmm(MatMul):
    pass


@torch_api()
def mv(input, vec):
    if input.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.dim()}, {vec.dim()}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0]}), mat ({input.shape[0]}x{input.shape[1]}), "
            f"vec ({vec.shape[0]})"
        )
    _check_float_pair("mv", input, vec)
    return MatMul.apply(input, vec)


@torch_api()
def dot(input, tensor):
    if input.dim() != 1 or tensor.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {tensor.dim()}D tensors")
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{tensor.shape[0]}] "
            "to have the same number of elements, but got different."
        )
    _check_float_pair("dot", input, tensor)
    return MatMul.apply(input, tensor)


@torch_api()
def inner(input, other):
    """Sum over the last dims of both, outer over the rest (torch.inner); a 0-d operand scales the other."""
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([input.dim() - 1], [other.dim() - 1]))


torch_api("vdot")(dot)


class Addmm(Op):
    """input + mat1 @ mat2 as one node (nn.Linear's bias + x @ W^T): one GEMM, the sum written in place."""

    array_backward = True

    @staticmethod
    def forward(ctx, input, mat1, mat2):
        if ctx._record:
            ctx.save_for_backward(mat2 if ctx.needs_input_grad[1] else None, mat1 if ctx.needs_input_grad[2] else None)
            ctx.mat2_transposed = _transposed(mat2)
        if is_half_precision(mat1.dtype):  # as torch's kernel: the sum in float32, rounded once
            return (array_matmul(widened(mat1), widened(mat2)) + input).astype(mat1.dtype)
        y = array_matmul(mat1, mat2)
        y += input
        return y

    @staticmethod
    def backward(ctx, g):
        mat2, mat1 = ctx.saved_tensors  # the engine sums g down to input's shape
        if isinstance(g, Tensor):
            return g, (None if mat2 is None else g.matmul(mat2.t())), (None if mat1 is None else mat1.t().matmul(g))
        return g, (None if mat2 is None else array_matmul(g, mat2.T)), _grad_in_layout(mat1, g, ctx.mat2_transposed)


def _transposed(a):
    """Whether a 2-D array is a transposed view (weight.t()): its gradient is best made in that layout."""
    return a.ndim == 2 and not a.flags.c_contiguous and a.flags.f_contiguous


def _grad_in_layout(a, g, transposed):
    """a.T @ g, the gradient of the right operand; for a transposed operand computed as (g.T @ a).T, as
    torch's mm_mat2_backward does, so that after TBackward the weight's gradient is a contiguous array
    that AccumulateGrad keeps without a copy."""
    if a is None:
        return None
    return array_matmul(g.T, a).T if transposed else array_matmul(a.T, g)


def fused_addmm(input, mat1, mat2):
    """Addmm when it applies (checked 2-D operands, one dtype, input broadcasting to the product), else None."""
    a, m1, m2 = input._data, mat1._data, mat2._data
    if a.dtype != m1.dtype or type(a) is not type(m1) or (type(a) is not np.ndarray and input.device != mat1.device):
        return None
    shape = (m1.shape[0], m2.shape[1])
    if a.shape != shape and a.shape != shape[1:]:  # bias (M,) or a full (N, M); else the general path
        try:
            if np.broadcast_shapes(a.shape, shape) != shape:
                return None
        except ValueError:
            return None
    return Addmm.apply(input, mat1, mat2)


@torch_api(inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    input, mat1, mat2 = low_precision(input, mat1, mat2)
    if beta == 1 and alpha == 1:
        fused = fused_addmm(input, mat1, mat2)
        if fused is not None:
            return fused
    return named(_scaled_sum(input, mm(mat1, mat2), beta, alpha), "AddmmBackward0")


def _scaled_sum(input, prod, beta, alpha):
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:  # torch ignores input entirely then (nan/inf in it do not propagate)
        return prod
    return (input * beta if beta != 1 else input) + prod


@torch_api(inplace=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    input, batch1, batch2 = low_precision(input, batch1, batch2)
    return named(_scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha), "AddbmmBackward0")


@torch_api(inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    input, batch1, batch2 = low_precision(input, batch1, batch2)
    return named(_scaled_sum(input, bmm(batch1, batch2), beta, alpha), "BaddbmmBackward0")


@torch_api(inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    return named(_scaled_sum(input, mv(mat, vec), beta, alpha), "AddmvBackward0")


@torch_api(inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha)


@torch_api(aliases=("ger",))
def outer(input, vec2):
    for name, t in (("self", input), ("vec2", vec2)):
        if t.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.dim()}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


@torch_api()
def cross(input, other, dim=None):
    if dim is None:
        dim = next(i for i, s in enumerate(input.shape) if s == 3)
    d = input._dim(dim)
    if input.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {d} must have length 3. Got {input.shape[d]} and {other.shape[d]}"
        )
    a = [input.select(d, i) for i in range(3)]
    b = [other.select(d, i) for i in range(3)]
    from .shape import stack

    return stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], d)


@torch_api()
def trace(input):
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return named(input.diagonal().sum(), "TraceBackward0")


def diagonal_backward(g, in_shape, offset, dim1, dim2):
    return DiagonalBackward.apply(g, in_shape, offset, dim1, dim2)


class DiagonalBackward(Op):
    @staticmethod
    def forward(ctx, g, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = array_module(g).zeros(shape, g.dtype)
        diagonal_view(out, offset, dim1, dim2)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg.diagonal(*ctx.args), None, None, None, None


@torch_api()
def diag(input, diagonal=0):
    if input.dim() == 1:
        n = input.shape[0] + abs(diagonal)
        return DiagonalBackward.apply(input, (n, n), diagonal, 0, 1)
    if input.dim() == 2:
        return input.diagonal(diagonal).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")


@torch_api()
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input.shape[-1] + abs(offset)
    shape = tuple(input.shape[:-1]) + (n, n)
    return DiagonalBackward.apply(
        input, shape, offset, len(shape) + dim1 if dim1 < 0 else dim1, len(shape) + dim2 if dim2 < 0 else dim2
    )


@torch_api()
def diagflat(input, offset=0):
    return diag(input.reshape(-1), offset)


class TriMask(Op):
    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        xp = array_module(x)
        return xp.triu(x, diagonal) if upper else xp.tril(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        return (g.triu(ctx.diagonal) if ctx.upper else g.tril(ctx.diagonal)), None, None


class Triu(TriMask):
    pass


class Tril(TriMask):
    pass


@torch_api(inplace=True)
def triu(input, diagonal=0):
    if input.dim() < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, diagonal, True)


@torch_api(inplace=True)
def tril(input, diagonal=0):
    if input.dim() < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal, False)


@torch_api(method=False)
def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    r, c = np.tril_indices(row, offset, col)
    return _index_pairs(np.stack([r, c]), dtype, device, layout, pin_memory, "tril_indices")


@torch_api(method=False)
def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    r, c = np.triu_indices(row, offset, col)
    return _index_pairs(np.stack([r, c]), dtype, device, layout, pin_memory, "triu_indices")


def _index_pairs(pairs, dtype, device, layout, pin_memory, op):
    from .creation import _finish
    from .._formats import check_factory

    check_factory(op, layout, pin_memory)
    return _finish(pairs, dtype if dtype is not None else _dtype.int64, device)


def _square(op, input):
    if input.dim() < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError(
            f"linalg.{op}: A must be batches of square matrices, but they are "
            f"{input.shape[-2] if input.dim() >= 2 else input.shape} by "
            f"{input.shape[-1] if input.dim() else 1} matrices"
        )
    if input._data.dtype not in _dtype._DIFFERENTIABLE_NP:
        raise RuntimeError(
            f"linalg.{op}: Expected a floating point or complex tensor as input. Got "
            f"{_dtype.scalar_type_name(input.dtype)}"
        )


class Inverse(Op):
    _node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, x, op_name="linalg.inv"):
        try:
            y = array_module(x).linalg.inv(x)
        except np.linalg.LinAlgError:
            from .solvers import LinAlgError, lu_factor_array, _first_failure, _batch_prefix

            index, k = _first_failure(lu_factor_array(x)[2])
            raise LinAlgError(
                f"{op_name}: {_batch_prefix(index, x.shape[:-2])}The diagonal element {k} is zero, the "
                "inversion could not be completed because the input matrix is singular."
            ) from None
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        yt = y.transpose(-1, -2)
        return -yt.matmul(g).matmul(yt), None


@torch_api()
def inverse(input):
    _square("inv", input)
    return Inverse.apply(input, "linalg.inv")


class Det(Op):
    _node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, x):
        y = array_module(x).linalg.det(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g * y).unsqueeze(-1).unsqueeze(-1) * x.inverse().transpose(-1, -2)


@torch_api()
def det(input):
    _square("det", input)
    return Det.apply(input)


@torch_api()
def logdet(input):
    from .elementwise import where

    sign, logabsdet = slogdet(input)
    return where(sign < 0, float("nan"), logabsdet)


@torch_api()
def slogdet(input):
    _square("slogdet", input)
    from .solvers import Slogdet
    from ..return_types import return_type

    return return_type("slogdet", ["sign", "logabsdet"])(*Slogdet.apply(input))


def _real_only_backward(ctx, name):
    """The decompositions with conjugate transposes in them (A = U S V^H, Q^H Q = I, ...) are not holomorphic,
    and ember writes only their real backward."""
    if ctx._in_meta[0][1].kind == "c":
        raise NotImplementedError(
            f"ember: the gradient of {name} for complex input is not implemented (the "
            "forward is; take real and imaginary parts apart, or detach)"
        )


class SVD(Op):
    _node_name = "LinalgSvdBackward0"
    wirtinger = False

    @staticmethod
    def forward(ctx, x, full_matrices):
        u, s, vh = array_module(x).linalg.svd(x, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        # torch's svd_backward for the reduced factorisation (linalg/FunctionsManual.cpp), real case; with
        # full_matrices the columns past min(m, n) are arbitrary, and like torch it drops them first
        _real_only_backward(ctx, "svd")
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
        v, gv = vh.mT, gvh.mT
        m, n = u.shape[-2], vh.shape[-1]
        uh_gu, vh_gv = u.mT.matmul(gu), v.mT.matmul(gv)
        uh_gu, vh_gv = uh_gu - uh_gu.mT, vh_gv - vh_gv.mT
        s2 = s * s
        from .creation import eye

        e = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye(k, dtype=s.dtype, device=s.device)
        inner = (uh_gu * s.unsqueeze(-2) + s.unsqueeze(-1) * vh_gv) / e + gs.diag_embed()
        if m > n:
            gu_sinv = gu / s.unsqueeze(-2)
            ga = (u.matmul(inner) + gu_sinv - u.matmul(u.mT.matmul(gu_sinv))).matmul(vh)
        elif m < n:
            sinv_gvh = gv.mT / s.unsqueeze(-1)
            ga = u.matmul(inner.matmul(vh) + sinv_gvh - sinv_gvh.matmul(v).matmul(vh))
        else:
            ga = u.matmul(inner).matmul(vh)
        return ga, None


@torch_api()
def svd(input, some=True, compute_uv=True):
    from ..return_types import return_type

    u, s, vh = SVD.apply(input, not some)
    if not compute_uv:  # torch gives zero-filled U and V then (and S without a gradient to them)
        u, vh = u.detach() * 0, vh.detach() * 0
    return return_type("svd", ["U", "S", "V"])(u, s, vh.transpose(-1, -2))


class QR(Op):
    _node_name = "LinalgQrBackward0"
    wirtinger = False

    @staticmethod
    def forward(ctx, x, mode, r_only=False):
        q, r = array_module(x).linalg.qr(x, mode=mode)
        ctx.complete_tall = mode == "complete" and x.shape[-2] > x.shape[-1]
        ctx.r_only = r_only
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        _real_only_backward(ctx, "qr")
        if ctx.r_only:
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                "linalg.qr."
            )
        if ctx.complete_tall:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        q, r = ctx.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if m >= n:
            return _qr_backward_tall(q, r, gq, gr), None, None
        # wide: A = [X | Y], R = [U | V] with X = Q U square; Y = Q V adds Y gV^T to Q's gradient
        u, v, gu, gv = r[..., :m], r[..., m:], gr[..., :m], gr[..., m:]
        y = q.matmul(v)
        gx = _qr_backward_tall(q, u, gq + y.matmul(gv.mT), gu)
        from .shape import cat

        return cat([gx, q.matmul(gv)], -1), None, None


def _qr_backward_tall(q, r, gq, gr):
    """Reduced QR backward for m >= n (Walter & Lehmann): gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    m = r.matmul(gr.mT) - gq.mT.matmul(q)
    copyltu = m.tril(-1) + m.tril(-1).mT + m.diagonal(0, -2, -1).diag_embed()
    from ..linalg import solve_triangular

    return solve_triangular(r.mT, gq + q.matmul(copyltu), upper=False, left=False)


@torch_api()
def qr(input, some=True):
    from ..return_types import return_type

    q, r = QR.apply(input, "reduced" if some else "complete")
    return return_type("qr", ["Q", "R"])(q, r)


@torch_api(method=False)
def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return Einsum.apply(*operands, equation=equation)


class Einsum(Op):
    @staticmethod
    def forward(ctx, *arrays, equation):
        eq = _explicit_equation(equation.replace(" ", ""), [a.ndim for a in arrays])
        ctx.eq = eq
        ctx.save_for_backward(*arrays)
        # NumPy's einsum has no bfloat16 loops: half precision computes in float32 and rounds once, as torch
        out = array_module(arrays[0]).einsum(eq, *[widened(a) for a in arrays], optimize=True)
        return out.astype(arrays[0].dtype, copy=False) if is_half_precision(arrays[0].dtype) else out

    @staticmethod
    def backward(ctx, g):
        ins, out = ctx.eq.split("->")
        terms = ins.split(",")
        ops = ctx.saved_tensors
        grads = []
        for i, term in enumerate(terms):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            shape = ctx._in_meta[i][0]
            size = dict(zip(term, shape))
            others = [t for j, t in enumerate(terms) if j != i]
            other_ops = [o for j, o in enumerate(ops) if j != i]
            letters = "".join(dict.fromkeys(term))  # each letter once, in order
            seen = out + "".join(others)
            # letters of this operand that appear nowhere else were summed out: restore them by broadcasting
            partial = einsum(",".join([out] + others) + "->" + "".join(c for c in letters if c in seen), g, *other_ops)
            for k, c in enumerate(letters):
                if c not in seen:
                    partial = partial.unsqueeze(k)
            # a letter of size 1 here may be broadcast against a longer one elsewhere: the engine sums it back
            partial = partial.expand(*(max(size[c], n) for c, n in zip(letters, partial.shape)))
            if len(letters) < len(term):
                partial = _onto_diagonals(partial, letters, term, ctx.eq, size)
            grads.append(partial)
        return tuple(grads)


def _explicit_equation(eq, ndims):
    """The equation with '...' spelled out in unused letters and the output always given, so that
    backward can treat every dimension as a named one. Ellipsis dims are right-aligned across
    operands, and the implicit output is the ellipsis dims then the once-used letters, sorted."""
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if "..." in eq:
        fresh = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in eq]
        widths = [nd - len(t.replace("...", "")) if "..." in t else 0 for t, nd in zip(terms, ndims)]
        width = max(widths, default=0)
        if width > len(fresh):
            raise RuntimeError(f"einsum(): too many dimensions under '...' in {eq!r}")
        span = "".join(fresh[:width])
        terms = [t.replace("...", span[width - w :]) for t, w in zip(terms, widths)]
        rhs = rhs.replace("...", span) if arrow else span + rhs
        lhs = ",".join(terms)
    if not arrow:
        flat = lhs.replace(",", "")
        rhs += "".join(sorted(c for c in set(flat) if flat.count(c) == 1 and c not in rhs))
    return lhs + "->" + rhs


def _onto_diagonals(partial, letters, term, equation, size):
    """A letter repeated in an operand (einsum('ii->i')) reads a diagonal: its gradient goes back onto
    that diagonal, by renaming each repeat and multiplying by an identity matrix."""
    from .creation import eye

    fresh = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in equation)
    renamed, eyes, factors = "", [], []
    for c in term:
        if c in renamed or c in [f[0] for f in factors]:
            r = next(fresh)
            factors.append(c + r)
            eyes.append(eye(size[c], dtype=partial.dtype, device=partial.device))
            renamed += r
        else:
            renamed += c
    return einsum(",".join([letters] + factors) + "->" + renamed, partial, *eyes)


@torch_api(method=False)
def tensordot(a, b, dims=2):
    if isinstance(dims, int):
        da, db = list(range(a.dim() - dims, a.dim())), list(range(dims))
    else:
        da, db = [list(d) if isinstance(d, (list, tuple)) else [d] for d in dims]
    free_a = [i for i in range(a.dim()) if i not in da]
    free_b = [i for i in range(b.dim()) if i not in db]
    ka = int(np.prod([a.shape[i] for i in da])) if da else 1
    am = a.permute(*free_a, *da).reshape(-1, ka)
    bm = b.permute(*db, *free_b).reshape(ka, -1)
    return am.matmul(bm).reshape(*[a.shape[i] for i in free_a], *[b.shape[i] for i in free_b])


@torch_api(method=False)
def cdist(x1, x2, p=2.0):
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if is_half_precision(x1._data.dtype):
        raise NotImplementedError(f"\"cdist\" not implemented for '{_dtype.scalar_type_name(x1.dtype)}'")
    # the norm's backward is torch's cdist backward: no gradient at a zero distance (x1 row == x2 row)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 0:
        from .reduce import NormP

        return NormP.apply(diff, 0, (diff.dim() - 1,), False, True)
    return diff.norm(p=p, dim=-1)


@torch_api()
def matrix_power(input, n):
    _square("matrix_power", input)
    if n == 0:
        from .creation import eye

        return eye(input.shape[-1], dtype=input.dtype, device=input.device).expand(input.shape).clone()
    if n < 0:
        input, n = input.inverse(), -n
    out = input
    for _ in range(n - 1):
        out = out.matmul(input)
    return out


@torch_api()
def cholesky(input, upper=False):
    from .solvers import Cholesky

    _square("cholesky", input)
    lower = named(Cholesky.apply(input, "cholesky"), "CholeskyBackward0")
    return lower.mT if upper else lower
