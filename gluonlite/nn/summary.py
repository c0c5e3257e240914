"""``Block.summary``: one forward pass with hooks, printed as a table of layers, output shapes
and parameter counts."""
from __future__ import annotations

from typing import Any

__all__ = ["print_summary"]


def _shapes(out: Any) -> str:
    if hasattr(out, "shape"):
        return str(tuple(out.shape))
    if isinstance(out, (list, tuple)):
        return ", ".join(_shapes(o) for o in out)
    return type(out).__name__


def print_summary(block: Any, *inputs: Any) -> None:
    """Run ``block(*inputs)`` and print each descendant's output shape and own parameters."""
    rows: list[tuple[str, str, int]] = []
    handles = []
    counted: set[int] = set()

    def hook(b: Any, args: Any, out: Any) -> None:
        n = 0
        for _, p in b._own_params():
            if id(p) not in counted and p.shape is not None:
                counted.add(id(p))
                size = 1
                for d in p.shape:
                    size *= d
                n += size
        rows.append((f"{type(b).__name__}-{len(rows) + 1}", _shapes(out), n))

    block.apply(lambda b: handles.append(b.register_forward_hook(hook)))
    try:
        block(*inputs)
    finally:
        for h in handles:
            h.detach()
    params = block.collect_params().values()
    total = sum(_size(p) for p in params)
    trainable = sum(_size(p) for p in params if p.grad_req != "null")
    width = 80
    print("-" * width)
    print(f"{'Layer (type)':>28}{'Output Shape':>32}{'Param #':>18}")
    print("=" * width)
    print(f"{'Input':>28}{_shapes(inputs[0] if len(inputs) == 1 else inputs):>32}{0:>18}")
    for name, shape, n in rows:
        print(f"{name:>28}{shape:>32}{n:>18}")
    print("=" * width)
    print(f"Parameters in forward computation graph, duplicate included\n"
          f"   Total params: {total}\n   Trainable params: {trainable}\n"
          f"   Non-trainable params: {total - trainable}")
    print("-" * width)


def _size(p: Any) -> int:
    size = 1
    for d in p.shape or (0,):
        size *= d
    return size
