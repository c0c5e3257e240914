"""gluon.data.vision.transforms: shapes, dtypes, value ranges, label pass-through, and random
transforms that repeat under gluonlite.random.seed."""

import numpy as np
import pytest

import gluonlite as mx
from gluonlite import errors
from gluonlite.data.vision import transforms as T


def _img(h=20, w=30, c=3, seed=0):
    arr = np.random.RandomState(seed).randint(0, 256, (h, w, c)).astype(np.uint8)
    return mx.nd.array(arr, dtype="uint8"), arr


# ---- tensor conversion --------------------------------------------------------------------------
def test_to_tensor_image_and_batch():
    img, arr = _img()
    out = T.ToTensor()(img)
    assert out.shape == (3, 20, 30) and out.dtype == np.float32
    np.testing.assert_allclose(out.asnumpy(), arr.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    batch = mx.nd.array(np.stack([arr, arr]), dtype="uint8")
    out = T.ToTensor()(batch)
    assert out.shape == (2, 3, 20, 30)
    assert 0.0 <= out.asnumpy().min() and out.asnumpy().max() <= 1.0
    with pytest.raises(errors.ShapeError, match="ToTensor"):
        T.ToTensor()(mx.nd.zeros((4, 4)))


def test_normalize_per_channel_and_scalar():
    x = mx.nd.array(np.random.RandomState(0).rand(3, 4, 5))
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    expected = (x.asnumpy() - np.reshape(mean, (3, 1, 1))) / np.reshape(std, (3, 1, 1))
    np.testing.assert_allclose(T.Normalize(mean, std)(x).asnumpy(), expected, rtol=1e-6)
    batch = mx.nd.stack(x, x)
    assert T.Normalize(mean, std)(batch).shape == (2, 3, 4, 5)
    np.testing.assert_allclose(T.Normalize(0.5, 2.0)(x).asnumpy(), (x.asnumpy() - 0.5) / 2)
    with pytest.raises(errors.ShapeError, match="3 channels"):
        T.Normalize((0.1, 0.2), 1.0)(x)
    with pytest.raises(errors.MXNetValueError, match="non-zero"):
        T.Normalize(0.0, (1.0, 0.0, 1.0))
    with pytest.raises(errors.MXNetTypeError, match="ToTensor"):
        T.Normalize(0.5, 0.5)(mx.nd.zeros((3, 2, 2), dtype="uint8"))


def test_cast():
    img, arr = _img()
    out = T.Cast()(img)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.asnumpy(), arr)
    assert T.Cast("float16")(img).dtype == np.float16


def test_tensor_transforms_hybridize():
    img, _ = _img()
    net = mx.nn.HybridSequential()
    net.add(T.ToTensor(), T.Normalize((0.4, 0.5, 0.6), (0.2, 0.3, 0.4)))
    eager = net(img).asnumpy()
    net.hybridize()
    np.testing.assert_allclose(net(img).asnumpy(), eager, rtol=1e-6)


# ---- geometry -----------------------------------------------------------------------------------
def test_resize_sizes():
    img, _ = _img()
    assert T.Resize(32)(img).shape == (32, 32, 3)  # an int is size x size (MXNet)
    assert T.Resize((16, 8))(img).shape == (8, 16, 3)  # (width, height)
    assert T.Resize(10, keep_ratio=True)(img).shape == (10, 15, 3)  # shorter side
    tall, _ = _img(40, 10)
    assert T.Resize(5, keep_ratio=True)(tall).shape == (20, 5, 3)
    batch = mx.nd.zeros((2, 20, 30, 3), dtype="uint8")
    assert T.Resize(32)(batch).shape == (2, 32, 32, 3)
    gray = mx.nd.full((28, 28, 1), 200, dtype="uint8")
    out = T.Resize(32)(gray)
    assert out.shape == (32, 32, 1) and out.dtype == np.uint8
    np.testing.assert_array_equal(out.asnumpy(), 200)
    assert T.Resize(8)(mx.nd.ones((20, 30, 3))).dtype == np.float32
    with pytest.raises(errors.MXNetValueError, match="size"):
        T.Resize(0)


def test_center_crop_and_crop_resize():
    img, arr = _img()
    np.testing.assert_array_equal(T.CenterCrop(10)(img).asnumpy(), arr[5:15, 10:20])
    assert T.CenterCrop((12, 6))(img).shape == (6, 12, 3)
    assert T.CenterCrop(64)(img).shape == (64, 64, 3)  # larger than the image: upsampled
    np.testing.assert_array_equal(T.CropResize(2, 3, 5, 4)(img).asnumpy(), arr[3:7, 2:7])
    assert T.CropResize(2, 3, 5, 4, size=8)(img).shape == (8, 8, 3)


def test_random_resized_crop():
    img, _ = _img(50, 60)
    t = T.RandomResizedCrop(24)
    shapes = {t(img).shape for _ in range(5)}
    assert shapes == {(24, 24, 3)}
    assert T.RandomResizedCrop((16, 8), scale=0.5)(img).shape == (8, 16, 3)
    with pytest.raises(errors.MXNetValueError, match="increasing"):
        T.RandomResizedCrop(24, scale=(0.9, 0.1))


def test_random_crop_with_padding_is_a_window_of_the_padded_image():
    img, arr = _img(8, 8)
    mx.random.seed(0)
    out = T.RandomCrop(8, pad=2)(img).asnumpy()
    assert out.shape == (8, 8, 3)
    padded = np.pad(arr, ((2, 2), (2, 2), (0, 0)))
    windows = [padded[y : y + 8, x : x + 8] for y in range(5) for x in range(5)]
    assert any(np.array_equal(out, w) for w in windows)
    assert T.RandomCrop((6, 4), pad=(1, 1, 2, 2))(img).shape == (4, 6, 3)
    with pytest.raises(errors.MXNetValueError, match="pad"):
        T.RandomCrop(4, pad=(1, 2))


def test_flips():
    img, arr = _img()
    np.testing.assert_array_equal(T.RandomFlipLeftRight(p=1)(img).asnumpy(), arr[:, ::-1])
    np.testing.assert_array_equal(T.RandomFlipTopBottom(p=1)(img).asnumpy(), arr[::-1])
    np.testing.assert_array_equal(T.RandomFlipLeftRight(p=0)(img).asnumpy(), arr)
    assert T.RandomHorizontalFlip is T.RandomFlipLeftRight
    flip = T.RandomHorizontalFlip()
    seen = {flip(img).asnumpy()[0, 0].tobytes() for _ in range(30)}
    assert seen == {arr[0, 0].tobytes(), arr[0, -1].tobytes()}  # both outcomes happen


# ---- colour -------------------------------------------------------------------------------------
def test_brightness_scales_values():
    img, arr = _img()
    mx.random.seed(1)
    out = T.RandomBrightness(0.5)(img).asnumpy().astype(np.float64)
    mask = (arr > 10) & (out < 255)
    ratio = out[mask] / arr[mask]
    assert 0.5 - 0.05 <= ratio.min() and ratio.max() <= 1.5 + 0.05
    assert np.ptp(ratio) < 0.1  # one factor for the whole image
    np.testing.assert_array_equal(T.RandomBrightness(0)(img).asnumpy(), arr)


def test_contrast_saturation_hue_keep_gray_images_gray():
    gray = mx.nd.full((6, 6, 3), 120, dtype="uint8")
    for t in (T.RandomSaturation(0.9), T.RandomHue(0.4), T.RandomContrast(0.9)):
        np.testing.assert_allclose(t(gray).asnumpy(), 120, atol=1)


def test_gray_and_lighting():
    img, arr = _img()
    out = T.RandomGray(p=1)(img).asnumpy()
    assert out.dtype == np.uint8 and np.all(out[..., 0] == out[..., 1])
    expected = np.rint(arr @ np.array([0.299, 0.587, 0.114]))
    np.testing.assert_allclose(out[..., 0], expected, atol=1)
    lit = T.RandomLighting(0.5)(img)
    assert lit.shape == img.shape and lit.dtype == np.uint8
    np.testing.assert_array_equal(T.RandomLighting(0)(img).asnumpy(), arr)


def test_color_transforms_on_float_images_keep_dtype():
    x = mx.nd.array(np.random.RandomState(0).rand(5, 5, 3) * 255)
    t = T.RandomColorJitter(0.3, 0.3, 0.3, 0.1)
    out = t(x)
    assert out.dtype == np.float32 and out.shape == (5, 5, 3)


RANDOM = [
    lambda: T.RandomResizedCrop(12),
    lambda: T.RandomCrop(10, pad=3),
    lambda: T.RandomFlipLeftRight(),
    lambda: T.RandomFlipTopBottom(),
    lambda: T.RandomBrightness(0.5),
    lambda: T.RandomContrast(0.5),
    lambda: T.RandomSaturation(0.5),
    lambda: T.RandomHue(0.3),
    lambda: T.RandomColorJitter(0.4, 0.4, 0.4, 0.2),
    lambda: T.RandomLighting(0.3),
    lambda: T.RandomGray(),
]


@pytest.mark.parametrize("make", RANDOM)
def test_random_transforms_repeat_under_seed(make):
    img, _ = _img()
    t = make()

    def run():
        mx.random.seed(42)
        return [t(img).asnumpy() for _ in range(6)]

    first, second = run(), run()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert all(a.dtype == np.uint8 for a in first)
    assert any(not np.array_equal(a, first[0]) for a in first[1:])  # it is random


# ---- composition --------------------------------------------------------------------------------
def test_compose_passes_labels_through():
    img, _ = _img()
    pipeline = T.Compose([T.Resize((24, 24)), T.RandomHorizontalFlip(), T.ToTensor()])
    out, label = pipeline(img, 7)
    assert out.shape == (3, 24, 24) and out.dtype == np.float32 and label == 7
    assert pipeline(img).shape == (3, 24, 24)


def test_compose_hybridizes_and_slices():
    img, _ = _img()
    pipeline = T.Compose([T.Resize(16), T.ToTensor(), T.Normalize(0.5, 0.25)])
    eager = pipeline(img).asnumpy()
    pipeline.hybridize()
    out, label = pipeline(img, 2)
    np.testing.assert_allclose(out.asnumpy(), eager, rtol=1e-6)
    assert label == 2
    tail = pipeline[1:]
    assert isinstance(tail, T.Compose) and len(tail) == 2


def test_compose_accepts_plain_callables_and_numpy_images():
    _, arr = _img()
    pipeline = T.Compose([T.CenterCrop(10), lambda x: x.astype("float32") * 2])
    out = pipeline(arr)
    assert isinstance(out, mx.nd.NDArray) and out.shape == (10, 10, 3)
    np.testing.assert_array_equal(out.asnumpy(), arr[5:15, 10:20].astype(np.float32) * 2)
    with pytest.raises(errors.MXNetTypeError, match="not callable"):
        T.Compose([T.ToTensor(), 3])
    with pytest.raises(errors.MXNetTypeError, match="image NDArray"):
        T.Resize(4)("not an image")
    with pytest.raises(errors.ShapeError, match="H, W, C"):
        T.RandomFlipLeftRight()(mx.nd.zeros((4, 4)))


def test_gluon_alias_is_the_same_module():
    from gluonlite.gluon.data.vision import transforms

    assert transforms is T
