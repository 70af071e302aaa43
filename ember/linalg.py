"""torch.linalg: argument checks, torch's return types and errors around the ops of ember/ops/linalg.py
and ember/ops/solvers.py; the rest composed from them (norms, pinv, lstsq, lu_solve, ...)."""

import builtins
import math

import numpy as np

from . import _dtype
from ._backend import array_module
from ._tensor import Tensor
from .ops import linalg as _ops
from .ops import solvers as _solvers
from .ops._registry import FUNCTIONS as _FUNCTIONS, _with_out
from .ops.solvers import LinAlgError  # noqa: F401
from .return_types import return_type

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "householder_product",
    "inv",
    "inv_ex",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]

_check_square, _check_float = _solvers.check_square, _solvers.check_float


def _public(fn):
    """A torch.linalg function: accepts out= as torch's do."""
    wrapped = _with_out(fn)
    wrapped.__module__ = __name__
    return wrapped


def _checked(op, a):
    _check_square(op, a)
    _check_float(op, a)


def _eye_like(a, n=None):
    from .ops.creation import eye

    return eye(a.shape[-1] if n is None else n, dtype=a.dtype, device=a.device)


# --- determinants and inverses ---------------------------------------------------------------------------


@_public
def det(A):
    _checked("linalg.det", A)
    return _ops.Det.apply(A)


@_public
def slogdet(A):
    _checked("linalg.slogdet", A)
    return return_type("linalg_slogdet", ["sign", "logabsdet"])(*_solvers.Slogdet.apply(A))


@_public
def inv(A):
    _checked("linalg.inv", A)
    return _ops.Inverse.apply(A, "linalg.inv")


@_public
def inv_ex(A, *, check_errors=False):
    _checked("linalg.inv_ex", A)
    result = return_type("linalg_inv_ex", ["inverse", "info"])
    _, pivots, info = _solvers.lu_factor_array(A._data)
    if not info.any():
        return result(_ops.Inverse.apply(A), Tensor._make(info))
    if check_errors:
        _ops.Inverse.apply(A, "linalg.inv_ex")  # raises torch's error for the first singular matrix
    # LAPACK's getri on a singular factor: the inverse of the triangular factors, with its inf/nan
    return result(_lu_solve_values(A, _eye_like(A)), Tensor._make(info))


def _lu_solve_values(A, B):
    lu, pivots, _ = _solvers.lu_factor_array(A._data)
    return lu_solve(Tensor._make(lu), Tensor._make(pivots), B).detach()


# --- factorisations ----------------------------------------------------------------------------------------


@_public
def cholesky(A, *, upper=False):
    _checked("linalg.cholesky", A)
    lower = _solvers.Cholesky.apply(A, "linalg.cholesky")
    return lower.mT if upper else lower


@_public
def cholesky_ex(A, *, upper=False, check_errors=False):
    _checked("linalg.cholesky_ex", A)
    result = return_type("linalg_cholesky_ex", ["L", "info"])
    order, partial = _solvers.potf2_array(A._data)
    if not order.any():
        return result(cholesky(A, upper=upper), Tensor._make(order))
    if check_errors:
        _solvers.Cholesky.apply(A, "linalg.cholesky_ex")
    partial = Tensor._make(partial)
    return result(partial.mT if upper else partial, Tensor._make(order))


@_public
def lu_factor_ex(A, *, pivot=True, check_errors=False):
    if A.dim() < 2:
        raise RuntimeError(
            f"torch.linalg.lu_factor: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead"
        )
    _check_float("torch.linalg.lu_factor", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu_, pivots, info = _solvers.LUFactor.apply(A)
    if check_errors:
        _check_lu_info("torch.linalg.lu_factor_ex", A, info)
    return return_type("linalg_lu_factor_ex", ["LU", "pivots", "info"])(lu_, pivots, info)


def _check_lu_info(name, A, info):
    if bool(info.any()):
        index, k = _solvers._first_failure(info._data)
        raise RuntimeError(
            f"{name}: {_solvers._batch_prefix(index, A.shape[:-2])}U[{k},{k}] is zero and using it "
            "on lu_solve would result in a division by zero. If you still want to perform the "
            "factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )


@_public
def lu_factor(A, *, pivot=True):
    lu_, pivots, info = lu_factor_ex(A, pivot=pivot)
    _check_lu_info("torch.linalg.lu_factor", A, info)
    return return_type("linalg_lu_factor", ["LU", "pivots"])(lu_, pivots)


def _unpack(lu_, pivots, unpack_data=True, unpack_pivots=True):
    m, n = lu_.shape[-2:]
    k = builtins.min(m, n)
    P = L = U = lu_.new_empty(0)
    if unpack_pivots:
        P = Tensor._make(
            _solvers.permutation_from_pivots(pivots._data, m, array_module(lu_._data)).astype(lu_._data.dtype)
        )
    if unpack_data:
        L = _solvers._tril_unit(lu_, m, k)
        U = lu_[..., :k, :].triu()
    return P, L, U


@_public
def lu(A, *, pivot=True):
    lu_, pivots, _ = lu_factor_ex(A, pivot=pivot)
    return return_type("linalg_lu", ["P", "L", "U"])(*_unpack(lu_, pivots))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    return return_type("lu_unpack", ["P", "L", "U"])(*_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots))


@_public
def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    P, L, U = _unpack(LU, pivots)
    if left and not adjoint:  # A X = B, A = P L U
        y = solve_triangular(L, P.mT.matmul(B), upper=False, unitriangular=True)
        return solve_triangular(U, y, upper=True)
    if left:  # A^H X = B: X = P L^-H U^-H B
        y = solve_triangular(U.mT, B, upper=False)
        return P.matmul(solve_triangular(L.mT, y, upper=True, unitriangular=True))
    if not adjoint:  # X A = B: X = B U^-1 L^-1 P^T
        y = solve_triangular(U, B, upper=True, left=False)
        return solve_triangular(L, y, upper=False, left=False, unitriangular=True).matmul(P.mT)
    # X A^H = B: X = B P L^-H U^-H
    y = solve_triangular(L.mT, B.matmul(P), upper=True, left=False, unitriangular=True)
    return solve_triangular(U.mT, y, upper=False, left=False)


@_public
def eigh(A, UPLO="L"):
    _checked("linalg.eigh", A)
    _check_uplo(UPLO)
    return return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])(*_solvers.Eigh.apply(A, UPLO, True))


@_public
def eig(A):
    _checked("linalg.eig", A)
    return return_type("linalg_eig", ["eigenvalues", "eigenvectors"])(*_solvers.Eig.apply(A, True))


@_public
def eigvals(A):
    _checked("linalg.eigvals", A)
    return _solvers.Eig.apply(A, False)


@_public
def eigvalsh(A, UPLO="L"):
    _checked("linalg.eigvalsh", A)
    _check_uplo(UPLO)
    return _solvers.Eigh.apply(A, UPLO, False)


def _check_uplo(uplo):
    if uplo not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")


@_public
def qr(A, mode="reduced"):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    if A.dim() < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    _check_float("linalg.qr", A)
    result = return_type("linalg_qr", ["Q", "R"])
    q, r = _ops.QR.apply(A, "complete" if mode == "complete" else "reduced", mode == "r")
    if mode == "r":
        return result(A.new_empty(0), r)
    return result(q, r)


@_public
def svd(A, full_matrices=True, *, driver=None):
    _check_driver(A, driver)
    if A.dim() < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _check_float("linalg.svd", A)
    return return_type("linalg_svd", ["U", "S", "Vh"])(*_ops.SVD.apply(A, full_matrices))


@_public
def svdvals(A, *, driver=None):
    return svd(A, False, driver=driver).S


def _check_driver(A, driver):
    """driver= picks one of cuSOLVER's SVD algorithms in torch: torch refuses it on the CPU, ember's CuPy has no
    choice to make."""
    if driver is None:
        return
    if A.device.type == "cpu":
        raise RuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with cuSOLVER backend."
        )
    raise NotImplementedError(
        f"torch.linalg.svd: driver={driver!r}: ember's CUDA SVD (CuPy's) has no choice of algorithm"
    )


# --- solvers -----------------------------------------------------------------------------------------------


def _vector_rhs(A, B):
    """torch's rule for linalg.solve: B is a (batch of) vector(s) when it is 1-D or has A's shape minus the last dim."""
    return B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


@_public
def solve(A, B, *, left=True):
    return _solve("torch.linalg.solve", A, B, left)


def _solve(name, A, B, left):
    _check_square("linalg.solve", A)
    _check_float("linalg.solve", A)
    if A.dtype is not B.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{_dtype.scalar_type_name(A.dtype)} and B of type {_dtype.scalar_type_name(B.dtype)} "
            "instead"
        )
    vector = _vector_rhs(A, B)
    rhs = B.unsqueeze(-1) if vector else B
    if not left:
        rhs = rhs.mT
        A = A.mT
    if rhs.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {rhs.shape[-2]}x{rhs.shape[-1]})"
        )
    x = _solvers.solve(A, rhs, name)
    if not left:
        x = x.mT
    return x.squeeze(-1) if vector else x


@_public
def solve_ex(A, B, *, left=True, check_errors=False):
    result = return_type("linalg_solve_ex", ["result", "info"])
    _, _, info = _solvers.lu_factor_array(A._data)
    if info.any() and not check_errors:
        rhs = B.unsqueeze(-1) if _vector_rhs(A, B) else B
        x = _lu_solve_values(A if left else A.mT, rhs if left else rhs.mT)
        x = x if left else x.mT
        return result(x.squeeze(-1) if _vector_rhs(A, B) else x, Tensor._make(info))
    return result(_solve("torch.linalg.solve_ex", A, B, left), Tensor._make(info))


@_public
def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    for name, t in (("A", A), ("B", B)):
        if t.dim() < 2:
            raise RuntimeError(f"linalg.solve_triangular: The input tensor {name} must have at least 2 dimensions.")
    _check_square("linalg.solve_triangular", A)
    if A.dtype is not B.dtype:
        raise RuntimeError(
            f"linalg.solve_triangular: Expected A and B to have the same dtype, but found A of type "
            f"{_dtype.scalar_type_name(A.dtype)} and B of type {_dtype.scalar_type_name(B.dtype)}"
        )
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return _solvers.SolveTriangular.apply(A.mT, B.mT, not upper, unitriangular).mT
    if A.shape[-1] != B.shape[-2]:
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    return _solvers.SolveTriangular.apply(A, B, upper, unitriangular)


@_public
def lstsq(A, B, rcond=None, *, driver=None):
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), but got {driver}"
        )
    driver = driver or "gelsy"
    vector = B.dim() == A.dim() - 1
    rhs = B.unsqueeze(-1) if vector else B
    if rhs.shape[-2] != A.shape[-2]:
        raise RuntimeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) (got {A.shape[-2]} and {rhs.shape[-2]})"
        )
    m, n = A.shape[-2:]
    tol = rcond if rcond is not None else float(np.finfo(A._data.dtype).eps) * builtins.max(m, n)
    s = svdvals(A)
    solution = pinv(A, rtol=tol if driver != "gels" else 0.0).matmul(rhs)
    rank = (s > tol * s.amax(-1, keepdim=True)).sum(-1) if s.shape[-1] else s.sum(-1).long()
    empty = A.new_empty(0)
    residuals = empty
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        residuals = ((A.matmul(solution) - rhs) ** 2).sum(-2)
        residuals = residuals.squeeze(-1) if vector else residuals
    if driver == "gels":
        rank = Tensor._make(np.zeros(0, np.int64))
    singular_values = s.detach() if driver in ("gelsd", "gelss") else empty
    return return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])(
        solution.squeeze(-1) if vector else solution, residuals, rank, singular_values
    )


# --- spectral quantities ------------------------------------------------------------------------------------


def _tolerances(A, atol, rtol, s_max):
    """torch's threshold max(atol, rtol * largest singular value); rtol defaults to eps * max(m, n)
    when neither is given, to 0 when only atol is."""
    if rtol is None:
        rtol = float(np.finfo(A._data.dtype).eps) * builtins.max(A.shape[-2:]) if atol is None else 0.0
    threshold = s_max * rtol
    if atol is not None:
        from .ops.elementwise import maximum

        threshold = maximum(threshold, atol) if isinstance(threshold, Tensor) else builtins.max(threshold, atol)
    return threshold


@_public
def pinv(A, *, atol=None, rtol=None, hermitian=False):
    _check_float("linalg.pinv", A)
    from .ops.elementwise import where

    if hermitian:
        w, v = eigh(A)
        threshold = _tolerances(A, atol, rtol, w.abs().amax(-1, keepdim=True))
        w_inv = where(w.abs() > threshold, 1 / w, 0.0)
        return (v * w_inv.unsqueeze(-2)).matmul(v.mT)
    u, s, vh = svd(A, full_matrices=False)
    threshold = _tolerances(A, atol, rtol, s.amax(-1, keepdim=True) if s.shape[-1] else 0.0)
    s_inv = where(s > threshold, 1 / s, 0.0)
    from .ops._registry import named

    return named((vh.mT * s_inv.unsqueeze(-2)).matmul(u.mT), "LinalgPinvBackward0")


@_public
def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    if tol is not None:
        atol, rtol = tol, 0.0
    _check_float("linalg.matrix_rank", A)
    s = eigvalsh(A).abs() if hermitian else svdvals(A)
    s = s.detach()
    threshold = _tolerances(A, atol, rtol, s.amax(-1, keepdim=True) if s.shape[-1] else 0.0)
    return (s > threshold).sum(-1)


@_public
def cond(A, p=None):
    if p in (None, 2, -2):
        s = svdvals(A)
        ratio = s[..., 0] / s[..., -1]
        return 1 / ratio if p == -2 else ratio
    _check_square("linalg.cond", A)
    _, _, info = _solvers.lu_factor_array(A._data)
    if info.any():
        from .ops.creation import full

        return full(tuple(A.shape[:-2]), math.inf, dtype=A.dtype)
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


# --- norms --------------------------------------------------------------------------------------------------


@_public
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        x = x.to(dtype)
    if not x.is_floating_point() and not x.is_complex():
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{_dtype.scalar_type_name(x.dtype)}"
        )
    if x.is_complex():  # the norm of a complex vector is that of its moduli
        x = x.abs()
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    from .ops.reduce import norm as _norm

    out = _norm(x, ord, dim, keepdim)
    if dim is None and keepdim and out.dim() != x.dim():
        out = out.reshape([1] * x.dim())
    from .ops._registry import named

    return named(out, "LinalgVectorNormBackward0") if ord not in (math.inf, -math.inf) else out


def _matrix_dims(A, dim):
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (A._dim(d) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


@_public
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if dtype is not None:
        A = A.to(dtype)
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _check_float("linalg.matrix_norm", A)
    d0, d1 = _matrix_dims(A, dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        summed, reduced = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(summed, keepdim=True)
        out = sums.amax(reduced, keepdim=True) if ord > 0 else sums.amin(reduced, keepdim=True)
        if not keepdim:
            out = out.squeeze(builtins.max(d0, d1)).squeeze(builtins.min(d0, d1))
        return out
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


@_public
def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.dim() == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.dim() == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.dim()}D.")


# --- products and functions of matrices ------------------------------------------------------------------


@_public
def matrix_power(A, n):
    _check_square("linalg.matrix_power", A)
    return _FUNCTIONS["matrix_power"](A, n)


@_public
def matrix_exp(A):
    _check_square("linalg.matrix_exp", A)
    _check_float("linalg.matrix_exp", A)
    return _solvers.MatrixExp.apply(A)


@_public
def cross(input, other, *, dim=-1):
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = input._dim(dim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and {other.shape[d]}"
        )
    a = [input.select(d, i) for i in range(3)]
    b = [other.select(d, i) for i in range(3)]
    from .ops.shape import stack
    from .ops._registry import named

    out = stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], d)
    return named(out, "LinalgCrossBackward0")


@_public
def vecdot(x, y, *, dim=-1):
    return (x.conj() * y).sum(dim)


@_public
def multi_dot(tensors):
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    out = tensors[0]
    for t in tensors[1:]:
        out = out.matmul(t)
    return out


@_public
def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


matmul = _public(_FUNCTIONS["matmul"])


@_public
def vander(x, N=None):
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    if not x.is_floating_point():
        x = x.to(_dtype.int64)
    from .ops.shape import cat

    powers = x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1)
    return cat([x.unsqueeze(-1) * 0 + 1, powers], -1)


@_public
def householder_product(A, tau):
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.householder_product: input must have at least 2 dimensions.")
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if n > m:
        raise RuntimeError(
            "torch.linalg.householder_product: input.shape[-2] must be greater than or equal to input.shape[-1]"
        )
    if k > n:
        raise RuntimeError(
            "torch.linalg.householder_product: input.shape[-1] must be greater than or equal to tau.shape[-1]"
        )
    # Q = H_1 ... H_k applied to the first n columns of I, H_i = I - tau_i v_i v_i^T, v_i = column i of
    # the unit lower triangle of A
    v = A.tril(-1) + _eye_like(A, m)[:, :n]
    q = _eye_like(A, m)[:, :n].expand(*A.shape[:-2], m, n)
    for i in range(k - 1, -1, -1):
        vi = v[..., :, i : i + 1]
        q = q - tau[..., i : i + 1].unsqueeze(-1) * vi.matmul(vi.mT.matmul(q))
    return q


@_public
def tensorinv(A, ind=2):
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = A.shape[:ind], A.shape[ind:]
    p, q = math.prod(rows), math.prod(cols)
    if p != q:
        raise RuntimeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {q} != {p}"
        )
    return inv(A.reshape(p, q)).reshape(*cols, *rows)


@_public
def tensorsolve(A, B, dims=None):
    if dims is not None:
        dims = [A._dim(d) for d in dims]
        A = A.movedim(dims, list(range(A.dim() - len(dims), A.dim())))
    rest = A.shape[B.dim() :]
    return solve(A.reshape(B.numel(), math.prod(rest)), B.reshape(-1)).reshape(rest)
