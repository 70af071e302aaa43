"""Run each conformance program under real torch and under ember, and compare what they print.

A program prints metrics as `name=value` pairs (`epoch 2 loss=0.4120 acc=0.875`); a metric printed several
times is a series. Its first lines may hold a comment that says how to compare:

    # conformance: exact rtol=1e-4 atol=1e-6     every value close (weights copied, data order fixed)
    # conformance: trend factor=3 tol=0.15        training curves of the same size and trend

`trend` compares, for each metric present in both runs with the same number of values:
- losses (names with loss, err, mse, nll, ppl, perplexity, dist): both fall from first to last value (when
  torch's does), and the final values are within `factor` of each other;
- scores (acc, reward, return, psnr, score): the final values within `tol` (relative to max(1, |torch|));
- anything else (counts, shapes, learning rates, checks): equal to 1e-5.
`skip=a,b` leaves metrics out (values drawn from each library's own random stream, not torch's).
ember's random numbers are not torch's, so only `exact` programs seed their weights and data from NumPy.
"""

import argparse
import math
import os
import re
import subprocess
import sys
import time

PROGRAMS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
_METRIC = re.compile(r"(?<![\w.])([A-Za-z_][\w/]*)=(-?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+|nan|inf))(?![\w.])")
_SPEC = re.compile(r"#\s*conformance:\s*(.*)")
_LOSS = re.compile(r"loss|err|mse|nll|ppl|perplexity|dist", re.I)
_SCORE = re.compile(r"acc|reward|return|psnr|score", re.I)


def programs():
    return sorted(f[:-3] for f in os.listdir(PROGRAMS_DIR) if f.endswith(".py") and not f.startswith("_"))


def read_spec(name):
    """The program's comparison settings from its `# conformance:` comment."""
    spec = {"mode": "trend", "factor": 3.0, "tol": 0.15, "rtol": 1e-4, "atol": 1e-6, "skip": (), "needs": ()}
    with open(os.path.join(PROGRAMS_DIR, name + ".py"), encoding="utf-8") as f:
        for line in f.readlines()[:15]:
            match = _SPEC.search(line)
            if not match:
                continue
            for word in match.group(1).split():
                key, _, value = word.partition("=")
                if key in ("exact", "trend"):
                    spec["mode"] = key
                elif key in ("skip", "needs"):
                    spec[key] = tuple(value.split(","))
                else:
                    spec[key] = float(value)
    return spec


def parse_metrics(text):
    series = {}
    for line in text.splitlines():
        for name, value in _METRIC.findall(line):
            series.setdefault(name, []).append(float(value))
    return series


def _missing_requirement(spec):
    """A module the torch run needs that this machine lacks (torchvision for the torchvision programs)."""
    import importlib.util

    for module in spec["needs"]:
        if importlib.util.find_spec(module) is None:
            return module
    return None


def run_program(name, backend, timeout, workdir):
    """(finished, seconds, stdout, stderr) for one run; backend 'torch' runs python, 'ember' ember run-torch."""
    path = os.path.join(PROGRAMS_DIR, name + ".py")
    command = [sys.executable, path] if backend == "torch" else [sys.executable, "-m", "ember", "run-torch", path]
    env = dict(os.environ, PYTHONHASHSEED="0", CONFORMANCE_DATA=os.path.join(workdir, "data"))
    env.setdefault("OMP_NUM_THREADS", "1")  # tiny programs: one thread each avoids oversubscription
    os.makedirs(os.path.join(workdir, backend), exist_ok=True)
    start = time.perf_counter()
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, cwd=os.path.join(workdir, backend)
        )
    except subprocess.TimeoutExpired as e:
        return (
            False,
            timeout,
            (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""),
            f"timed out after {timeout} s",
        )
    return out.returncode == 0, time.perf_counter() - start, out.stdout, out.stderr


def _close(a, b, rtol, atol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= atol + rtol * abs(b)


def compare(spec, mine, theirs):
    """None when ember's metrics match torch's, else the first reason they do not."""
    names = [n for n in theirs if n not in spec["skip"]]
    if not names:
        return "torch printed no metrics"
    for name in names:
        if name not in mine:
            return f"{name}: not printed by ember"
        a, b = mine[name], theirs[name]
        if len(a) != len(b):
            return f"{name}: {len(a)} values, torch printed {len(b)}"
        if spec["mode"] == "exact":
            for i, (x, y) in enumerate(zip(a, b)):
                if not _close(x, y, spec["rtol"], spec["atol"]):
                    return f"{name}[{i}]: {x:.6g} vs torch {y:.6g}"
            continue
        if any(math.isnan(x) for x in a) and not any(math.isnan(y) for y in b):
            return f"{name}: ember printed nan"
        if _LOSS.search(name):
            if len(b) > 1 and b[-1] < b[0] and not a[-1] < a[0]:
                return f"{name}: torch's fell ({b[0]:.4g} -> {b[-1]:.4g}), ember's did not ({a[0]:.4g} -> {a[-1]:.4g})"
            low, high = sorted((abs(a[-1]), abs(b[-1])))
            if high > spec["factor"] * max(low, 1e-6):
                return f"{name}: final {a[-1]:.4g} vs torch {b[-1]:.4g} (more than {spec['factor']:g}x apart)"
        elif _SCORE.search(name):
            if abs(a[-1] - b[-1]) > spec["tol"] * max(1.0, abs(b[-1])):
                return f"{name}: final {a[-1]:.4g} vs torch {b[-1]:.4g} (tolerance {spec['tol']:g})"
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                if not _close(x, y, 1e-5, 1e-8):
                    return f"{name}[{i}]: {x:.6g} vs torch {y:.6g}"
    return None


def _last_error(stderr):
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^\w+(\.\w+)*(Error|Exception|Interrupt|Exit)\b", line)]
    return (errors or lines or ["(no output)"])[-1].strip()[:160]


def check(name, timeout=300, workdir=None, log=None):
    """Run one program both ways: a dict with program, torch, ember, result ('match'/'differs'/...), reason."""
    import tempfile

    spec = read_spec(name)
    workdir = workdir or tempfile.mkdtemp(prefix=f"conformance-{name}-")
    row = {"program": name, "torch": "", "ember": "", "result": "", "reason": ""}
    missing = _missing_requirement(spec)
    if missing:
        row["torch"] = f"skipped (no {missing})"
        theirs = None
    else:
        ok, seconds, out, err = run_program(name, "torch", timeout, workdir)
        row["torch"] = f"ok {seconds:.0f}s" if ok else "FAILED"
        if not ok:
            row.update(result="torch failed", reason=_last_error(err))
            return row
        theirs = parse_metrics(out)
    ok, seconds, out, err = run_program(name, "ember", timeout, workdir)
    if log is not None:
        log.write(f"=== {name} (ember)\n{out}\n{err}\n")
    row["ember"] = f"ok {seconds:.0f}s" if ok else "FAILED"
    if not ok:
        row.update(result="ember failed", reason=_last_error(err))
    elif theirs is None:
        row.update(result="ember only", reason=f"finished; torch side needs {missing}")
    else:
        reason = compare(spec, parse_metrics(out), theirs)
        row.update(result="match" if reason is None else "differs", reason=reason or "")
    return row


def table(rows):
    """A Markdown table of the rows."""
    headers = ["program", "torch", "ember", "result", "reason"]
    widths = [max(len(h), *(len(r[h]) for r in rows)) for h in headers]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(r[h].ljust(w) for h, w in zip(headers, widths)) + " |" for r in rows]
    return "\n".join(lines)


def summary(rows):
    compared = [r for r in rows if r["result"] != "torch failed"]
    matched = sum(r["result"] in ("match", "ember only") for r in compared)
    return (
        f"{matched} of {len(compared)} programs finish on ember with results matching torch's "
        f"({100 * matched / max(1, len(compared)):.0f}%)"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m ember.conformance", description="Run PyTorch-style programs under torch and ember; compare."
    )
    parser.add_argument("programs", nargs="*", help=f"which (default: all): {', '.join(programs())}")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per run (default 300)")
    parser.add_argument("--log", help="write ember's output of each program to this file")
    args = parser.parse_args(argv)
    names = args.programs or programs()
    unknown = sorted(set(names) - set(programs()))
    if unknown:
        parser.error(f"unknown programs: {', '.join(unknown)}")
    log = open(args.log, "w", encoding="utf-8") if args.log else None
    rows = []
    try:
        for name in names:
            rows.append(check(name, args.timeout, log=log))
            r = rows[-1]
            print(f"{name}: {r['result']}" + (f" ({r['reason']})" if r["reason"] else ""), flush=True)
    finally:
        if log:
            log.close()
    print()
    print(table(rows))
    print()
    print(summary(rows))
    return 0 if all(r["result"] in ("match", "ember only") for r in rows) else 1
