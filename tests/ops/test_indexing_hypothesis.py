"""A differential suite for indexing: random tensors (0-d, empty dims included) and random keys of every
form torch accepts (ints, negative ints, slices with steps, None, Ellipsis, bools, bool and uint8 masks,
int lists, nested lists, ranges, int tensors of several dtypes, 0-d tensors, NumPy arrays, and mixtures,
as tuples, single items or lists), run on torch and on ember. getitem (with autograd) and setitem into a
non-leaf (with autograd) must agree in values, shapes, dtypes and gradients, or raise the same exception
type."""

import warnings

import numpy as np
import torch
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from index_oracle import assert_same

SUITE = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

INDEX_DTYPES = ["int64"] * 4 + ["int32", "int16", "uint8", "float32"]  # int16, float: torch refuses them
INDEX_SHAPES = [(2,), (3,), (1,), (2, 1), (0,)]


def _ints(size, shape):
    """Index values for a dim of this size, now and then out of range."""
    return hnp.arrays(np.int64, shape, elements=st.integers(-size - 1, size))


@st.composite
def keys(draw, shape):
    """(key spec, form): a list of item specs, turned into a key for torch or ember by make_key."""
    index_shape = draw(st.sampled_from(INDEX_SHAPES))
    items, dim = [], 0
    for _ in range(draw(st.integers(0, len(shape) + 1))):
        size = shape[dim] if dim < len(shape) else 2
        kind = draw(
            st.sampled_from(
                [
                    "int",
                    "int",
                    "slice",
                    "slice",
                    "none",
                    "ellipsis",
                    "bool",
                    "mask",
                    "list",
                    "nested",
                    "tensor",
                    "tensor",
                    "0d",
                    "ndarray",
                    "range",
                ]
            )
        )
        if kind == "int":
            items.append(("int", draw(st.integers(-size - 1, size))))
        elif kind == "slice":
            bound = st.none() | st.integers(-size - 2, size + 2)
            step = st.none() | st.sampled_from([1, 1, 2, 3, 0, -1])
            items.append(("slice", draw(bound), draw(bound), draw(step)))
        elif kind == "none":
            items.append(("none",))
        elif kind == "ellipsis":
            if ("ellipsis",) in items:  # past the last dim, a second Ellipsis reads sizes torch does not have
                continue
            items.append(("ellipsis",))
        elif kind == "bool":
            items.append(("bool", draw(st.booleans())))
        elif kind == "mask":
            n = draw(st.integers(1, max(1, len(shape) - dim)))
            mask_shape = tuple(shape[dim : dim + n]) if draw(st.integers(0, 5)) else (size + 1,)
            items.append(("mask", draw(hnp.arrays(np.bool_, mask_shape)), draw(st.sampled_from(["bool", "uint8"]))))
            dim += n - 1
        elif kind == "list":
            items.append(("list", draw(_ints(size, index_shape)).tolist()))
        elif kind == "nested":
            items.append(("list", draw(_ints(size, (2, 2))).tolist()))
        elif kind == "tensor":
            items.append(("tensor", draw(_ints(size, index_shape)), draw(st.sampled_from(INDEX_DTYPES))))
        elif kind == "0d":
            items.append(("tensor", draw(_ints(size, ())), draw(st.sampled_from(["int64", "int32", "bool"]))))
        elif kind == "ndarray":
            items.append(("ndarray", draw(_ints(size, index_shape)).astype(draw(st.sampled_from(["int64", "int32"])))))
        else:
            start = draw(st.integers(0, size))
            items.append(("range", start, draw(st.integers(start, size + 1))))
        dim += kind not in ("none", "ellipsis", "bool")
    form = draw(st.sampled_from(["tuple", "tuple", "tuple", "single", "list"]))
    if form == "single" and len(items) != 1:
        form = "tuple"
    return items, form


def make_key(T, spec):
    items, form = spec
    made = [_item(T, item) for item in items]
    if form == "single":
        return made[0]
    return made if form == "list" else tuple(made)


def _item(T, item):
    kind = item[0]
    if kind == "int":
        return item[1]
    if kind == "slice":
        return slice(*item[1:])
    if kind == "none":
        return None
    if kind == "ellipsis":
        return Ellipsis
    if kind == "bool":
        return item[1]
    if kind == "mask":
        return T.tensor(item[1].astype(item[2]))
    if kind == "list":
        return item[1]
    if kind == "tensor":
        return T.tensor(item[1].astype(item[2]))
    if kind == "ndarray":
        return item[1]
    return range(item[1], item[2])


DATA = st.sampled_from(["float64", "float64", "float32", "int64", "bool"])


def _tensor(T, shape, dtype, grad):
    values = (np.arange(int(np.prod(shape))).reshape(shape) * 0.75 - 2).astype(dtype)
    return T.tensor(values, dtype=getattr(T, dtype), requires_grad=grad and dtype.startswith("float"))


@SUITE
@given(data=st.data())
def test_getitem_as_torch(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    dtype = data.draw(DATA)
    spec = data.draw(keys(shape))

    def get(T):
        x = _tensor(T, shape, dtype, grad=True)
        return x[make_key(T, spec)], [x] if x.requires_grad else []

    assert_same(get, message=False)


@st.composite
def values(draw, slot_shape):
    """A value for setitem: a number, or a tensor of the indexed place's shape, of a shape that broadcasts
    to it (with leading ones or fewer dims), or of another shape; now and then of another dtype."""
    kind = draw(st.sampled_from(["number", "exact", "exact", "suffix", "leading-ones", "other"]))
    if kind == "number" or slot_shape is None and kind != "other":
        return ("number", draw(st.sampled_from([7.5, -1, True])))
    if kind == "exact":
        shape = slot_shape
    elif kind == "suffix":
        shape = slot_shape[draw(st.integers(0, len(slot_shape))) :]
    elif kind == "leading-ones":
        shape = (1,) * draw(st.integers(1, 2)) + tuple(slot_shape)
    else:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    return ("tensor", tuple(shape), draw(st.sampled_from(["float64"] * 4 + ["float32"])))


def _value(T, spec):
    if spec[0] == "number":
        return spec[1]
    _, shape, dtype = spec
    return T.tensor(
        np.arange(1, int(np.prod(shape)) + 1).reshape(shape) / 8, dtype=getattr(T, dtype), requires_grad=True
    )


@SUITE
@given(data=st.data())
def test_setitem_into_a_non_leaf_as_torch(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    spec = data.draw(keys(shape))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            slot = tuple(_tensor(torch, shape, "float64", False)[make_key(torch, spec)].shape)
    except Exception:  # noqa: BLE001 - the key is refused: setitem must refuse it too
        slot = None
    value_spec = data.draw(values(slot))

    def put(T):
        x = _tensor(T, shape, "float64", grad=True)
        y = x * 1
        v = _value(T, value_spec)
        y[make_key(T, spec)] = v
        return y, [x] + ([v] if isinstance(v, T.Tensor) else [])

    assert_same(put, message=False)


@SUITE
@given(data=st.data())
def test_index_put_accumulate_as_torch(data):
    """index_put_(accumulate=True) adds every repeat; the gradient reaches each repeat of the values."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    n = data.draw(st.integers(1, len(shape)))
    index_shape = data.draw(st.sampled_from(INDEX_SHAPES))
    indices = [data.draw(_ints(shape[d], index_shape)) for d in range(n)]
    accumulate = data.draw(st.booleans())

    def put(T):
        x = _tensor(T, shape, "float64", grad=True)
        slot = np.broadcast_shapes(*(i.shape for i in indices)) + tuple(shape[n:])
        v = T.tensor(np.arange(1, int(np.prod(slot)) + 1).reshape(slot) / 8, dtype=T.float64, requires_grad=True)
        return (x * 1).index_put_(tuple(T.tensor(i) for i in indices), v, accumulate=accumulate), [x, v]

    if not accumulate:  # which of two writes to one place wins is torch's undefined behaviour
        places = np.stack([a % shape[d] for d, a in enumerate(np.broadcast_arrays(*indices))], -1).reshape(-1, n)
        assume(len(np.unique(places, axis=0)) == len(places))
    assert_same(put, message=False)


INDEX_OPS = {
    "gather": lambda T, x, d, i, s: x.gather(d, i),
    "scatter": lambda T, x, d, i, s: x.scatter(d, i, s),
    "scatter-value": lambda T, x, d, i, s: x.scatter(d, i, -1.5),
    "scatter_add": lambda T, x, d, i, s: x.scatter_add(d, i, s),
    **{
        f"scatter_reduce-{r}-{inc}": (
            lambda r, inc: lambda T, x, d, i, s: x.scatter_reduce(d, i, s, r, include_self=inc)
        )(r, inc)
        for r in ("sum", "prod", "mean", "amax", "amin")
        for inc in (True, False)
    },
    "index_select": lambda T, x, d, i, s: x.index_select(d, i.reshape(-1)),
    "index_add": lambda T, x, d, i, s: x.index_add(d, i.reshape(-1), s),
    "index_copy": lambda T, x, d, i, s: x.index_copy(d, i.reshape(-1), s),
    "index_fill": lambda T, x, d, i, s: x.index_fill(d, i.reshape(-1), 2.5),
    "take": lambda T, x, d, i, s: x.take(i),
    "take_along_dim": lambda T, x, d, i, s: T.take_along_dim(x, i, d),
    "take_along_dim-flat": lambda T, x, d, i, s: T.take_along_dim(x, i),
}


@SUITE
@given(data=st.data())
def test_gather_scatter_family_as_torch(data):
    """Random shapes, dims and indices (negative and out of range ones too) through gather, scatter,
    scatter_add, scatter_reduce, index_select/add/copy/fill, take and take_along_dim."""
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    name = data.draw(st.sampled_from(sorted(INDEX_OPS)))
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    size = shape[dim] if shape else 1
    index_shape = tuple(data.draw(st.integers(0, n)) for n in shape)
    index = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-size - 1, size)))
    src_shape = data.draw(st.sampled_from([index_shape, shape, tuple(n + 1 for n in index_shape)]))

    def run(T):
        x = _tensor(T, shape, "float64", grad=True)
        src = T.tensor(
            np.arange(1, int(np.prod(src_shape)) + 1).reshape(src_shape) / 4, dtype=T.float64, requires_grad=True
        )
        return INDEX_OPS[name](T, x, dim, T.tensor(index), src), [x, src]

    assert_same(run, message=False)
