"""Loading local checkpoints into the model builders (no downloads: weights are a path or None)."""

import functools
import os
import warnings


def load_weights(model, weights, builder):
    """`weights=None` keeps the fresh initialisation; a path loads a torchvision-style state_dict with ember.load;
    a weights enum (or its name: 'DEFAULT', 'IMAGENET1K_V1', 'ResNet18_Weights.DEFAULT') loads the checkpoint from
    torch's hub cache, where torchvision keeps its downloads."""
    if weights is None:
        return model
    import ember

    if isinstance(weights, (str, os.PathLike)) and os.path.isfile(weights):
        model.load_state_dict(ember.load(weights, map_location="cpu"))
        return model
    from ._api import BUILDER_WEIGHTS, WeightsEnum

    enum_cls = BUILDER_WEIGHTS.get(builder)
    member = None
    if isinstance(weights, WeightsEnum):
        member = weights
    elif enum_cls is not None and isinstance(weights, str):
        name = weights.replace(enum_cls.__name__ + ".", "")
        member = enum_cls[name] if name in enum_cls.__members__ else None
    if member is not None:
        from ...hub import cached_file

        path = cached_file(member.url)
        if os.path.isfile(path):
            model.load_state_dict(ember.load(path, map_location="cpu"))
            return model
        raise RuntimeError(
            f"{builder}: weights={weights!r} is not a local file, and ember cannot download pretrained "
            f"weights (no network). Download {member.url} yourself and put it at {path} (torch's hub "
            "cache, where it is found), or pass weights='path/to/checkpoint.pth', or weights=None for "
            "an untrained model."
        )
    raise RuntimeError(
        f"{builder}: weights={weights!r} is not a local file, and ember cannot download pretrained "
        f"weights (no network). Download the torchvision checkpoint (a .pth state_dict) yourself and "
        f"pass weights='path/to/checkpoint.pth', or weights=None for an untrained model."
    )


def legacy_pretrained(weights_enum):
    """torchvision's deprecated `pretrained=` keyword, as torchvision handles it: warn, then read it as weights=
    the enum's IMAGENET1K_V1 (which ember, with no downloads, then refuses clearly) or weights=None."""

    def wrap(builder):
        @functools.wraps(builder)
        def build(**kwargs):
            if "pretrained" in kwargs:
                pretrained = kwargs.pop("pretrained")
                warnings.warn(
                    "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                    "please use 'weights' instead.",
                    UserWarning,
                    stacklevel=2,
                )
                if pretrained:
                    default = f"{weights_enum}.IMAGENET1K_V1"
                    warnings.warn(
                        "Arguments other than a weight enum or `None` for 'weights' are deprecated since "
                        "0.13 and may be removed in the future. The current behavior is equivalent to "
                        f"passing `weights={default}`. You can also use `weights={weights_enum}.DEFAULT` "
                        "to get the most up-to-date weights.",
                        UserWarning,
                        stacklevel=2,
                    )
                    kwargs["weights"] = default
            return builder(**kwargs)

        return build

    return wrap
