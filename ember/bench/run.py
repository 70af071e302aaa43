"""Benchmark ember against torch on the standard workloads: median step time, ratio, peak memory,
import time and installed size.

    python bench/run.py                 # all workloads, full size
    python bench/run.py --size tiny     # a quick smoke run (CI)
    ember bench --workloads mlp lenet

Each (framework, workload) runs in its own process with 2 threads, so import state and memory don't mix.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
THREADS = "2"


def _child_env():
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = THREADS
    return env


def measure(framework, workload, steps, scale, warmup=2):
    """Run in a child process: returns median step seconds and peak memory growth during the steps."""
    code = f"""
import json, resource, statistics, time, sys
sys.path.insert(0, {os.path.dirname(os.path.dirname(HERE))!r})
if {framework!r} == "torch":
    import torch as T
    T.set_num_threads({THREADS})
else:
    import ember as T
from ember.bench.workloads import WORKLOADS
step = WORKLOADS[{workload!r}](T, {scale})
for _ in range({warmup}):
    step()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range({steps}):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"median": statistics.median(times), "peak_mb": peak / 1024, "growth_mb": (peak - base) / 1024}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_child_env())
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_time(module, repeats=5):
    """Median seconds of `import module` in a fresh interpreter, less an empty interpreter's start.

    Byte code is cached (in a temporary folder, leaving the source tree alone) as an installed
    package's is: PYTHONDONTWRITEBYTECODE would otherwise time compiling ember's source on every run.
    """
    env = _child_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(), "ember-bench-pycache"))
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)     # warm the cache
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
        times.append(time.perf_counter() - t0)
    base = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
        base.append(time.perf_counter() - t0)
    return statistics.median(times) - statistics.median(base)


def installed_mb(module):
    try:
        mod = __import__(module)
    except ImportError:
        return None
    root = os.path.dirname(mod.__file__)
    total = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            if "__pycache__" not in dirpath:
                total += os.path.getsize(os.path.join(dirpath, f))
    return total / 2 ** 20


def have(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def main(argv=None):
    from ember.bench.workloads import WORKLOADS
    p = argparse.ArgumentParser(prog="ember bench", description="ember vs torch, step time and memory")
    p.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    p.add_argument("--steps", type=int, default=None, help="timed steps per workload (default 20, tiny size 3)")
    p.add_argument("--size", choices=["full", "tiny"], default="full", help="tiny: small shapes, for a smoke run")
    p.add_argument("--no-torch", action="store_true", help="time ember only")
    p.add_argument("--json", help="also write the results to this file")
    args = p.parse_args(argv)
    scale = 1.0 if args.size == "full" else 0.1
    steps = args.steps or (20 if args.size == "full" else 3)
    frameworks = ["ember"] + (["torch"] if have("torch") and not args.no_torch else [])
    results = {}
    header = f"{'workload':<8} {'ember ms':>10} {'torch ms':>10} {'ratio':>7} {'ember MB':>9} {'torch MB':>9} {'mem ratio':>9}"
    print(header)
    print("-" * len(header))
    for w in args.workloads:
        row = {fw: measure(fw, w, steps, scale) for fw in frameworks}
        results[w] = row
        e, t = row["ember"], row.get("torch")
        if "error" in e:
            print(f"{w:<8} ember failed: {e['error']}")
            continue
        line = f"{w:<8} {e['median'] * 1e3:>10.2f}"
        if t and "error" not in t:
            mem_ratio = (e["growth_mb"] / t["growth_mb"]) if t["growth_mb"] > 0 else float("nan")
            line += (f" {t['median'] * 1e3:>10.2f} {e['median'] / t['median']:>7.2f} {e['growth_mb']:>9.1f}"
                     f" {t['growth_mb']:>9.1f} {mem_ratio:>9.2f}")
        else:
            line += f" {'-':>10} {'-':>7} {e['growth_mb']:>9.1f}"
        print(line, flush=True)
    results["import_s"] = {fw: import_time(fw) for fw in frameworks + ["numpy"]}
    results["installed_mb"] = {"ember": installed_mb("ember"), "numpy": installed_mb("numpy"),
                               "torch": installed_mb("torch") if "torch" in frameworks else None}
    print(f"\nimport time: " + ", ".join(f"{fw} {s:.3f} s" for fw, s in results["import_s"].items()))
    sizes = results["installed_mb"]
    print(f"installed: ember {sizes['ember']:.1f} MB + numpy {sizes['numpy']:.1f} MB = "
          f"{sizes['ember'] + sizes['numpy']:.1f} MB" + (f"; torch {sizes['torch']:.0f} MB" if sizes["torch"] else ""))
    print("(MB columns: peak resident-memory growth during the timed steps)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
