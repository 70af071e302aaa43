"""NaN, infinities, ties and zeros against torch: order of sort-like ops, reductions' values and indices,
and gradients at the points where a naive composition gives nan (zero distances, constant inputs,
ties, bounds, 0 ** x, all targets ignored)."""

import warnings

import numpy as np
import pytest

import ember
from oracle import check, torch

nan, inf = float("nan"), float("inf")


def _f(*rows):
    return np.array(rows, np.float32)


WITH_NAN = _f(
    [1.0, nan, 3.0, -inf, nan, 3.0],
    [2.0, 2.0, inf, 0.0, -1.0, nan],
    [nan, nan, nan, nan, nan, nan],
    [0.5, -0.5, 0.5, 4.0, 4.0, -2.0],
)
SCANS = _f([nan, 1.0, 2.0, 0.0], [1.0, nan, 2.0, 3.0], [nan, 1.0, nan, -1.0], [2.0, 2.0, 1.0, 3.0])
TIES = _f([1.0, 2.0, 2.0, 3.0], [3.0, 3.0, 3.0, 3.0], [1.0, nan, 2.0, nan])
PAIR_A = _f([1.0, nan, nan, 2.0, 2.0, -inf, inf])
PAIR_B = _f([nan, 2.0, nan, 2.0, 1.0, -inf, inf])

# (id, fn(T, *inputs), arrays, compare gradients)
CASES = [
    ("sort-descending", lambda T, x: x.sort(descending=True, stable=True), [WITH_NAN], True),
    ("sort-descending-dim0", lambda T, x: T.sort(x, dim=0, descending=True, stable=True), [WITH_NAN], True),
    ("sort-ascending", lambda T, x: x.sort(stable=True), [WITH_NAN], True),
    ("argsort-descending", lambda T, x: x.argsort(descending=True, stable=True), [WITH_NAN], False),
    (
        "sort-int8-extremes-descending",
        lambda T, x: x.sort(descending=True, stable=True),
        [np.array([-128, 127, 0, -128, 5], np.int8)],
        False,
    ),
    (
        "sort-bool-descending",
        lambda T, x: x.sort(descending=True, stable=True),
        [np.array([True, False, True, False])],
        False,
    ),
    # torch's topk, kthvalue and nanmedian select without a stable order: no ties among the picks
    ("topk-largest", lambda T, x: x.topk(2), [WITH_NAN[:2]], True),
    ("topk-smallest", lambda T, x: x.topk(2, largest=False), [WITH_NAN[[0, 1, 3]]], True),
    ("msort", lambda T, x: T.msort(x), [WITH_NAN], True),
    ("median", lambda T, x: x[0].median(), [WITH_NAN], True),
    ("median-no-nan", lambda T, x: x[3].median(), [WITH_NAN], True),
    ("median-dim", lambda T, x: x.median(1), [WITH_NAN], True),
    ("median-dim0-keepdim", lambda T, x: x.median(0, keepdim=True), [WITH_NAN], True),
    ("nanmedian", lambda T, x: x.nanmedian(), [WITH_NAN], True),
    ("nanmedian-dim", lambda T, x: x.nanmedian(1), [WITH_NAN[[0, 1, 3]]], True),
    ("nanmedian-dim-all-nan", lambda T, x: x.nanmedian(1).values, [WITH_NAN], False),
    ("nanmedian-zero-and-nans", lambda T, x: T.nanmedian(x, 1), [_f([0.0, nan, nan])], True),
    ("kthvalue-nan-largest", lambda T, x: x.kthvalue(5, 1), [WITH_NAN[[0, 1, 3]]], True),
    ("cummax", lambda T, x: x.cummax(1), [SCANS], True),
    ("cummin", lambda T, x: T.cummin(x, 1), [SCANS], True),
    ("fmax", lambda T, a, b: T.fmax(a, b), [PAIR_A, PAIR_B], True),
    ("fmin", lambda T, a, b: T.fmin(a, b), [PAIR_A, PAIR_B], True),
    ("maximum-nan-and-ties", lambda T, a, b: T.maximum(a, b), [PAIR_A, PAIR_B], True),
    ("minimum-nan-and-ties", lambda T, a, b: T.minimum(a, b), [PAIR_A, PAIR_B], True),
    ("max-all-nan", lambda T, x: x[2].max(), [TIES], True),
    ("max-all-ties", lambda T, x: x[1].max(), [TIES], True),
    ("min-all-ties", lambda T, x: x[0, :3].min() + x[1].min(), [TIES], True),
    ("median-all-ties", lambda T, x: x[0].median() + x[1].median(), [TIES], True),
    ("nanmedian-all-ties", lambda T, x: x[2].nanmedian() + x[1].nanmedian(), [TIES], True),
    ("amax-ties", lambda T, x: x[:2].amax(1), [TIES], True),
    (
        "logaddexp-infinities",
        lambda T, a, b: T.logaddexp(a, b),
        [_f(-inf, 0.0, inf, 1.0, -inf), _f(-inf, inf, inf, 2.0, 3.0)],
        False,
    ),
    ("mode-all-nan", lambda T, x: x.mode(), [_f(nan, nan, nan)], False),
    ("mode-nan-last", lambda T, x: x.mode(), [_f(1.0, 1.0, 2.0, nan)], False),
    (
        "unique-nan",
        lambda T, x: T.unique(x, return_inverse=True, return_counts=True),
        [_f(1.0, nan, nan, 1.0, -inf)],
        False,
    ),
    ("quantile-nan", lambda T, x: x.quantile(0.5, dim=1), [WITH_NAN], True),
    ("nanquantile", lambda T, x: T.nanquantile(x, T.tensor([0.25, 0.5], dtype=x.dtype), dim=1), [WITH_NAN], True),
    ("lerp-infinite-end", lambda T, a, b: T.lerp(a, b, 0.75), [_f(-inf, 1.0, inf), _f(1.0, inf, 2.0)], False),
]


@pytest.mark.parametrize("name,fn,arrays,grad", CASES, ids=[c[0] for c in CASES])
def test_nan_inf_and_ties_as_torch(name, fn, arrays, grad, device):
    check(fn, arrays=arrays, grad=grad, device=device)


def _x():
    return np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


# gradients that a naive composition makes nan (or raises on): (id, fn(T, x) -> scalar loss, input array)
SPECIAL_GRADIENTS = [
    ("cdist-zero-distances", lambda T, x: T.cdist(x, x).mean(), _x()),
    ("cdist-p1-zero-distances", lambda T, x: T.cdist(x, x, p=1).mean(), _x()),
    ("cdist-p3-zero-distances", lambda T, x: T.cdist(x, x, p=3.0).mean(), _x()),
    ("cdist-p0", lambda T, x: T.cdist(x, x, p=0).mean(), _x()),
    ("norm-p3-zero", lambda T, x: (x * 0).norm(p=3), _x()),
    ("norm-p0.5-zero-row", lambda T, x: (x * T.tensor([[0.0], [1.0], [1.0]])).norm(p=0.5, dim=1).sum(), _x()),
    ("pdist-duplicate-rows", lambda T, x: T.nn.functional.pdist(x.repeat(2, 1)).sum(), _x()),
    ("std-of-constant", lambda T, x: (x * 0 + 3).std(), _x()),
    ("std-dim-of-constant", lambda T, x: (x * 0 + 3).std(1).sum(), _x()),
    ("var-of-one-element", lambda T, x: x[:1, :1].var(), _x()),
    ("var-dim-of-one-element", lambda T, x: x[:1].var(0).sum(), _x()),
    ("var-correction-beyond-count", lambda T, x: x[:1, :2].var(correction=2), _x()),
    ("cross_entropy-every-target-ignored", lambda T, x: T.nn.functional.cross_entropy(x, T.tensor([-100] * 3)), _x()),
    (
        "cross_entropy-smoothing-every-target-ignored",
        lambda T, x: T.nn.functional.cross_entropy(x, T.tensor([-100] * 3), label_smoothing=0.1),
        _x(),
    ),
    ("nll_loss-every-target-ignored", lambda T, x: T.nn.functional.nll_loss(x, T.tensor([-100] * 3)), _x()),
    ("atan2-origin", lambda T, x: T.atan2(x * 0, x * 0).sum() + T.atan2(x * 0, x).sum(), _x()),
    ("pow-zero-base-scalar", lambda T, x: T.pow(0.0, x).sum(), _f([1.0, -1.0, 0.0, 2.0])),
    ("pow-zero-base-tensor", lambda T, x: T.pow(x * 0, x).sum(), _f([1.0, -1.0, 0.0, 2.0])),
    (
        "clamp-tensor-bounds-at-bound",
        lambda T, x: x.clamp(x[0] * 0, x[0] * 0 + 1).sum(),
        _f([[0.0, 1.0, 0.5, 2.0], [-1.0, 0.0, 1.0, 0.25]]),
    ),
    ("clamp-min-tensor-at-bound", lambda T, x: T.clamp(x, min=x[0] * 0).sum(), _f([[0.0, 1.0], [0.0, -1.0]])),
    ("clamp-max-tensor-at-bound", lambda T, x: x.clamp_max(x[0] * 0 + 1).sum(), _f([[1.0, 0.0], [1.0, 2.0]])),
    ("clamp-crossed-bounds", lambda T, x: T.clamp(x, x * 0 + 1, x * 0).sum(), _f([0.5, 2.0, -1.0])),
]


@pytest.mark.parametrize("name,fn,array", SPECIAL_GRADIENTS, ids=[c[0] for c in SPECIAL_GRADIENTS])
def test_gradient_at_special_points_as_torch(name, fn, array):
    grads = []
    for T in (torch, ember):
        x = T.tensor(array, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's and ember's "degrees of freedom is <= 0"
            loss = fn(T, x)
        loss.backward()
        grads.append((loss.item(), None if x.grad is None else x.grad.numpy()))
    (t_loss, t_grad), (e_loss, e_grad) = grads
    np.testing.assert_allclose(e_loss, t_loss, rtol=1e-5, equal_nan=True)
    assert (e_grad is None) == (t_grad is None)
    if t_grad is not None:
        np.testing.assert_allclose(e_grad, t_grad, rtol=1e-5, atol=1e-6, equal_nan=True)
        np.testing.assert_array_equal(np.signbit(e_grad[e_grad == 0]), np.signbit(t_grad[e_grad == 0]))


def test_mode_with_nan_never_merges_nans():
    # torch's CPU mode sorts with `<`, which NaN breaks: its index then depends on the sort's internals.
    # ember counts each NaN once and orders NaN last, so the most frequent real value wins.
    values, indices = ember.tensor([1.0, nan, nan, 1.0, 2.0]).mode()
    assert values.item() == 1.0 and indices.item() == 3
    values, indices = ember.tensor([[nan, nan]]).mode(1)
    assert np.isnan(values.item()) and indices.item() == 0
