"""MXNet's profiler (``mx.profiler``): time every operator call while running, then write a
Chrome trace (``chrome://tracing``, Perfetto) with ``dump`` or print totals with ``dumps``.

Running swaps the registry's op dispatcher for a timing wrapper around it, and likewise the
``invoke``/``invoke_inplace`` that NDArray's arithmetic operators call directly (the originals
are put back on stop), so every primitive called eagerly — forward and backward — is timed
under its registry name. Executors of ``sym`` also time each graph node under its MXNet name (category
``symbolic``). Ops replayed inside a hybridized graph run without the dispatcher and are not
seen one by one. ``Domain``/``Task``/``Frame``/``Event``/``Counter``/``Marker`` add user
events, ``Scope`` prefixes operator names.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .ops import registry as _registry

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "Counter",
    "Domain",
    "Event",
    "Frame",
    "Marker",
    "Scope",
    "Task",
    "dump",
    "dump_profile",
    "dumps",
    "is_running",
    "pause",
    "profiler_set_config",
    "profiler_set_state",
    "record",
    "resume",
    "set_config",
    "set_state",
    "start",
    "stop",
]

_CONFIG_KEYS = {
    "profile_symbolic",
    "profile_imperative",
    "profile_memory",
    "profile_api",
    "filename",
    "continuous_dump",
    "dump_period",
    "aggregate_stats",
    "profile_all",
    "profile_process",
}


class _Profiler:
    """The profiler's state: configuration, events for the trace, aggregate statistics."""

    def __init__(self) -> None:
        self.config: dict[str, Any] = {
            "filename": "profile.json",
            "profile_all": False,
            "profile_symbolic": True,
            "profile_imperative": True,
            "aggregate_stats": True,
        }
        self.running = False
        self.paused = False
        self.original: Callable | None = None
        self.wrapped: dict[str, Callable] = {}
        self.patched: list[tuple[Any, str, Callable]] = []
        self.events: list[dict] = []
        self.stats: dict[tuple[str, str], list] = {}
        self.lock = threading.Lock()
        self.origin = time.perf_counter_ns()
        self.scope = ""

    def active(self) -> bool:
        return self.running and not self.paused

    def add(self, name: str, category: str, start_ns: int, end_ns: int) -> None:
        dur = (end_ns - start_ns) / 1000.0
        event = {
            "name": name,
            "cat": category,
            "ph": "X",
            "ts": (start_ns - self.origin) / 1e3,
            "dur": dur,
            "pid": os.getpid(),
            "tid": threading.get_ident() % (1 << 31),
        }
        with self.lock:
            self.events.append(event)
            row = self.stats.get((category, name))
            if row is None:
                self.stats[(category, name)] = [1, dur, dur, dur]
            else:
                row[0] += 1
                row[1] += dur
                row[2] = min(row[2], dur)
                row[3] = max(row[3], dur)

    def instant(self, name: str, category: str, phase: str = "i", args: dict | None = None) -> None:
        event = {
            "name": name,
            "cat": category,
            "ph": phase,
            "ts": (time.perf_counter_ns() - self.origin) / 1e3,
            "pid": os.getpid(),
            "tid": threading.get_ident() % (1 << 31),
        }
        if args is not None:
            event["args"] = args
        if phase == "i":
            event["s"] = "p"
        with self.lock:
            self.events.append(event)


_P = _Profiler()


def _timed(original: Callable, op_at: int) -> Callable:
    """``original`` (a dispatcher taking the op as argument ``op_at``), timed per call."""

    def timed(*args: Any) -> Any:
        if not _P.active() or not _P.config.get("profile_imperative", True):
            return original(*args)
        start_ns = time.perf_counter_ns()
        try:
            return original(*args)
        finally:
            _P.add(_P.scope + args[op_at].name, "operator", start_ns, time.perf_counter_ns())

    return timed


def _install() -> None:
    """Put timing wrappers in place of the registry dispatcher and NDArray's direct calls."""
    from .ndarray import ndarray as _nd_module

    _P.original = _registry._dispatch
    _P.wrapped = {"dispatch": _timed(_P.original, 0)}
    _registry.set_dispatcher(_P.wrapped["dispatch"])
    for name, op_at in (("invoke", 0), ("invoke_inplace", 0)):
        original = getattr(_nd_module, name)
        _P.patched.append((_nd_module, name, original))
        setattr(_nd_module, name, _timed(original, op_at))


def _uninstall() -> None:
    """Restore the originals (only those still ours: another swap since is left alone)."""
    if _registry._dispatch is _P.wrapped.get("dispatch"):
        _registry.set_dispatcher(_P.original)
    for module, name, original in _P.patched:
        if getattr(getattr(module, name), "__name__", "") == "timed":
            setattr(module, name, original)
    _P.patched.clear()


# ---- configuration and state --------------------------------------------------------------------
def set_config(**kwargs: Any) -> None:
    """Profiler options (MXNet's names): ``filename``, ``profile_all``, ``profile_symbolic``,
    ``profile_imperative``, ``aggregate_stats``... (memory/API profiling: accepted, no data)."""
    unknown = set(kwargs) - _CONFIG_KEYS
    if unknown:
        raise ValueError(
            f"profiler.set_config: unknown options {sorted(unknown)}; known are "
            f"{sorted(_CONFIG_KEYS)}"
        )
    _P.config.update(kwargs)
    if kwargs.get("profile_all"):
        _P.config.update(profile_symbolic=True, profile_imperative=True)


def set_state(state: str = "stop", profile_process: str = "worker") -> None:
    """'run' starts timing operators, 'stop' ends it (collected data is kept for dump)."""
    if state not in ("run", "stop"):
        raise ValueError(f"profiler.set_state: state must be 'run' or 'stop', not {state!r}")
    if state == "run" and not _P.running:
        _install()
        _P.running, _P.paused = True, False
    elif state == "stop" and _P.running:
        _uninstall()
        _P.running = False


def start(profile_process: str = "worker") -> None:
    set_state("run", profile_process)


def stop(profile_process: str = "worker") -> None:
    set_state("stop", profile_process)


def pause(profile_process: str = "worker") -> None:
    """Stop recording until ``resume`` (the dispatcher stays installed)."""
    _P.paused = True


def resume(profile_process: str = "worker") -> None:
    _P.paused = False


def is_running() -> bool:
    return _P.active()


def record(name: str, category: str, start_ns: int, end_ns: int) -> None:
    """Add one timed event (``time.perf_counter_ns`` bounds) when the profiler is running."""
    if _P.active() and (category != "symbolic" or _P.config.get("profile_symbolic", True)):
        _P.add(_P.scope + name if category == "symbolic" else name, category, start_ns, end_ns)


# ---- output -------------------------------------------------------------------------------------
def dump(finished: bool = True, profile_process: str = "worker") -> None:
    """Write the events so far as a Chrome trace (``{"traceEvents": [...]}``) to the
    configured ``filename``."""
    with _P.lock:
        events = list(_P.events)
    meta = [{"name": "process_name", "ph": "M", "pid": os.getpid(), "args": {"name": "gluonlite"}}]
    with open(_P.config.get("filename", "profile.json"), "w", encoding="utf-8") as f:
        json.dump({"traceEvents": meta + events, "displayTimeUnit": "ms"}, f)


_SORT = {"total": 1, "avg": None, "min": 2, "max": 3, "count": 0}


def dumps(
    reset: bool = False, format: str = "table", sort_by: str = "total", ascending: bool = False
) -> str:
    """Aggregate statistics per operator (count, total/min/max/avg milliseconds) as a text
    table (or JSON with ``format='json'``); ``reset`` clears them afterwards."""
    if sort_by not in _SORT:
        raise ValueError(f"profiler.dumps: sort_by must be one of {sorted(_SORT)}")
    with _P.lock:
        stats = {k: list(v) for k, v in _P.stats.items()}
        if reset:
            _P.stats.clear()
    col = _SORT[sort_by]

    def key(item: tuple) -> float:
        row = item[1]
        return row[1] / row[0] if col is None else row[col]

    by_category: dict[str, list] = {}
    for (category, name), row in sorted(stats.items(), key=key, reverse=not ascending):
        by_category.setdefault(category, []).append((name, row))
    if format == "json":
        return json.dumps(
            {
                cat: {
                    name: {
                        "Count": r[0],
                        "Total": r[1] / 1e3,
                        "Min": r[2] / 1e3,
                        "Max": r[3] / 1e3,
                        "Avg": r[1] / r[0] / 1e3,
                    }
                    for name, r in rows
                }
                for cat, rows in by_category.items()
            },
            indent=2,
        )
    if format != "table":
        raise ValueError(f"profiler.dumps: format must be 'table' or 'json', not {format!r}")
    lines = ["", "Profile Statistics:", "\tNote the difference in units for different entries."]
    header = ("Name", "Total Count", "Time (ms)", "Min Time (ms)", "Max Time (ms)", "Avg Time (ms)")
    for category, rows in by_category.items():
        lines += [
            category,
            "=================",
            f"{header[0]:<40}" + "".join(f"{h:>17}" for h in header[1:]),
            f"{'----':<40}" + "".join(f"{'-' * len(h):>17}" for h in header[1:]),
        ]
        for name, (count, total, low, high) in rows:
            lines.append(
                f"{name:<40}{count:>17d}{total / 1e3:>17.4f}{low / 1e3:>17.4f}"
                f"{high / 1e3:>17.4f}{total / count / 1e3:>17.4f}"
            )
        lines.append("")
    return "\n".join(lines)


# ---- MXNet's deprecated spellings ---------------------------------------------------------------
def profiler_set_config(mode: str = "symbolic", filename: str = "profile.json") -> None:
    set_config(profile_all=mode == "all", filename=filename)


def profiler_set_state(state: str = "stop") -> None:
    set_state(state)


def dump_profile() -> None:
    dump(True)


# ---- user events --------------------------------------------------------------------------------
class Domain:
    """A named group of user events."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name

    def new_task(self, name: str) -> Task:
        return Task(self, name)

    def new_frame(self, name: str) -> Frame:
        return Frame(self, name)

    def new_counter(self, name: str, value: int | None = None) -> Counter:
        return Counter(self, name, value)

    def new_marker(self, name: str) -> Marker:
        return Marker(self, name)


class _Span:
    """A user-timed interval: ``start()``/``stop()`` or ``with``."""

    category = "event"

    def __init__(self, domain: Domain | None, name: str) -> None:
        self.domain = domain
        self.name = name
        self._start: int | None = None

    def start(self) -> None:
        self._start = time.perf_counter_ns()

    def stop(self) -> None:
        if self._start is not None:
            category = self.domain.name if self.domain is not None else self.category
            record(self.name, category, self._start, time.perf_counter_ns())
            self._start = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __str__(self) -> str:
        return self.name


class Task(_Span):
    """A task of a domain."""


class Frame(_Span):
    """A frame (an iteration) of a domain."""


class Event(_Span):
    """A named event outside any domain."""

    def __init__(self, name: str) -> None:
        super().__init__(None, name)


class Counter:
    """A named value plotted over time in the trace."""

    def __init__(self, domain: Domain, name: str, value: int | None = None) -> None:
        self.domain = domain
        self.name = name
        self.value = 0
        if value is not None:
            self.set_value(value)

    def set_value(self, value: int) -> None:
        self.value = value
        if _P.active():
            _P.instant(self.name, str(self.domain), "C", {self.name: value})

    def increment(self, delta: int = 1) -> None:
        self.set_value(self.value + delta)

    def decrement(self, delta: int = 1) -> None:
        self.set_value(self.value - delta)

    def __iadd__(self, delta: int) -> Self:
        self.increment(delta)
        return self

    def __isub__(self, delta: int) -> Self:
        self.decrement(delta)
        return self


class Marker:
    """An instant event."""

    def __init__(self, domain: Domain, name: str) -> None:
        self.domain = domain
        self.name = name

    def mark(self, scope: str = "process") -> None:
        if _P.active():
            _P.instant(self.name, str(self.domain), "i", {"scope": scope})


class Scope:
    """``with Scope('encoder:'):`` prefixes the names of operators timed inside it."""

    def __init__(self, name: str = "<unk>:", append_mode: bool = False) -> None:
        self.name = name
        self.append_mode = append_mode
        self._old = ""

    def __enter__(self) -> Self:
        self._old = _P.scope
        _P.scope = (self._old + self.name) if self.append_mode else self.name
        return self

    def __exit__(self, *exc: object) -> None:
        _P.scope = self._old
