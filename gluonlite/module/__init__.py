"""MXNet 1.x's symbolic training API (``mx.mod``): ``Module`` binds a Symbol to executors,
initialises and trains it (``fit``), evaluates (``score``, ``predict``) and checkpoints it in
MXNet's file formats. ``model`` and ``callback`` are MXNet's ``mx.model``/``mx.callback``.
"""

from . import callback, model
from .base_module import BaseModule
from .executor_group import ExecutorGroup
from .model import BatchEndParam, load_checkpoint, save_checkpoint
from .module import Module

__all__ = [
    "BaseModule",
    "BatchEndParam",
    "ExecutorGroup",
    "Module",
    "callback",
    "load_checkpoint",
    "model",
    "save_checkpoint",
]
