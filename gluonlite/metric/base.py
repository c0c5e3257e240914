"""The metric protocol (``EvalMetric``), the name registry behind ``create``, and the metrics
that wrap other metrics or functions (``CompositeEvalMetric``, ``CustomMetric``, ``np``).

Metrics accumulate on the host in NumPy: they read each batch once with ``asnumpy()``, so any
array type works (NDArray, NumPy, lists), and nothing is recorded by autograd.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy

from .. import errors

__all__ = [
    "CompositeEvalMetric",
    "CustomMetric",
    "EvalMetric",
    "alias",
    "check_label_shapes",
    "create",
    "np",
    "register",
]

_REGISTRY: dict[str, type] = {}


def _numpy(x: Any) -> numpy.ndarray:
    """A batch as a NumPy array, whatever array type it arrives as."""
    return x.asnumpy() if hasattr(x, "asnumpy") else numpy.asarray(x)


def _as_list(x: Any) -> list:
    """A single array as a one-element list; lists and tuples as lists."""
    return list(x) if isinstance(x, (list, tuple)) else [x]


def check_label_shapes(
    labels: Any, preds: Any, wrap: bool = False, shape: bool = False
) -> tuple[Any, Any]:
    """Check that ``labels`` and ``preds`` have the same length (``shape``: the same shape);
    with ``wrap``, single arrays are first wrapped into one-element lists."""
    if wrap:
        labels, preds = _as_list(labels), _as_list(preds)
    if shape:
        label_shape, pred_shape = tuple(labels.shape), tuple(preds.shape)
    else:
        label_shape, pred_shape = len(labels), len(preds)
    if label_shape != pred_shape:
        raise errors.ShapeError(
            f"Shape of labels {label_shape} does not match shape of predictions {pred_shape}"
        )
    return labels, preds


def register(klass: type) -> type:
    """Register a metric class for ``create`` under its lower-cased name."""
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*names: str) -> Callable[[type], type]:
    """Register a metric class for ``create`` under extra names."""

    def add(klass: type) -> type:
        for name in names:
            _REGISTRY[name.lower()] = klass
        return klass

    return add


class EvalMetric:
    """Base class of the metrics: ``update(labels, preds)`` accumulates ``sum_metric`` over
    ``num_inst``; ``get()`` gives (name, value). Metrics with global statistics also keep
    totals since the last ``reset()`` that ``reset_local()`` leaves alone."""

    def __init__(
        self,
        name: str,
        output_names: list | None = None,
        label_names: list | None = None,
        **kwargs: Any,
    ) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> dict:
        """The arguments that recreate this metric with ``create(**config)``."""
        config = self._kwargs.copy()
        config.update(
            {
                "metric": type(self).__name__,
                "name": self.name,
                "output_names": self.output_names,
                "label_names": self.label_names,
            }
        )
        return config

    def update_dict(self, label: dict, pred: dict) -> None:
        """Update from name -> array mappings, keeping ``label_names``/``output_names``."""
        preds = (
            [pred[n] for n in self.output_names]
            if self.output_names is not None
            else list(pred.values())
        )
        labels = (
            [label[n] for n in self.label_names]
            if self.label_names is not None
            else list(label.values())
        )
        self.update(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        """Accumulate one batch (lists of arrays, or single arrays)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update(labels, preds)")

    def reset(self) -> None:
        """Clear the local and the global statistics."""
        self.reset_local()
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        """Clear the local statistics only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def _accumulate(self, value: Any, count: Any) -> None:
        """Add one batch's metric sum and instance count to the local and global totals."""
        value = float(value)
        count = count.item() if isinstance(count, numpy.generic) else count
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def get(self) -> tuple[Any, Any]:
        """(name, value) over the batches since the last reset (NaN before any)."""
        if self.num_inst == 0:
            return self.name, float("nan")
        return self.name, self.sum_metric / self.num_inst

    def get_global(self) -> tuple[Any, Any]:
        """(name, value) over the batches since the last full ``reset()``."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return self.name, float("nan")
        return self.name, self.global_sum_metric / self.global_num_inst

    def get_name_value(self) -> list[tuple[str, float]]:
        """``get()`` as a list of (name, value) pairs."""
        return _pairs(*self.get())

    def get_global_name_value(self) -> list[tuple[str, float]]:
        """``get_global()`` as a list of (name, value) pairs."""
        return _pairs(*self.get_global())


def _pairs(name: Any, value: Any) -> list[tuple[str, float]]:
    names = name if isinstance(name, list) else [name]
    values = value if isinstance(value, list) else [value]
    return list(zip(names, values))


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a registered name ('acc', 'f1', 'rmse'...), a metric class or instance,
    a config dict, a list of those (a CompositeEvalMetric), or a function
    ``feval(label, pred)`` (a CustomMetric)."""
    if isinstance(metric, EvalMetric):
        return metric
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        return metric(*args, **kwargs)
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, (list, tuple)):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, dict):
        return create(**metric)
    if not isinstance(metric, str):
        raise errors.MXNetTypeError(
            f"metric.create: expected a name, an EvalMetric, a list or a function, got "
            f"{type(metric).__name__}"
        )
    try:
        klass = _REGISTRY[metric.lower()]
    except KeyError:
        raise errors.MXNetValueError(
            f"metric.create: unknown metric {metric!r}; registered names are "
            f"{sorted(_REGISTRY)} (register new ones with metric.register)"
        ) from None
    return klass(*args, **kwargs)


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` gives their lists of names and values."""

    def __init__(
        self,
        metrics: list | None = None,
        name: str = "composite",
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric: Any) -> None:
        """Add a child metric (anything ``create`` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> EvalMetric:
        """The child metric at ``index``."""
        try:
            return self.metrics[index]
        except IndexError:
            raise errors.MXNetValueError(
                f"Metric index {index} is out of range 0 and {len(self.metrics)}"
            ) from None

    def update_dict(self, labels: dict, preds: dict) -> None:
        if self.label_names is not None:
            labels = OrderedDict((k, v) for k, v in labels.items() if k in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict((k, v) for k, v in preds.items() if k in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self) -> None:
        super().reset()
        for metric in getattr(self, "metrics", ()):  # absent while __init__ runs
            metric.reset()

    def reset_local(self) -> None:
        super().reset_local()
        for metric in getattr(self, "metrics", ()):
            metric.reset_local()

    def _gather(self, results: list[tuple[Any, Any]]) -> tuple[list, list]:
        names, values = [], []
        for name, value in results:
            names.extend(name if isinstance(name, list) else [name])
            values.extend(value if isinstance(value, list) else [value])
        return names, values

    def get(self) -> tuple[list, list]:
        return self._gather([m.get() for m in self.metrics])

    def get_global(self) -> tuple[list, list]:
        return self._gather([m.get_global() for m in self.metrics])

    def get_config(self) -> dict:
        config = super().get_config()
        config["metrics"] = [m.get_config() for m in self.metrics]
        return config


@register
class CustomMetric(EvalMetric):
    """A metric from ``feval(label, pred)`` on NumPy arrays, returning the batch's value or a
    (sum_metric, num_inst) pair; ``allow_extra_outputs`` lets preds outnumber labels."""

    def __init__(
        self,
        feval: Callable,
        name: str | None = None,
        allow_extra_outputs: bool = False,
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        if name is None:
            name = feval.__name__
            if "<" in name:
                name = f"custom({name})"
        super().__init__(
            name,
            feval=feval,
            allow_extra_outputs=allow_extra_outputs,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Any, preds: Any) -> None:
        if self._allow_extra_outputs:
            labels, preds = _as_list(labels), _as_list(preds)
        else:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            result = self._feval(_numpy(label), _numpy(pred))
            if isinstance(result, tuple):
                self._accumulate(*result)
            else:
                self._accumulate(result, 1)

    def get_config(self) -> dict:
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(
    numpy_feval: Callable, name: str | None = None, allow_extra_outputs: bool = False
) -> CustomMetric:
    """A CustomMetric from ``numpy_feval(label, pred)`` on NumPy arrays (MXNet's
    ``metric.np``)."""

    def feval(label: numpy.ndarray, pred: numpy.ndarray) -> Any:
        return numpy_feval(label, pred)

    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
