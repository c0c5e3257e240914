"""Input pipeline throughput: images per second of ImageFolderDataset + vision transforms +
DataLoader (0 and 2 worker processes, and 2 threads) on small JPEG files, next to a plain Pillow
loop doing the same work (decode, resize or random crop, scale to [0, 1], normalise, CHW,
batch). A second table times the shipping of preloaded batches alone: in the main process,
through the workers' shared memory, and pickled through their sockets.

The files (``count`` JPEGs of 96-160 px, 10 classes) are written to a temporary folder with
Pillow. Each row is the median over ``epochs`` timed passes after one untimed pass (which warms
the page cache and starts the workers).

    python bench/dataloader.py [count] [epochs]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np
from _common import median, print_table

try:
    from PIL import Image
except ImportError:  # pragma: no cover
    sys.exit("bench/dataloader.py needs Pillow: pip install pillow")

import gluonlite
from gluonlite.data import ArrayDataset, DataLoader, _shm
from gluonlite.data.vision import ImageFolderDataset, transforms

SIZE = 64
BATCH = 32
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def write_jpegs(root: str, count: int) -> None:
    """``count`` smooth random RGB images as JPEG files, one folder per class."""
    rng = np.random.default_rng(0)
    for i in range(count):
        folder = os.path.join(root, f"class{i % 10}")
        os.makedirs(folder, exist_ok=True)
        h, w = rng.integers(96, 161, size=2)
        coarse = rng.integers(0, 256, size=(h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
        img = Image.fromarray(coarse).resize((int(w), int(h)), Image.BILINEAR)
        img.save(os.path.join(folder, f"{i:05d}.jpg"), quality=90)


def pillow_epoch(paths: list[str], random_crop: bool) -> int:
    """The same work as the gluonlite pipelines, by hand with Pillow and NumPy."""
    rng = np.random.default_rng(0)
    mean = np.array(MEAN, np.float32)[:, None, None]
    std = np.array(STD, np.float32)[:, None, None]
    for start in range(0, len(paths), BATCH):
        batch = []
        for path in paths[start : start + BATCH]:
            with Image.open(path) as img:
                img = img.convert("RGB")
                if random_crop:  # a random box of 30-100 % of the area, then resize
                    w, h = img.size
                    side = np.sqrt(rng.uniform(0.3, 1.0) * w * h)
                    cw, ch = min(w, int(side)), min(h, int(side))
                    x, y = rng.integers(0, w - cw + 1), rng.integers(0, h - ch + 1)
                    img = img.resize((SIZE, SIZE), Image.BILINEAR, box=(x, y, x + cw, y + ch))
                else:
                    img = img.resize((SIZE, SIZE), Image.BILINEAR)
                x = np.asarray(img, np.float32).transpose(2, 0, 1) / 255.0
            batch.append((x - mean) / std)
        np.stack(batch)
    return len(paths)


def loader_epoch(loader: DataLoader, touch: bool = False) -> int:
    """One pass; with ``touch`` one value of every memory page of each batch is read."""
    n = 0
    for data, _ in loader:
        n += data.shape[0]
        if touch:
            float(data.handle.reshape(-1)[::1024].sum())
    return n


def rate(run, epochs: int) -> float:
    run()  # untimed: page cache, worker start-up
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        n = run()
        times.append(time.perf_counter() - start)
    return n / median(times)


def transport_rows(epochs: int) -> list[list[object]]:
    """Batches of preloaded arrays (no decoding), every page read by the main process: what
    shipping a batch costs."""
    x = np.random.default_rng(0).random((2048, 3, SIZE, SIZE), dtype=np.float32)
    data = ArrayDataset(x, np.arange(len(x)))
    rows = []
    for label, kw, threshold in [
        ("0 workers", {"num_workers": 0}, _shm.THRESHOLD),
        ("2 processes, shared memory", {"num_workers": 2}, _shm.THRESHOLD),
        ("2 processes, pickled", {"num_workers": 2}, 1 << 62),
    ]:
        _shm.THRESHOLD, saved = threshold, _shm.THRESHOLD  # forked workers inherit it
        loader = DataLoader(data, batch_size=BATCH, **kw)
        rows.append([label, f"{rate(lambda ld=loader: loader_epoch(ld, True), epochs):.0f}"])
        del loader
        _shm.THRESHOLD = saved
    return rows


def main(count: int = 1000, epochs: int = 3) -> None:
    with tempfile.TemporaryDirectory(prefix="gluonlite-bench-") as root:
        write_jpegs(root, count)
        dataset = ImageFolderDataset(root)
        paths = [path for path, _ in dataset.items]
        pipelines = {
            "Resize": transforms.Compose(
                [transforms.Resize(SIZE), transforms.ToTensor(), transforms.Normalize(MEAN, STD)]
            ),
            "RandomResizedCrop": transforms.Compose(
                [
                    transforms.RandomResizedCrop(SIZE, scale=(0.3, 1.0)),
                    transforms.RandomFlipLeftRight(),
                    transforms.ToTensor(),
                    transforms.Normalize(MEAN, STD),
                ]
            ),
        }
        rows = []
        for name, fn in pipelines.items():
            random_crop = name != "Resize"
            base = rate(lambda rc=random_crop: pillow_epoch(paths, rc), epochs)
            rows.append([name, "plain Pillow loop", f"{base:.0f}", "1.00"])
            data = dataset.transform_first(fn)
            for label, kw in [
                ("DataLoader, 0 workers", {"num_workers": 0}),
                ("DataLoader, 2 processes", {"num_workers": 2}),
                ("DataLoader, 2 threads", {"num_workers": 2, "thread_pool": True}),
            ]:
                gluonlite.random.seed(0)
                loader = DataLoader(data, batch_size=BATCH, shuffle=True, **kw)
                r = rate(lambda ld=loader: loader_epoch(ld), epochs)
                rows.append([name, label, f"{r:.0f}", f"{r / base:.2f}"])
                del loader
    print_table(
        f"{count} JPEGs (96-160 px) -> {SIZE}x{SIZE} float32 CHW, batch {BATCH}, "
        f"{os.cpu_count()} CPUs",
        ["transform", "pipeline", "images/s", "vs Pillow"],
        rows,
    )
    print_table(
        f"Transport: 2048 preloaded {SIZE}x{SIZE} float32 CHW samples, batch {BATCH} "
        f"({BATCH * 3 * SIZE * SIZE * 4 // 1024} KiB)",
        ["pipeline", "samples/s"],
        transport_rows(epochs),
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
