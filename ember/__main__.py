"""The `ember` command: ember train <example>, ember bench, ember run --nproc N script.py, ember run-torch prog.py,
ember demo."""
import argparse
import importlib
import os
import pkgutil
import subprocess
import sys


def _examples():
    """The example programs: modules of ember.examples, less private helpers, the data folder and the demo app."""
    import ember.examples as pkg
    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.ispkg and not m.name.startswith("_")
                  and m.name not in ("demo_app",))


def _summary(name):
    """The first line of an example's docstring, read without importing it."""
    import ast
    import ember.examples as pkg
    path = os.path.join(pkg.__path__[0], f"{name}.py")
    with open(path, encoding="utf-8") as f:
        doc = ast.get_docstring(ast.parse(f.read())) or ""
    return doc.splitlines()[0] if doc else ""


def _fail(message):
    print(f"ember: error: {message}", file=sys.stderr)
    sys.exit(2)


def cmd_train(args, rest):
    names = _examples()
    if args.example not in names:
        _fail(f"unknown example '{args.example}'. Choose one of: {', '.join(names)}")
    module = importlib.import_module(f"ember.examples.{args.example}")
    argv = list(rest)
    for flag in ("epochs", "batch_size", "device", "workers", "logdir", "root"):
        value = getattr(args, flag)
        if value is not None:
            argv += [f"--{flag.replace('_', '-')}", str(value)]
    for flag in ("plot", "quiet"):
        if getattr(args, flag):
            argv.append(f"--{flag}")
    module.main(argv)   # returns the example's metrics, not an exit status
    return 0


def cmd_bench(args, rest):
    from ember.bench import main as bench_main
    return bench_main(rest)


def cmd_run(args, rest):
    """Launch `script` on N MPI ranks with the mpiexec that the mpich wheel installs beside python."""
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(mpiexec):
        import shutil
        mpiexec = shutil.which("mpiexec")
    if mpiexec is None:
        _fail("mpiexec not found: install the distributed extra (pip install 'ember[distributed]')")
    if not os.path.exists(args.script):
        _fail(f"script not found: {args.script}")
    cmd = [mpiexec, "-n", str(args.nproc), *_open_mpi_flags(mpiexec), sys.executable, args.script, *rest]
    return subprocess.call(cmd)


def _open_mpi_flags(mpiexec):
    """MPICH's hydra runs as root and on more ranks than cores as is; Open MPI refuses both unless told."""
    version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" not in version:
        return []
    return ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])


def cmd_run_torch(args, rest):
    """Run a PyTorch program unchanged, `import torch` meaning ember: `ember run-torch prog.py args` or
    `ember run-torch -m package.module args`."""
    from ember import _torch_alias as as_torch
    program = [*rest, *args.program]        # argparse hands a leading -m to `rest`, the program after it here
    if not program or program == ["-m"]:
        _fail("run-torch needs a program: ember run-torch prog.py [args...] or ember run-torch -m module [args...]")
    if program[0] == "-m":
        as_torch.run_module(program[1], program[2:])
    elif not os.path.exists(program[0]):
        _fail(f"program not found: {program[0]}")
    else:
        as_torch.run_path(program[0], program[1:])
    return 0


def cmd_demo(args, rest):
    from ember.examples import demo_app
    return demo_app.main(rest)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ember", description="ember: PyTorch-compatible deep learning on NumPy")
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="run an example training program (default: mlp); see `ember examples`",
                           description="Run an example; flags it does not list here go to the example "
                                       "(e.g. --limit, --lr, --seed, --out: see `ember train EXAMPLE --help`)")
    train.add_argument("example", nargs="?", default="mlp")
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--device")
    train.add_argument("--workers", type=int)
    train.add_argument("--logdir")
    train.add_argument("--root")
    train.add_argument("--plot", action="store_true")
    train.add_argument("--quiet", action="store_true")
    sub.add_parser("bench", help="benchmark ember against torch (ember bench --help)", add_help=False)
    run = sub.add_parser("run", help="run a script on N MPI processes (DistributedDataParallel)")
    run.add_argument("--nproc", type=int, default=2)
    run.add_argument("script")
    run_torch = sub.add_parser("run-torch", help="run a PyTorch program with `import torch` meaning ember",
                               description="Run prog.py (or -m module) as python would, with torch, torch.*, "
                                           "torchvision and torchvision.* imported from ember.")
    run_torch.add_argument("program", nargs=argparse.REMAINDER, help="prog.py [args...] or -m module [args...]")
    sub.add_parser("demo", help="serve the digits classifier demo with gradio", add_help=False)
    sub.add_parser("examples", help="list the examples")
    args, rest = parser.parse_known_args(argv)
    if args.command is None:
        args, rest = parser.parse_known_args(["train"] + (argv if argv is not None else sys.argv[1:]))
    if args.command == "examples":
        names = _examples()
        width = max(map(len, names))
        print("\n".join(f"{name:{width}}  {_summary(name)}" for name in names))
        return 0
    handler = {"train": cmd_train, "bench": cmd_bench, "run": cmd_run, "run-torch": cmd_run_torch,
               "demo": cmd_demo}[args.command]
    return handler(args, rest)


if __name__ == "__main__":
    sys.exit(main() or 0)
