"""Long-run soak: does a workload's time per step drift over thousands of steps, and if so, why?

    python bench/soak.py                                  # lstm, 5000 steps, windows of 250, ember and torch
    python bench/soak.py --workload mlp --steps 2000 --window 100 --json soak.json

Each framework runs in its own process (its own allocator and thread pool); the parent runs them in turns,
one window of steps at a time, so both see the same machine load. Per window and framework:
  wall      median and mean wall milliseconds per step
  cpu       CPU milliseconds per step the process itself used (other processes' load raises wall, not this)
  preempt   involuntary context switches per step (the scheduler took the CPU away: contention)
  rss       resident memory, MB; objects: gc-tracked Python objects; subnormal: the fraction of nonzero
            parameter and gradient values below the float's smallest normal (the slow path of x86 floats)
  load      the 1-minute load average when the window ended
A drift that shows in wall time only, with load and preemptions, is the machine; one that shows in CPU time
too, with RSS, objects or subnormals growing, is the framework.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))     # holds ember/

# the child: builds the workload, then answers each "N" line on stdin with one JSON line about N more steps
CHILD = r"""
import gc, json, os, resource, statistics, sys, time, warnings
import numpy as np
sys.path.insert(0, ROOT)
import importlib
T = importlib.import_module(FRAMEWORK)
T.set_num_threads(THREADS)
from ember.bench.workloads import WORKLOADS
step = WORKLOADS[WORKLOAD](T, 1.0)
for _ in range(3):
    step()


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def subnormal_fraction():
    # every parameter of the workload, found as the gc sees it, so the workloads need not expose their models
    arrays = []
    with warnings.catch_warnings():     # isinstance on every object touches torch's deprecated aliases
        warnings.simplefilter("ignore")
        params = [o for o in gc.get_objects() if isinstance(o, T.nn.Parameter)]
    for p in params:
        arrays += [t.detach().numpy() for t in (p, p.grad) if t is not None]
    nonzero = sum(int(np.count_nonzero(a)) for a in arrays)
    tiny = sum(int(np.count_nonzero((a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny))) for a in arrays)
    return tiny / max(nonzero, 1)


for line in sys.stdin:
    n = int(line)
    times = []
    usage, cpu = resource.getrusage(resource.RUSAGE_SELF), time.process_time()
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    cpu, after = time.process_time() - cpu, resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall_median_ms": statistics.median(times) * 1e3, "wall_mean_ms": sum(times) / n * 1e3,
                      "cpu_ms": cpu / n * 1e3, "preempt": (after.ru_nivcsw - usage.ru_nivcsw) / n,
                      "rss_mb": rss_mb(), "objects": len(gc.get_objects()), "subnormal": subnormal_fraction()}),
          flush=True)
"""


def start(framework, workload, threads):
    code = f"ROOT, FRAMEWORK, WORKLOAD, THREADS = {ROOT!r}, {framework!r}, {workload!r}, {threads}\n" + CHILD
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env)


def soak(workload="lstm", steps=5000, window=250, frameworks=("ember", "torch"), threads=2, report=print):
    """Rows of {"step", "framework", "load", and the child's window statistics}, windows run in turns."""
    children = {name: start(name, workload, threads) for name in frameworks}
    rows = []
    try:
        for done in range(window, steps + 1, window):
            for name, child in children.items():
                child.stdin.write(f"{window}\n")
                child.stdin.flush()
                line = child.stdout.readline()
                if not line:
                    raise RuntimeError(f"the {name} process ended (status {child.wait()})")
                row = {"step": done, "framework": name, "load": os.getloadavg()[0], **json.loads(line)}
                rows.append(row)
                report(format_row(row))
    finally:
        for child in children.values():
            child.stdin.close()
            child.wait()
    return rows


HEADER = (f"{'step':>6} {'framework':>9} {'wall med':>9} {'wall mean':>9} {'cpu':>7} {'preempt':>7} {'rss MB':>7} "
          f"{'objects':>8} {'subnormal':>9} {'load':>5}")


def format_row(row):
    return (f"{row['step']:>6} {row['framework']:>9} {row['wall_median_ms']:>9.2f} {row['wall_mean_ms']:>9.2f} "
            f"{row['cpu_ms']:>7.2f} {row['preempt']:>7.2f} {row['rss_mb']:>7.1f} {row['objects']:>8} "
            f"{row['subnormal']:>9.1e} {row['load']:>5.1f}")


def drift(rows, framework, key="wall_median_ms", windows=3):
    """The mean of `key` over the last `windows` windows divided by the mean over the first ones."""
    values = [r[key] for r in rows if r["framework"] == framework]
    return statistics.mean(values[-windows:]) / statistics.mean(values[:windows])


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench/soak.py", description=__doc__.splitlines()[0])
    p.add_argument("--workload", default="lstm")
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--window", type=int, default=250)
    p.add_argument("--frameworks", nargs="+", default=["ember", "torch"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", help="also write the rows to this file")
    args = p.parse_args(argv)
    print(HEADER)
    rows = soak(args.workload, args.steps, args.window, args.frameworks, args.threads)
    for name in args.frameworks:
        print(f"{name}: last/first 3 windows: wall median x{drift(rows, name):.2f}, "
              f"cpu x{drift(rows, name, 'cpu_ms'):.2f}, rss x{drift(rows, name, 'rss_mb'):.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
