"""The `ember` command: ember train <example>, ember examples, ember bench, ember run --nproc N script.py,
ember run-torch prog.py, ember demo. Every mistake on the command line is one line on stderr and exit status 2."""

import argparse
import importlib
import os
import pkgutil
import subprocess
import sys

from ember.examples._common import OneLineParser, positive


def _examples():
    """The example programs: modules of ember.examples, less private helpers, the data folder and the demo app."""
    import ember.examples as pkg

    return sorted(
        m.name
        for m in pkgutil.iter_modules(pkg.__path__)
        if not m.ispkg and not m.name.startswith("_") and m.name not in ("demo_app",)
    )


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


def _example_list():
    names = _examples()
    width = max(map(len, names))
    return "\n".join(f"  {name:{width}}  {_summary(name)}" for name in names)


TRAIN_USAGE = """usage: ember train [EXAMPLE] [--epochs N] [--batch-size B] [--lr LR] [--device cpu|cuda] [--workers K]
                   [--logdir DIR] [--root DIR] [--plot] [--quiet] [--seed S] [--out DIR] [EXAMPLE'S OWN FLAGS]

Run an example training program (default: mlp). `ember train EXAMPLE --help` lists all of its flags.

examples:
"""


def cmd_train(argv):
    if argv and argv[0] in ("-h", "--help"):
        print(TRAIN_USAGE + _example_list())
        return 0
    name, rest = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("mlp", argv)
    names = _examples()
    if name not in names:
        _fail(f"unknown example '{name}'. Choose one of: {', '.join(names)}")
    from ember.examples import _common
    import ember

    ember.tune_malloc()  # a training run: keep array memory in the heap between steps
    _common.prog = f"ember train {name}"
    module = importlib.import_module(f"ember.examples.{name}")
    module.main(rest)  # returns the example's metrics, not an exit status
    return 0


def cmd_examples(argv):
    OneLineParser(prog="ember examples", description="List the example programs.").parse_args(argv)
    print(_example_list())
    return 0


def cmd_bench(argv):
    from ember.bench import main as bench_main

    return bench_main(argv)


def cmd_run(argv):
    """Launch `script` on N MPI ranks with the mpiexec that the mpich wheel installs beside python."""
    p = OneLineParser(prog="ember run", description="Run a script on N MPI processes (DistributedDataParallel).")
    p.add_argument("--nproc", type=positive, default=2, help="number of processes (default %(default)s)")
    p.add_argument("script")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    args = p.parse_args(argv)
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(mpiexec):
        import shutil

        mpiexec = shutil.which("mpiexec")
    if mpiexec is None:
        from ember._extras import install_hint

        _fail(f"mpiexec not found: install the distributed extra ({install_hint('distributed')})")
    if not os.path.exists(args.script):
        _fail(f"script not found: {args.script}")
    cmd = [mpiexec, "-n", str(args.nproc), *_open_mpi_flags(mpiexec), sys.executable, args.script, *args.args]
    return _run_forwarding_signals(cmd)


def _run_forwarding_signals(cmd):
    """Run mpiexec until it ends, passing SIGINT, SIGTERM and SIGHUP on to it (it ends every rank on them); its
    exit status is ember run's. mpiexec gets its own process group, so that a Ctrl-C in the terminal reaches it
    once, through here (twice would make it kill the ranks without letting them clean up)."""
    import signal

    own_group = {"process_group": 0} if sys.version_info >= (3, 11) else {"start_new_session": True}
    proc = subprocess.Popen(cmd, **own_group)
    forwarded = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]
    previous = {s: signal.signal(s, lambda signum, frame: proc.send_signal(signum)) for s in forwarded}
    try:
        status = proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 128 - status if status < 0 else status


def _open_mpi_flags(mpiexec):
    """MPICH's hydra runs as root and on more ranks than cores as is; Open MPI refuses both unless told."""
    version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" not in version:
        return []
    return ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])


def cmd_run_torch(argv):
    """Run a PyTorch program unchanged, `import torch` meaning ember: `ember run-torch prog.py args` or
    `ember run-torch -m package.module args`."""
    if argv[:1] in (["-h"], ["--help"]):
        print(
            "usage: ember run-torch prog.py [args...] | -m module [args...]\n\n"
            "Run a program as python would, with torch, torch.*, torchvision and torchvision.* imported from ember."
        )
        return 0
    from ember import _torch_alias as as_torch

    if not argv or argv == ["-m"]:
        _fail("run-torch needs a program: ember run-torch prog.py [args...] or ember run-torch -m module [args...]")
    if argv[0] == "-m":
        as_torch.run_module(argv[1], argv[2:])
    elif not os.path.exists(argv[0]):
        _fail(f"program not found: {argv[0]}")
    else:
        as_torch.run_path(argv[0], argv[1:])
    return 0


def cmd_demo(argv):
    from ember.examples import demo_app

    return demo_app.main(argv)


COMMANDS = {  # name -> (handler, one line of help)
    "train": (cmd_train, "run an example training program (default: mlp); `ember train --help` lists them"),
    "examples": (cmd_examples, "list the example programs"),
    "bench": (cmd_bench, "time training steps against torch (`ember bench --help`)"),
    "run": (cmd_run, "run a script on N MPI processes: ember run --nproc 2 script.py"),
    "run-torch": (cmd_run_torch, "run a PyTorch program with `import torch` meaning ember: ember run-torch prog.py"),
    "demo": (cmd_demo, "serve the digits classifier demo in the browser (gradio)"),
}


def _top_parser():
    from ember.version import ember_version, torch_api_version

    p = OneLineParser(
        prog="ember",
        description="ember: PyTorch-compatible deep learning on NumPy",
        epilog="Run `ember COMMAND --help` for a command's flags.",
    )
    p.add_argument("--version", action="version", version=f"ember {ember_version} (torch {torch_api_version} API)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, text) in COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    return p


def _dispatch(argv):
    parser = _top_parser()
    if not argv:
        parser.print_help()
        return 0
    if argv[0] not in COMMANDS:
        parser.parse_args(argv[:1])  # --help, --version, or one line naming the unknown command
    handler = COMMANDS[argv[0]][0]
    return handler(argv[1:])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    from ember._extras import EXTRA_OF, MissingExtra, missing_message

    try:
        return _dispatch(argv)
    except MissingExtra as e:
        _fail(str(e))
    except ModuleNotFoundError as e:
        if e.name is None or e.name.split(".")[0] not in EXTRA_OF or argv[0] == "run-torch":
            raise  # a user program's own imports keep their traceback
        _fail(missing_message(e.name, f"ember {' '.join(argv[:2])}".strip()))
    except BrokenPipeError:
        # the reader went away (`ember examples | head -2`): stop quietly, as a Unix filter does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("ember: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main() or 0)
