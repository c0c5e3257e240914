"""Initializers (MXNet's ``mx.init``): fill a parameter's array in place.

Gluon semantics: a parameter with its own ``init`` (a layer's ``bias_initializer='zeros'``)
uses it; any other parameter uses the initializer given to ``Block.initialize``. Either way the
chosen initializer's ``_init_weight`` fills the array. Called without a Gluon context (plain
``init(InitDesc('fc_bias'), arr)``), names pick the rule as in MXNet: *weight → the
initializer's rule, *bias/*beta/*mean → 0, *gamma/*var → 1.
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy

from .errors import MXNetValueError
from .ops.registry import P

__all__ = [
    "Initializer", "InitDesc", "Uniform", "Normal", "Xavier", "MSRAPrelu", "Orthogonal",
    "Constant", "Zero", "One", "Bilinear", "Mixed", "LSTMBias", "create", "register",
]

_REGISTRY: dict[str, type] = {}


def register(klass: type) -> type:
    """Make an Initializer subclass creatable by its lower-case name (``create('xavier')``)."""
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


class InitDesc(str):
    """A parameter's name carrying its attributes (MXNet's descriptor for initializers)."""

    def __new__(cls, name: str, attrs: dict | None = None, global_init: Any = None):
        desc = super().__new__(cls, name)
        desc.attrs = attrs or {}
        desc.global_init = global_init
        return desc


def _fill(arr: Any, value: Any) -> None:
    """Write ``value`` (an array of the same shape, or a number) into ``arr`` without taping."""
    arr._data[...] = value._data if hasattr(value, "_data") else value


def _uniform(arr: Any, low: float, high: float) -> Any:
    return P.random_uniform(low=low, high=high, shape=arr.shape, dtype=arr.dtype,
                            ctx=arr.context)


def _normal(arr: Any, loc: float, scale: float) -> Any:
    return P.random_normal(loc=loc, scale=scale, shape=arr.shape, dtype=arr.dtype,
                           ctx=arr.context)


class Initializer:
    """Base class: subclasses implement ``_init_weight(name, arr)``."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs

    def __call__(self, desc: str, arr: Any) -> None:
        if not isinstance(desc, InitDesc):
            desc = InitDesc(str(desc))
        init = desc.attrs.get("__init__")
        if init:
            create(init)._init_weight(desc, arr)
            return
        name = str(desc)
        if name.endswith("weight"):
            self._init_weight(desc, arr)
        elif name.endswith(("bias", "beta", "running_mean", "moving_mean", "min")):
            _fill(arr, 0.0)
        elif name.endswith(("gamma", "running_var", "moving_var", "max")):
            _fill(arr, 1.0)
        else:
            self._init_default(desc, arr)

    def _init_weight(self, name: str, arr: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _init_weight")

    def _init_default(self, name: str, arr: Any) -> None:
        raise MXNetValueError(
            f"unknown initialization pattern for {name!r}: names ending in weight, bias, gamma, "
            "beta, running_mean or running_var get default rules; give the parameter an init"
        )

    def dumps(self) -> str:
        """JSON-like description ``["name", {kwargs}]`` (MXNet's format)."""
        import json

        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({args})"


@register
class Zero(Initializer):
    """All zeros."""

    def _init_weight(self, name: str, arr: Any) -> None:
        _fill(arr, 0.0)


@register
class One(Initializer):
    """All ones."""

    def _init_weight(self, name: str, arr: Any) -> None:
        _fill(arr, 1.0)


@register
class Constant(Initializer):
    """A constant value (a number or an array broadcast to the shape)."""

    def __init__(self, value: Any) -> None:
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, name: str, arr: Any) -> None:
        value = self.value
        _fill(arr, value.asnumpy() if hasattr(value, "asnumpy") else value)


@register
class Uniform(Initializer):
    """Uniform on [-scale, scale]."""

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, name: str, arr: Any) -> None:
        _fill(arr, _uniform(arr, -self.scale, self.scale))


@register
class Normal(Initializer):
    """Normal with mean 0 and standard deviation ``sigma``."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, name: str, arr: Any) -> None:
        _fill(arr, _normal(arr, 0.0, self.sigma))


@register
class Xavier(Initializer):
    """Glorot/Xavier: scale = sqrt(magnitude / factor), factor the fan in, out or their mean."""

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg",
                 magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        if rnd_type not in ("uniform", "gaussian"):
            raise MXNetValueError(f"Xavier rnd_type must be 'uniform' or 'gaussian', not {rnd_type!r}")
        if factor_type not in ("avg", "in", "out"):
            raise MXNetValueError(f"Xavier factor_type must be 'avg', 'in' or 'out', not {factor_type!r}")
        self.rnd_type, self.factor_type, self.magnitude = rnd_type, factor_type, float(magnitude)

    def _init_weight(self, name: str, arr: Any) -> None:
        shape = arr.shape
        if len(shape) < 2:
            raise MXNetValueError(
                f"Xavier initializer cannot be applied to vector {name}: it needs at least 2 "
                f"dimensions, the shape is {shape}; give this parameter another init"
            )
        hw_scale = math.prod(shape[2:]) if len(shape) > 2 else 1
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}[self.factor_type]
        scale = math.sqrt(self.magnitude / factor)
        if self.rnd_type == "uniform":
            _fill(arr, _uniform(arr, -scale, scale))
        else:
            _fill(arr, _normal(arr, 0.0, scale))


@register
class MSRAPrelu(Xavier):
    """He/Kaiming initialisation for PReLU networks: Gaussian with magnitude 2/(1+slope²)."""

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope**2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``scale`` (Saxe et al.), from the SVD of a random draw."""

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale, self.rand_type = scale, rand_type

    def _init_weight(self, name: str, arr: Any) -> None:
        nout = arr.shape[0]
        nin = math.prod(arr.shape[1:])
        flat = type(arr)._wrap(numpy.empty((nout, nin), dtype=numpy.float64), arr.context)
        draw = _uniform(flat, -1.0, 1.0) if self.rand_type == "uniform" else _normal(flat, 0, 1)
        u, _, v = numpy.linalg.svd(draw.asnumpy(), full_matrices=False)
        q = u if u.shape == (nout, nin) else v
        _fill(arr, (self.scale * q).reshape(arr.shape).astype(arr.dtype))


@register
class Bilinear(Initializer):
    """Bilinear upsampling kernels for a Deconvolution weight (N, C, kh, kw)."""

    def _init_weight(self, name: str, arr: Any) -> None:
        shape = arr.shape
        f = math.ceil(shape[3] / 2.0)
        c = (2 * f - 1 - f % 2) / (2.0 * f)
        y, x = numpy.ogrid[: shape[2], : shape[3]]
        kernel = (1 - numpy.abs(x / f - c)) * (1 - numpy.abs(y / f - c))
        _fill(arr, numpy.broadcast_to(kernel, shape).astype(arr.dtype))


@register
class LSTMBias(Initializer):
    """Zeros except the forget-gate quarter (MXNet gate order i, f, g, o) set to ``forget_bias``."""

    def __init__(self, forget_bias: float = 1.0) -> None:
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name: str, arr: Any) -> None:
        values = numpy.zeros(arr.shape, dtype=arr.dtype)
        h = arr.shape[0] // 4
        values[h: 2 * h] = self.forget_bias
        _fill(arr, values)


class Mixed(Initializer):
    """Choose an initializer by the first regular expression that matches the parameter name."""

    def __init__(self, patterns: list[str], initializers: list[Any]) -> None:
        super().__init__()
        if len(patterns) != len(initializers):
            raise MXNetValueError("Mixed needs as many patterns as initializers")
        self.map = [(re.compile(p), create(i)) for p, i in zip(patterns, initializers)]

    def __call__(self, desc: str, arr: Any) -> None:
        for pattern, init in self.map:
            if pattern.match(str(desc)):
                init(desc, arr)
                return
        raise MXNetValueError(
            f"no pattern of this Mixed initializer matches {str(desc)!r}; add '.*' as a last "
            "pattern for a default"
        )

    _init_weight = __call__


_ALIASES = {"zeros": Zero, "ones": One, "msra": MSRAPrelu, "gaussian": Normal}


def create(init: Any, **kwargs: Any) -> Initializer:
    """An Initializer from an instance, a class, a name ('xavier', 'zeros'...) or MXNet's JSON
    dump string."""
    if isinstance(init, Initializer):
        return init
    if isinstance(init, type) and issubclass(init, Initializer):
        return init(**kwargs)
    if isinstance(init, str):
        if init.startswith("["):
            import json

            name, params = json.loads(init)
            return create(name, **params)
        klass = _REGISTRY.get(init.lower()) or _ALIASES.get(init.lower())
        if klass is None:
            raise MXNetValueError(
                f"unknown initializer {init!r}; known: {sorted(set(_REGISTRY) | set(_ALIASES))}"
            )
        return klass(**kwargs)
    raise MXNetValueError(f"cannot make an initializer from {init!r}")
