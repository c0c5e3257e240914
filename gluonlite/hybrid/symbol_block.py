"""SymbolBlock: a Block made from a Symbol graph, e.g. a model exported by gluonlite or by
MXNet 1.9, loaded without its Python class (``SymbolBlock.imports``)."""
from __future__ import annotations

from typing import Any

from .. import errors
from ..nn.block import HybridBlock
from ..nn.param_io import assign_loaded
from ..nn.parameter import Parameter
from .symbol import Symbol, evaluate, load

__all__ = ["SymbolBlock"]


class SymbolBlock(HybridBlock):
    """Runs ``outputs`` (a Symbol) on the given input variables; every other variable of the
    graph is a Parameter named as in the symbol."""

    def __init__(self, outputs: Symbol, inputs: Symbol | list[Symbol], params: Any = None
                 ) -> None:
        super().__init__()
        inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        self._symbol = outputs
        self._input_names = [s.name for s in inputs]
        missing = [n for n in self._input_names if n not in outputs.list_inputs()]
        if missing:
            raise errors.MXNetValueError(
                f"inputs {missing} are not variables of the symbol (it has "
                f"{outputs.list_inputs()})"
            )
        aux = set(outputs.list_auxiliary_states())
        for name in outputs.list_inputs():
            if name in self._input_names:
                continue
            shared = params.get(name) if params is not None and name in params else None
            self._params[name] = shared or Parameter(
                name, grad_req="null" if name in aux else "write", allow_deferred_init=True,
                differentiable=name not in aux,
            )

    @staticmethod
    def imports(symbol_file: str, input_names: str | list[str], param_file: str | None = None,
                ctx: Any = None, allow_missing: bool = False, ignore_extra: bool = False
                ) -> SymbolBlock:
        """Load an exported model: its ``-symbol.json`` and (optionally) ``.params`` file, each
        parameter in the dtype it was saved in (as MXNet 1.9 does)."""
        from .symbol import var

        names = [input_names] if isinstance(input_names, str) else list(input_names)
        block = SymbolBlock(load(symbol_file), [var(n) for n in names])
        if param_file is not None:
            block.load_parameters(param_file, ctx=ctx, allow_missing=allow_missing,
                                  ignore_extra=ignore_extra, cast_dtype=True,
                                  dtype_source="saved")
        return block

    def load_parameters(self, filename: str, ctx: Any = None, allow_missing: bool = False,
                        ignore_extra: bool = False, cast_dtype: bool = False,
                        dtype_source: str = "current") -> None:
        """Load values saved by export (``arg:``/``aux:`` names) or by save_parameters."""
        from ..ndarray import load as load_arrays

        loaded = load_arrays(filename)
        loaded = {k.split(":", 1)[1] if k.startswith(("arg:", "aux:")) else k: v
                  for k, v in loaded.items()}
        params = dict(self._params.items())
        if ctx is None:
            from ..context import current_context

            ctx = current_context()
        assign_loaded(params, loaded, filename, ctx, allow_missing, ignore_extra, cast_dtype,
                      dtype_source)

    def infer_shape(self, *args: Any) -> None:
        values = dict(zip(self._input_names, args))
        _, shapes = evaluate(self._symbol, values, allow_missing=True, record_shapes=True)
        for name, p in self._params.items():
            if p._data is None and shapes.get(name) is not None:
                p.shape = shapes[name]

    def forward(self, *args: Any) -> Any:
        if len(args) != len(self._input_names):
            raise errors.MXNetValueError(
                f"this SymbolBlock takes inputs {self._input_names}, got {len(args)} arrays"
            )
        ctx = args[0].context
        values = dict(zip(self._input_names, args))
        values.update({name: p.data(ctx) for name, p in self._params.items()})
        outs, _ = evaluate(self._symbol, values)
        return outs[0] if len(outs) == 1 else outs
