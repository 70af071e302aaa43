"""Memory sharing exactly like torch: views write through, advanced indexing copies, NumPy interop
shares memory; strides, offsets and contiguity equal torch's."""

import numpy as np
import pytest

import ember
from oracle import torch

# (id, fn(T, base) -> result); the base is arange(24).reshape(2, 3, 4) as float32
VIEWS = [
    ("view", lambda T, x: x.view(6, 4)),
    ("view-flat", lambda T, x: x.view(-1)),
    ("reshape-contiguous", lambda T, x: x.reshape(4, 6)),
    ("slice", lambda T, x: x[1:, ::2, 1]),
    ("int-index", lambda T, x: x[1]),
    ("ellipsis-none", lambda T, x: x[..., None]),
    ("none-int", lambda T, x: x[:, None, :, 2]),
    ("step-slice", lambda T, x: x[:, :, 1::2]),
    ("t", lambda T, x: x[0].t()),
    ("transpose", lambda T, x: x.transpose(0, 2)),
    ("permute", lambda T, x: x.permute(1, 2, 0)),
    ("expand", lambda T, x: x[:, :1].expand(2, 5, 4)),
    ("narrow", lambda T, x: x.narrow(2, 1, 2)),
    ("unbind", lambda T, x: x.unbind(1)[2]),
    ("chunk", lambda T, x: x.chunk(2, 2)[1]),
    ("split", lambda T, x: x.split([1, 2], 1)[1]),
    ("squeeze", lambda T, x: x[:1].squeeze(0)),
    ("unsqueeze", lambda T, x: x.unsqueeze(1)),
    ("diagonal", lambda T, x: x.diagonal(0, 1, 2)),
    ("diagonal-offset", lambda T, x: x.diagonal(1, -2, -1)),
    ("select", lambda T, x: x.select(2, 3)),
    ("movedim", lambda T, x: x.movedim(0, 2)),
    ("flatten-contiguous", lambda T, x: x.flatten(1)),
    ("mT", lambda T, x: x.mT),
    ("view-of-transpose", lambda T, x: x.transpose(1, 2).unsqueeze(0)),
    ("detach", lambda T, x: x.detach()),
    ("view_as", lambda T, x: x.view_as(x)),
    ("slice-of-slice", lambda T, x: x[1][1:][:, 2:]),
]


def _base(T):
    return T.arange(24, dtype=T.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("name,fn", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_shares_memory_and_layout_like_torch(name, fn):
    e_base, t_base = _base(ember), _base(torch)
    ours, theirs = fn(ember, e_base), fn(torch, t_base)
    assert tuple(ours.shape) == tuple(theirs.shape)
    if name != "expand":  # torch and NumPy both give the broadcast dim stride 0, checked below
        assert ours.stride() == theirs.stride()
    assert ours.storage_offset() == theirs.storage_offset()
    assert ours.is_contiguous() == theirs.is_contiguous()
    # write through the view: the base sees it
    ours.fill_(-1.0) if name != "expand" else ours[0, 0].fill_(-1.0)
    theirs.fill_(-1.0) if name != "expand" else theirs[0, 0].fill_(-1.0)
    np.testing.assert_array_equal(e_base.numpy(), t_base.numpy())
    # write through the base: the view sees it
    e_base.mul_(2)
    t_base.mul_(2)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_expand_has_zero_stride_like_torch():
    e, t = ember.ones(3, 1).expand(3, 4), torch.ones(3, 1).expand(3, 4)
    assert e.stride() == t.stride() == (1, 0)


@pytest.mark.parametrize("key", [[0, 1], "mask", "tensor"])
def test_advanced_indexing_copies(key):
    x = ember.arange(6.0).reshape(2, 3)
    k = {"mask": x > 2, "tensor": ember.tensor([1, 0])}.get(key, key) if not isinstance(key, list) else key
    y = x[k]
    y.fill_(100.0)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_reshape_of_non_contiguous_copies_like_torch():
    for T in (ember, torch):
        x = T.arange(6.0).reshape(2, 3)
        y = x.t().reshape(6)
        y.fill_(0.0)
        assert x.sum().item() == 15.0


def test_contiguous_returns_self_or_a_copy():
    x = ember.arange(6.0).reshape(2, 3)
    assert x.contiguous() is x
    t = x.t()
    c = t.contiguous()
    assert c.is_contiguous() and not t.is_contiguous() and c.stride() == (2, 1)
    c.fill_(0.0)
    assert x.sum().item() == 15.0


def test_from_numpy_and_numpy_share_memory_both_ways():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = ember.from_numpy(a)
    a[0, 0] = 10.0
    assert x[0, 0].item() == 10.0
    x[1, 2] = -1.0
    assert a[1, 2] == -1.0
    b = x.numpy()
    b[0, 1] = 7.0
    assert x[0, 1].item() == 7.0 and a[0, 1] == 7.0
    assert x.dtype == ember.float32
    assert ember.from_numpy(np.arange(3)).dtype == ember.int64


def test_tensor_copies_its_data():
    a = np.zeros(3, dtype=np.float32)
    x = ember.tensor(a)
    a[0] = 1.0
    assert x[0].item() == 0.0
    y = ember.as_tensor(a)
    a[1] = 2.0
    assert y[1].item() == 2.0  # as_tensor shares when it can, as torch


def test_view_errors_on_non_contiguous_input_like_torch():
    x = ember.arange(6.0).reshape(2, 3).t()
    with pytest.raises(RuntimeError, match="view") as info:
        x.view(6)
    assert "contiguous" in str(info.value) or "reshape" in str(info.value)
    with pytest.raises(RuntimeError, match=r"shape '\[4\]' is invalid for input of size 6"):
        ember.arange(6.0).view(4)
