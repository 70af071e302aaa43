"""Tensor methods against torch, beyond the op tables: every in-place method (run on a non-leaf, so values and
gradients are compared, and it must return the tensor itself), aliases, the integer and comparison ops, and the
methods about memory, metadata and Python callbacks."""

import pickle
import warnings

import numpy as np
import pytest

import ember
from oracle import check, torch

F, POS, UNIT, GE1, PROB = (-2.0, 2.0), (0.1, 3.0), (-0.9, 0.9), (1.1, 3.0), (0.05, 0.95)


def _ints(seed=0, low=-6, high=7, shape=(3, 4), dtype=np.int64):
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(dtype)


def _inplace(name, *args):
    """x * 1 (a non-leaf), then x.name(*args(T)) in place: the result must be that very tensor."""

    def run(T, x, *more):
        y = x * 1
        out = getattr(y, name)(*[a(T) if callable(a) else a for a in args], *more)
        assert out is y, f"{name} returned another tensor"
        return out

    return run


# (method, input domain or arrays, extra inputs' shapes, args)
UNARY_INPLACE = [
    ("abs_", F),
    ("absolute_", F),
    ("acos_", UNIT),
    ("acosh_", GE1),
    ("arccos_", UNIT),
    ("arccosh_", GE1),
    ("arcsin_", UNIT),
    ("arcsinh_", F),
    ("arctan_", F),
    ("arctanh_", UNIT),
    ("asin_", UNIT),
    ("asinh_", F),
    ("atan_", F),
    ("atanh_", UNIT),
    ("ceil_", F),
    ("cos_", F),
    ("cosh_", F),
    ("deg2rad_", F),
    ("digamma_", POS),
    ("erf_", F),
    ("erfc_", F),
    ("erfinv_", UNIT),
    ("exp2_", F),
    ("exp_", F),
    ("expm1_", F),
    ("fix_", F),
    ("floor_", F),
    ("frac_", F),
    ("i0_", F),
    ("lgamma_", POS),
    ("log10_", POS),
    ("log1p_", POS),
    ("log2_", POS),
    ("log_", POS),
    ("logit_", PROB),
    ("neg_", F),
    ("negative_", F),
    ("rad2deg_", F),
    ("reciprocal_", POS),
    ("relu_", F),
    ("round_", F),
    ("rsqrt_", POS),
    ("sgn_", F),
    ("sigmoid_", F),
    ("sign_", F),
    ("sin_", F),
    ("sinc_", F),
    ("sinh_", F),
    ("sqrt_", POS),
    ("square_", F),
    ("tan_", UNIT),
    ("tanh_", F),
    ("trunc_", F),
    ("nan_to_num_", F),
    ("conj_physical_", F),
    ("t_", F),
    ("tril_", F),
    ("triu_", F),
]


@pytest.mark.parametrize("name,domain", UNARY_INPLACE, ids=[r[0] for r in UNARY_INPLACE])
def test_unary_inplace_matches_torch(name, domain):
    low, high = domain
    # torch's gradient of sgn_ is a ZeroTensor numpy can't read; torch has no derivative for the in-place inverse
    # hyperbolic functions
    grad = name not in ("sgn_", "acosh_", "arccosh_", "asinh_", "arcsinh_", "atanh_", "arctanh_")
    check(_inplace(name), [(3, 4)], low=low, high=high, grad=grad)


BINARY_INPLACE = [
    # name, other shapes, domain, args after the tensors, compare gradients
    ("add_", [(4,)], F, (), True),
    ("sub_", [(3, 1)], F, (), True),
    ("subtract_", [(4,)], F, (), True),
    ("mul_", [(4,)], F, (), True),
    ("multiply_", [(3, 4)], F, (), True),
    ("div_", [(4,)], POS, (), True),
    ("divide_", [(4,)], POS, (), True),
    ("true_divide_", [(3, 4)], POS, (), True),
    ("atan2_", [(4,)], F, (), True),
    ("arctan2_", [(3, 4)], F, (), True),
    ("copysign_", [(4,)], F, (), True),
    ("hypot_", [(4,)], F, (), True),
    ("fmod_", [(4,)], POS, (), True),
    ("remainder_", [(4,)], POS, (), True),
    ("pow_", [(4,)], POS, (), True),
    ("xlogy_", [(4,)], POS, (), True),
    ("lerp_", [(3, 4)], F, (0.3,), True),
    ("floor_divide_", [(4,)], POS, (), False),
    ("nextafter_", [(4,)], F, (), False),
    ("heaviside_", [(4,)], F, (), False),
    ("igamma_", [(4,)], POS, (), False),
    ("igammac_", [(4,)], POS, (), False),
    ("eq_", [(4,)], F, (), False),
    ("ne_", [(4,)], F, (), False),
    ("lt_", [(4,)], F, (), False),
    ("le_", [(4,)], F, (), False),
    ("gt_", [(3, 4)], F, (), False),
    ("ge_", [(4,)], F, (), False),
    ("greater_", [(4,)], F, (), False),
    ("greater_equal_", [(4,)], F, (), False),
    ("less_", [(4,)], F, (), False),
    ("less_equal_", [(4,)], F, (), False),
    ("not_equal_", [(4,)], F, (), False),
    ("logical_and_", [(4,)], F, (), False),
    ("logical_or_", [(4,)], F, (), False),
    ("logical_xor_", [(4,)], F, (), False),
]


@pytest.mark.parametrize("name,others,domain,args,grad", BINARY_INPLACE, ids=[r[0] for r in BINARY_INPLACE])
def test_binary_inplace_matches_torch(name, others, domain, args, grad):
    check(_binary(name, args), [(3, 4)] + others, low=domain[0], high=domain[1], grad=grad)


def _binary(name, args):
    """x * 1 (a non-leaf), then x.name(*tensors, *args) in place: the result must be that very tensor."""

    def run(T, x, *tensors):
        y = x * 1
        out = getattr(y, name)(*tensors, *args)
        assert out is y
        return out

    return run


SCALAR_ARG_INPLACE = [
    ("clamp_", (-0.5, 0.7)),
    ("clamp_min_", (0.1,)),
    ("clamp_max_", (0.2,)),
    ("clip_", (-1.0, 0.5)),
    ("polygamma_", (1,)),
    ("mvlgamma_", (2,)),
    ("renorm_", (2, 0, 1.0)),
    ("cumsum_", (1,)),
    ("cumprod_", (0,)),
    ("squeeze_", ()),
    ("unsqueeze_", (1,)),
    ("transpose_", (0, 1)),
    ("swapaxes_", (0, 1)),
    ("swapdims_", (1, 0)),
    ("as_strided_", ((2, 2), (1, 2))),
    ("fill_", (0.25,)),
    ("zero_", ()),
    ("fill_diagonal_", (3.0,)),
    ("float_power_", (2,)),
    ("ldexp_", (lambda T: T.tensor([1, 0, 2, 1]),)),
]


@pytest.mark.parametrize("name,args", SCALAR_ARG_INPLACE, ids=[r[0] for r in SCALAR_ARG_INPLACE])
def test_inplace_with_arguments_matches_torch(name, args):
    domain = GE1 if name == "mvlgamma_" else POS if name == "polygamma_" else F
    dtype = np.float64 if name == "float_power_" else np.float32  # float_power_ needs a float64 self
    shape = (3, 1, 4) if name == "squeeze_" else (3, 4)
    check(_inplace(name, *args), [shape], low=domain[0], high=domain[1], dtype=dtype)


MATRIX_INPLACE = [
    ("addmm_", [(3, 2), (3, 4), (4, 2)]),
    ("addbmm_", [(3, 2), (2, 3, 4), (2, 4, 2)]),
    ("baddbmm_", [(2, 3, 2), (2, 3, 4), (2, 4, 2)]),
    ("addmv_", [(3,), (3, 4), (4,)]),
    ("addr_", [(3, 4), (3,), (4,)]),
    ("addcmul_", [(3, 4), (3, 4), (4,)]),
    ("addcdiv_", [(3, 4), (3, 4), (3, 4)]),
]


@pytest.mark.parametrize("name,shapes", MATRIX_INPLACE, ids=[r[0] for r in MATRIX_INPLACE])
def test_matrix_inplace_matches_torch(name, shapes):
    check(_matrix(name), shapes, low=0.5, high=2.0)


def _matrix(name):
    def run(T, c, *operands):
        y = c * 1
        kwargs = {"value": 0.5} if name.startswith("addc") else {"beta": 0.5, "alpha": 2.0}
        assert getattr(y, name)(*operands, **kwargs) is y
        return y

    return run


def _idx(T, values):
    return T.tensor(values)


INDEX_INPLACE = [
    ("index_add_", lambda T, x, s: x.index_add_(0, _idx(T, [2, 0, 2]), s, alpha=2), [(3, 4), (3, 4)]),
    ("index_copy_", lambda T, x, s: x.index_copy_(1, _idx(T, [3, 0]), s), [(3, 4), (3, 2)]),
    ("index_fill_", lambda T, x: x.index_fill_(1, _idx(T, [1, 3]), -1.5), [(3, 4)]),
    (
        "index_put_",
        lambda T, x, v: x.index_put_((_idx(T, [0, 2]), _idx(T, [1, 1])), v, accumulate=True),
        [(3, 4), (2,)],
    ),
    ("index_reduce_", lambda T, x, s: x.index_reduce_(0, _idx(T, [0, 2, 0]), s, "amax"), [(3, 4), (3, 4)]),
    ("masked_fill_", lambda T, x: x.masked_fill_(x > 0.5, 0.25), [(3, 4)]),
    ("masked_scatter_", lambda T, x, s: x.masked_scatter_(x > 0, s), [(3, 4), (3, 4)]),
    ("put_", lambda T, x, s: x.put_(_idx(T, [0, 5, -1]), s), [(3, 4), (3,)]),
    ("scatter_", lambda T, x, s: x.scatter_(1, _idx(T, [[0, 2], [1, 3], [3, 0]]), s), [(3, 4), (3, 2)]),
    ("scatter_add_", lambda T, x, s: x.scatter_add_(1, _idx(T, [[0, 0], [1, 3], [3, 3]]), s), [(3, 4), (3, 2)]),
    (
        "scatter_reduce_",
        lambda T, x, s: x.scatter_reduce_(1, _idx(T, [[0, 0], [1, 3], [3, 3]]), s, "sum"),
        [(3, 4), (3, 2)],
    ),
    ("copy_", lambda T, x, s: x.copy_(s), [(3, 4), (4,)]),
]


@pytest.mark.parametrize("name,fn,shapes", INDEX_INPLACE, ids=[r[0] for r in INDEX_INPLACE])
def test_index_inplace_matches_torch(name, fn, shapes):
    check(_on_a_non_leaf(fn), shapes)


def _on_a_non_leaf(fn):
    def run(T, x, *rest):
        y = x * 1
        assert fn(T, y, *rest) is y
        return y

    return run


INTEGER_INPLACE = [
    ("bitwise_and_", lambda T, a, b: a.bitwise_and_(b)),
    ("bitwise_or_", lambda T, a, b: a.bitwise_or_(b)),
    ("bitwise_xor_", lambda T, a, b: a.bitwise_xor_(b)),
    ("bitwise_not_", lambda T, a, b: a.bitwise_not_()),
    ("bitwise_left_shift_", lambda T, a, b: a.bitwise_left_shift_(b.abs() % 70)),
    ("bitwise_right_shift_", lambda T, a, b: a.bitwise_right_shift_(b.abs() % 70)),
    ("gcd_", lambda T, a, b: a.gcd_(b)),
    ("lcm_", lambda T, a, b: a.lcm_(b)),
    ("logical_not_", lambda T, a, b: a.logical_not_()),
]


@pytest.mark.parametrize("name,fn", INTEGER_INPLACE, ids=[r[0] for r in INTEGER_INPLACE])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_integer_inplace_matches_torch(name, fn, dtype):
    low = 0 if dtype == np.uint8 else -9
    check(
        lambda T, a, b: fn(T, a.clone(), b),
        arrays=[_ints(1, low, 10, dtype=dtype), _ints(2, low, 70, dtype=dtype)],
        grad=False,
    )


OUT_OF_PLACE = [
    ("aminmax", lambda T, x: x.aminmax(dim=1), [(3, 4)]),
    ("arccos", lambda T, x: x.arccos() + T.arcsin(x) + x.arctan() + T.arctanh(x) + x.arcsinh(), [(3, 4)]),
    ("arccosh", lambda T, x: (x + 3).arccosh(), [(3, 4)]),
    ("clamp_max", lambda T, x: x.clamp_max(0.3), [(3, 4)]),
    (
        "cosh",
        lambda T, x: x.cosh() + x.sinh() + x.tan() + x.atan() + x.asinh() + x.erfc() + x.exp2() + x.expm1(),
        [(3, 4)],
    ),
    ("fix", lambda T, x: x.fix() + x.trunc(), [(3, 4)]),
    ("diagflat", lambda T, x: x.diagflat(1), [(3,)]),
    ("expand_as", lambda T, x, y: x.expand_as(y), [(3, 1), (3, 4)]),
    ("reshape_as", lambda T, x, y: x.reshape_as(y), [(3, 4), (4, 3)]),
    ("fliplr", lambda T, x: x.fliplr() + x.flipud(), [(3, 3)]),
    ("fmax", lambda T, x, y: x.fmax(y) + x.fmin(y), [(3, 4), (4,)]),
    ("ger", lambda T, a, b: a.ger(b) + a.outer(b), [(3,), (4,)]),
    ("vdot", lambda T, a, b: a.vdot(b), [(4,), (4,)]),
    ("addr", lambda T, c, a, b: c.addr(a, b, beta=0.5), [(3, 4), (3,), (4,)]),
    ("hypot", lambda T, x, y: x.hypot(y), [(3, 4), (4,)]),
    ("logaddexp", lambda T, x, y: x.logaddexp(y), [(3, 4), (4,)]),
    ("moveaxis", lambda T, x: x.moveaxis(0, 2) + x.swapdims(0, 1).swapdims(1, 2), [(2, 3, 4)]),
    ("msort", lambda T, x: x.msort(), [(3, 4)]),
    ("nanmean", lambda T, x: T.where(x > 1, float("nan"), x).nanmean(1), [(3, 4)]),
    ("nanmedian", lambda T, x: T.where(x > 1, float("nan"), x).nanmedian(), [(3, 5)]),
    ("nan_to_num", lambda T, x: (x / (x > 0)).nan_to_num(posinf=2.0), [(3, 4)]),
    ("subtract", lambda T, x, y: x.subtract(y, alpha=2) + x.true_divide(y + 3), [(3, 4), (4,)]),
    ("sum_to_size", lambda T, x: x.sum_to_size(1, 4), [(3, 4)]),
    ("take_along_dim", lambda T, x: x.take_along_dim(T.tensor([[0], [2], [1]]), 1), [(3, 4)]),
    ("unflatten", lambda T, x: x.unflatten(1, (2, 2)), [(3, 4)]),
    ("index_copy", lambda T, x, s: x.index_copy(0, _idx(T, [2, 0]), s), [(3, 4), (2, 4)]),
    ("index_fill", lambda T, x: x.index_fill(1, _idx(T, [0]), 2.0), [(3, 4)]),
    ("index_put", lambda T, x, v: x.index_put((_idx(T, [1]),), v), [(3, 4), (4,)]),
    ("masked_scatter", lambda T, x, s: x.masked_scatter(x < 0, s), [(3, 4), (3, 4)]),
    ("mH", lambda T, x: x.mH + x.H, [(3, 3)]),
    ("new_empty", lambda T, x: x.new_empty((2, 3)).shape[0] * x, [(3,)]),
]


@pytest.mark.parametrize("name,fn,shapes", OUT_OF_PLACE, ids=[r[0] for r in OUT_OF_PLACE])
def test_method_matches_torch(name, fn, shapes):
    check(fn, shapes)


NO_GRAD = [
    (
        "bitwise_left_shift",
        lambda T, a, b: (
            a.bitwise_left_shift(b % 70),
            a << (b.abs() % 3),
            3 << b.abs() % 4,
            a >> 1,
            a.bitwise_right_shift(b),
        ),
    ),
    ("gcd", lambda T, a, b: (a.gcd(b), T.lcm(a, b))),
    ("isneginf", lambda T, a, b: ((a / b).isneginf(), (a / b).isreal(), T.isreal(a + 0j))),
    ("count_nonzero", lambda T, a, b: (a.count_nonzero(), T.count_nonzero(a, dim=1))),
    ("argwhere", lambda T, a, b: a.argwhere()),
    ("greater_equal", lambda T, a, b: (a.greater_equal(b), a.less_equal(b), a.not_equal(b))),
    ("nonzero_static", lambda T, a, b: (a.nonzero_static(size=3), T.nonzero_static(a, size=20, fill_value=-7))),
    ("heaviside", lambda T, a, b: a.float().heaviside(b.float())),
    ("nextafter", lambda T, a, b: a.double().nextafter(b.double()) - a.double()),
    ("frexp", lambda T, a, b: T.frexp(a.float() * 1.7)),
]


@pytest.mark.parametrize("name,fn", NO_GRAD, ids=[r[0] for r in NO_GRAD])
def test_integer_method_matches_torch(name, fn):
    check(fn, arrays=[_ints(3), _ints(4, 1, 5)], grad=False)


def test_adjoints_conjugate_complex_tensors_as_torch():
    z = np.array([[1 + 2j, 3 - 1j], [0.5j, 2]], dtype=np.complex64)
    for attr in ("mH", "H"):
        np.testing.assert_array_equal(
            getattr(ember.tensor(z), attr).numpy(), getattr(torch.tensor(z), attr).resolve_conj().numpy()
        )
    np.testing.assert_array_equal(ember.tensor(z).adjoint().numpy(), torch.tensor(z).adjoint().resolve_conj().numpy())
    with pytest.raises(RuntimeError, match="tensor.H is only supported on matrices"):
        ember.ones(2, 2, 2).H


def test_float_power_inplace_refuses_float32_as_torch():
    for lib in (ember, torch):
        with pytest.raises(
            RuntimeError,
            match="the base given to float_power_ has dtype Float but the operation's result requires dtype Double",
        ):
            lib.ones(2).float_power_(2)


def test_inplace_view_ops_keep_memory_and_history():
    x = ember.arange(6.0).reshape(2, 3)
    ptr = x.data_ptr()
    assert x.t_() is x and tuple(x.shape) == (3, 2) and x.data_ptr() == ptr and x._version == 1
    assert x.unsqueeze_(0).squeeze_(0).shape == (3, 2) and x.transpose_(0, 1).shape == (2, 3)
    a = ember.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        a.t_()
    y = a * 2
    y.t_()
    assert type(y.grad_fn).__name__ == "TBackward1" and type(y.grad_fn.next_functions[0][0]).__name__ == "MulBackward0"


def test_apply_map_and_map2_match_torch():
    outs = []
    for lib in (ember, torch):
        x = lib.arange(4.0)
        x.apply_(lambda v: v * 2 + 1)
        y = lib.arange(6).reshape(2, 3)
        y.map_(lib.tensor([10, 20, 30]), lambda a, b: a + b)
        z = lib.ones(3)
        z.map2_(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([0.5]), lambda a, b, c: a + b * c)
        with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires grad"):
            lib.ones(2, requires_grad=True).apply_(abs)
        outs.append((x.tolist(), y.tolist(), z.tolist()))
    assert outs[0] == outs[1]


def test_metadata_queries_match_torch():
    def queries(lib):
        x = lib.zeros(2, 3, 1)
        return (
            x.is_same_size(lib.ones(2, 3, 1)),
            x.is_same_size(x.t() if False else x[0]),
            x.is_signed(),
            lib.ones(2, dtype=lib.uint8).is_signed(),
            lib.tensor([3]).is_nonzero(),
            x.is_distributed(),
            x.dim_order(),
            x.permute(2, 0, 1).dim_order(),
            x.ndimension(),
            x.nelement(),
            x.is_neg(),
            x.const_data_ptr() == x.data_ptr(),
            x.output_nr,
            (x * 1).output_nr,
            x.is_pinned(),
            x.is_shared(),
            x.storage_type().__name__,
            lib.zeros(3).is_set_to(lib.zeros(3)),
        )

    assert queries(ember) == queries(torch)
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
            lib.ones(2).is_nonzero()
        with pytest.raises(RuntimeError, match="The tensor does not have unique dim order"):
            lib.ones(2, 1).dim_order(ambiguity_check=True)
        with pytest.warns(UserWarning, match="volatile was removed"):
            assert lib.ones(1).volatile is False
        assert lib.ones(1).grad_dtype == lib.float32 and lib.ones(1).name is None


def test_device_and_layout_flags_match_torch():
    flags = (
        "is_cpu",
        "is_cuda",
        "is_ipu",
        "is_maia",
        "is_meta",
        "is_mkldnn",
        "is_mps",
        "is_mtia",
        "is_nested",
        "is_quantized",
        "is_sparse",
        "is_sparse_csr",
        "is_vulkan",
        "is_xla",
        "is_xpu",
    )
    assert [getattr(ember.ones(1), f) for f in flags] == [getattr(torch.ones(1), f) for f in flags]


def test_storage_matches_torch():
    def look(lib):
        x = lib.arange(6, dtype=lib.int32).reshape(2, 3)
        u = x.untyped_storage()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = x[1].storage()
        return (
            u.size(),
            u.nbytes(),
            len(u),
            u.element_size(),
            u.tolist()[:8],
            u.data_ptr() == x.data_ptr(),
            s.size(),
            s.tolist(),
            s.element_size(),
            s.nbytes(),
            str(s.dtype),
            x[1].storage_offset(),
            x[1].untyped_storage().data_ptr() == u.data_ptr(),
            len(s),
            s[4],
        )

    assert look(ember) == look(torch)


def test_set_matches_torch():
    def run(lib):
        a, b = lib.arange(6.0), lib.zeros(1)
        b.set_(a)
        b[0] = 7.0
        c = lib.zeros(1).set_(a.untyped_storage(), 2, (2, 2), (1, 2))
        d = lib.ones(3).set_()
        return a.tolist(), b.is_set_to(a), c.tolist(), tuple(d.shape), c.stride()

    assert run(ember) == run(torch)


def test_share_memory_is_seen_by_a_forked_process():
    import multiprocessing

    x = ember.zeros(4)
    assert x.share_memory_() is x and x.is_shared()

    def write(t):
        t[1] = 5.0

    process = multiprocessing.get_context("fork").Process(target=write, args=(x,))
    process.start()
    process.join()
    assert x.tolist() == [0.0, 5.0, 0.0, 0.0]


def test_pin_memory_without_an_accelerator_raises_torchs_error():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError):
            lib.ones(2).pin_memory()
        assert lib.ones(2).is_pinned() is False


def test_new_empty_strided_and_empty_strided_match_torch():
    for lib in (ember, torch):
        x = lib.ones(2, dtype=lib.float64)
        y = x.new_empty_strided((2, 3), (1, 2))
        assert y.stride() == (1, 2) and y.dtype is lib.float64 and lib.empty_strided((3, 2), (2, 1)).stride() == (2, 1)


def test_as_subclass_keeps_memory_and_graph():
    class Sub(ember.Tensor):
        pass

    a = ember.ones(2, requires_grad=True) * 2
    s = a.as_subclass(Sub)
    assert type(s) is Sub and s.data_ptr() == a.data_ptr() and type(s.grad_fn).__name__ == "AliasBackward0"
    with pytest.raises(TypeError, match="Creating a Tensor subclass from a class that does not inherit from Tensor"):
        a.as_subclass(int)


def test_module_load_resize_and_removed_methods_match_torch():
    for lib in (ember, torch):
        p = lib.zeros(2, 3)
        loaded = p.module_load(lib.ones(2, 3, dtype=lib.float64))
        assert loaded.dtype is lib.float32 and p.tolist() == [[1.0] * 3] * 2 and loaded is not p
        assert p.module_load(lib.ones(1), assign=True).shape == (1,)
        with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
            assert tuple(lib.ones(2, 3).resize(3, 2).shape) == (3, 2)
        with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
            assert tuple(lib.ones(2, 3).resize_as(lib.ones(6)).shape) == (6,)
        for name in ("eig", "lstsq", "solve", "symeig"):
            with pytest.raises(RuntimeError, match="This function was deprecated since version 1.9 and is now removed"):
                getattr(lib.ones(2, 2), name)(lib.ones(2, 2)) if name in ("lstsq", "solve") else getattr(
                    lib.ones(2, 2), name
                )()
        with pytest.raises(RuntimeError, match="reinforce\\(\\) was removed"):
            lib.ones(1).reinforce(1.0)


def test_devices_ember_lacks_raise_torchs_errors():
    for lib in (ember, torch):
        with pytest.raises(AssertionError, match="Torch not compiled with XPU enabled"):
            lib.ones(1).xpu()
        with pytest.raises(AssertionError, match="Torch not compiled with MTIA enabled"):
            lib.ones(1).mtia()
        with pytest.raises(RuntimeError, match="PyTorch is not linked with support for ipu devices"):
            lib.ones(1).ipu()
    with pytest.raises(RuntimeError, match="record_stream: expected a CUDA tensor"):
        ember.ones(1).record_stream(None)


def test_register_post_accumulate_grad_hook_runs_after_accumulation():
    seen = []
    for lib in (ember, torch):
        w = lib.ones(2, requires_grad=True)
        w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
        (w * 3).sum().backward()
    assert seen == [[3.0, 3.0], [3.0, 3.0]]


def test_sparse_coo_tensor_matches_torch():
    def run(lib):
        i = lib.tensor([[0, 1, 1, 0], [2, 0, 2, 2]])
        s = lib.sparse_coo_tensor(i, lib.tensor([3.0, 4, 5, 1]), (2, 3))
        c = s.coalesce()
        dense = lib.tensor([[0.0, 1], [2, 0]])
        sp = dense.to_sparse()
        return (
            repr(s),
            repr(c),
            s.is_sparse,
            str(s.layout),
            s.is_coalesced(),
            c.is_coalesced(),
            s.sparse_dim(),
            s.dense_dim(),
            s._nnz(),
            c.indices().tolist(),
            c.values().tolist(),
            s.to_dense().tolist(),
            repr(sp),
            sp.to_dense().tolist(),
            s.sparse_mask(c).to_dense().tolist(),
            lib.sparse.sum(s).item(),
            repr(lib.sparse.softmax(c, 1)),
            lib.smm(c, lib.eye(3)).to_dense().tolist(),
            str(dense.layout),
        )

    assert run(ember) == run(torch)
    s = ember.sparse_coo_tensor([[0, 1]], [1.0, 2.0])
    with pytest.raises(RuntimeError, match="Cannot get indices on an uncoalesced tensor"):
        s.indices()


def test_layouts_and_memory_formats_pickle_and_print_as_torch():
    for name in ("strided", "sparse_coo", "channels_last", "contiguous_format", "preserve_format"):
        obj = getattr(ember, name)
        assert repr(obj) == repr(getattr(torch, name)) and pickle.loads(pickle.dumps(obj)) is obj
