"""Kinema's agent: the LangGraph loop and its Python API.

Importing `agent` is light: it needs none of the `local` extra (torch, diffusers), and the API
functions are loaded on first use.

Example:
    >>> import agent
    >>> result = agent.generate("a rubber ball bounces on a wooden floor")  # doctest: +SKIP
    >>> for event in agent.stream("a ball falls"):  # doctest: +SKIP
    ...     print(event.kind)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from tools import __version__

# litellm fetches a remote price map at import unless told otherwise; respect a user's choice.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

if TYPE_CHECKING:
    from agent.api import agenerate, astream, generate, judge_video, stream
    from agent.context import Context
    from agent.events import RunEvent
    from agent.graph import build_graph
    from agent.state import (
        Budget,
        KinemaInput,
        KinemaOutput,
        RoundSummary,
        RunRequest,
        RunResult,
        Verdict,
    )
    from agent.subgraph import build_subgraph
    from agent.tool import as_tool

__all__ = [
    "Budget",
    "Context",
    "KinemaInput",
    "KinemaOutput",
    "RoundSummary",
    "RunEvent",
    "RunRequest",
    "RunResult",
    "Verdict",
    "__version__",
    "agenerate",
    "as_tool",
    "astream",
    "build_graph",
    "build_subgraph",
    "generate",
    "judge_video",
    "stream",
]

_LAZY = {
    "generate": "agent.api",
    "agenerate": "agent.api",
    "stream": "agent.api",
    "astream": "agent.api",
    "judge_video": "agent.api",
    "build_graph": "agent.graph",
    "build_subgraph": "agent.subgraph",
    "as_tool": "agent.tool",
    "RunEvent": "agent.events",
    "Context": "agent.context",
    "Budget": "agent.state",
    "KinemaInput": "agent.state",
    "KinemaOutput": "agent.state",
    "RoundSummary": "agent.state",
    "RunRequest": "agent.state",
    "RunResult": "agent.state",
    "Verdict": "agent.state",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
