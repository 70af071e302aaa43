"""Soak: many train / eval / save / load cycles of a small CNN+BN+LSTM model must keep memory flat.

A scaled-down "30-minute" run: after a warm-up, Python-heap memory (allocator blocks; tracemalloc in the
slow run), resident memory and the numbers of gc-tracked objects and live ember Tensors are sampled
across the cycles: no growth trend, and the last third within a small bound of the first third.
Separately, one step's graph (and a save/load round) must be freed by reference counting alone: no
reference cycles waiting for the garbage collector. Run with `-s` to see the numbers.
"""

import gc
import io
import os
import resource
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F


class SoakNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.1)
        self.lstm = nn.LSTM(4 * 4, 8, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):  # x: (N, 1, T=8, 4) -> rows of the image are time steps
        h = self.drop(F.relu(self.bn(self.conv(x))))
        h = h.permute(0, 2, 1, 3).flatten(2)  # (N, T, 16)
        out, _ = self.lstm(h)
        return self.fc(out[:, -1])


def _setup():
    ember.manual_seed(0)
    model = SoakNet()
    optimizer = ember.optim.Adam(model.parameters(), lr=1e-3)
    x, y = ember.randn(8, 1, 8, 4), ember.randint(0, 3, (8,))
    return model, optimizer, x, y


def cycle(model, optimizer, x, y):
    model.train()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    model.eval()
    with ember.no_grad():
        model(x)
    buffer = io.BytesIO()
    ember.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
    buffer.seek(0)
    state = ember.load(buffer)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return float(loss)


def _rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # peak, where statm is missing


def _live_objects():
    objects = gc.get_objects()
    return len(objects), sum(1 for o in objects if issubclass(type(o), ember.Tensor))


def soak(cycles, warmup=150, every=5, trace=False):
    """Run warm-up cycles (caches and allocator free lists fill up), then sample memory every `every` cycles.

    The Python heap is measured as live allocator blocks (sys.getallocatedblocks, free of overhead) and, with
    trace=True, as tracemalloc's traced bytes; tracemalloc then runs from before the warm-up, because blocks
    that refill the free lists after it starts look like growth, and it slows each step several times.
    """
    model, optimizer, x, y = _setup()
    if trace:
        tracemalloc.start()
    try:
        for _ in range(warmup):
            cycle(model, optimizer, x, y)
        samples = []
        for i in range(cycles):
            loss = cycle(model, optimizer, x, y)
            if i % every == 0:
                gc.collect()
                traced = tracemalloc.get_traced_memory()[0] if trace else 0
                samples.append((sys.getallocatedblocks(), traced, _rss_bytes(), *_live_objects()))
    finally:
        tracemalloc.stop()
    assert np.isfinite(loss)
    series = dict(
        zip(
            ("blocks", "traced", "rss", "objects", "tensors"),
            (np.array(column, dtype=np.float64) for column in zip(*samples)),
        )
    )
    third = len(samples) // 3
    report = {name: (values[:third].mean(), values[-third:].mean()) for name, values in series.items()}
    # the trend is the median step between samples: a one-off step (NumPy grows an internal table of about
    # 1 MB once, after ~20000 `__array_interface__` calls) is ignored, a per-cycle leak is not
    report["trend"] = {name: float(np.median(np.diff(series[name]))) / every for name in ("blocks", "traced")}
    print(
        f"\nsoak {cycles} cycles after {warmup} warm-up: allocated blocks {report['blocks'][0]:.0f} -> "
        f"{report['blocks'][1]:.0f} (median trend {report['trend']['blocks']:.2f}/cycle), "
        + (
            f"tracemalloc {report['traced'][0] / 1e3:.1f} -> {report['traced'][1] / 1e3:.1f} kB (median trend "
            f"{report['trend']['traced']:.1f} B/cycle), "
            if trace
            else ""
        )
        + f"RSS {report['rss'][0] / 1e6:.1f} -> {report['rss'][1] / 1e6:.1f} MB, "
        f"gc objects {report['objects'][0]:.0f} -> {report['objects'][1]:.0f}, "
        f"live tensors {report['tensors'][0]:.0f} -> {report['tensors'][1]:.0f}"
    )
    return report


def _assert_flat(report):
    blocks_first, blocks_last = report["blocks"]
    # ember alone settles at ~0 blocks/cycle; with torch imported in the process about 1/cycle remains
    # (non-container objects: gc and Tensor counts stay exact). One leaked tensor costs >= 3 blocks.
    assert report["trend"]["blocks"] < 2 and blocks_last - blocks_first < 300, (
        f"Python heap grows: {blocks_first:.0f} -> {blocks_last:.0f} blocks, {report['trend']['blocks']}/cycle"
    )
    assert report["trend"]["traced"] < 50, f"tracemalloc: heap grows {report['trend']['traced']:.0f} B/cycle"
    tensors_first, tensors_last = report["tensors"]
    assert tensors_last <= tensors_first, f"live ember Tensors grow: {tensors_first} -> {tensors_last}"
    objects_first, objects_last = report["objects"]
    assert objects_last - objects_first < 50, f"gc-tracked objects grow: {objects_first} -> {objects_last}"
    rss_first, rss_last = report["rss"]
    assert rss_last - rss_first < 16e6, f"RSS grows: {rss_first / 1e6:.1f} -> {rss_last / 1e6:.1f} MB"


def test_soak_memory_is_flat():
    _assert_flat(soak(cycles=90))


@pytest.mark.slow
def test_long_soak_memory_is_flat():
    _assert_flat(soak(cycles=600, warmup=300, every=20, trace=True))


def test_a_training_step_frees_its_graph_without_the_garbage_collector():
    model, optimizer, x, y = _setup()
    cycle(model, optimizer, x, y)  # optimizer state exists from here on
    gc.collect()
    gc.disable()
    try:
        model.train()
        out = model(x)
        loss = F.cross_entropy(out, y)
        watched = [weakref.ref(out), weakref.ref(loss), weakref.ref(loss.grad_fn)]
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        del out, loss
        alive = [w() for w in watched if w() is not None]
        assert not alive, f"still alive after backward without gc: {alive}"
        for _ in range(3):
            cycle(model, optimizer, x, y)
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert unreachable == 0, f"{unreachable} objects in reference cycles after 3 train/eval/save/load cycles"


def test_retained_graph_is_freed_once_dropped():
    x = ember.randn(16, 16, requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        y = (x @ x).tanh().sum()
        watched = weakref.ref(y.grad_fn)
        y.backward(retain_graph=True)
        y.backward()
        del y
        assert watched() is None
    finally:
        gc.enable()


@pytest.mark.slow
def test_lstm_time_per_step_does_not_drift_over_5000_steps():
    """The LSTM workload for 5,000 steps, ember and torch in turns (ember/bench/soak.py): the CPU time ember's
    process spends per step stays flat, as does its memory, and no parameter or gradient turns subnormal.
    Wall time is reported but not judged: on a shared machine it follows the load, for torch as much."""
    from ember.bench import soak as bench_soak

    rows = bench_soak.soak("lstm", steps=5000, window=250, frameworks=("ember", "torch"), threads=1)
    assert bench_soak.drift(rows, "ember", "cpu_ms") < 1.25
    assert bench_soak.drift(rows, "ember", "rss_mb") < 1.05
    assert max(r["subnormal"] for r in rows if r["framework"] == "ember") == 0
