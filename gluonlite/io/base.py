"""The data-iterator protocol of MXNet 1.x: descriptors, batches and the ``DataIter`` base."""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any

import numpy

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DataBatch", "DataDesc", "DataIter"]


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """A named input: ``(name, shape)`` as a tuple, plus ``dtype`` and ``layout``."""

    def __new__(
        cls, name: str, shape: Any, dtype: Any = numpy.float32, layout: str = "NCHW"
    ) -> Self:
        desc = super().__new__(cls, name, tuple(shape))
        desc.dtype = dtype
        desc.layout = layout
        return desc

    def __repr__(self) -> str:
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout: str | None) -> int:
        """The batch axis of a layout ('N' in it; 0 when no layout is given)."""
        return 0 if layout is None else layout.find("N")

    @staticmethod
    def get_list(shapes: list, types: list | None = None) -> list[DataDesc]:
        """DataDescs from ``(name, shape)`` pairs (and optional ``(name, dtype)`` pairs)."""
        if types is None:
            return [DataDesc(name, shape) for name, shape in shapes]
        dtypes = dict(types)
        return [DataDesc(name, shape, dtypes[name]) for name, shape in shapes]


class DataBatch:
    """One batch: lists of data and label arrays; ``pad`` samples at its end are filler."""

    def __init__(
        self,
        data: list,
        label: list | None = None,
        pad: int | None = None,
        index: Any = None,
        bucket_key: Any = None,
        provide_data: list | None = None,
        provide_label: list | None = None,
    ) -> None:
        if data is not None and not isinstance(data, (list, tuple)):
            raise TypeError("DataBatch: data must be a list of arrays")
        if label is not None and not isinstance(label, (list, tuple)):
            raise TypeError("DataBatch: label must be a list of arrays")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self) -> str:
        data = [d.shape for d in self.data] if self.data else None
        label = [lb.shape for lb in self.label] if self.label else None
        return f"{type(self).__name__}: data shapes: {data} label shapes: {label}"


class DataIter:
    """Base class: subclasses implement ``iter_next``/``getdata``/``getlabel`` (or ``next``)
    and ``reset``; iteration and ``next`` come from here."""

    def __init__(self, batch_size: int = 0) -> None:
        self.batch_size = batch_size

    def __iter__(self) -> DataIter:
        return self

    def reset(self) -> None:
        """Go back to the first batch."""

    def next(self) -> DataBatch:
        """The next batch; StopIteration at the end of the data."""
        if self.iter_next():
            return DataBatch(
                data=self.getdata(), label=self.getlabel(), pad=self.getpad(), index=self.getindex()
            )
        raise StopIteration

    def __next__(self) -> DataBatch:
        return self.next()

    def iter_next(self) -> bool:
        """Move to the next batch; False at the end."""
        raise NotImplementedError(f"{type(self).__name__} must implement iter_next or next")

    def getdata(self) -> list:
        raise NotImplementedError(f"{type(self).__name__} must implement getdata")

    def getlabel(self) -> list | None:
        return None

    def getindex(self) -> Any:
        return None

    def getpad(self) -> int:
        return 0
