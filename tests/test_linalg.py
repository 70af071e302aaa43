"""torch.linalg beyond the op table (which checks values and gradients): return types, integer outputs,
the error types and messages of singular and indefinite matrices, the *_ex variants' info."""

import numpy as np
import pytest

import ember
from oracle import assert_close, check, torch

SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
INDEFINITE = np.array([[1.0, 2.0], [2.0, 1.0]])


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize(
    "name,fn,arrays",
    [
        ("eigh", lambda T, a: T.linalg.eigh(a @ a.mT), lambda: [_rand(3, 3)]),
        ("slogdet", lambda T, a: T.linalg.slogdet(a), lambda: [_rand(3, 3)]),
        ("torch.slogdet", lambda T, a: T.slogdet(a), lambda: [_rand(3, 3)]),
        ("qr", lambda T, a: T.linalg.qr(a), lambda: [_rand(3, 2)]),
        ("qr-r", lambda T, a: T.linalg.qr(a, mode="r"), lambda: [_rand(3, 2)]),
        ("lu_factor", lambda T, a: T.linalg.lu_factor(a), lambda: [_rand(3, 3)]),
        ("lu_factor_ex", lambda T, a: T.linalg.lu_factor_ex(a), lambda: [_rand(2, 3, 3)]),
        ("lu", lambda T, a: T.linalg.lu(a), lambda: [_rand(3, 3)]),
        ("inv_ex", lambda T, a: T.linalg.inv_ex(a), lambda: [_rand(3, 3)]),
        ("cholesky_ex", lambda T, a: T.linalg.cholesky_ex(a @ a.mT + np.eye(3)), lambda: [_rand(3, 3)]),
        ("lstsq", lambda T, a, b: T.linalg.lstsq(a, b, driver="gelsd"), lambda: [_rand(4, 2), _rand(4, 1)]),
        ("svd", lambda T, a: T.svd(a), lambda: [_rand(3, 3)]),
        ("torch.qr", lambda T, a: T.qr(a), lambda: [np.triu(_rand(2, 2)) + 3 * np.eye(2)]),
    ],
)
def test_return_types_print_as_torch(name, fn, arrays):
    with np.printoptions():
        ours = fn(ember, *[ember.tensor(a) for a in arrays()])
        theirs = fn(torch, *[torch.tensor(a) for a in arrays()])
    assert type(ours).__name__ == type(theirs).__name__
    assert ours._fields == theirs.__match_args__
    assert all(getattr(ours, f) is ours[i] for i, f in enumerate(ours._fields))
    assert repr(ours).split("(")[0] == repr(theirs).split("(")[0]
    for o, t in zip(ours, theirs):
        if name in ("svd", "eigh"):  # vectors are unique up to sign
            o, t = o.abs(), t.abs()
        if name == "qr-r" and o.numel() == 0:
            assert t.numel() == 0
            continue
        assert_close(o, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("driver", [None, "gelsy", "gelsd", "gelss", "gels"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_lstsq_outputs_per_driver_match_torch(driver, shape):
    a, b = _rand(*shape), _rand(shape[0], 2, seed=1)
    if driver == "gels" and shape[0] < shape[1]:
        pytest.skip("torch's gels needs a full-rank tall matrix")
    check(lambda T, x, y: tuple(T.linalg.lstsq(x, y, driver=driver)), arrays=[a, b], grad=False, rtol=1e-9)


def test_lstsq_vector_rhs_and_rank_deficiency():
    a = _rand(5, 3)
    a[:, 2] = a[:, 0] + a[:, 1]
    check(
        lambda T, x, y: T.linalg.lstsq(x, y, driver="gelsd")[0::2], arrays=[a, _rand(5, seed=2)], grad=False, rtol=1e-8
    )


def test_matrix_rank_and_hermitian_variants_match_torch():
    a = _rand(4, 6) @ _rand(6, 4)
    a[:, 3] = a[:, 1]
    for fn in (
        lambda T, x: T.linalg.matrix_rank(x),
        lambda T, x: T.linalg.matrix_rank(x, hermitian=True),
        lambda T, x: T.linalg.matrix_rank(x, atol=1.0, rtol=0.0),
    ):
        check(fn, arrays=[a @ a.T], grad=False)
    for fn in (
        lambda T, x: T.linalg.cond(x, "fro"),
        lambda T, x: T.linalg.cond(x, float("inf")),
        lambda T, x: T.linalg.cond(x, -2),
        lambda T, x: T.linalg.cond(x, "nuc"),
    ):
        check(fn, arrays=[_rand(2, 4, 4)], grad=False, rtol=1e-9)
    check(lambda T, x: T.linalg.cond(x, 1), arrays=[SINGULAR], grad=False)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda T: T.linalg.inv(T.tensor(SINGULAR)), "linalg.inv: The diagonal element 2 is zero"),
        (lambda T: T.inverse(T.zeros(3, 3)), "linalg.inv: The diagonal element 1 is zero"),
        (
            lambda T: T.linalg.inv(T.stack([T.eye(2, dtype=T.float64), T.tensor(SINGULAR)])),
            r"linalg.inv: \(Batch element 1\): The diagonal element 2 is zero",
        ),
        (lambda T: T.linalg.inv_ex(T.tensor(SINGULAR), check_errors=True), "linalg.inv_ex: The diagonal element 2"),
        (
            lambda T: T.linalg.solve(T.tensor(SINGULAR), T.ones(2, dtype=T.float64)),
            "torch.linalg.solve: The solver failed because the input matrix is singular.",
        ),
        (
            lambda T: T.linalg.solve(
                T.stack([T.eye(2, dtype=T.float64), T.tensor(SINGULAR)]), T.ones(2, 2, dtype=T.float64)
            ),
            r"torch.linalg.solve: \(Batch element 1\): The solver failed",
        ),
        (
            lambda T: T.linalg.cholesky(T.tensor(INDEFINITE)),
            r"linalg.cholesky: The factorization could not be completed because the input is not positive-definite "
            r"\(the leading minor of order 2 is not positive-definite\).",
        ),
        (
            lambda T: T.linalg.cholesky(T.stack([T.eye(2, dtype=T.float64), -T.eye(2, dtype=T.float64)])),
            r"\(Batch element 1\): .*leading minor of order 1",
        ),
        (
            lambda T: T.linalg.cholesky_ex(T.tensor(INDEFINITE), check_errors=True),
            "linalg.cholesky_ex: The factorization",
        ),
    ],
)
def test_singular_and_indefinite_matrices_raise_linalg_error(call, message):
    with pytest.raises(torch.linalg.LinAlgError, match=message):
        call(torch)
    with pytest.raises(ember.linalg.LinAlgError, match=message):
        call(ember)
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda T: T.linalg.inv(T.ones(2, 3)), "linalg.inv: A must be batches of square matrices, but they are 2 by 3"),
        (lambda T: T.linalg.det(T.ones(2, 3, dtype=T.int64)), "linalg.det: A must be batches of square matrices"),
        (
            lambda T: T.linalg.cholesky(T.ones(2, 2, dtype=T.int64)),
            "linalg.cholesky: Expected a floating point or complex",
        ),
        (
            lambda T: T.linalg.solve(T.eye(2), T.ones(3)),
            r"linalg.solve: Incompatible shapes of A and B for the equation "
            r"AX = B \(2x2 and 3x1\)",
        ),
        (lambda T: T.linalg.lu_factor(T.tensor(SINGULAR)), r"torch.linalg.lu_factor: U\[2,2\] is zero"),
        (
            lambda T: T.linalg.lu_factor_ex(
                T.stack([T.eye(2, dtype=T.float64), T.tensor(SINGULAR)]), check_errors=True
            ),
            r"torch.linalg.lu_factor_ex: \(Batch element 1\): U\[2,2\] is zero",
        ),
        (lambda T: T.linalg.multi_dot([T.ones(2, 2)]), r"multi_dot\(\): expected at least 2 tensors but got 1"),
        (
            lambda T: T.linalg.norm(T.ones(2, 2, 2), 2),
            "linalg.norm: If dim is not specified but ord is, the input must be",
        ),
        (lambda T: T.linalg.vector_norm(T.ones(2, dtype=T.int64)), "linalg.vector_norm: Expected a floating point"),
        (lambda T: T.linalg.matrix_norm(T.ones(2, 2), 3), "linalg.matrix_norm: Order 3 not supported."),
        (
            lambda T: T.linalg.cross(T.ones(2), T.ones(2)),
            "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2",
        ),
        (
            lambda T: T.linalg.solve_triangular(T.eye(2), T.ones(2), upper=True),
            "linalg.solve_triangular: The input tensor B must have at least 2 dimensions.",
        ),
        (lambda T: T.linalg.vander(T.ones(2), N=1), "N must be greater than 1."),
        (lambda T: T.polygamma(-1, T.ones(1)), "polygamma"),
    ],
)
def test_bad_arguments_raise_torch_errors(call, message):
    for T in (torch, ember):
        with pytest.raises(RuntimeError, match=message):
            call(T)


def test_failed_ex_variants_return_what_lapack_leaves_as_torch():
    for fn in (
        lambda T, a: T.linalg.inv_ex(a),
        lambda T, a: T.linalg.solve_ex(a, T.ones(2, dtype=a.dtype)),
        lambda T, a: T.linalg.lu_factor_ex(a),
    ):
        check(fn, arrays=[SINGULAR], grad=False)
    check(lambda T, a: T.linalg.cholesky_ex(a), arrays=[INDEFINITE], grad=False)


def test_pivots_and_info_are_int32_as_torch():
    ours = ember.linalg.lu_factor_ex(ember.randn(2, 3, 3))
    assert ours.pivots.dtype is ember.int32 and ours.info.dtype is ember.int32
    assert not ours.pivots.requires_grad


def test_qr_gradients_that_torch_refuses():
    a = ember.randn(4, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="depends on Q, which is not computed when mode='r'"):
        ember.linalg.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        ember.linalg.qr(a, mode="complete").Q.sum().backward()


def test_slogdet_sign_requires_grad_with_a_zero_gradient_as_torch():
    a = ember.randn(3, 3, requires_grad=True)
    sign, logabsdet = ember.linalg.slogdet(a)
    assert sign.requires_grad
    (sign * 2).sum().backward()
    assert not a.grad.numpy().any()


def test_torch_linalg_names_exist_in_ember_linalg():
    missing = {n for n in dir(torch.linalg) if not n.startswith("_") and not hasattr(ember.linalg, n)}
    # LDL is not implemented
    assert missing <= {"ldl_factor", "ldl_factor_ex", "ldl_solve", "common_notes", "torch"}, missing
