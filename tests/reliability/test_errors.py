"""The bad-input catalogue: every entry is run on real torch and on ember.

Each entry asserts ember raises the SAME exception type as torch and that ember's message speaks in the
user's terms: the layer (as its repr prints) or op, the shape/dtype it got, what it expected, and a hint
where one is obvious. Where torch accepts the input (empty batches, broadcasting losses) ember must give
torch's value and warning.
"""

import re
import warnings

import numpy as np
import pytest
import torch

import ember


def _outcome(fn, T):
    try:
        return fn(T), None
    except Exception as error:  # noqa: BLE001 - the type is the thing under test
        return None, error


def raises_like_torch(fn, *key_words):
    """fn(T) must raise in torch and in ember with the same exception type; ember's message has key_words."""
    _, t_err = _outcome(fn, torch)
    _, e_err = _outcome(fn, ember)
    assert t_err is not None, "torch accepts this input: the catalogue entry is wrong"
    assert e_err is not None, f"ember accepts input that torch rejects with {type(t_err).__name__}: {t_err}"
    assert type(e_err) is type(t_err) or isinstance(e_err, type(t_err)), (
        f"ember raised {type(e_err).__name__}({e_err}), torch {type(t_err).__name__}({t_err})"
    )
    message = str(e_err)
    for word in key_words:
        assert word in message, f"{word!r} missing from ember's message: {message}"
    for numpy_words in ("ndarray", "operands could not be broadcast", "zero-size array", "axis "):
        assert numpy_words not in message, f"NumPy's wording leaks into: {message}"
    return e_err


def _flatten_hint(T):
    return T.nn.Linear(10, 5)(T.randn(4, 3, 8, 8))


LAYER_SHAPE_ERRORS = {
    # name: (fn(T), key words in ember's message)
    "Linear_unflattened_image": (
        _flatten_hint,
        [
            "Linear(in_features=10, out_features=5, bias=True)",
            "(4, 3, 8, 8)",
            "last dimension to be 10",
            "did you forget to flatten?",
        ],
    ),
    "Linear_wrong_features": (
        lambda T: T.nn.Linear(10, 5)(T.randn(4, 7)),
        ["Linear(in_features=10, out_features=5, bias=True)", "(4, 7)", "did you forget to flatten?"],
    ),
    "Bilinear_input2": (
        lambda T: T.nn.Bilinear(3, 4, 5)(T.randn(2, 3), T.randn(2, 5)),
        ["bilinear", "input2", "got 5", "expected 4"],
    ),
    "Conv1d_channels": (
        lambda T: T.nn.Conv1d(3, 8, 3)(T.randn(1, 4, 8)),
        ["Conv1d(3, 8, kernel_size=(3,), stride=(1,))", "3 channels", "(1, 4, 8)", "got 4 channels"],
    ),
    "Conv2d_channels": (
        lambda T: T.nn.Conv2d(3, 8, 3)(T.randn(1, 4, 8, 8)),
        ["Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))", "3 channels", "(1, 4, 8, 8)"],
    ),
    "Conv3d_channels": (
        lambda T: T.nn.Conv3d(3, 8, 3)(T.randn(1, 4, 5, 5, 5)),
        ["Conv3d(3, 8, kernel_size=(3, 3, 3)", "3 channels", "(1, 4, 5, 5, 5)"],
    ),
    "Conv2d_rank": (
        lambda T: T.nn.Conv2d(3, 8, 3)(T.randn(8, 8)),
        ["Conv2d(3, 8", "Expected 3D (unbatched) or 4D (batched) input to conv2d", "[8, 8]"],
    ),
    "Conv2d_kernel_larger_than_input": (
        lambda T: T.nn.Conv2d(3, 8, 5)(T.randn(1, 3, 3, 3)),
        ["Conv2d(3, 8, kernel_size=(5, 5)", "Kernel size can't be greater than actual input size", "(3 x 3)"],
    ),
    "ConvTranspose2d_channels": (
        lambda T: T.nn.ConvTranspose2d(3, 8, 3)(T.randn(1, 4, 8, 8)),
        ["ConvTranspose2d(3, 8, kernel_size=(3, 3)", "3 channels", "(1, 4, 8, 8)"],
    ),
    "BatchNorm1d_num_features": (
        lambda T: T.nn.BatchNorm1d(3)(T.randn(4, 5)),
        ["BatchNorm1d(3, eps=1e-05", "3 channels (num_features)", "(4, 5)"],
    ),
    "BatchNorm2d_num_features": (
        lambda T: T.nn.BatchNorm2d(3)(T.randn(4, 5, 2, 2)),
        ["BatchNorm2d(3, eps=1e-05", "3 channels (num_features)", "(4, 5, 2, 2)"],
    ),
    "BatchNorm2d_rank": (lambda T: T.nn.BatchNorm2d(3)(T.randn(4, 3)), ["expected 4D input (got 2D input)"]),
    "BatchNorm1d_batch_of_one_training": (
        lambda T: T.nn.BatchNorm1d(3)(T.randn(1, 3)),
        ["Expected more than 1 value per channel when training", "[1, 3]"],
    ),
    "BatchNorm2d_batch_of_one_pixel_training": (
        lambda T: T.nn.BatchNorm2d(3)(T.randn(1, 3, 1, 1)),
        ["Expected more than 1 value per channel when training"],
    ),
    "LayerNorm_normalized_shape": (
        lambda T: T.nn.LayerNorm(5)(T.randn(4, 6)),
        ["normalized_shape=[5]", "[*, 5]", "[4, 6]"],
    ),
    "GroupNorm_indivisible": (lambda T: T.nn.GroupNorm(4, 6), ["num_channels (6)", "num_groups (4)"]),
    "GroupNorm_channels": (
        lambda T: T.nn.GroupNorm(2, 6)(T.randn(2, 4, 3)),
        ["group_norm", "number of channels", "weight of shape [6]", "[2, 4, 3]"],
    ),
    "Embedding_index_out_of_range": (
        lambda T: T.nn.Embedding(10, 3)(T.tensor([1, 12])),
        ["index out of range", "12", "10 rows", "0..9"],
    ),
    "Embedding_negative_index": (lambda T: T.nn.Embedding(10, 3)(T.tensor([-1])), ["index out of range", "-1"]),
    "Embedding_float_indices": (
        lambda T: T.nn.Embedding(10, 3)(T.tensor([1.0, 2.0])),
        ["indices", "Long, Int", "float32", "embedding", ".long()"],
    ),
    "MultiheadAttention_embed_dim": (
        lambda T: T.nn.MultiheadAttention(8, 2)(T.randn(3, 2, 6), T.randn(3, 2, 6), T.randn(3, 2, 6)),
        ["embedding dimension of 8", "got 6"],
    ),
    "MultiheadAttention_heads": (lambda T: T.nn.MultiheadAttention(8, 3), ["embed_dim must be divisible by num_heads"]),
    "MaxPool2d_input_too_small": (
        lambda T: T.nn.MaxPool2d(4)(T.randn(1, 1, 2, 2)),
        ["max_pool2d", "(1x2x2)", "(1x0x0)", "too small"],
    ),
    "AvgPool2d_input_too_small": (
        lambda T: T.nn.AvgPool2d(4)(T.randn(1, 1, 2, 2)),
        ["avg_pool2d", "(1x2x2)", "too small"],
    ),
    "Upsample_rank": (lambda T: T.nn.Upsample(scale_factor=2)(T.randn(4)), ["Only 3D, 4D and 5D input", "got 1D"]),
    "Upsample_size_rank": (
        lambda T: T.nn.Upsample(size=(4, 4))(T.randn(1, 1, 4)),
        ["same number of spatial dimensions", "[4]"],
    ),
}

for _cls in ("LSTM", "GRU", "RNN"):
    LAYER_SHAPE_ERRORS[f"{_cls}_input_size"] = (
        lambda T, c=_cls: getattr(T.nn, c)(4, 5)(T.randn(3, 2, 6)),
        [_cls, "input_size", "Expected 4, got 6", "[3, 2, 6]"],
    )
    LAYER_SHAPE_ERRORS[f"{_cls}_rank"] = (
        lambda T, c=_cls: getattr(T.nn, c)(4, 5)(T.randn(3, 2, 4, 1)),
        [_cls, "Expected input to be 2D or 3D", "4D"],
    )
    LAYER_SHAPE_ERRORS[f"{_cls}_h0_shape"] = (
        (lambda T: T.nn.LSTM(4, 5)(T.randn(3, 2, 4), (T.randn(1, 3, 5), T.randn(1, 2, 5))))
        if _cls == "LSTM"
        else (lambda T, c=_cls: getattr(T.nn, c)(4, 5)(T.randn(3, 2, 4), T.randn(1, 3, 5))),
        [_cls, "Expected hidden", "(1, 2, 5)", "[1, 3, 5]"],
    )


@pytest.mark.parametrize("name", list(LAYER_SHAPE_ERRORS))
def test_layer_shape_error(name):
    fn, words = LAYER_SHAPE_ERRORS[name]
    raises_like_torch(fn, *words)


def test_sequential_names_the_failing_child():
    model = ember.nn.Sequential(ember.nn.Linear(4, 5), ember.nn.ReLU(), ember.nn.Sequential(ember.nn.Linear(6, 2)))
    with pytest.raises(RuntimeError, match=re.escape("Linear(in_features=6, out_features=2, bias=True)")) as info:
        model(ember.randn(2, 4))
    assert info.value.__notes__ == [
        "(raised in Sequential child (0): Linear)",
        "(raised in Sequential child (2): Sequential)",
    ]


LOSS_ERRORS = {
    "CrossEntropyLoss_float_target": (
        lambda T: T.nn.CrossEntropyLoss()(T.randn(4, 5), T.tensor([1.0, 2.0, 3.0, 0.0])),
        ["CrossEntropyLoss", "int64", "class indices", "Float32", "(4,)", "(4, 5)", ".long()"],
    ),
    "CrossEntropyLoss_int32_target": (
        lambda T: T.nn.CrossEntropyLoss()(T.randn(4, 5), T.tensor([1, 2, 3, 0], dtype=T.int32)),
        ["CrossEntropyLoss", "int64", "Int32", ".long()"],
    ),
    "CrossEntropyLoss_class_out_of_range": (
        lambda T: T.nn.CrossEntropyLoss()(T.randn(4, 5), T.tensor([1, 12, 3, 0])),
        ["Target 12 is out of bounds", "5 classes", "[0, 4]"],
    ),
    "CrossEntropyLoss_negative_class": (
        lambda T: T.nn.CrossEntropyLoss()(T.randn(4, 5), T.tensor([1, -3, 3, 0])),
        ["Target -3 is out of bounds"],
    ),
    "CrossEntropyLoss_batch_mismatch": (
        lambda T: T.nn.CrossEntropyLoss()(T.randn(4, 5), T.tensor([1, 2, 3])),
        ["Expected input batch_size (4) to match target batch_size (3)."],
    ),
    "CrossEntropyLoss_target_rank": (
        lambda T: T.nn.CrossEntropyLoss()(T.randn(4, 5), T.tensor([[1, 2, 3, 0]])),
        ["Expected input batch_size (4) to match target batch_size (1)."],
    ),
    "CrossEntropyLoss_multi_target": (
        lambda T: T.nn.CrossEntropyLoss()(T.randn(4, 5), T.zeros(4, 2, dtype=T.long)),
        ["CrossEntropyLoss", "expected target of shape (4,)", "got (4, 2)"],
    ),
    "CrossEntropyLoss_spatial_target": (
        lambda T: T.nn.CrossEntropyLoss()(T.randn(4, 5, 3), T.zeros(4, 2, dtype=T.long)),
        ["expected target of shape (4, 3)", "got (4, 2)"],
    ),
    "NLLLoss_float_target": (
        lambda T: T.nn.NLLLoss()(T.randn(4, 5), T.tensor([1.0, 2.0, 3.0, 0.0])),
        ["NLLLoss", "int64", ".long()"],
    ),
    "NLLLoss_class_out_of_range": (
        lambda T: T.nn.NLLLoss()(T.randn(4, 5), T.tensor([1, 12, 3, 0])),
        ["Target 12 is out of bounds"],
    ),
    "BCELoss_input_outside_0_1": (
        lambda T: T.nn.BCELoss()(T.tensor([0.5, 1.5]), T.tensor([0.0, 1.0])),
        ["all elements of input should be between 0 and 1", "[0.5, 1.5]", "sigmoid", "BCEWithLogitsLoss"],
    ),
    "BCELoss_shape": (
        lambda T: T.nn.BCELoss()(T.rand(3, 2), T.rand(3)),
        ["target size (torch.Size([3]))", "input size (torch.Size([3, 2]))"],
    ),
    "BCEWithLogitsLoss_shape": (
        lambda T: T.nn.BCEWithLogitsLoss()(T.rand(3, 2), T.rand(3)),
        ["Target size (torch.Size([3])) must be the same as input size (torch.Size([3, 2]))"],
    ),
    "MSELoss_not_broadcastable": (lambda T: T.nn.MSELoss()(T.rand(3, 2), T.rand(4)), ["mse_loss", "(3, 2)", "(4,)"]),
    "L1Loss_not_broadcastable": (lambda T: T.nn.L1Loss()(T.rand(3, 2), T.rand(4)), ["l1_loss", "(3, 2)", "(4,)"]),
    "KLDivLoss_shape": (
        lambda T: T.nn.KLDivLoss(reduction="batchmean")(T.rand(3, 2), T.rand(4, 2)),
        ["kl_div", "input of shape (3, 2)", "target of shape (4, 2)"],
    ),
    "MarginRankingLoss_shape": (
        lambda T: T.nn.MarginRankingLoss()(T.rand(3), T.rand(4), T.rand(3)),
        ["margin_ranking_loss", "input1 of shape (3,)", "input2 of shape (4,)"],
    ),
    "MarginRankingLoss_rank": (
        lambda T: T.nn.MarginRankingLoss()(T.rand(3), T.rand(3, 1), T.rand(3)),
        ["margin_ranking_loss", "same dimension"],
    ),
    "CosineEmbeddingLoss_shape": (
        lambda T: T.nn.CosineEmbeddingLoss()(T.rand(3, 4), T.rand(3, 5), T.ones(3)),
        ["cosine_embedding_loss", "(3, 4)", "(3, 5)"],
    ),
    "TripletMarginLoss_shape": (
        lambda T: T.nn.TripletMarginLoss()(T.rand(3, 4), T.rand(3, 5), T.rand(3, 4)),
        ["triplet_margin_loss", "anchor of shape (3, 4)", "positive of shape (3, 5)"],
    ),
    "TripletMarginLoss_rank": (
        lambda T: T.nn.TripletMarginLoss()(T.rand(3, 4), T.rand(4), T.rand(3, 4)),
        ["anchor 2D", "positive 1D"],
    ),
}


@pytest.mark.parametrize("name", list(LOSS_ERRORS))
def test_loss_error(name):
    fn, words = LOSS_ERRORS[name]
    raises_like_torch(fn, *words)


def _same_value(fn, seed=0):
    """fn(T, *inputs) gives torch's value (NaN where torch has NaN) and the same warnings' messages."""
    rng = np.random.default_rng(seed)
    results = []
    for T in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = fn(T, rng)
        results.append((np.asarray(out.detach().numpy()), sorted(str(w.message) for w in caught)))
        rng = np.random.default_rng(seed)
    (t_val, t_warn), (e_val, e_warn) = results
    np.testing.assert_allclose(e_val, t_val, rtol=1e-5, atol=1e-6, equal_nan=True)
    assert e_warn == t_warn


def _rand(T, rng, *shape):
    return T.tensor(rng.standard_normal(shape).astype(np.float32))


@pytest.mark.parametrize("loss", ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss"])
def test_broadcasting_regression_loss_warns_as_torch(loss):
    _same_value(lambda T, rng: getattr(T.nn, loss)()(_rand(T, rng, 3, 1), _rand(T, rng, 3)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_on_an_empty_batch(reduction):
    # torch: mean over zero elements is nan, sum is 0, none is an empty tensor
    _same_value(
        lambda T, rng: T.nn.CrossEntropyLoss(reduction=reduction)(
            T.zeros(0, 5, requires_grad=True), T.zeros(0, dtype=T.int64)
        )
    )


def test_cross_entropy_with_every_target_ignored_is_nan_as_torch():
    _same_value(lambda T, rng: T.nn.CrossEntropyLoss()(_rand(T, rng, 2, 5), T.tensor([-100, -100])))


def test_nll_loss_accepts_an_unbatched_1d_input_as_torch():
    _same_value(lambda T, rng: T.nn.NLLLoss()(_rand(T, rng, 5), T.tensor(2)))


def test_batchnorm_batch_of_one_is_fine_in_eval_as_torch():
    def fn(T, rng):
        bn = T.nn.BatchNorm1d(3).eval()
        return bn(_rand(T, rng, 1, 3))

    _same_value(fn)


def _empty_dataset(T):
    class Empty(T.utils.data.Dataset):
        def __len__(self):
            return 0

        def __getitem__(self, index):
            raise IndexError(index)

    return Empty()


@pytest.mark.parametrize("drop_last", [False, True])
def test_dataloader_over_an_empty_dataset_yields_nothing(drop_last):
    loader = ember.utils.data.DataLoader(_empty_dataset(ember), batch_size=4, drop_last=drop_last)
    assert len(loader) == 0 and list(loader) == []


def test_shuffled_dataloader_over_an_empty_dataset_as_torch():
    raises_like_torch(
        lambda T: T.utils.data.DataLoader(_empty_dataset(T), batch_size=4, shuffle=True),
        "num_samples should be a positive integer value",
        "num_samples=0",
    )


# ---- dtypes ----------------------------------------------------------------------------------------------------

DTYPE_ERRORS = {
    "int_tensor_requires_grad": (
        lambda T: T.tensor([1, 2], requires_grad=True),
        ["floating point", "can require gradients", "int64"],
    ),
    "int_tensor_requires_grad_": (
        lambda T: T.tensor([1, 2]).requires_grad_(),
        ["floating point dtype can require gradients", "int64", ".float()"],
    ),
    "float_tensor_as_index": (
        lambda T: T.randn(5)[T.tensor([1.0, 2.0])],
        ["tensors used as indices must be long, int, byte or bool tensors", "float32", ".long()"],
    ),
    "matmul_float32_float64": (
        lambda T: T.randn(2, 3) @ T.randn(3, 2, dtype=T.float64),
        ["matmul", "same dtype", "float32", "float64"],
    ),
    "bool_subtraction": (
        lambda T: T.tensor([True]) - T.tensor([False]),
        ["Subtraction", "two bool tensors", "logical_xor()"],
    ),
    "mean_of_int_tensor": (lambda T: T.tensor([1, 2]).mean(), ["mean()", "Long", ".float()"]),
}


@pytest.mark.parametrize("name", list(DTYPE_ERRORS))
def test_dtype_error(name):
    fn, words = DTYPE_ERRORS[name]
    raises_like_torch(fn, *words)


# ---- devices ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("move", [lambda t: t.cuda(), lambda t: t.to("cuda"), lambda t: t.to("cuda:0")])
def test_cuda_without_a_gpu_is_a_clear_runtime_error(move):
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    # a CUDA build of torch on a machine without a GPU raises RuntimeError; the CPU-only build asserts
    with pytest.raises(RuntimeError, match=r"CUDA.*no usable GPU.*ember\.cuda\.is_available\(\)"):
        move(ember.randn(2))


def test_unknown_device_string():
    raises_like_torch(lambda T: T.randn(2, device="tpu"), "tpu", "cpu", "cuda")


class _FakeCudaArray(np.ndarray):
    """An array that ember's backend takes for a GPU array, so a mixed-device op can be tried without a GPU."""

    device = type("FakeDevice", (), {"id": 0})()


@pytest.fixture
def fake_cuda(monkeypatch):
    from ember import _backend

    monkeypatch.setattr(_backend, "_cupy", type("FakeCupy", (), {"ndarray": _FakeCudaArray}))
    return lambda t: ember.Tensor._make(np.asarray(t._data).view(_FakeCudaArray))


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a @ b])
def test_mixed_device_op_names_both_devices(fake_cuda, op):
    cpu, gpu = ember.randn(3, 3), fake_cuda(ember.randn(3, 3))
    assert str(gpu.device) == "cuda:0"
    with pytest.raises(
        RuntimeError,
        match=r"Expected all tensors to be on the same device.*cpu.*cuda:0|"
        r"Expected all tensors to be on the same device.*cuda:0.*cpu",
    ):
        op(cpu, gpu)


# ---- views and autograd misuse -----------------------------------------------------------------------------------


def _backward_twice(T):
    x = T.randn(3, requires_grad=True)
    y = x.exp().sum()
    y.backward()
    y.backward()


def _modify_saved_tensor(T):
    x = T.randn(3, requires_grad=True)
    y = (x * 1).exp()
    y.add_(1)
    y.sum().backward()


def _inplace_on_leaf(T):
    x = T.randn(3, requires_grad=True)
    x.add_(1)


AUTOGRAD_ERRORS = {
    "view_of_non_contiguous": (
        lambda T: T.randn(3, 4).t().view(12),
        [
            "view size is not compatible with input tensor's size and stride",
            "[4, 3]",
            "[12]",
            "Use .reshape(...) instead",
        ],
    ),
    "backward_twice": (_backward_twice, ["Trying to backward through the graph a second time", "retain_graph=True"]),
    "inplace_on_saved_tensor": (
        _modify_saved_tensor,
        [
            "modified by an inplace operation",
            "output 0 of ExpBackward0",
            "is at version 1; expected version 0",
            "clone",
        ],
    ),
    "inplace_on_leaf_requiring_grad": (
        _inplace_on_leaf,
        ["a leaf Variable that requires grad is being used in an in-place operation", "no_grad"],
    ),
    "backward_of_non_scalar": (
        lambda T: T.randn(3, requires_grad=True).exp().backward(),
        ["grad can be implicitly created only for scalar outputs", "[3]", ".sum()"],
    ),
    "backward_without_grad": (
        lambda T: T.randn(3).sum().backward(),
        ["does not require grad and does not have a grad_fn", "requires_grad=True"],
    ),
    "numpy_of_tensor_requiring_grad": (lambda T: T.randn(3, requires_grad=True).numpy(), ["detach().numpy()"]),
    "item_of_many_elements": (lambda T: T.randn(3).item(), ["a Tensor with 3 elements cannot be converted"]),
    "bool_of_many_elements": (lambda T: bool(T.randn(3)), ["ambiguous", ".any()"]),
    "reshape_wrong_numel": (lambda T: T.randn(2, 3).reshape(4, 2), ["shape '[4, 2]' is invalid", "size 6"]),
    "expand_wrong_size": (lambda T: T.randn(2, 3).expand(4, 3), ["expanded size", "Target sizes: [4, 3]"]),
    "cat_sizes": (
        lambda T: T.cat([T.randn(2, 3), T.randn(3, 2)]),
        ["Sizes of tensors must match except in dimension 0", "tensor number 1"],
    ),
    "stack_sizes": (lambda T: T.stack([T.randn(2, 3), T.randn(3, 2)]), ["stack expects each tensor to be equal size"]),
    "dim_out_of_range": (lambda T: T.randn(2, 3).sum(2), ["Dimension out of range", "[-2, 1]", "got 2"]),
    "index_out_of_range": (lambda T: T.randn(3)[5], ["index 5 is out of bounds for dimension 0 with size 3"]),
    "matmul_0d": (lambda T: T.tensor(1.0) @ T.randn(4), ["at least 1D", "0D"]),
    "matmul_inner_dims": (lambda T: T.randn(2, 3) @ T.randn(4, 2), ["(2x3 and 4x2)"]),
}


@pytest.mark.parametrize("name", list(AUTOGRAD_ERRORS))
def test_view_and_autograd_misuse(name):
    fn, words = AUTOGRAD_ERRORS[name]
    raises_like_torch(fn, *words)


# ---- load_state_dict ------------------------------------------------------------------------------------------


def _broken_state_dict(T):
    model = T.nn.Sequential(T.nn.Conv2d(1, 2, 3), T.nn.BatchNorm2d(2), T.nn.Flatten(), T.nn.Linear(8, 4))
    state = model.state_dict()
    del state["3.bias"], state["1.running_var"]
    state["extra.weight"] = T.zeros(1)
    state["4.weight"] = T.zeros(1)
    state["0.weight"] = T.zeros(2, 1, 5, 5)
    state["3.weight"] = T.zeros(4, 9)
    return model, state


def test_load_state_dict_lists_every_problem_as_torch():
    errors = []
    for T in (torch, ember):
        model, state = _broken_state_dict(T)
        with pytest.raises(RuntimeError) as info:
            model.load_state_dict(state)
        errors.append(str(info.value))
    assert errors[1] == errors[0]
    for word in (
        '"3.bias"',
        '"1.running_var"',
        '"extra.weight"',
        '"4.weight"',
        "size mismatch for 0.weight",
        "size mismatch for 3.weight",
        "torch.Size([4, 9])",
    ):
        assert word in errors[1]


def test_load_state_dict_non_strict_reports_missing_and_unexpected_as_torch():
    results = []
    for T in (torch, ember):
        model, state = _broken_state_dict(T)
        state["0.weight"], state["3.weight"] = model[0].weight.detach(), model[3].weight.detach()
        result = model.load_state_dict(state, strict=False)
        results.append((list(result.missing_keys), list(result.unexpected_keys)))
    assert results[1] == results[0]


# ---- optimizers ---------------------------------------------------------------------------------------------

OPTIMIZER_ERRORS = {
    "SGD_negative_lr": lambda T, p: T.optim.SGD(p, lr=-1),
    "SGD_negative_momentum": lambda T, p: T.optim.SGD(p, lr=0.1, momentum=-1),
    "SGD_nesterov_without_momentum": lambda T, p: T.optim.SGD(p, lr=0.1, nesterov=True),
    "Adam_negative_lr": lambda T, p: T.optim.Adam(p, lr=-0.1),
    "Adam_beta1_is_1": lambda T, p: T.optim.Adam(p, betas=(1.0, 0.9)),
    "Adam_negative_beta2": lambda T, p: T.optim.Adam(p, betas=(0.9, -0.1)),
    "Adam_negative_eps": lambda T, p: T.optim.Adam(p, eps=-1),
    "AdamW_negative_weight_decay": lambda T, p: T.optim.AdamW(p, weight_decay=-1),
    "RMSprop_negative_alpha": lambda T, p: T.optim.RMSprop(p, alpha=-1),
    "empty_parameter_list": lambda T, p: T.optim.SGD([], lr=0.1),
    "tensor_instead_of_iterable": lambda T, p: T.optim.SGD(p[0], lr=0.1),
}


@pytest.mark.parametrize("name", list(OPTIMIZER_ERRORS))
def test_optimizer_bad_arguments_as_torch(name):
    make = OPTIMIZER_ERRORS[name]
    err = raises_like_torch(lambda T: make(T, [T.zeros(2, requires_grad=True)]))
    _, t_err = _outcome(lambda T: make(T, [T.zeros(2, requires_grad=True)]), torch)
    assert str(err) == str(t_err)


# ---- checkpoints (the full set is in tests/test_serialization.py) ----------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_bad_checkpoint_names_the_file(tmp_path, damage):
    path = tmp_path / "my_model.pt"
    ember.save({"w": ember.randn(100)}, path)
    data = path.read_bytes()
    path.write_bytes(
        {"garbage": b"not a checkpoint at all" * 4, "truncated": data[: len(data) // 2], "empty": b""}[damage]
    )
    raises_like_torch(lambda T: T.load(path), "my_model.pt")


def test_missing_checkpoint_as_torch(tmp_path):
    raises_like_torch(lambda T: T.load(tmp_path / "nowhere.pt"), "nowhere.pt")


# ---- torch's exception type and message start, op by op ------------------------------------------------------


def raises_as_torch(fn, full_message=True):
    """fn(T) raises in both; ember's exception is torch's type (or a subclass) and, with full_message, its
    message starts with torch's first line (ember's own context may follow)."""
    _, t_err = _outcome(fn, torch)
    _, e_err = _outcome(fn, ember)
    assert t_err is not None, "torch accepts this input: the table entry is wrong"
    assert e_err is not None, f"ember accepts input that torch rejects with {type(t_err).__name__}: {t_err}"
    assert isinstance(e_err, type(t_err)), f"ember raised {type(e_err).__name__}({e_err}), torch {t_err!r}"
    if full_message:
        first_line = str(t_err).split("\n")[0]
        assert str(e_err).startswith(first_line), f"ember: {e_err}\ntorch: {first_line}"


def _ones(T, *shape, dtype=None):
    return T.ones(*shape, dtype=dtype or T.float32)


TORCH_MESSAGES = {
    # a non-tensor where a tensor belongs, wrong keywords
    "exp_of_list": lambda T: T.exp([1.0]),
    "sum_of_list": lambda T: T.sum([1.0, 2.0]),
    "sqrt_of_str": lambda T: T.sqrt("a"),
    "mul_of_list_and_tensor": lambda T: T.mul([1.0], _ones(T, 2)),
    "clamp_without_bounds": lambda T: T.clamp(_ones(T, 2)),
    "sum_with_both_keepdim_names": lambda T: T.sum(_ones(T, 2), 0, keepdims=True, keepdim=True),
    # broadcasting
    "add_broadcast": lambda T: _ones(T, 2, 3) + _ones(T, 2, 4),
    "mul_broadcast": lambda T: T.mul(_ones(T, 2, 3), _ones(T, 4)),
    "maximum_broadcast": lambda T: T.maximum(_ones(T, 2, 3), _ones(T, 4)),
    "eq_broadcast": lambda T: _ones(T, 2, 3) == _ones(T, 4),
    "where_broadcast": lambda T: T.where(_ones(T, 2, 3) > 0, _ones(T, 3), _ones(T, 4)),
    "pow_broadcast": lambda T: _ones(T, 2, 3) ** _ones(T, 4),
    "lerp_broadcast": lambda T: T.lerp(_ones(T, 2, 3), _ones(T, 4), 0.5),
    "and_broadcast": lambda T: _ones(T, 2, 3, dtype=T.bool) & _ones(T, 4, dtype=T.bool),
    "inplace_add_broadcast": lambda T: _ones(T, 3).add_(_ones(T, 2, 3)),
    "mse_loss_broadcast": lambda T: T.nn.functional.mse_loss(_ones(T, 2, 3), _ones(T, 4)),
    "normal_broadcast": lambda T: T.normal(T.zeros(2), T.ones(3)),
    # dims out of range (NumPy's "axis 3 is out of bounds" before)
    **{
        f"{op}_dim_out_of_range": (lambda T, op=op: getattr(_ones(T, 2, 3), op)(3))
        for op in (
            "sum",
            "mean",
            "softmax",
            "cumsum",
            "cumprod",
            "argmax",
            "max",
            "amax",
            "std",
            "var",
            "logsumexp",
            "prod",
            "all",
            "any",
            "median",
            "mode",
            "sort",
            "argsort",
            "cummax",
            "flip",
            "squeeze",
            "unbind",
        )
    },
    "roll_dim_out_of_range": lambda T: _ones(T, 2, 3).roll(1, 3),
    "unique_dim_out_of_range": lambda T: T.unique(_ones(T, 2, 2), dim=3),
    "topk_dim_out_of_range": lambda T: _ones(T, 2, 3).topk(1, 3),
    "quantile_dim_out_of_range": lambda T: _ones(T, 2, 3).quantile(0.5, 3),
    # tensor() from nested sequences
    "tensor_ragged": lambda T: T.tensor([[1, 2], [3]]),
    "tensor_too_deep": lambda T: T.tensor([[1, [2]]]),
    "tensor_of_str": lambda T: T.tensor(["a"]),
    "tensor_with_none": lambda T: T.tensor([1, None]),
    "tensor_int_requires_grad": lambda T: T.tensor([1], requires_grad=True),
    # dtypes an op does not take
    "bitwise_and_float": lambda T: _ones(T, 2) & _ones(T, 2),
    "bitwise_and_int_and_float_scalar": lambda T: _ones(T, 2, dtype=T.int64) & 1.5,
    "invert_float": lambda T: ~_ones(T, 2),
    "softmax_int": lambda T: T.softmax(_ones(T, 2, 3, dtype=T.int64), 0),
    "log_softmax_int_last_dim": lambda T: _ones(T, 2, 3, dtype=T.int64).log_softmax(1),
    "bool_matmul": lambda T: _ones(T, 2, 2, dtype=T.bool) @ _ones(T, 2, 2, dtype=T.bool),
    "bool_dot": lambda T: T.dot(_ones(T, 2, dtype=T.bool), _ones(T, 2, dtype=T.bool)),
    "mixed_dtype_mm": lambda T: T.mm(_ones(T, 2, 2), _ones(T, 2, 2, dtype=T.float64)),
    "mixed_dtype_dot": lambda T: _ones(T, 2) @ _ones(T, 2, dtype=T.float64),
    "mixed_dtype_bmm": lambda T: T.bmm(_ones(T, 1, 2, 2), _ones(T, 1, 2, 2, dtype=T.float64)),
    "hypot_int": lambda T: T.hypot(T.tensor([3, 4]), T.tensor([4, 3])),
    "logaddexp_int": lambda T: T.logaddexp(T.tensor([1, 2]), T.tensor([1, 2])),
    "bool_pow_bool": lambda T: T.tensor([True]) ** T.tensor([True]),
    "python_bool_pow_bool": lambda T: True ** T.tensor([True, False]),
    "nanmean_int": lambda T: T.tensor([1, 2]).nanmean(),
    "std_int": lambda T: T.tensor([1, 2]).std(),
    "norm_int": lambda T: T.tensor([1, 2]).norm(),
    "lerp_mixed_dtypes": lambda T: T.lerp(_ones(T, 2), _ones(T, 2, dtype=T.float64), 0.5),
    "where_int8_scalar_overflow": lambda T: T.where(T.tensor([True]), T.tensor([1], dtype=T.int8), 300),
    "bincount_float": lambda T: T.bincount(T.tensor([1.0])),
    "bincount_negative": lambda T: T.bincount(T.tensor([-1])),
    "histc_int": lambda T: T.histc(T.tensor([1, 2])),
    "randn_int_dtype": lambda T: T.randn(2, dtype=T.int64),
    "rand_int_dtype": lambda T: T.rand(2, dtype=T.int64),
    "randint_requires_grad": lambda T: T.randint(0, 10, (3,), requires_grad=True),
    "cdist_half": lambda T: T.cdist(_ones(T, 2, 2, dtype=T.float16), _ones(T, 2, 2, dtype=T.float16)),
    # values torch rejects (ember returned empty or wrapped results)
    "arange_wrong_sign_step": lambda T: T.arange(0, 5, -1),
    "arange_zero_step": lambda T: T.arange(0, 5, 0),
    "arange_infinite": lambda T: T.arange(0, float("inf")),
    "linspace_negative_steps": lambda T: T.linspace(0, 1, -1),
    "logspace_negative_steps": lambda T: T.logspace(0, 1, -1),
    "randperm_negative": lambda T: T.randperm(-1),
    "roll_shifts_and_dims_mismatch": lambda T: T.roll(_ones(T, 2, 3), (1, 2), (0,)),
    "roll_shift_tuple_without_dims": lambda T: T.roll(_ones(T, 2, 3), (1, 2)),
    "cat_of_a_tensor": lambda T: T.cat(_ones(T, 2, 2)),
    "stack_of_a_tensor": lambda T: T.stack(_ones(T, 2, 2)),
    "cat_of_non_tensors": lambda T: T.cat([_ones(T, 2), [1.0]]),
    "normal_negative_std": lambda T: T.normal(0.0, -1.0, size=(2,)),
    "normal_negative_std_tensor": lambda T: T.normal(T.zeros(2), -T.ones(2)),
    "normal_without_size": lambda T: T.normal(0.0, 1.0),
    "eye_negative": lambda T: T.eye(-1),
    "flip_repeated_dim": lambda T: _ones(T, 2, 3).flip(0, 0),
    "repeat_interleave_negative": lambda T: _ones(T, 2).repeat_interleave(-1),
    "outer_of_matrices": lambda T: T.outer(_ones(T, 2, 2), _ones(T, 2)),
    "as_strided_past_the_storage": lambda T: _ones(T, 4).as_strided((4000,), (1,)),
    "as_strided_negative_stride": lambda T: _ones(T, 4).as_strided((2,), (-1,)),
    "as_strided_offset_past_the_storage": lambda T: _ones(T, 4).as_strided((3,), (1,), 2),
    "cdist_negative_p": lambda T: T.cdist(_ones(T, 2, 2), _ones(T, 2, 2), p=-1),
    "cdist_1d": lambda T: T.cdist(_ones(T, 3), _ones(T, 3)),
    "pdist_negative_p": lambda T: T.nn.functional.pdist(_ones(T, 3, 2), p=-1),
    "quantile_out_of_range": lambda T: _ones(T, 3).quantile(1.5),
    "integer_floor_division_by_zero": lambda T: _ones(T, 2, dtype=T.int64) // 0,
    "integer_remainder_by_zero": lambda T: _ones(T, 2, dtype=T.int64) % 0,
    # layers and their functional forms
    "conv2d_zero_stride": lambda T: T.nn.functional.conv2d(_ones(T, 1, 1, 4, 4), _ones(T, 1, 1, 2, 2), stride=0),
    "Conv1d_zero_stride": lambda T: T.nn.Conv1d(1, 1, 2, stride=0)(_ones(T, 1, 1, 4)),
    "conv2d_zero_dilation": lambda T: T.nn.functional.conv2d(_ones(T, 1, 1, 4, 4), _ones(T, 1, 1, 2, 2), dilation=0),
    "conv2d_zero_groups": lambda T: T.nn.functional.conv2d(_ones(T, 1, 2, 4, 4), _ones(T, 1, 2, 2, 2), groups=0),
    "conv2d_negative_padding": lambda T: T.nn.functional.conv2d(_ones(T, 1, 1, 4, 4), _ones(T, 1, 1, 2, 2), padding=-1),
    "conv_transpose2d_zero_stride": lambda T: T.nn.functional.conv_transpose2d(
        _ones(T, 1, 1, 4, 4), _ones(T, 1, 1, 2, 2), stride=0
    ),
    "BatchNorm1d_no_channels": lambda T: T.nn.BatchNorm1d(0)(_ones(T, 2, 0)),
}


@pytest.mark.parametrize("name", list(TORCH_MESSAGES))
def test_error_type_and_message_start_as_torch(name):
    raises_as_torch(TORCH_MESSAGES[name])


# the type as torch's; the wording is ember's own, which names the op and the operands (torch's is a
# parser's generic text or names an internal kernel)
TORCH_TYPES = {
    "operator_with_str": lambda T: _ones(T, 2) + "a",
    "operator_with_none": lambda T: _ones(T, 2) + None,
    "operator_with_list": lambda T: _ones(T, 2) + [1, 2],
    "operator_with_tuple": lambda T: _ones(T, 2) * (1, 2),
    "zeros_float_size": lambda T: T.zeros(2.5),
    "sum_dim_str": lambda T: _ones(T, 2).sum("a"),
    "view_two_inferred_dims": lambda T: _ones(T, 2, 3).view(-1, -1),
    "mm_shapes": lambda T: T.mm(_ones(T, 2, 3), _ones(T, 2, 3)),
    "max_pool_zero_stride": lambda T: T.nn.functional.max_pool2d(_ones(T, 1, 1, 4, 4), 2, stride=0),
    "take_out_of_range": lambda T: _ones(T, 2).take(T.tensor([5])),
    # torch's first sentence, then ember's own list of dtypes (no complex or wide unsigned types)
    "tensor_of_object_array": lambda T: T.tensor(np.array([1, "a"], dtype=object)),
}


@pytest.mark.parametrize("name", list(TORCH_TYPES))
def test_error_type_as_torch(name):
    raises_as_torch(TORCH_TYPES[name], full_message=False)
