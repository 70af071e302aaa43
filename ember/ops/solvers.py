"""The ops behind torch.linalg beyond products: LU, Cholesky, the symmetric eigendecomposition, slogdet,
linear and triangular solves, the matrix exponential. Forward on `xp.linalg` (and an LU of ember's own:
NumPy has none), backward from ember ops, each as torch's FunctionsManual.cpp derives it."""

import math

import numpy as np

from .. import _dtype
from .._backend import array_module
from ..autograd.function import Op
from ._registry import torch_api
from .._tensor import Tensor


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix the factorisation cannot handle (singular, not positive-definite)."""


def _batch_prefix(index, batch_shape):
    """torch's '(Batch element i): ' before an error about one matrix of a batch."""
    return f"(Batch element {index}): " if batch_shape else ""


def _first_failure(flags):
    """(flat batch index, value) of the first nonzero entry of an int array of per-matrix codes."""
    flat = flags.reshape(-1)
    i = int(array_module(flat).argmax(flat != 0))
    return i, int(flat[i])


# --- LU with partial pivoting (LAPACK's getrf, vectorised over the batch) ------------------------------


def lu_factor_array(a):
    """(LU, pivots, info) as LAPACK's getrf: LU packs unit-lower L and U, pivots are 1-based int32 row
    swaps, info is 1 + the first column whose pivot is exactly zero (0 if none)."""
    xp = array_module(a)
    *batch, m, n = a.shape
    k = min(m, n)
    lu = a.reshape((-1, m, n)).copy()
    count = lu.shape[0]
    rows = xp.arange(count)
    pivots = xp.zeros((count, k), np.int32)
    info = xp.zeros(count, np.int32)
    for j in range(k):
        p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=1)
        pivots[:, j] = p + 1
        row_j = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = row_j
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype(np.int32)
        # a zero pivot means the column below it is zero too: LAPACK leaves it unscaled
        lu[:, j + 1 :, j] /= xp.where(zero, 1, pivot)[:, None]
        lu[:, j + 1 :, j + 1 :] -= lu[:, j + 1 :, j, None] * lu[:, j, None, j + 1 :]
    return lu.reshape(a.shape), pivots.reshape(tuple(batch) + (k,)), info.reshape(tuple(batch))


def permutation_from_pivots(pivots, m, xp):
    """The permutation matrices P (batch, m, m) with A = P L U, from getrf's 1-based row swaps."""
    batch = pivots.shape[:-1]
    flat = pivots.reshape((-1, pivots.shape[-1]))
    order = xp.broadcast_to(xp.arange(m), (flat.shape[0], m)).copy()
    rows = xp.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j].astype(np.int64) - 1
        swap = order[rows, j].copy()
        order[rows, j] = order[rows, p]
        order[rows, p] = swap
    # row i of P^T A is row order[i] of A, so P[order[i], i] = 1
    perm = xp.zeros((flat.shape[0], m, m))
    perm[rows[:, None], order, xp.arange(m)[None, :]] = 1
    return perm.reshape(tuple(batch) + (m, m))


def _tril_unit(lu, m, k):
    """L (m x k, unit diagonal) from a packed LU."""
    from .creation import eye

    lower = lu[..., :, :k].tril(-1)
    return lower + eye(m, k, dtype=lu.dtype, device=lu.device)


class LUFactor(Op):
    """A -> packed LU (pivots and info are not differentiable)."""

    _node_name = "LinalgLuFactorExBackward0"

    @staticmethod
    def forward(ctx, a):
        lu, pivots, info = lu_factor_array(a)
        ctx.save_for_backward(lu)
        ctx.pivots = pivots
        return lu, pivots, info

    @staticmethod
    def backward(ctx, g_lu, g_pivots=None, g_info=None):
        (lu,) = ctx.saved_tensors
        m, n = lu.shape[-2:]
        k = min(m, n)
        lower, upper = _tril_unit(lu, m, k), lu[..., :k, :].triu()
        perm = Tensor._make(permutation_from_pivots(ctx.pivots, m, array_module(lu._data)).astype(lu._data.dtype))
        return lu_backward(g_lu.tril(-1)[..., :, :k], g_lu.triu()[..., :k, :], perm, lower, upper)


def lu_backward(g_lower, g_upper, perm, lower, upper):
    """Gradient of A = P L U from those of L and U: torch's linalg_lu_backward (square and rectangular)."""
    m, n = lower.shape[-2], upper.shape[-1]
    k = min(m, n)
    from ..linalg import solve_triangular

    if m == n:
        # gA = P L^-H [(L^H gL) o strictly-lower + (gU U^H) o upper] U^-H
        phi = (lower.mT.matmul(g_lower)).tril(-1) + (g_upper.matmul(upper.mT)).triu()
        x = solve_triangular(lower.mT, phi, upper=True, unitriangular=True)
        return perm.matmul(solve_triangular(upper.mT, x, upper=False, left=False))
    if m < n:
        # wide: A = P L [U1 | U2]; the square part as above with gL shifted by the part through U2
        u1, u2 = upper[..., :, :k], upper[..., :, k:]
        g_u1, g_u2 = g_upper[..., :, :k], g_upper[..., :, k:]
        phi = (lower.mT.matmul(g_lower) - g_u2.matmul(u2.mT)).tril(-1) + g_u1.matmul(u1.mT).triu()
        x = solve_triangular(lower.mT, phi, upper=True, unitriangular=True)
        g_a1 = solve_triangular(u1.mT, x, upper=False, left=False)
        g_a2 = solve_triangular(lower.mT, g_u2, upper=True, unitriangular=True)
        from .shape import cat

        return perm.matmul(cat([g_a1, g_a2], -1))
    # tall: A = P [L1; L2] U
    l1, l2 = lower[..., :k, :], lower[..., k:, :]
    g_l1, g_l2 = g_lower[..., :k, :], g_lower[..., k:, :]
    phi = (l1.mT.matmul(g_l1)).tril(-1) + (g_upper.matmul(upper.mT) - l2.mT.matmul(g_l2)).triu()
    x = solve_triangular(l1.mT, phi, upper=True, unitriangular=True)
    g_a1 = solve_triangular(upper.mT, x, upper=False, left=False)
    g_a2 = solve_triangular(upper.mT, g_l2, upper=False, left=False)
    from .shape import cat

    return perm.matmul(cat([g_a1, g_a2], -2))


# --- Cholesky ------------------------------------------------------------------------------------------


def potf2_array(a):
    """(order, L) as LAPACK's unblocked potf2 leaves them: per matrix, the order of the first leading minor
    that is not positive-definite (0 if none), and L computed up to that column, the failing pivot's
    A_jj - sum L_jk^2 on the diagonal and the rest of A's lower triangle untouched. Only the error paths
    use it (the factorisation itself is xp.linalg.cholesky's)."""
    xp = array_module(a)
    *batch, n, _ = a.shape
    work = xp.tril(a.reshape((-1, n, n))).copy()
    order = xp.zeros(work.shape[0], np.int32)
    for j in range(n):
        running = order == 0
        d = work[:, j, j] - (work[:, j, :j] ** 2).sum(-1)
        bad = running & ~(d > 0)
        order = xp.where(bad, j + 1, order).astype(np.int32)
        work[:, j, j] = xp.where(running, xp.where(bad, d, xp.sqrt(xp.where(d > 0, d, 1))), work[:, j, j])
        ok = (running & ~bad)[:, None]
        below = (work[:, j + 1 :, j] - (work[:, j + 1 :, :j] * work[:, j, None, :j]).sum(-1)) / work[:, j, j, None]
        work[:, j + 1 :, j] = xp.where(ok, below, work[:, j + 1 :, j])
    return order.reshape(tuple(batch)), work.reshape(a.shape)


class Cholesky(Op):
    _node_name = "LinalgCholeskyExBackward0"
    wirtinger = False

    @staticmethod
    def forward(ctx, a, op_name):
        xp = array_module(a)
        try:
            lower = xp.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            index, order = _first_failure(potf2_array(a)[0])
            raise LinAlgError(
                f"{op_name}: {_batch_prefix(index, a.shape[:-2])}The factorization could not be "
                f"completed because the input is not positive-definite (the leading minor of order "
                f"{order} is not positive-definite)."
            ) from None
        ctx.save_for_backward(lower)
        return lower

    @staticmethod
    def backward(ctx, g):
        # gA = sym(L^-H phi(L^H gL) L^-1), phi = the lower triangle with its diagonal halved
        from .linalg import _real_only_backward

        _real_only_backward(ctx, "cholesky")
        (lower,) = ctx.saved_tensors
        from ..linalg import solve_triangular

        phi = lower.mT.matmul(g).tril()
        phi = phi - 0.5 * phi.diagonal(0, -2, -1).diag_embed()
        x = solve_triangular(lower.mT, phi, upper=True)
        ga = solve_triangular(lower, x, upper=False, left=False)
        return 0.5 * (ga + ga.mT), None


# --- symmetric eigendecomposition ---------------------------------------------------------------------


class Eigh(Op):
    _node_name = "LinalgEighBackward0"
    wirtinger = False

    @staticmethod
    def forward(ctx, a, uplo, vectors):
        w, v = array_module(a).linalg.eigh(a, UPLO=uplo)  # eigvalsh's gradient needs the vectors too
        ctx.save_for_backward(w, v)
        return (w, v) if vectors else w

    @staticmethod
    def backward(ctx, gw, gv=None):
        # gA = V (diag(gw) + skew(V^T gV) / E) V^T with E_ij = w_j - w_i
        from .linalg import _real_only_backward

        _real_only_backward(ctx, "eigh")
        w, v = ctx.saved_tensors
        inner = gw.diag_embed()
        if gv is not None:
            vt_gv = v.mT.matmul(gv)
            from .creation import eye

            e = w.unsqueeze(-2) - w.unsqueeze(-1) + eye(w.shape[-1], dtype=w.dtype, device=w.device)
            inner = inner + 0.5 * (vt_gv - vt_gv.mT) / e
        return v.matmul(inner).matmul(v.mT), None, None


# --- general eigendecomposition (complex results) --------------------------------------------------------


class Eig(Op):
    _node_name = "LinalgEigBackward0"
    wirtinger = False

    @staticmethod
    def forward(ctx, a, vectors):
        w, v = array_module(a).linalg.eig(a)
        complex_dtype = _dtype._BY_NP[a.dtype].to_complex().np
        w, v = w.astype(complex_dtype, copy=False), v.astype(complex_dtype, copy=False)
        ctx.real_input = a.dtype.kind != "c"
        ctx.save_for_backward(w, v)
        return (w, v) if vectors else w

    @staticmethod
    def backward(ctx, gw, gv=None):
        # torch's linalg_eig_backward: gA = V^-H (diag(gw) + P(V^H gV) / conj(E)) V^H, P projecting onto
        # the directions that keep each eigenvector's norm, E_ij = w_j - w_i
        w, v = ctx.saved_tensors
        vh = v.conj().mT
        from .creation import eye

        eye_n = eye(w.shape[-1], dtype=w.dtype, device=w.device)
        inner = gw.diag_embed()
        if gv is not None:
            vh_gv = vh.matmul(gv)
            vh_gv = vh_gv - vh.matmul(v * vh_gv.diagonal(0, -2, -1).real.unsqueeze(-2))
            w_conj = w.conj()
            e = w_conj.unsqueeze(-2) - w_conj.unsqueeze(-1) + eye_n
            inner = inner + (vh_gv / e) * (1 - eye_n)
        from ..linalg import solve

        ga = solve(vh, inner.matmul(vh))
        return (ga.real if ctx.real_input else ga), None


# --- slogdet -------------------------------------------------------------------------------------------


class Slogdet(Op):
    _node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, a):
        sign, logabs = array_module(a).linalg.slogdet(a)
        sign, logabs = sign.astype(a.dtype, copy=False), logabs.astype(a.dtype, copy=False)
        ctx.save_for_backward(a)
        return sign, logabs  # sign requires grad as in torch, where its gradient is always zero

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        (a,) = ctx.saved_tensors
        from ..linalg import inv

        return g_logabs.unsqueeze(-1).unsqueeze(-1) * inv(a).mT


# --- solves --------------------------------------------------------------------------------------------


class Solve(Op):
    """X = A^-1 B for B of shape (..., n, k)."""

    _node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, a, b, op_name):
        xp = array_module(a)
        try:
            x = xp.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            index, _ = _first_failure(lu_factor_array(a)[2])
            raise LinAlgError(
                f"{op_name}: {_batch_prefix(index, a.shape[:-2])}The solver failed because the input "
                "matrix is singular."
            ) from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = solve(a.mT, g)
        ga = -gb.matmul(x.mT) if ctx.needs_input_grad[0] else None
        return ga, gb, None


def solve(a, b, op_name="torch.linalg.solve"):
    """A X = B for matrices B (broadcasting the batch dims), the op under linalg.solve."""
    return Solve.apply(a, b, op_name)


class SolveTriangular(Op):
    """X with A X = B, A upper or lower triangular (its other triangle is never read)."""

    _node_name = "LinalgSolveTriangularBackward0"

    @staticmethod
    def forward(ctx, a, b, upper, unitriangular):
        xp = array_module(a)
        tri = xp.triu(a) if upper else xp.tril(a)
        if unitriangular:
            n = a.shape[-1]
            tri = tri * (1 - xp.eye(n, dtype=a.dtype)) + xp.eye(n, dtype=a.dtype)
        ctx.upper, ctx.unit = upper, unitriangular
        with np.errstate(all="ignore"):
            x = _triangular_solve_array(tri, b, upper)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        from ..linalg import solve_triangular

        gb = solve_triangular(a.mT, g, upper=not ctx.upper, unitriangular=ctx.unit)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -gb.matmul(x.mT)
            ga = ga.triu(1 if ctx.unit else 0) if ctx.upper else ga.tril(-1 if ctx.unit else 0)
        return ga, gb, None, None


def _triangular_solve_array(tri, b, upper):
    """Back or forward substitution, a row of X at a time (exact zeros on the diagonal give inf/nan, as LAPACK's
    trtrs, rather than an error)."""
    xp = array_module(tri)
    n = tri.shape[-1]
    shape = np.broadcast_shapes(tri.shape[:-2], b.shape[:-2])
    tri = xp.broadcast_to(tri, shape + tri.shape[-2:])
    x = xp.array(xp.broadcast_to(b, shape + b.shape[-2:]), dtype=np.result_type(tri.dtype, b.dtype))
    order = range(n - 1, -1, -1) if upper else range(n)
    for i in order:
        rest = slice(i + 1, n) if upper else slice(0, i)
        if (upper and i < n - 1) or (not upper and i > 0):
            x[..., i, :] -= (tri[..., i, rest, None] * x[..., rest, :]).sum(-2)
        x[..., i, :] /= tri[..., i, i, None]
    return x


# --- matrix exponential --------------------------------------------------------------------------------


def matrix_exp_array(a):
    """Scaling and squaring: A / 2^s has 1-norm <= 1/2, where a degree-18 Taylor polynomial is exact to
    double precision; then s squarings."""
    xp = array_module(a)
    work = a.astype(np.float64)
    norm = xp.abs(work).sum(-2).max(-1) if work.size else xp.zeros(work.shape[:-2])
    top = float(norm.max()) if norm.size else 0.0
    s = max(0, int(math.ceil(math.log2(top / 0.5)))) if top > 0.5 and math.isfinite(top) else 0
    work = work / (2.0**s)
    n = a.shape[-1]
    eye = xp.eye(n)
    result = eye + work / 18
    for k in range(17, 0, -1):  # Horner: I + A/1 (I + A/2 (I + ... A/18))
        result = eye + (work @ result) / k
    for _ in range(s):
        result = result @ result
    return result.astype(a.dtype, copy=False)


class MatrixExp(Op):
    _node_name = "LinalgMatrixExpBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return matrix_exp_array(a)

    @staticmethod
    def backward(ctx, g):
        # the Frechet derivative's adjoint: exp([[A^T, G], [0, A^T]]) holds it in its upper-right block
        (a,) = ctx.saved_tensors
        n = a.shape[-1]
        from .shape import cat
        from ..linalg import matrix_exp
        from .creation import zeros_like

        top = cat([a.mT, g], -1)
        bottom = cat([zeros_like(a), a.mT], -1)
        return matrix_exp(cat([top, bottom], -2))[..., :n, n:]


def check_square(op, a):
    if a.dim() < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are {a.shape[-2]} by {a.shape[-1]} matrices"
        )


def check_float(op, a):
    if a._data.dtype not in _dtype._DIFFERENTIABLE_NP:
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {_dtype.scalar_type_name(a.dtype)}"
        )


# --- torch.* spellings of the linalg functions -------------------------------------------------------------


def _linalg():
    from .. import linalg

    return linalg


@torch_api()
def matrix_exp(input):
    return _linalg().matrix_exp(input)


@torch_api()
def pinverse(input, rcond=1e-15):
    return _linalg().pinv(input, rtol=rcond)


@torch_api()
def cholesky_solve(input, input2, upper=False):
    """A X = B with A = L L^T given by its factor (input2), B = input."""
    linalg = _linalg()
    lower = input2.mT if upper else input2
    return linalg.solve_triangular(lower.mT, linalg.solve_triangular(lower, input, upper=False), upper=True)


@torch_api()
def cholesky_inverse(input, upper=False):
    from .creation import eye

    return cholesky_solve(eye(input.shape[-1], dtype=input.dtype, device=input.device), input, upper)


@torch_api()
def lu_solve(input, LU_data, LU_pivots):
    return _linalg().lu_solve(LU_data, LU_pivots, input)


@torch_api(method=False)
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    return _linalg().lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)


@torch_api(function=False)
def lu(self, pivot=True, get_infos=False):
    """Tensor.lu and torch.lu (a Python function in torch.functional): (LU, pivots[, infos])."""
    result = _linalg().lu_factor_ex(self, pivot=pivot)
    return tuple(result) if get_infos else (result.LU, result.pivots)


torch_api("lu", method=False)(lu)


@torch_api()
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    from ..return_types import return_type

    coefficient = A.mT if transpose else A
    solution = _linalg().solve_triangular(coefficient, input, upper=upper != transpose, unitriangular=unitriangular)
    return return_type("triangular_solve", ["solution", "cloned_coefficient"])(solution, A.clone())
