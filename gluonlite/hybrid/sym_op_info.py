"""What MXNet knows about each operator, for building and inspecting symbols: argument names
in order (``FullyConnected``: data, weight, bias), inputs dropped by attributes
(``no_bias``), output counts and names, the Python names that write another op name, and the
shapes of parameters and labels inferred from the data input."""

from __future__ import annotations

from typing import Any

from .symbol import _Node, parse_attr

__all__ = [
    "CANONICAL",
    "INPUTS",
    "PARAM_ORDER",
    "VARARG_PARAM",
    "VARIADIC",
    "dropped",
    "num_outputs",
    "output_names",
    "param_shape",
]

VARIADIC = ("*",)
_DATA = ("data",)
_BINARY = ("lhs", "rhs")
_NORM = ("data", "gamma", "beta")
_LABELLED = ("data", "label")
_SEQUENCE = ("data", "sequence_length")

# MXNet's argument names of each operator with a fixed list (others: the nd signature)
INPUTS: dict[str, tuple[str, ...]] = {
    "FullyConnected": ("data", "weight", "bias"),
    "Convolution": ("data", "weight", "bias"),
    "Deconvolution": ("data", "weight", "bias"),
    "BatchNorm": ("data", "gamma", "beta", "moving_mean", "moving_var"),
    "Embedding": ("data", "weight"),
    "LeakyReLU": ("data", "gamma"),
    "where": ("condition", "x", "y"),
    "pick": ("data", "index"),
}
_GROUPS = {
    _NORM: "LayerNorm InstanceNorm GroupNorm",
    _LABELLED: "SoftmaxOutput LinearRegressionOutput LogisticRegressionOutput "
    "MAERegressionOutput softmax_cross_entropy",
    _SEQUENCE: "SequenceMask SequenceLast SequenceReverse",
    VARIADIC: "Concat add_n stack",
    (): "_zeros _ones _full _arange",
    _DATA: "Activation Dropout Pooling Flatten MakeLoss make_loss BlockGrad _copy Cast Reshape "
    "SoftmaxActivation SliceChannel SwapAxis L2Normalization Pad _plus_scalar _minus_scalar "
    "_rminus_scalar _mul_scalar _div_scalar _rdiv_scalar _mod_scalar _rmod_scalar "
    "_power_scalar _rpower_scalar _maximum_scalar _minimum_scalar _equal_scalar "
    "_not_equal_scalar _greater_scalar _greater_equal_scalar _lesser_scalar "
    "_lesser_equal_scalar",
}
BINARY_OPS = (  # noqa: SIM905  (a word list reads better than 60 quoted strings)
    "elemwise_add elemwise_sub elemwise_mul elemwise_div _power _mod _maximum _minimum _hypot "
    "_equal _not_equal _greater _greater_equal _lesser _lesser_equal"
).split()
_GROUPS[_BINARY] = " ".join(BINARY_OPS) + " dot batch_dot"
for _args, _names in _GROUPS.items():
    INPUTS.update(dict.fromkeys(_names.split(), _args))

# the Python names of MXNet operators that write another op name into the graph
CANONICAL = {
    "flatten": "Flatten", "reshape": "Reshape", "concat": "Concat", "split": "SliceChannel",
    "cast": "Cast", "swapaxes": "SwapAxis", "pad": "Pad", "stop_gradient": "BlockGrad",
    "identity": "_copy", "ElementWiseSum": "add_n", "Softmax": "SoftmaxOutput",
    "broadcast_plus": "broadcast_add", "broadcast_minus": "broadcast_sub",
    "_Plus": "elemwise_add", "_plus": "elemwise_add", "_add": "elemwise_add",
    "_Minus": "elemwise_sub", "_minus": "elemwise_sub", "_sub": "elemwise_sub",
    "_Mul": "elemwise_mul", "_mul": "elemwise_mul", "_Div": "elemwise_div", "_div": "elemwise_div",
    "_Power": "_power", "_Mod": "_mod", "_Maximum": "_maximum", "_Minimum": "_minimum",
    "zeros": "_zeros", "ones": "_ones", "full": "_full", "arange": "_arange",
}  # fmt: skip
for _python, _op in (("Plus", "plus"), ("Minus", "minus"), ("RMinus", "rminus"), ("Mul", "mul"),
                     ("Div", "div"), ("RDiv", "rdiv"), ("Mod", "mod"), ("RMod", "rmod"),
                     ("Power", "power"), ("RPower", "rpower")):  # fmt: skip
    CANONICAL[f"_{_python}Scalar"] = f"_{_op}_scalar"

# parameters that MXNet's operator functions accept positionally after their inputs
_REDUCTIONS = ("sum", "mean", "max", "min", "prod", "nansum", "nanprod")
PARAM_ORDER = dict.fromkeys(_REDUCTIONS, ("axis", "keepdims", "exclude"))
VARARG_PARAM = {"Reshape": "shape", "reshape": "shape", "transpose": "axes"}


def dropped(op: str, params: dict) -> set[str]:
    """Inputs an operator goes without under these attributes (``no_bias=True``...)."""
    if op in ("FullyConnected", "Convolution"):
        return {"bias"} if params.get("no_bias", False) else set()
    if op == "Deconvolution":  # MXNet's Deconvolution defaults to no bias
        return {"bias"} if params.get("no_bias", True) else set()
    if op == "LeakyReLU":
        return set() if params.get("act_type") == "prelu" else {"gamma"}
    if op.startswith("Sequence"):
        return set() if params.get("use_sequence_length") else {"sequence_length"}
    return set()


def num_outputs(op: str, attrs: dict) -> int:
    """How many outputs a node of ``op`` shows under ``attrs`` (strings or values)."""

    def get(key: str, default: Any) -> Any:
        return parse_attr(attrs.get(key, default))

    if op in ("SliceChannel", "split"):
        return int(get("num_outputs", 1))
    if op in ("BatchNorm", "LayerNorm") and get("output_mean_var", False):
        return 3
    if op == "topk" and get("ret_typ", "indices") == "both":
        return 2
    return 1


def output_names(node: _Node) -> list[str]:
    """MXNet's output names of a node: ``fc1_output``, ``bn_mean``, ``split0_output1``."""
    if node.num_outputs == 1:
        return [f"{node.name}_output"]
    if node.op == "BatchNorm":
        return [f"{node.name}_{s}" for s in ("output", "mean", "var")]
    if node.op == "LayerNorm":
        return [f"{node.name}_{s}" for s in ("output", "mean", "std")]
    return [f"{node.name}_output{i}" for i in range(node.num_outputs)]


def param_shape(op: str, attrs: dict, data: Any, position: int) -> tuple | None:
    """The shape of input ``position`` (a parameter or label) from the data input's shape."""
    from .mx_ops import param_shape as layer_param_shape

    if data is None:
        return None
    shape = tuple(data.shape)
    if op == "SoftmaxOutput":
        if attrs.get("multi_output", False):
            return (shape[0],) + shape[2:]
        return shape[:-1] if attrs.get("preserve_shape", False) else shape[:1]
    if op.endswith("RegressionOutput"):
        return shape
    if op == "softmax_cross_entropy":
        return shape[:1]
    if op in BINARY_OPS:  # elementwise: both operands have one shape
        return shape
    if op.startswith("Sequence"):
        return (shape[1] if int(attrs.get("axis", 0)) == 0 else shape[0],)
    return layer_param_shape(op, attrs, data, position)
