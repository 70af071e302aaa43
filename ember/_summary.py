"""ember.summary: the layer table of the torchsummary package (sksq96/pytorch-summary), same text and numbers."""

import math
from collections import OrderedDict

_RULE = "-" * 64
_DOUBLE_RULE = "=" * 64
_ROW = "{:>20}  {:>25} {:>15}"


def _prod(values):
    return math.prod(values) if values else 1


def _flat_prod(shape):
    """np.prod of an output shape, which is a list of ints or, for tuple outputs, a list of lists."""
    return _prod([_flat_prod(s) if isinstance(s, list) else s for s in shape])


def summary(model, input_size, batch_size=-1, device="cpu", dtypes=None):
    """Print torchsummary's table for `model` run on a batch of 2 random inputs of shape `input_size` (one tuple,
    or a list of tuples for several inputs); return (total_params, trainable_params).

    Rows are every non-container submodule in the order its forward hook fires; parameters counted are each
    module's `weight` and `bias` only, as torchsummary does.
    """
    import ember
    from .nn import ModuleList, Sequential

    if isinstance(input_size, tuple) or (isinstance(input_size, list) and all(isinstance(s, int) for s in input_size)):
        input_size = [tuple(input_size)]
    if dtypes is None:
        dtypes = [ember.float32] * len(input_size)

    rows = OrderedDict()
    hooks = []

    def hook(module, input, output):
        key = f"{type(module).__name__}-{len(rows) + 1}"
        if isinstance(output, (list, tuple)):
            output_shape = [[-1] + list(o.size())[1:] for o in output]
        else:
            output_shape = list(output.size())
            output_shape[0] = batch_size
        params, trainable = 0, None
        weight, bias = getattr(module, "weight", None), getattr(module, "bias", None)
        if hasattr(weight, "size"):
            params += _prod(list(weight.size()))
            trainable = weight.requires_grad
        if hasattr(bias, "size"):
            params += _prod(list(bias.size()))
        rows[key] = (output_shape, params, trainable)

    for module in model.modules():
        if not isinstance(module, (Sequential, ModuleList)) and module is not model:
            hooks.append(module.register_forward_hook(hook))
    x = [ember.rand(2, *size, device=device).type(dtype) for size, dtype in zip(input_size, dtypes)]
    try:
        with ember.no_grad():
            model(*x)
    finally:
        for h in hooks:
            h.remove()

    lines = [_RULE, _ROW.format("Layer (type)", "Output Shape", "Param #"), _DOUBLE_RULE]
    total_params = total_output = trainable_params = 0
    for key, (output_shape, params, trainable) in rows.items():
        lines.append(_ROW.format(key, str(output_shape), f"{params:,}"))
        total_params += params
        total_output += _flat_prod(output_shape)
        if trainable:
            trainable_params += params

    # 4 bytes a number; the activations count twice (forward values and their gradients)
    total_input_size = abs(_prod([d for size in input_size for d in size]) * batch_size * 4.0 / (1024**2.0))
    total_output_size = abs(2.0 * total_output * 4.0 / (1024**2.0))
    total_params_size = abs(total_params * 4.0 / (1024**2.0))
    total_size = total_params_size + total_output_size + total_input_size
    lines += [
        _DOUBLE_RULE,
        f"Total params: {total_params:,}",
        f"Trainable params: {trainable_params:,}",
        f"Non-trainable params: {total_params - trainable_params:,}",
        _RULE,
        "Input size (MB): %0.2f" % total_input_size,
        "Forward/backward pass size (MB): %0.2f" % total_output_size,
        "Params size (MB): %0.2f" % total_params_size,
        "Estimated Total Size (MB): %0.2f" % total_size,
        _RULE,
    ]
    print("\n".join(lines))
    return total_params, trainable_params
