"""The bridge between graph equations and MXNet operator nodes, both ways.

Export: a registry primitive outside any MXNet-operator region becomes the MXNet node with the
same meaning (``add`` → ``elemwise_add``/``broadcast_add``/``_plus_scalar``...), or, when MXNet
has no exact twin, a ``_gluonlite.<op>`` node that only gluonlite reads. Import: an MXNet node
runs through the ``nd`` function of the same name, a few MXNet-only names through small
adapters, and ``_gluonlite.<op>`` nodes through the registry.
"""
from __future__ import annotations

import json
from typing import Any

import numpy

from .. import errors
from ..ops.registry import get as get_op
from .graph import Eqn, Literal, Var
from .symbol import PRIMITIVE_PREFIX

__all__ = ["to_mxnet", "call", "param_shape", "encode_attrs", "decode_attrs"]

# backend hints that carry no meaning for gluonlite's operators
_HINTS = {"workspace", "cudnn_tune", "cudnn_off", "num_args", "__profiler_scope__", "layout_hint"}

_SAME_NAME = {"negative", "relu", "exp", "log", "sqrt", "square", "tanh", "sin", "cos", "abs",
              "sign", "log1p", "expm1", "floor", "ceil", "sigmoid", "erf", "reciprocal"}
_ELEMWISE = {"add": "elemwise_add", "subtract": "elemwise_sub", "multiply": "elemwise_mul",
             "true_divide": "elemwise_div"}
_BROADCAST = {"add": "broadcast_add", "subtract": "broadcast_sub", "multiply": "broadcast_mul",
              "true_divide": "broadcast_div", "power": "broadcast_power",
              "maximum": "broadcast_maximum", "minimum": "broadcast_minimum"}
_SCALAR = {"add": ("_plus_scalar", "_plus_scalar"), "subtract": ("_minus_scalar", "_rminus_scalar"),
           "multiply": ("_mul_scalar", "_mul_scalar"), "true_divide": ("_div_scalar", "_rdiv_scalar"),
           "power": ("_power_scalar", "_rpower_scalar"),
           "maximum": ("_maximum_scalar", "_maximum_scalar"),
           "minimum": ("_minimum_scalar", "_minimum_scalar")}


# ---- attribute encoding for _gluonlite.* nodes ----------------------------------------------------
def _enc(v: Any) -> Any:
    if isinstance(v, tuple):
        return {"t": [_enc(x) for x in v]}
    if isinstance(v, list):
        return [_enc(x) for x in v]
    if v is Ellipsis:
        return {"e": 1}
    if isinstance(v, slice):
        return {"s": [v.start, v.stop, v.step]}
    if isinstance(v, numpy.dtype) or (isinstance(v, type) and issubclass(v, numpy.generic)):
        return {"d": numpy.dtype(v).name}
    if isinstance(v, numpy.generic):
        return v.item()
    return v


def _dec(v: Any) -> Any:
    if isinstance(v, dict):
        if "t" in v:
            return tuple(_dec(x) for x in v["t"])
        if "e" in v:
            return Ellipsis
        if "s" in v:
            return slice(*v["s"])
        if "d" in v:
            return numpy.dtype(v["d"])
    if isinstance(v, list):
        return [_dec(x) for x in v]
    return v


def encode_attrs(attrs: dict) -> dict[str, str]:
    return {k: json.dumps(_enc(v)) for k, v in attrs.items() if k != "ctx"}


def decode_attrs(attrs: dict[str, str]) -> dict:
    return {k: _dec(json.loads(v)) for k, v in attrs.items()}


def mx_attr(value: Any) -> str:
    """An attribute in MXNet's string form."""
    if isinstance(value, (numpy.dtype, type)):
        return numpy.dtype(value).name
    if isinstance(value, (list, tuple)):
        return str(tuple(value))
    return str(value)


# ---- export -------------------------------------------------------------------------------------
def to_mxnet(eqn: Eqn) -> tuple[str, dict, list]:
    """(MXNet op name, string attrs, array inputs) of one primitive equation."""
    name = eqn.op.name
    arrays = [v for v in eqn.ins if isinstance(v, Var)]
    scalars = [v.value for v in eqn.ins if isinstance(v, Literal)]
    attrs = eqn.attrs
    if name in _SCALAR and len(arrays) == 1 and len(scalars) == 1 and len(eqn.ins) == 2:
        reflected = isinstance(eqn.ins[0], Literal)
        return _SCALAR[name][reflected], {"scalar": mx_attr(scalars[0])}, arrays
    if name in _BROADCAST and len(arrays) == 2:
        same = arrays[0].shape == arrays[1].shape
        mx_name = _ELEMWISE.get(name, _BROADCAST[name]) if same else _BROADCAST[name]
        return mx_name, {}, arrays
    if name in _SAME_NAME and len(arrays) == 1 and not attrs:
        return name, {}, arrays
    if name == "reshape":
        return "Reshape", {"shape": mx_attr(attrs["newshape"])}, arrays
    if name == "transpose" and attrs.get("axes") is not None:
        return "transpose", {"axes": mx_attr(attrs["axes"])}, arrays
    if name == "astype":
        return "Cast", {"dtype": mx_attr(attrs["dtype"])}, arrays
    if name == "stop_gradient":
        return "BlockGrad", {}, arrays
    if name == "broadcast_to":
        return "broadcast_to", {"shape": mx_attr(attrs["shape"])}, arrays
    if name == "concatenate" and len(arrays) == len(eqn.ins):
        return "Concat", {"dim": mx_attr(attrs["axis"]), "num_args": str(len(arrays))}, arrays
    if name == "matmul" and len(arrays) == 2 and arrays[0].ndim == arrays[1].ndim == 2:
        return "dot", {}, arrays
    return PRIMITIVE_PREFIX + name, encode_attrs(attrs), list(eqn.ins)


# ---- import -------------------------------------------------------------------------------------
def _scalar(fn):
    return lambda ins, a: fn(ins[0], a["scalar"])


_ADAPTERS = {
    "_plus_scalar": _scalar(lambda x, s: x + s),
    "_minus_scalar": _scalar(lambda x, s: x - s),
    "_rminus_scalar": _scalar(lambda x, s: s - x),
    "_mul_scalar": _scalar(lambda x, s: x * s),
    "_div_scalar": _scalar(lambda x, s: x / s),
    "_rdiv_scalar": _scalar(lambda x, s: s / x),
    "_power_scalar": _scalar(lambda x, s: x ** s),
    "_rpower_scalar": _scalar(lambda x, s: s ** x),
    "_maximum_scalar": _scalar(lambda x, s: get_op("maximum")(x, s)),
    "_minimum_scalar": _scalar(lambda x, s: get_op("minimum")(x, s)),
    "BlockGrad": lambda ins, a: get_op("stop_gradient")(ins[0]),
    "stop_gradient": lambda ins, a: get_op("stop_gradient")(ins[0]),
    "Cast": lambda ins, a: ins[0].astype(a["dtype"]),
    "_copy": lambda ins, a: ins[0].copy(),
    "identity": lambda ins, a: ins[0],
    "add_n": lambda ins, a: _sum_all(ins),
    "ElementWiseSum": lambda ins, a: _sum_all(ins),
    "_rnn_param_concat": lambda ins, a: _nd().concat(*ins, dim=a.get("dim", 0)),
    "SoftmaxOutput": lambda ins, a: _nd().softmax(ins[0], axis=-1),
    "LinearRegressionOutput": lambda ins, a: ins[0],
    "dot": lambda ins, a: _nd().dot(ins[0], ins[1], **a),
}


def _nd():
    from .. import ndarray

    return ndarray


def _sum_all(ins: list) -> Any:
    total = ins[0]
    for x in ins[1:]:
        total = total + x
    return total


def call(op: str, inputs: list, attrs: dict) -> Any:
    """Run one node of a symbol graph on gluonlite arrays."""
    if op.startswith(PRIMITIVE_PREFIX):
        decoded = decode_attrs(attrs)
        args = list(inputs)
        for pos, value in decoded.pop("__literals__", ()):
            args.insert(pos, value)
        return get_op(op[len(PRIMITIVE_PREFIX):])(*args, **decoded)
    attrs = {k: v for k, v in attrs.items() if k not in _HINTS}
    if op in _ADAPTERS:
        return _ADAPTERS[op](inputs, attrs)
    fn = getattr(_nd(), op, None)
    if fn is None:
        raise errors.MXNetValueError(
            f"symbol operator '{op}' is not supported by gluonlite; supported are the nd "
            "operators and " + ", ".join(sorted(_ADAPTERS))
        )
    try:
        return fn(*inputs, **attrs)
    except TypeError as exc:
        raise errors.MXNetTypeError(f"symbol operator '{op}' with attributes {attrs}: {exc}") from None


def param_shape(op: str, attrs: dict, data: Any, position: int) -> tuple | None:
    """The shape of input ``position`` of an MXNet op from its data input (shape inference for
    parameters, as MXNet's symbolic inference gives)."""
    if data is None:
        return None
    shape = tuple(data.shape)
    if op == "FullyConnected":
        units = int(attrs["num_hidden"])
        in_units = int(numpy.prod(shape[1:])) if attrs.get("flatten", True) else shape[-1]
        return (units, in_units) if position == 1 else (units,)
    if op in ("Convolution", "Deconvolution"):
        kernel = tuple(attrs["kernel"])
        groups = int(attrs.get("num_group", 1))
        filters = int(attrs["num_filter"])
        if position == 2:
            return (filters,)
        if op == "Convolution":
            return (filters, shape[1] // groups) + kernel
        return (shape[1], filters // groups) + kernel
    if op in ("BatchNorm", "InstanceNorm", "LayerNorm"):
        axis = int(attrs.get("axis", 1 if op != "LayerNorm" else -1))
        return (shape[axis],)
    if op == "Embedding":
        return (int(attrs["input_dim"]), int(attrs["output_dim"]))
    if op == "LeakyReLU":
        return (shape[1],) if attrs.get("act_type") == "prelu" else None
    return None
