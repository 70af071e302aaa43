"""DistributedDataParallel against torch's on 2 ranks: the check that every rank wraps the same model, each
argument (works as torch's, or NotImplementedError), unused parameters with and without
find_unused_parameters/static_graph, and the error when a parameter gets no gradient on one rank."""

import math
import pickle
import socket

import pytest

pytest.importorskip("mpi4py")
pytest.importorskip("torch")
from test_ddp import ember_run

SHARED = [
    "count",
    "no_grad_params",
    "two_device_ids",
    "cpu_device_ids",
    "check_reduction",
    "half_of_delay",
    "buffers_default",
    "buffers_not_broadcast",
    "forward_sync_buffers_off",
    "init_sync_off",
    "find_unused",
    "static_graph",
    "unused_everywhere",
    "bucket_view",
    "all_used_default",
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp_checks")
    for framework in ("ember", "torch"):
        # the last scenario breaks the process group on purpose: the exit status doesn't matter, the records do
        ember_run("ddp_checks.py", framework, out, _free_port(), timeout=180)
    result = {}
    for framework in ("ember", "torch"):
        for rank in (0, 1):
            with open(out / f"{framework}.rank{rank}.pkl", "rb") as f:
                result[framework, rank] = pickle.load(f)
    return result


def _same(ours, theirs):
    if isinstance(ours, float) and isinstance(theirs, float):
        return math.isclose(ours, theirs, rel_tol=1e-6, abs_tol=1e-6)
    if isinstance(ours, (list, tuple)) and isinstance(theirs, (list, tuple)):
        return len(ours) == len(theirs) and all(map(_same, ours, theirs))
    return ours == theirs


@pytest.mark.parametrize("rank", [0, 1])
@pytest.mark.parametrize("scenario", SHARED)
def test_as_torch(seen, scenario, rank):
    assert _same(seen["ember", rank][scenario], seen["torch", rank][scenario]), (
        f"ember: {seen['ember', rank][scenario]}\ntorch: {seen['torch', rank][scenario]}"
    )


def test_scenarios_can_tell_the_behaviours_apart(seen):
    """What the comparisons above rest on differs between the scenarios, for torch too."""
    torch0 = seen["torch", 0]
    assert torch0["count"][0][0] == "RuntimeError" and torch0["count"][0][1].startswith(
        "DDP expects same model across all ranks, but Rank 0 has 4 params"
    )
    # b unused on rank 1: averaged with zeros from it; unused on every rank: no gradient at all
    assert torch0["find_unused"][0][2] is not None and torch0["unused_everywhere"][0][2] is None
    assert torch0["find_unused"] != torch0["all_used_default"]
    # buffers and weights: rank 0's everywhere by default, each rank's own without the init sync
    assert seen["torch", 1]["buffers_default"][0] != seen["torch", 1]["init_sync_off"][0]
    # the gradients are views of one bucket
    assert torch0["bucket_view"][2] and seen["ember", 0]["bucket_view"][2]


def test_a_parameter_without_gradient_on_one_rank_raises_torchs_error(seen):
    ours, theirs = seen["ember", 1]["unfinished"], seen["torch", 1]["unfinished"]
    assert ours[:3] == theirs[:3] == (1, "RuntimeError", True)  # at the forward of the second step
    torch_text = theirs[3][: theirs[3].index("\n In addition")]
    assert ours[3].startswith(torch_text) and torch_text.endswith("did not receive grad for rank 1: 2 3")
    assert ours[3].endswith("Parameters which did not receive grad for rank 1: b.weight, b.bias")
    # rank 0 waited in the reduction of b's bucket until rank 1 was gone: torch's gloo says connection closed
    ours, theirs = seen["ember", 0]["unfinished"], seen["torch", 0]["unfinished"]
    assert ours[0] == theirs[0] == 0 and ours[2] and theirs[2]
    assert "Connection closed by peer" in theirs[3]
    assert ours[1] == "DistBackendError" and "Connection closed by peer: rank 1 left the process group" in ours[3]


def test_different_models_name_the_rank_and_parameter(seen):
    # torch 2.13's text for the shape check, on the rank that differs from rank 0
    text = "[{}]: params[0] in this process with sizes {} appears not to match sizes of the same param in process {}."
    assert seen["ember", 1]["shape"][0] == ("RuntimeError", text.format(1, [4, 2], 0))
    assert seen["ember", 0]["shape"][0] == ("RuntimeError", text.format(0, [3, 2], 1))
    assert seen["ember", 1]["dtype"][0][1].startswith(
        "[1]: params[0] in this process with dtype float64 appears "
        "not to match the dtype of the same param in process 0"
    )


def test_arguments_without_machinery_raise_not_implemented(seen):
    *unsupported, half_of_delay, defaults = seen["ember", 0]["unsupported"]
    assert all(kind == "NotImplementedError" for kind, _ in unsupported), unsupported
    assert [message.split("=")[0] for _, message in unsupported] == [
        "DistributedDataParallel(process_group",
        "DistributedDataParallel(mixed_precision",
        "DistributedDataParallel(device_mesh",
        "DistributedDataParallel(skip_all_reduce_unused_params",
        "DistributedDataParallel(bucket_cap_mb_list",
    ]
    assert half_of_delay[0] == "ValueError"  # torch's check comes first
    assert defaults is None  # the world group, a bucket size, batched copies: accepted
