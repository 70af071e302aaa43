"""torch's other spellings of ops defined elsewhere: alias names, the in-place variants torch has for the
comparisons and logical ops, Tensor methods of functions, and the torch.* functions of in-place methods
(torch.relu_, torch.abs_, ...). Loaded after every op family, so each target exists."""

from ._registry import FUNCTIONS, METHODS, _inplace_variant, torch_api
from .._tensor import Tensor

# alias -> the op it names (every surface the target has: function, method, in-place method)
ALIASES = {
    "arccosh": "acosh",
    "arcsinh": "asinh",
    "arctanh": "atanh",
    "arccos": "acos",
    "arcsin": "asin",
    "arctan": "atan",
    "fix": "trunc",
    "row_stack": "vstack",
}

# out-of-place ops whose in-place method torch has (self takes the result, cast to self's dtype)
INPLACE_OF = (
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
)

# functions that torch also has as Tensor methods
METHOD_OF = ("aminmax", "bernoulli")

# in-place methods that torch also has as torch.* functions
FUNCTION_OF = (
    "abs_",
    "acos_",
    "acosh_",
    "addmv_",
    "arccos_",
    "arccosh_",
    "arcsin_",
    "arcsinh_",
    "arctan_",
    "arctanh_",
    "asin_",
    "asinh_",
    "atan_",
    "atanh_",
    "ceil_",
    "clamp_",
    "clamp_max_",
    "clamp_min_",
    "clip_",
    "cos_",
    "cosh_",
    "deg2rad_",
    "erf_",
    "erfc_",
    "exp2_",
    "exp_",
    "expm1_",
    "fix_",
    "floor_",
    "frac_",
    "gcd_",
    "i0_",
    "index_put_",
    "lcm_",
    "ldexp_",
    "log10_",
    "log1p_",
    "log2_",
    "log_",
    "logit_",
    "nan_to_num_",
    "neg_",
    "negative_",
    "rad2deg_",
    "reciprocal_",
    "relu_",
    "resize_as_",
    "round_",
    "rsqrt_",
    "sigmoid_",
    "sin_",
    "sinc_",
    "sinh_",
    "sqrt_",
    "square_",
    "tan_",
    "tanh_",
    "trunc_",
    "xlogy_",
    "zero_",
    "fill_",
    "detach",
    "detach_",
    "conj_physical_",
    "get_device",
    "is_same_size",
    "is_signed",
    "is_distributed",
    "put",
    "index_reduce",
    "isreal",
    "positive",
    "narrow_copy",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "frexp",
    "copysign",
    "gcd",
    "lcm",
    "ldexp",
    "nextafter",
    "heaviside",
    "logaddexp2",
    "deg2rad",
    "rad2deg",
    "hsplit",
    "vsplit",
    "dsplit",
    "nanquantile",
    "select_scatter",
    "slice_scatter",
    "diagonal_scatter",
    "as_strided_scatter",
    "as_strided_",
    "nonzero_static",
)


def swapaxes(input, axis0, axis1):
    return FUNCTIONS["transpose"].__wrapped__(input, axis0, axis1)


def true_divide(input, other):
    return FUNCTIONS["div"].__wrapped__(input, other)


def true_divide_method(self, other):
    return FUNCTIONS["div"].__wrapped__(self, other)


def vdot(input, other):
    """The dot product with input conjugated (dot does not conjugate)."""
    return FUNCTIONS["dot"].__wrapped__(input.conj() if input.is_complex() else input, other)


def where_method(self, condition, other):
    """Tensor.where(condition, other) is torch.where(condition, self, other)."""
    return FUNCTIONS["where"].__wrapped__(condition, self, other)


# ops whose torch signature differs from the op they are spelled with (argument names, or the method's order)
OWN_SIGNATURES = {"swapaxes": swapaxes, "vdot": vdot}


def install():
    for name, fn in OWN_SIGNATURES.items():
        torch_api(name)(fn)
    torch_api("true_divide", method=False)(true_divide)
    torch_api("true_divide", function=False, inplace=True)(true_divide_method)
    METHODS["where"] = where_method
    for alias, target in ALIASES.items():
        for table, suffix in ((FUNCTIONS, ""), (METHODS, ""), (METHODS, "_")):
            if target + suffix in table and alias + suffix not in table:
                table[alias + suffix] = table[target + suffix]
    for name in INPLACE_OF:
        METHODS.setdefault(name + "_", _inplace_variant(METHODS[name], name))
    for name in METHOD_OF:
        METHODS.setdefault(name, FUNCTIONS[name].__wrapped__)
    for name in FUNCTION_OF:
        if name not in FUNCTIONS:
            FUNCTIONS[name] = METHODS[name] if name in METHODS else _method_of_tensor(name)


def _method_of_tensor(name):
    """torch.<name>(input, ...) for a method defined on Tensor itself (get_device, is_signed, ...)."""

    method = getattr(Tensor, name)

    def function(input, *args, **kwargs):
        return method(input, *args, **kwargs)

    function.__name__ = name
    function.__wrapped__ = method
    return function
