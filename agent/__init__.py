"""Kinema's agent: the LangGraph loop and its Python API.

Importing `agent` is light: it needs none of the `local` extra (torch, diffusers), and the API
functions are loaded on first use.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# litellm fetches a remote price map at import unless told otherwise; respect a user's choice.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

if TYPE_CHECKING:
    from agent.api import generate, judge_video
    from agent.context import Context
    from agent.graph import build_graph
    from agent.state import Budget, RunRequest, RunResult, Verdict

__all__ = [
    "Budget",
    "Context",
    "RunRequest",
    "RunResult",
    "Verdict",
    "build_graph",
    "generate",
    "judge_video",
]

_LAZY = {
    "generate": "agent.api",
    "judge_video": "agent.api",
    "build_graph": "agent.graph",
    "Context": "agent.context",
    "Budget": "agent.state",
    "RunRequest": "agent.state",
    "RunResult": "agent.state",
    "Verdict": "agent.state",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
