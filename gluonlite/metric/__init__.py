"""Evaluation metrics (MXNet's ``mx.metric``): objects that accumulate a score over batches
with ``update(labels, preds)`` and report it with ``get()``. They compute on the host in
NumPy, outside autograd; ``create`` builds them from MXNet's registered names."""

from .base import (
    CompositeEvalMetric,
    CustomMetric,
    EvalMetric,
    alias,
    check_label_shapes,
    create,
    np,  # noqa: F401  (public as ``metric.np``, kept out of __all__: see below)
    register,
)
from .classification import (
    F1,
    MCC,
    PCC,
    Accuracy,
    CrossEntropy,
    NegativeLogLikelihood,
    Perplexity,
    TopKAccuracy,
)
from .regression import MAE, MSE, RMSE, Loss, PearsonCorrelation

__all__ = [
    "F1",
    "MAE",
    "MCC",
    "MSE",
    "PCC",
    "RMSE",
    "Accuracy",
    "CompositeEvalMetric",
    "CrossEntropy",
    "CustomMetric",
    "EvalMetric",
    "Loss",
    "NegativeLogLikelihood",
    "PearsonCorrelation",
    "Perplexity",
    "TopKAccuracy",
    "alias",
    "check_label_shapes",
    "create",
    "register",
]
# ``metric.np`` (MXNet's name) stays out of __all__: a star import must not shadow numpy's ``np``
