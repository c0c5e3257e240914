"""MultiHeadAttention and TransformerEncoderLayer against a NumPy transcription of the
formulas, with masks, finite-difference gradients and parameter names."""

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import nd, nn

from .gradcheck import check_gradients, prepare


def _dense(layer, x):
    return x @ layer.weight.data().asnumpy().T + layer.bias.data().asnumpy()


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def mha_ref(layer, q_in, kv_in, heads, mask=None):
    n, tq, units = q_in.shape[0], q_in.shape[1], layer._units

    def split(x):
        return x.reshape(n, x.shape[1], heads, -1).transpose(0, 2, 1, 3)

    q = split(_dense(layer.query_proj, q_in))
    k = split(_dense(layer.key_proj, kv_in))
    v = split(_dense(layer.value_proj, kv_in))
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask[:, None] != 0, scores, -1e9)
    out = (_softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(n, tq, units)
    return _dense(layer.out_proj, out)


def _layer_norm(x, ln):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * ln.gamma.data().asnumpy() + ln.beta.data().asnumpy()


def test_self_attention_matches_numpy_and_gradients():
    x = np.random.randn(2, 3, 4)
    layer = nn.MultiHeadAttention(4, num_heads=2)
    xa = prepare(layer, x, init=gl.init.Xavier())
    np.testing.assert_allclose(layer(xa).asnumpy(), mha_ref(layer, x, x, 2), rtol=1e-10)
    check_gradients(layer, xa, max_points=6)
    assert list(layer.collect_params().keys())[:2] == ["query_proj.weight", "query_proj.bias"]
    assert layer.query_proj.weight.shape == (4, 4)


def test_cross_attention_with_mask():
    q, kv = np.random.randn(2, 3, 4), np.random.randn(2, 5, 4)
    mask = np.ones((2, 3, 5))
    mask[0, :, 3:] = 0
    mask[1, 1, :2] = 0
    layer = nn.MultiHeadAttention(4, num_heads=2, in_units=4)
    layer.initialize(gl.init.Xavier())
    layer.cast("float64")
    got = layer(
        nd.array(q, dtype="float64"),
        nd.array(kv, dtype="float64"),
        mask=nd.array(mask, dtype="float64"),
    )
    np.testing.assert_allclose(got.asnumpy(), mha_ref(layer, q, kv, 2, mask), rtol=1e-10)
    with pytest.raises(ValueError, match="num_heads"):
        nn.MultiHeadAttention(6, num_heads=4)


@pytest.mark.parametrize("pre_norm", [False, True])
def test_encoder_layer_matches_numpy_and_gradients(pre_norm):
    x = np.random.randn(2, 3, 4)
    layer = nn.TransformerEncoderLayer(4, hidden_size=6, num_heads=2, pre_norm=pre_norm)
    xa = prepare(layer, x, init=gl.init.Xavier())

    def ffn(h):
        return _dense(layer.ffn_2, np.maximum(_dense(layer.ffn_1, h), 0))

    def attn(h):
        return mha_ref(layer.attention, h, h, 2)

    if pre_norm:
        h = x + attn(_layer_norm(x, layer.ln_1))
        want = h + ffn(_layer_norm(h, layer.ln_2))
    else:
        h = _layer_norm(x + attn(x), layer.ln_1)
        want = _layer_norm(h + ffn(h), layer.ln_2)
    np.testing.assert_allclose(layer(xa).asnumpy(), want, rtol=1e-9, atol=1e-12)
    check_gradients(layer, xa, max_points=4)
