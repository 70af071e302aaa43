"""Attention against the torch oracle: scaled_dot_product_attention, MultiheadAttention (masks, weights,
batch_first, kdim/vdim, bias_kv, zero_attn, unbatched), TransformerEncoderLayer/TransformerEncoder,
TransformerDecoderLayer/TransformerDecoder and Transformer (post/pre-norm, relu/gelu, masks, eval) with torch's
weights, state_dict keys and reprs."""

import numpy as np
import pytest

import ember
from oracle import assert_close, check, on_devices, torch


def F(T):
    return T.nn.functional


def _rand(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _bool_mask(shape, seed=3):
    mask = np.random.default_rng(seed).random(shape) > 0.35
    mask[..., 0] = True  # every query can see at least one key
    return mask


# --- scaled_dot_product_attention ----------------------------------------------------------------------

SDPA_SHAPES = [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"is_causal": True}, {"scale": 0.3}, {"is_causal": True, "scale": 2.0}],
    ids=["plain", "causal", "scale", "causal_scale"],
)
@on_devices
def test_sdpa_matches_torch(kwargs, dtype):
    # scale=2 makes logits up to ~40: float32 rounding of the logits alone moves gradients by ~1e-6
    atol = 1e-5 if dtype == np.float32 and kwargs.get("scale", 0) > 1 else None
    check(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, **kwargs), SDPA_SHAPES, dtype=dtype, atol=atol)


def test_sdpa_bool_mask_true_means_attend_and_fully_masked_rows_are_zero():
    mask = _bool_mask((4, 6))
    mask[1] = False
    arrays = [_rand(*s, seed=i) for i, s in enumerate(SDPA_SHAPES)] + [mask]
    out = check(lambda T, q, k, v, m: F(T).scaled_dot_product_attention(q, k, v, attn_mask=m), arrays=arrays)
    assert not np.any(out[0].detach().numpy()[:, :, 1])


def test_sdpa_float_mask_is_added():
    check(
        lambda T, q, k, v, m: F(T).scaled_dot_product_attention(q, k, v, attn_mask=m.detach()),
        SDPA_SHAPES + [(2, 1, 4, 6)],
    )


def test_sdpa_3d_and_gqa():
    check(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, is_causal=True), [(3, 5, 4)] * 3)
    check(
        lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, enable_gqa=True),
        [(2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 5)],
    )


def test_sdpa_rejects_mask_with_is_causal():
    q = ember.ones(1, 2, 3)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F(ember).scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(2, 2), is_causal=True)


# --- MultiheadAttention --------------------------------------------------------------------------------


def _load_torch_weights(t_mod, e_mod):
    e_mod.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()})


def _compare(t_mod, e_mod, arrays, forward, rtol=None, atol=None):
    """Run forward on both, compare every output, then input and parameter gradients of a weighted sum."""
    _load_torch_weights(t_mod, e_mod)
    t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    e_in = [ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    t_out = [o for o in _as_tuple(forward(t_mod, *t_in)) if o is not None]
    e_out = [o for o in _as_tuple(forward(e_mod, *e_in)) if o is not None]
    assert len(e_out) == len(t_out)
    for i, (e, t) in enumerate(zip(e_out, t_out)):
        assert_close(e, t, rtol, atol, what=f"output {i}")
    rng = np.random.default_rng(7)
    weights = [rng.standard_normal(tuple(t.shape)).astype(arrays[0].dtype) for t in t_out]
    sum((t * torch.tensor(w)).nansum() for t, w in zip(t_out, weights)).backward()
    sum((e * ember.tensor(w)).nansum() for e, w in zip(e_out, weights)).backward()
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        if t.grad is not None:
            assert_close(e.grad, t.grad, rtol, atol, what=f"grad of input {i}")
    e_params = dict(e_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        assert_close(e_params[name].grad, p.grad, rtol, atol, what=f"grad of {name}")


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


MHA_OPTIONS = [{}, {"add_bias_kv": True}, {"add_zero_attn": True}, {"kdim": 3, "vdim": 6}, {"bias": False}]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
@pytest.mark.parametrize("options", MHA_OPTIONS, ids=["default", "bias_kv", "zero_attn", "kdim_vdim", "no_bias"])
def test_multihead_attention_with_masks(options, batch_first, dtype):
    t_mod = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first, **options)
    e_mod = ember.nn.MultiheadAttention(8, 2, batch_first=batch_first, **options)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert repr(e_mod) == repr(t_mod)
    if dtype == np.float64:
        t_mod.double(), e_mod.double()
    # float32: parameter gradients reach ~20 and the key-bias gradient is exactly 0 in exact arithmetic,
    # so summation order alone moves entries by ~2e-6 absolute
    tol = dict(atol=1e-5) if dtype == np.float32 else {}

    def shaped(length, dim, seed):
        return _rand(*((2, length, dim) if batch_first else (length, 2, dim)), seed=seed, dtype=dtype)

    q, k, v = shaped(4, 8, 0), shaped(5, options.get("kdim", 8), 1), shaped(5, options.get("vdim", 8), 2)
    padding = np.zeros((2, 5), bool)
    padding[0, 3:] = True
    bool_mask = ~_bool_mask((4, 5))  # MHA: True = not allowed
    float_mask = (_rand(4, 5, seed=4) > 0.5).astype(dtype) * -2.0
    for need_weights in (True, False):
        for average in (True, False):
            for mask in (bool_mask, float_mask):
                _compare(
                    t_mod,
                    e_mod,
                    [q, k, v, padding, mask],
                    lambda m, q, k, v, p, a: m(
                        q,
                        k,
                        v,
                        key_padding_mask=p,
                        attn_mask=a,
                        need_weights=need_weights,
                        average_attn_weights=average,
                    ),
                    **tol,
                )
    unbatched = [a[0] if batch_first else a[:, 0] for a in (q, k, v)]
    _compare(t_mod, e_mod, unbatched, lambda m, q, k, v: m(q, k, v), **tol)


def test_multihead_self_attention_3d_mask_and_causal():
    t_mod, e_mod = torch.nn.MultiheadAttention(8, 4).double(), ember.nn.MultiheadAttention(8, 4).double()
    x = _rand(5, 3, 8, dtype=np.float64)
    per_head = (_rand(12, 5, 5, seed=2) > 0).astype(np.float64) * -1.5
    _compare(t_mod, e_mod, [x, per_head], lambda m, x, a: m(x, x, x, attn_mask=a))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64).numpy()
    for need_weights in (True, False):
        _compare(
            t_mod,
            e_mod,
            [x, causal],
            lambda m, x, a: m(x, x, x, attn_mask=a.detach(), is_causal=True, need_weights=need_weights),
        )


def test_multihead_attention_init_and_errors():
    ember.manual_seed(0)
    mha = ember.nn.MultiheadAttention(16, 4)
    bound = np.sqrt(6 / (16 + 48))
    w = mha.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not mha.in_proj_bias.detach().numpy().any() and not mha.out_proj.bias.detach().numpy().any()
    assert type(mha.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        ember.nn.MultiheadAttention(10, 3)
    x = ember.ones(3, 2, 16)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*, but should be \(3, 3\)"):
        mha(x, x, x, attn_mask=ember.zeros(4, 4))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)


# --- Transformer encoder ----------------------------------------------------------------------------------


def _encoders(norm_first, activation, batch_first, dtype):
    kwargs = dict(
        dim_feedforward=16, dropout=0.1, activation=activation, batch_first=batch_first, norm_first=norm_first
    )
    t_mod = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, **kwargs), 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False
    )
    e_mod = ember.nn.TransformerEncoder(
        ember.nn.TransformerEncoderLayer(8, 2, **kwargs), 2, norm=ember.nn.LayerNorm(8), enable_nested_tensor=False
    )
    if dtype == np.float64:
        t_mod.double(), e_mod.double()
    return t_mod.eval(), e_mod.eval()


ENCODER_GRID = [
    (norm_first, activation, batch_first, np.float32)
    for norm_first in (False, True)
    for activation in ("relu", "gelu")
    for batch_first in (False, True)
] + [(norm_first, activation, False, np.float64) for norm_first in (False, True) for activation in ("relu", "gelu")]


@pytest.mark.parametrize(
    "norm_first,activation,batch_first,dtype",
    ENCODER_GRID,
    ids=[f"{'pre' if n else 'post'}_norm-{a}-{'bf' if b else 'sf'}-{np.dtype(d).name}" for n, a, b, d in ENCODER_GRID],
)
def test_transformer_encoder_matches_torch(norm_first, activation, batch_first, dtype):
    t_mod, e_mod = _encoders(norm_first, activation, batch_first, dtype)
    # float32 through two layers, attention and three LayerNorms accumulates ~1e-6 absolute rounding
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-10)
    x = _rand(*((2, 5, 8) if batch_first else (5, 2, 8)), dtype=dtype)
    padding = np.zeros((2, 5), bool)
    padding[1, 3:] = True
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=getattr(torch, np.dtype(dtype).name))
    _compare(t_mod, e_mod, [x, padding], lambda m, x, p: m(x, src_key_padding_mask=p), **tol)
    _compare(t_mod, e_mod, [x, causal.numpy()], lambda m, x, c: m(x, mask=c.detach()), **tol)
    _compare(t_mod, e_mod, [x, causal.numpy()], lambda m, x, c: m(x, mask=c.detach(), is_causal=True), **tol)
    _compare(t_mod, e_mod, [x[0] if batch_first else x[:, 0]], lambda m, x: m(x), **tol)


def test_transformer_encoder_layer_callable_activation_and_structure():
    t_layer = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=torch.nn.functional.silu, bias=False)
    e_layer = ember.nn.TransformerEncoderLayer(8, 2, 16, activation=ember.nn.functional.silu, bias=False)
    assert e_layer.activation_relu_or_gelu == t_layer.activation_relu_or_gelu == 0
    assert list(e_layer.state_dict()) == list(t_layer.state_dict())
    t_layer.eval().double(), e_layer.eval().double()
    _compare(t_layer, e_layer, [_rand(4, 3, 8, dtype=np.float64)], lambda m, x: m(x))
    t_enc = torch.nn.TransformerEncoder(t_layer, 3, enable_nested_tensor=False)
    e_enc = ember.nn.TransformerEncoder(e_layer, 3, enable_nested_tensor=False)
    assert list(e_enc.state_dict()) == list(t_enc.state_dict())
    assert e_enc.layers[0] is not e_enc.layers[1] and e_enc.layers[0].linear1.weight is not e_layer.linear1.weight


def test_transformer_encoder_inference_zeroes_padding_like_torch_nested_path():
    kwargs = dict(dim_feedforward=16, dropout=0.0, batch_first=True)
    t_mod = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kwargs), 2).eval()
    e_mod = ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(8, 2, **kwargs), 2).eval()
    _load_torch_weights(t_mod, e_mod)
    x = _rand(2, 5, 8)
    padding = np.zeros((2, 5), bool)
    padding[1, 3:] = True
    with torch.no_grad():
        expected = t_mod(torch.tensor(x), src_key_padding_mask=torch.tensor(padding))
    with ember.no_grad():
        got = e_mod(ember.tensor(x), src_key_padding_mask=ember.tensor(padding))
    assert_close(got, expected)
    assert not got.numpy()[1, 3:].any()


def test_generate_square_subsequent_mask():
    assert_close(
        ember.nn.Transformer.generate_square_subsequent_mask(4), torch.nn.Transformer.generate_square_subsequent_mask(4)
    )


# --- TransformerDecoder(Layer) and Transformer ----------------------------------------------------------------

DECODER_GRID = [(False, "relu", False), (True, "gelu", True), (False, "gelu", True), (True, "relu", False)]


@pytest.mark.parametrize(
    "norm_first,activation,batch_first",
    DECODER_GRID,
    ids=[f"{'pre' if n else 'post'}_norm-{a}-{'bf' if b else 'sf'}" for n, a, b in DECODER_GRID],
)
def test_transformer_decoder_matches_torch(norm_first, activation, batch_first):
    kwargs = dict(
        dim_feedforward=16, dropout=0.1, activation=activation, batch_first=batch_first, norm_first=norm_first
    )
    t_mod = (
        torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, **kwargs), 2, norm=torch.nn.LayerNorm(8))
        .double()
        .eval()
    )
    e_mod = (
        ember.nn.TransformerDecoder(ember.nn.TransformerDecoderLayer(8, 2, **kwargs), 2, norm=ember.nn.LayerNorm(8))
        .double()
        .eval()
    )
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    shape = (lambda s: (2, s, 8)) if batch_first else (lambda s: (s, 2, 8))
    tgt, memory = _rand(*shape(4), dtype=np.float64), _rand(*shape(5), seed=1, dtype=np.float64)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64).numpy()
    tgt_pad, mem_pad = np.zeros((2, 4), bool), np.zeros((2, 5), bool)
    tgt_pad[1, 3:], mem_pad[0, 4:] = True, True
    memory_mask = _bool_mask((4, 5)) == 0
    _compare(t_mod, e_mod, [tgt, memory], lambda m, t, mem: m(t, mem))
    _compare(t_mod, e_mod, [tgt, memory, causal], lambda m, t, mem, c: m(t, mem, tgt_mask=c.detach()))
    _compare(
        t_mod, e_mod, [tgt, memory, causal], lambda m, t, mem, c: m(t, mem, tgt_mask=c.detach(), tgt_is_causal=True)
    )
    _compare(
        t_mod,
        e_mod,
        [tgt, memory, tgt_pad, mem_pad, memory_mask],
        lambda m, t, mem, tp, mp, mm: m(t, mem, tgt_key_padding_mask=tp, memory_key_padding_mask=mp, memory_mask=mm),
    )
    unbatched = (lambda a: a[0]) if batch_first else (lambda a: a[:, 0])
    _compare(t_mod, e_mod, [unbatched(tgt), unbatched(memory)], lambda m, t, mem: m(t, mem))


@pytest.mark.parametrize("batch_first", [False, True], ids=["sf", "bf"])
def test_transformer_matches_torch_and_state_dicts_load_both_ways(batch_first):
    kwargs = dict(
        d_model=8,
        nhead=2,
        num_encoder_layers=2,
        num_decoder_layers=1,
        dim_feedforward=16,
        dropout=0.1,
        batch_first=batch_first,
    )
    t_mod = torch.nn.Transformer(**kwargs).double().eval()
    e_mod = ember.nn.Transformer(**kwargs).double().eval()
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert [tuple(p.shape) for p in e_mod.parameters()] == [tuple(p.shape) for p in t_mod.parameters()]
    shape = (lambda s: (2, s, 8)) if batch_first else (lambda s: (s, 2, 8))
    src, tgt = _rand(*shape(5), dtype=np.float64), _rand(*shape(4), seed=1, dtype=np.float64)
    tgt_mask = ember.nn.Transformer.generate_square_subsequent_mask(4, dtype=ember.float64).numpy()
    src_pad = np.zeros((2, 5), bool)
    src_pad[1, 4:] = True
    _compare(
        t_mod,
        e_mod,
        [src, tgt, tgt_mask, src_pad],
        lambda m, s, t, c, p: m(s, t, tgt_mask=c.detach(), src_key_padding_mask=p, memory_key_padding_mask=p),
    )
    # ember's weights load into torch and give torch's numbers
    t_back = torch.nn.Transformer(**kwargs).double().eval()
    t_back.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in e_mod.state_dict().items()})
    with torch.no_grad():
        expected = t_back(torch.tensor(src), torch.tensor(tgt))
    with ember.no_grad():
        assert_close(e_mod(ember.tensor(src), ember.tensor(tgt)), expected, rtol=1e-9, atol=1e-10)


def test_transformer_init_and_errors_as_torch():
    ember.manual_seed(0)
    model = ember.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32)
    # xavier-uniform for every matrix: |w| <= sqrt(6 / (fan_in + fan_out))
    w = model.encoder.layers[0].linear1.weight.detach().numpy()
    assert np.abs(w).max() <= np.sqrt(6 / (16 + 32)) and np.abs(w).max() > 0.5 * np.sqrt(6 / (16 + 32))
    assert not model.decoder.layers[0].norm1.bias.detach().numpy().any()
    assert model.encoder.norm is not None and model.decoder.norm is not None
    src = ember.randn(5, 2, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(src, ember.randn(4, 3, 16))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(src, ember.randn(4, 2, 8))
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False"):
        ember.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1)
    custom = ember.nn.Transformer(
        d_model=8, nhead=2, custom_encoder=ember.nn.Identity(), custom_decoder=ember.nn.Identity()
    )
    assert isinstance(custom.encoder, ember.nn.Identity) and isinstance(custom.decoder, ember.nn.Identity)
