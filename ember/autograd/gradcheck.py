"""gradcheck: analytical gradients against central finite differences (use float64 inputs)."""

import numpy as np

from .._backend import to_host


def _flat_outputs(out):
    from .._tensor import Tensor

    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.requires_grad]


def _numerical_jacobian(func, inputs, diff_inputs, eps):
    from ..autograd.grad_mode import no_grad

    with no_grad():
        base = [to_host(o._data).copy() for o in _flat_outputs_nograd(func(*inputs))]
        cols = []
        for t in diff_inputs:
            flat = t._data.reshape(-1)
            jac = np.zeros((flat.size, sum(b.size for b in base)))
            for k in range(flat.size):
                orig = flat[k]
                flat[k] = orig + eps
                plus = np.concatenate([to_host(o._data).reshape(-1) for o in _flat_outputs_nograd(func(*inputs))])
                flat[k] = orig - eps
                minus = np.concatenate([to_host(o._data).reshape(-1) for o in _flat_outputs_nograd(func(*inputs))])
                flat[k] = orig
                jac[k] = (plus - minus) / (2 * eps)
            cols.append(jac)
    return cols


def _flat_outputs_nograd(out):
    from .._tensor import Tensor

    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _analytical_jacobian(func, inputs, diff_inputs):
    from . import grad as autograd_grad

    # every floating output, as the numerical Jacobian sees them: one that does not depend on the
    # inputs (say, a first derivative of a linear function) contributes zero columns
    outs = _flat_outputs_nograd(func(*inputs))
    total = sum(o.numel() for o in outs)
    jacs = [np.zeros((t.numel(), total)) for t in diff_inputs]
    col = 0
    for o in outs:
        if not o.requires_grad:
            col += o.numel()
            continue
        for j in range(o.numel()):
            seed = np.zeros(o._data.size, o._data.dtype)
            seed[j] = 1
            from .._tensor import Tensor

            grads = autograd_grad(
                o, diff_inputs, Tensor._make(seed.reshape(o._data.shape)), retain_graph=True, allow_unused=True
            )
            for i, g in enumerate(grads):
                if g is not None:
                    jacs[i][:, col] = to_host(g._data).reshape(-1)
            col += 1
    return jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **unused):
    from .._tensor import Tensor

    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    for t in diff_inputs:
        if t._data.dtype != np.float64:
            import warnings

            warnings.warn(
                "gradcheck: input is not double precision; the check may fail from rounding alone", stacklevel=2
            )
    analytical = _analytical_jacobian(func, inputs, diff_inputs)
    numerical = _numerical_jacobian(func, inputs, diff_inputs, eps)
    for i, (a, n) in enumerate(zip(analytical, numerical)):
        if not np.allclose(a, n, rtol=rtol, atol=atol):
            if raise_exception:
                k = np.unravel_index(np.argmax(np.abs(a - n)), a.shape)
                raise RuntimeError(
                    f"Jacobian mismatch for output 0 with respect to input {i},\nnumerical:{n}\n"
                    f"analytical:{a}\n(largest difference at {k}: {n[k]} vs {a[k]})"
                )
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **unused):
    """Checks second derivatives: gradcheck on the function x -> d(sum(func(x) * v))/dx."""
    from .._tensor import Tensor
    from . import grad as autograd_grad
    from .grad_mode import enable_grad

    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    outs = _flat_outputs(func(*inputs))
    rng = np.random.default_rng(0)
    vs = grad_outputs or [Tensor._make(rng.standard_normal(o._data.shape)) for o in outs]

    def first_grads(*xs):
        with enable_grad():  # gradcheck evaluates this under no_grad for its finite differences
            outs = _flat_outputs(func(*xs))
            ds = [t for t in xs if isinstance(t, Tensor) and t.requires_grad]
            gs = autograd_grad(outs, ds, vs, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
