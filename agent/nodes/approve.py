"""approve: the plan waits for a person (chat, notebook, a LangGraph server client) before
anything is paid for.

Every graph has this node; it pauses only when the run's Context asks for it
(`Context(approve_plan=True)`), and otherwise passes straight on. It pauses the run with a
LangGraph `interrupt` carrying the plan, and the caller resumes it with
`Command(resume={"action": "approve" | "edit" | "cancel", "prompt": ...})` (over the server:
`client.runs.create(thread_id, "kinema", command={"resume": {"action": "approve"}})`).
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent.context import Context
from agent.intake import valid
from agent.nodes.wrap import DEFAULTS, GraphDefaults, close_hosted, run_context
from agent.state import RunRequest, RunState
from tools.errors import KinemaError


class PlanCancelled(KinemaError):
    """The person reviewing the plan cancelled the run before anything was generated."""


def approval_request(state: RunState) -> dict[str, Any]:
    """What the interrupt shows: the user's prompt and the plan, as plain JSON."""
    assert state.plan is not None, "approve runs after plan"
    return {"kind": "plan_approval", "prompt": state.req.prompt,
            "plan": state.plan.model_dump(mode="json")}


def approve(state: RunState, runtime: Runtime[Context],
            defaults: GraphDefaults = DEFAULTS) -> Command[Literal["keyframes", "plan"]]:
    """Waits for the answer when the Context asks; an edit sends the new prompt back to plan."""
    if not run_context(runtime, defaults, state).approve_plan:
        return Command(goto="keyframes")
    answer = interrupt(approval_request(state))
    action = answer.get("action", "approve") if isinstance(answer, dict) else str(answer)
    if action == "approve":
        return Command(goto="keyframes")
    if action == "edit":
        prompt = str(answer.get("prompt", "")).strip() if isinstance(answer, dict) else ""
        if not prompt:
            raise KinemaError("an edited plan needs a new prompt: resume with {'prompt': ...}")
        request = valid(RunRequest, {**state.req.model_dump(), "prompt": prompt}, "request")
        return Command(goto="plan", update={"request": request.model_dump(mode="json")})
    if action == "cancel":
        close_hosted(state, "cancelled")
        raise PlanCancelled("the plan was cancelled; nothing was generated")
    raise KinemaError(f"unknown approval action {action!r}: use approve, edit or cancel")
