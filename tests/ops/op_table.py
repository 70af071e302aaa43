"""The table of differentiable ops shared by the torch-oracle and gradcheck tests.

Each row: (id, fn(T, *inputs) run with T=torch or T=ember, input shapes or a function dtype -> arrays,
options for oracle.check such as the input range).
"""
import numpy as np

from ember.ops.elementwise import UNARY

# domain of each unary op's random inputs, when the default (-2, 2) is outside it
UNARY_DOMAIN = {"log": (0.1, 3), "log2": (0.1, 3), "log10": (0.1, 3), "log1p": (-0.5, 3), "sqrt": (0.1, 3),
                "rsqrt": (0.1, 3), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atanh": (-0.9, 0.9),
                "acosh": (1.1, 3), "erfinv": (-0.9, 0.9), "reciprocal": (0.5, 2)}


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
    if name == "sgn":       # torch's grad of sgn is a ZeroTensor, which cannot become numpy: add a real zero
        return lambda T, x: x.sgn() + 0 * x
    return lambda T, x: getattr(x, name)()


ROWS = [(f"unary-{name}", _unary(name), [(3, 4)], dict(zip(("low", "high"), UNARY_DOMAIN.get(name, (-2, 2)))))
        for name in UNARY] + [
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
    ("pow-scalar", lambda T, x: x ** 3, [(3, 4)], {}),
    ("pow-scalar-frac", lambda T, x: x ** 1.5, [(3, 4)], dict(low=0.5, high=2)),
    ("pow-scalar-2", lambda T, x: x.pow(2), [(3, 4)], {}),
    ("pow-scalar-neg", lambda T, x: x ** -2, [(3, 4)], dict(low=0.5, high=2)),
    ("pow-tensor", lambda T, x, y: x ** y, [(3, 4), (4,)], dict(low=0.5, high=2)),
    ("rpow-scalar", lambda T, x: 2 ** x, [(3, 4)], {}),
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
    ("scatter-inplace", lambda T, x, s: (x * 1).scatter_(1, _idx(T, [[0, 2], [1, 3], [3, 0]]), s),
     [(3, 4), (3, 2)], {}),
    ("scatter_add-inplace", lambda T, x, s: (x * 1).scatter_add_(0, _idx(T, [[0, 2, 0, 0]]), s), [(3, 4), (1, 4)], {}),
    *[(f"scatter_reduce-{r}{'' if inc else '-exclude-self'}",
       (lambda r, inc: lambda T, x, s: x.scatter_reduce(1, _idx(T, [[0, 2, 0], [1, 1, 3], [3, 3, 3]]), s, r,
                                                        include_self=inc))(r, inc), [(3, 4), (3, 3)], {})
      for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    ("scatter_reduce-inplace", lambda T, x, s: (x * 1).scatter_reduce_(0, _idx(T, [[1, 1, 0, 2]]), s, "amax"),
     [(3, 4), (1, 4)], {}),
    ("index_put", lambda T, x, v: x.index_put((_idx(T, [0, 2]),), v), [(3, 4), (2, 4)], {}),
    ("index_put-accumulate", lambda T, x, v: T.index_put(x, (_idx(T, [0, 2, 0]), _idx(T, [1, 1, 1])), v,
                                                         accumulate=True), [(3, 4), (3,)], {}),
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
    ("roll", lambda T, x: x.roll(1, 1), [(2, 3)], {}),
    ("roll-flat", lambda T, x: T.roll(x, -2), [(2, 3)], {}),
    ("roll-dims", lambda T, x: x.roll((1, 2), (0, 1)), [(2, 3)], {}),
    ("split", lambda T, x: x.split(2), [(5, 3)], {}),
    ("split-sizes", lambda T, x: T.split(x, [1, 2], dim=1), [(2, 3)], {}),
    ("chunk", lambda T, x: x.chunk(3, 1), [(2, 5)], {}),
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
    ("addmm-full", lambda T, c, a, b: T.addmm(c, a, b), [(3, 2), (3, 4), (4, 2)], {}),       # one Addmm node
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
