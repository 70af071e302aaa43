"""The torch.* functions and objects beyond the op tables, against torch: ATen spellings of nn.functional ops,
the *_copy variants, splits and stacks, factories over other memory, sampling, histogramdd and gradient, the
low-rank SVDs, control flow, sym_*, the autocast state functions, the runtime helpers and submodules
(random, func, functional, signal, hub, version, multiprocessing, xpu/mps/mtia)."""

import math
import os
import pickle
import warnings

import numpy as np
import pytest

import ember
from oracle import check, torch

ATEN = [
    ("adaptive_avg_pool1d", lambda T, x: T.adaptive_avg_pool1d(x, 3), [(2, 3, 7)]),
    ("adaptive_max_pool1d", lambda T, x: T.adaptive_max_pool1d(x, 2), [(2, 3, 7)]),
    ("avg_pool1d", lambda T, x: T.avg_pool1d(x, 3, [], 1, False, False), [(2, 3, 7)]),
    ("max_pool1d", lambda T, x: T.max_pool1d(x, 2) + T.max_pool1d_with_indices(x, 2, 2)[0], [(2, 3, 8)]),
    ("max_pool2d", lambda T, x: T.max_pool2d(x, (2, 2), [], 0, 1, True), [(1, 2, 5, 5)]),
    ("max_pool3d", lambda T, x: T.max_pool3d(x, 2), [(1, 1, 4, 4, 4)]),
    (
        "batch_norm",
        lambda T, x, w, b: T.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
        [(4, 3, 5), (3,), (3,)],
    ),
    ("instance_norm", lambda T, x: T.instance_norm(x, None, None, None, None, True, 0.1, 1e-5, False), [(2, 3, 5)]),
    ("layer_norm", lambda T, x, w: T.layer_norm(x, [5], w), [(2, 3, 5), (5,)]),
    ("group_norm", lambda T, x: T.group_norm(x, 3, eps=1e-3), [(2, 6, 4)]),
    ("rms_norm", lambda T, x: T.rms_norm(x, (5,)), [(2, 3, 5)]),
    ("native_batch_norm", lambda T, x: T.native_batch_norm(x, None, None, None, None, True, 0.1, 1e-5), [(4, 3, 5)]),
    ("native_layer_norm", lambda T, x, w, b: T.native_layer_norm(x, [5], w, b, 1e-5), [(2, 3, 5), (5,), (5,)]),
    ("native_group_norm", lambda T, x: T.native_group_norm(x, None, None, 2, 4, 3, 2, 1e-5), [(2, 4, 3)]),
    ("bilinear", lambda T, a, b, w: T.bilinear(a, b, w), [(2, 3), (2, 4), (5, 3, 4)]),
    (
        "binary_cross_entropy_with_logits",
        lambda T, x, t: T.binary_cross_entropy_with_logits(x, t.sigmoid(), None, None, 2),
        [(3, 4), (3, 4)],
    ),
    ("kl_div", lambda T, x, t: T.kl_div(x, t, 0, log_target=True), [(3, 4), (3, 4)]),
    ("constant_pad_nd", lambda T, x: T.constant_pad_nd(x, [1, 2, 0, 1], 0.5), [(2, 3)]),
    ("convolution", lambda T, x, w: T.convolution(x, w, None, [1], [1], [1], False, [0], 1), [(2, 3, 6), (4, 3, 3)]),
    (
        "convolution-transposed",
        lambda T, x, w: T.convolution(x, w, None, [2], [0], [1], True, [1], 1),
        [(2, 3, 4), (3, 2, 3)],
    ),
    (
        "grid_sampler",
        lambda T, x, g: T.grid_sampler(x, g.tanh(), 0, 1, False) + T.grid_sampler_2d(x, g.tanh(), 1, 0, True),
        [(1, 2, 4, 4), (1, 3, 3, 2)],
    ),
    (
        "grid_sampler_3d",
        lambda T, x, g: T.grid_sampler_3d(x, g.tanh(), 0, 2, False),
        [(1, 1, 3, 3, 3), (1, 2, 2, 2, 3)],
    ),
    ("affine_grid_generator", lambda T, t: T.affine_grid_generator(t, [1, 1, 3, 4], False), [(1, 2, 3)]),
    (
        "lstm_cell",
        lambda T, x, h, c, wi, wh, b: T.lstm_cell(x, (h, c), wi, wh, b, b),
        [(2, 3), (2, 4), (2, 4), (16, 3), (16, 4), (16,)],
    ),
    ("gru_cell", lambda T, x, h, wi, wh: T.gru_cell(x, h, wi, wh), [(2, 3), (2, 4), (12, 3), (12, 4)]),
    (
        "rnn_tanh_cell",
        lambda T, x, h, wi, wh, b: T.rnn_tanh_cell(x, h, wi, wh, b) + T.rnn_relu_cell(x, h, wi, wh, b, b),
        [(2, 3), (2, 4), (4, 3), (4, 4), (4,)],
    ),
    (
        "celu_",
        lambda T, x: T.celu_(x * 1) + T.selu_(x * 1) + T.rrelu_(x * 1, training=False) + T.threshold_(x * 1, 0.1, -1.0),
        [(3, 4)],
    ),
    ("norm_except_dim", lambda T, v: T.norm_except_dim(v, 2, 0) + T.norm_except_dim(v, 2, 1), [(3, 4)]),
    (
        "frobenius_norm",
        lambda T, x: T.frobenius_norm(x, (0, 1)) + T.nuclear_norm(x) + T.nuclear_norm(x, (0, 1), True),
        [(3, 4)],
    ),
    ("std_mean", lambda T, x: T.std_mean(x, 1) + T.var_mean(x, 0, correction=0), [(3, 4)]),
]


@pytest.mark.parametrize("name,fn,shapes", ATEN, ids=[r[0] for r in ATEN])
def test_aten_spelling_matches_torch(name, fn, shapes):
    check(fn, shapes, dtype=np.float64)


COPIES = [
    ("alias_copy", lambda T, x: T.alias_copy(x)),
    ("as_strided_copy", lambda T, x: T.as_strided_copy(x, (2, 2), (1, 2))),
    ("detach_copy", lambda T, x: T.detach_copy(x.detach())),
    ("diagonal_copy", lambda T, x: T.diagonal_copy(x, 1)),
    ("expand_copy", lambda T, x: T.expand_copy(x[:1], (2, 4))),
    ("permute_copy", lambda T, x: T.permute_copy(x, (1, 0))),
    ("select_copy", lambda T, x: T.select_copy(x, 1, 2)),
    ("slice_copy", lambda T, x: T.slice_copy(x, 1, 1, 3)),
    ("split_copy", lambda T, x: T.split_copy(x, 2, 1)),
    ("split_with_sizes_copy", lambda T, x: T.split_with_sizes_copy(x, [1, 2], 0)),
    ("squeeze_copy", lambda T, x: T.squeeze_copy(x[:1])),
    ("t_copy", lambda T, x: T.t_copy(x)),
    ("unbind_copy", lambda T, x: T.unbind_copy(x, 1)),
    ("unfold_copy", lambda T, x: T.unfold_copy(x, 1, 2, 1)),
    ("unsqueeze_copy", lambda T, x: T.unsqueeze_copy(x, 0)),
    ("view_as_real_copy", lambda T, x: T.view_as_real_copy(x + 0j)),
    ("view_as_complex_copy", lambda T, x: T.view_as_complex_copy(x[:, :2].detach().contiguous())),
    ("arctan2", lambda T, x: T.arctan2(x, x + 3) + x.arctan2(x * 2)),
    (
        "splits",
        lambda T, x: (
            T.hsplit(x, 2)
            + T.vsplit(x, [1])
            + T.dsplit(x.reshape(3, 2, 2), 2)
            + x.hsplit([1])
            + x.vsplit(3)
            + x.reshape(3, 2, 2).dsplit([1])
        ),
    ),
    (
        "stacks",
        lambda T, x: (
            T.hstack([x, x]),
            T.vstack((x, x)),
            T.dstack([x, x]),
            T.row_stack([x, x]),
            T.column_stack([x[0], x[1]]),
            T.concat([x, x], 1),
        ),
    ),
    (
        "atleast",
        lambda T, x: (
            T.atleast_1d(x[0, 0]) + T.atleast_2d(x[0]).sum() + T.atleast_3d(x).sum() + T.atleast_3d(x[0, 0]).sum()
        ),
    ),
    ("broadcast_tensors", lambda T, x: T.broadcast_tensors(x, x[:1])),
]


@pytest.mark.parametrize("name,fn", COPIES, ids=[r[0] for r in COPIES])
def test_copies_and_shape_functions_match_torch(name, fn):
    check(fn, [(3, 4)], dtype=np.float64)


def test_sparse_copies():
    """(torch has no sparse kernel for indices_copy/values_copy; ember's copy what indices()/values() give.)"""
    s = ember.tensor([[0.0, 1.5], [2.0, 0.0]]).to_sparse()
    assert ember.indices_copy(s).tolist() == s.indices().tolist() and ember.values_copy(s).tolist() == [1.5, 2.0]


def test_copies_do_not_share_memory():
    x = ember.arange(6.0).reshape(2, 3)
    for y in (ember.view_copy(x, (3, 2)), ember.t_copy(x), ember.select_copy(x, 0, 1), x.narrow_copy(1, 0, 2)):
        y.add_(1)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_dropout_spellings_follow_train_flag():
    x = ember.ones(200, 4)
    for name in ("dropout_", "alpha_dropout_", "feature_alpha_dropout_", "feature_dropout_"):
        assert getattr(ember, name)(x.clone(), 0.5, False).tolist() == x.tolist()
        out = getattr(ember, name)(y := x.clone(), 0.5, True)
        assert out is y and out.tolist() != x.tolist()
    assert ember.feature_dropout(x, 0.5, False).tolist() == x.tolist()
    rows = ember.feature_dropout(ember.ones(100, 3, 2), 0.5, True)
    assert {tuple(r.flatten().tolist()) for r in rows[:, 0]} <= {(0.0, 0.0), (2.0, 2.0)}  # channels as a whole
    out, mask = ember.native_dropout(x, 0.25, True)
    assert mask.dtype is ember.bool and ((out != 0) == mask).all() and ember.native_dropout(x, 0.25, False)[1].all()


def test_embedding_renorm_matches_torch():
    outs = []
    for lib in (ember, torch):
        w = lib.tensor(np.arange(12.0).reshape(4, 3))
        lib.embedding_renorm_(w, lib.tensor([1, 3]), 2.0, 2.0)
        outs.append(w.numpy().copy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)


def test_memory_sharing_factories_match_torch():
    for lib in (ember, torch):
        a = np.arange(6.0)
        t = lib.asarray(a)
        t[0] = 9.0
        assert a[0] == 9.0 and lib.asarray(a, copy=True).data_ptr() != t.data_ptr()
        assert lib.asarray([1, 2]).dtype is lib.int64 and lib.asarray([1.5], dtype=lib.float64).dtype is lib.float64
        b = bytearray(np.arange(4, dtype=np.float32).tobytes())
        f = lib.frombuffer(b, dtype=lib.float32, count=2, offset=4)
        assert f.tolist() == [1.0, 2.0]
        f[0] = 7.0
        assert np.frombuffer(b, np.float32)[1] == 7.0
        d = lib.from_dlpack(np.arange(3.0))
        assert d.tolist() == [0.0, 1.0, 2.0] and np.from_dlpack(lib.arange(2.0)).tolist() == [0.0, 1.0]
        assert lib.from_dlpack(lib.to_dlpack(lib.ones(2))).tolist() == [1.0, 1.0]
        assert lib.ones(1).__dlpack_device__() == (1, 0)


def test_from_file_matches_torch(tmp_path):
    path = tmp_path / "data.bin"
    np.arange(5, dtype=np.float32).tofile(path)
    for lib in (ember, torch):
        assert lib.from_file(str(path), size=5).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
        shared = lib.from_file(str(path), True, 5)
        shared[0] = 10.0
        del shared
        assert lib.from_file(str(path), False, 5)[0].item() == 10.0
        np.arange(5, dtype=np.float32).tofile(path)


def test_small_factories_match_torch():
    def run(lib):
        return (
            lib.scalar_tensor(3).dtype,
            lib.scalar_tensor(2.5, dtype=lib.float64).item(),
            lib.fill(lib.ones(2, 2), 4.0).tolist(),
            lib.empty_permuted((2, 3, 4), (0, 2, 1)).stride(),
            lib.empty_permuted((2, 3), (1, 0)).shape,
        )

    assert str(run(ember)) == str(run(torch))
    x = ember.ones(3, requires_grad=True)
    ember.fill(x, 2.0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_chain_matmul_matches_torch():
    check(lambda T, a, b, c: _quiet(T.chain_matmul, a, b, c), [(2, 3), (3, 4), (4, 2)], dtype=np.float64)


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def test_binomial_and_poisson_draw_the_right_distribution():
    ember.manual_seed(0)
    counts = ember.full((20000,), 10.0)
    b = ember.binomial(counts, ember.full((20000,), 0.3))
    p = ember.poisson(ember.full((20000,), 4.0))
    assert b.dtype is ember.float32 and abs(b.mean().item() - 3.0) < 0.05 and abs(b.var().item() - 2.1) < 0.1
    assert p.dtype is ember.float32 and abs(p.mean().item() - 4.0) < 0.06 and abs(p.var().item() - 4.0) < 0.2
    assert float(b.max()) <= 10.0 and float(b.min()) >= 0.0


def test_histogramdd_matches_torch():
    points = np.random.default_rng(0).random((50, 2)).astype(np.float32)
    weight = np.random.default_rng(1).random(50).astype(np.float32)
    cases = [dict(bins=[3, 2]), dict(bins=4, range=[0.0, 1.0, 0.2, 0.8], density=True), dict(bins=[2, 2], weight=1)]
    for kw in cases:
        results = []
        for lib in (ember, torch):
            args = dict(kw)
            if "weight" in args:
                args["weight"] = lib.tensor(weight)
            results.append(lib.histogramdd(lib.tensor(points), **args))
        (hist, edges), (t_hist, t_edges) = results
        np.testing.assert_allclose(hist.numpy(), t_hist.numpy(), rtol=1e-5)
        assert len(edges) == len(t_edges) and all(np.allclose(a.numpy(), b.numpy()) for a, b in zip(edges, t_edges))
        assert repr(type(results[0])).endswith("histogramdd'>")


GRADIENTS = [
    dict(),
    dict(spacing=2.0),
    dict(spacing=(0.5, 2.0)),
    dict(dim=1),
    dict(dim=[0, 1], edge_order=2),
    dict(spacing=(lambda T: T.tensor([0.0, 1.0, 1.5, 3.5, 4.0], dtype=T.float64),), dim=1, edge_order=1),
    dict(spacing=(lambda T: T.tensor([0.0, 1.0, 1.5, 3.5, 4.0], dtype=T.float64),), dim=1, edge_order=2),
]


@pytest.mark.parametrize("kwargs", range(len(GRADIENTS)))
def test_gradient_matches_torch(kwargs):
    def run(T, x):
        kw = dict(GRADIENTS[kwargs])
        if isinstance(kw.get("spacing"), tuple) and callable(kw["spacing"][0]):
            kw["spacing"] = tuple(s(T) for s in kw["spacing"])
        return T.gradient(x, **kw)

    check(run, [(4, 5)], dtype=np.float64)


def test_lowrank_svds_reconstruct_as_torch():
    a = np.random.default_rng(0).standard_normal((6, 3)) @ np.random.default_rng(1).standard_normal((3, 5))
    for lib in (ember, torch):
        A = lib.tensor(a)
        u, s, v = lib.svd_lowrank(A, q=3)
        np.testing.assert_allclose(((u * s) @ v.mT).numpy(), a, atol=1e-8)
        u, s, v = lib.pca_lowrank(A, q=3)
        centered = a - a.mean(0)
        np.testing.assert_allclose(((u * s) @ v.mT).numpy(), centered, atol=1e-8)
    np.testing.assert_allclose(
        ember.svd_lowrank(ember.tensor(a), 3)[1].numpy(), torch.svd_lowrank(torch.tensor(a), 3)[1].numpy(), rtol=1e-8
    )


def test_control_flow_and_sym_helpers_match_torch():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0])
        assert lib.cond(x.sum() > 2, lambda t: t * 2, lambda t: t - 1, (x,)).tolist() == [2.0, 4.0]
        i, acc = lib.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2), (lib.tensor(0), x))
        assert int(i) == 3 and acc.tolist() == [8.0, 16.0]
        assert (
            lib.sym_int(-2.7),
            lib.sym_float(3),
            lib.sym_max(1, 4),
            lib.sym_min(1, 4),
            lib.sym_not(True),
            lib.sym_sqrt(9),
            lib.sym_sum([1, 2, 3]),
            lib.sym_ite(False, 1, 2),
        ) == (-2, 3.0, 4, 1, False, 3.0, 6, 2)


def test_autocast_state_functions_match_torch():
    pytest.importorskip("ml_dtypes")  # CPU autocast's default dtype is bfloat16
    for lib in (ember, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            assert (lib.get_autocast_cpu_dtype(), lib.get_autocast_gpu_dtype(), lib.is_autocast_cpu_enabled()) == (
                lib.bfloat16,
                lib.float16,
                False,
            )
            lib.set_autocast_cpu_enabled(True)
            assert lib.is_autocast_enabled("cpu")
            lib.set_autocast_cpu_enabled(False)
            lib.set_autocast_cpu_dtype(lib.float16)
            assert lib.get_autocast_dtype("cpu") is lib.float16
            lib.set_autocast_dtype("cpu", lib.bfloat16)
            lib.set_autocast_gpu_dtype(lib.float16)
        lib.set_autocast_enabled("cpu", True)
        assert lib.is_autocast_enabled("cpu") and not lib.is_autocast_enabled()
        lib.set_autocast_enabled("cpu", False)
        assert lib.is_autocast_cache_enabled()
        lib.set_autocast_cache_enabled(False)
        assert not lib.is_autocast_cache_enabled()
        lib.set_autocast_cache_enabled(True)
        lib.clear_autocast_cache()
        assert lib.autocast_increment_nesting() == 1 and lib.autocast_decrement_nesting() == 0


def test_runtime_helpers_match_torch():
    def run(lib):
        with lib.inference_mode():
            inside = lib.is_inference_mode_enabled()
        return (
            lib.typename(lib.ones(1)),
            lib.typename(lib.ones(1, dtype=lib.int64)),
            lib.typename(3),
            lib.is_storage(lib.ones(1).untyped_storage()),
            lib.is_storage(lib.ones(1)),
            lib.is_vulkan_available(),
            inside,
            lib.is_inference_mode_enabled(),
            lib.get_device_module("cpu").__name__.split(".")[-1],
            lib.e,
            lib.pi,
            lib.inf,
            math.isnan(lib.nan),
            lib.newaxis,
            lib.has_lapack,
            lib.has_spectral,
            lib.can_cast(lib.float32, lib.int32),
            lib.initial_seed() >= 0,
            lib.is_warn_always_enabled(),
            lib.default_generator.initial_seed() == lib.initial_seed(),
            str(lib.channels_last_3d),
            str(lib.legacy_contiguous_format),
            str(lib.jagged),
            str(lib.sparse_csr),
            str(lib.sparse_csc),
            str(lib.sparse_bsr),
            str(lib.sparse_bsc),
            type(lib.strided).__name__,
            type(lib.channels_last).__name__,
        )

    assert run(ember) == run(torch)
    assert isinstance(ember.memory_format, type) and isinstance(ember.channels_last, ember.memory_format)
    assert issubclass(ember.OutOfMemoryError, RuntimeError) and issubclass(ember.AcceleratorError, RuntimeError)
    assert ember.set_flush_denormal(True) is False
    assert (ember.has_mkl, ember.has_openmp) == (False, False)  # ember's build, not torch's
    ember.set_warn_always(True)
    assert ember.is_warn_always_enabled()
    ember.set_warn_always(False)
    ember.set_anomaly_enabled(True)
    assert ember.is_anomaly_enabled()
    ember.set_anomaly_enabled(False)


def test_set_default_tensor_type_sets_the_default_dtype():
    with pytest.warns(UserWarning, match="set_default_tensor_type\\(\\) is deprecated"):
        ember.set_default_tensor_type(ember.DoubleTensor)
    try:
        assert ember.get_default_dtype() is ember.float64 and ember.ones(1).dtype is ember.float64
        with pytest.warns(UserWarning):
            ember.set_default_tensor_type("torch.FloatTensor")
        assert ember.get_default_dtype() is ember.float32
    finally:
        ember.set_default_dtype(ember.float32)


def test_rng_state_round_trips_and_fork_rng_restores_it():
    ember.manual_seed(3)
    state = ember.get_rng_state()
    first = ember.rand(3).tolist()
    ember.set_rng_state(state)
    assert ember.rand(3).tolist() == first
    ember.set_rng_state(state)
    with ember.random.fork_rng():
        ember.rand(5)
    assert ember.rand(3).tolist() == first
    assert ember.random.initial_seed() == 3 and ember.random.default_generator is ember.default_generator


def test_legacy_tensor_and_storage_types_match_torch():
    pytest.importorskip("ml_dtypes")  # BFloat16Storage holds bfloat16 values

    def run(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            storages = [
                getattr(lib, n)([1, 0]).tolist()
                for n in (
                    "FloatStorage",
                    "DoubleStorage",
                    "HalfStorage",
                    "BFloat16Storage",
                    "LongStorage",
                    "IntStorage",
                    "ShortStorage",
                    "CharStorage",
                    "ByteStorage",
                    "BoolStorage",
                    "ComplexFloatStorage",
                    "ComplexDoubleStorage",
                )
            ]
            return (
                storages,
                lib.UntypedStorage(3).size(),
                lib.TypedStorage([1.0, 2.0]).tolist(),
                lib.Storage([1.0]).dtype,
                lib.BFloat16Tensor([1.5]).dtype,
                lib.CharTensor([1]).dtype,
                lib.HalfTensor([1]).dtype,
                lib.ShortTensor([2]).dtype,
            )

    assert str(run(ember)) == str(run(torch))


def test_func_transforms_match_torch():
    def f(T):
        return lambda x, y: (x**3).sum() * y.sin().sum()

    x, y = np.array([1.0, 2.0]), np.array([0.5, -1.0, 2.0])
    results = []
    for lib in (ember, torch):
        X, Y = lib.tensor(x), lib.tensor(y)
        results.append(
            [
                lib.func.grad(f(lib))(X, Y),
                *lib.func.grad(f(lib), argnums=(0, 1))(X, Y),
                lib.func.grad_and_value(f(lib))(X, Y)[1],
                lib.func.jacrev(lambda v: v**2 * v.sum())(X),
                lib.func.jacfwd(lambda v: v.exp())(X),
                lib.func.hessian(lambda v: (v**3).prod())(X),
                lib.func.grad(lib.func.grad(lambda v: v.sin()))(lib.tensor(0.5)),
                lib.vmap(lambda a, b: a * b.sum(), in_dims=(0, None))(lib.ones(4, 2), Y),
                lib.vmap(lambda a: (a.sum(), a * 2), out_dims=(0, 1))(lib.ones(3, 2))[1],
                lib.func.vjp(lambda v: v**2, X)[1](lib.ones(2))[0],
                lib.func.jvp(lambda v: v**2, (X,), (lib.ones(2),))[1],
            ]
        )
    for a, b in zip(*results):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
        assert not a.requires_grad


def test_vmap_refuses_randomness_in_error_mode_and_functional_call_swaps_parameters():
    for lib in (ember, torch):

        def noisy(a, lib=lib):
            return a + lib.rand(1)

        with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness error mode"):
            lib.vmap(noisy)(lib.ones(3, 1))
        same = lib.vmap(noisy, randomness="same")(lib.zeros(3, 1))
        assert same.unique().numel() == 1
        layer = lib.nn.Linear(2, 1)
        out = lib.func.functional_call(layer, {"weight": lib.ones(1, 2), "bias": lib.zeros(1)}, (lib.ones(1, 2),))
        assert out.item() == 2.0 and layer.weight.shape == (1, 2) and layer.weight.requires_grad


def test_functional_and_signal_modules_match_torch():
    for name in (
        "atleast_1d",
        "block_diag",
        "broadcast_shapes",
        "cartesian_prod",
        "einsum",
        "meshgrid",
        "split",
        "stft",
        "tensordot",
        "unique",
        "unravel_index",
        "chain_matmul",
    ):
        assert callable(getattr(ember.functional, name))
    assert (
        ember.unravel_index(ember.tensor([4, 1, 5]), (2, 3))[1].tolist()
        == torch.unravel_index(torch.tensor([4, 1, 5]), (2, 3))[1].tolist()
    )
    for name in ("hann", "hamming", "blackman", "bartlett", "kaiser", "cosine", "gaussian", "nuttall", "exponential"):
        for sym in (True, False):
            np.testing.assert_allclose(
                getattr(ember.signal.windows, name)(9, sym=sym).numpy(),
                getattr(torch.signal.windows, name)(9, sym=sym).numpy(),
                atol=1e-6,
            )
    np.testing.assert_allclose(
        ember.signal.windows.general_cosine(7, a=[0.5, 0.3, 0.2]).numpy(),
        torch.signal.windows.general_cosine(7, a=[0.5, 0.3, 0.2]).numpy(),
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]
)
def test_window_functions_match_torch(name):
    for periodic in (True, False):
        for n in (0, 1, 2, 7):
            a, b = (
                getattr(ember, name)(n, periodic, dtype=ember.float64),
                getattr(torch, name)(n, periodic, dtype=torch.float64),
            )
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)


def test_version_compares_as_torchs():
    v = ember.__version__
    assert isinstance(v, str) and v.startswith("2.13.0") and "ember" in v
    assert v > "2.0" and v >= (2, 13) and v < "2.14.0a0" and v == "2.13.0" and v != "2.12"
    assert ember.version.__version__ == v and ember.version.cuda is None and ember.torch_version.TorchVersion
    assert ember.version.TorchVersion("1.10.0") > "1.9.1" and ember.version.TorchVersion("2.1.0.dev20230601") < "2.1"
    assert torch.__version__ >= (2, 13) and ember.__version__ >= torch.__version__.split("+")[0]


def test_hub_loads_only_what_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert ember.hub.get_dir() == os.path.join(str(tmp_path), "hub")
    url = "https://download.pytorch.org/models/tiny-0123abcd.pth"
    with pytest.raises(NotImplementedError, match="cannot download"):
        ember.hub.load_state_dict_from_url(url)
    os.makedirs(tmp_path / "hub" / "checkpoints")
    ember.save({"w": ember.ones(2)}, str(tmp_path / "hub" / "checkpoints" / "tiny-0123abcd.pth"))
    assert ember.hub.load_state_dict_from_url(url)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="invalid hash value"):
        ember.hub.load_state_dict_from_url(url, check_hash=True)
    for call in (lambda: ember.hub.load("pytorch/vision", "resnet18"), lambda: ember.hub.list("pytorch/vision")):
        with pytest.raises(NotImplementedError, match="no network"):
            call()
    ember.hub.set_dir(str(tmp_path / "elsewhere"))
    try:
        assert ember.hub.get_dir() == str(tmp_path / "elsewhere")
    finally:
        ember.hub._hub_dir = None


def test_devices_ember_lacks_report_none_as_torch():
    for lib in (ember, torch):
        assert (lib.xpu.is_available(), lib.xpu.device_count(), lib.mtia.is_available(), lib.mps.device_count()) == (
            False,
            0,
            False,
            0,
        )
        lib.xpu.manual_seed(1)
        with pytest.raises(AssertionError, match="Torch not compiled with XPU enabled"):
            lib.xpu.synchronize()
        with pytest.raises(RuntimeError, match="without MPS backend"):
            lib.mps.synchronize()


def _hogwild_step(rank, weights):
    weights[rank] += rank + 1.0


def test_multiprocessing_spawn_shares_memory_with_spawned_processes():
    weights = ember.zeros(3).share_memory_()
    ember.multiprocessing.spawn(_hogwild_step, args=(weights,), nprocs=3)
    assert weights.tolist() == [1.0, 2.0, 3.0]


def _fails(rank):
    raise ValueError(f"bad rank {rank}")


def test_multiprocessing_spawn_reports_a_failure_as_torch():
    with pytest.raises(ember.multiprocessing.ProcessRaisedException, match="ValueError: bad rank 0"):
        ember.multiprocessing.spawn(_fails, nprocs=1)
    assert ember.multiprocessing.get_sharing_strategy() == "file_descriptor"
    assert "file_descriptor" in ember.multiprocessing.get_all_sharing_strategies()
    assert ember.multiprocessing.get_context("spawn").Queue is not None


def test_a_non_leaf_requiring_grad_refuses_to_cross_processes():
    import io
    from multiprocessing.reduction import ForkingPickler

    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor which requires_grad"):
        ForkingPickler(io.BytesIO()).dump(ember.ones(2, requires_grad=True) * 2)
    buffer = io.BytesIO()
    ForkingPickler(buffer).dump(ember.ones(2))
    assert pickle.loads(buffer.getvalue()).tolist() == [1.0, 1.0]


def test_spmm_and_sspaddmm_match_torch():
    def run(lib):
        s = lib.sparse_coo_tensor(lib.tensor([[0, 1], [1, 0]]), lib.tensor([2.0, 3.0]), (2, 2))
        d = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        return (
            lib.spmm(s, d).tolist(),
            lib.sspaddmm(s, s, d, beta=0.5).to_dense().tolist(),
            s.sspaddmm(s, d).to_dense().tolist(),
            s.to_sparse_coo().is_sparse,
        )

    assert run(ember) == run(torch)


def test_return_types_module_lists_torchs():
    for name in (
        "max",
        "min",
        "sort",
        "topk",
        "median",
        "mode",
        "kthvalue",
        "cummax",
        "cummin",
        "aminmax",
        "frexp",
        "histogram",
        "histogramdd",
        "geqrf",
        "slogdet",
        "svd",
        "qr",
        "linalg_eigh",
        "max_out",
    ):
        assert getattr(ember.return_types, name).n_fields == getattr(torch.return_types, name).n_fields


def test_utils_dlpack_round_trips_sharing_memory():
    import numpy

    t = ember.arange(3.0)
    back = ember.utils.dlpack.from_dlpack(ember.utils.dlpack.to_dlpack(t))
    back[0] = 7.0
    assert (
        t[0].item() == 7.0
        and int(ember.utils.dlpack.DLDeviceType.kDLCPU) == int(torch.utils.dlpack.DLDeviceType.kDLCPU)
        and t.__dlpack_device__()[0] == ember.utils.dlpack.DLDeviceType.kDLCPU
    )
    assert numpy.from_dlpack(back).tolist() == [7.0, 1.0, 2.0]
