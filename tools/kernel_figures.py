"""What each compiled kernel (ember._kernels, the [fast] extra) buys: the same op timed on ember's NumPy path and
with the kernels, taking turns, plus the first-call costs of numba.

    PYTHONPATH=. python tools/kernel_figures.py              # needs numba
    PYTHONPATH=. python tools/kernel_figures.py --threads 2  # wall time with 2 BLAS threads

With one thread (the default) each case is timed in CPU time (time.process_time), which a busy machine
disturbs less than wall time; the figure is the fastest of several rounds. Results are checked to agree
(bit for bit where the kernel does the NumPy path's arithmetic).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time


def _rounds(cases, clock, rounds=7, calls=5):
    """{name: (numpy ms, kernels ms)}: each case's fastest round on both paths, the paths taking turns."""
    from ember import _kernels

    best = {name: [float("inf"), float("inf")] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            for i, enabled in enumerate((False, True)):
                _kernels.enabled = enabled
                fn()
                started = clock()
                for _ in range(calls):
                    fn()
                best[name][i] = min(best[name][i], (clock() - started) / calls * 1e3)
    _kernels.enabled = True
    return best


def _layer_cases(ember, np):
    F = ember.nn.functional
    rng = np.random.default_rng(0)

    def tensor(*shape, grad=True):
        return ember.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=grad)

    def forward_backward(fn, *inputs):
        def run():
            for t in inputs:
                t.grad = None
            out = fn(*inputs)
            out.backward(ember.ones_like(out))

        return run

    cases = {
        "conv2d LeNet conv2 64x6x14x14 -> 16 k5": forward_backward(
            F.conv2d, tensor(64, 6, 14, 14), tensor(16, 6, 5, 5)
        ),
        "conv2d DCGAN 64x64x16x16 -> 128 k4 s2 p1": forward_backward(
            lambda x, w: F.conv2d(x, w, stride=2, padding=1), tensor(64, 64, 16, 16), tensor(128, 64, 4, 4)
        ),
        "conv_transpose2d DCGAN 64x128x8x8 -> 64 k4 s2 p1": forward_backward(
            lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1), tensor(64, 128, 8, 8), tensor(128, 64, 4, 4)
        ),
        "max_pool2d 3x3 s2 p1 64x64x32x32": forward_backward(
            lambda x: F.max_pool2d(x, 3, 2, 1), tensor(64, 64, 32, 32)
        ),
        "max_pool2d 2x2 64x6x28x28 (NumPy tiles + kernel scatter)": forward_backward(
            lambda x: F.max_pool2d(x, 2), tensor(64, 6, 28, 28)
        ),
    }
    for shape in ((64, 256, 4, 4), (64, 128, 8, 8), (64, 64, 16, 16)):
        norm = ember.nn.BatchNorm2d(shape[1])
        cases[f"BatchNorm2d train {'x'.join(map(str, shape))}"] = forward_backward(norm, tensor(*shape))
    x, g = tensor(35, 32, 32), ember.tensor(rng.standard_normal((35, 32, 128)).astype(np.float32))
    for layer in ("LSTM", "GRU", "RNN"):
        net = getattr(ember.nn, layer)(32, 128)

        def run(net=net):
            x.grad = None
            net.zero_grad()
            net(x)[0].backward(g)

        cases[f"{layer}(32, 128) seq 35 batch 32"] = run
    return cases


def _workload_cases(ember, workloads):
    from ember.bench.workloads import WORKLOADS

    return {f"{w} workload step": WORKLOADS[w](ember, 1.0) for w in workloads}


_FIRST_STEP = """
import json, sys, time
import ember
from ember.bench.workloads import WORKLOADS
step = WORKLOADS[{workload!r}](ember, 1.0)
cpu = time.process_time()
step()
print(json.dumps(time.process_time() - cpu))
"""


def first_call_costs(workload):
    """CPU seconds of a fresh process's first step: NumPy only, empty numba cache (compiles), warm cache."""
    costs = {}
    with tempfile.TemporaryDirectory() as cache:
        for label, extra in (("NumPy only", {"EMBER_NO_NUMBA": "1"}), ("empty cache", {}), ("warm cache", {})):
            env = dict(os.environ, NUMBA_CACHE_DIR=cache, OMP_NUM_THREADS="1", **extra)
            out = subprocess.run(
                [sys.executable, "-c", _FIRST_STEP.format(workload=workload)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            costs[label] = float(out.stdout.strip().splitlines()[-1])
    return costs


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import ember
    from ember import _kernels

    if _kernels.load() is None:
        print("numba is not installed: pip install numba (or ember[fast]), then run again")
        return 1
    ember.set_num_threads(args.threads)
    clock = time.process_time if args.threads == 1 else time.perf_counter
    print(
        f"numba {_kernels.load().numba.__version__}; {args.threads} thread(s), "
        f"{'CPU' if args.threads == 1 else 'wall'} time; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'case (forward + backward)':58s} {'NumPy ms':>9s} {'kernels ms':>10s} {'speed-up':>8s}")
    for group, calls in (
        (_layer_cases(ember, np), 5),
        (_workload_cases(ember, ("lenet", "lstm")), 5),
        (_workload_cases(ember, ("dcgan",)), 1),
    ):
        for name, (numpy_ms, kernel_ms) in _rounds(group, clock, calls=calls).items():
            print(f"{name:58s} {numpy_ms:9.2f} {kernel_ms:10.2f} {numpy_ms / kernel_ms:8.2f}", flush=True)
    code = "import time, numpy; t = time.process_time(); import numba; print(time.process_time() - t)"
    numba_import = float(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )
    print(f"\nfirst step of a fresh process, CPU seconds (numba's own import: {numba_import:.2f} s)")
    for workload in ("lenet", "lstm", "dcgan"):
        costs = first_call_costs(workload)
        print(f"  {workload:6s} " + ", ".join(f"{label} {seconds:.2f}" for label, seconds in costs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
