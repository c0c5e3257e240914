"""Block/HybridBlock mechanics: registration, structural names, collect_params selection,
deferred initialization, hooks, apply, share_parameters, save/load round trips and errors."""
import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, nn
from gluonlite.errors import DeferredInitializationError


class Affine(nn.HybridBlock):
    """A tiny layer with a deferred input dimension, written the Gluon 2 way."""

    def __init__(self, units):
        super().__init__()
        self.units = units
        self.weight = nn.Parameter("weight", shape=(units, 0), allow_deferred_init=True)
        self.bias = nn.Parameter("bias", shape=(units,), init="zeros")

    def infer_shape(self, x):
        self.weight.shape = (self.units, x.shape[-1])

    def forward(self, x):
        return nd.dot(x, self.weight.data(x.context), transpose_b=True) + self.bias.data()


class OldStyle(nn.HybridBlock):
    """MXNet 1.x style: params.get inside name_scope, hybrid_forward(F, x, **params)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(2, 3))

    def hybrid_forward(self, F, x, weight):
        return F.dot(x, weight, transpose_b=True)


class Tower(nn.Block):
    def __init__(self):
        super().__init__()
        self.features = nn.HybridSequential()
        self.features.add(Affine(4), Affine(3))
        self.out = Affine(2)

    def forward(self, x):
        return self.out(self.features(x))


def test_structural_names_and_selection():
    net = Tower()
    names = list(net.collect_params().keys())
    assert names == ["features.0.weight", "features.0.bias", "features.1.weight",
                     "features.1.bias", "out.weight", "out.bias"]
    assert list(net.collect_params(".*bias").keys()) == [
        "features.0.bias", "features.1.bias", "out.bias"]
    assert list(net.collect_params("features.1.*|out.weight").keys()) == [
        "features.1.weight", "features.1.bias", "out.weight"]


def test_deferred_initialization_infers_shapes_on_first_forward():
    net = Tower()
    net.initialize()
    w = net.features[0].weight
    assert w.shape == (4, 0)
    with pytest.raises(DeferredInitializationError, match="first input"):
        w.data()
    y = net(nd.ones((5, 7)))
    assert y.shape == (5, 2)
    assert w.shape == (4, 7) and w.data().shape == (4, 7)
    np.testing.assert_allclose(net.out.bias.data().asnumpy(), 0)


def test_uninitialized_parameter_error_says_how_to_fix():
    net = Affine(2)
    with pytest.raises(DeferredInitializationError, match="initialize"):
        net.bias.data()


def test_hybrid_forward_style_and_params_get():
    blk = OldStyle()
    blk.initialize(gl.init.One())
    out = blk(nd.ones((1, 3)))
    np.testing.assert_allclose(out.asnumpy(), [[3, 3]])
    assert list(blk.collect_params().keys()) == ["weight"]


def test_gradients_flow_to_parameters():
    net = Affine(2)
    net.initialize(gl.init.One())
    x = nd.array([[1.0, 2.0, 3.0]])
    with autograd.record():
        y = net(x)
    y.backward()
    np.testing.assert_allclose(net.weight.grad().asnumpy(), [[1, 2, 3], [1, 2, 3]])
    np.testing.assert_allclose(net.bias.grad().asnumpy(), [1, 1])
    net.zero_grad()
    np.testing.assert_allclose(net.weight.grad().asnumpy(), 0)


def test_hooks_and_apply():
    net = Tower()
    net.initialize()
    seen = []
    handle = net.out.register_forward_hook(lambda b, i, o: seen.append(o.shape))
    pre = net.register_forward_pre_hook(lambda b, i: seen.append("pre"))
    net(nd.ones((2, 3)))
    handle.detach()
    pre.detach()
    net(nd.ones((2, 3)))
    assert seen == ["pre", (2, 2)]
    names = []
    net.apply(lambda b: names.append(type(b).__name__))
    assert names == ["Affine", "Affine", "HybridSequential", "Affine", "Tower"]


def test_save_load_round_trip(tmp_path):
    net = Tower()
    net.initialize(gl.init.Xavier())
    x = nd.ones((2, 3))
    y = net(x)
    f = str(tmp_path / "tower.params")
    net.save_parameters(f)
    other = Tower()
    other.load_parameters(f)
    np.testing.assert_allclose(other(x).asnumpy(), y.asnumpy())


def test_load_errors_name_the_parameters(tmp_path):
    net = Affine(2)
    net.initialize()
    net(nd.ones((1, 3)))
    f = str(tmp_path / "a.params")
    net.save_parameters(f)
    wide = Affine(2)
    wide.initialize()
    wide(nd.ones((1, 5)))
    with pytest.raises(ValueError, match=r"weight.*\(2, 5\).*\(2, 3\)"):
        wide.load_parameters(f)
    tower = Tower()
    with pytest.raises(ValueError, match="features.0.weight"):
        tower.load_parameters(f)
    with pytest.raises(ValueError, match="ignore_extra"):
        OldStyle().load_parameters(f)
    OldStyle().load_parameters(f, allow_missing=True, ignore_extra=True)


def test_share_parameters_and_sequential_slicing():
    a, b = Affine(2), Affine(2)
    b.share_parameters(a.collect_params())
    assert b.weight is a.weight
    seq = nn.HybridSequential()
    seq.add(Affine(3), Affine(2), Affine(1))
    assert len(seq) == 3 and isinstance(seq[1:], nn.HybridSequential) and len(seq[1:]) == 2
    with pytest.raises(ValueError, match="HybridBlocks"):
        seq.add(Tower())


def test_repr_is_a_tree():
    text = repr(Tower())
    assert text.startswith("Tower(") and "(features): HybridSequential(" in text
    assert "(0): Affine" in text


def test_setattr_before_super_init_is_a_clear_error():
    class Bad(nn.Block):
        def __init__(self):
            self.x = 1
            super().__init__()

    with pytest.raises(RuntimeError, match="super"):
        Bad()


def test_cast_and_constant():
    net = Affine(2)
    net.initialize()
    net(nd.ones((1, 2)))
    net.cast("float64")
    assert net.weight.data().dtype == np.float64
    c = nn.Constant(nd.array([1.0, 2.0]))
    c.initialize()
    assert c.grad_req == "null"
    np.testing.assert_allclose(c.data().asnumpy(), [1, 2])


def test_parameter_dict_setattr_and_initialize_warning():
    net = Tower()
    params = net.collect_params()
    params.setattr("lr_mult", 0.5)
    assert all(p.lr_mult == 0.5 for p in params.values())
    net.initialize()
    with pytest.warns(UserWarning, match="already initialized"):
        net.out.bias.initialize()


def test_lambda_blocks():
    assert nn.Lambda(lambda x: x * 2)(nd.ones((2,))).asnumpy().tolist() == [2, 2]
    hl = nn.HybridLambda(lambda F, x: F.negative(x))
    assert hl(nd.ones((2,))).asnumpy().tolist() == [-1, -1]
