"""The table of differentiable ops shared by the torch-oracle and gradcheck tests.

Each row: (id, fn(T, *inputs) run with T=torch or T=ember, input shapes or a function dtype -> arrays,
options for oracle.check such as the input range).
"""

import numpy as np

from ember.ops.elementwise import UNARY

# domain of each unary op's random inputs, when the default (-2, 2) is outside it
UNARY_DOMAIN = {
    "log": (0.1, 3),
    "log2": (0.1, 3),
    "log10": (0.1, 3),
    "log1p": (-0.5, 3),
    "sqrt": (0.1, 3),
    "rsqrt": (0.1, 3),
    "asin": (-0.9, 0.9),
    "acos": (-0.9, 0.9),
    "atanh": (-0.9, 0.9),
    "acosh": (1.1, 3),
    "erfinv": (-0.9, 0.9),
    "reciprocal": (0.5, 2),
}


def _idx(T, values):
    return T.tensor(values)


def _mask(T, shape, seed=3):
    return T.tensor(np.random.default_rng(seed).random(shape) > 0.5)


def _spd(T, a):
    """A well-conditioned matrix from a random one, so inverse/det are accurate in float32."""
    return a + 4 * T.eye(a.shape[-1], dtype=a.dtype)


def _mode_input(dtype):
    return [np.array([[1, 2, 2, 3, 0], [4, 4, 1, 1, 1], [0, 3, 3, 3, 2]], dtype=dtype)]


# (id, fn(T, *inputs), shapes or a function dtype -> arrays, options for check())
def _unary(name):
    if name == "sgn":  # torch's grad of sgn is a ZeroTensor, which cannot become numpy: add a real zero
        return lambda T, x: x.sgn() + 0 * x
    return lambda T, x: getattr(x, name)()


ROWS = [
    (f"unary-{name}", _unary(name), [(3, 4)], dict(zip(("low", "high"), UNARY_DOMAIN.get(name, (-2, 2)))))
    for name in UNARY
] + [
    ("torch.unary-fn", lambda T, x: T.tanh(x) + T.sigmoid(x), [(2, 3)], {}),
    # binary arithmetic and broadcasting
    ("add", lambda T, x, y: x + y, [(3, 4), (3, 4)], {}),
    ("add-bcast", lambda T, x, y: x + y, [(2, 1, 4), (3, 1)], {}),
    ("add-alpha", lambda T, x, y: T.add(x, y, alpha=2.5), [(3, 4), (4,)], {}),
    ("sub-bcast", lambda T, x, y: x - y, [(4,), (3, 4)], {}),
    ("sub-alpha", lambda T, x, y: x.sub(y, alpha=-1.5), [(3, 4), (3, 1)], {}),
    ("rsub-scalar", lambda T, x: 3 - x, [(3, 4)], {}),
    ("mul-bcast", lambda T, x, y: x * y, [(2, 3, 1), (1, 4)], {}),
    ("mul-scalar", lambda T, x: x * 2.5 * 3, [(3, 4)], {}),
    ("mul-0d", lambda T, x, y: x * y, [(3, 4), ()], {}),
    ("div-bcast", lambda T, x, y: x / y, [(3, 4), (4,)], dict(low=0.5, high=2)),
    ("rdiv-scalar", lambda T, x: 2 / x, [(3, 4)], dict(low=0.5, high=2)),
    ("neg", lambda T, x: -x, [(3, 4)], {}),
    ("pow-scalar", lambda T, x: x**3, [(3, 4)], {}),
    ("pow-scalar-frac", lambda T, x: x**1.5, [(3, 4)], dict(low=0.5, high=2)),
    ("pow-scalar-2", lambda T, x: x.pow(2), [(3, 4)], {}),
    ("pow-scalar-neg", lambda T, x: x**-2, [(3, 4)], dict(low=0.5, high=2)),
    ("pow-tensor", lambda T, x, y: x**y, [(3, 4), (4,)], dict(low=0.5, high=2)),
    ("rpow-scalar", lambda T, x: 2**x, [(3, 4)], {}),
    ("fmod", lambda T, x, y: T.fmod(x, y), [(3, 4), (3, 4)], dict(low=0.5, high=3)),
    ("fmod-scalar", lambda T, x: T.fmod(x, 0.7), [(3, 4)], {}),
    ("remainder", lambda T, x, y: T.remainder(x, y), [(3, 4), (3, 4)], dict(low=0.5, high=3)),
    ("remainder-scalar", lambda T, x: x % 0.7, [(3, 4)], {}),
    ("atan2", lambda T, x, y: T.atan2(x, y), [(3, 4), (3, 4)], {}),
    ("maximum", lambda T, x, y: T.maximum(x, y), [(3, 4), (4,)], {}),
    ("minimum", lambda T, x, y: T.minimum(x, y), [(3, 4), (3, 1)], {}),
    ("clamp", lambda T, x: x.clamp(-0.5, 0.7), [(3, 4)], {}),
    ("clamp-min", lambda T, x: T.clamp(x, min=0.1), [(3, 4)], {}),
    ("clamp-max", lambda T, x: x.clamp(max=0.1), [(3, 4)], {}),
    ("clamp-tensor", lambda T, x, lo, hi: x.clamp(lo, hi + 2), [(3, 4), (4,), (3, 1)], {}),
    ("where", lambda T, x, y: T.where(x > 0, x, y), [(3, 4), (3, 4)], {}),
    ("where-bcast", lambda T, x, y: T.where(x > 0, x, y), [(3, 4), (4,)], {}),
    ("where-scalar", lambda T, x: T.where(x > 0, x, 0.5), [(3, 4)], {}),
    ("lerp", lambda T, x, y: T.lerp(x, y, 0.3), [(3, 4), (3, 4)], {}),
    ("lerp-tensor-weight", lambda T, x, y, w: x.lerp(y, w), [(3, 4), (3, 4), (4,)], {}),
    ("addcmul", lambda T, x, a, b: T.addcmul(x, a, b, value=0.5), [(3, 4), (3, 4), (4,)], {}),
    ("addcdiv", lambda T, x, a, b: x.addcdiv(a, b, value=2), [(3, 4), (3, 4), (3, 4)], dict(low=0.5, high=2)),
    # reductions
    ("sum", lambda T, x: x.sum(), [(3, 4)], {}),
    ("sum-dim", lambda T, x: x.sum(1), [(3, 4, 2)], {}),
    ("sum-dims-keepdim", lambda T, x: x.sum((0, 2), keepdim=True), [(3, 4, 2)], {}),
    ("sum-neg-dim", lambda T, x: T.sum(x, dim=-1), [(3, 4)], {}),
    ("mean", lambda T, x: x.mean(), [(3, 4)], {}),
    ("mean-dim-keepdim", lambda T, x: x.mean(0, keepdim=True), [(3, 4)], {}),
    ("mean-dims", lambda T, x: x.mean((-1, 0)), [(3, 4, 2)], {}),
    ("prod", lambda T, x: x.prod(), [(3, 4)], {}),
    ("prod-dim", lambda T, x: x.prod(1, keepdim=True), [(3, 4)], {}),
    ("std", lambda T, x: x.std(), [(3, 4)], {}),
    ("std-dim", lambda T, x: x.std(1, keepdim=True), [(3, 4)], {}),
    ("var", lambda T, x: x.var(), [(3, 4)], {}),
    ("var-dim-unbiased-false", lambda T, x: x.var(0, unbiased=False), [(3, 4)], {}),
    ("var-correction", lambda T, x: T.var(x, dim=1, correction=0), [(3, 4)], {}),
    ("norm", lambda T, x: x.norm(), [(3, 4)], {}),
    ("norm-p1", lambda T, x: x.norm(p=1), [(3, 4)], {}),
    ("norm-p2-dim", lambda T, x: x.norm(2, dim=1), [(3, 4)], {}),
    ("norm-inf", lambda T, x: x.norm(p=float("inf")), [(3, 4)], {}),
    ("norm-inf-dim", lambda T, x: x.norm(float("inf"), dim=0, keepdim=True), [(3, 4)], {}),
    ("norm-p3", lambda T, x: x.norm(p=3), [(3, 4)], {}),
    ("norm-p3-dim", lambda T, x: T.norm(x, p=3, dim=-1), [(3, 4)], {}),
    ("dist", lambda T, x, y: T.dist(x, y), [(3, 4), (4,)], {}),
    ("dist-p1", lambda T, x, y: x.dist(y, p=1), [(3, 4), (3, 4)], {}),
    ("max", lambda T, x: x.max(), [(3, 4)], {}),
    ("max-dim", lambda T, x: x.max(1), [(3, 4)], {}),
    ("max-dim-keepdim", lambda T, x: T.max(x, dim=0, keepdim=True), [(3, 4)], {}),
    ("max-binary", lambda T, x, y: T.max(x, y), [(3, 4), (3, 4)], {}),
    ("min", lambda T, x: x.min(), [(3, 4)], {}),
    ("min-dim", lambda T, x: x.min(-1), [(3, 4)], {}),
    ("amax", lambda T, x: x.amax(1), [(3, 4, 2)], {}),
    ("amax-dims", lambda T, x: T.amax(x, (0, 2), keepdim=True), [(3, 4, 2)], {}),
    ("amin", lambda T, x: x.amin(), [(3, 4)], {}),
    ("median", lambda T, x: x.median(), [(3, 5)], {}),
    ("median-even", lambda T, x: x.median(), [(3, 4)], {}),
    ("median-dim", lambda T, x: x.median(1), [(3, 4)], {}),
    ("median-dim-keepdim", lambda T, x: x.median(0, keepdim=True), [(3, 5)], {}),
    ("mode", lambda T, x: x.mode(), _mode_input, {}),
    ("mode-dim0", lambda T, x: T.mode(x, 0), _mode_input, {}),
    ("kthvalue", lambda T, x: x.kthvalue(2), [(3, 5)], {}),
    ("kthvalue-dim", lambda T, x: T.kthvalue(x, 3, dim=0, keepdim=True), [(4, 5)], {}),
    ("cumsum", lambda T, x: x.cumsum(1), [(3, 4)], {}),
    ("cumsum-dim0", lambda T, x: T.cumsum(x, dim=0), [(3, 4)], {}),
    ("cumprod", lambda T, x: x.cumprod(1), [(3, 4)], {}),
    ("cumprod-zero", lambda T, x: (x * (x > -0.5)).cumprod(0), [(4, 3)], {}),
    ("logsumexp", lambda T, x: x.logsumexp(1), [(3, 4)], {}),
    ("logsumexp-keepdim", lambda T, x: T.logsumexp(x, (0, 1), keepdim=True), [(3, 4)], {}),
    ("softmax", lambda T, x: x.softmax(-1), [(3, 4)], {}),
    ("softmax-dim0", lambda T, x: T.softmax(x, 0), [(3, 4)], {}),
    ("log_softmax", lambda T, x: x.log_softmax(1), [(3, 4)], {}),
    ("log_softmax-3d", lambda T, x: T.log_softmax(x, dim=1), [(2, 3, 4)], {}),
    ("topk", lambda T, x: x.topk(2), [(3, 5)], {}),
    ("topk-smallest-dim0", lambda T, x: T.topk(x, 2, dim=0, largest=False), [(3, 5)], {}),
    ("sort", lambda T, x: x.sort(), [(3, 5)], {}),
    ("sort-desc-dim0", lambda T, x: T.sort(x, 0, descending=True), [(3, 5)], {}),
    # indexing
    ("gather", lambda T, x: x.gather(1, _idx(T, [[0, 2], [1, 1], [3, 0]])), [(3, 4)], {}),
    ("gather-dim0", lambda T, x: T.gather(x, 0, _idx(T, [[0, 2, 1, 1]])), [(3, 4)], {}),
    ("scatter", lambda T, x, s: x.scatter(1, _idx(T, [[0, 2], [1, 3], [3, 0]]), s), [(3, 4), (3, 2)], {}),
    ("scatter-value", lambda T, x: x.scatter(0, _idx(T, [[0, 2, 1, 1]]), 1.5), [(3, 4)], {}),
    ("scatter_add", lambda T, x, s: x.scatter_add(1, _idx(T, [[0, 0], [1, 3], [3, 3]]), s), [(3, 4), (3, 2)], {}),
    ("index_select", lambda T, x: x.index_select(0, _idx(T, [2, 0, 2])), [(3, 4)], {}),
    ("index_select-dim1", lambda T, x: T.index_select(x, 1, _idx(T, [3, 1])), [(3, 4)], {}),
    ("index_add", lambda T, x, s: x.index_add(0, _idx(T, [2, 0, 2]), s), [(3, 4), (3, 4)], {}),
    ("index_add-alpha", lambda T, x, s: T.index_add(x, 1, _idx(T, [1, 1]), s, alpha=2), [(3, 4), (3, 2)], {}),
    ("masked_fill", lambda T, x: x.masked_fill(_mask(T, (3, 4)), -1.0), [(3, 4)], {}),
    ("masked_fill-bcast", lambda T, x: x.masked_fill(_mask(T, (4,)), 2.0), [(3, 4)], {}),
    ("masked_select", lambda T, x: x.masked_select(_mask(T, (3, 4))), [(3, 4)], {}),
    ("take", lambda T, x: x.take(_idx(T, [[0, 11], [5, 5]])), [(3, 4)], {}),
    ("take-negative", lambda T, x: T.take(x, _idx(T, [-1, -12, 3])), [(3, 4)], {}),
    ("take_along_dim", lambda T, x: T.take_along_dim(x, _idx(T, [[0], [3], [2]]), 1), [(3, 4)], {}),
    ("take_along_dim-negative-dim", lambda T, x: x.take_along_dim(_idx(T, [[1, 0, 2, 2]]), dim=-2), [(3, 4)], {}),
    ("take_along_dim-broadcast", lambda T, x: T.take_along_dim(x, _idx(T, [[[0], [1]]]), dim=2), [(2, 2, 3)], {}),
    ("take_along_dim-flat", lambda T, x: T.take_along_dim(x, _idx(T, [[4], [0], [11]])), [(3, 4)], {}),
    ("select", lambda T, x: x.select(1, -1), [(3, 4)], {}),
    (
        "scatter-inplace",
        lambda T, x, s: (x * 1).scatter_(1, _idx(T, [[0, 2], [1, 3], [3, 0]]), s),
        [(3, 4), (3, 2)],
        {},
    ),
    ("scatter_add-inplace", lambda T, x, s: (x * 1).scatter_add_(0, _idx(T, [[0, 2, 0, 0]]), s), [(3, 4), (1, 4)], {}),
    *[
        (
            f"scatter_reduce-{r}{'' if inc else '-exclude-self'}",
            (
                lambda r, inc: (
                    lambda T, x, s: x.scatter_reduce(
                        1, _idx(T, [[0, 2, 0], [1, 1, 3], [3, 3, 3]]), s, r, include_self=inc
                    )
                )
            )(r, inc),
            [(3, 4), (3, 3)],
            {},
        )
        for r in ("sum", "prod", "mean", "amax", "amin")
        for inc in (True, False)
    ],
    (
        "scatter_reduce-inplace",
        lambda T, x, s: (x * 1).scatter_reduce_(0, _idx(T, [[1, 1, 0, 2]]), s, "amax"),
        [(3, 4), (1, 4)],
        {},
    ),
    ("index_put", lambda T, x, v: x.index_put((_idx(T, [0, 2]),), v), [(3, 4), (2, 4)], {}),
    (
        "index_put-accumulate",
        lambda T, x, v: T.index_put(x, (_idx(T, [0, 2, 0]), _idx(T, [1, 1, 1])), v, accumulate=True),
        [(3, 4), (3,)],
        {},
    ),
    ("index_put-mask", lambda T, x, v: x.index_put((_mask(T, (3, 4)),), v), [(3, 4), ()], {}),
    ("index_put-inplace", lambda T, x, v: (x * 1).index_put_((_idx(T, [2, 0]),), v), [(3, 4), (4,)], {}),
    ("index_add-inplace", lambda T, x, s: (x * 1).index_add_(1, _idx(T, [3, 3]), s, alpha=-1), [(3, 4), (3, 2)], {}),
    ("index_fill", lambda T, x: x.index_fill(1, _idx(T, [0, 2]), -1.0), [(3, 4)], {}),
    ("index_fill-tensor-value", lambda T, x, v: T.index_fill(x, 0, _idx(T, [2, 2, 0]), v), [(3, 4), ()], {}),
    ("index_fill-inplace", lambda T, x: (x * 1).index_fill_(0, _idx(T, [-1]), 2.0), [(3, 4)], {}),
    ("index_copy", lambda T, x, s: x.index_copy(0, _idx(T, [2, 0]), s), [(3, 4), (2, 4)], {}),
    ("index_copy-inplace", lambda T, x, s: (x * 1).index_copy_(1, _idx(T, [3, 1]), s), [(3, 4), (3, 2)], {}),
    ("masked_fill-inplace", lambda T, x: (x * 1).masked_fill_(_mask(T, (3, 4)), 0.5), [(3, 4)], {}),
    ("masked_fill-tensor-value", lambda T, x, v: x.masked_fill(_mask(T, (4,)), v), [(3, 4), ()], {}),
    ("masked_select-broadcast", lambda T, x: T.masked_select(x, _mask(T, (4,))), [(3, 4)], {}),
    ("masked_scatter", lambda T, x, s: x.masked_scatter(_mask(T, (3, 4)), s), [(3, 4), (12,)], {}),
    ("masked_scatter-broadcast", lambda T, x, s: T.masked_scatter(x, _mask(T, (4,)), s), [(3, 4), (3, 5)], {}),
    ("masked_scatter-inplace", lambda T, x, s: (x * 1).masked_scatter_(_mask(T, (3, 4)), s), [(3, 4), (12,)], {}),
    ("getitem-int", lambda T, x: x[1], [(3, 4)], {}),
    ("getitem-neg-int", lambda T, x: x[-1, 2], [(3, 4)], {}),
    ("getitem-slice", lambda T, x: x[1:, ::2], [(3, 4)], {}),
    ("getitem-neg-slice", lambda T, x: x[:-1, -3:-1], [(3, 4)], {}),
    ("getitem-ellipsis-none", lambda T, x: x[..., None, 1], [(2, 3, 4)], {}),
    ("getitem-list", lambda T, x: x[[0, 2, 0]], [(3, 4)], {}),
    ("getitem-tensor-2d", lambda T, x: x[_idx(T, [[0, 1], [2, 2]])], [(3, 4)], {}),
    ("getitem-two-tensors", lambda T, x: x[_idx(T, [0, 2]), _idx(T, [1, 3])], [(3, 4)], {}),
    ("getitem-adv-separated", lambda T, x: x[_idx(T, [0, 1]), :, _idx(T, [1, 0])], [(2, 3, 4)], {}),
    ("getitem-slice-adv", lambda T, x: x[1:, [0, 0, 3]], [(3, 4)], {}),
    ("getitem-bool", lambda T, x: x[x > 0], [(3, 4)], {}),
    ("getitem-bool-row", lambda T, x: x[_idx(T, [True, False, True])], [(3, 4)], {}),
    ("getitem-int-slice-list", lambda T, x: x[1, :, [0, 1, 2]], [(2, 3, 4)], {}),
    ("getitem-lists-around-slice", lambda T, x: x[[0, 1], :, [0, 2]], [(2, 3, 4)], {}),
    ("getitem-repeats", lambda T, x: x[[0, 0, 2, 0], 1:], [(3, 4)], {}),
    ("getitem-range-tensor", lambda T, x: x[range(3), _idx(T, [3, 0, 1])], [(3, 4)], {}),
    ("getitem-True-None", lambda T, x: x[True, None, ..., 1], [(3, 4)], {}),
    ("getitem-0d-tensor", lambda T, x: x[_idx(T, 1), :, [0, 1]], [(2, 3, 4)], {}),
    ("getitem-nested-list", lambda T, x: x[([[0, 1], [2, 0]],)], [(3, 4)], {}),
    ("getitem-empty-list", lambda T, x: x[[]], [(3, 4)], {}),
    ("setitem-slice", lambda T, x, v: _set(x * 1, (slice(1, None), slice(None, 2)), v), [(3, 4), (2, 2)], {}),
    ("setitem-int-scalar", lambda T, x: _set(x * 1, 0, 0.5), [(3, 4)], {}),
    ("setitem-bcast", lambda T, x, v: _set(x * 1, (slice(None), 1), v), [(3, 4), (1,)], {}),
    ("setitem-adv", lambda T, x, v: _set(x * 1, ([0, 2],), v), [(3, 4), (4,)], {}),
    ("setitem-mask", lambda T, x: _set(x * 1, x < 0, 0.0), [(3, 4)], {}),
    ("setitem-int-slice-list", lambda T, x, v: _set(x * 1, (1, slice(None), [0, 1, 2]), v), [(2, 3, 4), (3, 3)], {}),
    ("setitem-list-slice", lambda T, x, v: _set(x * 1, ([2, 0], slice(1, None)), v), [(3, 4), (2, 3)], {}),
    ("setitem-leading-ones", lambda T, x, v: _set(x * 1, (0,), v), [(3, 4), (1, 1, 4)], {}),
    # shape
    ("cat", lambda T, x, y: T.cat([x, y]), [(2, 3), (1, 3)], {}),
    ("cat-dim1", lambda T, x, y: T.cat((x, y), dim=1), [(2, 3), (2, 1)], {}),
    ("cat-neg-dim", lambda T, x, y: T.cat((x, y), -1), [(2, 2, 3), (2, 2, 1)], {}),
    ("stack", lambda T, x, y: T.stack([x, y]), [(2, 3), (2, 3)], {}),
    ("stack-dim-last", lambda T, x, y: T.stack([x, y], dim=-1), [(2, 3), (2, 3)], {}),
    ("repeat", lambda T, x: x.repeat(2, 3), [(2, 3)], {}),
    ("repeat-new-dims", lambda T, x: x.repeat(2, 1, 2), [(2, 3)], {}),
    ("tile", lambda T, x: x.tile((2,)), [(2, 3)], {}),
    ("flip", lambda T, x: x.flip(0), [(2, 3)], {}),
    ("flip-dims", lambda T, x: T.flip(x, (0, 2)), [(2, 3, 2)], {}),
    ("flip-dims-keyword", lambda T, x: T.flip(x, dims=[0, 2]), [(2, 3, 2)], {}),
    ("flip-method-dims-keyword", lambda T, x: x.flip(dims=(1,)), [(2, 3)], {}),
    ("roll", lambda T, x: x.roll(1, 1), [(2, 3)], {}),
    ("roll-flat", lambda T, x: T.roll(x, -2), [(2, 3)], {}),
    ("roll-dims", lambda T, x: x.roll((1, 2), (0, 1)), [(2, 3)], {}),
    ("split", lambda T, x: x.split(2), [(5, 3)], {}),
    ("split-sizes", lambda T, x: T.split(x, [1, 2], dim=1), [(2, 3)], {}),
    ("chunk", lambda T, x: x.chunk(3, 1), [(2, 5)], {}),
    ("conv_tbc", lambda T, x, w, b: T.conv_tbc(x, w, b, 1), [(5, 2, 3), (3, 3, 4), (4,)], {}),
    ("chunk-one-piece-used", lambda T, x: x.chunk(3, 1)[1] * 2, [(2, 5)], {}),
    ("unsafe_chunk", lambda T, x: x.unsafe_chunk(2, 0), [(4, 3)], {}),
    ("unsafe_split_with_sizes", lambda T, x: T.unsafe_split_with_sizes(x, [1, 3], 0), [(4, 3)], {}),
    ("unsafe_split", lambda T, x: x.unsafe_split(2, 1), [(4, 3)], {}),
    ("unbind-one-used", lambda T, x: x.unbind(1)[2].exp(), [(3, 4)], {}),
    ("unbind", lambda T, x: x.unbind(1), [(2, 3)], {}),
    ("narrow", lambda T, x: x.narrow(1, 1, 2), [(2, 4)], {}),
    ("expand", lambda T, x: x.expand(3, 2, 4), [(2, 1)], {}),
    ("expand-minus-one", lambda T, x: x.expand(-1, 4), [(2, 1)], {}),
    ("permute", lambda T, x: x.permute(2, 0, 1), [(2, 3, 4)], {}),
    ("permute-tuple", lambda T, x: T.permute(x, (1, 0, 2)), [(2, 3, 4)], {}),
    ("transpose", lambda T, x: x.transpose(0, 2), [(2, 3, 4)], {}),
    ("t", lambda T, x: x.t(), [(2, 3)], {}),
    ("T-prop", lambda T, x: x.T, [(2, 3)], {}),
    ("view", lambda T, x: x.view(3, -1), [(2, 3, 2)], {}),
    ("view-tuple", lambda T, x: x.view((12,)), [(2, 3, 2)], {}),
    ("reshape", lambda T, x: x.reshape(-1, 2), [(2, 3, 2)], {}),
    ("reshape-noncontig", lambda T, x: x.t().reshape(6), [(2, 3)], {}),
    ("flatten", lambda T, x: x.flatten(), [(2, 3, 2)], {}),
    ("flatten-range", lambda T, x: T.flatten(x, 1, 2), [(2, 3, 2, 2)], {}),
    ("squeeze", lambda T, x: x.squeeze(), [(2, 1, 3, 1)], {}),
    ("squeeze-dim", lambda T, x: x.squeeze(1), [(2, 1, 3, 1)], {}),
    ("unsqueeze", lambda T, x: x.unsqueeze(-1), [(2, 3)], {}),
    ("movedim", lambda T, x: x.movedim(0, -1), [(2, 3, 4)], {}),
    ("movedim-multi", lambda T, x: T.movedim(x, (0, 1), (2, 0)), [(2, 3, 4)], {}),
    ("diagonal", lambda T, x: x.diagonal(), [(3, 4)], {}),
    ("diagonal-offset", lambda T, x: T.diagonal(x, 1, 1, 2), [(2, 3, 4)], {}),
    ("diagonal-neg-offset", lambda T, x: x.diagonal(-1), [(4, 3)], {}),
    ("unfold-overlapping", lambda T, x: x.unfold(1, 3, 1), [(2, 5)], {}),
    ("unfold-step", lambda T, x: x.t().unfold(0, 2, 2), [(3, 5)], {}),
    ("as_strided-overlapping", lambda T, x: T.as_strided(x, (3, 2), (1, 2)), [(2, 3)], {}),
    ("inplace-on-view", lambda T, x, y: (lambda b: (b[:, 1:].mul_(y), b)[1])(x * 1), [(3, 4), (3, 3)], {}),
    ("inplace-copy-into-view", lambda T, x, y: (lambda b: (b.t()[0].copy_(y), b)[1])(x * 2), [(3, 4), (3,)], {}),
    # linear algebra
    ("mm", lambda T, a, b: a.mm(b), [(3, 4), (4, 2)], {}),
    ("bmm", lambda T, a, b: T.bmm(a, b), [(2, 3, 4), (2, 4, 2)], {}),
    ("matmul-1d-1d", lambda T, a, b: a @ b, [(4,), (4,)], {}),
    ("matmul-1d-2d", lambda T, a, b: a @ b, [(4,), (4, 3)], {}),
    ("matmul-2d-1d", lambda T, a, b: a @ b, [(3, 4), (4,)], {}),
    ("matmul-2d-2d", lambda T, a, b: T.matmul(a, b), [(3, 4), (4, 2)], {}),
    ("matmul-3d-1d", lambda T, a, b: a @ b, [(2, 3, 4), (4,)], {}),
    ("matmul-1d-3d", lambda T, a, b: a @ b, [(4,), (2, 4, 3)], {}),
    ("matmul-3d-2d", lambda T, a, b: a @ b, [(2, 3, 4), (4, 2)], {}),
    ("matmul-2d-3d", lambda T, a, b: a @ b, [(3, 4), (2, 4, 2)], {}),
    ("matmul-bcast-batch", lambda T, a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)], {}),
    ("addmm", lambda T, c, a, b: T.addmm(c, a, b, beta=0.5, alpha=2), [(3, 2), (3, 4), (4, 2)], {}),
    ("addmm-bcast", lambda T, c, a, b: c.addmm(a, b), [(2,), (3, 4), (4, 2)], {}),
    ("addmm-full", lambda T, c, a, b: T.addmm(c, a, b), [(3, 2), (3, 4), (4, 2)], {}),  # one Addmm node
    ("addmm-transposed", lambda T, c, a, b: T.addmm(c, a, b.t()), [(2,), (3, 4), (2, 4)], {}),  # as nn.Linear
    ("addbmm", lambda T, c, a, b: T.addbmm(c, a, b), [(3, 2), (2, 3, 4), (2, 4, 2)], {}),
    ("baddbmm", lambda T, c, a, b: T.baddbmm(c, a, b, alpha=0.5), [(2, 3, 2), (2, 3, 4), (2, 4, 2)], {}),
    ("addmv", lambda T, c, a, v: T.addmv(c, a, v, beta=2), [(3,), (3, 4), (4,)], {}),
    ("dot", lambda T, a, b: T.dot(a, b), [(4,), (4,)], {}),
    ("mv", lambda T, a, v: a.mv(v), [(3, 4), (4,)], {}),
    ("outer", lambda T, a, b: T.outer(a, b), [(3,), (4,)], {}),
    ("cross", lambda T, a, b: T.cross(a, b, dim=1), [(2, 3), (2, 3)], {}),
    ("cross-dim0", lambda T, a, b: a.cross(b, dim=0), [(3, 2), (3, 2)], {}),
    ("trace", lambda T, a: a.trace(), [(3, 4)], {}),
    ("diag-vec", lambda T, a: T.diag(a), [(3,)], {}),
    ("diag-vec-offset", lambda T, a: a.diag(1), [(3,)], {}),
    ("diag-mat", lambda T, a: T.diag(a, -1), [(3, 4)], {}),
    ("triu", lambda T, a: a.triu(), [(3, 4)], {}),
    ("triu-offset", lambda T, a: T.triu(a, 1), [(2, 3, 4)], {}),
    ("tril", lambda T, a: a.tril(-1), [(3, 4)], {}),
    ("inverse", lambda T, a: _spd(T, a).inverse(), [(3, 3)], {}),
    ("inverse-batch", lambda T, a: T.inverse(_spd(T, a)), [(2, 3, 3)], {}),
    ("det", lambda T, a: _spd(T, a).det(), [(3, 3)], {}),
    ("det-batch", lambda T, a: T.det(_spd(T, a)), [(2, 3, 3)], {}),
    ("svd-reconstruct", lambda T, a: _svd_parts(T, a), [(4, 3)], {}),
    ("svd-S-only", lambda T, a: T.svd(a).S, [(4, 3)], {}),
    ("svd-wide", lambda T, a: _svd_parts(T, a), [(3, 5)], {}),
    ("qr-reconstruct", lambda T, a: _qr_parts(T, a), [(4, 3)], {}),
    ("einsum-matmul", lambda T, a, b: T.einsum("ij,jk->ik", a, b), [(3, 4), (4, 2)], {}),
    ("einsum-batch-trace", lambda T, a: T.einsum("bii->b", a), [(2, 3, 3)], {}),
    ("einsum-outer-sum", lambda T, a, b: T.einsum("i,j", a, b), [(3,), (4,)], {}),
    ("einsum-list-operands", lambda T, a, b: T.einsum("bij,bjk->bik", [a, b]), [(2, 3, 4), (2, 4, 2)], {}),
    ("tensordot", lambda T, a, b: T.tensordot(a, b, dims=([1, 2], [0, 1])), [(2, 3, 4), (3, 4, 2)], {}),
    ("tensordot-int", lambda T, a, b: T.tensordot(a, b, 1), [(2, 3), (3, 4)], {}),
    ("cdist", lambda T, a, b: T.cdist(a, b), [(3, 4), (2, 4)], {}),
    ("cdist-p1", lambda T, a, b: T.cdist(a, b, p=1), [(3, 4), (2, 4)], {}),
    ("cdist-batch", lambda T, a, b: T.cdist(a, b), [(2, 3, 4), (2, 2, 4)], {}),
    ("cdist-p3", lambda T, a, b: T.cdist(a, b, p=3), [(3, 4), (2, 4)], {}),
    ("inner", lambda T, a, b: T.inner(a, b), [(3, 4), (2, 4)], {}),
    ("inner-1d-3d", lambda T, a, b: a.inner(b), [(4,), (2, 3, 4)], {}),
    ("vdot", lambda T, a, b: T.vdot(a, b), [(4,), (4,)], {}),
    ("addr", lambda T, c, a, b: T.addr(c, a, b, beta=0.5, alpha=2), [(3, 4), (3,), (4,)], {}),
    ("ger", lambda T, a, b: a.ger(b), [(3,), (4,)], {}),
    ("matrix_power", lambda T, a: T.matrix_power(_spd(T, a) / 4, 3), [(3, 3)], {}),
    ("matrix_power-negative", lambda T, a: _spd(T, a).matrix_power(-2), [(3, 3)], {}),
    ("logdet", lambda T, a: _spd(T, a).logdet(), [(3, 3)], {}),
    ("slogdet-batch", lambda T, a: T.slogdet(_spd(T, a)), [(2, 3, 3)], {}),
    ("cholesky", lambda T, a: T.cholesky(a @ a.mT + T.eye(3, dtype=a.dtype)), [(3, 3)], {}),
    # the rest of the registry: NaN-aware pairs, quantiles, fused reductions
    ("fmax", lambda T, x, y: T.fmax(x, y), [(3, 4), (4,)], {}),
    ("fmin", lambda T, x, y: x.fmin(y), [(3, 4), (3, 1)], {}),
    ("logaddexp", lambda T, x, y: T.logaddexp(x, y), [(3, 4), (4,)], {}),
    ("hypot", lambda T, x, y: T.hypot(x, y), [(3, 4), (4,)], {}),
    ("xlogy", lambda T, x, y: T.xlogy(x, y), [(3, 4), (3, 4)], dict(low=0.1, high=2)),
    ("float_power", lambda T, x: T.float_power(x, 3), [(3, 4)], {}),
    ("nan_to_num", lambda T, x: T.nan_to_num(x.log(), nan=0.5), [(3, 4)], {}),
    ("quantile", lambda T, x: x.quantile(0.3), [(3, 5)], {}),
    (
        "quantile-dim-list",
        lambda T, x: T.quantile(x, T.tensor([0.1, 0.5, 0.9], dtype=x.dtype), dim=1, keepdim=True),
        [(3, 5)],
        {},
    ),
    (
        "quantile-interpolations",
        lambda T, x: [x.quantile(0.4, dim=0, interpolation=m) for m in ("lower", "higher", "midpoint", "nearest")],
        [(4, 3)],
        {},
    ),
    ("nanquantile", lambda T, x: T.nanquantile(x, 0.6, dim=1), [(3, 5)], {}),
    ("nanmedian", lambda T, x: x.nanmedian(), [(3, 5)], {}),
    ("nanmedian-dim", lambda T, x: T.nanmedian(x, 1), [(3, 5)], {}),
    ("nansum", lambda T, x: T.nansum(x.log(), 1), [(3, 4)], {}),
    ("nanmean", lambda T, x: x.log().nanmean(), [(3, 4)], {}),
    ("aminmax", lambda T, x: T.aminmax(x, dim=1), [(3, 4)], {}),
    ("var_mean", lambda T, x: T.var_mean(x, 1), [(3, 4)], {}),
    ("std_mean", lambda T, x: T.std_mean(x, dim=0, correction=0), [(3, 4)], {}),
    ("cummax", lambda T, x: x.cummax(1), [(3, 4)], {}),
    ("cummin", lambda T, x: T.cummin(x, 0), [(3, 4)], {}),
    ("clamp_min-tensor", lambda T, x, m: x.clamp_min(m), [(3, 4), (4,)], {}),
    ("clamp_max-tensor", lambda T, x, m: T.clamp_max(x, m), [(3, 4), (3, 1)], {}),
    ("lerp-large-weight", lambda T, x, y: T.lerp(x, y, 0.8), [(3, 4), (3, 4)], {}),
    # aliases torch documents beside their op
    ("absolute", lambda T, x: T.absolute(x), [(3, 4)], {}),
    ("arcsin", lambda T, x: T.arcsin(x), [(3, 4)], dict(low=-0.9, high=0.9)),
    ("arccos", lambda T, x: x.arccos(), [(3, 4)], dict(low=-0.9, high=0.9)),
    ("arctan", lambda T, x: T.arctan(x), [(3, 4)], {}),
    ("arctan2", lambda T, x, y: x.arctan2(y), [(3, 4), (4,)], {}),
    ("negative", lambda T, x: T.negative(x), [(3, 4)], {}),
    ("fix", lambda T, x: T.fix(x * 3), [(3, 4)], {}),
    ("clip", lambda T, x: T.clip(x, -0.5, 0.5), [(3, 4)], {}),
    ("multiply", lambda T, x, y: T.multiply(x, y), [(3, 4), (4,)], {}),
    ("divide", lambda T, x, y: x.divide(y), [(3, 4), (4,)], dict(low=0.5, high=2)),
    ("true_divide", lambda T, x, y: T.true_divide(x, y), [(3, 4), (3, 4)], dict(low=0.5, high=2)),
    ("subtract", lambda T, x, y: T.subtract(x, y, alpha=2), [(3, 4), (4,)], {}),
    ("concat", lambda T, x, y: T.concat([x, y], 1), [(2, 3), (2, 1)], {}),
    ("concatenate", lambda T, x, y: T.concatenate((x, y)), [(2, 3), (1, 3)], {}),
    ("swapaxes", lambda T, x: x.swapaxes(0, 2), [(2, 3, 4)], {}),
    ("swapdims", lambda T, x: T.swapdims(x, 1, 2), [(2, 3, 4)], {}),
    ("moveaxis", lambda T, x: T.moveaxis(x, 0, -1), [(2, 3, 4)], {}),
    # shape and view ops
    ("adjoint", lambda T, x: x.adjoint(), [(2, 3, 4)], {}),
    ("atleast_1d", lambda T, x: T.atleast_1d(x.sum()), [(2, 3)], {}),
    ("atleast_2d", lambda T, x: T.atleast_2d(x[0]), [(2, 3)], {}),
    ("broadcast_to", lambda T, x: T.broadcast_to(x, (2, 3, 4)), [(3, 1)], {}),
    ("broadcast_tensors", lambda T, x, y: T.broadcast_tensors(x, y), [(3, 1), (2, 1, 4)], {}),
    ("expand_as", lambda T, x, y: x.expand_as(y), [(3, 1), (3, 4)], {}),
    ("reshape_as", lambda T, x, y: x.reshape_as(y), [(2, 6), (3, 4)], {}),
    ("view_as", lambda T, x, y: x.view_as(y), [(2, 6), (3, 4)], {}),
    ("type_as", lambda T, x, y: x.type_as(y), [(2, 3), (3,)], {}),
    ("ravel", lambda T, x: x.t().ravel(), [(2, 3)], {}),
    ("unflatten", lambda T, x: x.unflatten(1, (2, 3)), [(2, 6)], {}),
    ("column_stack", lambda T, x, y: T.column_stack([x, y]), [(3,), (3, 2)], {}),
    ("hstack", lambda T, x, y: T.hstack([x, y]), [(2, 3), (2, 1)], {}),
    ("vstack", lambda T, x, y: T.vstack((x, y)), [(3,), (2, 3)], {}),
    ("dstack", lambda T, x, y: T.dstack([x, y]), [(2, 3), (2, 3)], {}),
    ("fliplr", lambda T, x: T.fliplr(x), [(2, 3)], {}),
    ("flipud", lambda T, x: x.flipud(), [(2, 3)], {}),
    ("rot90", lambda T, x: [T.rot90(x, k) for k in (1, 2, 3, -1)], [(2, 3)], {}),
    ("select-3d", lambda T, x: x.select(1, -1), [(2, 3, 4)], {}),
    ("split_with_sizes", lambda T, x: x.split_with_sizes([1, 3], 1), [(2, 4)], {}),
    ("tensor_split", lambda T, x: T.tensor_split(x, 3, dim=1), [(2, 5)], {}),
    ("tensor_split-indices", lambda T, x: x.tensor_split([1, 3]), [(5, 2)], {}),
    ("repeat_interleave", lambda T, x: x.repeat_interleave(2, dim=0), [(2, 3)], {}),
    ("repeat_interleave-tensor", lambda T, x: T.repeat_interleave(x, _idx(T, [1, 0, 3]), dim=1), [(2, 3)], {}),
    ("repeat_interleave-flat", lambda T, x: x.repeat_interleave(2), [(2, 3)], {}),
    ("diag_embed", lambda T, x: T.diag_embed(x, 1), [(2, 3)], {}),
    ("diagflat", lambda T, x: T.diagflat(x, -1), [(2, 2)], {}),
    ("sum_to_size", lambda T, x: x.sum_to_size(3, 1), [(2, 3, 4)], {}),
    ("as_strided", lambda T, x: x.as_strided((2, 2), (1, 2), 1), [(3, 4)], {}),
    ("unfold-view", lambda T, x: x.unfold(1, 2, 1), [(2, 5)], {}),
    ("clone", lambda T, x: x.clone(), [(2, 3)], {}),
    ("contiguous", lambda T, x: x.t().contiguous(), [(2, 3)], {}),
    ("take_along_dim-dim-keyword", lambda T, x: T.take_along_dim(x, _idx(T, [[0, 2], [1, 1]]), dim=1), [(2, 3)], {}),
    ("index_fill-function", lambda T, x: T.index_fill(x, 1, _idx(T, [0, 3]), -1.5), [(3, 4)], {}),
    ("index_put-bcast-value", lambda T, x, v: x.index_put((_idx(T, [0, 2]),), v), [(3, 4), (4,)], {}),
    (
        "index_put-accumulate-repeated",
        lambda T, x, v: T.index_put(x, (_idx(T, [0, 0]), _idx(T, [1, 1])), v, True),
        [(3, 4), (2,)],
        {},
    ),
    (
        "scatter_reduce-sum-repeated",
        lambda T, x, s: x.scatter_reduce(1, _idx(T, [[0, 0], [1, 3], [3, 3]]), s, "sum"),
        [(3, 4), (3, 2)],
        {},
    ),
    # conversions that stay in the graph
    ("float", lambda T, x: x.float(), [(2, 3)], {}),
    ("double", lambda T, x: x.double() * 2, [(2, 3)], {}),
    ("half", lambda T, x: x.half().float(), [(2, 3)], dict(rtol=1e-3, atol=1e-3)),
    ("to-dtype", lambda T, x: x.to(T.float64).to(x.dtype), [(2, 3)], {}),
    ("type-dtype", lambda T, x: x.type(T.float64), [(2, 3)], {}),
    ("cpu", lambda T, x: (x.cpu() * 2).to(x.device), [(2, 3)], {}),  # back to x's device for the check
    ("cfloat", lambda T, x: x.cfloat(), [(2, 3)], {}),
    ("cdouble", lambda T, x: x.cdouble() * (1 - 2j), [(2, 3)], {}),
    ("resolve_conj", lambda T, x: (x * 1j).conj().resolve_conj(), [(2, 3)], {}),
    ("resolve_neg", lambda T, x: x.resolve_neg() * 2, [(2, 3)], {}),
    ("meshgrid", lambda T, x, y: T.meshgrid(x, y, indexing="ij"), [(3,), (4,)], {}),
    ("lu", lambda T, a: a.lu(), [(3, 3)], {}),
    ("lu_solve", lambda T, a, b: T.lu_solve(b, *T.linalg.lu_factor(a)), [(3, 3), (3, 2)], {}),
    # layers' functional forms
    ("conv1d", lambda T, x, w, b: T.conv1d(x, w, b, stride=2, padding=1), [(2, 3, 7), (4, 3, 3), (4,)], {}),
    ("conv2d", lambda T, x, w: T.conv2d(x, w, padding=1, dilation=2), [(1, 2, 5, 5), (3, 2, 3, 3)], {}),
    ("conv3d", lambda T, x, w: T.conv3d(x, w, groups=2), [(1, 4, 3, 3, 3), (2, 2, 2, 2, 2)], {}),
    ("conv_transpose1d", lambda T, x, w: T.conv_transpose1d(x, w, stride=2), [(1, 2, 4), (2, 3, 3)], {}),
    (
        "conv_transpose2d",
        lambda T, x, w, b: T.conv_transpose2d(x, w, b, output_padding=1, stride=2),
        [(1, 2, 3, 3), (2, 3, 3, 3), (3,)],
        {},
    ),
    ("conv_transpose3d", lambda T, x, w: T.conv_transpose3d(x, w, padding=1), [(1, 2, 3, 3, 3), (2, 1, 3, 3, 3)], {}),
    ("pixel_shuffle", lambda T, x: T.pixel_shuffle(x, 2), [(1, 8, 2, 3)], {}),
    ("pixel_unshuffle", lambda T, x: T.pixel_unshuffle(x, 2), [(1, 2, 4, 6)], {}),
    ("channel_shuffle", lambda T, x: T.channel_shuffle(x, 2), [(1, 4, 2, 2)], {}),
    # in-place activations on a non-leaf
    ("selu_", lambda T, x: T.selu_(x * 1), [(3, 4)], {}),
    # torch's in-place celu backward works from the result with a float32 1/alpha: 5e-8 apart in float64
    ("celu_", lambda T, x: T.nn.functional.celu_(x * 1, 0.7), [(3, 4)], dict(grad_rtol=1e-7)),
    ("threshold_", lambda T, x: T.nn.functional.threshold_(x * 1, 0.3, -2.0), [(3, 4)], {}),
    ("rrelu_-eval", lambda T, x: T.nn.functional.rrelu_(x * 1, 0.1, 0.3), [(3, 4)], {}),
]


# special functions (ember/ops/special.py) and the "other operations" (ember/ops/other.py).
# torch's float64 trigamma (digamma's derivative) stops its asymptotic series at ~1e-10 relative error
_TRIGAMMA_F64 = {np.float64: 1e-9}
ROWS += [
    ("lgamma", lambda T, x: x.lgamma(), [(3, 4)], dict(low=-3, high=5)),
    ("digamma", lambda T, x: T.digamma(x), [(3, 4)], dict(low=0.2, high=5, grad_rtol=_TRIGAMMA_F64)),
    ("digamma-negative", lambda T, x: x.digamma(), [(3, 4)], dict(low=-2.9, high=-2.1, grad_rtol=_TRIGAMMA_F64)),
    ("polygamma-1", lambda T, x: T.polygamma(1, x), [(3, 4)], dict(low=0.2, high=5, rtol=_TRIGAMMA_F64)),
    ("polygamma-2", lambda T, x: x.polygamma(2), [(3, 4)], dict(low=0.5, high=5)),
    ("polygamma-3-negative", lambda T, x: T.polygamma(3, x), [(3, 4)], dict(low=-1.9, high=-1.1)),
    ("mvlgamma", lambda T, x: x.mvlgamma(3), [(3, 4)], dict(low=1.5, high=4)),
    ("i0", lambda T, x: T.i0(x), [(3, 4)], dict(low=-25, high=25)),
    ("special.i0e", lambda T, x: T.special.i0e(x), [(3, 4)], dict(low=-25, high=25)),
    ("special.i1", lambda T, x: T.special.i1(x), [(3, 4)], dict(low=-25, high=25)),
    ("special.i1e", lambda T, x: T.special.i1e(x), [(3, 4)], dict(low=-25, high=25)),
    ("special.ndtr", lambda T, x: T.special.ndtr(x), [(3, 4)], dict(low=-6, high=6)),
    ("special.ndtri", lambda T, x: T.special.ndtri(x), [(3, 4)], dict(low=0.02, high=0.98)),
    # far in the lower tail the float32 derivative exp(-x^2/2 - log_ndtr(x)) amplifies an ulp of the result
    ("special.log_ndtr", lambda T, x: T.special.log_ndtr(x), [(3, 4)], dict(low=-8, high=6)),
    ("special.log_ndtr-tail", lambda T, x: T.special.log_ndtr(x * 4), [(3, 4)], dict(low=-8, high=-2, grad=False)),
    ("special.erfcx", lambda T, x: T.special.erfcx(x), [(3, 4)], dict(low=-3, high=30)),
    ("special.entr", lambda T, x: T.special.entr(x), [(3, 4)], dict(low=0.1, high=3)),
    ("special.xlog1py", lambda T, x, y: T.special.xlog1py(x, y), [(3, 4), (4,)], dict(low=-0.5, high=2)),
    ("xlogy-bcast", lambda T, x, y: T.xlogy(x, y), [(3, 4), (4,)], dict(low=0.1, high=2)),
    ("xlogy-zeros", lambda T, x, y: (x * (x > 1)).xlogy(y), [(3, 4), (3, 4)], dict(low=0.1, high=2)),
    ("special.xlogy-scalar", lambda T, y: T.special.xlogy(2.0, y), [(3, 4)], dict(low=0.1, high=2)),
    ("special.gammaln", lambda T, x: T.special.gammaln(x), [(3, 4)], dict(low=0.1, high=8)),
    ("special.multigammaln", lambda T, x: T.special.multigammaln(x, 2), [(3, 4)], dict(low=1, high=4)),
    (
        "igamma",
        lambda T, x: T.igamma(T.tensor([0.5, 1.0, 2.5, 7.0], dtype=x.dtype), x),
        [(3, 4)],
        dict(low=0.1, high=9),
    ),
    ("igammac", lambda T, x: T.tensor([0.5, 1.0, 2.5, 7.0], dtype=x.dtype).igammac(x), [(3, 4)], dict(low=0.5, high=9)),
    # torch's float64 kernel for a large shape is an asymptotic series good to ~1e-9
    (
        "special.gammaincc",
        lambda T, x: T.special.gammaincc(T.tensor(30.0, dtype=x.dtype), x),
        [(3, 4)],
        dict(low=20, high=40, rtol={np.float64: 1e-8}),
    ),
    ("sinc", lambda T, x: x.sinc(), [(3, 4)], {}),
    ("logit", lambda T, x: T.logit(x), [(3, 4)], dict(low=0.05, high=0.95)),
    ("logit-eps", lambda T, x: x.logit(eps=0.2), [(3, 4)], dict(low=0.05, high=0.95)),
    ("diff", lambda T, x: x.diff(), [(3, 5)], {}),
    ("diff-n2-dim0", lambda T, x: T.diff(x, n=2, dim=0), [(4, 3)], {}),
    ("diff-prepend-append", lambda T, x, p, a: T.diff(x, dim=1, prepend=p, append=a), [(3, 4), (3, 1), (3, 2)], {}),
    ("kron", lambda T, a, b: T.kron(a, b), [(2, 3), (3, 2)], {}),
    ("kron-ranks", lambda T, a, b: a.kron(b), [(2,), (2, 3, 2)], {}),
    ("cov", lambda T, x: x.cov(), [(3, 5)], {}),
    ("cov-1d-correction0", lambda T, x: T.cov(x, correction=0), [(6,)], {}),
    (
        "cov-weights",
        lambda T, x, aw: T.cov(x, fweights=T.tensor([1, 2, 1, 3, 1]), aweights=aw + 2.5),
        [(3, 5), (5,)],
        {},
    ),
    ("corrcoef", lambda T, x: T.corrcoef(x), [(3, 6)], {}),
    ("cartesian_prod", lambda T, a, b, c: T.cartesian_prod(a, b, c), [(2,), (3,), (2,)], {}),
    ("combinations", lambda T, x: T.combinations(x, 2), [(4,)], {}),
    ("combinations-replacement", lambda T, x: T.combinations(x, 3, with_replacement=True), [(3,)], {}),
    ("block_diag", lambda T, a, b, c: T.block_diag(a, b, c), [(2, 3), (3,), ()], {}),
    ("trapezoid", lambda T, y: T.trapezoid(y), [(3, 5)], {}),
    ("trapezoid-dx-dim0", lambda T, y: T.trapezoid(y, dx=0.5, dim=0), [(3, 5)], {}),
    ("trapezoid-x", lambda T, y, x: T.trapezoid(y, x), [(3, 5), (5,)], {}),
    ("trapz-x-2d", lambda T, y, x: T.trapz(y, x, dim=0), [(3, 5), (3, 5)], {}),
    ("cumulative_trapezoid", lambda T, y, x: T.cumulative_trapezoid(y, x), [(3, 5), (5,)], {}),
    ("cumulative_trapezoid-dx", lambda T, y: T.cumulative_trapezoid(y, dx=2.0, dim=0), [(3, 5)], {}),
    ("logcumsumexp", lambda T, x: x.logcumsumexp(1), [(3, 5)], dict(low=-20, high=20)),
    ("logcumsumexp-dim0", lambda T, x: T.logcumsumexp(x, 0), [(4, 3)], {}),
    ("renorm", lambda T, x: x.renorm(2, 0, 1.5), [(3, 4)], {}),
    ("renorm-p1-dim1", lambda T, x: T.renorm(x, 1, 1, 2.0), [(3, 4, 2)], {}),
]


def _sym_pd(T, a):
    """A symmetric positive-definite matrix from a random square one."""
    return a @ a.mT + a.shape[-1] * T.eye(a.shape[-1], dtype=a.dtype)


def _eigh_parts(T, a):
    """Eigenvectors are unique only up to sign: compare the values and |V|."""
    w, v = T.linalg.eigh(_sym_pd(T, a))
    return w, v.abs()


def _lu_parts(T, a):
    p, l, u = T.linalg.lu(a)
    return p, l, u


# torch.linalg (ember/linalg.py over ember/ops/linalg.py and ember/ops/solvers.py)
ROWS += [
    ("linalg.det", lambda T, a: T.linalg.det(_spd(T, a)), [(2, 3, 3)], {}),
    ("linalg.slogdet", lambda T, a: T.linalg.slogdet(a - 2 * T.eye(3, dtype=a.dtype)), [(2, 3, 3)], {}),
    ("slogdet", lambda T, a: T.slogdet(_spd(T, a)), [(3, 3)], {}),
    ("logdet-batch", lambda T, a: T.logdet(_spd(T, a)), [(2, 3, 3)], {}),
    ("linalg.inv", lambda T, a: T.linalg.inv(_spd(T, a)), [(2, 3, 3)], {}),
    ("linalg.inv_ex", lambda T, a: T.linalg.inv_ex(_spd(T, a)), [(3, 3)], {}),
    ("linalg.solve", lambda T, a, b: T.linalg.solve(_spd(T, a), b), [(2, 3, 3), (2, 3, 2)], {}),
    ("linalg.solve-vector", lambda T, a, b: T.linalg.solve(_spd(T, a), b), [(3, 3), (3,)], {}),
    ("linalg.solve-batch-vectors", lambda T, a, b: T.linalg.solve(_spd(T, a), b), [(2, 3, 3), (2, 3)], {}),
    ("linalg.solve-bcast", lambda T, a, b: T.linalg.solve(_spd(T, a), b), [(3, 3), (2, 3, 2)], {}),
    ("linalg.solve-right", lambda T, a, b: T.linalg.solve(_spd(T, a), b, left=False), [(3, 3), (2, 3)], {}),
    ("linalg.solve_ex", lambda T, a, b: T.linalg.solve_ex(_spd(T, a), b), [(3, 3), (3, 2)], {}),
    (
        "linalg.solve_triangular-upper",
        lambda T, a, b: T.linalg.solve_triangular(_spd(T, a), b, upper=True),
        [(3, 3), (3, 2)],
        {},
    ),
    (
        "linalg.solve_triangular-lower-unit",
        lambda T, a, b: T.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
        [(2, 3, 3), (2, 3, 2)],
        dict(low=-0.5, high=0.5),
    ),
    (
        "linalg.solve_triangular-right",
        lambda T, a, b: T.linalg.solve_triangular(_spd(T, a), b, upper=False, left=False),
        [(3, 3), (2, 3)],
        {},
    ),
    ("triangular_solve", lambda T, b, a: T.triangular_solve(b, _spd(T, a), transpose=True), [(3, 2), (3, 3)], {}),
    ("linalg.cholesky", lambda T, a: T.linalg.cholesky(_sym_pd(T, a)), [(2, 3, 3)], {}),
    ("linalg.cholesky-upper", lambda T, a: T.linalg.cholesky(_sym_pd(T, a), upper=True), [(3, 3)], {}),
    ("cholesky-sym-pd", lambda T, a: T.cholesky(_sym_pd(T, a)), [(3, 3)], {}),
    ("linalg.cholesky_ex", lambda T, a: T.linalg.cholesky_ex(_sym_pd(T, a)), [(3, 3)], {}),
    ("cholesky_solve", lambda T, b, a: T.cholesky_solve(b, T.linalg.cholesky(_sym_pd(T, a))), [(3, 2), (3, 3)], {}),
    ("cholesky_inverse", lambda T, a: T.cholesky_inverse(T.linalg.cholesky(_sym_pd(T, a)), upper=False), [(3, 3)], {}),
    ("linalg.eigh", _eigh_parts, [(2, 3, 3)], {}),
    ("linalg.eigh-upper", lambda T, a: T.linalg.eigh(_sym_pd(T, a), UPLO="U").eigenvalues, [(4, 4)], {}),
    ("linalg.eigvalsh", lambda T, a: T.linalg.eigvalsh(_sym_pd(T, a)), [(3, 3)], {}),
    ("linalg.qr-tall", lambda T, a: _qr_parts(T, a), [(4, 3)], {}),
    ("linalg.qr-wide", lambda T, a: T.linalg.qr(a), [(3, 5)], {}),
    ("linalg.svd-full", lambda T, a: _linalg_svd_parts(T, a, True), [(4, 3)], {}),
    ("linalg.svd-reduced-wide", lambda T, a: _linalg_svd_parts(T, a, False), [(2, 3, 5)], {}),
    ("linalg.svdvals", lambda T, a: T.linalg.svdvals(a), [(2, 4, 3)], {}),
    ("linalg.pinv", lambda T, a: T.linalg.pinv(a), [(4, 3)], {}),
    ("linalg.pinv-hermitian", lambda T, a: T.linalg.pinv(_sym_pd(T, a), hermitian=True), [(3, 3)], {}),
    ("pinverse", lambda T, a: T.pinverse(a), [(2, 3, 4)], {}),
    ("linalg.lstsq", lambda T, a, b: T.linalg.lstsq(a, b).solution, [(5, 3), (5, 2)], {}),
    ("linalg.lstsq-gelsd", lambda T, a, b: T.linalg.lstsq(a, b, driver="gelsd")[:2], [(2, 5, 3), (2, 5, 2)], {}),
    ("linalg.lu_factor", lambda T, a: T.linalg.lu_factor(a), [(2, 3, 3)], {}),
    ("linalg.lu_factor_ex", lambda T, a: T.linalg.lu_factor_ex(a), [(4, 4)], {}),
    ("linalg.lu-square", _lu_parts, [(2, 4, 4)], {}),
    ("linalg.lu-tall", _lu_parts, [(5, 3)], {}),
    ("linalg.lu-wide", _lu_parts, [(3, 5)], {}),
    ("linalg.lu_solve", lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(_spd(T, a)), b), [(3, 3), (3, 2)], {}),
    (
        "linalg.lu_solve-adjoint",
        lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(_spd(T, a)), b, adjoint=True),
        [(3, 3), (3, 2)],
        {},
    ),
    (
        "linalg.lu_solve-right",
        lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(_spd(T, a)), b, left=False),
        [(3, 3), (2, 3)],
        {},
    ),
    (
        "linalg.lu_solve-right-adjoint",
        lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(_spd(T, a)), b, left=False, adjoint=True),
        [(3, 3), (2, 3)],
        {},
    ),
    ("lu_unpack", lambda T, a: T.lu_unpack(*T.linalg.lu_factor(a)), [(3, 3)], {}),
    ("linalg.matrix_exp", lambda T, a: T.linalg.matrix_exp(a), [(2, 3, 3)], {}),
    ("matrix_exp-large-norm", lambda T, a: T.matrix_exp(a * 3), [(3, 3)], {}),
    ("linalg.matrix_power", lambda T, a: T.linalg.matrix_power(a, 3), [(3, 3)], {}),
    ("linalg.matrix_power-neg", lambda T, a: T.linalg.matrix_power(_spd(T, a), -2), [(3, 3)], {}),
    ("linalg.vector_norm", lambda T, x: T.linalg.vector_norm(x), [(3, 4)], {}),
    ("linalg.vector_norm-p3-dim", lambda T, x: T.linalg.vector_norm(x, 3, dim=(0, 2), keepdim=True), [(2, 3, 4)], {}),
    ("linalg.vector_norm-inf", lambda T, x: T.linalg.vector_norm(x, float("inf"), dim=1), [(3, 4)], {}),
    ("linalg.vector_norm-p1", lambda T, x: T.linalg.vector_norm(x, 1), [(3, 4)], {}),
    ("linalg.vector_norm-keepdim-all", lambda T, x: T.linalg.vector_norm(x, keepdim=True), [(3, 4)], {}),
    ("linalg.matrix_norm-fro", lambda T, a: T.linalg.matrix_norm(a), [(2, 3, 4)], {}),
    ("linalg.matrix_norm-nuc", lambda T, a: T.linalg.matrix_norm(a, "nuc"), [(2, 3, 4)], {}),
    ("linalg.matrix_norm-2", lambda T, a: T.linalg.matrix_norm(a, 2, dim=(0, 2), keepdim=True), [(3, 2, 4)], {}),
    ("linalg.matrix_norm--2", lambda T, a: T.linalg.matrix_norm(a, -2), [(3, 4)], {}),
    ("linalg.matrix_norm-1", lambda T, a: T.linalg.matrix_norm(a, 1), [(2, 3, 4)], {}),
    (
        "linalg.matrix_norm-inf-keepdim",
        lambda T, a: T.linalg.matrix_norm(a, float("inf"), keepdim=True),
        [(2, 3, 4)],
        {},
    ),
    ("linalg.matrix_norm--inf-dims", lambda T, a: T.linalg.matrix_norm(a, -float("inf"), dim=(2, 0)), [(2, 3, 4)], {}),
    ("linalg.norm", lambda T, a: T.linalg.norm(a), [(2, 3, 4)], {}),
    ("linalg.norm-matrix-ord", lambda T, a: T.linalg.norm(a, 1), [(3, 4)], {}),
    ("linalg.norm-vector-ord", lambda T, a: T.linalg.norm(a, 3), [(4,)], {}),
    ("linalg.norm-dim", lambda T, a: T.linalg.norm(a, dim=1), [(3, 4)], {}),
    ("linalg.norm-dims-nuc", lambda T, a: T.linalg.norm(a, "nuc", dim=(0, 1)), [(3, 4)], {}),
    ("linalg.cond", lambda T, a: T.linalg.cond(a), [(2, 3, 3)], {}),
    ("linalg.cross", lambda T, a, b: T.linalg.cross(a, b), [(2, 3), (1, 3)], {}),
    ("linalg.cross-dim", lambda T, a, b: T.linalg.cross(a, b, dim=0), [(3, 2), (3, 2)], {}),
    ("linalg.vecdot", lambda T, a, b: T.linalg.vecdot(a, b), [(2, 3), (3,)], {}),
    ("linalg.multi_dot", lambda T, a, b, c, d: T.linalg.multi_dot([a, b, c, d]), [(3,), (3, 4), (4, 2), (2,)], {}),
    ("linalg.multi_dot-matrices", lambda T, a, b, c: T.linalg.multi_dot((a, b, c)), [(2, 3), (3, 4), (4, 2)], {}),
    ("linalg.vander", lambda T, x: T.linalg.vander(x, N=4), [(2, 3)], {}),
    (
        "linalg.householder_product",
        lambda T, a, tau: T.linalg.householder_product(a, tau),
        [(4, 3), (2,)],
        dict(low=-1, high=1),
    ),
    (
        "linalg.householder_product-batch",
        lambda T, a, tau: T.linalg.householder_product(a, tau),
        [(2, 3, 3), (2, 3)],
        {},
    ),
    ("linalg.tensorinv", lambda T, a: T.linalg.tensorinv(_spd(T, a).reshape(2, 2, 4), ind=2), [(4, 4)], {}),
    ("linalg.tensorsolve", lambda T, a, b: T.linalg.tensorsolve(_spd(T, a).reshape(2, 3, 6), b), [(6, 6), (2, 3)], {}),
    ("linalg.diagonal", lambda T, a: T.linalg.diagonal(a, offset=1), [(2, 3, 4)], {}),
]


def _eig_parts(T, a):
    """Eigenvectors are unique only up to a phase: compare the values and |V|."""
    w, v = T.linalg.eig(a)
    return w, v.abs()


def _cplx(*shapes, seed=5):
    """Complex inputs, complex64 in the float32 run and complex128 in the float64 one."""

    def make(dtype):
        rng = np.random.default_rng(seed)
        ctype = np.complex64 if dtype == np.float32 else np.complex128
        return [(rng.uniform(-2, 2, s) + 1j * rng.uniform(-2, 2, s)).astype(ctype) for s in shapes]

    return make


def _cplx_and_real(complex_shape, real_shape):
    def make(dtype):
        return _cplx(complex_shape)(dtype) + [np.random.default_rng(6).uniform(-2, 2, real_shape).astype(dtype)]

    return make


# complex tensors (ember/ops/complex.py, and the engine's conjugation around holomorphic ops) and torch.fft
ROWS += [
    ("complex-mul", lambda T, a, b: a * b, _cplx((3, 4), (4,)), {}),
    ("complex-div", lambda T, a, b: a / b, _cplx((3, 4), (3, 4)), {}),
    ("complex-add-sub-scalar", lambda T, a, b: a + b - 2j * a, _cplx((3, 4), (3, 4)), {}),
    ("complex-mul-real", lambda T, a, r: a * r + r, _cplx_and_real((3, 4), (3, 4)), {}),
    ("complex-matmul", lambda T, a, b: a @ b, _cplx((3, 4), (4, 2)), {}),
    ("complex-exp-log", lambda T, a: a.exp() + a.log(), _cplx((3, 4)), {}),
    ("complex-trig", lambda T, a: a.sin() * a.cos() + a.tanh(), _cplx((3, 4)), {}),
    ("complex-sqrt-reciprocal", lambda T, a: a.sqrt() + a.reciprocal(), _cplx((3, 4)), {}),
    ("complex-pow", lambda T, a: a**3 + a.pow(2), _cplx((3, 4)), {}),
    ("complex-abs", lambda T, a: a.abs(), _cplx((3, 4)), {}),
    ("complex-angle", lambda T, a: a.angle(), _cplx((3, 4)), {}),
    ("complex-real-imag", lambda T, a: (a.real, a.imag, T.real(a) * T.imag(a)), _cplx((3, 4)), {}),
    ("complex-conj", lambda T, a, b: a.conj() * b + T.conj_physical(b), _cplx((3, 4), (3, 4)), {}),
    ("complex-sum-mean", lambda T, a: (a.sum(), a.mean(0), a.sum(1, keepdim=True)), _cplx((3, 4)), {}),
    (
        "complex-shape-ops",
        lambda T, a: (a.t()[1:, ::2], a.reshape(-1), T.cat([a, a[:1]]), a.unsqueeze(0)),
        _cplx((3, 4)),
        {},
    ),
    ("view_as_real", lambda T, a: T.view_as_real(a) * 2, _cplx((3, 4)), {}),
    ("view_as_real-transposed", lambda T, a: T.view_as_real(a.t()), _cplx((3, 4)), {}),
    ("view_as_complex", lambda T, x: T.view_as_complex(x) * (1 + 1j), [(3, 4, 2)], {}),
    ("torch.complex", lambda T, re, im: T.complex(re, im) ** 2, [(3, 4), (3, 4)], {}),
    ("polar", lambda T, r, t: T.polar(r, t) ** 2, [(3, 4), (3, 4)], dict(low=0.5, high=2)),
    (
        "real-to-complex-cast",
        lambda T, x: x.to(T.complex64 if x.dtype == T.float32 else T.complex128) * 1j,
        [(3, 4)],
        {},
    ),
    ("abs-of-complex-scalar-product", lambda T, x: (x * 1j + x).abs(), [(3, 4)], {}),
    ("fft.fft", lambda T, a: T.fft.fft(a), _cplx((3, 8)), {}),
    ("fft.fft-real-n-pad", lambda T, x: T.fft.fft(x, n=10, norm="ortho"), [(3, 8)], {}),
    ("fft.ifft-n-trim-dim0", lambda T, a: T.fft.ifft(a, n=3, dim=0, norm="forward"), _cplx((5, 4)), {}),
    ("fft.rfft", lambda T, x: T.fft.rfft(x), [(3, 8)], {}),
    ("fft.rfft-odd-n-ortho", lambda T, x: T.fft.rfft(x, n=7, norm="ortho"), [(3, 8)], {}),
    ("fft.irfft", lambda T, a: T.fft.irfft(a), _cplx((3, 5)), {}),
    ("fft.irfft-odd-n-forward", lambda T, a: T.fft.irfft(a, n=9, norm="forward"), _cplx((3, 5)), {}),
    ("fft.irfft-dim0", lambda T, a: T.fft.irfft(a, n=6, dim=0), _cplx((4, 3)), {}),
    ("fft.hfft", lambda T, a: T.fft.hfft(a, n=7), _cplx((3, 4)), {}),
    ("fft.ihfft", lambda T, x: T.fft.ihfft(x, norm="ortho"), [(3, 6)], {}),
    ("fft.fft2", lambda T, a: T.fft.fft2(a), _cplx((2, 3, 4)), {}),
    ("fft.ifft2-s", lambda T, a: T.fft.ifft2(a, s=(2, 5)), _cplx((3, 4)), {}),
    ("fft.fftn-dim", lambda T, x: T.fft.fftn(x, dim=(0, 2), norm="ortho"), [(2, 3, 4)], {}),
    ("fft.ifftn", lambda T, a: T.fft.ifftn(a), _cplx((2, 3, 4)), {}),
    ("fft.rfft2", lambda T, x: T.fft.rfft2(x), [(2, 4, 6)], {}),
    ("fft.irfft2", lambda T, a: T.fft.irfft2(a), _cplx((2, 4, 4)), {}),
    ("fft.rfftn-s", lambda T, x: T.fft.rfftn(x, s=(3, 5)), [(2, 4, 6)], {}),
    ("fft.irfftn-s-dim", lambda T, a: T.fft.irfftn(a, s=(4, 5), dim=(0, 1)), _cplx((3, 3, 2)), {}),
    ("fft.hfft2", lambda T, a: T.fft.hfft2(a), _cplx((3, 4)), {}),
    ("fft.ihfft2", lambda T, x: T.fft.ihfft2(x), [(3, 4)], {}),
    ("fft.fftshift", lambda T, x: T.fft.fftshift(T.fft.fft(x)), [(3, 5)], {}),
    ("fft.ifftshift-dim", lambda T, x: T.fft.ifftshift(x, dim=0), [(5, 4)], {}),
    ("linalg.eig", lambda T, a: _eig_parts(T, a), [(3, 3)], {}),
    ("linalg.eig-complex", lambda T, a: _eig_parts(T, a), _cplx((2, 3, 3)), {}),
    ("linalg.eigvals", lambda T, a: T.linalg.eigvals(a), [(2, 4, 4)], {}),
    ("linalg.vector_norm-complex", lambda T, a: T.linalg.vector_norm(a, dim=1), _cplx((3, 4)), {}),
    ("complex-linalg.solve", lambda T, a, b: T.linalg.solve(a, b), _cplx((3, 3), (3, 2)), {}),
    ("complex-inv-det", lambda T, a: (T.linalg.inv(a), T.linalg.det(a)), _cplx((3, 3)), {}),
    ("fft.spectral-loss", lambda T, x, y: (T.fft.rfft(x) - T.fft.rfft(y)).abs().pow(2).mean(), [(2, 16), (2, 16)], {}),
]

# completions of torch's Tensor and torch namespaces (ember/ops/pointwise, shape_variants, selection, spectral)
_IDX_REDUCE = [0, 2, 0, 3]
ROWS += [
    ("copysign", lambda T, x, y: T.copysign(x, y), [(3, 4), (4,)], {}),
    ("copysign-scalar", lambda T, x: x.copysign(-1.0), [(3, 4)], {}),
    # (torch's gradient is 0 where the exponent is negative, an integer power in its LdexpBackward0; ember's is
    # 2 ** other there, checked by the gradcheck table)
    ("ldexp", lambda T, x: T.ldexp(x, T.tensor([1, 2, 0, 3])), [(3, 4)], {}),
    ("ldexp-negative", lambda T, x: x.ldexp(T.tensor([-1, -3, 0, 2])), [(3, 4)], dict(grad=False)),
    ("frexp-mantissa", lambda T, x: T.frexp(x * 7).mantissa, [(3, 4)], {}),
    ("logaddexp2", lambda T, x, y: T.logaddexp2(x, y), [(3, 4), (3, 1)], {}),
    ("deg2rad", lambda T, x: x.deg2rad() + T.rad2deg(x), [(3, 4)], {}),
    ("float_power-tensor-exponent", lambda T, x, y: x.float_power(y), [(3, 4), (4,)], dict(low=0.5, high=2)),
    ("positive", lambda T, x: T.positive(x) * 2, [(3, 4)], {}),
    ("narrow_copy", lambda T, x: x.narrow_copy(1, 1, 2), [(3, 4)], {}),
    ("view_copy", lambda T, x: T.view_copy(x, (4, 3)), [(3, 4)], {}),
    ("transpose_copy", lambda T, x: T.transpose_copy(x, 0, 1), [(3, 4)], {}),
    ("select_scatter", lambda T, x, s: T.select_scatter(x, s, 1, 2), [(3, 4), (3,)], {}),
    ("slice_scatter", lambda T, x, s: x.slice_scatter(s, 0, 1, 3), [(4, 3), (2, 3)], {}),
    ("slice_scatter-step", lambda T, x, s: T.slice_scatter(x, s, dim=1, start=0, step=2), [(3, 4), (3, 2)], {}),
    ("diagonal_scatter", lambda T, x, s: T.diagonal_scatter(x, s, 1), [(3, 4), (3,)], {}),
    # (torch 2.13's gradient for the input is wrong here: it passes the gradient through the overwritten elements
    # and stops it elsewhere; ember's, zero where src was written, is checked by the gradcheck table)
    (
        "as_strided_scatter",
        lambda T, x, s: T.as_strided_scatter(x, s, (2, 2), (1, 2)),
        [(3, 4), (2, 2)],
        dict(grad=False),
    ),
    ("put", lambda T, x, s: x.put(T.tensor([1, -1, 5]), s), [(3, 4), (3,)], {}),
    ("put-accumulate", lambda T, x, s: T.put(x, T.tensor([[1, 1], [0, 11]]), s, accumulate=True), [(3, 4), (2, 2)], {}),
    ("fill_diagonal_", lambda T, x: (x * 1).fill_diagonal_(0.5), [(3, 4)], {}),
    ("fill_diagonal_-wrap", lambda T, x: (x * 1).fill_diagonal_(-1.0, wrap=True), [(7, 3)], {}),
    ("index_reduce-prod", lambda T, x, s: x.index_reduce(0, T.tensor(_IDX_REDUCE), s, "prod"), [(4, 3), (4, 3)], {}),
    (
        "index_reduce-prod-zeros",
        lambda T, x, s: x.index_reduce(0, T.tensor(_IDX_REDUCE), s * (s > 0), "prod", include_self=False),
        [(4, 3), (4, 3)],
        {},
    ),
    ("index_reduce-mean", lambda T, x, s: T.index_reduce(x, 1, T.tensor([1, 1, 0]), s, "mean"), [(2, 3), (2, 3)], {}),
    (
        "index_reduce-amax",
        lambda T, x, s: x.index_reduce(0, T.tensor(_IDX_REDUCE), s, "amax", include_self=False),
        [(4, 3), (4, 3)],
        {},
    ),
    ("index_reduce-amin", lambda T, x, s: x.index_reduce(0, T.tensor(_IDX_REDUCE), s, "amin"), [(4, 3), (4, 3)], {}),
    ("nanquantile-with-nan", lambda T, x: T.nanquantile(T.where(x > 1.5, float("nan"), x), 0.3, dim=1), [(3, 5)], {}),
    (
        "nanquantile-qs-keepdim",
        lambda T, x: x.nanquantile(
            T.tensor([0.25, 0.5, 1.0], dtype=x.dtype), dim=0, keepdim=True, interpolation="midpoint"
        ),
        [(4, 3)],
        {},
    ),
    ("nanquantile-all", lambda T, x: T.nanquantile(x, 0.7, interpolation="nearest"), [(3, 4)], {}),
    (
        "stft",
        lambda T, x: T.stft(x, 8, hop_length=2, window=T.hann_window(8, dtype=x.dtype), return_complex=True),
        [(2, 20)],
        {},
    ),
    (
        "stft-onesided-false-normalized",
        lambda T, x: x.stft(
            8,
            win_length=6,
            window=T.ones(6, dtype=x.dtype),
            normalized=True,
            onesided=False,
            center=False,
            return_complex=True,
        ),
        [(20,)],
        {},
    ),
    (
        "istft",
        lambda T, x: T.istft(
            T.stft(x, 8, window=T.hann_window(8, dtype=x.dtype), return_complex=True),
            8,
            window=T.hann_window(8, dtype=x.dtype),
            length=20,
        ),
        [(2, 20)],
        {},
    ),
    ("orgqr", lambda T, a: T.orgqr(a, T.linspace(0.5, 1.5, 3, dtype=a.dtype)), [(4, 3)], {}),
    (
        "ormqr",
        lambda T, a, c: T.ormqr(a, T.linspace(0.5, 1.5, 3, dtype=a.dtype), c, transpose=True),
        [(4, 3), (4, 2)],
        {},
    ),
    (
        "sparse.mm",
        lambda T, v, d: T.sparse.mm(T.sparse_coo_tensor(T.tensor([[0, 1, 1, 0], [2, 0, 2, 2]]), v, (2, 3)), d),
        [(4,), (3, 2)],
        {},
    ),
    (
        "sparse-values",
        lambda T, v: T.sparse_coo_tensor(T.tensor([[0, 1, 1, 0], [2, 0, 2, 2]]), v).coalesce().values(),
        [(4,)],
        {},
    ),
    (
        "sparse-to_dense",
        lambda T, v: T.sparse_coo_tensor(T.tensor([[0, 1], [1, 0]]), v, (2, 2, 3)).to_dense(),
        [(2, 3)],
        {},
    ),
]


def _set(x, key, value):
    x[key] = value
    return x


def _svd_parts(T, a):
    """Singular vectors are unique only up to sign: compare S and the reconstruction U diag(S) V^T."""
    u, s, v = T.svd(a)
    return s, (u * s) @ v.t(), s.sum()


def _qr_parts(T, a):
    q, r = T.qr(a)
    return q @ r, (q.t() @ q), r.abs()


def _linalg_svd_parts(T, a, full_matrices):
    """As _svd_parts, for linalg.svd (the columns past min(m, n) of a full U or Vh are arbitrary)."""
    u, s, vh = T.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    return s, (u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :]
