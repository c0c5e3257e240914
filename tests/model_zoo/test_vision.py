"""Model zoo: every architecture builds and classifies, parameter counts and structural names
match MXNet 1.9's models, pretrained weights load from the local store (and only from it)."""

import os

import numpy as np
import pytest

import gluonlite as mx
from gluonlite import autograd, nd
from gluonlite.model_zoo import model_store, vision

# constructor -> the smallest square input its pooling accepts (fixed pools need 224 or 299)
_SIZES = {
    **{f"resnet{d}_v{v}": 32 for d in (18, 34, 50, 101, 152) for v in (1, 2)},
    **{f"vgg{d}{bn}": 32 for d in (11, 13, 16, 19) for bn in ("", "_bn")},
    "alexnet": 64,
    **{f"densenet{d}": 224 for d in (121, 161, 169, 201)},
    "squeezenet1_0": 224,
    "squeezenet1_1": 224,
    **{f"mobilenet{m}": 32 for m in ("1_0", "0_75", "0_5", "0_25")},
    **{f"mobilenet_v2_{m}": 32 for m in ("1_0", "0_75", "0_5", "0_25")},
    "inception_v3": 299,
}
# deeper or wider variants of families covered above, and the 224/299-pixel-only giants: their
# forward runs with -m slow; test_every_constructor_builds still builds them in the fast run
_HEAVY = {
    *(f"resnet{d}_v{v}" for d in (34, 101, 152) for v in (1, 2)),
    *(f"vgg{d}{bn}" for d in (13, 16, 19) for bn in ("", "_bn")),
    "densenet161",
    "densenet169",
    "densenet201",
    "inception_v3",
}


def _count(net, trainable_only=True):
    return sum(
        int(np.prod(p.shape))
        for p in net.collect_params().values()
        if p.grad_req != "null" or not trainable_only
    )


def _built(name, size=None, **kwargs):
    """``name`` with fresh parameters, after one predict-mode forward (so shapes are known)."""
    net = getattr(vision, name)(**kwargs)
    net.initialize()
    size = size or _SIZES[name]
    out = net(nd.random.uniform(shape=(1, 3, size, size)))
    return net, out


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in _HEAVY else n for n in _SIZES],
)
def test_constructor_classifies(name):
    net, out = _built(name, classes=7)
    assert isinstance(net, mx.nn.HybridBlock)
    assert out.shape == (1, 7)
    assert np.isfinite(out.asnumpy()).all()


@pytest.mark.parametrize("name", sorted(_SIZES))
def test_every_constructor_builds(name):
    net = getattr(vision, name)(classes=3)
    assert isinstance(net.features, mx.nn.HybridSequential) and len(net.features) > 5
    assert isinstance(net.output, mx.nn.HybridBlock)


@pytest.mark.parametrize(
    "name, size, trainable, total",
    [
        # torchvision's published count (same architecture and parameters)
        ("resnet18_v1", 32, 11_689_512, 11_699_112),
        # derived layer by layer (see the report): trainable 25,549,480; with the BatchNorm
        # running statistics and the unscaled input BatchNorm's gamma/beta, 25,595,060
        ("resnet50_v2", 32, 25_549_480, 25_595_060),
        # torchvision's mobilenet_v2 has 3,504,872: MXNet's adds a 1x1 expansion (1024 + 64 BN)
        # to the first bottleneck and drops the classifier bias (-1000)
        ("mobilenet_v2_1_0", 32, 3_504_960, 3_539_136),
        ("squeezenet1_1", 224, 1_235_496, 1_235_496),  # torchvision
        ("mobilenet1_0", 32, 4_231_976, 4_253_864),  # Keras MobileNet (total incl. BN stats)
    ],
)
def test_parameter_counts(name, size, trainable, total):
    net, _ = _built(name, size=size)
    assert (_count(net), _count(net, trainable_only=False)) == (trainable, total)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, size, trainable",
    [
        ("vgg16", 224, 138_357_544),  # torchvision
        ("resnet50_v1", 32, 25_575_912),  # torchvision + the biases of MXNet's 1x1 convs
        ("alexnet", 224, 61_100_840),  # torchvision
        ("densenet121", 224, 7_978_856),  # torchvision
        ("inception_v3", 299, 23_834_568),  # torchvision without the auxiliary classifier
    ],
)
def test_parameter_counts_large_inputs(name, size, trainable):
    net, _ = _built(name, size=size)
    assert _count(net) == trainable


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "resnet18_v1",
            [
                "features.0.weight",
                "features.1.running_var",
                "features.4.0.body.0.weight",
                "features.4.0.body.4.gamma",
                "features.5.0.downsample.0.weight",
                "features.5.0.downsample.1.beta",
                "output.weight",
                "output.bias",
            ],
        ),
        ("resnet50_v1", ["features.5.0.body.0.bias", "features.5.0.body.6.bias"]),
        (
            "resnet50_v2",
            [
                "features.0.gamma",
                "features.1.weight",
                "features.5.0.bn1.gamma",
                "features.5.0.conv3.weight",
                "features.5.0.downsample.weight",
                "features.9.running_mean",
                "output.weight",
            ],
        ),
        (
            "vgg11_bn",
            ["features.0.weight", "features.1.gamma", "features.29.weight", "output.weight"],
        ),
        ("alexnet", ["features.0.weight", "features.9.weight", "output.bias"]),
        (
            "densenet121",
            [
                "features.0.weight",
                "features.4.0.1.0.gamma",
                "features.4.5.1.5.weight",
                "features.5.2.weight",
                "features.11.beta",
                "output.weight",
            ],
        ),
        (
            "squeezenet1_0",
            [
                "features.0.weight",
                "features.3.0.0.weight",
                "features.3.1.1.0.bias",
                "output.0.weight",
            ],
        ),
        (
            "mobilenet0_25",
            ["features.0.weight", "features.1.gamma", "features.3.weight", "output.weight"],
        ),
        (
            "mobilenet_v2_0_25",
            [
                "features.3.out.0.weight",
                "features.3.out.7.running_var",
                "features.20.weight",
                "output.0.weight",
            ],
        ),
        (
            "inception_v3",
            [
                "features.0.0.weight",
                "features.0.1.gamma",
                "features.7.3.1.0.weight",
                "features.17.1.1.0.0.0.weight",
                "output.weight",
            ],
        ),
    ],
)
def test_structural_names_are_mxnets(name, expected):
    names = set(getattr(vision, name)().collect_params())
    assert set(expected) <= names


def test_resnet_options():
    net, out = _built("resnet18_v2", size=16, classes=4, thumbnail=True)
    assert out.shape == (1, 4)
    assert net.features[1].weight.shape == (64, 3, 3, 3)  # the 3x3 thumbnail stem
    with pytest.raises(ValueError, match="num_layers=20"):
        vision.get_resnet(1, 20)
    with pytest.raises(ValueError, match="version=3"):
        vision.get_resnet(3, 18)


def test_vgg_batch_norm_option():
    plain = vision.vgg11()
    bn = vision.get_vgg(11, batch_norm=True)
    assert not any(n.endswith("gamma") for n in plain.collect_params())
    assert sum(n.endswith("gamma") for n in bn.collect_params()) == 8
    assert len(vision.vgg11_bn(batch_norm=True).features) == len(bn.features)


def test_mobilenet_widths():
    assert vision.get_mobilenet(0.5).features[0].weight.shape[0] == 16
    assert vision.get_mobilenet_v2(0.75).features[0].weight.shape[0] == 24
    with pytest.raises(ValueError, match="version '2.0'"):
        vision.SqueezeNet("2.0")


# ---- get_model ------------------------------------------------------------------------------
_MXNET_NAMES = sorted(vision._MODELS)


def test_get_model_names_are_mxnets():
    expected = {f"resnet{d}_v{v}" for d in (18, 34, 50, 101, 152) for v in (1, 2)}
    expected |= {f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")}
    expected |= {
        "alexnet",
        "densenet121",
        "densenet161",
        "densenet169",
        "densenet201",
        "squeezenet1.0",
        "squeezenet1.1",
        "inceptionv3",
    }
    expected |= {f"mobilenet{m}" for m in ("1.0", "0.75", "0.5", "0.25")}
    expected |= {f"mobilenetv2_{m}" for m in ("1.0", "0.75", "0.5", "0.25")}
    assert set(_MXNET_NAMES) == expected


@pytest.mark.parametrize(
    "name, cls",
    [
        ("resnet152_v2", vision.ResNetV2),
        ("ResNet50_V1", vision.ResNetV1),
        ("vgg19_bn", vision.VGG),
        ("squeezenet1.1", vision.SqueezeNet),
        ("squeezenet1_1", vision.SqueezeNet),
        ("inceptionv3", vision.Inception3),
        ("inception_v3", vision.Inception3),
        ("mobilenet0.75", vision.MobileNet),
        ("mobilenetv2_0.5", vision.MobileNetV2),
        ("mobilenet_v2_0_5", vision.MobileNetV2),
        ("densenet201", vision.DenseNet),
        ("alexnet", vision.AlexNet),
    ],
)
def test_get_model_builds(name, cls):
    assert type(vision.get_model(name, classes=3)) is cls


def test_get_model_unknown_name_lists_the_options():
    with pytest.raises(ValueError) as info:
        vision.get_model("resnet19_v1")
    message = str(info.value)
    assert "'resnet19_v1' is not supported" in message
    assert all(name in message for name in _MXNET_NAMES)


# ---- pretrained weights -----------------------------------------------------------------------
@pytest.mark.parametrize("name", _MXNET_NAMES)
def test_pretrained_looks_for_the_models_file(name, tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        vision.get_model(name, pretrained=True, root=str(tmp_path))
    official = f"{name}-{model_store.short_hash(name)}.params"
    assert official in str(info.value)


def test_missing_weights_error_says_where_and_how(tmp_path):
    root = tmp_path / "store"
    with pytest.raises(model_store.ModelFileNotFoundError) as info:
        vision.resnet18_v1(pretrained=True, root=str(root))
    message = str(info.value)
    assert str(root) in message and "does not exist" in message
    for accepted in ("resnet18_v1-a0666292.params", "resnet18_v1.params", "resnet18_v1-*.params"):
        assert accepted in message
    assert "never downloads" in message
    assert "~/.mxnet/models/resnet18_v1-a0666292.params" in message
    assert "resnet18_v1-a0666292.zip" in message
    assert "save_parameters" in message and "root=" in message


def test_default_root_is_the_gluonlite_store():
    assert model_store.DEFAULT_ROOT == os.path.join("~", ".gluonlite", "models")
    with pytest.raises(ValueError, match="no pretrained weights named 'resnet19'"):
        model_store.short_hash("resnet19")


def _save(net, path, size):
    x = nd.random.uniform(shape=(2, 3, size, size))
    expected = net(x).asnumpy()
    net.save_parameters(str(path))
    return x, expected


@pytest.mark.parametrize(
    "name, filename, size",
    [
        ("squeezenet1.1", "squeezenet1.1.params", 224),
        ("mobilenetv2_0.25", "mobilenetv2_0.25-0123abcd.params", 32),
    ],
)
def test_pretrained_round_trip(name, filename, size, tmp_path):
    net = vision.get_model(name, classes=6)
    net.initialize(mx.init.Xavier())
    x, expected = _save(net, tmp_path / filename, size)
    loaded = vision.get_model(name, classes=6, pretrained=True, root=str(tmp_path), ctx=mx.cpu())
    np.testing.assert_array_equal(loaded(x).asnumpy(), expected)
    assert model_store.get_model_file(name, str(tmp_path)) == str(tmp_path / filename)


def test_official_file_name_is_checked_against_mxnets_digest(tmp_path):
    net = vision.squeezenet1_1(classes=2)
    net.initialize()
    _save(net, tmp_path / "squeezenet1.1-33ba0f93.params", 224)
    with pytest.raises(ValueError, match="SHA-1"):
        vision.get_model("squeezenet1.1", classes=2, pretrained=True, root=str(tmp_path))


def test_prefix_named_file_loads_by_position(tmp_path):
    net = vision.mobilenet0_25(classes=3)
    net.initialize()
    x = nd.random.uniform(shape=(1, 3, 32, 32))
    expected = net(x).asnumpy()
    params = net.collect_params()
    legacy = {
        f"mobilenet0_layer{i}_{name.rsplit('.', 1)[1]}": p.data()
        for i, (name, p) in enumerate(params.items())
    }
    nd.save(str(tmp_path / "mobilenet0.25.params"), legacy)
    loaded = vision.mobilenet0_25(classes=3, pretrained=True, root=str(tmp_path))
    np.testing.assert_array_equal(loaded(x).asnumpy(), expected)

    swapped = dict(reversed(list(legacy.items())))
    nd.save(str(tmp_path / "mobilenet0.25.params"), swapped)
    with pytest.raises(ValueError, match="matched by position"):
        vision.mobilenet0_25(classes=3, pretrained=True, root=str(tmp_path))


def test_purge_empties_the_store(tmp_path):
    (tmp_path / "alexnet.params").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("keep")
    model_store.purge(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


# ---- hybridize --------------------------------------------------------------------------------
@pytest.mark.parametrize("name, size", [("resnet18_v2", 16), ("squeezenet1_1", 224)])
def test_hybridized_equals_eager(name, size):
    net = vision.get_model(name, classes=5, **({"thumbnail": True} if "resnet" in name else {}))
    net.initialize(mx.init.Xavier())
    x = nd.random.uniform(shape=(2, 3, size, size))
    eager = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), eager, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net(x).asnumpy(), eager, rtol=1e-5, atol=1e-6)


def test_hybridized_training_step_equals_eager(tmp_path):
    x = nd.random.uniform(shape=(2, 3, 32, 32))
    path = str(tmp_path / "w.params")
    grads = []
    for hybrid in (False, True):
        net = vision.mobilenet_v2_0_25(classes=4)
        if hybrid:
            net.load_parameters(path)
            net.hybridize()
        else:
            net.initialize(mx.init.Xavier())
            net(x)
            net.save_parameters(path)
        with autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        grads.append(
            {n: p.grad().asnumpy() for n, p in net.collect_params().items() if p.grad_req != "null"}
        )
    assert grads[0].keys() == grads[1].keys()
    for name in grads[0]:
        np.testing.assert_allclose(grads[1][name], grads[0][name], rtol=1e-4, atol=1e-5)
