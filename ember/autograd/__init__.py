"""torch.autograd: backward, grad, Function, gradcheck, grad modes, anomaly detection."""

import collections.abc
import math
import warnings

import numpy as np

from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .function import Function, once_differentiable
from .anomaly import detect_anomaly, set_detect_anomaly, is_anomaly_enabled, is_anomaly_check_nan_enabled
from . import graph
from .graph import run_backward, edge_of
from .. import _tensor as _tensor_module  # half-initialised here: read .Tensor at call time
from .._backend import array_module


def _as_list(x):
    if x is None:
        return None
    return [x] if isinstance(x, (_tensor_module.Tensor, graph.GradientEdge)) else list(x)


def _inputs_list(inputs, fn_name):
    """backward/grad `inputs`: a Tensor or GradientEdge, a sequence of them, or a dict of them (as torch 2.13)."""
    if type(inputs) is dict:
        inputs = list(inputs.values())
    elif isinstance(inputs, collections.abc.Mapping):
        raise TypeError(
            f"`inputs` argument to `{fn_name}()` must be a dict, not {type(inputs).__name__}. "
            "Other Mapping types are not supported."
        )
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError(f"`inputs` argument to `{fn_name}()` cannot be empty.")
    return inputs


def _edge(t):
    """The edge a gradient for `t` (a Tensor or a GradientEdge) flows into."""
    return (t.node, t.output_nr) if isinstance(t, graph.GradientEdge) else edge_of(t)


def _root_grads(outputs, grad_outputs, create_graph, batched=False):
    grads = _as_list(grad_outputs) or [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(
            f"grad can be implicitly created only for scalar outputs (got {len(grads)} gradients "
            f"for {len(outputs)} outputs)"
        )
    Tensor = _tensor_module.Tensor
    result = []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        if isinstance(t, graph.GradientEdge):
            shape, np_dtype, xp = t.node._out_meta[t.output_nr]
        else:
            if not t.requires_grad:
                raise RuntimeError(
                    "element 0 of tensors does not require grad and does not have a grad_fn "
                    "(did you forget requires_grad=True, or compute it under no_grad()?)"
                )
            data = t._data
            shape, np_dtype, xp = data.shape, data.dtype, None
        if g is None:
            if batched:
                raise RuntimeError(
                    "If `is_grads_batched=True`, every grad_output must be a tensor with a batch "
                    "dimension first (got None for output %d)" % i
                )
            if shape and math.prod(shape) != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (the output has shape "
                    f"{list(shape)}; pass gradient=torch.ones_like(output) or reduce it with .sum())"
                )
            if np_dtype.kind != "f" and not _is_float(np_dtype):
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {t.dtype}")
            if xp is None and type(data) is np.ndarray and not shape:
                g = np.array(1, np_dtype)  # the usual loss.backward(): np.ones is slower for one element
            else:
                g = (xp or array_module(data)).ones(shape, np_dtype)
            result.append(Tensor._make(g))
            continue
        if not isinstance(g, Tensor):
            from ..ops.creation import tensor

            g = tensor(g, dtype=t.dtype)
        elif g._data.shape[batched:] != tuple(shape):
            if batched:
                raise RuntimeError(
                    f"If `is_grads_batched=True`, we interpret the first dimension of each grad_output as the batch "
                    f"dimension. The sizes of the remaining dimensions are expected to match the shape of "
                    f"corresponding output, but a mismatch was detected: grad_output[{i}] has a shape of "
                    f"{_tensor_module.Size(g._data.shape[1:])} and output[{i}] has a shape of "
                    f"{_tensor_module.Size(shape)}. If you only want some tensors in `grad_output` to be considered "
                    f"batched, consider using vmap."
                )
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a "
                f"shape of {_tensor_module.Size(shape)}."
            )
        result.append(g if create_graph else g.detach())
    return result


def _is_float(np_dtype):
    from .._dtype import _FLOAT_NP

    return np_dtype in _FLOAT_NP


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.", FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError(
                "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to "
                "`backward()`. Please only use `grad_tensors`."
            )
        grad_tensors = grad_variables
    outputs = _as_list(tensors)
    grads = _root_grads(outputs, grad_tensors, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    roots = [_edge(t) for t in outputs]
    if inputs is None:
        run_backward(roots, grads, retain_graph, create_graph)
        return
    inputs = _inputs_list(inputs, "backward")
    for t in inputs:
        if isinstance(t, graph.GradientEdge):
            raise NotImplementedError(
                "backward(inputs=...) with a GradientEdge: ember accumulates only into "
                "Tensors' .grad (use autograd.grad for a GradientEdge)"
            )
        if t.grad_fn is not None:
            t.retain_grad()  # as torch: a non-leaf input gets its .grad now and in later passes
    capture = {_edge(t): i for i, t in enumerate(inputs)}
    found = run_backward(roots, grads, retain_graph, create_graph, capture=capture, accumulate=False)
    mode = graph.TENSORS if create_graph else graph.ARRAYS
    for t, g in zip(inputs, found):
        if g is not None and t.grad_fn is None:
            graph.AccumulateGrad(t).accumulate(mode.value(g), mode)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
            "gradient for other parts of the graph, please use torch.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    outs = _as_list(outputs)
    ins = _inputs_list(inputs, "grad")
    for i, t in enumerate(ins):
        if isinstance(t, _tensor_module.Tensor) and not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    grads = _root_grads(outs, grad_outputs, create_graph, batched=is_grads_batched)
    if retain_graph is None:
        retain_graph = create_graph
    roots = [_edge(t) for t in outs]
    capture = {}
    for t in ins:
        capture.setdefault(_edge(t), len(capture))
    if is_grads_batched:
        # torch vmaps over the first dim of every grad_output; one backward per batch entry gives the same
        n = grads[0].shape[0] if grads else 0
        if any(g.shape[0] != n for g in grads):
            raise RuntimeError(
                "If `is_grads_batched=True`, every grad_output must have the same size in its first "
                f"(batch) dimension; got {[g.shape[0] for g in grads]}"
            )
        runs = [
            run_backward(
                roots, [g[k] for g in grads], retain_graph or k < n - 1, create_graph, capture=capture, accumulate=False
            )
            for k in range(n)
        ]
        from ..ops.shape import stack

        found = [None if runs[0][j] is None else stack([r[j] for r in runs]) for j in range(len(capture))]
    else:
        found = run_backward(roots, grads, retain_graph, create_graph, capture=capture, accumulate=False)
    result = []
    for i, t in enumerate(ins):
        g = found[capture[_edge(t)]]
        if g is None:
            if materialize_grads:
                if isinstance(t, graph.GradientEdge):
                    raise RuntimeError("materialize_grads cannot be used when the given input is a GradientEdge")
                from ..ops.creation import zeros_like

                g = zeros_like(t, requires_grad=create_graph)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        result.append(g)
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), result))
    return tuple(result)


def Variable(data, requires_grad=False, volatile=False):
    """Old torch.autograd.Variable: since torch 0.4 just the tensor itself."""
    if requires_grad:
        data.requires_grad_(True)
    return data


from .gradcheck import gradcheck, gradgradcheck  # noqa: E402
from . import function, functional  # noqa: E402,F401

__all__ = [
    "backward",
    "grad",
    "Function",
    "once_differentiable",
    "gradcheck",
    "gradgradcheck",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "Variable",
    "graph",
]
