"""Typed progress events of a run, translated from LangGraph's stream.

`agent.api.stream()` yields these; the chat renders them. They are built from the graph's own
stream modes (`tasks` for a node starting and finishing, `updates` for what it produced) rather
than from a side channel, so anything that streams the graph sees the same story.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.state import (
    Candidate,
    Decision,
    Keyframe,
    Refinement,
    RunResult,
    ShotPlan,
    Verdict,
    typed_update,
)

__all__ = [
    "CandidateReady",
    "DecisionMade",
    "Event",
    "EventTranslator",
    "Finished",
    "KeyframesReady",
    "NodeFinished",
    "NodeStarted",
    "PlanReady",
    "Refined",
    "RunEvent",
    "VerdictReady",
]


class RunEvent(BaseModel):
    """The base of every event; `kind` tells them apart."""

    model_config = ConfigDict(frozen=True)

    kind: str = ""
    round: int = Field(0, description="The round the event belongs to; 0 before planning ends.")


class NodeStarted(RunEvent):
    """A node of the loop began (plan, keyframes, generate, judge, decide, refine, finish)."""

    kind: Literal["node_started"] = "node_started"
    node: str


class NodeFinished(RunEvent):
    """A node returned; `error` holds its exception's text when it raised."""

    kind: Literal["node_finished"] = "node_finished"
    node: str
    error: str | None = None


class PlanReady(RunEvent):
    """The planner's ShotPlan: phenomena, laws, rules and keyframe moments."""

    kind: Literal["plan_ready"] = "plan_ready"
    plan: ShotPlan


class KeyframesReady(RunEvent):
    """The keyframes the round's generator will be conditioned on."""

    kind: Literal["keyframes_ready"] = "keyframes_ready"
    keyframes: list[Keyframe]


class CandidateReady(RunEvent):
    """One generated video (or a failed attempt, with `candidate.error` set)."""

    kind: Literal["candidate_ready"] = "candidate_ready"
    candidate: Candidate


class VerdictReady(RunEvent):
    """The judge's verdict on one candidate."""

    kind: Literal["verdict"] = "verdict"
    candidate_id: str
    verdict: Verdict


class DecisionMade(RunEvent):
    """The stop rule's choice after a round, with its reason and numbers."""

    kind: Literal["decision"] = "decision"
    decision: Decision


class Refined(RunEvent):
    """The refiner's changes for the next round."""

    kind: Literal["refined"] = "refined"
    refinement: Refinement


class Finished(RunEvent):
    """The run ended; `result` is what `generate()` would have returned."""

    kind: Literal["finished"] = "finished"
    result: RunResult


Event = Annotated[
    NodeStarted | NodeFinished | PlanReady | KeyframesReady | CandidateReady | VerdictReady
    | DecisionMade | Refined | Finished,
    Field(discriminator="kind"),
]


class EventTranslator:
    """Turns `(mode, chunk)` pairs of `graph.stream(stream_mode=["tasks", "updates", ...])`
    into events. One translator per run: it remembers the round in progress and the candidates
    awaiting a verdict."""

    def __init__(self) -> None:
        self.round = 0
        self._awaiting: list[str] = []

    def feed(self, mode: str, chunk: Any) -> list[RunEvent]:
        if mode == "tasks" and isinstance(chunk, dict):
            return self._task(chunk)
        if mode == "updates" and isinstance(chunk, dict):
            events: list[RunEvent] = []
            for node, update in chunk.items():
                if isinstance(update, dict):
                    events.extend(self._update(node, typed_update(update)))
            return events
        return []

    def _task(self, chunk: dict[str, Any]) -> list[RunEvent]:
        name = str(chunk.get("name", ""))
        if name.startswith("__"):
            return []
        if "input" in chunk:
            given = chunk["input"]
            state_round = given.get("round") if isinstance(given, dict) else getattr(
                given, "round", None)
            self.round = max(int(state_round or 0), self.round)
            return [NodeStarted(node=name, round=self.round)]
        error = chunk.get("error")
        text = None if error is None else f"{type(error).__name__}: {error}"
        return [NodeFinished(node=name, round=self.round, error=text)]

    def _update(self, node: str, update: dict[str, Any]) -> list[RunEvent]:
        if node == "plan" and "round" in update:
            self.round = int(update["round"])
        r = self.round
        events: list[RunEvent] = []
        if node == "plan" and update.get("plan") is not None:
            events.append(PlanReady(plan=update["plan"], round=r))
        elif node == "keyframes" and "keyframes" in update:
            events.append(KeyframesReady(keyframes=update["keyframes"], round=r))
        elif node == "generate":
            # Parallel branches each report their own candidates; verdicts follow id order.
            candidates = list(update.get("candidates", []))
            self._awaiting = sorted({*self._awaiting, *(c.id for c in candidates)},
                                    key=lambda cid: (len(cid), cid))
            events.extend(CandidateReady(candidate=c, round=r) for c in candidates)
        elif node == "judge":
            ids = self._awaiting + [""] * len(update.get("verdicts", []))
            events.extend(VerdictReady(candidate_id=cid, verdict=v, round=r)
                          for cid, v in zip(ids, update.get("verdicts", []), strict=False))
            self._awaiting = []
        if node in ("decide", "refine") and update.get("decision") is not None:
            events.append(DecisionMade(decision=update["decision"], round=r))
        if node == "refine" and update.get("refinement") is not None:
            events.append(Refined(refinement=update["refinement"], round=r))
            self.round = int(update.get("round", r))
        return events
