"""hybridize: trace a HybridBlock into a graph, optimise it, plan its memory (forward and
backward together) and replay it. See README.md in this folder for the IR and the pipeline.

Importing this package plugs the cached call into ``HybridBlock`` (the one hook below it).
"""
from ..nn import block as _block
from .cached import call as _call
from .cached import trace
from .graph import Eqn, Graph, Literal, Var
from .memory import MemoryPlan, plan_memory

_block.set_hybrid_call(_call)

__all__ = ["trace", "Graph", "Eqn", "Var", "Literal", "MemoryPlan", "plan_memory"]
