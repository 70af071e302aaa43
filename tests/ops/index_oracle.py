"""Run one indexing program on torch and on ember and compare everything a user sees: the result's
values, shape and dtype, the gradients of its leaves, or the type (and opening words) of the error."""

import warnings

import numpy as np
import torch

import ember


def run(T, fn):
    """fn(T) -> out or (out, leaves). Returns (outputs, leaf grads, error)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(T)
            out, leaves = (
                result
                if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], list)
                else (result, [])
            )
            grads = _backward(T, out, leaves)
    except Exception as error:  # noqa: BLE001 - both must raise, or neither
        return None, None, error
    return out, grads, None


def _backward(T, out, leaves):
    if not leaves or not out.requires_grad:
        return [None] * len(leaves)
    weights = np.random.default_rng(7).standard_normal(tuple(out.shape))
    (out * T.tensor(weights, dtype=out.dtype)).sum().backward()
    return [leaf.grad for leaf in leaves]


def assert_same(fn, message=True):
    """fn(T) gives the same result (and gradients) on torch and ember, or raises the same exception type;
    with `message`, ember's message opens with torch's (its first 30 characters)."""
    t_out, t_grads, t_err = run(torch, fn)
    e_out, e_grads, e_err = run(ember, fn)
    if t_err is not None or e_err is not None:
        assert e_err is not None, f"torch raised {type(t_err).__name__}: {t_err}; ember returned {e_out!r}"
        assert t_err is not None, f"ember raised {type(e_err).__name__}: {e_err}; torch returned {t_out!r}"
        assert type(e_err) is type(t_err), (
            f"ember raised {type(e_err).__name__}: {e_err}; torch {type(t_err).__name__}: {t_err}"
        )
        if message:
            opening = str(t_err).split("\n")[0].split(" (Triggered internally")[0][:30]
            assert str(e_err).startswith(opening), f"ember's message {str(e_err)!r} does not open with {opening!r}"
        return
    assert_close(e_out, t_out, "output")
    for i, (e, t) in enumerate(zip(e_grads, t_grads)):
        assert (e is None) == (t is None), f"grad of leaf {i}: ember {e!r}, torch {t!r}"
        if t is not None:
            assert_close(e, t, f"grad of leaf {i}")


def assert_close(e, t, what):
    assert isinstance(e, ember.Tensor), f"{what}: ember gave {type(e).__name__}"
    assert str(e.dtype) == str(t.dtype), f"{what}: dtype {e.dtype}, torch {t.dtype}"
    assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)}, torch {tuple(t.shape)}"
    a, b = e.detach().numpy(), t.detach().numpy()
    if a.dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)
