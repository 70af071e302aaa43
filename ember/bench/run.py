"""Benchmark ember against torch, tinygrad and MyGrad on the standard workloads: median step time, ratio,
peak memory, import time and installed size.

    python bench/run.py                 # all workloads, full size, every installed framework
    python bench/run.py --size tiny     # a quick smoke run (CI)
    ember bench --workloads mlp lenet --frameworks torch mygrad
    ember bench --device cuda           # ember (CuPy) against torch on the GPU, GPU-sized workloads added

Each (framework, workload) runs in its own process with 2 threads, so import state and memory don't mix.
On a GPU each timed step ends with cuda.synchronize(), so it counts the device's work, not just the launches.
tinygrad and MyGrad run the same workloads in their own idiom (ember/bench/others.py); a workload a framework
cannot express shows "-".
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
THREADS = "2"
WARMUP = 3            # tinygrad compiles on the first steps and TinyJit captures on the second call
TIMED_SECONDS = 30    # the timed steps stop early once this is spent (after at least 3), so slow runs finish
COMPARED = ["torch", "tinygrad", "tinygrad-jit", "mygrad"]


def _child_env(extra=None):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = THREADS
    env.update(extra or {})
    return env


def module_of(framework):
    """The package a framework name in the benchmark imports (tinygrad-jit is tinygrad)."""
    from ember.bench.others import BUILDERS
    return BUILDERS[framework][0] if framework in BUILDERS else framework


def runs(framework, workload):
    from ember.bench.others import BUILDERS
    return framework not in BUILDERS or workload in BUILDERS[framework][1]


def measure(framework, workload, steps, scale, timeout=None, env=None, device="cpu", timed_seconds=TIMED_SECONDS):
    """Run in a child process: median step seconds, peak memory growth during the steps, the first step's
    seconds (compilation included) and how many steps were timed."""
    code = f"""
import json, resource, statistics, time, sys
sys.path.insert(0, {os.path.dirname(os.path.dirname(HERE))!r})
framework, workload, scale, device = {framework!r}, {workload!r}, {scale}, {device!r}
sync = lambda: None
if framework in ("ember", "torch"):
    import importlib
    T = importlib.import_module(framework)
    T.set_num_threads({THREADS})
    from ember.bench.workloads import ALL_WORKLOADS
    if device != "cpu":
        if not T.cuda.is_available():
            sys.exit(f"{{framework}} has no CUDA here")
        sync = T.cuda.synchronize
    with T.device(device):
        step = ALL_WORKLOADS[workload](T, scale)
else:
    from ember.bench.others import BUILDERS
    step = BUILDERS[framework][1][workload](scale)
t0 = time.perf_counter()
step()
sync()
first = time.perf_counter() - t0
for _ in range({WARMUP} - 1):
    step()
sync()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
start = time.perf_counter()
while len(times) < {steps} and (len(times) < 3 or time.perf_counter() - start < {timed_seconds}):
    t0 = time.perf_counter()
    step()
    sync()
    times.append(time.perf_counter() - t0)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"median": statistics.median(times), "peak_mb": peak / 1024, "growth_mb": (peak - base) / 1024,
                  "first_s": first, "steps": len(times)}}))
"""
    # its own session, so a timeout also ends the compiler workers tinygrad starts
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=_child_env(env), start_new_session=True)
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return {"error": f"timed out after {timeout} s", "timeout": True}
    if child.returncode != 0:
        return {"error": stderr.strip().splitlines()[-1] if stderr.strip() else "failed"}
    return json.loads(stdout.strip().splitlines()[-1])


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


def _ms(row):
    if row is None:
        return "-"
    if "error" in row:
        return "timeout" if row.get("timeout") else "failed"
    return f"{row['median'] * 1e3:.2f}"


def _ratio(ember, other):
    if other is None or "error" in other or "error" in ember:
        return "-"
    return f"{ember['median'] / other['median']:.2f}"


def _columns(frameworks):
    """(title, width, cell(row of results)) for each column of the table."""
    cols = [("workload", 10, None), ("ember ms", 10, lambda r: _ms(r["ember"]))]
    if "torch" in frameworks:
        def growth(fw):
            return lambda r: f"{r[fw]['growth_mb']:.1f}" if r.get(fw) and "error" not in r[fw] else "-"

        def mem_ratio(r):
            e, t = r["ember"], r.get("torch")
            if not t or "error" in t or "error" in e:
                return "-"
            return f"{e['growth_mb'] / t['growth_mb']:.2f}" if t["growth_mb"] > 0 else "nan"
        cols += [("torch ms", 10, lambda r: _ms(r.get("torch"))), ("ratio", 7, lambda r: _ratio(r["ember"], r.get("torch"))),
                 ("ember MB", 9, growth("ember")), ("torch MB", 9, growth("torch")), ("mem ratio", 9, mem_ratio)]
    else:
        cols += [("ember MB", 9, lambda r: f"{r['ember']['growth_mb']:.1f}" if "error" not in r["ember"] else "-")]
    for fw in frameworks:
        if fw != "torch":
            cols += [(f"{fw} ms", max(10, len(fw) + 3), lambda r, fw=fw: _ms(r.get(fw))),
                     ("ratio", 7, lambda r, fw=fw: _ratio(r["ember"], r.get(fw)))]
    return cols


def compared_frameworks(requested):
    """The requested frameworks that can run here, and a line for each that cannot."""
    from ember._extras import install_hint
    from ember.bench.others import tinygrad_env
    chosen, notes, envs = [], [], {}
    for fw in requested:
        module = module_of(fw)
        if not have(module):
            notes.append(f"{fw}: not installed ({install_hint('compare')} adds tinygrad and mygrad; "
                         f"{install_hint('test')} adds torch)")
            continue
        if module == "tinygrad":
            env, why_not = tinygrad_env()
            if why_not:
                notes.append(f"{fw}: not measured: {why_not}")
                continue
            envs[fw] = env
        chosen.append(fw)
    return chosen, notes, envs


def main(argv=None):
    os.environ.setdefault("EMBER_TUNE_MALLOC", "1")      # ember's workloads run with the allocator tuning on
    from ember.bench.workloads import ALL_WORKLOADS, WORKLOADS
    p = argparse.ArgumentParser(prog="ember bench",
                                description="ember against torch, tinygrad and MyGrad: step time and memory")
    p.add_argument("--workloads", nargs="+", default=None, choices=list(ALL_WORKLOADS),
                   help=f"default: {' '.join(WORKLOADS)} (with --device cuda also the GPU-sized "
                        f"{' '.join(w for w in ALL_WORKLOADS if w not in WORKLOADS)})")
    p.add_argument("--device", default="cpu",
                   help="cpu, or cuda (cuda:N): ember on CuPy against torch on CUDA; on a GPU only torch is "
                        "compared, 10 steps each by default")
    p.add_argument("--frameworks", nargs="*", default=COMPARED, choices=COMPARED,
                   help="what ember is compared with (default: each of them that is installed)")
    p.add_argument("--steps", type=int, default=None, help="timed steps per workload (default 20, tiny size 3)")
    p.add_argument("--size", choices=["full", "tiny"], default="full", help="tiny: small shapes, for a smoke run")
    p.add_argument("--no-torch", action="store_true", help="leave torch out (same as omitting it from --frameworks)")
    p.add_argument("--timeout", type=float, default=900,
                   help="seconds one framework may take on one workload, compilation included (default 900)")
    p.add_argument("--json", help="also write the results to this file")
    args = p.parse_args(argv)
    on_gpu = args.device != "cpu"
    workloads = args.workloads or list(ALL_WORKLOADS if on_gpu else WORKLOADS)
    scale = 1.0 if args.size == "full" else 0.1
    steps = args.steps or (3 if args.size == "tiny" else 10 if on_gpu else 20)
    requested = [fw for fw in args.frameworks if not (args.no_torch and fw == "torch")]
    if on_gpu:
        notes = [f"{fw}: not measured on {args.device} (the GPU comparison is with torch)" for fw in requested
                 if fw != "torch"]
        requested = [fw for fw in requested if fw == "torch"]
    compared, more_notes, envs = compared_frameworks(requested)
    notes = (notes if on_gpu else []) + more_notes
    for line in notes:
        print(line)
    frameworks = ["ember"] + compared
    columns = _columns(compared)
    header = " ".join(f"{title:<{width}}" if i == 0 else f"{title:>{width}}" for i, (title, width, _) in enumerate(columns))
    print(header)
    print("-" * len(header))
    results = {}
    for w in workloads:
        row = {fw: measure(fw, w, steps, scale, args.timeout, envs.get(fw), args.device,
                           TIMED_SECONDS // 3 if on_gpu else TIMED_SECONDS) if runs(fw, w) else None
               for fw in frameworks}
        results[w] = row
        print(" ".join([f"{w:<{columns[0][1]}}"] + [f"{cell(row):>{width}}" for _, width, cell in columns[1:]]),
              flush=True)
        for fw, r in row.items():
            if r and "error" in r:
                print(f"  {fw} on {w}: {r['error']}")
    modules = list(dict.fromkeys(module_of(fw) for fw in frameworks))
    results["import_s"] = {m: import_time(m) for m in modules + ["numpy"]}
    results["installed_mb"] = {m: installed_mb(m) for m in modules + ["numpy"]}
    print(f"\nimport time: " + ", ".join(f"{m} {s:.3f} s" for m, s in results["import_s"].items()))
    sizes = results["installed_mb"]
    print(f"installed: ember {sizes['ember']:.1f} MB + numpy {sizes['numpy']:.1f} MB = "
          f"{sizes['ember'] + sizes['numpy']:.1f} MB"
          + "".join(f"; {m} {sizes[m]:.1f} MB" for m in modules if m not in ("ember", "numpy")))
    print("(ratio: ember's step time over the column before; below 1 ember is faster. MB columns: peak resident-memory"
          " growth during the timed steps. tinygrad-jit: the same step under TinyJit)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
