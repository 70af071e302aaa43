"""Completeness of ember.nn and ember.optim against torch's own dir(): every module class of torch.nn, function
of torch.nn.functional, torch.nn.init function, optimizer of torch.optim and scheduler of
torch.optim.lr_scheduler exists in ember with torch's signature (parameter names, kinds and defaults), or is
listed below as not implemented, with the reason. The lists come from the installed torch, so they cannot
drift: a name torch adds fails here until ember has it or says why not."""

import inspect

import pytest

import ember
import ember.nn.functional
import ember.optim.lr_scheduler
from oracle import torch

import torch.nn.functional as TF  # noqa: E402
import torch.optim.lr_scheduler as TL  # noqa: E402

# torch's __torch_function__ dispatch helpers, imported into torch.nn.functional's namespace: not part of its API
NOT_API = {
    "handle_torch_function",
    "has_torch_function",
    "has_torch_function_unary",
    "has_torch_function_variadic",
    "boolean_dispatch",
}

NOT_IMPLEMENTED = {
    # nn.functional
    "grouped_mm": "low-precision grouped GEMM for CUDA kernels (float8/bfloat16 with scales): no NumPy counterpart",
    "scaled_mm": "float8 scaled GEMM of CUDA's tensor cores: no NumPy counterpart",
    "scaled_grouped_mm": "float8 scaled grouped GEMM of CUDA's tensor cores: no NumPy counterpart",
    # nn modules
    "AdaptiveLogSoftmaxWithLoss": "not implemented yet",
    "CrossMapLRN2d": "not implemented yet",
    "LinearCrossEntropyLoss": "not implemented yet (torch 2.13's chunked fused linear + cross-entropy)",
    # optimizers
    "Muon": "not implemented yet (torch 2.13's Newton-Schulz orthogonalised momentum)",
}

# a parameter ember accepts with another default or kind, and why that is torch's behaviour all the same
SIGNATURE_DIFFERENCES = {}


def _public(namespace, keep):
    return sorted(n for n in dir(namespace) if not n.startswith("_") and keep(getattr(namespace, n)))


def _is_module(obj):
    return inspect.isclass(obj) and issubclass(obj, torch.nn.Module)


def _is_function(obj):
    return (inspect.isfunction(obj) or inspect.isbuiltin(obj)) and not inspect.isclass(obj)


def _is_optimizer(obj):
    return inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer)


def _is_scheduler(obj):
    return inspect.isclass(obj) and (issubclass(obj, TL.LRScheduler) or obj is TL.ReduceLROnPlateau)


CATEGORIES = {
    "nn": (torch.nn, ember.nn, _is_module, lambda cls: cls.__init__),
    "functional": (TF, ember.nn.functional, _is_function, lambda fn: fn),
    "init": (
        torch.nn.init,
        ember.nn.init,
        lambda o: _is_function(o) and o.__module__ == "torch.nn.init",
        lambda fn: fn,
    ),
    "optim": (torch.optim, ember.optim, _is_optimizer, lambda cls: cls.__init__),
    "lr_scheduler": (TL, ember.optim.lr_scheduler, _is_scheduler, lambda cls: cls.__init__),
}


def _names(category):
    torch_ns, _, keep, _ = CATEGORIES[category]
    return [n for n in _public(torch_ns, keep) if n not in NOT_API]


def _signature(fn):
    """(name, kind, default) per parameter; a function default by name (two libraries' relu are not equal)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None

    def default(p):
        if p.default is inspect.Parameter.empty:
            return "<required>"
        return getattr(p.default, "__name__", None) if callable(p.default) else repr(p.default)

    return [(p.name, p.kind.name, default(p)) for p in parameters if p.name != "self"]


def _torch_signature(category, name):
    torch_ns, _, _, target = CATEGORIES[category]
    signature = _signature(target(getattr(torch_ns, name)))
    if category == "functional" and signature == [
        ("args", "VAR_POSITIONAL", "<required>"),
        ("kwargs", "VAR_KEYWORD", "<required>"),
    ]:
        # torch's boolean_dispatch wrappers (max_pool2d ...): the signature is that of the variant they call
        signature = _signature(getattr(TF, "_" + name))
    return signature


ALL = [(c, n) for c in CATEGORIES for n in _names(c)]


@pytest.mark.parametrize("category,name", ALL, ids=[f"{c}.{n}" for c, n in ALL])
def test_exists_with_torchs_signature_or_says_why_not(category, name):
    _, ember_ns, _, target = CATEGORIES[category]
    if name in NOT_IMPLEMENTED:
        assert not hasattr(ember_ns, name), f"{name} is implemented now: take it off NOT_IMPLEMENTED"
        return
    assert hasattr(ember_ns, name), f"ember lacks {category}.{name} (implement it or list it in NOT_IMPLEMENTED)"
    ours, theirs = _signature(target(getattr(ember_ns, name))), _torch_signature(category, name)
    if theirs is None:
        return
    assert ours == SIGNATURE_DIFFERENCES.get(name, theirs), f"{name}: ember {ours}\n  torch {theirs}"


def test_coverage_targets():
    """>= 95% of nn.functional, and every module and optimizer the examples and conformance programs use."""
    functional = _names("functional")
    implemented = [n for n in functional if n not in NOT_IMPLEMENTED]
    assert len(implemented) / len(functional) >= 0.95, f"{len(implemented)}/{len(functional)}"
    used = [
        "Linear",
        "Conv2d",
        "ConvTranspose2d",
        "BatchNorm2d",
        "BatchNorm1d",
        "LayerNorm",
        "Dropout",
        "ReLU",
        "LeakyReLU",
        "Tanh",
        "Sigmoid",
        "MaxPool2d",
        "AdaptiveAvgPool2d",
        "Embedding",
        "EmbeddingBag",
        "LSTM",
        "GRU",
        "RNN",
        "Transformer",
        "TransformerEncoder",
        "TransformerDecoder",
        "MultiheadAttention",
        "Flatten",
        "Sequential",
        "ModuleList",
        "CrossEntropyLoss",
        "MSELoss",
        "NLLLoss",
        "BCELoss",
        "BCEWithLogitsLoss",
        "CTCLoss",
        "LazyLinear",
        "LazyConv2d",
        "LazyBatchNorm2d",
    ]
    assert [n for n in used if not hasattr(ember.nn, n)] == []
    assert [
        n
        for n in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS", "Rprop", "ASGD", "SparseAdam", "Adafactor")
        if not hasattr(ember.optim, n)
    ] == []
