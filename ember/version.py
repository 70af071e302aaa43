"""torch.version and the version ember reports as torch.__version__.

ember implements torch 2.13's API, so `torch.__version__` compares as 2.13.0 (programs parse it to choose code
paths); the local label names ember and its own release: "2.13.0+ember.0.1.0". Compared with a string, a tuple
or a packaging Version, as torch's TorchVersion."""

import re

ember_version = "0.1.0"  # this package's own release (pyproject.toml)
torch_api_version = "2.13.0"

_PEP440 = re.compile(
    r"v?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|rc|alpha|beta|c|pre|preview)[-_.]?(\d*))?"
    r"(?:[-_.]?(?:post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+[a-z0-9.]+)?$",
    re.I,
)
_PHASE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}


def _key(version):
    """A sort key for a PEP 440 version (release, pre-release, post, dev; the local label is ignored)."""
    if isinstance(version, tuple):
        return tuple(version) + (0,) * (4 - len(version)), (3, 0), -1, (1, 0)
    match = _PEP440.match(str(version).strip())
    if match is None:
        raise ValueError(f"Invalid version: {version!r}")
    release, phase, pre, post, dev = match.groups()
    numbers = tuple(int(n) for n in release.split("."))
    numbers = numbers + (0,) * (4 - len(numbers))
    pre_key = (
        (_PHASE[phase.lower()], int(pre or 0)) if phase else ((-1, 0) if dev is not None and post is None else (3, 0))
    )
    return numbers, pre_key, int(post) if post is not None else -1, (0, int(dev or 0)) if dev is not None else (1, 0)


class TorchVersion(str):
    """A version string that compares as a version: TorchVersion('2.13.0') > '2.9' and >= (2, 13)."""

    def _compare(self, other, op):
        try:
            return op(_key(self), _key(other if isinstance(other, tuple) else str(other)))
        except ValueError:
            return op(str(self), str(other))

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __eq__(self, other):
        return (
            self._compare(other, lambda a, b: a == b)
            if isinstance(other, (str, tuple)) or hasattr(other, "release")
            else NotImplemented
        )

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = str.__hash__


__version__ = TorchVersion(f"{torch_api_version}+ember.{ember_version}")
cuda = None  # ember is built against no CUDA toolkit: it reaches a GPU through CuPy when present
hip = None
rocm = None
xpu = None
debug = False
git_version = "unknown"
