"""Special functions and the "other operations" (ember/ops/special.py, other.py) against torch: values over
wide domains and at poles, dtypes, errors; gradients are in the op table."""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from oracle import assert_close, check, torch


def _both(fn, *arrays):
    return fn(ember, *[ember.tensor(a) for a in arrays]), fn(torch, *[torch.tensor(a) for a in arrays])


WIDE = np.concatenate(
    [np.linspace(-30, 30, 601), [0.0, -0.0, 1.0, 2.0, -1.0, -2.5, 1e-8, 1e8, np.inf, -np.inf, np.nan]]
)


@pytest.mark.parametrize(
    "name,fn,domain,rtol",
    [
        ("lgamma", lambda T, x: T.lgamma(x), WIDE, 1e-12),
        ("digamma", lambda T, x: T.digamma(x), WIDE[np.abs(WIDE) != np.inf], 1e-10),
        ("polygamma-2", lambda T, x: T.polygamma(2, x), np.linspace(0.05, 30, 300), 1e-12),
        ("polygamma-5", lambda T, x: T.polygamma(5, x), np.linspace(-2.95, 30, 300), 1e-12),
        ("i0", lambda T, x: T.i0(x), np.linspace(-700, 700, 801), 1e-13),
        ("i0e", lambda T, x: T.special.i0e(x), WIDE, 1e-13),
        ("i1", lambda T, x: T.special.i1(x), np.linspace(-700, 700, 801), 1e-13),
        ("i1e", lambda T, x: T.special.i1e(x), WIDE, 1e-13),
        # torch's ndtr is (1 + erf(x / sqrt 2)) / 2, exact only to 1e-16 absolute in the lower tail; ember's is relative
        ("ndtr", lambda T, x: T.special.ndtr(x), WIDE, dict(rtol=1e-13, atol=1e-16)),
        ("log_ndtr", lambda T, x: T.special.log_ndtr(x), WIDE, 1e-13),
        ("erfcx", lambda T, x: T.special.erfcx(x), WIDE[WIDE > -25], 1e-13),
        (
            "ndtri",
            lambda T, p: T.special.ndtri(p),
            np.concatenate([np.linspace(0, 1, 501), 10.0 ** -np.arange(1, 300), [-0.5, 2.0]]),
            1e-12,
        ),
        ("entr", lambda T, x: T.special.entr(x), WIDE, 1e-15),
        ("sinc", lambda T, x: T.sinc(x), WIDE[np.isfinite(WIDE)], 1e-12),
        ("zeta", lambda T, x: T.special.zeta(x, 2.5), np.linspace(0.5, 20, 100), 1e-13),
        ("zeta-q", lambda T, q: T.special.zeta(3.0, q), np.linspace(-4.5, 20, 100), 1e-12),
        ("gammainc", lambda T, x: T.special.gammainc(T.full_like(x, 3.5), x), np.linspace(0, 40, 200), 1e-12),
    ],
)
def test_special_function_values_match_torch_in_float64(name, fn, domain, rtol):
    ours, theirs = _both(fn, np.asarray(domain, np.float64))
    tol = rtol if isinstance(rtol, dict) else dict(rtol=rtol, atol=1e-300)
    assert_close(ours, theirs, **tol)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "i0", "sinc", "logit"])
def test_special_function_of_integers_gives_the_default_float(name):
    ours, theirs = _both(lambda T, x: getattr(T, name)(x), np.array([1, 2, 5], np.int64))
    assert str(ours.dtype) == str(theirs.dtype) == "torch.float32"
    assert_close(ours, theirs)


def test_polygamma_rejects_a_negative_order():
    with pytest.raises(RuntimeError, match="does not support negative n"):
        ember.polygamma(-1, ember.tensor([1.0]))


def test_igamma_has_no_gradient_for_its_shape_argument_as_in_torch():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="igamma: input"):
        ember.igamma(a, ember.tensor([1.0, 3.0])).sum().backward()


def test_torch_special_names_exist_in_ember_special():
    ours = set(dir(ember.special))
    missing = {n for n in dir(torch.special) if not n.startswith("_") and n not in ours}
    # the Bessel functions of the second kind and Airy's function are not implemented
    assert missing <= {"Tensor", "torch", "common_args", "multi_dim_common", "airy_ai", "bessel_y0", "bessel_y1"}, (
        missing
    )


BESSEL_X = np.concatenate([np.linspace(-60, 60, 1201), [0.0, 24.99, 25.01, 1e-8, 1e4, 1e8]])
POSITIVE_X = np.concatenate([10 ** np.linspace(-10, 2.8, 400), [0.0, -1.0, 25.0]])


@pytest.mark.parametrize(
    "name,x",
    [
        ("bessel_j0", BESSEL_X),
        ("bessel_j1", BESSEL_X),
        ("modified_bessel_i0", BESSEL_X[np.abs(BESSEL_X) < 700]),
        ("modified_bessel_i1", BESSEL_X[np.abs(BESSEL_X) < 700]),
        ("modified_bessel_k0", POSITIVE_X),
        ("modified_bessel_k1", POSITIVE_X),
        ("scaled_modified_bessel_k0", POSITIVE_X),
        ("scaled_modified_bessel_k1", POSITIVE_X),
    ],
)
def test_bessel_functions_match_torch_without_gradients(name, x):
    ours, theirs = _both(lambda T, v: getattr(T.special, name)(v), x)
    # torch's own bessel_j0/j1 are off by up to 3e-7 near |x| = 5 (its rational approximations); SciPy's
    # Cephes is the tight reference for those
    assert_close(ours, theirs, rtol=1e-12, atol=1e-6 if name.startswith("bessel_j") else 1e-15)
    if name.startswith("bessel_j"):
        reference = getattr(pytest.importorskip("scipy.special"), name[-2:])(x)
        np.testing.assert_allclose(ours.numpy(), reference, rtol=1e-12, atol=1e-15)
    assert not getattr(ember.special, name)(ember.ones(2, requires_grad=True)).requires_grad


@pytest.mark.parametrize(
    "name",
    [
        "chebyshev_polynomial_t",
        "chebyshev_polynomial_u",
        "chebyshev_polynomial_v",
        "chebyshev_polynomial_w",
        "shifted_chebyshev_polynomial_t",
        "shifted_chebyshev_polynomial_u",
        "shifted_chebyshev_polynomial_v",
        "shifted_chebyshev_polynomial_w",
        "hermite_polynomial_h",
        "hermite_polynomial_he",
        "laguerre_polynomial_l",
        "legendre_polynomial_p",
    ],
)
def test_orthogonal_polynomials_match_torch(name):
    x = np.linspace(-1.5, 1.5, 7)[:, None]
    fn = getattr(ember.special, name)
    check(lambda T, v, n: getattr(T.special, name)(v, n), arrays=[x, np.arange(9.0)], grad=False, rtol=1e-12)
    check(lambda T, v: getattr(T.special, name)(v, 3), arrays=[x.astype(np.float32)], grad=False)
    assert fn(ember.tensor([0.5]), -1).tolist() == [0.0]


def test_spherical_bessel_j0_matches_torch_and_has_no_gradient():
    ours, theirs = _both(lambda T, x: T.special.spherical_bessel_j0(x), WIDE[np.isfinite(WIDE)])
    assert_close(ours, theirs, rtol=1e-14)
    assert not ember.special.spherical_bessel_j0(ember.ones(2, requires_grad=True)).requires_grad


# --- the other operations -----------------------------------------------------------------------------


def _ints(shape, seed=0):
    return np.random.default_rng(seed).integers(-5, 6, size=shape)


@pytest.mark.parametrize(
    "name,fn,arrays",
    [
        ("diff-int", lambda T, x: T.diff(x, n=2), lambda: [_ints((3, 5))]),
        ("diff-bool", lambda T, x: T.diff(x > 0, dim=0), lambda: [_ints((3, 5))]),
        ("diff-n-past-length", lambda T, x: x.diff(n=7), lambda: [_ints((3, 5))]),
        ("diff-prepend-float", lambda T, x, p: T.diff(x, prepend=p), lambda: [_ints((5,)), np.array([0.5])]),
        (
            "kron-int-float",
            lambda T, a, b: T.kron(a, b),
            lambda: [_ints((2, 2)).astype(np.int32), np.ones((2, 3), np.float32)],
        ),
        ("isin", lambda T, a, b: T.isin(a, b), lambda: [_ints((3, 4)), _ints((5,), 1)]),
        (
            "isin-invert-unique",
            lambda T, a, b: T.isin(a, b, assume_unique=True, invert=True),
            lambda: [np.arange(6), np.array([4, 1, 9])],
        ),
        ("isin-float-test", lambda T, a, b: T.isin(a, b), lambda: [_ints((4,)), np.array([1.0, 2.5, -3.0])]),
        ("isin-scalar-test", lambda T, a: T.isin(a, 2), lambda: [_ints((6,))]),
        ("isin-scalar-elements", lambda T, b: T.isin(3, b), lambda: [np.arange(5)]),
        ("cov-int", lambda T, x: T.cov(x), lambda: [_ints((2, 6))]),
        ("corrcoef-int", lambda T, x: T.corrcoef(x), lambda: [_ints((3, 6))]),
        ("corrcoef-1d", lambda T, x: T.corrcoef(x), lambda: [_ints((6,)).astype(np.float64)]),
        ("cartesian_prod-one", lambda T, x: T.cartesian_prod(x), lambda: [np.arange(3)]),
        ("cartesian_prod-int", lambda T, a, b: T.cartesian_prod(a, b), lambda: [np.arange(3), np.arange(2)]),
        ("combinations-r0", lambda T, x: T.combinations(x, 0), lambda: [np.arange(3.0)]),
        ("combinations-too-many", lambda T, x: T.combinations(x, 4), lambda: [np.arange(3)]),
        (
            "block_diag-mixed",
            lambda T, a, b, c: T.block_diag(a, b, c),
            lambda: [np.array(1), np.arange(2.0, dtype=np.float32), np.ones((2, 2), np.int32)],
        ),
        ("vander", lambda T, x: T.vander(x), lambda: [np.array([1.5, -2.0, 0.5, 3.0])]),
        ("vander-N-increasing", lambda T, x: T.vander(x, N=3, increasing=True), lambda: [np.arange(4.0)]),
        ("vander-int32", lambda T, x: T.vander(x), lambda: [np.arange(4, dtype=np.int32)]),
        ("vander-N0", lambda T, x: T.vander(x, N=0), lambda: [np.arange(2.0)]),
        ("vander-bool", lambda T, x: T.vander(x > 1), lambda: [np.arange(3)]),
        ("logcumsumexp-inf", lambda T, x: T.logcumsumexp(x, 0), lambda: [np.array([-np.inf, 1.0, np.inf, 2.0])]),
        ("trapezoid-int", lambda T, y: T.trapezoid(y), lambda: [_ints((3, 4))]),
        ("trapezoid-empty", lambda T, y: T.trapezoid(y), lambda: [np.zeros((3, 0))]),
        ("histogram", lambda T, x: T.histogram(x, 5), lambda: [np.random.default_rng(2).standard_normal(50)]),
        (
            "histogram-range-weight-density",
            lambda T, x, w: T.histogram(x, 4, range=(-1.0, 1.0), weight=w, density=True),
            lambda: [np.random.default_rng(2).standard_normal(20), np.random.default_rng(3).random(20)],
        ),
        (
            "histogram-edges",
            lambda T, x, e: x.histogram(e),
            lambda: [np.random.default_rng(2).standard_normal(20), np.array([-2.0, -0.5, 0.0, 3.0])],
        ),
    ],
)
def test_other_op_values_and_dtypes_match_torch(name, fn, arrays):
    check(fn, arrays=arrays(), grad=False)


def test_vander_gradient():
    # torch's own vander backward fails (it writes its cumprod into a view), so ember's gradient is checked alone
    x = ember.tensor([1.5, -2.0, 0.5], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda v: ember.vander(v, N=4), (x,))
    assert gradcheck(lambda v: ember.vander(v, increasing=True), (x,))


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda T: T.diff(T.tensor(1.0)), RuntimeError, "diff expects input to be at least one-dimensional"),
        (lambda T: T.diff(T.ones(3), prepend=T.ones(1, 1)), RuntimeError, "diff expects prepend or append"),
        (lambda T: T.cov(T.ones(2, 2, 2)), RuntimeError, "cov\\(\\): expected input to have two or fewer"),
        (lambda T: T.cov(T.ones(2, 3), fweights=T.ones(3)), RuntimeError, "fweights to have integral dtype"),
        (lambda T: T.cov(T.ones(2, 3), aweights=T.ones(2)), RuntimeError, "aweights to have the same numel"),
        (lambda T: T.cov(T.ones(2, 3), fweights=T.tensor([1, -1, 1])), RuntimeError, "fweights cannot be negative"),
        (lambda T: T.cov(T.ones(2, 3), aweights=T.zeros(3)), RuntimeError, "weights sum to zero"),
        (lambda T: T.cov(T.ones(2, 3, dtype=T.bool)), RuntimeError, "bool dtype is not supported"),
        (lambda T: T.combinations(T.ones(2, 2)), RuntimeError, "Expect a 1D vector"),
        (lambda T: T.block_diag(T.ones(1, 1, 1)), RuntimeError, "Input tensors must have 2 or fewer dimensions"),
        (lambda T: T.vander(T.ones(2, 2)), RuntimeError, "x must be a one-dimensional tensor"),
        (lambda T: T.vander(T.ones(2), N=-1), RuntimeError, "N must be non-negative"),
        (lambda T: T.logcumsumexp(T.ones(2, dtype=T.long), 0), NotImplementedError, "logcumsumexp_out_cpu"),
        (lambda T: T.renorm(T.ones(2, 2), 0, 0, 1.0), RuntimeError, "renorm: non-positive-norm not supported"),
    ],
)
def test_other_op_errors_match_torch(call, error, message):
    with pytest.raises(error, match=message):
        call(torch)
    with pytest.raises(error, match=message):
        call(ember)


def test_cov_warns_when_degrees_of_freedom_run_out():
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            c = T.cov(T.tensor([[1.0], [2.0]]))
        assert np.isnan(c.numpy()).all() or np.isinf(c.numpy()).all()


def test_return_types_print_as_torch():
    x = np.array([[1.0, 5.0, 2.0]])
    ours, theirs = _both(lambda T, v: T.max(v, 1), x)
    assert repr(ours) == repr(theirs)
    ours, theirs = _both(lambda T, v: T.histogram(v, 2), x)
    assert repr(ours) == repr(theirs)
