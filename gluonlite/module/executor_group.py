"""The executors behind a Module: one per context, each running its slice of the batch
(MXNet's ``DataParallelExecutorGroup``); gradients are summed across devices on update."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from .. import errors
from ..io import DataDesc

__all__ = ["ExecutorGroup", "as_descs"]


def as_descs(shapes: Any) -> list[DataDesc]:
    """DataDescs from DataDescs or ``(name, shape)`` pairs (None: no inputs)."""
    if shapes is None:
        return []
    return [s if isinstance(s, DataDesc) else DataDesc(s[0], s[1]) for s in shapes]


def _slices(batch_size: int, workload: list[float]) -> list[slice]:
    total = float(sum(workload))
    bounds = [0]
    for w in workload:
        bounds.append(min(batch_size, bounds[-1] + round(batch_size * w / total)))
    bounds[-1] = batch_size
    if any(b <= a for a, b in pairwise(bounds)):
        raise errors.MXNetValueError(
            f"batch size {batch_size} is too small to split over {len(workload)} devices"
        )
    return [slice(a, b) for a, b in pairwise(bounds)]


class ExecutorGroup:
    """Binds ``symbol`` on each context for its slice of ``data_shapes``/``label_shapes``."""

    def __init__(
        self,
        symbol: Any,
        contexts: list,
        workload: list,
        data_shapes: list,
        label_shapes: list,
        param_names: list[str],
        for_training: bool,
        inputs_need_grad: bool,
        shared_group: ExecutorGroup | None = None,
        fixed_param_names: Any = None,
        grad_req: Any = "write",
    ) -> None:
        self.symbol = symbol
        self.contexts = contexts
        self.workload = workload
        self.param_names = param_names
        self.aux_names = symbol.list_auxiliary_states()
        self.data_shapes = data_shapes
        self.label_shapes = label_shapes
        arg_names = symbol.list_arguments()
        fixed = set(fixed_param_names or ())
        data_names = {d.name for d in data_shapes}
        self.grad_req = {}
        for name in arg_names:
            if name in param_names and for_training and name not in fixed:
                req = grad_req if isinstance(grad_req, str) else grad_req.get(name, "write")
            elif name in data_names and inputs_need_grad:
                req = "write"
            else:
                req = "null"
            self.grad_req[name] = req
        self.batch_size = data_shapes[0].shape[0]
        self.slices = _slices(self.batch_size, workload)
        shared = shared_group.execs if shared_group is not None else [None] * len(contexts)
        self.execs = [self._bind(ctx, s, sh) for ctx, s, sh in zip(contexts, self.slices, shared)]
        self._collect()

    def _bind(self, ctx: Any, part: slice, shared: Any) -> Any:
        known = set(self.symbol.list_arguments())
        shapes, types = {}, {}
        for d in self.data_shapes + self.label_shapes:
            if d.name in known:
                shapes[d.name] = (part.stop - part.start,) + tuple(d.shape[1:])
                types[d.name] = d.dtype
        return self.symbol.simple_bind(
            ctx, grad_req=self.grad_req, type_dict=types, shared_exec=shared, **shapes
        )

    def _collect(self) -> None:
        self.param_arrays = [[e.arg_dict[n] for e in self.execs] for n in self.param_names]
        self.grad_arrays = [[e.grad_dict.get(n) for e in self.execs] for n in self.param_names]
        self.aux_arrays = [[e.aux_dict[n] for e in self.execs] for n in self.aux_names]

    # ---- parameters -------------------------------------------------------------------------
    def set_params(self, arg_params: dict, aux_params: dict, allow_extra: bool = False) -> None:
        for exe in self.execs:
            exe.copy_params_from(arg_params, aux_params, allow_extra_params=allow_extra)

    def get_params(self, arg_params: dict, aux_params: dict) -> None:
        """Copy the device values (averaged over devices) into the given host arrays."""
        for names, arrays, target in (
            (self.param_names, self.param_arrays, arg_params),
            (self.aux_names, self.aux_arrays, aux_params),
        ):
            for name, copies in zip(names, arrays):
                total = copies[0].copyto(target[name].context)
                for other in copies[1:]:
                    total = total + other.as_in_context(total.context)
                if len(copies) > 1:
                    total = total / len(copies)
                total.astype(target[name].dtype).copyto(target[name])

    # ---- computation ------------------------------------------------------------------------
    def _inputs(self, batch: Any, part: slice, ctx: Any) -> dict:
        known = set(self.symbol.list_arguments())
        values = {}
        pairs = list(zip(self.data_shapes, batch.data or []))
        pairs += list(zip(self.label_shapes, batch.label or []))
        for desc, value in pairs:
            if desc.name in known:
                if len(self.execs) > 1:
                    value = value[part].as_in_context(ctx)
                values[desc.name] = value
        return values

    def forward(self, batch: Any, is_train: bool) -> None:
        for exe, part, ctx in zip(self.execs, self.slices, self.contexts):
            exe.forward(is_train=is_train, **self._inputs(batch, part, ctx))

    def backward(self, out_grads: Any = None) -> None:
        for exe, part, ctx in zip(self.execs, self.slices, self.contexts):
            grads = None
            if out_grads is not None:
                grads = [
                    g[part].as_in_context(ctx) if len(self.execs) > 1 else g for g in out_grads
                ]
            exe.backward(out_grads=grads)

    def get_outputs(self, merge_multi_context: bool = True) -> list:
        per_output = [
            [exe.outputs[i] for exe in self.execs] for i in range(len(self.execs[0].outputs))
        ]
        return _merged(per_output) if merge_multi_context else per_output

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        names = [d.name for d in self.data_shapes]
        grads = [[exe.grad_dict[n] for exe in self.execs] for n in names]
        return _merged(grads) if merge_multi_context else grads

    def get_output_shapes(self) -> list[tuple[str, tuple]]:
        shapes = [o.shape for o in self.execs[0].outputs]
        return [
            (name, (self.batch_size,) + tuple(s[1:]))
            for name, s in zip(self.symbol.list_outputs(), shapes)
        ]

    def update_metric(self, eval_metric: Any, labels: Any) -> None:
        label_names = [d.name for d in self.label_shapes]
        out_names = self.symbol.list_outputs()
        for exe, part in zip(self.execs, self.slices):
            sliced = [lb[part] if len(self.execs) > 1 else lb for lb in labels or []]
            eval_metric.update_dict(
                dict(zip(label_names, sliced)), dict(zip(out_names, exe.outputs))
            )

    def reshape(self, data_shapes: list, label_shapes: list) -> None:
        """Rebind for new input shapes, keeping the parameter arrays."""
        self.data_shapes, self.label_shapes = data_shapes, label_shapes
        self.batch_size = data_shapes[0].shape[0]
        self.slices = _slices(self.batch_size, self.workload)
        known = set(self.symbol.list_arguments())
        new = []
        for exe, part in zip(self.execs, self.slices):
            shapes = {
                d.name: (part.stop - part.start,) + tuple(d.shape[1:])
                for d in data_shapes + label_shapes
                if d.name in known
            }
            new.append(exe.reshape(**shapes))
        self.execs = new
        self._collect()


def _merged(per_output: list) -> list:
    from .. import ndarray as nd

    merged = []
    for parts in per_output:
        if len(parts) == 1:
            merged.append(parts[0])
        else:
            ctx = parts[0].context
            merged.append(nd.concat(*[p.as_in_context(ctx) for p in parts], dim=0))
    return merged
