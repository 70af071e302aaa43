"""torch.return_types: the named tuples that ops return (max's values/indices, linalg.eigh's
eigenvalues/eigenvectors, ...), printed as torch prints them."""
import collections


def _repr(self):
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"torch.return_types.{type(self).__name__}(\n{fields})"


def return_type(name, fields):
    """The named tuple torch.return_types.<name>, made once and kept here (so that it pickles)."""
    cls = globals().get(name)
    if cls is None:
        cls = collections.namedtuple(name, fields, module=__name__)
        cls.__repr__ = _repr
        globals()[name] = cls
    return cls
