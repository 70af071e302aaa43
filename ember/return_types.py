"""torch.return_types: the structseqs that ops return (max's values/indices, linalg.eigh's eigenvalues/eigenvectors,
...), as torch's: tuples with named fields, n_fields, constructed from a sequence, printed and pickled as torch's."""

# torch's public return types and their fields (each also has an `<name>_out` twin, the type of the out= result)
FIELDS = {
    "aminmax": ("min", "max"),
    "cummax": ("values", "indices"),
    "cummin": ("values", "indices"),
    "frexp": ("mantissa", "exponent"),
    "geqrf": ("a", "tau"),
    "histogram": ("hist", "bin_edges"),
    "histogramdd": ("hist", "bin_edges"),
    "kthvalue": ("values", "indices"),
    "linalg_cholesky_ex": ("L", "info"),
    "linalg_eig": ("eigenvalues", "eigenvectors"),
    "linalg_eigh": ("eigenvalues", "eigenvectors"),
    "linalg_inv_ex": ("inverse", "info"),
    "linalg_ldl_factor": ("LD", "pivots"),
    "linalg_ldl_factor_ex": ("LD", "pivots", "info"),
    "linalg_lstsq": ("solution", "residuals", "rank", "singular_values"),
    "linalg_lu": ("P", "L", "U"),
    "linalg_lu_factor": ("LU", "pivots"),
    "linalg_lu_factor_ex": ("LU", "pivots", "info"),
    "linalg_qr": ("Q", "R"),
    "linalg_slogdet": ("sign", "logabsdet"),
    "linalg_solve_ex": ("result", "info"),
    "linalg_svd": ("U", "S", "Vh"),
    "lu_unpack": ("P", "L", "U"),
    "max": ("values", "indices"),
    "median": ("values", "indices"),
    "min": ("values", "indices"),
    "mode": ("values", "indices"),
    "nanmedian": ("values", "indices"),
    "qr": ("Q", "R"),
    "slogdet": ("sign", "logabsdet"),
    "sort": ("values", "indices"),
    "svd": ("U", "S", "V"),
    "topk": ("values", "indices"),
    "triangular_solve": ("solution", "cloned_coefficient"),
}


class _StructSeq(tuple):
    """A torch structseq: `cls(sequence)` as torch's constructor; ember's ops also call `cls(a, b, ...)`."""

    __slots__ = ()
    _fields = ()

    def __new__(cls, *args):
        n = len(cls._fields)
        if len(args) == 1 or len(args) == 2 and isinstance(args[1], dict):
            try:
                items = tuple(args[0])
            except TypeError:
                raise TypeError("constructor requires a sequence") from None
        else:
            items = args
        if len(items) != n:
            raise TypeError(f"torch.return_types.{cls.__name__}() takes a {n}-sequence ({len(items)}-sequence given)")
        return tuple.__new__(cls, items)

    def __repr__(self):
        fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{fields})"

    def __reduce__(self):
        return type(self), (tuple(self),)


def _field(i):
    return property(lambda self: tuple.__getitem__(self, i))


def _make_type(name, fields):
    attrs = {
        "__slots__": (),
        "_fields": fields,
        "__match_args__": fields,
        "n_fields": len(fields),
        "n_sequence_fields": len(fields),
        "n_unnamed_fields": 0,
        "__module__": __name__,
        "__qualname__": name,
    }
    attrs.update({f: _field(i) for i, f in enumerate(fields)})
    return type(name, (_StructSeq,), attrs)


for _name, _fields in FIELDS.items():
    globals()[_name] = _make_type(_name, _fields)
    globals()[_name + "_out"] = _make_type(_name + "_out", _fields)
del _name, _fields


def return_type(name, fields):
    """The structseq torch.return_types.<name> (made once and kept here, so that it pickles)."""
    cls = globals().get(name)
    if cls is None:
        cls = globals()[name] = _make_type(name, tuple(fields))
    elif cls._fields != tuple(fields):
        raise ValueError(f"return_types.{name} has fields {cls._fields}, not {tuple(fields)}")
    return cls
