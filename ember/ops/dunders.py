"""Python operators on Tensor, in one explicit table."""

from .elementwise import (
    add,
    sub,
    mul,
    div,
    pow,
    remainder,
    eq,
    ne,
    lt,
    le,
    gt,
    ge,
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    bitwise_not,
    logical_not,
    RsubScalar,
    _operand,
)
from .linalg import matmul
from .index import getitem, setitem


def _reflected(fn):
    return lambda self, other: fn(_operand(other), self)


def _commuted(fn):
    """`2 + x` as torch records it: x.__radd__(2) is add(x, 2), so x stays the node's first input."""
    return lambda self, other: fn(self, _operand(other))


def _rsub(self, other):
    if isinstance(other, (int, float)) and not isinstance(other, bool) and self.is_floating_point():
        return RsubScalar.apply(self, other)  # torch's rsub(x, 2): RsubBackward1
    return sub(_operand(other), self)


def _rtruediv(self, other):
    return mul(self.reciprocal(), _operand(other))  # torch's __rtruediv__: reciprocal, then the product


def _compare(fn):
    def op(self, other):
        if other is None:
            return fn is ne
        return fn(self, other)

    return op


def _inplace(name):
    def op(self, other):
        return getattr(self, name)(other)

    return op


def _invert(self):
    if self.is_floating_point():
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return logical_not(self) if self.dtype.name == "bool" else bitwise_not(self)


DUNDERS = {
    "__add__": add,
    "__radd__": _commuted(add),
    "__iadd__": _inplace("add_"),
    "__sub__": sub,
    "__rsub__": _rsub,
    "__isub__": _inplace("sub_"),
    "__mul__": mul,
    "__rmul__": _commuted(mul),
    "__imul__": _inplace("mul_"),
    "__truediv__": div,
    "__rtruediv__": _rtruediv,
    "__itruediv__": _inplace("div_"),
    "__floordiv__": lambda s, o: div(s, o, rounding_mode="floor"),
    "__rfloordiv__": lambda s, o: div(_operand(o), s, rounding_mode="floor"),
    "__ifloordiv__": lambda s, o: s.div_(o, rounding_mode="floor"),
    "__mod__": remainder,
    "__rmod__": _reflected(remainder),
    "__imod__": _inplace("remainder_"),
    "__pow__": pow,
    "__rpow__": _reflected(pow),
    "__ipow__": _inplace("pow_"),
    "__matmul__": matmul,
    "__rmatmul__": _reflected(matmul),
    "__and__": bitwise_and,
    "__rand__": _reflected(bitwise_and),
    "__iand__": _inplace("bitwise_and_"),
    "__or__": bitwise_or,
    "__ror__": _reflected(bitwise_or),
    "__ior__": _inplace("bitwise_or_"),
    "__xor__": bitwise_xor,
    "__rxor__": _reflected(bitwise_xor),
    "__ixor__": _inplace("bitwise_xor_"),
    "__neg__": lambda s: s.neg(),
    "__pos__": lambda s: s,
    "__abs__": lambda s: s.abs(),
    "__invert__": _invert,
    "__eq__": _compare(eq),
    "__ne__": _compare(ne),
    "__lt__": lt,
    "__le__": le,
    "__gt__": gt,
    "__ge__": ge,
    "__getitem__": getitem,
    "__setitem__": setitem,
}


def install_dunders(tensor_cls):
    from .shape import _T_prop, _mT_prop

    for name, fn in DUNDERS.items():
        setattr(tensor_cls, name, fn)
    tensor_cls.T = property(_T_prop)
    tensor_cls.mT = property(_mT_prop)
    tensor_cls.H = property(_T_prop)
    tensor_cls.__hash__ = object.__hash__
