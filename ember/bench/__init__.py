"""Benchmarks of ember against torch (`ember bench`, `python bench/run.py`)."""


def main(argv=None):
    from .run import main as run_main
    return run_main(argv)
