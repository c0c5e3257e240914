"""The in-process key-value store ('local', 'device'): sums the values pushed for a key (one
array per device), optionally applies an optimizer to the stored value, and copies it back out.

Distributed stores subclass :class:`KVStore` and override two hooks: ``_across_workers``
(sum a merged buffer over all processes) and ``_from_root`` (give every process rank 0's copy).
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, ClassVar

import numpy

from ..errors import MXNetTypeError, MXNetValueError

__all__ = ["KVStore", "KVStoreBase"]


def _raw_on(array: Any, ctx: Any) -> Any:
    """``array``'s values as a raw array of ``ctx``'s module (no copy when already usable)."""
    if array._ctx == ctx or (ctx.xp is numpy and array._ctx.xp is numpy):
        return array._data
    return array.as_in_context(ctx)._data


def _empty_like(array: Any, dtype: Any) -> Any:
    ctx = array._ctx
    if ctx.xp is numpy:
        return type(array)._wrap(numpy.empty(array.shape, dtype), ctx)
    with ctx.device():
        return type(array)._wrap(ctx.xp.empty(array.shape, dtype), ctx)


def _is_array(value: Any) -> bool:
    return hasattr(value, "_data") and hasattr(value, "_ctx")


class KVStoreBase:
    """What every key-value store offers; ``is_capable(KVStoreBase.OPTIMIZER)`` says whether
    it can run the optimizer itself (``set_optimizer``)."""

    OPTIMIZER = "optimizer"
    kv_registry: ClassVar[dict[str, type]] = {}

    @staticmethod
    def register(klass: type) -> type:
        """Register a store class under its lower-case class name (MXNet 1.9)."""
        KVStoreBase.kv_registry[klass.__name__.lower()] = klass
        return klass

    def is_capable(self, capability: str) -> bool:
        return capability == KVStoreBase.OPTIMIZER


class KVStore(KVStoreBase):
    """An in-process store; keys are ints or strings, values NDArrays or lists of them (one
    per device). ``push`` sums the list; ``pull`` copies the stored value into each output."""

    def __init__(self, name: str = "local") -> None:
        self._type = name
        self._store: dict[Any, Any] = {}
        self._grad_bufs: dict[Any, Any] = {}
        self._updater: Any = None
        self._compression: dict = {"type": "none"}

    # ---- identity ---------------------------------------------------------------------------
    @property
    def type(self) -> str:
        return self._type

    @property
    def rank(self) -> int:
        return 0

    @property
    def num_workers(self) -> int:
        return 1

    def __repr__(self) -> str:
        return f"<{type(self).__name__} type={self.type} rank={self.rank}/{self.num_workers}>"

    # ---- the hooks distributed stores override ----------------------------------------------
    def _across_workers(self, raw: Any) -> None:
        """Sum ``raw`` in place over all worker processes (a no-op in one process)."""

    def _from_root(self, raw: Any) -> None:
        """Overwrite ``raw`` with rank 0's values (a no-op in one process)."""

    def _barrier(self) -> None:
        """Wait for every worker (a no-op in one process)."""

    barrier = _barrier

    # ---- key/value normalisation -----------------------------------------------------------
    @staticmethod
    def _pairs(key: Any, value: Any, what: str) -> list[tuple[Any, list]]:
        """[(key, [arrays...]), ...] from a key and a value or list of values, or from lists."""
        if isinstance(key, (list, tuple)):
            if not isinstance(value, (list, tuple)) or len(value) != len(key):
                raise MXNetValueError(
                    f"kvstore.{what}: {len(key)} keys need a list of {len(key)} values"
                )
            return [pair for k, v in zip(key, value) for pair in KVStore._pairs(k, v, what)]
        if not isinstance(key, (int, str, numpy.integer)):
            raise MXNetTypeError(f"kvstore keys are ints or strings, not {type(key).__name__}")
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if not values or not all(_is_array(v) for v in values):
            raise MXNetTypeError(
                f"kvstore.{what}: the value of key {key!r} must be an NDArray or a list of them"
            )
        return [(int(key) if isinstance(key, numpy.integer) else key, values)]

    def _stored(self, key: Any, what: str) -> Any:
        stored = self._store.get(key)
        if stored is None:
            raise MXNetValueError(
                f"kvstore.{what}: key {key!r} has not been initialized; call init(key, value) first"
            )
        return stored

    # ---- the API ----------------------------------------------------------------------------
    def init(self, key: Any, value: Any) -> None:
        """Store a copy of ``value`` under ``key`` (in a distributed store, rank 0's copy)."""
        for k, values in self._pairs(key, value, "init"):
            if k in self._store:
                raise MXNetValueError(f"kvstore.init: duplicate init of key {k!r}")
            stored = values[0].copy()
            self._from_root(stored._data)
            self._store[k] = stored

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        """Sum the values of each key (over devices, then workers) and store the sum, or let
        the optimizer set by ``set_optimizer`` update the stored value with it."""
        for k, values in self._pairs(key, value, "push"):
            self._push_one(k, values, self._stored(k, "push"))

    def _push_one(self, key: Any, values: list, stored: Any) -> None:
        if self._updater is None:
            self._merge_into(stored._data, stored._ctx, values)
            self._across_workers(stored._data)
            return
        buf = self._grad_bufs.get(key)
        if buf is None or buf.shape != stored.shape or buf.dtype != values[0].dtype:
            buf = self._grad_bufs[key] = _empty_like(stored, values[0].dtype)
        self._merge_into(buf._data, buf._ctx, values)
        self._across_workers(buf._data)
        self._updater(key, buf, stored)

    def _merge_into(self, dst: Any, ctx: Any, values: list) -> None:
        """``dst <- sum(values)`` on ``ctx``."""
        with ctx.device() or contextlib.nullcontext():
            dst[...] = _raw_on(values[0], ctx)
            for v in values[1:]:
                dst += _raw_on(v, ctx)

    def pull(
        self, key: Any, out: Any = None, priority: int = 0, ignore_sparse: bool = True
    ) -> None:
        """Copy the stored value of each key into ``out`` (an array or a list of them)."""
        if out is None:
            raise MXNetValueError("kvstore.pull needs out= (the arrays to copy the values into)")
        for k, outs in self._pairs(key, out, "pull"):
            stored = self._stored(k, "pull")
            for o in outs:
                stored.copyto(o)

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """``push`` then ``pull`` into ``out`` (into ``value`` itself when out is None). Without
        an optimizer this is an all-reduce, and a key needs no ``init`` first."""
        for k, values in self._pairs(key, value, "pushpull"):
            if k not in self._store and self._updater is None:
                self._store[k] = values[0].copy()
            self._push_one(k, values, self._stored(k, "pushpull"))
        self.pull(key, value if out is None else out)

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        """``init(key, value)`` then ``pull(key, out)``: every device (and worker) gets the
        value of the first device of rank 0."""
        self.init(key, value)
        self.pull(key, out)

    def row_sparse_pull(
        self, key: Any, out: Any = None, priority: int = 0, row_ids: Any = None
    ) -> None:
        """Pull every row (gluonlite stores are dense)."""
        self.pull(key, out, priority)

    # ---- optimizer on the store ------------------------------------------------------------
    def set_optimizer(self, optimizer: Any) -> None:
        """Apply ``optimizer`` to the stored values on every push (update on kvstore)."""
        from ..optimizer import get_updater

        self._set_updater(get_updater(optimizer))

    def _set_updater(self, updater: Any) -> None:
        """Use ``updater(key, merged_grad, stored_value)`` on every push."""
        self._updater = updater

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        """Save the optimizer states of the store (see ``Trainer.save_states``)."""
        from ..optimizer.state_io import save_updater

        self._check_updater()
        save_updater(fname, self._updater, dump_optimizer)

    def load_optimizer_states(self, fname: str) -> None:
        """Load optimizer states saved by ``save_optimizer_states``."""
        from ..optimizer.state_io import load_updater

        self._check_updater()
        load_updater(fname, self._updater)

    def _check_updater(self) -> None:
        if self._updater is None or not hasattr(self._updater, "states"):
            raise MXNetValueError(
                "this kvstore has no optimizer: call set_optimizer(optimizer) first"
            )

    def set_gradient_compression(self, compression_params: dict) -> None:
        """Accepted for compatibility: gradients are always sent uncompressed (exact sums).
        ``{'type': 'none'}`` is silent; '1bit'/'2bit' warn that they are ignored."""
        if not isinstance(compression_params, dict) or "type" not in compression_params:
            raise MXNetValueError(
                "compression_params must be a dict with a 'type' key, e.g. {'type': '2bit', "
                "'threshold': 0.5}"
            )
        kind = compression_params["type"]
        if kind not in ("none", "1bit", "2bit"):
            raise MXNetValueError(f"unknown gradient compression type {kind!r}")
        if kind != "none":
            warnings.warn(
                f"gradient compression '{kind}' is not implemented by gluonlite's kvstore; "
                "gradients are summed exactly, without compression",
                stacklevel=2,
            )
        self._compression = dict(compression_params)
