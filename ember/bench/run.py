"""Benchmark ember against torch, tinygrad and MyGrad on the standard workloads: median step time, ratio,
spread over repeated runs, peak memory, import time, installed size, and where the machine stands.

    python bench/run.py                 # all workloads, full size, every installed framework, 3 runs each
    python bench/run.py --size tiny     # a quick smoke run (CI)
    ember bench --workloads mlp lenet --frameworks torch mygrad --repeat 5
    ember bench --device cuda           # ember (CuPy) against torch on the GPU, GPU-sized workloads added

Each (framework, workload) runs in its own process with 2 threads, so import state and memory don't mix;
the runs of one workload take turns (ember, torch, ember, torch, ...) so that load from other processes hits
them alike. With numba installed ember runs twice, with its compiled kernels (the `[fast]` extra) and on NumPy
only (EMBER_NO_NUMBA=1), so the table says what the extra buys. Before the table, the run prints the BLAS
library and kernel each framework's process uses (threadpoolctl) and torch's build (MKL, oneDNN), so a slow
BLAS can be told from a slow framework; after it, the load average the runs saw. tinygrad and MyGrad run
the same workloads in their own idiom (ember/bench/others.py); a workload a framework cannot express shows "-".
On a GPU each timed step ends with cuda.synchronize(), so it counts the device's work, not just the launches.
"""
import argparse
import importlib.util
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.realpath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))       # the directory ember is imported from
DEFAULT_THREADS = 2
THREADS = str(DEFAULT_THREADS)      # per framework process; main sets it from --threads
WARMUP = 3            # tinygrad compiles on the first steps and TinyJit captures on the second call
TIMED_SECONDS = 30    # the timed steps stop early once this is spent (after at least 3), so slow runs finish
COMPARED = ["torch", "tinygrad", "tinygrad-jit", "mygrad"]
NUMPY_ONLY = "ember-numpy"      # ember with its compiled kernels turned off
MODES = ["eager", "compiled"]   # how ember runs a step; "compiled" wraps it in ember.compile where that exists


def _child_env(extra=None):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = THREADS
    env.update(extra or {})
    return env


def module_of(framework):
    """The package a framework name in the benchmark imports (tinygrad-jit is tinygrad, ember-numpy ember)."""
    from ember.bench.others import BUILDERS
    if framework == NUMPY_ONLY:
        return "ember"
    return BUILDERS[framework][0] if framework in BUILDERS else framework


def runs(framework, workload):
    from ember.bench.others import BUILDERS
    return framework not in BUILDERS or workload in BUILDERS[framework][1]


def _env_of(framework, env=None):
    return {**(env or {}), **({"EMBER_NO_NUMBA": "1"} if framework == NUMPY_ONLY else {})}


def _run_child(code, timeout, env):
    """Run code in a child process (its own session, so a timeout also ends the compiler workers tinygrad
    starts); the JSON object on its last output line, or {"error": ...}."""
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


_BUILD_STEP = """
import importlib, sys
sys.path.insert(0, {root!r})
framework, workload, scale, device = {framework!r}, {workload!r}, {scale}, {device!r}
sync = lambda: None
if framework in ("ember", "ember-numpy", "torch"):
    T = importlib.import_module("torch" if framework == "torch" else "ember")
    T.set_num_threads({threads})
    from ember.bench.workloads import ALL_WORKLOADS
    if device != "cpu":
        if not T.cuda.is_available():
            sys.exit(f"{{framework}} has no CUDA here")
        sync = T.cuda.synchronize
    with T.device(device):
        step = ALL_WORKLOADS[workload](T, scale)
    if {mode!r} == "compiled":
        step = T.compile(step)
else:
    from ember.bench.others import BUILDERS
    step = BUILDERS[framework][1][workload](scale)
"""


def measure(framework, workload, steps, scale, timeout=None, env=None, mode="eager", device="cpu",
            timed_seconds=TIMED_SECONDS):
    """Run in a child process: median step seconds, peak memory growth during the steps, the first step's
    seconds (compilation included) and how many steps were timed."""
    code = _BUILD_STEP.format(root=ROOT, framework=framework, workload=workload, scale=scale, threads=THREADS,
                              mode=mode, device=device) + f"""
import json, resource, statistics, time
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
    return _run_child(code, timeout, _env_of(framework, env))


def describe(framework, timeout=None, env=None):
    """What a framework's process computes with: its BLAS libraries and kernels as threadpoolctl sees them
    after a step has run (and, for torch, its build: MKL, oneDNN, CPU capability; for ember, its kernels)."""
    code = _BUILD_STEP.format(root=ROOT, framework=framework, workload="mlp", scale=0.1, threads=THREADS,
                              mode="eager", device="cpu") + """
import json
step()
info = {}
if framework == "torch":
    info["version"] = T.__version__
    info["build"] = [line.strip(" -") for line in T.__config__.show().splitlines()
                     if any(k in line for k in ("Math Kernel", "MKL-DNN", "OpenMP", "CPU capability"))]
    info["mkldnn"], info["mkl"] = T.backends.mkldnn.is_available(), T.backends.mkl.is_available()
elif framework.startswith("ember"):
    import numpy
    from ember import _kernels
    kernels = _kernels.for_arrays(numpy.zeros(1, numpy.float32))
    info["version"] = "numpy " + numpy.__version__
    info["kernels"] = ("numba " + kernels.numba.__version__ if kernels is not None else
                       "off (EMBER_NO_NUMBA=1)" if not _kernels.enabled else "none (numba is not installed)")
try:
    from threadpoolctl import threadpool_info
except ImportError:
    info["threadpools"] = None
else:
    info["threadpools"] = [{k: d.get(k) for k in ("internal_api", "version", "architecture", "threading_layer",
                                                   "num_threads", "prefix")} for d in threadpool_info()]
print(json.dumps(info))
"""
    return _run_child(code, timeout, _env_of(framework, env))


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


def _disk_mb(root):
    """Disk use of a directory tree, as du counts it (allocated blocks), byte-code caches left out."""
    total = 0
    for dirpath, _, files in os.walk(root):
        if "__pycache__" not in dirpath:
            total += sum(os.lstat(os.path.join(dirpath, f)).st_blocks * 512 for f in files)
    return total / 2 ** 20


def installed_mb(module):
    """Installed size of a package: its directory and the shared libraries its wheel bundles beside it
    (numpy.libs holds NumPy's OpenBLAS, half of NumPy's size). None if it is not installed."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return None
    if not spec.submodule_search_locations:          # a one-file module (threadpoolctl)
        return os.lstat(spec.origin).st_blocks * 512 / 2 ** 20
    root = os.path.dirname(spec.origin)
    libs = os.path.join(os.path.dirname(root), f"{module}.libs")
    return _disk_mb(root) + (_disk_mb(libs) if os.path.isdir(libs) else 0)


def have(module):
    return importlib.util.find_spec(module) is not None


def _median_row(rows):
    """The runs of one (framework, workload): the median of their medians and the range, or the first error."""
    good = [r for r in rows if r is not None and "error" not in r]
    if len(good) < len(rows):
        return next(r for r in rows if r is None or "error" in r)
    medians = [r["median"] for r in good]
    return {"median": statistics.median(medians), "min": min(medians), "max": max(medians), "runs": medians,
            "growth_mb": statistics.median(r["growth_mb"] for r in good),
            "first_s": statistics.median(r["first_s"] for r in good), "steps": good[0]["steps"]}


def _ms(row):
    if row is None:
        return "-"
    if "error" in row:
        return "timeout" if row.get("timeout") else "failed"
    return f"{row['median'] * 1e3:.2f}"


def _spread(row):
    if row is None or "error" in row or len(row["runs"]) < 2:
        return "-"
    return f"{row['min'] * 1e3:.2f}-{row['max'] * 1e3:.2f}"


def _ratios(ember, other):
    """Per run ember / other, the runs paired as they took turns."""
    if not ember or not other or "error" in ember or "error" in other:
        return None
    return [e / o for e, o in zip(ember["runs"], other["runs"])]


def _ratio(ember, other):
    r = _ratios(ember, other)
    return "-" if r is None else f"{statistics.median(r):.2f}"


def _ratio_range(ember, other):
    r = _ratios(ember, other)
    return "-" if r is None or len(r) < 2 else f"{min(r):.2f}-{max(r):.2f}"


def _columns(variants, labels, modes, compared):
    """(title, width, cell(row, variant)) for each column of the table; a row holds every framework's result
    for one workload, ember's under (variant, mode)."""
    def ember_cell(fmt, mode):
        return lambda row, variant: fmt(row.get((variant, mode)))
    cols = [("workload", 8, lambda row, variant: row["workload"] if variant == variants[0] else ""),
            ("ember", 10, lambda row, variant: labels[variant])]
    for mode in modes:
        cols += [(f"{mode} ms", 10, ember_cell(_ms, mode)), ("range", 15, ember_cell(_spread, mode))]
    if "torch" in compared:
        cols += [("torch ms", 9, lambda row, variant: _ms(row.get("torch")) if variant == variants[0] else "")]
        for mode in modes:
            def ratio(fmt, m=mode):
                return lambda row, variant: fmt(row.get((variant, m)), row.get("torch"))
            cols += [(f"{mode}/torch", 13, ratio(_ratio)), ("range", 11, ratio(_ratio_range))]

    def growth(key):
        return lambda row, variant: (f"{row[key(variant)]['growth_mb']:.1f}"
                                     if row.get(key(variant)) and "error" not in row[key(variant)] else "-")
    cols += [("ember MB", 9, growth(lambda variant: (variant, modes[0])))]
    if "torch" in compared:
        cols += [("torch MB", 9, growth(lambda variant: "torch"))]
    for fw in compared:
        if fw != "torch":
            cols += [(f"{fw} ms", max(10, len(fw) + 3), lambda row, variant, fw=fw: _ms(row.get(fw))),
                     ("ratio", 7, lambda row, variant, fw=fw: _ratio(row.get((variant, modes[0])), row.get(fw)))]
    return cols


def _result_name(key):
    """A row's key in the JSON results: "torch", "ember" (eager), "ember-numpy", "ember-compiled", ..."""
    if isinstance(key, str):
        return key
    variant, mode = key
    return variant if mode == "eager" else f"{variant}-{mode}"


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


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        import platform
        return platform.processor() or platform.machine()


def _blas_line(info):
    if info.get("threadpools") is None:
        return "BLAS not visible (pip install threadpoolctl)"
    parts = []
    for pool in info["threadpools"]:
        arch = f", {pool['architecture']} kernels" if pool.get("architecture") else ""
        layer = f", {pool['threading_layer']}" if pool.get("threading_layer") else ""
        parts.append(f"{pool['internal_api']} {pool.get('version') or ''}{arch}{layer}, {pool['num_threads']} threads"
                     .replace(" ,", ","))
    return "; ".join(parts) or "no BLAS or OpenMP library loaded"


def print_machine(variants, compared, timeout, envs):
    """Where the machine stands: CPU, load, BLAS settings, and what each framework computes with."""
    load = os.getloadavg()
    settings = ", ".join(f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "MKL_DEBUG_CPU_TYPE") if k in os.environ)
    print(f"machine: {_cpu_name()}, {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"each framework in its own process with {THREADS} threads{'; ' + settings if settings else ''}")
    for fw in variants + [fw for fw in compared if fw == "torch"]:
        info = describe(fw, timeout, envs.get(fw))
        if "error" in info:
            print(f"  {fw}: could not be described: {info['error']}")
            continue
        extra = f", compiled kernels: {info['kernels']}" if "kernels" in info else ""
        print(f"  {fw} ({info['version']}{extra}): {_blas_line(info)}")
        if fw == "torch":
            onednn = "available" if info["mkldnn"] else "not available"
            print(f"    {'; '.join(info['build'])}; oneDNN (mkldnn) {onednn}")


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
    p.add_argument("--steps", type=int, default=None, help="timed steps per run (default 20, tiny size 3)")
    p.add_argument("--repeat", type=int, default=None,
                   help="runs of each framework on each workload, taking turns (default 3, tiny size 1)")
    p.add_argument("--size", choices=["full", "tiny"], default="full", help="tiny: small shapes, for a smoke run")
    p.add_argument("--no-torch", action="store_true", help="leave torch out (same as omitting it from --frameworks)")
    p.add_argument("--numpy-only", action="store_true",
                   help="run ember on NumPy only, not also with its compiled kernels (when numba is installed)")
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                   help="threads of each framework's process (default 2; on a busy machine spinning BLAS and "
                        "OpenMP threads wait on each other, and 1 thread compares the frameworks more fairly)")
    p.add_argument("--timeout", type=float, default=900,
                   help="seconds one framework may take on one workload, compilation included (default 900)")
    p.add_argument("--json", help="also write the results to this file")
    args = p.parse_args(argv)
    global THREADS
    THREADS = str(args.threads)
    on_gpu = args.device != "cpu"
    workloads = args.workloads or list(ALL_WORKLOADS if on_gpu else WORKLOADS)
    scale = 1.0 if args.size == "full" else 0.1
    steps = args.steps or (3 if args.size == "tiny" else 10 if on_gpu else 20)
    repeat = args.repeat or (3 if args.size == "full" else 1)
    requested = [fw for fw in args.frameworks if not (args.no_torch and fw == "torch")]
    gpu_notes = []
    if on_gpu:
        gpu_notes = [f"{fw}: not measured on {args.device} (the GPU comparison is with torch)" for fw in requested
                     if fw != "torch"]
        requested = [fw for fw in requested if fw == "torch"]
    compared, notes, envs = compared_frameworks(requested)
    notes = gpu_notes + notes
    import ember
    from ember import _kernels
    fast = have("numba") and _kernels.enabled and not args.numpy_only
    variants = ["ember"] + ([NUMPY_ONLY] if fast else [])
    labels = {"ember": "[fast]" if fast else "NumPy only", NUMPY_ONLY: "NumPy only"}
    if args.numpy_only:
        envs["ember"] = {"EMBER_NO_NUMBA": "1"}
    modes = [m for m in MODES if m == "eager" or hasattr(ember, "compile")]
    for line in notes:
        print(line)
    print_machine(variants, compared, args.timeout, envs)
    columns = _columns(variants, labels, modes, compared)
    header = " ".join(f"{title:<{width}}" if i < 2 else f"{title:>{width}}"
                      for i, (title, width, _) in enumerate(columns))
    print(header)
    print("-" * len(header))
    results, loads = {"runs": repeat, "steps": steps}, []
    for w in workloads:
        jobs = [((v, m), v, m) for v in variants for m in modes] + [(fw, fw, "eager") for fw in compared]
        collected = {key: [] for key, _, _ in jobs}
        for _ in range(repeat):
            for key, fw, mode in jobs:
                loads.append(os.getloadavg()[0])
                collected[key].append(measure(fw, w, steps, scale, args.timeout, envs.get(fw), mode, args.device,
                                              TIMED_SECONDS // 3 if on_gpu else TIMED_SECONDS)
                                      if runs(fw, w) else None)
        row = {key: None if all(r is None for r in rs) else _median_row(rs) for key, rs in collected.items()}
        row["workload"] = w
        for variant in variants:
            print(" ".join(f"{cell(row, variant):<{width}}" if i < 2 else f"{cell(row, variant):>{width}}"
                           for i, (_, width, cell) in enumerate(columns)), flush=True)
        for key, r in row.items():
            if isinstance(r, dict) and "error" in r:
                print(f"  {_result_name(key)} on {w}: {r['error']}")
        results[w] = {_result_name(key): r for key, r in row.items() if key != "workload"}
    modules = list(dict.fromkeys(module_of(fw) for fw in ["ember"] + compared))
    results["import_s"] = {m: import_time(m) for m in modules + ["numpy"]}
    extras = [m for m in ("numba", "llvmlite", "threadpoolctl") if have(m)]
    results["installed_mb"] = {m: installed_mb(m) for m in modules + ["numpy"] + extras}
    results["load_average"] = loads
    sizes = results["installed_mb"]
    print(f"\nload average (1 min) while the runs started: {min(loads):.2f} to {max(loads):.2f}, "
          f"median {statistics.median(loads):.2f} ({os.cpu_count()} CPUs)")
    print("import time: " + ", ".join(f"{m} {s:.3f} s" for m, s in results["import_s"].items()))
    print(f"installed (du): ember {sizes['ember']:.1f} MB + numpy {sizes['numpy']:.1f} MB (numpy.libs included) = "
          f"{sizes['ember'] + sizes['numpy']:.1f} MB"
          + (f"; the [fast] extra adds {' + '.join(f'{m} {sizes[m]:.1f} MB' for m in extras)}" if extras else "")
          + "".join(f"; {m} {sizes[m]:.1f} MB" for m in modules if m not in ("ember", "numpy") and sizes[m]))
    print(f"(median over {repeat} run(s) of each run's median step; range: the runs' spread. ratio: ember's step time "
          "over the other's, run by run; below 1 ember is faster. [fast]: with numba's compiled kernels; NumPy only: "
          "EMBER_NO_NUMBA=1. MB columns: peak resident-memory growth during the timed steps. tinygrad-jit: the same "
          "step under TinyJit)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, ROOT)        # python bench/run.py from a checkout
    sys.exit(main())
