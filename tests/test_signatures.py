"""No silently ignored argument: every function of ember's torch namespace, Tensor, nn.functional, linalg, fft,
special, func and sparse is compared with torch's signature, and read for parameters it never uses.

- a parameter the function body never reads (found by walking its AST) must be listed in NO_OP, with why doing
  nothing is what torch does (non_blocking=: ember's copies are synchronous) or why the function always raises;
- a parameter torch does not have must be listed in EXTRA, with why ember accepts it;
- the parameters torch has and ember lacks are exactly MISSING (so the list shrinks as they are added, and a
  new gap fails here).

torch's parameters come from inspect.signature for its Python functions, and for its C functions from the
docstring's signature lines and the ATen schemas of the op (the names its argument parser accepts)."""

import ast
import inspect
import re
import textwrap
import types

import pytest

import ember
import ember.nn.functional
from ember.ops import _registry
from oracle import torch

import torch.nn.functional  # noqa: E402

SCOPES = {
    "torch": (torch, ember),
    "Tensor": (torch.Tensor, ember.Tensor),
    "F": (torch.nn.functional, ember.nn.functional),
    "linalg": (torch.linalg, ember.linalg),
    "fft": (torch.fft, ember.fft),
    "special": (torch.special, ember.special),
    "func": (torch.func, ember.func),
    "sparse": (torch.sparse, ember.sparse),
}


_WITH_OUT = _registry._with_out(lambda: None).__code__  # the wrapper that gives a function out=


def _unwrap(fn):
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    return fn


def _takes_out(obj):
    while obj is not None:
        if getattr(obj, "__code__", None) is _WITH_OUT:
            return True
        obj = getattr(obj, "__wrapped__", None)
    return False


def _ember_function(ns, name):
    try:
        obj = ns.__dict__.get(name) if isinstance(ns, type) else getattr(ns, name, None)
    except NotImplementedError:  # a value ember lacks (a dtype ...): see _not_implemented
        return None
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    takes_out = _takes_out(obj)
    obj = _unwrap(obj) if callable(obj) else obj
    if not isinstance(obj, types.FunctionType) or getattr(obj, "__ember_not_implemented__", None):
        return None
    return obj, takes_out


def _entries():
    out = []
    for scope, (torch_ns, ember_ns) in SCOPES.items():
        for name in sorted(dir(torch_ns)):
            if name.startswith("_") and not (scope == "Tensor" and name in ("__dlpack__",)):
                continue
            found = _ember_function(ember_ns, name)
            if found is not None:
                out.append((scope, name) + found)
    return out


ENTRIES = _entries()


# --- torch's parameters ---------------------------------------------------------------------------------------


def _doc_parameters(obj, name):
    """(all names, keyword-only names) in the signature lines of torch's docstring."""
    doc = getattr(obj, "__doc__", None) or ""
    found, names, keywords = False, set(), set()
    line = r"(?m)^\s*(?:\.\. (?:function|method):: )?" + re.escape(name) + r"\((.*?)\)\s*(?:->|$)"
    for args in re.findall(line, doc):
        found, keyword_only = True, False
        for part in args.split(","):
            part = part.strip().split("=")[0].split(":")[0].strip()
            if part.startswith("**"):
                names.add("**")
            elif part.startswith("*"):
                keyword_only = True
            elif re.fullmatch(r"\w+", part or "-") and part != "self":
                names.add(part)
                if keyword_only:
                    keywords.add(part)
    return (names, keywords) if found else None


def _schema_parameters(name, method):
    names, found = set(), False
    for schema in torch._C._jit_get_schemas_for_operator("aten::" + name):
        args = schema.arguments
        if (
            not args
            or args[0].name in ("a", "l", "t", "x")
            or args[0].name == "self"
            and "Tensor" not in str(args[0].type)
        ):
            continue  # TorchScript's overloads over numbers and lists
        if not any("Tensor" in str(a.type) for a in args) and not any(a.name == "dtype" for a in args):
            continue
        found = True
        for a in args:
            if a.kwarg_only and a.alias_info is not None and a.alias_info.is_write:
                if not method:
                    names.add("out")
            elif a.name == "self":
                if not method:
                    names.add("input")
            else:
                names.add(a.name)
    return names if found else None


def torch_parameters(scope, name):
    """(names, takes **kwargs) of torch's function, or None when torch's signature cannot be read."""
    obj = getattr(SCOPES[scope][0], name)
    method = scope == "Tensor"
    try:
        params = [p for p in inspect.signature(obj).parameters.values() if p.name != "self"]
        return (
            {p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)},
            any(p.kind is p.VAR_KEYWORD for p in params),
            any(p.kind is p.VAR_POSITIONAL for p in params),
        )
    except (TypeError, ValueError):
        pass
    doc, schema = _doc_parameters(obj, name), _schema_parameters(name, method) if scope in ("torch", "Tensor") else None
    if doc is None and schema is None:
        return None
    # the schema's names are those torch's argument parser accepts; its docstring adds the ones its Python binding
    # takes besides (requires_grad, memory_format, ...) and the names it documents
    names = (schema or set()) | (doc[0] if doc else set())
    return names - {"**"}, "**" in names, False


def ember_parameters(scope, fn):
    """(keyword-only names, the other named parameters, takes **kwargs)."""
    params = list(inspect.signature(fn).parameters.values())
    if scope == "Tensor" and params:
        params = params[1:]
    name = lambda p: "input" if p.name == "self" else p.name  # noqa: E731
    return (
        {name(p) for p in params if p.kind is p.KEYWORD_ONLY},
        {name(p) for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY)},
        any(p.kind is p.VAR_KEYWORD for p in params),
    )


def unused_parameters(fn):
    """The parameters the function's body never reads."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return set()
    node = next(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda)))
    body = node.body if isinstance(node, ast.FunctionDef) else [node.body]
    read = {n.id for part in body for n in ast.walk(part) if isinstance(n, ast.Name)}
    code = fn.__code__  # the parameters of the code itself (a __signature__ may describe what it forwards)
    count = (
        code.co_argcount
        + code.co_kwonlyargcount
        + bool(code.co_flags & inspect.CO_VARARGS)
        + bool(code.co_flags & inspect.CO_VARKEYWORDS)
    )
    return {p for p in code.co_varnames[:count] if p not in ("self", "cls") and p not in read}


# --- what ember accepts and does nothing with, and why ---------------------------------------------------------

_RAISES = "the function always raises (torch's error for what ember has not)"
_CUDNN = "picks cuDNN's kernel in torch; the result is the same"
_STACKLEVEL = "the stack level of a deprecation warning ember does not give"
_SYNC = "ember's copies between devices are synchronous: complete when the call returns, as torch's after a sync"
_SPARSE_GRAD = "torch makes the gradient a sparse tensor; ember's has the same values, dense"
_EAGER_CONJ = "ember conjugates and negates eagerly: no tensor carries a lazy conj/neg bit, so the answer is False"
# functions that raise torch's error whatever they are given: no parameter of theirs is compared
ALWAYS_RAISE = {f"{s}.{n}" for s in ("torch", "Tensor") for n in ("eig", "lstsq", "solve", "symeig", "matrix_rank")}

NO_OP = {
    **{f"Tensor.{n}": {"args", "kwargs"} for n in ("eig", "lstsq", "solve", "symeig")},
    **{f"Tensor.{n}": {"device", "non_blocking", "memory_format"} for n in ("ipu", "xpu", "mtia")},
    "Tensor.record_stream": {"s"},
    "Tensor.reinforce": {"reward"},
    **{f"{s}.{n}": {"cudnn_enabled"} for s in ("torch",) for n in ("batch_norm", "instance_norm", "group_norm")},
    "torch.layer_norm": {"cudnn_enable"},
    **{
        f"{s}.{n}": {"_stacklevel"}
        for s in ("torch", "Tensor", "F", "special")
        for n in ("softmax", "log_softmax", "softmin")
    },
    "Tensor.to": {"non_blocking"},
    "Tensor.type": {"non_blocking"},
    "Tensor.copy_": {"non_blocking"},
    **{f"{s}.{n}": {"sparse_grad"} for s in ("torch", "Tensor") for n in ("gather",)},
    "torch.embedding": {"sparse"},
    "F.embedding": {"sparse"},
    **{f"{s}.{n}": {"input"} for s in ("torch", "Tensor") for n in ("is_conj", "is_neg")},
    **{f"{s}.sort": {"stable"} for s in ("torch", "Tensor")},
    **{f"{s}.topk": {"sorted"} for s in ("torch", "Tensor")},
    **{f"{s}.unique": {"sorted"} for s in ("torch", "Tensor")},
    "torch.svd_lowrank": {"niter"},
    "Tensor.pin_memory": {"device"},
    "Tensor.is_pinned": {"device"},
    "func.vmap": {"chunk_size"},
    "func.jacrev": {"chunk_size"},
    "func.jacfwd": {"randomness"},
    "func.functionalize": {"remove"},
    "torch.vmap": {"chunk_size"},
    "sparse.sparse_coo_tensor": {"check_invariants"},
    "torch.sparse_coo_tensor": {"check_invariants"},
    **{
        f"F.{n}_with_indices": {"return_indices"}
        for n in (
            "max_pool1d",
            "max_pool2d",
            "max_pool3d",
            "adaptive_max_pool1d",
            "adaptive_max_pool2d",
            "adaptive_max_pool3d",
            "fractional_max_pool2d",
            "fractional_max_pool3d",
        )
    },
    "torch.set_flush_denormal": {"mode"},
}
NO_OP_REASONS = {
    **dict.fromkeys(
        [
            "Tensor.eig",
            "Tensor.lstsq",
            "Tensor.solve",
            "Tensor.symeig",
            "Tensor.ipu",
            "Tensor.xpu",
            "Tensor.mtia",
            "Tensor.record_stream",
            "Tensor.reinforce",
        ],
        _RAISES,
    ),
    **dict.fromkeys(["torch.batch_norm", "torch.instance_norm", "torch.group_norm", "torch.layer_norm"], _CUDNN),
    **dict.fromkeys([k for k in NO_OP if k.endswith("softmax") or k.endswith("softmin")], _STACKLEVEL),
    **dict.fromkeys(["Tensor.to", "Tensor.type", "Tensor.copy_"], _SYNC),
    **dict.fromkeys(["torch.gather", "Tensor.gather", "torch.embedding", "F.embedding"], _SPARSE_GRAD),
    **dict.fromkeys(["torch.is_conj", "Tensor.is_conj", "torch.is_neg", "Tensor.is_neg"], _EAGER_CONJ),
    "torch.sort": "ember's sort is always stable, which stable=False allows",
    "Tensor.sort": "ember's sort is always stable, which stable=False allows",
    "torch.topk": "sorted=False lets torch return the k values in any order; ember's are sorted",
    "Tensor.topk": "sorted=False lets torch return the k values in any order; ember's are sorted",
    "torch.unique": "torch's CPU unique sorts whatever sorted says; so does ember's",
    "Tensor.unique": "torch's CPU unique sorts whatever sorted says; so does ember's",
    "torch.svd_lowrank": "ember computes the exact truncated SVD, which torch's iterations converge to",
    "Tensor.pin_memory": "torch's deprecated choice of accelerator; ember has one kind (CUDA)",
    "Tensor.is_pinned": "torch's deprecated choice of accelerator; ember has one kind (CUDA)",
    **dict.fromkeys(
        ["func.vmap", "func.jacrev", "torch.vmap"],
        "chunk_size bounds the memory of torch's batched kernels; ember computes one element at a time",
    ),
    "func.jacfwd": "ember's jacobians draw no random numbers inside",
    "func.functionalize": "ember's eager call already gives the functionalized result",
    **dict.fromkeys(
        ["sparse.sparse_coo_tensor", "torch.sparse_coo_tensor"],
        "ember always checks the indices against the size, as torch does when asked",
    ),
    **dict.fromkeys(
        [k for k in NO_OP if k.endswith("_with_indices")],
        "torch's *_with_indices return the indices whatever the flag says",
    ),
    "torch.set_flush_denormal": "NumPy gives no control of denormal flushing: ember returns False (unsupported), as "
    "torch does where the CPU cannot",
}

# parameters torch's signature lacks that ember's accepts (each works), and why
_F_SIGNATURE = (
    "celu",
    "selu",
    "rrelu",
    "threshold",
    "hinge_embedding_loss",
    "poisson_nll_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "triplet_margin_loss",
)
EXTRA = {
    **{f"torch.{n}": {"inplace"} for n in ("celu", "selu", "rrelu", "threshold")},
    **{
        f"torch.{n}": {"size_average", "reduce"}
        for n in (
            "hinge_embedding_loss",
            "poisson_nll_loss",
            "cosine_embedding_loss",
            "margin_ranking_loss",
            "triplet_margin_loss",
        )
    },
    **{f"{s}.{n}": {"_stacklevel"} for s in ("torch", "Tensor", "special") for n in ("softmax", "log_softmax")},
    "special.round": {"decimals"},
    "torch.normal": {"requires_grad"},
    "torch.set_num_threads": {"num_threads"},
    "torch.set_num_interop_threads": {"num_threads"},
    "torch.wait": {"future"},
    "torch.scalar_tensor": {"requires_grad"},
    "Tensor.nonzero": {"as_tuple"},
    "Tensor.random_": {"from_"},
    "Tensor.uniform_": {"from_"},
    **{f"Tensor.{n}": {"indices_or_sections"} for n in ("hsplit", "vsplit", "dsplit")},
    "Tensor.split": {"split_size_or_sections"},
}
EXTRA_REASONS = {
    **dict.fromkeys(
        [f"torch.{n}" for n in _F_SIGNATURE]
        + [f"{s}.{n}" for s in ("torch", "Tensor", "special") for n in ("softmax", "log_softmax")],
        "torch.<op> is nn.functional's op in ember, with its signature",
    ),
    **dict.fromkeys(
        ["torch.scalar_tensor", "torch.normal"], "torch's factories take requires_grad (its argument parser adds it)"
    ),
    "special.round": "torch.special.round is torch.round, which takes decimals",
    **dict.fromkeys(
        ["torch.set_num_threads", "torch.set_num_interop_threads", "torch.wait"],
        "torch's parameter is positional-only (unnamed in its C binding)",
    ),
    "Tensor.nonzero": "torch's Tensor.nonzero takes as_tuple too (its Python binding)",
    **dict.fromkeys(["Tensor.random_", "Tensor.uniform_"], "torch's `from` keyword, which Python cannot spell"),
    **dict.fromkeys(
        ["Tensor.hsplit", "Tensor.vsplit", "Tensor.dsplit", "Tensor.split"],
        "the name torch's documentation gives (its overloads name it sections/indices/split_size)",
    ),
}

# torch's parameters ember lacks, now (some of them names in torch's schemas for overloads ember spells otherwise,
# or that only TorchScript can call). Implementing one takes it off this list.
MISSING = {
    "torch.addmm": ("out_dtype",),
    "torch.baddbmm": ("out_dtype",),
    "torch.bmm": ("out_dtype",),
    "torch.broadcast_to": ("shape",),
    "torch.cdist": ("compute_mode",),
    "torch.cholesky_inverse": ("L",),
    "torch.cholesky_solve": ("B", "L"),
    "torch.concatenate": ("axis",),
    "torch.dsplit": ("indices", "sections"),
    "torch.hsplit": ("indices", "sections"),
    "torch.isin": ("element", "test_element"),
    "torch.lu_solve": ("b",),
    "torch.matrix_exp": ("A",),
    "torch.max": ("other",),
    "torch.min": ("other",),
    "torch.mm": ("out_dtype",),
    "torch.normal": ("input",),
    "torch.orgqr": ("tau",),
    "torch.ormqr": ("other", "tau"),
    "torch.permute": ("dims",),
    "torch.repeat_interleave": ("output_size",),
    "torch.reshape": ("shape",),
    "torch.result_type": ("other", "scalar", "tensor"),
    "torch.rrelu": ("generator",),
    "torch.rrelu_": ("generator",),
    "torch.save": ("_disable_byteorder_record", "_use_new_zipfile_serialization"),
    "torch.searchsorted": ("input",),
    "torch.set_num_interop_threads": ("int",),
    "torch.set_num_threads": ("int",),
    "torch.smm": ("mat",),
    "torch.sort": ("reverse",),
    "torch.sparse_coo_tensor": ("layout", "out"),
    "torch.sspaddmm": ("out",),
    "torch.tensor_split": ("indices", "sections", "tensor_indices_or_sections"),
    "torch.triangular_solve": ("b",),
    "torch.true_divide": ("dividend", "divisor"),
    "torch.unsafe_split": ("split_size_or_sections", "tensor"),
    "torch.view_copy": ("dtype", "size"),
    "torch.vsplit": ("indices", "sections"),
    "torch.wait": ("arg0",),
    "Tensor.addmm": ("out_dtype",),
    "Tensor.arctanh_": ("other",),
    "Tensor.atanh_": ("other",),
    "Tensor.baddbmm": ("out_dtype",),
    "Tensor.bmm": ("batch2", "out_dtype"),
    "Tensor.broadcast_to": ("shape",),
    "Tensor.copy_": ("other",),
    "Tensor.div": ("value",),
    "Tensor.div_": ("value",),
    "Tensor.divide": ("value",),
    "Tensor.divide_": ("value",),
    "Tensor.dot": ("other",),
    "Tensor.dsplit": ("indices", "sections", "split_size_or_sections"),
    "Tensor.expand": ("implicit", "size"),
    "Tensor.floor_divide": ("value",),
    "Tensor.floor_divide_": ("value",),
    "Tensor.fmod": ("divisor",),
    "Tensor.fmod_": ("divisor",),
    "Tensor.hsplit": ("indices", "sections", "split_size_or_sections"),
    "Tensor.index_copy": ("tensor2",),
    "Tensor.index_copy_": ("tensor",),
    "Tensor.masked_scatter": ("tensor",),
    "Tensor.matmul": ("tensor2",),
    "Tensor.max": ("other",),
    "Tensor.min": ("other",),
    "Tensor.mm": ("out_dtype",),
    "Tensor.mul": ("value",),
    "Tensor.mul_": ("value",),
    "Tensor.multiply": ("value",),
    "Tensor.multiply_": ("value",),
    "Tensor.narrow": ("dimension",),
    "Tensor.narrow_copy": ("dimension",),
    "Tensor.permute": ("dims",),
    "Tensor.random_": ("from",),
    "Tensor.record_stream": ("stream",),
    "Tensor.remainder": ("divisor",),
    "Tensor.remainder_": ("divisor",),
    "Tensor.repeat": ("repeats",),
    "Tensor.repeat_interleave": ("output_size",),
    "Tensor.reshape": ("shape",),
    "Tensor.resize_": ("size",),
    "Tensor.resize_as_": ("tensor",),
    "Tensor.smm": ("mat",),
    "Tensor.sort": ("reverse",),
    "Tensor.split": ("split_size",),
    "Tensor.sum_to_size": ("size",),
    "Tensor.take": ("indices",),
    "Tensor.tensor_split": ("indices", "sections", "tensor_indices_or_sections"),
    "Tensor.to": ("other",),
    "Tensor.to_sparse": ("sparseDims",),
    "Tensor.true_divide": ("value",),
    "Tensor.true_divide_": ("value",),
    "Tensor.type_as": ("tensor",),
    "Tensor.uniform_": ("from",),
    "Tensor.view": ("dtype", "size"),
    "Tensor.vsplit": ("indices", "sections", "split_size_or_sections"),
    "Tensor.where": ("y",),
    "func.jacrev": ("_preallocate_and_copy",),
}


@pytest.mark.parametrize("scope,name,fn,takes_out", ENTRIES, ids=[f"{s}.{n}" for s, n, _, _ in ENTRIES])
def test_no_parameter_is_silently_ignored(scope, name, fn, takes_out):
    if f"{scope}.{name}" in ALWAYS_RAISE:
        return
    unused = unused_parameters(fn)
    assert unused == NO_OP.get(f"{scope}.{name}", set()), (
        f"{scope}.{name} never reads {sorted(unused)}: honour it, raise NotImplementedError for a non-default "
        "value, or list it in NO_OP with the reason"
    )


@pytest.mark.parametrize("scope,name,fn,takes_out", ENTRIES, ids=[f"{s}.{n}" for s, n, _, _ in ENTRIES])
def test_parameters_match_torchs(scope, name, fn, takes_out):
    theirs = torch_parameters(scope, name)
    if theirs is None or f"{scope}.{name}" in ALWAYS_RAISE:
        return
    (t_names, t_kwargs, t_varargs), (e_keywords, e_positional, e_kwargs) = theirs, ember_parameters(scope, fn)
    e_names = e_keywords | e_positional | ({"out"} if takes_out else set())
    if scope == "Tensor":
        t_names = t_names - {"input"}
    key = f"{scope}.{name}"
    # torch's *args take ember's positional parameters, whatever they are named
    extra = set() if t_kwargs else (e_keywords if t_varargs else e_keywords | e_positional) - t_names
    assert not e_kwargs or t_kwargs, f"{key} takes **kwargs where torch's does not: each keyword must be checked"
    assert extra == EXTRA.get(key, set()), f"{key} accepts {sorted(extra)}, which torch's does not"
    missing = set() if e_kwargs else t_names - e_names
    assert missing == set(MISSING.get(key, ())), f"{key} lacks torch's {sorted(missing)}"


def test_every_listed_exception_has_its_reason():
    assert set(NO_OP) - ALWAYS_RAISE <= set(NO_OP_REASONS) and set(EXTRA) <= set(EXTRA_REASONS)
    assert set(MISSING) <= {f"{s}.{n}" for s, n, _, _ in ENTRIES}, "MISSING names a function no longer compared"
