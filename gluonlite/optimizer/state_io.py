"""Optimizer states on disk without pickle: arrays in MXNet's ``.params`` format (``nd.save``,
written atomically) and everything else (the optimizer's settings, per-index update counts,
the learning-rate scheduler's position, the nesting of each state) as JSON stored in one uint8
array entry. Loading rebuilds only plain data: no code is ever deserialized.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

import numpy

from ..errors import MXNetValueError

__all__ = [
    "load_updater",
    "read_states",
    "restore_optimizer",
    "save_updater",
    "states_from_bytes",
    "states_to_bytes",
]

META_KEY = "__gluonlite_optimizer_meta__"
FORMAT = "gluonlite-optimizer-states"
VERSION = 1
_SCALARS = (bool, int, float, str, type(None))
# Attributes rebuilt by the loader itself, or owned by the Trainer.
_SKIPPED = {"param_dict", "lr_scheduler", "_workspace", "_all_index_update_counts",
            "_index_update_count", "sym_info"}  # fmt: skip


# ---- JSON encoding of plain attributes ----------------------------------------------------
def _plain(value: Any) -> tuple[bool, Any]:
    """(True, JSON form) for scalars, lists of them and dicts with scalar keys; else False."""
    if isinstance(value, numpy.generic):
        value = value.item()
    if isinstance(value, _SCALARS):
        if isinstance(value, float) and not numpy.isfinite(value):
            return True, {"float": repr(value)}
        return True, value
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        if all(ok for ok, _ in items):
            return True, {"list" if isinstance(value, list) else "tuple": [v for _, v in items]}
    if isinstance(value, dict) and all(isinstance(k, (int, str)) for k in value):
        items = [(k, *_plain(v)) for k, v in value.items()]
        if all(ok for _, ok, _ in items):
            return True, {"pairs": [[k, v] for k, _, v in items]}
    return False, None


def _unplain(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "float" in value:
        return float(value["float"])
    if "list" in value:
        return [_unplain(v) for v in value["list"]]
    if "tuple" in value:
        return tuple(_unplain(v) for v in value["tuple"])
    return {k: _unplain(v) for k, v in value["pairs"]}


def _attrs(obj: Any) -> dict:
    out = {}
    for name, value in vars(obj).items():
        if name in _SKIPPED:
            continue
        ok, encoded = _plain(value)
        if ok:
            out[name] = encoded
    return out


# ---- state trees ----------------------------------------------------------------------------
def _flatten(state: Any, prefix: str, arrays: dict) -> Any:
    """The JSON skeleton of one state; its arrays go to ``arrays`` under unique names."""
    if state is None:
        return None
    if hasattr(state, "asnumpy"):
        arrays[prefix] = state
        return {"array": prefix}
    if isinstance(state, (tuple, list)):
        kind = "tuple" if isinstance(state, tuple) else "list"
        return {kind: [_flatten(s, f"{prefix}.{i}", arrays) for i, s in enumerate(state)]}
    ok, encoded = _plain(state)
    if not ok:
        raise MXNetValueError(
            f"cannot save optimizer state of type {type(state).__name__}: states must be "
            "arrays, numbers, or tuples/lists of them"
        )
    return {"value": encoded}


def _unflatten(skeleton: Any, arrays: dict) -> Any:
    if skeleton is None:
        return None
    if "array" in skeleton:
        return arrays[skeleton["array"]]
    if "value" in skeleton:
        return _unplain(skeleton["value"])
    kind = "tuple" if "tuple" in skeleton else "list"
    items = [_unflatten(s, arrays) for s in skeleton[kind]]
    return tuple(items) if kind == "tuple" else items


# ---- optimizer --------------------------------------------------------------------------------
def _optimizer_meta(opt: Any) -> dict:
    counts = [[dev, [[k, n] for k, n in c.items()]] for dev, c in
              opt._all_index_update_counts.items()]  # fmt: skip
    sched = opt.lr_scheduler
    return {
        "class": type(opt).__name__.lower(),
        "attrs": _attrs(opt),
        "counts": counts,
        "lr_scheduler": None
        if sched is None
        else {"class": type(sched).__name__, "attrs": _attrs(sched)},
    }


def _restore_scheduler(current: Any, meta: dict | None) -> Any:
    if meta is None:
        return None
    from .. import lr_scheduler

    attrs = {k: _unplain(v) for k, v in meta["attrs"].items()}
    if current is not None and type(current).__name__ == meta["class"]:
        sched = current
    else:
        cls = getattr(lr_scheduler, meta["class"], None)
        if not (isinstance(cls, type) and issubclass(cls, lr_scheduler.LRScheduler)):
            raise MXNetValueError(
                f"the saved states use learning-rate scheduler {meta['class']!r}, which is not "
                "a gluonlite scheduler; give the optimizer an instance of that class before "
                "loading so its position can be restored"
            )
        sched = cls.__new__(cls)
    sched.__dict__.update(attrs)
    return sched


def restore_optimizer(opt: Any, meta: dict) -> Any:
    """``opt`` (or a new optimizer of the saved class) with the saved settings and counts."""
    from .optimizer import Optimizer

    if type(opt).__name__.lower() != meta["class"]:
        fresh = Optimizer.create_optimizer(meta["class"])
        fresh.param_dict = opt.param_dict
        opt = fresh
    for name, value in meta["attrs"].items():
        setattr(opt, name, _unplain(value))
    opt._all_index_update_counts = {dev: dict(c) for dev, c in meta["counts"]}
    opt._index_update_count = opt._all_index_update_counts.setdefault(0, {})
    opt.lr_scheduler = _restore_scheduler(opt.lr_scheduler, meta["lr_scheduler"])
    opt._workspace = {}
    return opt


# ---- files --------------------------------------------------------------------------------
def _meta_array(meta: dict) -> Any:
    from ..ndarray import array

    raw = numpy.frombuffer(json.dumps(meta).encode("utf-8"), dtype=numpy.uint8)
    return array(raw, dtype=numpy.uint8)


def save_updater(fname: Any, updater: Any, dump_optimizer: bool = True) -> None:
    """Write ``updater``'s states (and its optimizer's settings) to ``fname`` (a path, written
    atomically, or a binary file object)."""
    from ..ndarray import save

    arrays: dict = {}
    entries = [[key, _flatten(state, f"state.{i}", arrays)]
               for i, (key, state) in enumerate(updater.states.items())]  # fmt: skip
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "states": entries,
        "optimizer": _optimizer_meta(updater.optimizer) if dump_optimizer else None,
    }
    arrays[META_KEY] = _meta_array(meta)
    save(fname, arrays)


def read_states(fname: Any) -> tuple[dict, dict | None]:
    """(states by index, optimizer metadata or None) from a file written by ``save_updater``
    (a path, a binary file object or the file's bytes)."""
    from ..ndarray import load

    loaded = load(fname)
    where = os.fspath(fname) if isinstance(fname, (str, os.PathLike)) else "the data"
    if not isinstance(loaded, dict) or META_KEY not in loaded:
        raise MXNetValueError(
            f"{where} is not a gluonlite optimizer-state file (no '{META_KEY}' entry); write "
            "it with Trainer.save_states. MXNet's pickled .states files are not read, because "
            "unpickling can run arbitrary code"
        )
    meta = json.loads(bytes(loaded.pop(META_KEY).asnumpy()).decode("utf-8"))
    if meta.get("format") != FORMAT or meta.get("version", 0) > VERSION:
        raise MXNetValueError(f"{where}: unsupported optimizer-state format {meta.get('format')}")
    states = {key: _unflatten(skel, loaded) for key, skel in meta["states"]}
    return states, meta["optimizer"]


def load_updater(fname: Any, updater: Any) -> None:
    """Restore ``updater``'s states and optimizer from ``fname``; arrays move to their
    devices at the next update (MXNet's lazy state sync)."""
    states, opt_meta = read_states(fname)
    apply_states(updater, states, opt_meta)


def apply_states(updater: Any, states: dict, opt_meta: dict | None) -> None:
    updater.states = states
    updater.states_synced = dict.fromkeys(states, False)
    if opt_meta is not None:
        updater.optimizer = restore_optimizer(updater.optimizer, opt_meta)


def states_to_bytes(updater: Any, dump_optimizer: bool) -> bytes:
    buf = io.BytesIO()
    save_updater(buf, updater, dump_optimizer)
    return buf.getvalue()


def states_from_bytes(updater: Any, data: bytes) -> None:
    load_updater(bytes(data), updater)
