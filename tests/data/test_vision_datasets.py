"""gluon.data.vision datasets on files the tests write: image folders (with stray and corrupt
files), MNIST/Fashion-MNIST IDX files (plain and gzipped) and CIFAR binary batches."""

import gzip
import os
import tarfile

import numpy as np
import pytest
from PIL import Image

import gluonlite as mx
from gluonlite import errors
from gluonlite.data import DataLoader, Dataset
from gluonlite.data.vision import (
    CIFAR10,
    CIFAR100,
    MNIST,
    FashionMNIST,
    ImageFolderDataset,
    transforms,
)


# ---- image folders ------------------------------------------------------------------------------
@pytest.fixture
def image_root(tmp_path):
    """root/cat: two PNGs and an upper-case .JPG; root/dog: one JPEG and a text file; a stray
    file at the top level."""
    rs = np.random.RandomState(0)
    images = {}
    for cls, names in (("cat", ["a.png", "b.png", "c.JPG"]), ("dog", ["d.jpeg", "notes.txt"])):
        (tmp_path / cls).mkdir()
        for name in names:
            path = tmp_path / cls / name
            if name.endswith(".txt"):
                path.write_text("not an image")
                continue
            arr = rs.randint(0, 256, (10 + len(images), 12, 3)).astype(np.uint8)
            fmt = "PNG" if name.endswith(".png") else "JPEG"
            Image.fromarray(arr).save(path, format=fmt)
            images[str(path)] = arr
    (tmp_path / "README").write_text("stray file")
    return tmp_path, images


def test_image_folder_lists_classes_and_warns_about_other_files(image_root):
    root, images = image_root
    with pytest.warns(UserWarning) as record:
        ds = ImageFolderDataset(str(root))
    messages = " ".join(str(w.message) for w in record)
    assert "README" in messages and "not a directory" in messages
    assert "notes.txt" in messages
    assert isinstance(ds, Dataset)
    assert ds.synsets == ["cat", "dog"]
    assert [(os.path.basename(p), label) for p, label in ds.items] == [
        ("a.png", 0),
        ("b.png", 0),
        ("c.JPG", 0),
        ("d.jpeg", 1),
    ]
    assert len(ds) == 4
    img, label = ds[0]
    assert isinstance(img, mx.nd.NDArray) and img.dtype == np.uint8 and label == 0
    np.testing.assert_array_equal(img.asnumpy(), images[ds.items[0][0]])  # PNG is lossless
    img, label = ds[3]
    assert img.shape == images[ds.items[3][0]].shape and label == 1


def test_image_folder_grayscale_and_transform(image_root):
    root, _ = image_root
    with pytest.warns(UserWarning):
        gray = ImageFolderDataset(root, flag=0)
    assert gray[1][0].shape[2] == 1
    pipeline = transforms.Compose(
        [transforms.Resize((16, 16)), transforms.RandomHorizontalFlip(), transforms.ToTensor()]
    )
    with pytest.warns(UserWarning):
        ds = ImageFolderDataset(root, transform=pipeline)
    data, label = ds[2]
    assert data.shape == (3, 16, 16) and data.dtype == np.float32 and label == 0
    with pytest.warns(UserWarning):
        first = ImageFolderDataset(root).transform_first(transforms.Resize(8))
    assert first[0][0].shape == (8, 8, 3)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_image_folder_feeds_a_dataloader(image_root, num_workers):
    root, _ = image_root
    pipeline = transforms.Compose(
        [transforms.Resize((8, 8)), transforms.RandomFlipLeftRight(), transforms.ToTensor()]
    )
    with pytest.warns(UserWarning):
        ds = ImageFolderDataset(root).transform_first(pipeline)
    loader = DataLoader(ds, batch_size=3, num_workers=num_workers)
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(3, 3, 8, 8), (1, 3, 8, 8)]
    assert batches[1][1].asnumpy().tolist() == [1]


def test_image_folder_corrupt_image_names_the_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    ds = ImageFolderDataset(tmp_path)
    with pytest.raises(errors.MXNetValueError, match="broken.png"):
        ds[0]


def test_image_folder_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        ImageFolderDataset(tmp_path / "nowhere")


# ---- MNIST --------------------------------------------------------------------------------------
def _idx(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_mnist(root, prefix="train", n=5, gz=False, magic=0x803):
    rs = np.random.RandomState(1)
    images = rs.randint(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = rs.randint(0, 10, n).astype(np.uint8)
    for name, payload in (
        (f"{prefix}-images-idx3-ubyte", _idx(images, magic)),
        (f"{prefix}-labels-idx1-ubyte", _idx(labels, 0x801)),
    ):
        if gz:
            (root / (name + ".gz")).write_bytes(gzip.compress(payload))
        else:
            (root / name).write_bytes(payload)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files(tmp_path, gz):
    images, labels = _write_mnist(tmp_path, gz=gz)
    ds = MNIST(root=str(tmp_path))
    assert len(ds) == 5
    data, label = ds[3]
    assert data.shape == (28, 28, 1) and data.dtype == np.uint8
    np.testing.assert_array_equal(data.asnumpy()[:, :, 0], images[3])
    assert label == labels[3] and label.dtype == np.int32


def test_mnist_test_split_transform_and_fashion(tmp_path):
    images, labels = _write_mnist(tmp_path, prefix="t10k", n=3)
    ds = MNIST(tmp_path, train=False, transform=lambda d, l: (d.astype("float32") / 255, l))
    data, label = ds[1]
    assert data.dtype == np.float32 and float(data.asnumpy().max()) <= 1.0 and label == labels[1]
    fashion = FashionMNIST(tmp_path, train=False)
    np.testing.assert_array_equal(fashion[2][0].asnumpy()[:, :, 0], images[2])


def test_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MNIST(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message and "train-images-idx3-ubyte" in message
    assert "train-labels-idx1-ubyte" in message and "download" in message
    assert isinstance(info.value, errors.MXNetError)

    _write_mnist(tmp_path, magic=0x999)
    with pytest.raises(errors.MXNetValueError, match="magic number"):
        MNIST(tmp_path)
    name = tmp_path / "train-images-idx3-ubyte"
    name.write_bytes(_idx(np.zeros((5, 28, 28)), 0x803)[:-10])
    with pytest.raises(errors.MXNetValueError, match="truncated"):
        MNIST(tmp_path)
    name.write_bytes(_idx(np.zeros((4, 28, 28)), 0x803))
    with pytest.raises(errors.MXNetValueError, match="4 images but"):
        MNIST(tmp_path)
    name.unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b not gzip at all")
    with pytest.raises(errors.MXNetValueError, match="corrupt"):
        MNIST(tmp_path)


# ---- CIFAR --------------------------------------------------------------------------------------
def _cifar_records(n, labels_per_record, classes, seed):
    rs = np.random.RandomState(seed)
    images = rs.randint(0, 256, (n, 32, 32, 3)).astype(np.uint8)
    labels = np.stack([rs.randint(0, c, n) for c in classes], axis=1).astype(np.uint8)
    chw = images.transpose(0, 3, 1, 2).reshape(n, -1)
    return np.concatenate([labels[:, :labels_per_record], chw], axis=1).tobytes(), images, labels


def _write_cifar10(folder):
    folder.mkdir(parents=True, exist_ok=True)
    all_images, all_labels = [], []
    for i, name in enumerate([f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]):
        raw, images, labels = _cifar_records(2, 1, (10,), seed=i)
        (folder / name).write_bytes(raw)
        all_images.append(images)
        all_labels.append(labels[:, 0])
    return all_images, all_labels


def test_cifar10_reads_binary_batches(tmp_path):
    images, labels = _write_cifar10(tmp_path)
    train = CIFAR10(root=tmp_path)
    assert len(train) == 10
    data, label = train[3]  # batch 2, record 1
    assert data.shape == (32, 32, 3) and data.dtype == np.uint8
    np.testing.assert_array_equal(data.asnumpy(), images[1][1])  # HWC, channels in RGB order
    assert label == labels[1][1] and label.dtype == np.int32
    test = CIFAR10(tmp_path, train=False, transform=lambda d, l: (d.shape, l))
    assert len(test) == 2 and test[1] == ((32, 32, 3), labels[5][1])


def test_cifar10_from_subfolder_and_archive(tmp_path):
    images, _ = _write_cifar10(tmp_path / "unpacked" / "cifar-10-batches-bin")
    np.testing.assert_array_equal(CIFAR10(tmp_path / "unpacked")[0][0].asnumpy(), images[0][0])
    archive_root = tmp_path / "archive"
    archive_root.mkdir()
    with tarfile.open(archive_root / "cifar-10-binary.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "unpacked" / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
    ds = CIFAR10(archive_root, train=False)
    np.testing.assert_array_equal(ds[1][0].asnumpy(), images[5][1])


def test_cifar10_errors(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        CIFAR10(tmp_path)
    assert "data_batch_1.bin" in str(info.value) and str(tmp_path) in str(info.value)
    _write_cifar10(tmp_path)
    with open(tmp_path / "data_batch_3.bin", "ab") as f:
        f.write(b"\x00" * 10)
    with pytest.raises(errors.MXNetValueError, match="data_batch_3.bin"):
        CIFAR10(tmp_path)
    raw, _, _ = _cifar_records(1, 1, (10,), seed=0)
    (tmp_path / "data_batch_3.bin").write_bytes(b"\x0c" + raw[1:])  # label 12
    with pytest.raises(errors.MXNetValueError, match="label 12"):
        CIFAR10(tmp_path)
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(b"garbage")
    for name in os.listdir(tmp_path):
        if name.endswith(".bin"):
            os.remove(tmp_path / name)
    with pytest.raises(errors.MXNetValueError, match="cifar-10-binary.tar.gz"):
        CIFAR10(tmp_path)


def test_cifar100_coarse_and_fine_labels(tmp_path):
    raw, images, labels = _cifar_records(4, 2, (20, 100), seed=3)
    (tmp_path / "train.bin").write_bytes(raw)
    coarse = CIFAR100(tmp_path)
    fine = CIFAR100(tmp_path, fine_label=True)
    np.testing.assert_array_equal(coarse[2][0].asnumpy(), images[2])
    assert [coarse[i][1] for i in range(4)] == list(labels[:, 0])
    assert [fine[i][1] for i in range(4)] == list(labels[:, 1])
    with pytest.raises(FileNotFoundError, match="test.bin"):
        CIFAR100(tmp_path, train=False)
    (tmp_path / "test.bin").write_bytes(raw[:-1])
    with pytest.raises(errors.MXNetValueError, match="3074-byte records"):
        CIFAR100(tmp_path, train=False)
