"""torch.hub, without a network: the cache directory and loading a checkpoint that is already in it work; anything
that would download raises NotImplementedError naming the file to put there."""

import os
import re
import warnings

_hub_dir = None
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")


def _torch_home():
    return os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch")))


def get_dir():
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    return _hub_dir if _hub_dir is not None else os.path.join(_torch_home(), "hub")


def set_dir(d):
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


def _no_network(what):
    raise NotImplementedError(
        f"torch.hub.{what}: ember has no network access and runs no downloaded code; use a "
        "local model definition and checkpoint instead"
    )


def list(github, force_reload=False, skip_validation=False, trust_repo="check", verbose=True):  # noqa: A001
    _no_network("list")


def help(github, model, force_reload=False, skip_validation=False, trust_repo="check"):  # noqa: A001
    _no_network("help")


def load(
    repo_or_dir,
    model,
    *args,
    source="github",
    trust_repo="check",
    force_reload=False,
    verbose=True,
    skip_validation=False,
    **kwargs,
):
    _no_network("load")


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    _no_network("download_url_to_file")


def cached_file(url, model_dir=None, file_name=None):
    """Where load_state_dict_from_url keeps the checkpoint at `url`."""
    from urllib.parse import urlparse

    model_dir = model_dir if model_dir is not None else os.path.join(get_dir(), "checkpoints")
    return os.path.join(model_dir, file_name or os.path.basename(urlparse(url).path))


def load_state_dict_from_url(
    url, model_dir=None, map_location=None, progress=True, check_hash=False, file_name=None, weights_only=False
):
    """The checkpoint at `url`, from the hub's cache directory (torch's path for it): ember does not download, so
    the file must be there already (copied from a machine that has it)."""
    path = cached_file(url, model_dir, file_name)
    if not os.path.isfile(path):
        raise NotImplementedError(
            f"torch.hub.load_state_dict_from_url: {path} is not there and ember cannot download "
            f"it (no network access); fetch {url} elsewhere and copy it to that path"
        )
    if check_hash:
        _check_hash(path)
    from .serialization import load as load_checkpoint

    return load_checkpoint(path, map_location=map_location, weights_only=weights_only)


def _check_hash(path):
    import hashlib

    match = HASH_REGEX.search(os.path.basename(path))
    if match is None:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if not digest.hexdigest().startswith(match.group(1)):
        raise RuntimeError(f'invalid hash value (expected "{match.group(1)}", got "{digest.hexdigest()}")')
