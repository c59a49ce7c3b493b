"""approve: the plan waits for a person (chat, notebook) before anything is paid for.

Only graphs built with `build_graph(approve_plan=True)` have this node; the default graph runs
straight through. The node pauses the run with a LangGraph `interrupt` carrying the plan, and the
caller resumes it with `Command(resume={"action": "approve" | "edit" | "cancel", "prompt": ...})`.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.types import Command, interrupt
from pydantic import ValidationError

from agent.state import RunRequest, RunState
from tools.errors import KinemaError, invalid_input


class PlanCancelled(KinemaError):
    """The person reviewing the plan cancelled the run before anything was generated."""


def approval_request(state: RunState) -> dict[str, Any]:
    """What the interrupt shows: the user's prompt and the plan, as plain JSON."""
    assert state.plan is not None, "approve runs after plan"
    return {"kind": "plan_approval", "prompt": state.request.prompt,
            "plan": state.plan.model_dump(mode="json")}


def approve(state: RunState) -> Command[Literal["keyframes", "plan"]]:
    """Waits for the answer; an edit sends the new prompt back to the planner."""
    answer = interrupt(approval_request(state))
    action = answer.get("action", "approve") if isinstance(answer, dict) else str(answer)
    if action == "approve":
        return Command(goto="keyframes")
    if action == "edit":
        prompt = str(answer.get("prompt", "")).strip() if isinstance(answer, dict) else ""
        if not prompt:
            raise KinemaError("an edited plan needs a new prompt: resume with {'prompt': ...}")
        try:
            request = RunRequest.model_validate({**state.request.model_dump(), "prompt": prompt})
        except ValidationError as exc:
            raise invalid_input(exc) from None
        return Command(goto="plan", update={"request": request})
    if action == "cancel":
        raise PlanCancelled("the plan was cancelled; nothing was generated")
    raise KinemaError(f"unknown approval action {action!r}: use approve, edit or cancel")
