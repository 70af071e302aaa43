"""The optional extras: which one provides a module, and the pip command that installs it.

Every "needs X" message in ember names the extra through `install_hint`, so the command matches how ember
was installed (pip records a local checkout in the distribution's direct_url.json).
"""

import functools
import importlib
import json
import os
from urllib.parse import unquote, urlparse

# module (top-level import name) -> the extra in pyproject.toml that installs it
EXTRA_OF = {
    "sklearn": "examples",
    "pandas": "examples",
    "matplotlib": "examples",
    "PIL": "examples",
    "tqdm": "examples",
    "mpi4py": "distributed",
    "ml_dtypes": "amp",
    "gradio": "demo",
    "threadpoolctl": "fast",
    "numba": "fast",
    "cupy": "gpu",
    "torch": "test",
}
PACKAGE_OF = {"sklearn": "scikit-learn", "PIL": "Pillow"}


class MissingExtra(ModuleNotFoundError):
    """An optional dependency is not installed; the message names the extra and the command."""


@functools.lru_cache(maxsize=None)
def _install_source():
    """The checkout ember was installed from (or runs from), or None for an install from an index."""
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        text = distribution("ember").read_text("direct_url.json")
    except (ImportError, PackageNotFoundError):
        text = None
    if text:
        url = urlparse(json.loads(text).get("url", ""))
        if url.scheme == "file" and os.path.isfile(os.path.join(unquote(url.path), "pyproject.toml")):
            return unquote(url.path)  # (a checkout since moved or deleted is not worth naming)
    checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.isfile(os.path.join(checkout, "pyproject.toml")):
        return checkout
    return None


def install_hint(extra):
    """The command that installs `extra`, e.g. python -m pip install ".[examples]"."""
    source = _install_source()
    if source is None:
        target = "ember"
    elif os.path.abspath(source) == os.getcwd():
        target = "."
    else:
        target = source
    return f'python -m pip install "{target}[{extra}]"'


def missing_message(module, needed_for):
    top = module.split(".")[0]
    package = PACKAGE_OF.get(top, top)
    extra = EXTRA_OF.get(top)
    if extra is None:
        return f"{needed_for} needs {package}: python -m pip install {package}"
    return f"{needed_for} needs {package} (the '{extra}' extra): {install_hint(extra)}"


def require(module, needed_for):
    """import_module(module), or MissingExtra saying which extra to install for `needed_for`."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name is None or module.split(".")[0] != e.name.split(".")[0]:
            raise
        raise MissingExtra(missing_message(module, needed_for), name=e.name) from None
