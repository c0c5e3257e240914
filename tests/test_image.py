"""gluonlite.image: decoding (imread, imdecode), resizing and cropping helpers, and the error
paths (corrupt files, missing Pillow)."""

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import gluonlite as mx
from gluonlite import errors, image
from gluonlite.image import codec


def _rgb(h=12, w=16, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (h, w, 3)).astype(np.uint8)


def _encode(arr, fmt="PNG"):
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture
def png_file(tmp_path):
    arr = _rgb()
    path = tmp_path / "img.png"
    path.write_bytes(_encode(arr))
    return path, arr


# ---- decoding -----------------------------------------------------------------------------------
def test_imread_png_is_exact_rgb_uint8(png_file):
    path, arr = png_file
    img = image.imread(str(path))
    assert isinstance(img, mx.nd.NDArray)
    assert img.shape == (12, 16, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img.asnumpy(), arr)


def test_decoded_and_resized_images_are_writable(png_file):
    img = image.imread(png_file[0])
    img[0, 0] = 5  # MXNet arrays are writable; Pillow's buffers are not
    assert img.asnumpy()[0, 0, 0] == 5
    small = image.imresize(img, 4, 4)
    small += 1
    assert small.shape == (4, 4, 3)


def test_imread_grayscale_and_bgr(png_file):
    path, arr = png_file
    gray = image.imread(path, flag=0)
    assert gray.shape == (12, 16, 1)
    expected = np.asarray(Image.fromarray(arr).convert("L"))
    np.testing.assert_array_equal(gray.asnumpy()[:, :, 0], expected)
    bgr = image.imread(path, to_rgb=False)
    np.testing.assert_array_equal(bgr.asnumpy(), arr[:, :, ::-1])


def test_imread_converts_other_modes_to_rgb(tmp_path):
    rgba = np.random.RandomState(1).randint(0, 256, (5, 7, 4)).astype(np.uint8)
    Image.fromarray(rgba).save(tmp_path / "a.png")
    img = image.imread(tmp_path / "a.png")
    np.testing.assert_array_equal(img.asnumpy(), rgba[:, :, :3])
    gray = rgba[:, :, 0]
    Image.fromarray(gray).save(tmp_path / "g.png")
    img = image.imread(tmp_path / "g.png")
    assert img.shape == (5, 7, 3)
    np.testing.assert_array_equal(img.asnumpy(), np.repeat(gray[:, :, None], 3, axis=2))


def test_imdecode_accepts_bytes_numpy_and_ndarray():
    arr = _rgb(6, 9)
    data = _encode(arr)
    for buf in (
        data,
        bytearray(data),
        np.frombuffer(data, np.uint8),
        mx.nd.array(np.frombuffer(data, np.uint8), dtype="uint8"),
    ):
        np.testing.assert_array_equal(image.imdecode(buf).asnumpy(), arr)
    jpeg = image.imdecode(_encode(arr, "JPEG"))
    assert jpeg.shape == (6, 9, 3) and jpeg.dtype == np.uint8


def test_imdecode_rejects_bad_input():
    with pytest.raises(errors.MXNetTypeError, match="uint8"):
        image.imdecode(np.zeros(4, np.float32))
    with pytest.raises(errors.MXNetTypeError, match="bytes"):
        image.imdecode("not bytes")
    with pytest.raises(errors.MXNetValueError, match="cannot decode image from a buffer"):
        image.imdecode(b"definitely not an image")
    with pytest.raises(errors.MXNetValueError, match="flag"):
        image.imdecode(_encode(_rgb()), flag=2)


def test_corrupt_and_missing_files_are_named(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 garbage")
    with pytest.raises(errors.MXNetValueError, match="broken.jpg"):
        image.imread(bad)
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(_encode(_rgb(40, 40))[:100])
    with pytest.raises(errors.MXNetValueError, match="cut.png"):
        image.imread(truncated)
    with pytest.raises(FileNotFoundError, match="nothere.png"):
        image.imread(tmp_path / "nothere.png")


# ---- resizing and cropping ---------------------------------------------------------------------
@pytest.mark.parametrize("interp", [0, 1, 2, 3, 4, 9, 10])
def test_imresize_shape_dtype_and_constant_images(interp):
    src = mx.nd.full((10, 14, 3), 77, dtype="uint8")
    out = image.imresize(src, 5, 8, interp=interp)
    assert out.shape == (8, 5, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out.asnumpy(), 77)


def test_imresize_float_and_odd_channel_counts():
    src = mx.nd.array(np.random.RandomState(0).rand(6, 6, 2), dtype="float32")
    out = image.imresize(src, 12, 3)
    assert out.shape == (3, 12, 2) and out.dtype == np.float32
    assert 0 <= out.asnumpy().min() and out.asnumpy().max() <= 1
    one = image.imresize(mx.nd.full((4, 4, 1), 9, dtype="uint8"), 2, 2)
    assert one.shape == (2, 2, 1)
    np.testing.assert_array_equal(one.asnumpy(), 9)


def test_imresize_is_bilinear_by_default():
    ramp = np.tile(np.arange(8, dtype=np.float32) * 10, (4, 1))[:, :, None]
    out = image.imresize(mx.nd.array(ramp), 16, 4).asnumpy()[0, :, 0]
    assert np.all(np.diff(out) >= 0) and 0 <= out.min() and out.max() <= 70
    assert len(np.unique(out)) > 8  # interpolated, not repeated (nearest)


def test_imresize_rejects_bad_arguments():
    src = mx.nd.zeros((4, 4, 3), dtype="uint8")
    with pytest.raises(errors.MXNetValueError, match="interpolation"):
        image.imresize(src, 2, 2, interp=7)
    with pytest.raises(errors.MXNetValueError, match="positive"):
        image.imresize(src, 0, 2)
    with pytest.raises(errors.ShapeError, match="H, W, C"):
        image.imresize(mx.nd.zeros((2, 2, 2, 2, 2)), 2, 2)


def test_resize_short_and_scale_down():
    src = mx.nd.zeros((30, 60, 3), dtype="uint8")
    assert image.resize_short(src, 15).shape == (15, 30, 3)
    assert image.resize_short(mx.nd.zeros((50, 20, 3), dtype="uint8"), 10).shape == (25, 10, 3)
    assert image.scale_down((640, 480), (720, 120)) == (640, 106)
    assert image.scale_down((100, 100), (50, 20)) == (50, 20)


def test_crops():
    arr = _rgb(20, 30)
    src = mx.nd.array(arr, dtype="uint8")
    out = image.fixed_crop(src, 3, 4, 10, 5)
    np.testing.assert_array_equal(out.asnumpy(), arr[4:9, 3:13])
    assert image.fixed_crop(src, 3, 4, 10, 5, size=(6, 7)).shape == (7, 6, 3)
    out, rect = image.center_crop(src, (10, 8))
    assert rect == (10, 6, 10, 8)
    np.testing.assert_array_equal(out.asnumpy(), arr[6:14, 10:20])
    big, rect = image.center_crop(src, (60, 20))  # larger than the image: scaled down, resized up
    assert big.shape == (20, 60, 3) and rect == (0, 5, 30, 10)
    with pytest.raises(errors.MXNetValueError, match="does not fit"):
        image.fixed_crop(src, 25, 0, 10, 5)


def test_random_crops_repeat_under_seed():
    arr = _rgb(20, 30)
    src = mx.nd.array(arr, dtype="uint8")
    mx.random.seed(3)
    out1, rect1 = image.random_crop(src, (8, 6))
    sized1, srect1 = image.random_size_crop(src, (10, 10), (0.1, 1.0), (0.75, 1.33))
    mx.random.seed(3)
    out2, rect2 = image.random_crop(src, (8, 6))
    _, srect2 = image.random_size_crop(src, (10, 10), (0.1, 1.0), (0.75, 1.33))
    assert rect1 == rect2 and srect1 == srect2
    np.testing.assert_array_equal(out1.asnumpy(), out2.asnumpy())
    x, y, w, h = rect1
    np.testing.assert_array_equal(out1.asnumpy(), arr[y : y + h, x : x + w])
    assert sized1.shape == (10, 10, 3)
    x, y, w, h = srect1
    assert 0 <= x and x + w <= 30 and 0 <= y and y + h <= 20


def test_color_normalize():
    src = mx.nd.full((2, 2, 3), 10.0)
    out = image.color_normalize(src, mx.nd.array([1, 2, 3]), mx.nd.array([3, 4, 7]))
    np.testing.assert_allclose(out.asnumpy()[0, 0], [3, 2, 1])


# ---- Pillow is optional -------------------------------------------------------------------------
@pytest.fixture
def no_pillow(monkeypatch):
    """Simulate an install without Pillow: its import fails."""
    monkeypatch.setattr(codec, "_pil_modules", None)
    monkeypatch.setitem(sys.modules, "PIL", None)


def test_missing_pillow_gives_install_hint(png_file, no_pillow):
    with pytest.raises(image.MissingDependencyError, match=r"pip install gluonlite\[vision\]"):
        image.imread(png_file[0])
    with pytest.raises(ImportError, match="Pillow"):
        image.imresize(mx.nd.zeros((4, 4, 3), dtype="uint8"), 2, 2)
    from gluonlite.data.vision import transforms

    with pytest.raises(errors.MXNetError, match=r"gluonlite\[vision\]"):
        transforms.Resize(2)(mx.nd.zeros((4, 4, 3), dtype="uint8"))
    flipped = transforms.RandomFlipLeftRight(p=1)(mx.nd.zeros((4, 4, 3), dtype="uint8"))
    assert flipped.shape == (4, 4, 3)  # transforms that need no Pillow still work


def test_vision_imports_without_pillow():
    code = (
        "import sys; sys.modules['PIL'] = None\n"
        "import gluonlite, gluonlite.image, gluonlite.data.vision\n"
        "from gluonlite.gluon.data.vision import transforms\n"
        "print(transforms.ToTensor()(gluonlite.nd.zeros((2, 2, 3))).shape)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "(3, 2, 2)" in result.stdout
