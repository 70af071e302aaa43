"""Loading local checkpoints into the model builders (no downloads: weights are a path or None)."""
import os


def load_weights(model, weights, builder):
    """`weights=None` keeps the fresh initialisation; a path loads a torchvision-style state_dict with ember.load."""
    if weights is None:
        return model
    if isinstance(weights, (str, os.PathLike)) and os.path.isfile(weights):
        import ember
        model.load_state_dict(ember.load(weights, map_location="cpu"))
        return model
    raise RuntimeError(f"{builder}: weights={weights!r} is not a local file, and ember cannot download pretrained "
                       f"weights (no network). Download the torchvision checkpoint (a .pth state_dict) yourself and "
                       f"pass weights='path/to/checkpoint.pth', or weights=None for an untrained model.")
