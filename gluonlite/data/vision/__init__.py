"""Computer-vision data (MXNet's ``gluon.data.vision``): datasets read from local files and
the image ``transforms`` that feed them to models. Pillow, needed to decode image files and to
resize, is imported only when first used."""

from . import transforms
from .datasets import CIFAR10, CIFAR100, MNIST, FashionMNIST, ImageFolderDataset

__all__ = ["CIFAR10", "CIFAR100", "MNIST", "FashionMNIST", "ImageFolderDataset", "transforms"]
