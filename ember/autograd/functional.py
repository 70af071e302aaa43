"""torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp and hvp of a function, built on autograd.grad.

jvp and hvp need forward-mode derivatives; as torch, they get them with the double-backward trick (the
backward of a backward with respect to its grad_outputs). `vectorize=True` and the forward-mode
strategy give the same numbers here, computed by the same loop of backward passes.
"""

from .. import _tensor as _tensor_module  # half-initialised here: read .Tensor at call time
from .grad_mode import enable_grad, set_grad_enabled, is_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_STRATEGIES = ("forward-mode", "reverse-mode")


def _as_tensors(value, what, fn_name):
    """(whether value was a tuple, value as a tuple of Tensors)."""
    was_tuple = isinstance(value, tuple)
    items = value if was_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, _tensor_module.Tensor):
            where = f"the value at index {i}" if was_tuple else f"the given {what}"
            raise TypeError(
                f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but {where} "
                f"has type {type(item)}."
            )
    return was_tuple, items


def _differentiable_copies(tensors, create_graph, requires_grad=True):
    """Inputs to differentiate with respect to: new leaves, or (create_graph) aliases that keep the caller's graph."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(requires_grad) for t in tensors
    )


def _check_v(v, others, others_tuple):
    if len(v) != len(others):
        raise RuntimeError(
            f"v is a tuple of invalid length: should be {len(others)} but got {len(v)}."
            if others_tuple
            else "The given v should contain a single Tensor."
        )
    for i, (a, b) in enumerate(zip(v, others)):
        if a.shape != b.shape:
            raise RuntimeError(
                f"{f'Entry {i} in ' if others_tuple else ''}v has invalid size: should be {b.shape} but got {a.shape}."
            )


def _vector(v, refs, refs_tuple, fn_name, ref_name, create_graph):
    """The user's v (checked against refs), or None when refs is one single-element tensor."""
    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if {ref_name} a single Tensor with a single element.")
        return None
    _, v = _as_tensors(v, "v", fn_name)
    v = _differentiable_copies(v, create_graph, requires_grad=False)
    _check_v(v, refs, refs_tuple)
    return v


_STRICT_MESSAGES = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be computed "
    "in a differentiable manner from the input when running in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
    "function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with respect to "
    "input {i} is independent of the input. This is not allowed in strict mode. You should ensure that "
    "your function is twice differentiable and that the jacobian depends on the inputs (this would be "
    "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is independent of the input. "
    "This is not allowed in strict mode. You should ensure that your function is thrice differentiable "
    "and that the hessian depends on the inputs.",
}


def _strict_requires_grad(tensors, kind, strict):
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is not "
                "allowed in strict mode."
            )
        if not t.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad (None for every input when none does)."""
    from . import grad

    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    live = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not live:
        return (None,) * len(inputs)
    return grad(
        [o for o, _ in live],
        inputs,
        [g for _, g in live],
        allow_unused=True,
        create_graph=create_graph,
        retain_graph=retain_graph,
    )


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when using "
    "the double backward trick to compute forward mode gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
    "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
    "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
    "backward trick to replace forward mode AD.",
}


def _zeros_where_missing(grads, refs, strict, create_graph, stage):
    from ..ops.creation import zeros_like

    result = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i))
            g = zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This is not "
                "allowed in strict mode when create_graph=True."
            )
        result.append(g)
    return tuple(result)


def _detached(result, create_graph):
    if create_graph:
        return result
    if isinstance(result, tuple):
        return tuple(_detached(r, create_graph) for r in result)
    return result.detach()


def _unpack(result, was_tuple):
    return result if was_tuple else result[0]


def _call(func, inputs, fn_name, strict):
    was_tuple, outputs = _as_tensors(func(*inputs), "outputs of the user-provided function", fn_name)
    _strict_requires_grad(outputs, "outputs", strict)
    return was_tuple, outputs


def _scalar_output(outputs, was_tuple, fn_name):
    if was_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product at inputs."""
    with enable_grad():
        inputs_tuple, inputs = _as_tensors(inputs, "inputs", "vjp")
        inputs = _differentiable_copies(inputs, create_graph)
        outputs_tuple, outputs = _call(func, inputs, "vjp", strict)
        v = _vector(v, outputs, outputs_tuple, "vjp", "the user-provided function returns", create_graph)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        result = _zeros_where_missing(_grad(outputs, inputs, v, create_graph), inputs, strict, create_graph, "back")
    return (
        _unpack(_detached(outputs, create_graph), outputs_tuple),
        _unpack(_detached(result, create_graph), inputs_tuple),
    )


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product at inputs."""
    from ..ops.creation import zeros_like

    with enable_grad():
        inputs_tuple, inputs = _as_tensors(inputs, "inputs", "jvp")
        inputs = _differentiable_copies(inputs, create_graph)
        v = _vector(v, inputs, inputs_tuple, "jvp", "the input to the user-provided function is", create_graph)
        outputs_tuple, outputs = _call(func, inputs, "jvp", strict)
        # u^T J is linear in u: its gradient with respect to u, along v, is J v
        u = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        u_t_j = _grad(outputs, inputs, u, create_graph=True)
        _strict_requires_grad(u_t_j, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        result = _zeros_where_missing(_grad(u_t_j, u, v, create_graph), outputs, strict, create_graph, "back_trick")
    return (
        _unpack(_detached(outputs, create_graph), outputs_tuple),
        _unpack(_detached(result, create_graph), outputs_tuple),
    )


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at inputs: for output i and input j, a tensor of shape out_i.shape + in_j.shape
    (a Tensor, a tuple, or a tuple of tuples, as inputs and outputs are tuples or not)."""
    from ..ops.creation import zeros_like
    from ..ops.shape import stack

    if strategy not in _STRATEGIES:
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function '
            'has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, '
            'prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.'
            )
        if strict:
            raise RuntimeError(
                'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are '
                "not supported together (yet). Please either set `strict=False` or "
                '`strategy="reverse-mode"`.'
            )
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`."
            )
    with enable_grad():
        inputs_tuple, inputs = _as_tensors(inputs, "inputs", "jacobian")
        inputs = _differentiable_copies(inputs, create_graph)
        outputs_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                "supported together. Please either set `strict=False` or `vectorize=False`."
            )
        rows = []
        for i, out in enumerate(outputs):
            per_input = [[] for _ in inputs]
            flat = out.reshape(-1)
            for k in range(out.numel()):
                grads = _grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
                for j, (g, inp) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of input "
                                f"{j}. This is not allowed in strict mode."
                            )
                        g = zeros_like(inp)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(
                            f"The jacobian of the user-provided function is independent of input {i}. "
                            "This is not allowed in strict mode when create_graph=True."
                        )
                    per_input[j].append(g)
            rows.append(
                tuple(
                    (stack(gs) if gs else zeros_like(inp).reshape((0,) + tuple(inp.shape))).reshape(
                        tuple(out.shape) + tuple(inp.shape)
                    )
                    for gs, inp in zip(per_input, inputs)
                )
            )
        result = _detached(tuple(rows), create_graph)
    if not inputs_tuple:
        result = tuple(row[0] for row in result)
    return result if outputs_tuple else result[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar func at inputs: for inputs i and j, a tensor of shape in_i.shape + in_j.shape."""
    inputs_tuple, inputs = _as_tensors(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        outputs_tuple, outputs = _call(func, inp, "hessian", strict)
        _scalar_output(outputs, outputs_tuple, "hessian")
        return outputs[0].squeeze()

    def gradient(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(scalar_func, inp, create_graph=True)
        _strict_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(
        gradient,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    if not inputs_tuple:
        result = tuple(row[0] for row in result)
    return result if inputs_tuple else result[0]


def _scalar_and_gradient(func, inputs, v, create_graph, strict, fn_name):
    inputs_tuple, inputs = _as_tensors(inputs, "inputs", fn_name)
    inputs = _differentiable_copies(inputs, create_graph)
    v = _vector(v, inputs, inputs_tuple, fn_name, "the input to the user-provided function is", create_graph)
    outputs_tuple, outputs = _call(func, inputs, fn_name, strict)
    _scalar_output(outputs, outputs_tuple, fn_name)
    jac = _grad(outputs, inputs, create_graph=True)
    _strict_requires_grad(jac, "jacobian", strict)
    return inputs_tuple, inputs, v, outputs_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar func."""
    with enable_grad():
        inputs_tuple, inputs, v, outputs_tuple, outputs, jac = _scalar_and_gradient(
            func, inputs, v, create_graph, strict, "vhp"
        )
    with set_grad_enabled(create_graph or is_grad_enabled()):
        result = _zeros_where_missing(_grad(jac, inputs, v, create_graph), inputs, strict, create_graph, "double_back")
    return (
        _unpack(_detached(outputs, create_graph), outputs_tuple),
        _unpack(_detached(result, create_graph), inputs_tuple),
    )


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func, by the double-backward trick."""
    from ..ops.creation import zeros_like

    with enable_grad():
        inputs_tuple, inputs, v, outputs_tuple, outputs, jac = _scalar_and_gradient(
            func, inputs, v, create_graph, strict, "hvp"
        )
        u = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
        u_t_h = _grad(jac, inputs, u, create_graph=True)
        _strict_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        result = _zeros_where_missing(
            _grad(u_t_h, u, v, create_graph), inputs, strict, create_graph, "double_back_trick"
        )
    return (
        _unpack(_detached(outputs, create_graph), outputs_tuple),
        _unpack(_detached(result, create_graph), inputs_tuple),
    )
