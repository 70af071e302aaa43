"""One definition, both surfaces: `@torch_api` registers an op as ember.<name> and Tensor.<name>.

`inplace=True` also installs Tensor.<name>_ (compute, then write into self); function surfaces
accept torch's `out=`.
"""
import functools

FUNCTIONS = {}
METHODS = {}


def _with_out(fn):
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        return write_out(out, result)
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


def _inplace_variant(fn):
    def inplace(self, *args, **kwargs):
        return self._inplace_assign(fn(self, *args, **kwargs))
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
                METHODS[n + "_"] = _inplace_variant(fn)
        return fn
    return register


def install_methods(tensor_cls):
    for name, fn in METHODS.items():
        if name not in tensor_cls.__dict__:
            setattr(tensor_cls, name, fn)
