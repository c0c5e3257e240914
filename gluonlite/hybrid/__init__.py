"""hybridize: trace a HybridBlock into a graph, optimise it, plan its memory (forward and
backward together) and replay it. See README.md in this folder for the IR and the pipeline.

Importing this package plugs the cached call into ``HybridBlock`` (the one hook below it).
"""
from .. import nn as _nn
from ..nn import block as _block
from . import symbol
from .cached import call as _call
from .cached import trace
from .export import export_block as _export
from .graph import Eqn, Graph, Literal, Var
from .memory import MemoryPlan, plan_memory
from .symbol import Symbol
from .symbol_block import SymbolBlock

_block.set_hybrid_hooks(_call, _export)
_nn.SymbolBlock = SymbolBlock  # nn's public name for it (defined here, above nn)

__all__ = ["trace", "Graph", "Eqn", "Var", "Literal", "MemoryPlan", "plan_memory", "symbol",
           "Symbol", "SymbolBlock"]
