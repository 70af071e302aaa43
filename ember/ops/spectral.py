"""The short-time Fourier transform and its inverse, composed of framing (unfold), the window and ember.fft, so
that gradients come from autograd (istft's overlap-add is an index_add)."""

import warnings

from .. import fft as _fft
from ._registry import torch_api


def _window(window, win_length, n_fft, dtype, device, op):
    """The window padded with zeros on both sides to n_fft (a rectangular one, with torch's warning, if None)."""
    from .creation import ones

    if window is None:
        warnings.warn(
            f"A window was not provided. A rectangular window will be applied ({op}). To suppress this "
            "warning and use a rectangular window, explicitly set `window=torch.ones(n_fft, "
            "device=<device>)`.",
            UserWarning,
            stacklevel=3,
        )
        window = ones(win_length, dtype=dtype, device=device)
    if window.dim() != 1 or window.shape[0] != win_length:
        raise RuntimeError(
            f"{op}: expected a 1D window tensor of size equal to win_length={win_length}, but got "
            f"window with size {list(window.shape)}"
        )
    left = (n_fft - win_length) // 2
    if left or n_fft - win_length - left:
        from ..nn.functional import pad

        window = pad(window, (left, n_fft - win_length - left))
    return window


def _lengths(op, n_fft, hop_length, win_length):
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if n_fft <= 0:
        raise RuntimeError(f"{op}: expected 0 < n_fft, but got n_fft={n_fft}")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"{op}: expected 0 < win_length <= n_fft, but got win_length={win}")
    if hop <= 0:
        raise RuntimeError(f"{op}: expected hop_length > 0, but got hop_length={hop}")
    return hop, win


@torch_api()
def stft(
    input,
    n_fft,
    hop_length=None,
    win_length=None,
    window=None,
    center=True,
    pad_mode="reflect",
    normalized=False,
    onesided=None,
    return_complex=None,
    align_to_window=None,
):
    if align_to_window is not None:
        raise NotImplementedError(
            "stft(align_to_window=...): not implemented in ember (frames start at the "
            "signal's start, as torch's default)"
        )
    complex_input = input.is_complex() or window is not None and window.is_complex()
    if return_complex is None and not complex_input:
        raise RuntimeError(
            "stft requires the return_complex parameter be given for real inputs, and will further "
            "require that return_complex=True in a future PyTorch release."
        )
    if return_complex is False:
        warnings.warn(
            "stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
            "complex tensors for all inputs, and return_complex=False will raise an error.",
            UserWarning,
            stacklevel=2,
        )
    if input.dim() not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.dim()}D")
    hop, win = _lengths("stft", n_fft, hop_length, win_length)
    x = input.unsqueeze(0) if input.dim() == 1 else input
    if center:
        from ..nn.functional import pad

        x = pad(x.unsqueeze(1), (n_fft // 2, n_fft // 2), mode=pad_mode).squeeze(1)
    if x.shape[-1] < n_fft:
        raise RuntimeError(
            f"stft: expected 0 < n_fft <= {x.shape[-1]} (the padded signal length), but got n_fft={n_fft}"
        )
    frames = x.unfold(-1, n_fft, hop) * _window(
        window, win, n_fft, None if input.is_complex() else input.dtype, input.device, "stft"
    )
    onesided = not complex_input if onesided is None else onesided
    if onesided and complex_input:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    spectrum = _fft.rfft(frames, dim=-1) if onesided else _fft.fft(frames, dim=-1)
    if normalized:
        spectrum = spectrum * n_fft**-0.5
    out = spectrum.transpose(-1, -2)
    if input.dim() == 1:
        out = out.squeeze(0)
    if return_complex is False:
        from ._registry import FUNCTIONS

        return FUNCTIONS["view_as_real"](out)
    return out


@torch_api()
def istft(
    input,
    n_fft,
    hop_length=None,
    win_length=None,
    window=None,
    center=True,
    normalized=False,
    onesided=None,
    length=None,
    return_complex=False,
):
    from .creation import arange, zeros

    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor")
    hop, win = _lengths("istft", n_fft, hop_length, win_length)
    if hop > win:
        raise RuntimeError(f"istft: expected 0 < hop_length <= win_length (got hop_length={hop}, win_length={win})")
    spec = input.unsqueeze(0) if input.dim() == 2 else input
    if spec.dim() != 3:
        raise RuntimeError(f"istft: expected a 2D or 3D complex tensor, but got {input.dim()}D")
    onesided = spec.shape[-2] != n_fft if onesided is None else onesided
    if onesided and spec.shape[-2] != n_fft // 2 + 1:
        raise RuntimeError(
            f"istft: expected the frequency dimension (3rd to the last) of the input tensor to match "
            f"n_fft / 2 + 1 when onesided=True, but got {spec.shape[-2]}"
        )
    if return_complex and onesided:
        raise RuntimeError("cannot have onesided output if window or input is complex")
    real_dtype = spec.real.dtype
    w = _window(window, win, n_fft, real_dtype, input.device, "istft")
    if normalized:
        spec = spec * n_fft**0.5
    frames = spec.transpose(-1, -2)  # (batch, n_frames, freq)
    frames = _fft.irfft(frames, n=n_fft, dim=-1) if onesided else _fft.ifft(frames, n=n_fft, dim=-1)
    if not onesided and not return_complex:
        frames = frames.real
    frames = frames * w
    n_frames = frames.shape[-2]
    total = n_fft + hop * (n_frames - 1)
    positions = (
        arange(n_frames, device=frames.device).unsqueeze(1) * hop + arange(n_fft, device=frames.device).unsqueeze(0)
    ).reshape(-1)
    y = zeros(frames.shape[0], total, dtype=frames.dtype, device=frames.device).index_add(
        -1, positions, frames.reshape(frames.shape[0], -1)
    )
    envelope = zeros(total, dtype=real_dtype, device=frames.device).index_add(
        0, positions, (w.detach() ** 2).expand(n_frames, n_fft).reshape(-1)
    )
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (total - n_fft // 2 if center else total)
    y, envelope = y[..., start:end], envelope[start:end]
    if envelope.numel() and float(envelope.abs().min()) < 1e-11:
        raise RuntimeError(
            f"istft: window overlap add min: {float(envelope.abs().min())} (the window's overlap-add "
            "must be nonzero everywhere: NOLA)"
        )
    y = y / envelope
    if length is not None and y.shape[-1] < length:
        from ..nn.functional import pad

        y = pad(y, (0, length - y.shape[-1]))
    return y.squeeze(0) if input.dim() == 2 else y
