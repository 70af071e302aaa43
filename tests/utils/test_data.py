"""ember.utils.data in the main process: datasets, samplers, collation and DataLoader arguments, against
torch.utils.data where the result is deterministic."""

import collections
import math

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)
from oracle import to_numpy

torch = pytest.importorskip("torch")


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_generic_like_torch():
    class Typed(Dataset[int]):
        def __getitem__(self, i):
            return i

    assert Typed()[2] == 2
    with pytest.raises(TypeError, match="abstract"):
        IterableDataset()


def test_importable_both_ways():
    import ember.utils.data as data

    assert data.DataLoader is DataLoader
    assert ember.utils.data.TensorDataset is TensorDataset


# --- datasets -----------------------------------------------------------------------------------------


def test_tensor_dataset_rows_and_size_mismatch():
    x, y = ember.arange(12.0).reshape(4, 3), ember.arange(4)
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    row, label = ds[2]
    assert row.tolist() == [6.0, 7.0, 8.0] and label.item() == 2
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, ember.arange(5))


def test_concat_subset_chain_stack():
    cat = Squares(3) + Squares(4)
    assert isinstance(cat, ConcatDataset) and len(cat) == 7
    assert [cat[i] for i in range(7)] == [0, 1, 4, 0, 1, 4, 9]
    assert cat[-1] == 9 and cat.cumulative_sizes == [3, 7]
    with pytest.raises(ValueError, match="absolute value of index"):
        cat[-8]
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Count(2)])
    sub = Subset(Squares(10), [9, 2, 5])
    assert [sub[i] for i in range(3)] == [81, 4, 25] and sub.__getitems__([0, 2]) == [81, 25]
    chain = Count(2) + Count(3)
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 0, 1, 2] and len(chain) == 5
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([Squares(2)]))
    assert StackDataset(Squares(3), Squares(3))[2] == (4, 4)
    assert StackDataset(a=Squares(3), b=Squares(3))[1] == {"a": 1, "b": 1}
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(Squares(3), Squares(4))


def test_subset_subclass_overriding_getitem_only_is_rejected():
    class Doubled(Subset):
        def __getitem__(self, idx):
            return 2 * super().__getitem__(idx)

    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        Doubled(Squares(3), [0, 1])


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [0.34, 0.33, 0.33]])
def test_random_split_sizes_match_torch_and_parts_are_disjoint(lengths):
    n = 10
    parts = random_split(Squares(n), lengths, generator=ember.Generator().manual_seed(0))
    torch_parts = torch.utils.data.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [len(p) for p in torch_parts]
    indices = [i for p in parts for i in p.indices]
    assert sorted(indices) == list(range(n))
    again = random_split(Squares(n), lengths, generator=ember.Generator().manual_seed(0))
    assert [p.indices for p in again] == [p.indices for p in parts]


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(Squares(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(Squares(10), [0.5, 1.5, -1.0])
    with pytest.warns(UserWarning, match="Length of split at index [12] is 0"):
        random_split(Squares(2), [0.9, 0.05, 0.05])


# --- samplers -----------------------------------------------------------------------------------------


def test_sequential_and_batch_sampler_match_torch():
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True)]:
        ours = list(BatchSampler(SequentialSampler(range(n)), bs, drop))
        theirs = list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), bs, drop))
        assert ours == theirs
        assert len(BatchSampler(SequentialSampler(range(n)), bs, drop)) == len(theirs)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)


def test_random_sampler_permutation_determinism_and_replacement():
    perm = list(RandomSampler(range(20), generator=ember.Generator().manual_seed(0)))
    assert sorted(perm) == list(range(20)) and perm != list(range(20))
    assert perm == list(RandomSampler(range(20), generator=ember.Generator().manual_seed(0)))
    ember.manual_seed(3)
    first = list(RandomSampler(range(20)))
    ember.manual_seed(3)
    assert list(RandomSampler(range(20))) == first
    longer = list(RandomSampler(range(5), num_samples=12, generator=ember.Generator().manual_seed(1)))
    assert len(longer) == 12 and sorted(longer[:5]) == list(range(5)) and sorted(longer[5:10]) == list(range(5))
    drawn = list(RandomSampler(range(4), replacement=True, num_samples=200))
    assert len(drawn) == 200 and set(drawn) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)


def test_subset_random_sampler():
    idx = [10, 20, 30, 40]
    out = list(SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(0)))
    assert sorted(out) == idx and len(SubsetRandomSampler(idx)) == 4


def test_weighted_random_sampler_distribution():
    weights = [0.1, 0.0, 0.6, 0.3]
    draws = list(WeightedRandomSampler(weights, 20000, generator=ember.Generator().manual_seed(0)))
    freq = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(freq, weights, atol=0.015)
    no_repeat = list(WeightedRandomSampler([1, 1, 1, 5], 4, replacement=False))
    assert sorted(no_repeat) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0, 2.0]], 2)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0], True)


@pytest.mark.parametrize(
    "n,replicas,drop_last", [(10, 3, False), (10, 3, True), (12, 4, False), (2, 5, False), (11, 4, True), (7, 1, False)]
)
def test_distributed_sampler_matches_torch_without_shuffle(n, replicas, drop_last):
    for rank in range(replicas):
        for epoch in (0, 3):
            ours = DistributedSampler(range(n), replicas, rank, shuffle=False, seed=5, drop_last=drop_last)
            theirs = torch.utils.data.DistributedSampler(
                range(n), replicas, rank, shuffle=False, seed=5, drop_last=drop_last
            )
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)
            assert len(ours) == len(theirs) and ours.total_size == theirs.total_size


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (2, 5, False)])
def test_distributed_sampler_shuffled_split_structure(n, replicas, drop_last):
    def shards(epoch, seed=0):
        out = []
        for rank in range(replicas):
            s = DistributedSampler(range(n), replicas, rank, shuffle=True, seed=seed, drop_last=drop_last)
            s.set_epoch(epoch)
            out.append(list(s))
        return out

    parts = shards(0)
    num_samples = len(DistributedSampler(range(n), replicas, 0, drop_last=drop_last))
    assert all(len(p) == num_samples for p in parts)
    flat = [i for p in parts for i in p]
    if drop_last:
        assert len(set(flat)) == len(flat) == num_samples * replicas  # disjoint, the remainder dropped
    else:
        assert set(flat) == set(range(n))  # covering; padding repeats indices only when n % replicas != 0
        assert len(flat) == math.ceil(n / replicas) * replicas
        counts = collections.Counter(flat)
        assert sum(c - 1 for c in counts.values()) == len(flat) - n
    assert shards(0) == parts
    if n >= 10:  # the permutation changes with epoch and seed (a tiny dataset may repeat one by chance)
        assert shards(1) != parts and shards(0, seed=1) != parts


def test_distributed_sampler_asks_the_process_group(monkeypatch):
    dist = pytest.importorskip("ember.distributed")
    monkeypatch.setattr(dist, "is_available", lambda: True)
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_world_size", lambda group=None: 4)
    monkeypatch.setattr(dist, "get_rank", lambda group=None: 1)
    sampler = DistributedSampler(range(10), shuffle=False)
    assert (sampler.num_replicas, sampler.rank, list(sampler)) == (4, 1, [1, 5, 9])


def test_distributed_sampler_needs_replicas_and_rank_without_process_group(monkeypatch):
    import importlib.util

    if importlib.util.find_spec("ember.distributed") is not None:  # another test may have initialised it
        import ember.distributed

        monkeypatch.setattr(ember.distributed, "is_initialized", lambda: False)
    with pytest.raises(RuntimeError, match="num_replicas"):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(4), num_replicas=3, rank=3)


# --- collation ----------------------------------------------------------------------------------------

Point = collections.namedtuple("Point", ["x", "y"])


def _ember_to_torch_structure(out):
    """Compare structures: dicts by keys, namedtuples by type name, lists by length, tensors by value+dtype."""
    if isinstance(out, dict):
        return {k: _ember_to_torch_structure(v) for k, v in out.items()}
    if isinstance(out, tuple) and hasattr(out, "_fields"):
        return (type(out).__name__, [_ember_to_torch_structure(v) for v in out])
    if isinstance(out, (list, tuple)):
        return (type(out).__name__, [_ember_to_torch_structure(v) for v in out])
    if isinstance(out, (ember.Tensor, torch.Tensor)):
        arr = to_numpy(out)
        return ("tensor", arr.dtype.str, arr.shape, arr.tolist())
    return out


def _batches(T):
    """Sample lists of each kind default_collate handles, built with the given tensor module."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3)]
    return {
        "tensors": [T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])],
        "int_tensors": [T.tensor(3), T.tensor(4)],
        "ints": [1, 2, 3],
        "floats": [1.5, 2.0],
        "bools": [True, False],
        "strings": ["a", "bc"],
        "numpy_arrays": arrays,
        "numpy_float64_scalars": [np.float64(1.5), np.float64(2.5)],
        "numpy_int32_scalars": [np.int32(1), np.int32(7)],
        "numpy_uint8_arrays": [np.array([1, 2], np.uint8), np.array([3, 4], np.uint8)],
        "tuples": [(T.tensor([1.0]), 1, "a"), (T.tensor([2.0]), 2, "b")],
        "lists": [[1, 2.5], [3, 4.5]],
        "dicts": [{"img": arrays[0], "label": 1, "name": "x"}, {"img": arrays[1], "label": 0, "name": "y"}],
        "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
        "nested": [{"a": [(1, 2.0)], "b": {"c": np.float32(1)}}, {"a": [(3, 4.0)], "b": {"c": np.float32(2)}}],
    }


@pytest.mark.parametrize("kind", list(_batches(ember)))
def test_default_collate_matches_torch(kind):
    ours = default_collate(_batches(ember)[kind])
    theirs = torch.utils.data.default_collate(_batches(torch)[kind])
    assert _ember_to_torch_structure(ours) == _ember_to_torch_structure(theirs)


@pytest.mark.parametrize(
    "sample",
    [np.arange(3), np.float64(2.5), (np.arange(2), "s"), {"k": [np.int32(3), 1]}, Point(np.ones(2), 1), "text"],
)
def test_default_convert_matches_torch(sample):
    assert _ember_to_torch_structure(default_convert(sample)) == _ember_to_torch_structure(
        torch.utils.data.default_convert(sample)
    )


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(
        RuntimeError,
        match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
        r"and \[3\] at entry 1",
    ):
        default_collate([ember.zeros(2), ember.zeros(3)])
    with pytest.raises(
        TypeError,
        match="default_collate: batch must contain tensors, numpy arrays, numbers, "
        "dicts or lists; found <class 'object'>",
    ):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


# --- DataLoader (main process) ------------------------------------------------------------------------


def _flat(loader):
    return [v for batch in loader for v in batch.tolist()]


def test_loader_batches_len_and_drop_last():
    ds = TensorDataset(ember.arange(10.0).reshape(10, 1), ember.arange(10))
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 1) and batches[0][1].dtype == ember.int64
    assert len(DataLoader(ds, batch_size=4)) == 3 and len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [b[1].tolist() for b in DataLoader(ds, batch_size=4, drop_last=True)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    first = next(iter(DataLoader(ds, batch_size=2)))
    assert first[1].tolist() == [0, 1]
    assert list(DataLoader(Squares(3), batch_size=None)) == [0, 1, 4]  # no auto-batching: default_convert


def test_loader_shuffle_determinism():
    ds = Squares(30)
    a = _flat(DataLoader(ds, batch_size=4, shuffle=True, generator=ember.Generator().manual_seed(0)))
    b = _flat(DataLoader(ds, batch_size=4, shuffle=True, generator=ember.Generator().manual_seed(0)))
    assert a == b and sorted(a) == sorted(i * i for i in range(30)) and a != sorted(a)
    ember.manual_seed(7)
    c = _flat(DataLoader(ds, batch_size=4, shuffle=True))
    ember.manual_seed(7)
    assert _flat(DataLoader(ds, batch_size=4, shuffle=True)) == c
    loader = DataLoader(ds, batch_size=4, shuffle=True, generator=ember.Generator().manual_seed(0))
    assert _flat(loader) != _flat(loader)  # a new permutation each epoch


def test_loader_custom_sampler_batch_sampler_and_collate():
    ds = Squares(6)
    assert _flat(DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 2, 1, 0])) == [25, 16, 9, 4, 1, 0]
    loader = DataLoader(ds, batch_sampler=[[0, 5], [1]])
    assert [b.tolist() for b in loader] == [[0, 25], [1]] and len(loader) == 2
    assert list(DataLoader(ds, batch_size=3, collate_fn=sum)) == [5, 50]


def test_loader_iterable_dataset():
    loader = DataLoader(Count(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    assert [b.tolist() for b in DataLoader(Count(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Count(7), batch_size=3, drop_last=True)) == 2


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        (dict(num_workers=-1), ValueError, "num_workers option should be non-negative"),
        (dict(timeout=-1), ValueError, "timeout option should be non-negative"),
        (dict(prefetch_factor=2), ValueError, "prefetch_factor option could only be specified in multiprocessing"),
        (dict(num_workers=1, prefetch_factor=-1), ValueError, "prefetch_factor option should be non-negative"),
        (dict(persistent_workers=True), ValueError, "persistent_workers option needs num_workers > 0"),
        (dict(sampler=[0, 1], shuffle=True), ValueError, "sampler option is mutually exclusive with shuffle"),
        (
            dict(batch_sampler=[[0]], batch_size=2),
            ValueError,
            "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last",
        ),
        (dict(batch_sampler=[[0]], shuffle=True), ValueError, "batch_sampler option is mutually exclusive"),
        (dict(batch_sampler=[[0]], sampler=[0]), ValueError, "batch_sampler option is mutually exclusive"),
        (dict(batch_sampler=[[0]], drop_last=True), ValueError, "batch_sampler option is mutually exclusive"),
        (dict(batch_size=None, drop_last=True), ValueError, "batch_size=None option disables auto-batching"),
        (
            dict(multiprocessing_context="fork"),
            ValueError,
            "multiprocessing_context can only be used with multi-process loading",
        ),
        (dict(num_workers=1, multiprocessing_context="nope"), ValueError, "should specify a valid start method"),
        (dict(num_workers=1, multiprocessing_context=3), TypeError, "should be a valid context object"),
    ],
)
def test_loader_argument_errors_match_torch(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(Squares(4), **kwargs)
    with pytest.raises(error, match=message):
        torch.utils.data.DataLoader(list(range(4)), **kwargs)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(shuffle=True), "expected unspecified shuffle option, but got shuffle=True"),
        (dict(sampler=[0]), "expected unspecified sampler option"),
        (dict(batch_sampler=[[0]]), "expected unspecified batch_sampler option"),
    ],
)
def test_loader_iterable_dataset_rejects_samplers(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(Count(3), **kwargs)


def test_loader_attributes_frozen_after_init_and_worker_info_none_in_main():
    loader = DataLoader(Squares(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 3
    assert get_worker_info() is None
    with pytest.raises(AssertionError, match="requires timeout == 0"):
        iter(DataLoader(Squares(4), timeout=1))
