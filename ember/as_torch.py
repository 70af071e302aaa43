"""`import ember.as_torch`: from here on `import torch` (and torch.*, torchvision, torchvision.*) imports ember.

    import ember.as_torch        # first, e.g. in a notebook's first cell
    import torch                 # ember
    import torchvision           # ember.vision

`ember.as_torch.uninstall()` undoes it. Raises RuntimeError if real PyTorch is already imported.
"""

from ._torch_alias import install, uninstall, is_installed, run_path, run_module  # noqa: F401

install()
