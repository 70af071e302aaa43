"""One definition, both surfaces: `@torch_api` registers an op as ember.<name> and Tensor.<name>.

`inplace=True` also installs Tensor.<name>_ (compute, then write into self); function surfaces
accept torch's `out=`. Both surfaces take the NumPy keyword names torch's argument parser takes, and
the function surface checks that `input` is a Tensor, as torch's parser does.
"""

import functools
import inspect

from ..autograd.function import rename
from ..autograd.grad_mode import state
from .._tensor import Tensor, check_overlap
from ..autograd.views import check_inplace
from .._dynamo.seams import replayed_as_one_call

FUNCTIONS = {}
METHODS = {}
# function made by torch_api or _checked -> (the op it calls, the name it checks arguments as, its maker)
_SURFACE = {}

# torch's Python argument parser accepts NumPy's names for four parameters of every op it parses
# (numpy_compatibility_arg_names in torch/csrc/utils/python_arg_parser.cpp)
NUMPY_KEYWORDS = {"axis": "dim", "keepdims": "keepdim", "x": "input", "a": "input", "x1": "input", "x2": "other"}
# ops torch writes in Python, where that parser (so the NumPy names) does not run
WITHOUT_NUMPY_KEYWORDS = frozenset(
    {"norm", "split", "unique", "unique_consecutive", "unflatten", "atleast_1d", "atleast_2d", "atleast_3d"}
)
# functions whose `input` torch also takes as a Python number (torch.add(2, t), torch.pow(2, t))
NUMBER_INPUT = frozenset(
    {
        "add",
        "sub",
        "subtract",
        "mul",
        "multiply",
        "div",
        "divide",
        "true_divide",
        "floor_divide",
        "remainder",
        "pow",
        "float_power",
        "xlogy",
        "bucketize",
        "rsub",
    }
)


def _parameters(fn):
    """The parameter names of fn, or of the op it wraps (functools.wraps, or __wrapped__ set by hand)."""
    code = inspect.unwrap(fn).__code__
    return code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]


def _public_name(fn, name):
    """Give an op defined in a factory (`def fn` in a closure, a lambda) its public name, which Python's
    own messages use: `argmax() got an unexpected keyword argument 'foo'`, not `_arg.<locals>.fn()`."""
    if "<" in fn.__qualname__:
        fn.__qualname__ = name


def _renamed_keywords(name, kwargs, aliases):
    """kwargs with NumPy's names (axis=, keepdims=, ...) replaced by the op's own, as torch's parser does."""
    out = {}
    for key, value in kwargs.items():
        target = aliases.get(key, key)
        if target in out or (target != key and target in kwargs):
            raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")
        out[target] = value
    return out


def _numpy_aliases(name, params):
    """The NumPy keyword names torch's parser takes for this op's parameters: alias -> parameter."""
    if name in WITHOUT_NUMPY_KEYWORDS:
        return {}
    return {alias: p for alias, p in NUMPY_KEYWORDS.items() if p in params and alias not in params}


def _with_numpy_keywords(fn, name, params):
    aliases = _numpy_aliases(name, params)
    if not aliases:
        return fn

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if kwargs and not aliases.keys().isdisjoint(kwargs):
            kwargs = _renamed_keywords(name, kwargs, aliases)
        return fn(*args, **kwargs)

    return op


def _type_name(value):
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _function(op, name):
    """The ember.<name> surface: NumPy keyword names, torch's check of `input`, and out=."""
    params = _parameters(op)
    fn = _with_numpy_keywords(op, name, params)
    surface = _with_out(fn, _input_check(name, params))
    _SURFACE[surface] = (op, name, _function)
    return surface


def _input_check(name, params):
    """torch's check that `input` is a Tensor (a number too where torch takes one), or None for an op without
    an `input` parameter. It reads NumPy's names for `input` as well, so it may run before or after renaming."""
    if not params or params[0] != "input":
        return None
    accepted = (int, float) if name in NUMBER_INPUT else ()  # bool is an int

    def check_input(args, kwargs):
        given = args[0] if args else kwargs.get("input", kwargs.get("x", kwargs.get("a", kwargs.get("x1"))))
        if not isinstance(given, Tensor) and not isinstance(given, accepted) and (args or given is not None):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {_type_name(given)}")

    return check_input


def _with_out(fn, check_input=None):
    """fn with torch's `out=` (the outputs checked for overlap with the inputs first)."""

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if check_input is not None:
            check_input(args, kwargs)
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
        out._version_counter[0] += 1
        return out
    from ..autograd.grad_mode import no_grad

    with no_grad():
        return out._inplace_assign(result)


# in-place ops that torch lets write an expanded tensor (with a deprecation warning)
_MAY_WRITE_EXPANDED = {"masked_fill", "index_put", "index_fill"}


def _inplace_variant(fn, name):
    expanded_ok = name in _MAY_WRITE_EXPANDED

    def inplace(self, *args, **kwargs):
        track = state.enabled and (self._tracks_inplace() or any(getattr(a, "_requires_grad", False) for a in args))
        if track:
            check_inplace(self)
        check_overlap(self, *args, *kwargs.values())
        if track:
            # the op may save `self` for backward, and the write below would change it: like torch,
            # the graph keeps the value from before the write
            return self._inplace_assign(fn(_snapshot(self), *args, **kwargs), expanded_ok)
        return self._inplace_assign(fn(self, *args, **kwargs), expanded_ok)

    inplace.__name__ = inplace.__qualname__ = fn.__name__ + "_"
    inplace.__wrapped__ = fn  # its signature is the op's (inspect.signature, help())
    return inplace


def _checked(fn, name):
    """ember.<name> for a function put in FUNCTIONS directly (an alias, an ATen spelling, torch.abs_): the checks
    torch_api's surface makes (NumPy's keyword names, `input` a Tensor, an unknown keyword named as `name`'s)."""
    params = _parameters(fn)
    takes_any = bool(inspect.unwrap(fn).__code__.co_flags & inspect.CO_VARKEYWORDS)
    aliases = _numpy_aliases(name, params)
    check_input = _input_check(name, params)

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if kwargs:
            if aliases and not aliases.keys().isdisjoint(kwargs):
                kwargs = _renamed_keywords(name, kwargs, aliases)
            unknown = None if takes_any else next((k for k in kwargs if k not in params), None)
            if unknown is not None:
                raise TypeError(f"{name}() got an unexpected keyword argument '{unknown}'")
        if check_input is not None:
            check_input(args, kwargs)
        return fn(*args, **kwargs)

    _SURFACE[op] = (fn, name, _checked)
    return op


def finish_surfaces():
    """Give every function in FUNCTIONS torch's argument checks under its own name: op families and aliases also
    fill the table directly, not only through torch_api."""
    for name, fn in list(FUNCTIONS.items()):
        made = _SURFACE.get(fn)
        if made is not None:
            op, checked_as, maker = made
            if checked_as != name:  # an alias of another name's function: its messages name the alias
                FUNCTIONS[name] = maker(op, name)
        elif inspect.isfunction(inspect.unwrap(fn)):
            FUNCTIONS[name] = _checked(fn, name)


def torch_api(name=None, *, function=True, method=True, inplace=False, aliases=()):
    def register(fn):
        _public_name(fn, name or fn.__name__)
        params = _parameters(fn)
        for n in (name or fn.__name__,) + tuple(aliases):
            if function:
                FUNCTIONS[n] = _function(fn, n)
            if method:
                METHODS[n] = _with_numpy_keywords(fn, n, params[1:])
            if inplace:
                METHODS[n + "_"] = _inplace_variant(_with_numpy_keywords(fn, n, params[1:]), n)
        return fn

    return register


@replayed_as_one_call  # a copy made outside an op: a compiled replay copies again
def _snapshot(tensor):
    """A copy of the tensor's current value that stands for it in the graph (same grad_fn)."""
    copy = type(tensor)._make(tensor._data.copy(), tensor._requires_grad)
    copy._grad_fn, copy._output_nr = tensor.grad_fn, tensor._output_nr
    return copy


def named(tensor, node_name):
    """Give a composed op's output torch's grad_fn name (users and tests read `grad_fn`)."""
    if tensor.grad_fn is not None:
        rename(tensor.grad_fn, node_name)
    return tensor


def install_methods(tensor_cls):
    """Put the registry's methods on Tensor, never over a method Tensor defines itself."""
    for name, fn in METHODS.items():
        if name not in tensor_cls.__dict__:
            setattr(tensor_cls, name, fn)
