"""torch.return_types: every op that returns one of torch's structseqs returns ember's of the same name and
fields, which behaves as torch's: a tuple (indexing, unpacking, len, slicing to a plain tuple), named fields,
n_fields, construction from a sequence, pickling, and the repr torch prints."""

import pickle
import warnings

import numpy as np
import pytest

import ember
from oracle import torch

A = np.array([[1.0, 3.0, 2.0], [4.0, 0.5, 5.0]], dtype=np.float64)

# (name, fn(T, x), whether the values are unique, so that the repr can be compared exactly)
CASES = [
    ("max", lambda T, x: T.max(x, 1), True),
    ("min", lambda T, x: x.min(0), True),
    ("sort", lambda T, x: x.sort(), True),
    ("topk", lambda T, x: x.topk(2), True),
    ("median", lambda T, x: x.median(1), True),
    ("mode", lambda T, x: x.round().mode(), True),
    ("kthvalue", lambda T, x: x.kthvalue(2), True),
    ("cummax", lambda T, x: x.cummax(1), True),
    ("cummin", lambda T, x: T.cummin(x, 0), True),
    ("aminmax", lambda T, x: T.aminmax(x), True),
    ("frexp", lambda T, x: x.frexp(), True),
    ("histogram", lambda T, x: T.histogram(x.flatten(), 3), True),
    ("histogramdd", lambda T, x: T.histogramdd(x.t().contiguous(), [2, 2]), True),
    ("geqrf", lambda T, x: T.geqrf(x), True),
    ("slogdet", lambda T, x: T.slogdet(x[:, :2]), True),
    ("qr", lambda T, x: T.qr(x), True),
    ("svd", lambda T, x: T.svd(x), False),
    ("triangular_solve", lambda T, x: T.triangular_solve(x[:, :2], x[:, 1:].triu()), True),
    ("lu_unpack", lambda T, x: T.lu_unpack(*T.linalg.lu_factor(x[:, :2])), True),
    ("linalg_eigh", lambda T, x: T.linalg.eigh(x[:, :2] @ x[:, :2].T), False),
    ("linalg_slogdet", lambda T, x: T.linalg.slogdet(x[:, :2]), True),
    ("linalg_qr", lambda T, x: T.linalg.qr(x), True),
    ("linalg_lstsq", lambda T, x: T.linalg.lstsq(x[:, :2], x), False),
    ("linalg_inv_ex", lambda T, x: T.linalg.inv_ex(x[:, :2]), True),
    ("linalg_cholesky_ex", lambda T, x: T.linalg.cholesky_ex(x[:, :2] @ x[:, :2].T), True),
    ("linalg_lu_factor", lambda T, x: T.linalg.lu_factor(x[:, :2]), True),
    ("linalg_lu_factor_ex", lambda T, x: T.linalg.lu_factor_ex(x[:, :2]), True),
    ("linalg_lu", lambda T, x: T.linalg.lu(x), True),
    ("linalg_svd", lambda T, x: T.linalg.svd(x), False),
    ("linalg_eig", lambda T, x: T.linalg.eig(x[:, :2]), False),
    ("linalg_solve_ex", lambda T, x: T.linalg.solve_ex(x[:, :2], x), True),
]


def _both(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(ember, ember.tensor(A)), fn(torch, torch.tensor(A))


@pytest.mark.parametrize("name,fn,exact", CASES, ids=[c[0] for c in CASES])
def test_structseq_behaves_as_torchs(name, fn, exact):
    ours, theirs = _both(fn)
    assert type(ours).__name__ == type(theirs).__name__ == name
    assert isinstance(ours, tuple) and len(ours) == len(theirs) == ours.n_fields == theirs.n_fields
    assert ours.__match_args__ == theirs.__match_args__
    assert (ours.n_sequence_fields, ours.n_unnamed_fields) == (theirs.n_sequence_fields, theirs.n_unnamed_fields)
    for i, field in enumerate(theirs.__match_args__):
        assert getattr(ours, field) is ours[i]
    first, *rest = ours
    assert first is ours[0] and len(rest) == len(ours) - 1
    assert type(ours[:1]) is tuple and type(ours + ()) is tuple
    if exact:
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert repr(ours).startswith(f"torch.return_types.{name}(\n{theirs.__match_args__[0]}=")


@pytest.mark.parametrize("name,fn,exact", CASES[:6], ids=[c[0] for c in CASES[:6]])
def test_structseq_pickles_and_is_built_from_a_sequence(name, fn, exact):
    ours, theirs = _both(fn)
    back = pickle.loads(pickle.dumps(ours))
    assert type(back) is type(ours) and all(bool((a == b).all()) for a, b in zip(back, ours))
    for lib_result in (ours, theirs):
        cls = type(lib_result)
        rebuilt = cls(tuple(lib_result))
        assert type(rebuilt) is cls and rebuilt[0] is lib_result[0]
        with pytest.raises(TypeError):
            cls((lib_result[0],))
        with pytest.raises(TypeError, match="constructor requires a sequence"):
            cls(5)


def test_every_torch_return_type_exists_with_its_fields():
    for name in dir(torch.return_types):
        cls = getattr(torch.return_types, name)
        if isinstance(cls, type) and hasattr(cls, "n_fields") and not name.startswith("_"):
            assert getattr(ember.return_types, name).__match_args__ == cls.__match_args__, name


def test_std_mean_and_var_mean_are_plain_tuples_as_torchs():
    for lib in (ember, torch):
        assert type(lib.std_mean(lib.ones(3))) is tuple and type(lib.var_mean(lib.ones(2, 2), 1)) is tuple
