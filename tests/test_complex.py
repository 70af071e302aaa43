"""Complex dtypes against torch: creation, promotion, printing, views of the real and imaginary parts,
checkpoints, errors; values and gradients of the complex ops and torch.fft are in the op table."""

import io
import warnings

import numpy as np
import pytest

import ember
from oracle import assert_close, check, torch


def test_dtypes_and_their_properties():
    for name in ("complex64", "cfloat", "complex128", "cdouble"):
        assert str(getattr(ember, name)) == str(getattr(torch, name))
    assert ember.complex64.is_complex and not ember.complex64.is_floating_point
    assert ember.complex128.to_real() is ember.float64
    assert ember.complex64.itemsize == 8
    with pytest.raises(NotImplementedError, match="complex32"):
        ember.complex32


@pytest.mark.parametrize("data", [[1 + 2j, 3.0], [[1, 2j], [0.5, -1]], 2j, [True, 1j]])
def test_tensor_infers_complex_as_torch(data):
    ours, theirs = ember.tensor(data), torch.tensor(data)
    assert str(ours.dtype) == str(theirs.dtype)
    assert_close(ours, theirs)


def test_tensor_from_numpy_complex_keeps_its_dtype():
    for arr in (np.array([1 + 1j], np.complex64), np.array([[2 - 1j]]), np.complex128(1j)):
        assert str(ember.tensor(arr).dtype) == str(torch.tensor(arr).dtype)
    assert ember.from_numpy(np.ones(2, np.complex64)).dtype is ember.complex64
    assert ember.zeros(2, dtype=ember.cfloat).dtype is ember.complex64
    with ember.autograd.no_grad():
        assert ember.set_default_dtype is not None
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1j]).dtype is ember.complex128
    finally:
        ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize(
    "a,b",
    [
        (("complex64", (2,)), ("float64", (2,))),
        (("complex64", (2,)), ("float64", ())),
        (("float64", (2,)), 1j),
        (("float32", (2,)), 1j),
        (("int64", (2,)), 1j),
        (("complex128", (2,)), ("float32", (2,))),
        (("complex64", ()), ("float64", (2,))),
        (("float16", (2,)), ("complex64", (2,))),
        (("complex64", (2,)), 2.5),
        (("int32", (2,)), ("complex128", ())),
        (("bool", (2,)), 1j),
        (("complex128", (2,)), ("complex64", (2,))),
    ],
)
@pytest.mark.parametrize("op", ["add", "mul", "div", "sub"])
def test_complex_promotion_matches_torch(a, b, op):
    def make(T, spec):
        if not isinstance(spec, tuple):
            return spec
        name, shape = spec
        return (T.ones(shape, dtype=getattr(T, name)) * 2).to(getattr(T, name))

    try:
        theirs = getattr(torch, op)(make(torch, a), make(torch, b))
    except RuntimeError:  # bool - complex
        with pytest.raises(RuntimeError):
            getattr(ember, op)(make(ember, a), make(ember, b))
        return
    ours = getattr(ember, op)(make(ember, a), make(ember, b))
    assert str(ours.dtype) == str(theirs.dtype)
    assert_close(ours, theirs)
    assert str(ember.result_type(make(ember, a), make(ember, b))) == str(
        torch.result_type(make(torch, a), make(torch, b))
    )


@pytest.mark.parametrize(
    "values",
    [
        [1 + 2j, 3 - 1j],
        [[0.5 + 0j, -2.25 - 1e-3j], [1e5j, 3]],
        [complex(float("nan"), 1), complex(0, float("inf"))],
        [-0.0 - 0.0j],
        1 + 2j,
        [],
    ],
)
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_tensors_print_as_torch(values, dtype):
    assert repr(ember.tensor(values, dtype=getattr(ember, dtype))) == repr(
        torch.tensor(values, dtype=getattr(torch, dtype))
    )


def test_large_complex_tensor_prints_summarised_as_torch():
    z = torch.randn(40, 30, dtype=torch.complex64)
    assert repr(ember.tensor(z.numpy())) == repr(z)
    assert repr(ember.tensor(z.numpy(), requires_grad=True)) == repr(z.clone().requires_grad_())


def test_real_and_imag_are_writable_views():
    for T in (ember, torch):
        z = T.tensor([1 + 2j, 3 - 4j])
        z.real[0] = 10.0
        z.imag.mul_(2)
        z.imag = T.tensor([5.0, 6.0])
        assert z.tolist() == [10 + 5j, 3 + 6j]
        x = T.tensor([1.0, 2.0])
        assert x.real is x or bool((x.real == x).all())
        with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
            x.imag


def test_view_as_real_shares_memory_and_view_as_complex_checks_its_input():
    z = ember.tensor([1 + 2j, 3 - 4j])
    r = ember.view_as_real(z)
    r[1, 1] = 7.0
    assert z.tolist() == [1 + 2j, 3 + 7j]
    for T in (ember, torch):
        with pytest.raises(RuntimeError, match="Tensor must have a last dimension of size 2"):
            T.view_as_complex(T.ones(3, 3))
        with pytest.raises(RuntimeError, match="Tensor must have a last dimension with stride 1"):
            T.view_as_complex(T.ones(2, 3).t())
        with pytest.raises(RuntimeError, match="view_as_real is only supported for complex tensors"):
            T.view_as_real(T.ones(2))


def test_complex_and_polar_need_matching_float_dtypes():
    for T in (ember, torch):
        with pytest.raises(RuntimeError):
            T.complex(T.ones(2), T.ones(2, dtype=T.float64))
        with pytest.raises(RuntimeError):
            T.complex(T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64))


def test_angle_and_abs_of_real_and_integer_tensors_match_torch():
    x = np.array([-2.0, 0.0, 3.0, np.nan])
    check(lambda T, v: (T.angle(v), v.abs()), arrays=[x], grad=False)
    check(lambda T, v: T.angle(v), arrays=[np.array([-2, 0, 3])], grad=False)


def test_cast_to_real_warns_and_keeps_the_real_part():
    z = ember.tensor([1 + 2j])
    with pytest.warns(UserWarning, match="Casting complex values to real discards the imaginary part"):
        x = z.to(ember.float32)
    assert x.tolist() == [1.0]
    with pytest.raises(RuntimeError, match="result type ComplexFloat can't be cast to the desired output type Float"):
        ember.ones(1).add_(z)


def test_backward_of_a_complex_output_needs_a_real_loss():
    z = ember.tensor([1 + 2j], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar outputs"):
        (z * z).sum().backward()
    (z * z).abs().sum().backward()
    assert z.grad.dtype is ember.complex64


def test_gradient_convention_on_a_chain_matches_torch():
    # |fft(x * w)|^2 with complex w: the gradient of a real loss w.r.t. complex leaves is dL/dRe + i dL/dIm
    def chain(T, x, w):
        return (T.fft.fft(x * w).abs() ** 2).sum() + (w.conj() * w).real.sum() + T.angle(w).sum()

    rng = np.random.default_rng(3)
    check(
        chain,
        arrays=[rng.standard_normal((2, 8)), rng.standard_normal(8) + 1j * rng.standard_normal(8)],
        dtype=np.float64,
    )


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_checkpoints_round_trip_with_torch(tmp_path, dtype):
    z = np.random.default_rng(1).standard_normal((3, 2)) + 1j
    ours = {"z": ember.tensor(z, dtype=getattr(ember, dtype))}
    path = tmp_path / "ours.pt"
    ember.save(ours, str(path))
    loaded = torch.load(str(path))
    assert loaded["z"].dtype == getattr(torch, dtype)
    np.testing.assert_array_equal(loaded["z"].numpy(), ours["z"].numpy())
    buffer = io.BytesIO()
    torch.save({"z": torch.tensor(z, dtype=getattr(torch, dtype))}, buffer)
    buffer.seek(0)
    back = ember.load(buffer)
    assert back["z"].dtype is getattr(ember, dtype)
    np.testing.assert_array_equal(back["z"].numpy(), loaded["z"].numpy())


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda T: T.fft.fft(T.ones(4), norm="bad"), RuntimeError, 'Invalid normalization mode: "bad"'),
        (lambda T: T.fft.rfft(T.ones(4, dtype=T.complex64)), RuntimeError, "rfft expects a real input tensor"),
        (lambda T: T.fft.fft(T.ones(4), n=0), RuntimeError, r"Invalid number of data points \(0\) specified"),
        (
            lambda T: T.fft.fftn(T.ones(2, 2), s=(2,), dim=(0, 1)),
            RuntimeError,
            "When given, dim and shape arguments must have the same length",
        ),
    ],
)
def test_fft_argument_errors_match_torch(call, error, message):
    for T in (torch, ember):
        with pytest.raises(error, match=message):
            call(T)


def test_fft_dtypes_and_frequency_helpers_match_torch():
    for dtype in (np.float32, np.float64, np.int64):
        x = np.arange(6).astype(dtype)
        check(
            lambda T, v: (T.fft.fft(v), T.fft.rfft(v), T.fft.irfft(T.fft.rfft(v)), T.fft.ihfft(v)),
            arrays=[x],
            grad=False,
        )
    for n, d in ((5, 1.0), (6, 0.5), (1, 2.0)):
        check(
            lambda T: (T.fft.fftfreq(n, d), T.fft.rfftfreq(n, d), T.fft.fftfreq(n, dtype=T.float64)),
            arrays=[],
            grad=False,
        )
    check(
        lambda T, v: (T.fft.fftshift(v), T.fft.ifftshift(v), T.fft.fftshift(v, dim=1)),
        arrays=[np.arange(12.0).reshape(3, 4)],
        grad=False,
    )


def test_complex_methods_exist_as_in_torch():
    z = ember.tensor([1 + 1j])
    assert z.is_complex() and ember.is_complex(z) and not ember.ones(1).is_complex()
    assert z.resolve_conj() is z and not z.is_conj()
    assert ember.ones(2).cfloat().dtype is ember.complex64 and ember.ones(2).cdouble().dtype is ember.complex128
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert z.conj().tolist() == [1 - 1j] and z.conj_physical().tolist() == [1 - 1j]


def test_norms_vecdot_and_var_of_complex_tensors_match_torch():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    check(
        lambda T, a: (a.norm(), T.linalg.vector_norm(a, 3, dim=0), T.linalg.vecdot(a, a.flip(0)), a.var(1), a.std()),
        arrays=[z],
        dtype=np.float64,
    )


def test_non_holomorphic_decompositions_refuse_complex_gradients():
    z = ember.tensor(np.eye(3) * 2 + 0.5j, requires_grad=True)
    for fn in (lambda a: ember.linalg.svd(a).S, lambda a: ember.linalg.qr(a).R, lambda a: ember.linalg.eigh(a)[0]):
        with pytest.raises(NotImplementedError, match="for complex input is not implemented"):
            fn(z).abs().sum().backward()
