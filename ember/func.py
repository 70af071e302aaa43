"""torch.func: function transforms over ember's autograd. grad/vjp/jacrev/hessian are reverse mode (they nest,
as each level keeps the graph of the one below); jvp and jacfwd compute the same values through reverse mode;
vmap runs the function once per batch element and stacks the results (the same values as torch's batched
rules, at the cost of a loop)."""

import functools

from .autograd import grad as _autograd_grad
from .autograd.grad_mode import enable_grad
from .autograd import functional as _functional
from ._tensor import Tensor


def _leaves(tree):
    if isinstance(tree, Tensor):
        return [tree]
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in _leaves(item)]
    return []


def _map(fn, tree):
    if isinstance(tree, Tensor):
        return fn(tree)
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map(fn, item) for item in tree)
    if isinstance(tree, dict):
        return {k: _map(fn, v) for k, v in tree.items()}
    return tree


def _unflatten_like(tree, flat):
    it = iter(flat)
    return _map(lambda _: next(it), tree)


def _differentiable(t):
    """t as an input to differentiate by: a fresh leaf, or t itself inside an outer transform (its graph kept)."""
    return t if t.requires_grad else t.detach().requires_grad_()


def grad_and_value(func, argnums=0, has_aux=False):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        outer = any(leaf.requires_grad for i in nums for leaf in _leaves(args[i]))
        with enable_grad():
            args = list(args)
            for i in nums:
                args[i] = _map(_differentiable, args[i])
            out = func(*args, **kwargs)
            value, aux = out if has_aux else (out, None)
            if not isinstance(value, Tensor) or value.numel() != 1:
                got = f"tensor of shape {list(value.shape)}" if isinstance(value, Tensor) else type(value).__name__
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got {got}")
            inputs = [leaf for i in nums for leaf in _leaves(args[i])]
            grads = _autograd_grad(value, inputs, create_graph=True, allow_unused=True)
        grads = [g if g is not None else leaf.new_zeros(leaf.shape) for g, leaf in zip(grads, inputs)]
        if not outer:
            grads, value = [g.detach() for g in grads], value.detach()
        per_arg, start = [], 0
        for i in nums:
            n = len(_leaves(args[i]))
            per_arg.append(_unflatten_like(args[i], grads[start : start + n]))
            start += n
        g = per_arg[0] if isinstance(argnums, int) else tuple(per_arg)
        return (g, (value, aux)) if has_aux else (g, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    transformed = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = transformed(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn): vjp_fn(cotangents) gives the gradient of <output, cotangents> per primal."""
    with enable_grad():
        inputs = [_map(_differentiable, p) for p in primals]
        out = func(*inputs)
        value, aux = out if has_aux else (out, None)

    def vjp_fn(cotangents):
        outputs, cots = _leaves(value), _leaves(cotangents)
        flat_inputs = _leaves(inputs)
        grads = _autograd_grad(outputs, flat_inputs, cots, retain_graph=True, allow_unused=True)
        grads = [g if g is not None else x.new_zeros(x.shape) for g, x in zip(grads, flat_inputs)]
        return tuple(_unflatten_like(inputs, grads))

    result = _map(lambda t: t.detach(), value)
    return (result, vjp_fn, aux) if has_aux else (result, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    if has_aux:
        raise NotImplementedError("jvp(has_aux=True) is not implemented in ember")
    return _functional.jvp(func, tuple(primals), tuple(tangents), strict=strict)


def _jacobian(func, argnums, has_aux):
    @functools.wraps(func)
    def wrapper(*args):
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

        def of_selected(*selected):
            full = list(args)
            for i, s in zip(nums, selected):
                full[i] = s
            out = func(*full)
            return out[0] if has_aux else out

        selected = tuple(args[i] for i in nums)
        outer = any(leaf.requires_grad for leaf in _leaves(selected))
        # the graph is kept so that an outer transform (hessian = jacfwd(jacrev(f))) differentiates this one
        jac = _functional.jacobian(of_selected, selected, create_graph=True)
        jac = jac[0] if isinstance(argnums, int) and isinstance(jac, tuple) else jac
        if not outer:
            jac = _map(lambda t: t.detach(), jac)
        return (jac, func(*args)[1]) if has_aux else jac

    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    # chunk_size trades memory for speed in torch's vectorized rows; ember computes one row at a time
    return _jacobian(func, argnums, has_aux)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    return _jacobian(func, argnums, has_aux)


def hessian(func, argnums=0):
    return jacfwd(jacrev(func, argnums), argnums)


def _batch_size(args, in_dims):
    sizes = {leaf.shape[d] for arg, d in zip(args, in_dims) if d is not None for leaf in _leaves(arg)}
    if len(sizes) != 1:
        raise ValueError(
            f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
            f"{sorted(sizes)} for the mapped dimension"
            if sizes
            else "vmap: at least one input must be mapped over (got in_dims with no mapped tensor)"
        )
    return sizes.pop()


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """func mapped over a dimension of its inputs: called per batch element, the outputs stacked along out_dims.
    (chunk_size only bounds the memory of torch's batched kernels; ember's loop already runs one at a time.)"""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    from .ops.creation import get_rng_state, set_rng_state
    from .ops.shape import stack

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        dims = (in_dims,) * len(args) if isinstance(in_dims, int) or in_dims is None else tuple(in_dims)
        if len(dims) != len(args):
            raise ValueError(
                f"vmap: in_dims is not compatible with the structure of inputs: {len(dims)} in_dims for "
                f"{len(args)} inputs"
            )
        n = _batch_size(args, dims)
        state = get_rng_state()
        results = []
        for i in range(n):
            if randomness == "same":
                set_rng_state(state)
            sliced = [arg if d is None else _map(lambda t, d=d, i=i: t.select(d, i), arg) for arg, d in zip(args, dims)]
            before = get_rng_state().numpy().tobytes() if randomness == "error" else None
            results.append(func(*sliced, **kwargs))
            if before is not None and get_rng_state().numpy().tobytes() != before:
                raise RuntimeError(
                    "vmap: called random operation while in randomness error mode. Please either use "
                    "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                    "operation out of vmap"
                )
        first = results[0]
        outs = first if isinstance(first, tuple) else (first,)
        odims = (out_dims,) * len(outs) if isinstance(out_dims, int) else tuple(out_dims)
        stacked = tuple(
            stack([r[j] if isinstance(first, tuple) else r for r in results], dim=odims[j]) for j in range(len(outs))
        )
        return stacked if isinstance(first, tuple) else stacked[0]

    return wrapper


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """module(*args, **kwargs) with its parameters and buffers replaced, for the call, by the tensors given by name."""
    values = {}
    for d in (
        parameter_and_buffer_dicts
        if isinstance(parameter_and_buffer_dicts, (tuple, list))
        else (parameter_and_buffer_dicts,)
    ):
        values.update(d)
    if strict:
        expected = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing, unexpected = sorted(expected - set(values)), sorted(set(values) - expected)
        if missing or unexpected:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {type(module).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
    saved = []
    for name, value in values.items():
        owner_name, _, attr = name.rpartition(".")
        owner = module.get_submodule(owner_name) if owner_name else module
        table = owner._parameters if attr in owner._parameters else owner._buffers if attr in owner._buffers else None
        if table is None:
            raise AttributeError(f"functional_call: {type(owner).__name__} has no parameter or buffer '{attr}'")
        old = table[attr]
        tied = (
            [
                (m_table, a)
                for _, m in module.named_modules()
                for m_table in (m._parameters, m._buffers)
                for a, v in m_table.items()
                if v is old
            ]
            if tie_weights and old is not None
            else [(table, attr)]
        )
        for t, a in tied:
            saved.append((t, a, old))
            t[a] = value
    try:
        args = () if args is None else args if isinstance(args, tuple) else (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for table, attr, old in reversed(saved):
            table[attr] = old


def functionalize(func, *, remove="mutations"):
    """func itself: removing in-place ops is a tracing pass; it gives the same results, which ember's eager call
    already does."""
    return func
