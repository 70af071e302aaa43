"""The torch oracle (as tinygrad's helper_test_op): run one function on real torch and on ember,
with the same inputs, and compare forward values, dtypes, shapes and input gradients."""

import functools

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

DEVICE = "cpu"  # where check() runs ember unless told: set by the `device` fixture (tests/conftest.py)
on_devices = pytest.mark.usefixtures("device")  # run a test on cpu and on cuda (the strict device without a GPU)

TOL = {
    np.float32: dict(rtol=1e-5, atol=1e-6),
    np.float64: dict(rtol=1e-10, atol=1e-12),
    np.complex64: dict(rtol=1e-5, atol=1e-6),
    np.complex128: dict(rtol=1e-10, atol=1e-12),
    np.float16: dict(rtol=1e-3, atol=1e-3),
}


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().resolve_conj().resolve_neg().numpy()  # torch's fft can return lazy conjugates
    if isinstance(x, ember.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def assert_on(device, tensors, what):
    """Every ember tensor among `tensors` is on `device` (a device string or ember.device)."""
    want = ember.device(device)
    for i, t in enumerate(tensors):
        if isinstance(t, ember.Tensor):
            assert t.device.type == want.type, f"{what} {i} is on {t.device}, not on the input's device {want}"


def _flatten(out):
    if isinstance(out, (tuple, list)):
        items = []
        for o in out:
            items.extend(_flatten(o))
        return items
    return [out]


def assert_close(ours, theirs, rtol=None, atol=None, what="value"):
    a, b = to_numpy(ours), to_numpy(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != torch {b.dtype}"
    tol = TOL.get(a.dtype.type, dict(rtol=0, atol=0))
    # a tolerance may be given per dtype, {np.float64: 1e-9}: torch's own float64 kernel is the less exact one
    rtol, atol = (t.get(a.dtype.type) if isinstance(t, dict) else t for t in (rtol, atol))
    tol = dict(rtol=tol["rtol"] if rtol is None else rtol, atol=tol["atol"] if atol is None else atol)
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, err_msg=what, equal_nan=True, **tol)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def make_inputs(shapes, dtype=np.float32, seed=0, low=-2.0, high=2.0, requires_grad=True):
    rng = np.random.default_rng(seed)
    arrays = []
    for s in shapes:
        if isinstance(s, np.ndarray):
            arrays.append(s)
        else:
            arrays.append(rng.uniform(low, high, size=s).astype(dtype))
    return arrays


_FACTORIES = frozenset(
    {
        "tensor",
        "as_tensor",
        "zeros",
        "ones",
        "full",
        "empty",
        "eye",
        "arange",
        "range",
        "linspace",
        "logspace",
        "rand",
        "randn",
        "randint",
        "randperm",
        "normal",
        "hann_window",
        "hamming_window",
        "blackman_window",
        "bartlett_window",
        "kaiser_window",
    }
)


class EmberOn:
    """ember as a test function sees it on `device`: its factory functions (T.tensor, T.eye, ...) default to
    that device, as a user's code would pass device=; the rest is ember itself. Unlike a default device,
    this leaves the tensors ops create inside without a device on the CPU, where the test catches them."""

    def __init__(self, device):
        self._device = device

    def __getattr__(self, name):
        value = getattr(ember, name)
        return functools.partial(_on_device, value, self._device) if name in _FACTORIES else value


def _on_device(factory, device, *args, **kwargs):
    if kwargs.get("device") is None:
        kwargs["device"] = device
    return factory(*args, **kwargs)


def check(
    fn,
    shapes=None,
    arrays=None,
    dtype=np.float32,
    seed=0,
    low=-2.0,
    high=2.0,
    grad=True,
    rtol=None,
    atol=None,
    grad_rtol=None,
    grad_atol=None,
    device=None,
):
    """fn(T, *tensors) is run with T=torch and T=ember; float arrays become requires_grad leaves.

    Compares every output, then backprops sum(out * w) for fixed random w and compares input grads.
    ember runs on `device` (its inputs, and the tensors fn makes with T's factories, see EmberOn): every
    output and gradient must be there too. torch runs on the CPU.
    """
    arrays = arrays if arrays is not None else make_inputs(shapes, dtype, seed, low, high)
    device = DEVICE if device is None else device
    t_in = [torch.tensor(a, requires_grad=grad and a.dtype.kind in "fc") for a in arrays]
    e_in = [ember.tensor(a, requires_grad=grad and a.dtype.kind in "fc", device=device) for a in arrays]
    T = ember if device == "cpu" else EmberOn(device)
    t_out, e_out = _flatten(fn(torch, *t_in)), _flatten(fn(T, *e_in))
    assert len(t_out) == len(e_out), f"{len(e_out)} outputs, torch gives {len(t_out)}"
    assert_on(device, e_out, "output")
    for i, (e, t) in enumerate(zip(e_out, t_out)):
        assert_close(e, t, rtol, atol, what=f"output {i}")
    if not grad:
        return e_out
    rng = np.random.default_rng(seed + 1)
    t_loss, e_loss = 0, 0
    for e, t in zip(e_out, t_out):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            w = rng.standard_normal(tuple(t.shape)).astype(to_numpy(t).dtype)
            if t.is_complex():  # a real loss of a complex output: Re(sum(out * w)), w complex
                w = w + 1j * rng.standard_normal(tuple(t.shape)).astype(w.dtype)
                t_loss = t_loss + (t * torch.tensor(w)).real.sum()
                e_loss = e_loss + (e * ember.tensor(w, device=device)).real.sum()
                continue
            t_loss = t_loss + (t * torch.tensor(w)).sum()
            e_loss = e_loss + (e * ember.tensor(w, device=device)).sum()
    if isinstance(t_loss, int):
        return e_out
    t_loss.backward()
    e_loss.backward()
    assert_on(device, [e.grad for e in e_in], "grad of input")
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        if t.grad is None:
            assert e.grad is None or not np.any(to_numpy(e.grad)), f"input {i}: ember has a grad, torch none"
            continue
        assert e.grad is not None, f"input {i}: no gradient in ember"
        assert_close(
            e.grad,
            t.grad,
            grad_rtol if grad_rtol is not None else rtol,
            grad_atol if grad_atol is not None else atol,
            what=f"grad of input {i}",
        )
    return e_out
