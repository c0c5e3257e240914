"""Pre-defined models (MXNet's ``gluon.model_zoo``): ``vision`` holds the image-classification
architectures and ``vision.get_model(name)``; ``model_store`` finds pretrained weight files in
the local store (gluonlite never downloads) and loads them into a model by structural name."""

from . import model_store, vision

__all__ = ["model_store", "vision"]
