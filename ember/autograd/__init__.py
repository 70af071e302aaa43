"""torch.autograd: backward, grad, Function, gradcheck, grad modes, anomaly detection."""
import numpy as np

from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .function import Function, once_differentiable
from .anomaly import detect_anomaly, set_detect_anomaly, is_anomaly_enabled, is_anomaly_check_nan_enabled
from . import graph
from .graph import run_backward, edge_of
from .. import _tensor as _tensor_module     # half-initialised here: read .Tensor at call time


def _as_list(x):
    if x is None:
        return None
    return [x] if isinstance(x, _tensor_module.Tensor) else list(x)


def _root_grads(outputs, grad_outputs, create_graph):
    grads = _as_list(grad_outputs) or [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs (got {len(grads)} gradients "
                           f"for {len(outputs)} outputs)")
    result = []
    for t, g in zip(outputs, grads):
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn "
                               "(did you forget requires_grad=True, or compute it under no_grad()?)")
        if g is None:
            if t.is_complex():
                raise RuntimeError("grad can be implicitly created only for real scalar outputs (take .real or "
                                   ".abs() of the complex output, or pass gradient=)")
            if t.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs (the output has shape "
                                   f"{list(t.shape)}; pass gradient=torch.ones_like(output) or reduce it with .sum())")
            result.append(_tensor_module.Tensor._make(_ones_like(t._data)))
            continue
        elif not isinstance(g, _tensor_module.Tensor):
            from ..ops.creation import tensor
            g = tensor(g, dtype=t.dtype)
        elif tuple(g.shape) != tuple(t.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {g.shape} and output[0] has a "
                               f"shape of {t.shape}.")
        result.append(g if create_graph else g.detach())
    return result


def _ones_like(arr):
    if type(arr) is np.ndarray and arr.ndim == 0:
        return np.array(1, arr.dtype)       # the usual loss.backward(): np.ones is ~4x slower for one element
    from .._backend import array_module
    return array_module(arr).ones(arr.shape, arr.dtype)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    outputs = _as_list(tensors)
    grads = _root_grads(outputs, grad_tensors if grad_tensors is not None else grad_variables, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        run_backward(outputs, grads, retain_graph, create_graph)
        return
    inputs = _as_list(inputs)
    capture = {edge_of(t): i for i, t in enumerate(inputs)}
    found = run_backward(outputs, grads, retain_graph, create_graph, capture=capture, accumulate=False)
    for t, g in zip(inputs, found):
        if g is not None:
            graph.AccumulateGrad(t).accumulate(g, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    grads = _root_grads(outs, grad_outputs, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    capture = {}
    for i, t in enumerate(ins):
        capture.setdefault(edge_of(t), i)
    found = run_backward(outs, grads, retain_graph, create_graph, capture=capture, accumulate=False)
    result = []
    for i, t in enumerate(ins):
        g = found[capture[edge_of(t)]]
        if g is None:
            if materialize_grads:
                from ..ops.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def Variable(data, requires_grad=False, volatile=False):
    """Old torch.autograd.Variable: since torch 0.4 just the tensor itself."""
    if requires_grad:
        data.requires_grad_(True)
    return data


from .gradcheck import gradcheck, gradgradcheck  # noqa: E402

__all__ = ["backward", "grad", "Function", "once_differentiable", "gradcheck", "gradgradcheck", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "Variable", "graph"]
