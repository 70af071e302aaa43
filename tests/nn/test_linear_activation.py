"""Linear family, activations, dropout, embedding, flatten and distances against torch: values, input and
parameter gradients (float32 rtol 1e-5, float64 rtol 1e-10), reprs, defaults and errors."""

import re
import warnings

import numpy as np
import pytest

import ember
from oracle import assert_close, assert_on, check, on_devices, torch

DTYPES = [np.float32, np.float64]

# (id, fn(T, *inputs), shapes, options for check()); inputs also cover the kinks (see test_kinks)
ACTIVATIONS = [
    ("relu", lambda T, x: T.nn.functional.relu(x), [(3, 4, 5)], {}),
    ("relu6", lambda T, x: T.nn.functional.relu6(x * 4), [(3, 4, 5)], {}),
    ("hardtanh", lambda T, x: T.nn.functional.hardtanh(x, -0.5, 1.2), [(3, 4, 5)], {}),
    ("leaky_relu", lambda T, x: T.nn.functional.leaky_relu(x, 0.2), [(3, 4, 5)], {}),
    ("leaky_relu-default", lambda T, x: T.nn.functional.leaky_relu(x), [(3, 4, 5)], {}),
    ("elu", lambda T, x: T.nn.functional.elu(x, 1.3), [(3, 4, 5)], {}),
    ("selu", lambda T, x: T.nn.functional.selu(x), [(3, 4, 5)], {}),
    ("celu", lambda T, x: T.nn.functional.celu(x, 0.7), [(3, 4, 5)], {}),
    ("gelu", lambda T, x: T.nn.functional.gelu(x), [(3, 4, 5)], {}),
    ("gelu-tanh", lambda T, x: T.nn.functional.gelu(x, approximate="tanh"), [(3, 4, 5)], {}),
    ("silu", lambda T, x: T.nn.functional.silu(x), [(3, 4, 5)], {}),
    ("mish", lambda T, x: T.nn.functional.mish(x * 3), [(3, 4, 5)], {}),
    ("sigmoid", lambda T, x: T.nn.functional.sigmoid(x), [(3, 4, 5)], {}),
    ("tanh", lambda T, x: T.nn.functional.tanh(x), [(3, 4, 5)], {}),
    ("softsign", lambda T, x: T.nn.functional.softsign(x), [(3, 4, 5)], {}),
    ("softplus", lambda T, x: T.nn.functional.softplus(x), [(3, 4, 5)], {}),
    ("softplus-beta", lambda T, x: T.nn.functional.softplus(x, 2, 1.5), [(3, 4, 5)], {}),
    ("hardsigmoid", lambda T, x: T.nn.functional.hardsigmoid(x * 3), [(3, 4, 5)], {}),
    ("hardswish", lambda T, x: T.nn.functional.hardswish(x * 3), [(3, 4, 5)], {}),
    ("logsigmoid", lambda T, x: T.nn.functional.logsigmoid(x * 30), [(3, 4, 5)], {}),
    ("threshold", lambda T, x: T.nn.functional.threshold(x, 0.3, -2.0), [(3, 4, 5)], {}),
    ("hardshrink", lambda T, x: T.nn.functional.hardshrink(x, 0.7), [(3, 4, 5)], {}),
    ("softshrink", lambda T, x: T.nn.functional.softshrink(x, 0.7), [(3, 4, 5)], {}),
    ("tanhshrink", lambda T, x: T.nn.functional.tanhshrink(x), [(3, 4, 5)], {}),
    ("softmax", lambda T, x: T.nn.functional.softmax(x, dim=1), [(3, 4, 5)], {}),
    ("log_softmax", lambda T, x: T.nn.functional.log_softmax(x, dim=-1), [(3, 4, 5)], {}),
    ("softmin", lambda T, x: T.nn.functional.softmin(x, dim=1), [(3, 4, 5)], {}),
    ("glu", lambda T, x: T.nn.functional.glu(x, 1), [(3, 4, 5)], {}),
    ("prelu-channels", lambda T, x, w: T.nn.functional.prelu(x, w), [(3, 4, 5), (4,)], {}),
    ("prelu-single", lambda T, x, w: T.nn.functional.prelu(x, w), [(3, 4, 5), (1,)], {}),
    ("rrelu-eval", lambda T, x: T.nn.functional.rrelu(x, 0.1, 0.3), [(3, 4, 5)], {}),
    ("linear", lambda T, x, w, b: T.nn.functional.linear(x, w, b), [(2, 3, 4), (5, 4), (5,)], {}),
    ("linear-2d-nobias", lambda T, x, w: T.nn.functional.linear(x, w), [(3, 4), (5, 4)], {}),
    ("linear-1d", lambda T, x, w, b: T.nn.functional.linear(x, w, b), [(4,), (5, 4), (5,)], {}),
    ("bilinear", lambda T, x, y, w, b: T.nn.functional.bilinear(x, y, w, b), [(3, 4), (3, 2), (5, 4, 2), (5,)], {}),
    ("bilinear-3d", lambda T, x, y, w: T.nn.functional.bilinear(x, y, w), [(2, 3, 4), (2, 3, 2), (5, 4, 2)], {}),
    ("pairwise_distance", lambda T, x, y: T.nn.functional.pairwise_distance(x, y), [(6, 4), (6, 4)], {}),
    (
        "pairwise_distance-p3",
        lambda T, x, y: T.nn.functional.pairwise_distance(x, y, p=3, keepdim=True),
        [(6, 4), (4,)],
        {},
    ),
    ("pairwise_distance-p1", lambda T, x, y: T.nn.functional.pairwise_distance(x, y, p=1), [(6, 4), (6, 4)], {}),
    ("cosine_similarity", lambda T, x, y: T.nn.functional.cosine_similarity(x, y), [(6, 4), (6, 4)], {}),
    ("cosine_similarity-dim0", lambda T, x, y: T.nn.functional.cosine_similarity(x, y, dim=0), [(6, 4), (6, 4)], {}),
    ("normalize", lambda T, x: T.nn.functional.normalize(x), [(6, 4)], {}),
    ("normalize-p3", lambda T, x: T.nn.functional.normalize(x, p=3, dim=0), [(6, 4)], {}),
    ("pdist", lambda T, x: T.nn.functional.pdist(x), [(6, 4)], {}),
    ("embedding", lambda T, w: T.nn.functional.embedding(T.tensor([[1, 2, 0], [3, 1, 1]]), w), [(5, 3)], {}),
    (
        "embedding-padding",
        lambda T, w: T.nn.functional.embedding(T.tensor([[1, 2, 0], [3, 1, 1]]), w, padding_idx=1),
        [(5, 3)],
        {},
    ),
    (
        "embedding-freq",
        lambda T, w: T.nn.functional.embedding(T.tensor([[1, 2, 0], [3, 1, 1]]), w, scale_grad_by_freq=True),
        [(5, 3)],
        {},
    ),
]


@on_devices
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name,fn,shapes,opts", ACTIVATIONS, ids=[r[0] for r in ACTIVATIONS])
def test_functional_matches_torch(name, fn, shapes, opts, dtype):
    check(fn, shapes, dtype=dtype, **opts)


KINK_POINTS = np.array([-6.0, -3.0, -1.0, -0.7, -0.5, 0.0, 0.3, 0.5, 0.7, 1.0, 1.2, 3.0, 6.0])
KINKS = [
    ("relu", lambda T, x: T.nn.functional.relu(x)),
    ("relu6", lambda T, x: T.nn.functional.relu6(x)),
    ("hardtanh", lambda T, x: T.nn.functional.hardtanh(x)),
    ("leaky_relu", lambda T, x: T.nn.functional.leaky_relu(x)),
    ("elu", lambda T, x: T.nn.functional.elu(x, 0.5)),
    ("selu", lambda T, x: T.nn.functional.selu(x)),
    ("celu", lambda T, x: T.nn.functional.celu(x, 2.0)),
    ("hardshrink", lambda T, x: T.nn.functional.hardshrink(x)),
    ("softshrink", lambda T, x: T.nn.functional.softshrink(x)),
    ("threshold", lambda T, x: T.nn.functional.threshold(x, 0.5, 9.0)),
    ("hardsigmoid", lambda T, x: T.nn.functional.hardsigmoid(x)),
    ("hardswish", lambda T, x: T.nn.functional.hardswish(x)),
    ("softplus", lambda T, x: T.nn.functional.softplus(x, 2, 1.0)),
    ("prelu", lambda T, x: T.nn.functional.prelu(x, T.tensor([0.25], dtype=x.dtype))),
    ("rrelu-eval", lambda T, x: T.nn.functional.rrelu(x)),
]


@pytest.mark.parametrize("name,fn", KINKS, ids=[k[0] for k in KINKS])
def test_kinks_use_torchs_subgradient(name, fn):
    check(fn, arrays=[KINK_POINTS.astype(np.float32)])
    check(fn, arrays=[KINK_POINTS.astype(np.float64)])


def test_double_backward_of_table_activations():
    for fn in (
        lambda T, x: T.nn.functional.elu(x),
        lambda T, x: T.nn.functional.gelu(x),
        lambda T, x: T.nn.functional.silu(x),
        lambda T, x: T.nn.functional.softplus(x, 2.0),
        lambda T, x: T.nn.functional.mish(x),
        lambda T, x: T.nn.functional.logsigmoid(x),
        lambda T, x: T.nn.functional.glu(x.view(2, 4)) * x[:2].view(2, 1),
        lambda T, x: T.nn.functional.prelu(x * x[3], T.tensor([0.25], dtype=x.dtype)),
    ):
        grads = []
        for T in (torch, ember):
            x = T.tensor(np.linspace(-2, 2, 8), requires_grad=True)  # avoids 0, where torch's elu
            # double backward uses x < 0 but its first derivative x <= 0
            (g,) = T.autograd.grad(fn(T, x).sum(), x, create_graph=True)
            (gg,) = T.autograd.grad(g.sum(), x)
            grads.append(gg)
        assert_close(grads[1], grads[0])


# ---- modules: defaults, reprs, parameters ----------------------------------------------------------

MODULE_SPECS = [
    ("ReLU", (), {}),
    ("ReLU", (True,), {}),
    ("ReLU6", (), {}),
    ("ReLU6", (True,), {}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2, True), {}),
    ("PReLU", (), {}),
    ("PReLU", (3, 0.1), {}),
    ("RReLU", (), {}),
    ("RReLU", (0.1, 0.3, True), {}),
    ("ELU", (), {}),
    ("ELU", (0.5, True), {}),
    ("SELU", (), {}),
    ("SELU", (True,), {}),
    ("CELU", (), {}),
    ("CELU", (0.5, True), {}),
    ("GELU", (), {}),
    ("GELU", ("tanh",), {}),
    ("SiLU", (), {}),
    ("SiLU", (True,), {}),
    ("Mish", (), {}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Softsign", (), {}),
    ("Softplus", (), {}),
    ("Softplus", (2, 10), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 2.0, True), {}),
    ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (True,), {}),
    ("Hardswish", (True,), {}),
    ("LogSigmoid", (), {}),
    ("Threshold", (0.1, 20), {}),
    ("Threshold", (0.1, 20, True), {}),
    ("Hardshrink", (), {}),
    ("Hardshrink", (0.3,), {}),
    ("Softshrink", (), {}),
    ("Tanhshrink", (), {}),
    ("Softmax", (), {}),
    ("Softmax", (), {"dim": 1}),
    ("LogSoftmax", (1,), {}),
    ("Softmin", (0,), {}),
    ("Softmax2d", (), {}),
    ("GLU", (), {}),
    ("GLU", (1,), {}),
    ("Dropout", (), {}),
    ("Dropout", (0.2, True), {}),
    ("Dropout1d", (), {}),
    ("Dropout2d", (0.3,), {}),
    ("Dropout3d", (), {}),
    ("AlphaDropout", (0.1,), {}),
    ("FeatureAlphaDropout", (), {}),
    ("Embedding", (10, 3), {}),
    ("Embedding", (10, 3), {"padding_idx": 0, "max_norm": 1.0}),
    ("Embedding", (10, 3), {"max_norm": 2, "norm_type": 1.0, "scale_grad_by_freq": True, "sparse": True}),
    ("Embedding", (10, 3), {"padding_idx": -2}),
    ("Linear", (3, 4), {}),
    ("Linear", (3, 4), {"bias": False}),
    ("Bilinear", (2, 3, 4), {}),
    ("Bilinear", (2, 3, 4, False), {}),
    ("Identity", (), {}),
    ("Identity", (54,), {"unused": 1}),
    ("Flatten", (), {}),
    ("Flatten", (0, 2), {}),
    ("Unflatten", (1, (2, 5)), {}),
    ("PairwiseDistance", (), {}),
    ("CosineSimilarity", (0,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULE_SPECS, ids=[f"{s[0]}-{i}" for i, s in enumerate(MODULE_SPECS)])
def test_module_repr_and_parameters_match_torch(name, args, kwargs):
    ours, theirs = getattr(ember.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(p.shape)) for k, p in ours.named_parameters()] == [
        (k, tuple(p.shape)) for k, p in theirs.named_parameters()
    ]
    assert list(ours.state_dict()) == list(theirs.state_dict())


def _copy_params(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


MODULE_ORACLE = [
    ("Linear", (4, 3), {}, [(2, 5, 4)]),
    ("Linear", (4, 3), {"bias": False}, [(6, 4)]),
    ("Bilinear", (4, 2, 3), {}, [(5, 4), (5, 2)]),
    ("PReLU", (4,), {}, [(3, 4, 2)]),
    ("PReLU", (), {}, [(3, 4, 2)]),
    ("Softplus", (2.0, 1.0), {}, [(3, 4)]),
    ("GELU", ("tanh",), {}, [(3, 4)]),
    ("Softmax2d", (), {}, [(2, 3, 4, 5)]),
    ("LogSoftmax", (1,), {}, [(2, 3, 4)]),
    ("Flatten", (), {}, [(2, 3, 4)]),
    ("Unflatten", (1, (2, 2)), {}, [(3, 4)]),
    ("Hardtanh", (-0.5, 0.5), {}, [(3, 4)]),
    ("CosineSimilarity", (), {}, [(3, 4), (3, 4)]),
    ("PairwiseDistance", (1.0,), {}, [(3, 4), (3, 4)]),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize(
    "name,args,kwargs,shapes", MODULE_ORACLE, ids=[f"{s[0]}-{i}" for i, s in enumerate(MODULE_ORACLE)]
)
def test_module_outputs_and_parameter_grads_match_torch(name, args, kwargs, shapes, dtype, device):
    theirs = getattr(torch.nn, name)(*args, **kwargs).to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = getattr(ember.nn, name)(*args, **kwargs).to(ember.float64 if dtype == np.float64 else ember.float32)
    _copy_params(ours, theirs)
    ours.to(device)
    check(lambda T, *xs: (theirs if T is torch else ours)(*xs), shapes, dtype=dtype)
    assert_on(device, [p.grad for p in ours.parameters()], "parameter grad")
    for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, what=f"grad of {k}")


def test_linear_default_init_bounds():
    layer = ember.nn.Linear(400, 120)
    bound = 1 / np.sqrt(400)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.95 * bound  # uniform over the whole interval
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound  # std of U(-b, b)
    assert layer.weight.requires_grad and layer.weight.dtype is ember.float32


def test_linear_shape_error_names_the_layer():
    layer = ember.nn.Linear(400, 120)
    with pytest.raises(RuntimeError) as info:
        layer(ember.randn(4, 256))
    msg = str(info.value)
    assert "Linear(in_features=400, out_features=120, bias=True) got input of shape (4, 256)" in msg
    assert "expected the last dimension to be 400 (did you forget to flatten?)" in msg
    assert "mat1 and mat2 shapes cannot be multiplied (4x256 and 400x120)" in msg
    with pytest.raises(RuntimeError, match=re.escape("mat1 and mat2 shapes cannot be multiplied (8x256 and 400x120)")):
        ember.nn.functional.linear(ember.randn(2, 4, 256), ember.randn(120, 400))


def test_bilinear_size_errors():
    with pytest.raises(RuntimeError, match="input2 size does not match weight size: got 3 but expected 4"):
        ember.nn.functional.bilinear(ember.randn(4, 2), ember.randn(4, 3), ember.randn(5, 2, 4))


# ---- in-place activations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "SiLU", "Hardtanh", "Hardswish", "Hardsigmoid", "Mish"],
)
def test_inplace_modules_write_into_the_input_and_backprop(module):
    x0 = np.linspace(-4, 4, 12).reshape(3, 4)
    results = []
    for T in (torch, ember):
        leaf = T.tensor(x0, requires_grad=True)
        h = leaf * 1.5
        out = getattr(T.nn, module)(inplace=True)(h)
        assert out is h
        (out * out).sum().backward()
        results.append((out.detach(), leaf.grad))
    assert_close(results[1][0], results[0][0])
    assert_close(results[1][1], results[0][1])


def test_inplace_on_a_leaf_that_requires_grad_is_an_error():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        ember.nn.functional.elu(ember.randn(3, requires_grad=True), inplace=True)


def test_integer_input_is_rejected_with_the_op_name():
    with pytest.raises(RuntimeError, match="gelu: expected a floating-point input"):
        ember.nn.functional.gelu(ember.tensor([1, 2]))


def test_glu_odd_dimension_error():
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        ember.nn.functional.glu(ember.randn(3, 5))


def test_softmax2d_rejects_2d_input():
    with pytest.raises(ValueError, match="3D or 4D"):
        ember.nn.Softmax2d()(ember.randn(3, 4))


def test_prelu_channel_mismatch():
    with pytest.raises(RuntimeError, match="mismatch of parameter numbers and input channel size"):
        ember.nn.PReLU(3)(ember.randn(2, 4))


# ---- RReLU and dropout: random, so statistics ------------------------------------------------------------


def test_rrelu_training_slopes_are_uniform_in_range():
    m = ember.nn.RReLU(0.1, 0.3)
    x = ember.full((20000,), -1.0, requires_grad=True)
    y = m(x)
    slopes = -y.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.005
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)  # grad = the slope drawn for each element
    m.eval()
    np.testing.assert_allclose(m(-ember.ones(4)).numpy(), -0.2, rtol=1e-6)
    pos = ember.rand(100) + 0.1
    np.testing.assert_array_equal(ember.nn.RReLU()(pos).numpy(), pos.numpy())


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_keeps_1_minus_p_and_scales(p):
    x = ember.ones(200, 100, requires_grad=True)
    y = ember.nn.functional.dropout(x, p)
    values = y.detach().numpy()
    kept = values != 0
    np.testing.assert_allclose(values[kept], 1 / (1 - p), rtol=1e-6)
    assert abs(kept.mean() - (1 - p)) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # grad = mask / (1 - p)


def test_dropout_eval_is_identity_and_p_edges():
    m = ember.nn.Dropout(0.5)
    x = ember.randn(4, 5)
    m.eval()
    assert m(x) is x
    assert ember.nn.functional.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(ember.nn.functional.dropout(x, 1.0).numpy(), np.zeros((4, 5), np.float32))
    np.testing.assert_array_equal(ember.nn.functional.dropout(x, 0.0).numpy(), x.numpy())


def test_dropout_inplace_writes_the_input():
    x = ember.ones(50, 50)
    y = ember.nn.Dropout(0.5, inplace=True)(x)
    assert y is x and (x.numpy() == 0).any()


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_probability_validation(p):
    msg = f"dropout probability has to be between 0 and 1, but got {p}"
    with pytest.raises(ValueError, match=re.escape(msg)):
        ember.nn.Dropout(p)
    with pytest.raises(ValueError, match=re.escape(msg)):
        ember.nn.functional.dropout(ember.ones(3), p)


@pytest.mark.parametrize(
    "name,shape,mask_axes",
    [
        ("dropout1d", (8, 16, 30), (0, 1)),
        ("dropout1d", (16, 30), (0,)),
        ("dropout2d", (8, 16, 5, 6), (0, 1)),
        ("dropout3d", (4, 16, 3, 4, 5), (0, 1)),
        ("dropout3d", (16, 3, 4, 5), (0,)),
    ],
)
def test_channel_dropout_zeroes_whole_channels(name, shape, mask_axes):
    y = getattr(ember.nn.functional, name)(ember.ones(*shape), 0.5).numpy()
    reduce_axes = tuple(i for i in range(len(shape)) if i not in mask_axes)
    per_channel = y.max(axis=reduce_axes)
    np.testing.assert_array_equal(y.min(axis=reduce_axes), per_channel)  # each channel all 0 or all 2
    assert set(np.unique(per_channel)) <= {0.0, 2.0} and 0.2 < (per_channel == 0).mean() < 0.8


def test_dropout2d_on_3d_input_warns_like_torch():
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        ember.nn.functional.dropout2d(ember.ones(2, 3, 4))


def test_alpha_dropout_keeps_mean_and_variance():
    x = ember.randn(400, 500)
    y = ember.nn.functional.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    alpha_prime = 1.7580993408473766
    a = 1 / np.sqrt((alpha_prime**2 * 0.2 + 1) * 0.8)
    dropped_value = -alpha_prime * a + alpha_prime * a * 0.2
    assert abs((np.isclose(y, dropped_value, atol=1e-6)).mean() - 0.2) < 0.01
    assert ember.nn.AlphaDropout(0.2).eval()(x) is x


def test_feature_alpha_dropout_is_per_channel():
    y = ember.nn.functional.feature_alpha_dropout(ember.zeros(6, 40, 7), 0.5, training=True).numpy()
    np.testing.assert_array_equal(y.min(axis=2), y.max(axis=2))


# ---- Embedding -------------------------------------------------------------------------------------------


def test_embedding_module_matches_torch_with_padding_idx():
    theirs = torch.nn.Embedding(7, 3, padding_idx=2)
    ours = ember.nn.Embedding(7, 3, padding_idx=2)
    np.testing.assert_array_equal(ours.weight.detach().numpy()[2], 0)  # padding row zeroed at init
    _copy_params(ours, theirs)
    idx = np.array([[0, 2, 6], [2, 2, 1]])
    check(lambda T: (theirs if T is torch else ours)(T.tensor(idx)), arrays=[])
    (ours(ember.tensor(idx)) * ember.arange(3.0)).sum().backward()
    (theirs(torch.tensor(idx)) * torch.arange(3.0)).sum().backward()
    assert_close(ours.weight.grad, theirs.weight.grad)
    np.testing.assert_array_equal(ours.weight.grad.numpy()[2], 0)  # and gets no gradient


def test_embedding_init_is_standard_normal():
    w = ember.nn.Embedding(20000, 5).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01


def test_embedding_from_pretrained():
    table = ember.tensor(np.arange(12.0).reshape(4, 3))
    frozen = ember.nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and repr(frozen) == "Embedding(4, 3)"
    np.testing.assert_array_equal(frozen(ember.tensor([3, 0])).numpy(), [[9, 10, 11], [0, 1, 2]])
    trainable = ember.nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad and trainable.padding_idx == 1
    np.testing.assert_array_equal(trainable.weight.detach().numpy()[1], [3, 4, 5])  # not zeroed, as torch


def test_embedding_max_norm_renormalises_looked_up_rows():
    weights = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    outs = []
    for T in (torch, ember):
        m = T.nn.Embedding.from_pretrained(T.tensor(weights), max_norm=1.0)
        outs.append((m(T.tensor([0, 1])), m.weight.detach().clone()))
    assert_close(outs[1][0], outs[0][0])
    assert_close(outs[1][1], outs[0][1])  # row 2 was not looked up: unchanged


def test_embedding_index_errors():
    w = ember.randn(10, 3)
    with pytest.raises(IndexError, match=r"index out of range in self.*10 rows.*0\.\.9"):
        ember.nn.functional.embedding(ember.tensor([1, 10]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        ember.nn.Embedding(10, 3)(ember.tensor([-1]))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types: Long, Int"):
        ember.nn.functional.embedding(ember.tensor([1.0, 2.0]), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        ember.nn.Embedding(10, 3, padding_idx=10)


# ---- one_hot ------------------------------------------------------------------------------------------------


def test_one_hot_matches_torch():
    for values, n in (([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 3)):
        ours = ember.nn.functional.one_hot(ember.tensor(values, dtype=ember.int64), n)
        theirs = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), n)
        assert_close(ours, theirs)


@pytest.mark.parametrize(
    "values,n,dtype,msg",
    [
        ([1, -1], -1, "int64", "Class values must be non-negative."),
        ([1, 5], 3, "int64", "Class values must be smaller than num_classes."),
        ([1.0, 2.0], 3, "float32", "one_hot is only applicable to index tensor of type LongTensor."),
        ([], -1, "int64", "Can not infer total number of classes from empty tensor."),
    ],
)
def test_one_hot_errors(values, n, dtype, msg):
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        ember.nn.functional.one_hot(ember.tensor(values, dtype=getattr(ember, dtype)), n)


# ---- Flatten / Unflatten ------------------------------------------------------------------------------------


def test_flatten_and_unflatten_shapes():
    x = ember.randn(2, 3, 4, 5)
    assert ember.nn.Flatten()(x).shape == (2, 60)
    assert ember.nn.Flatten(0, 2)(x).shape == (24, 5)
    assert ember.nn.Unflatten(1, (3, 1))(ember.randn(2, 3)).shape == (2, 3, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.nn.Unflatten(-1, (2, -1))(ember.randn(2, 6)).shape == (2, 2, 3)


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2, 1.0, 1.5, -0.3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_leaky_relu_is_bit_exact_with_torch_on_special_values(slope, dtype):
    # the branch-free forms (max(x, slope*x), a factor of exactly 1 or slope) must pick torch's values
    # for signed zeros, infinities and NaN, for slopes inside and outside [0, 1]
    values = np.array([-np.inf, -3.5, -1e-3, -0.0, 0.0, 1e-3, 2.25, np.inf, np.nan], dtype)
    grads = np.array([1.5, -2.0, np.inf, 3.0, -1.0, 0.5, np.nan, 2.0, 1.0], dtype)
    results = {}
    for T in (ember, torch):
        x = T.tensor(values, requires_grad=True)
        y = T.nn.functional.leaky_relu(x, slope)
        y.backward(T.tensor(grads))
        results[T.__name__] = (y.detach().numpy(), x.grad.numpy())
    for ours, theirs in zip(results["ember"], results["torch"]):
        np.testing.assert_array_equal(ours.view(np.uint8), theirs.view(np.uint8))
