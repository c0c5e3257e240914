"""Activation layers against NumPy formulas (MXNet's constants and conventions), gradients by
finite differences, PReLU's parameter shapes and the reprs."""

import math

import numpy as np
import pytest

from gluonlite import autograd, nd, nn

from .gradcheck import check_gradients, prepare

_SELU_SCALE, _SELU_ALPHA = 1.0507009873554805, 1.6732632423543772
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


CASES = [
    (lambda: nn.Activation("relu"), lambda x: np.maximum(x, 0)),
    (lambda: nn.Activation("sigmoid"), _sigmoid),
    (lambda: nn.Activation("tanh"), np.tanh),
    (lambda: nn.Activation("softrelu"), lambda x: np.log1p(np.exp(x))),
    (lambda: nn.Activation("softsign"), lambda x: x / (1 + np.abs(x))),
    (lambda: nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    (lambda: nn.ELU(), lambda x: _elu(x, 1.0)),
    (lambda: nn.ELU(0.5), lambda x: _elu(x, 0.5)),
    (lambda: nn.SELU(), lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA)),
    (lambda: nn.GELU(), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    (
        lambda: nn.GELU(approximation="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    (lambda: nn.Swish(), lambda x: x * _sigmoid(x)),
    (lambda: nn.Swish(2.0), lambda x: x * _sigmoid(2.0 * x)),
    (lambda: nn.SiLU(), lambda x: x * _sigmoid(x)),
    (lambda: nn.PReLU(), lambda x: np.where(x > 0, x, 0.25 * x)),
]


def _inputs(shape=(3, 4)):
    """Values away from 0, where the piecewise activations have their kink."""
    x = np.random.uniform(0.2, 2.5, size=shape)
    return x * np.where(np.random.rand(*shape) < 0.5, -1, 1)


@pytest.mark.parametrize("make, ref", CASES)
def test_activation_matches_numpy_and_gradients(make, ref):
    layer = make()
    x = _inputs()
    xa = prepare(layer, x)
    np.testing.assert_allclose(layer(xa).asnumpy(), ref(x), rtol=1e-10, atol=1e-12)
    check_gradients(layer, xa)


def test_float32_input_keeps_float32():
    for make, _ in CASES:
        layer = make()
        layer.initialize()
        assert layer(nd.array(_inputs())).dtype == np.float32


def test_prelu_parameter_shapes_and_per_channel_slopes():
    shared = nn.PReLU()
    assert list(shared.collect_params().keys()) == ["alpha"]
    assert shared.alpha.shape == (1,)
    per_channel = nn.PReLU(in_channels=3)
    per_channel.initialize()
    np.testing.assert_allclose(per_channel.alpha.data().asnumpy(), [0.25] * 3)
    alpha = np.array([0.1, 0.2, 0.3])
    per_channel.alpha.set_data(alpha)
    x = _inputs((2, 3, 4))
    want = np.where(x > 0, x, alpha[None, :, None] * x)
    np.testing.assert_allclose(per_channel(nd.array(x)).asnumpy(), want, rtol=1e-6)


def test_prelu_alpha_gradient():
    layer = nn.PReLU(in_channels=3)
    xa = prepare(layer, _inputs((2, 3, 4)))
    check_gradients(layer, xa)
    x = nd.array([[-2.0, 1.0]])
    shared = nn.PReLU()
    shared.initialize()
    with autograd.record():
        y = shared(x)
    y.backward()
    np.testing.assert_allclose(shared.alpha.grad().asnumpy(), [-2.0])


def test_reprs_and_errors():
    assert repr(nn.Activation("relu")) == "Activation(relu)"
    assert repr(nn.LeakyReLU(0.1)) == "LeakyReLU(0.1)"
    assert repr(nn.ELU(0.5)) == "ELU(alpha=0.5)"
    assert repr(nn.Swish()) == "Swish(beta=1.0)"
    assert repr(nn.PReLU(in_channels=4)) == "PReLU(in_channels=4)"
    assert repr(nn.SELU()) == "SELU()"
    with pytest.raises(ValueError, match="alpha"):
        nn.LeakyReLU(-0.1)
    with pytest.raises(ValueError, match="approximation"):
        nn.GELU(approximation="fast")
    layer = nn.Activation("swishy")
    with pytest.raises(ValueError, match="act_type"):
        layer(nd.ones((1,)))
