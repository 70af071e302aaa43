"""A rank that exits, leaves or skips a collective makes the others raise instead of waiting forever, and
`ember run` forwards SIGINT/SIGTERM to its ranks and leaves no process behind (2 real MPI ranks)."""

import datetime
import json
import os
import selectors
import signal
import subprocess
import sys
import time

import pytest

import ember.distributed as dist

pytest.importorskip("mpi4py")
from test_ddp import HERE, REPO, ember_run


@pytest.mark.parametrize(
    "mode, says",
    [
        ("exit1", "rank 1 left the process group"),
        ("exit0", "rank 1 left the process group"),
        ("destroy", "rank 1 left the process group"),
        ("skip", "Timed out after 2 s waiting for all_reduce (collective #2) to complete"),
    ],
)
def test_the_other_rank_raises_and_ember_run_fails(tmp_path, mode, says):
    rc, output, elapsed = ember_run("failures.py", tmp_path, mode, timeout=90)
    assert rc != 0, output
    assert elapsed < 30, f"took {elapsed:.1f} s:\n{output}"
    with open(tmp_path / "rank0.json") as f:
        raised = json.load(f)
    assert (raised["type"], raised["runtime_error"], raised["dist_error"]) == ("DistBackendError", True, True)
    assert raised["message"].startswith("[Rank 0] ") and says in raised["message"], raised["message"]
    # a rank that left is noticed at once (within the grace for collectives in flight), a silent one at the timeout
    assert (1.9 if mode == "skip" else 0) < raised["after"] < 10, raised
    assert "the process group failed before" in raised["next"]  # no later collective waits either
    assert "DistBackendError" in output  # the uncaught error, printed on its way out


def _children(pid):
    """Direct children of a process, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid):
    """Running (a zombie waiting for a parent that doesn't reap it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process trees from /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_ember_run_ends_every_rank(tmp_path, signum):
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])), OMP_NUM_THREADS="1"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ember",
            "run",
            "--nproc",
            "2",
            os.path.join(HERE, "failures.py"),
            str(tmp_path),
            "sleep",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
        bufsize=0,
    )  # unbuffered: select() sees every line
    ranks, output = {}, b""
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + 60
            while len(ranks) < 2 and time.monotonic() < deadline and selector.select(deadline - time.monotonic()):
                line = proc.stdout.readline()
                output += line
                if line.startswith(b"ready"):
                    _, rank, pid = line.split()
                    ranks[int(rank)] = int(pid)
        assert len(ranks) == 2, output.decode()
        launchers = _children(proc.pid)
        assert launchers and all(map(_alive, launchers))
        proc.send_signal(signum)
        rc = proc.wait(timeout=20)
        assert rc != 0
        deadline = time.monotonic() + 5
        while any(map(_alive, [*ranks.values(), *launchers])) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in [*ranks.values(), *launchers] if _alive(pid)]
        assert not left, f"still running after ember run ended: {left}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in ranks.values():
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait()


def test_timeout_must_be_a_timedelta_as_torch():
    torch_dist = pytest.importorskip("torch.distributed")
    for d in (dist, torch_dist):
        with pytest.raises(TypeError, match="^Expected timeout argument to be of type datetime.timedelta, got 5$"):
            d.init_process_group("gloo", timeout=5)
    assert not dist.is_initialized()
    assert dist.default_pg_timeout == torch_dist.default_pg_timeout == datetime.timedelta(minutes=30)
    assert issubclass(dist.DistBackendError, dist.DistError) and issubclass(dist.DistError, RuntimeError)
    assert [c.__name__ for c in dist.DistBackendError.__mro__[:3]] == [
        c.__name__ for c in torch_dist.DistBackendError.__mro__[:3]
    ]
