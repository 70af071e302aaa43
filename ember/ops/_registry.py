"""One definition, both surfaces: `@torch_api` registers an op as ember.<name> and Tensor.<name>.

`inplace=True` also installs Tensor.<name>_ (compute, then write into self); function surfaces
accept torch's `out=`.
"""
import functools

from ..autograd.function import rename
from ..autograd.grad_mode import state
from .._tensor import check_overlap
from ..autograd.views import check_inplace
from .._dynamo.seams import replayed_as_one_call

FUNCTIONS = {}
METHODS = {}


def _with_out(fn):
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        for o in out if isinstance(out, (tuple, list)) else (out,):
            check_overlap(o, *args)
        return write_out(out, fn(*args, **kwargs))
    return wrapper


def write_out(out, result):
    """Fill `out` with `result` as torch's out= does (resizing when its shape differs)."""
    if isinstance(out, (tuple, list)):
        for o, r in zip(out, result):
            write_out(o, r)
        return out
    if out._data.shape != result._data.shape:
        out._data = result._data.astype(out._data.dtype, copy=True)
        out._vc[0] += 1
        return out
    from ..autograd.grad_mode import no_grad
    with no_grad():
        return out._inplace_assign(result)


# in-place ops that torch lets write an expanded tensor (with a deprecation warning)
_MAY_WRITE_EXPANDED = {"masked_fill", "index_put", "index_fill"}


def _inplace_variant(fn, name):
    expanded_ok = name in _MAY_WRITE_EXPANDED

    def inplace(self, *args, **kwargs):
        track = state.enabled and (self._tracks_inplace() or any(getattr(a, "_rg", False) for a in args))
        if track:
            check_inplace(self)
        check_overlap(self, *args, *kwargs.values())
        if track:
            # the op may save `self` for backward, and the write below would change it: like torch,
            # the graph keeps the value from before the write
            return self._inplace_assign(fn(_snapshot(self), *args, **kwargs), expanded_ok)
        return self._inplace_assign(fn(self, *args, **kwargs), expanded_ok)
    inplace.__name__ = fn.__name__ + "_"
    return inplace


def torch_api(name=None, *, function=True, method=True, inplace=False, aliases=()):
    def register(fn):
        for n in (name or fn.__name__,) + tuple(aliases):
            if function:
                FUNCTIONS[n] = _with_out(fn)
            if method:
                METHODS[n] = fn
            if inplace:
                METHODS[n + "_"] = _inplace_variant(fn, n)
        return fn
    return register


@replayed_as_one_call       # a copy made outside an op: a compiled replay copies again
def _snapshot(tensor):
    """A copy of the tensor's current value that stands for it in the graph (same grad_fn)."""
    copy = type(tensor)._make(tensor._data.copy(), tensor._rg)
    copy._grad_fn, copy._output_nr = tensor.grad_fn, tensor._output_nr
    return copy


def named(tensor, node_name):
    """Give a composed op's output torch's grad_fn name (users and tests read `grad_fn`)."""
    if tensor.grad_fn is not None:
        rename(tensor.grad_fn, node_name)
    return tensor


def install_methods(tensor_cls):
    for name, fn in METHODS.items():
        if name not in tensor_cls.__dict__:
            setattr(tensor_cls, name, fn)
