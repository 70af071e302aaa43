"""In-place array kernels shared by the optimizers, each following the rounding order of the torch
CPU kernel it stands for (x.add_(y, alpha), addcmul_, addcdiv_, lerp_), in the array's own dtype."""

from .._backend import array_module


def grad_for_update(p, maximize, weight_decay):
    """The gradient an update uses: negated for `maximize`, plus weight_decay * param (a new array
    whenever it differs from p.grad, which is never written)."""
    g = p.grad._data
    if maximize:
        g = -g
    if weight_decay != 0:
        decayed = p._data * weight_decay
        decayed += g
        g = decayed
    return g


def adam_moments_(p, state, group, lr, beta1, beta2, capturable=False):
    """The start Adam, AdamW and RAdam share: count the step, apply weight decay (decoupled, or L2 into
    the gradient), update exp_avg and exp_avg_sq in place. Returns the step number (read on the host, or
    left as the 0-d array on the device with capturable=True)."""
    step_t = state["step"]
    step_t._data += 1
    wd = group["weight_decay"]
    if wd != 0 and group["decoupled_weight_decay"]:
        p._data *= 1 - lr * wd
        g = grad_for_update(p, group["maximize"], 0)
    else:
        g = grad_for_update(p, group["maximize"], wd)
    exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
    lerp_(exp_avg, g, 1 - beta1)
    exp_avg_sq *= beta2
    addcmul_(exp_avg_sq, g, g, 1 - beta2)
    return step_t._data if capturable else float(step_t._data)


def add_(out, t, alpha=1):
    """out += alpha * t (torch's x.add_(t, alpha=alpha))."""
    if alpha == 1:
        out += t
    else:
        out += t * alpha
    return out


def addcmul_(out, t1, t2, value=1):
    """out += value * t1 * t2, multiplied left to right as torch."""
    prod = t1 * t2 if value == 1 else t1 * value
    if value != 1:
        prod *= t2
    out += prod
    return out


def addcdiv_(out, t1, t2, value=1):
    """out += (value * t1) / t2."""
    quot = t1 / t2 if value == 1 else t1 * value
    if value != 1:
        quot /= t2
    out += quot
    return out


def lerp_(start, end, weight):
    """start += weight * (end - start), with torch's two formulas (small and large weights)."""
    diff = end - start
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        one = start.dtype.type(1)
        diff *= one - start.dtype.type(weight)
        array_module(start).subtract(end, diff, out=start)
    return start


def bump_version(p):
    """Mark an in-place update, as torch's version counter does."""
    p._version_counter[0] += 1
