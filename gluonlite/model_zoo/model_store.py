"""The local store of pretrained weights (MXNet's ``gluon.model_zoo.model_store``).

A model's weights live in ``root`` as ``{name}-{short_hash}.params`` (the name MXNet gives its
own files, so its cache folder ``~/.mxnet/models`` can be used as is) or ``{name}.params``.
gluonlite never downloads: a missing file raises an error that says where it looked and how to
put the file there. Files with structural names (``features.0.weight``, what
``save_parameters`` writes) load by name; MXNet's older prefix-named files (``conv0_weight``)
load by position, each entry checked against the parameter's kind and shape.
"""

from __future__ import annotations

import glob
import os
from typing import Any

from ..errors import MXNetError, MXNetValueError
from ..nn.block import Block
from ..nn.param_io import assign_loaded
from ..utils import check_sha1

__all__ = [
    "DEFAULT_ROOT",
    "ModelFileNotFoundError",
    "get_model_file",
    "load_pretrained",
    "purge",
    "short_hash",
]

DEFAULT_ROOT = os.path.join("~", ".gluonlite", "models")
_MXNET_URL = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/models/"

# SHA-1 of the weight files MXNet 1.9 publishes (its model_store table): the first 8 hex digits
# are part of the file name, the whole digest checks a file that carries that name.
_MODEL_SHA1 = {
    "alexnet": "44335d1f0046b328243b32a26a4fbd62d9057b45",
    "densenet121": "f27dbf2dbd5ce9a80b102d89c7483342cd33cb31",
    "densenet161": "b6c8a95717e3e761bd88d145f4d0a214aaa515dc",
    "densenet169": "2603f878403c6aa5a71a124c4a3307143d6820e9",
    "densenet201": "1cdbc116bc3a1b65832b18cf53e1cb8e7da017eb",
    "inceptionv3": "ed47ec45a937b656fcc94dabde85495bbef5ba1f",
    "mobilenet0.25": "9f83e440996887baf91a6aff1cccc1c903a64274",
    "mobilenet0.5": "8e9d539cc66aa5efa71c4b6af983b936ab8701c3",
    "mobilenet0.75": "529b2c7f4934e6cb851155b22c96c9ab0a7c4dc2",
    "mobilenet1.0": "6b8c5106c730e8750bcd82ceb75220a3351157cd",
    "mobilenetv2_1.0": "36da4ff1867abccd32b29592d79fc753bca5a215",
    "mobilenetv2_0.75": "e2be7b72a79fe4a750d1dd415afedf01c3ea818d",
    "mobilenetv2_0.5": "aabd26cd335379fcb72ae6c8fac45a70eab11785",
    "mobilenetv2_0.25": "ae8f9392789b04822cbb1d98c27283fc5f8aa0a7",
    "resnet18_v1": "a0666292f0a30ff61f857b0b66efc0228eb6a54b",
    "resnet34_v1": "48216ba99a8b1005d75c0f3a0c422301a0473233",
    "resnet50_v1": "0aee57f96768c0a2d5b23a6ec91eb08dfb0a45ce",
    "resnet101_v1": "d988c13d6159779e907140a638c56f229634cb02",
    "resnet152_v1": "671c637a14387ab9e2654eafd0d493d86b1c8579",
    "resnet18_v2": "a81db45fd7b7a2d12ab97cd88ef0a5ac48b8f657",
    "resnet34_v2": "9d6b80bbc35169de6b6edecffdd6047c56fdd322",
    "resnet50_v2": "ecdde35339c1aadbec4f547857078e734a76fb49",
    "resnet101_v2": "18e93e4f48947e002547f50eabbcc9c83e516aa6",
    "resnet152_v2": "f2695542de38cf7e71ed58f02893d82bb409415e",
    "squeezenet1.0": "264ba4970a0cc87a4f15c96e25246a1307caf523",
    "squeezenet1.1": "33ba0f93753c83d86e1eb397f38a667eaf2e9376",
    "vgg11": "dd221b160977f36a53f464cb54648d227c707a05",
    "vgg11_bn": "ee79a8098a91fbe05b7a973fed2017a6117723a8",
    "vgg13": "6bc5de58a05a5e2e7f493e2d75a580d83efde38c",
    "vgg13_bn": "7d97a06c3c7a1aecc88b6e7385c2b373a249e95e",
    "vgg16": "e660d4569ccb679ec68f1fd3cce07a387252a90a",
    "vgg16_bn": "7f01cf050d357127a73826045c245041b0df7363",
    "vgg19": "ad2f660d101905472b83590b59708b71ea22b2e5",
    "vgg19_bn": "f360b758e856f1074a85abd5fd873ed1d98297c3",
}


class ModelFileNotFoundError(MXNetError, FileNotFoundError):
    """No weight file for the requested model in the local store."""


def short_hash(name: str) -> str:
    """The 8 hex digits MXNet puts in the file name of its published weights for ``name``."""
    if name not in _MODEL_SHA1:
        raise MXNetValueError(
            f"MXNet publishes no pretrained weights named {name!r}; known names: "
            f"{', '.join(sorted(_MODEL_SHA1))}"
        )
    return _MODEL_SHA1[name][:8]


def _candidates(name: str) -> list[str]:
    """The file names accepted for ``name``, most specific first."""
    names = [f"{name}-{short_hash(name)}.params"] if name in _MODEL_SHA1 else []
    return names + [f"{name}.params", f"{name}-*.params"]


def get_model_file(name: str, root: str = DEFAULT_ROOT) -> str:
    """The path of the weight file for model ``name`` in ``root``: MXNet's
    ``{name}-{short_hash}.params`` (checked against MXNet's SHA-1), else ``{name}.params``,
    else the first ``{name}-*.params``. Raises ModelFileNotFoundError when there is none."""
    folder = os.path.expanduser(root)
    for pattern in _candidates(name):
        found = sorted(glob.glob(os.path.join(glob.escape(folder), pattern)))
        if found:
            if name in _MODEL_SHA1 and pattern == _candidates(name)[0]:
                _check_digest(found[0], name)
            return found[0]
    raise ModelFileNotFoundError(_missing_message(name, folder))


def _check_digest(path: str, name: str) -> None:
    if not check_sha1(path, _MODEL_SHA1[name]):
        raise MXNetValueError(
            f"{path} does not have the SHA-1 of MXNet's published {name} weights "
            f"({_MODEL_SHA1[name]}): the file is truncated or a different one. Copy it again, "
            f"or rename it to {name}.params to use it without the check"
        )


def _missing_message(name: str, folder: str) -> str:
    accepted = _candidates(name)
    where = folder if os.path.isdir(folder) else f"{folder} (the folder does not exist)"
    names = f"{', '.join(accepted[:-1])} or {accepted[-1]}"
    lines = [
        f"no pretrained weights for {name!r}: looked in {where} for {names}.",
        "gluonlite never downloads. To use pretrained weights, put the file there:",
    ]
    if name in _MODEL_SHA1:
        official = accepted[0]
        zipped = official[: -len(".params")] + ".zip"
        mxnet_call = f"mxnet.gluon.model_zoo.vision.get_model({name!r}, pretrained=True)"
        lines += [
            f"  - MXNet 1.x keeps its copy as ~/.mxnet/models/{official} ({mxnet_call}): copy it;",
            f"  - or fetch {_MXNET_URL}{zipped} on a connected machine and unzip it there;",
        ]
    own = os.path.join(folder, name + ".params")
    lines += [
        f"  - or save your own weights with net.save_parameters({own!r});",
        "  - or pass root= the folder that holds the file.",
        "pretrained=False builds the model with fresh parameters.",
    ]
    return "\n".join(lines)


def load_pretrained(net: Block, name: str, root: str = DEFAULT_ROOT, ctx: Any = None) -> Block:
    """Load the stored weights of model ``name`` into ``net`` (on ``ctx``) and return it."""
    from ..ndarray import load

    path = get_model_file(name, root)
    loaded = load(path)
    if not isinstance(loaded, dict):
        raise MXNetValueError(f"{path} holds a list of arrays, not named parameters")
    params = dict(net.collect_params().items())
    if loaded and not any("." in key for key in loaded):
        loaded = _by_position(params, loaded, path)
    assign_loaded(params, loaded, path, ctx)
    return net


def _by_position(params: dict, loaded: dict, path: str) -> dict:
    """Give the entries of a prefix-named file (``conv0_weight``, ``arg:dense0_bias``) the
    structural names of ``params``, in order; every entry must be the same kind of parameter
    (weight, gamma, running_var...) with a fitting shape."""
    fix = (
        f"Rewrite the file with structural names using MXNet 1.9: net.load_parameters({path!r}) "
        "then net.save_parameters(...)"
    )
    if len(loaded) != len(params):
        raise MXNetValueError(
            f"{path} names its {len(loaded)} arrays by prefix (e.g. {next(iter(loaded))!r}), so "
            f"they are matched by position, but the model has {len(params)} parameters. {fix}"
        )
    out = {}
    for (name, param), (key, value) in zip(params.items(), loaded.items()):
        kind = name.rsplit(".", 1)[-1]
        plain = key.split(":", 1)[-1]
        fits = param.shape is None or (
            len(param.shape) == value.ndim
            and all(d in (0, v) for d, v in zip(param.shape, value.shape))
        )
        if not (plain == kind or plain.endswith("_" + kind)) or not fits:
            raise MXNetValueError(
                f"{path} names its arrays by prefix, so they are matched by position, and entry "
                f"{key!r} {tuple(value.shape)} does not fit parameter {name!r} {param.shape}. "
                f"{fix}"
            )
        out[name] = value
    return out


def purge(root: str = DEFAULT_ROOT) -> None:
    """Delete every ``.params`` file in the store ``root``."""
    folder = os.path.expanduser(root)
    for path in glob.glob(os.path.join(glob.escape(folder), "*.params")):
        os.remove(path)
