"""refine: the round's violations become the next round's prompt, keyframes and seed."""

from __future__ import annotations

from typing import Any, Literal

from agent import policy, tracing
from agent.backends import backend_call, charge, record_cost, resolve
from agent.context import Context
from agent.nodes.decide import this_round, trace_decision
from agent.nodes.wrap import node
from agent.state import KeyframeSpec, RunState


def merge_specs(current: list[KeyframeSpec], added: list[KeyframeSpec]) -> list[KeyframeSpec]:
    by_time = {round(k.t, 3): k for k in current}
    for spec in added:
        by_time.setdefault(round(spec.t, 3), spec)
    return sorted(by_time.values(), key=lambda k: k.t)


@node("refine")
def refine(state: RunState, ctx: Context) -> dict[str, Any]:
    assert state.plan is not None and state.verdicts, "refine runs after a judged round"
    best = max(state.verdicts, key=lambda v: v.score)
    refiner = resolve(ctx, "refiner")
    with backend_call(state, "refiner", refiner.spec) as span:
        refinement = refiner.refine(state.plan, state.prompt, state.keyframe_specs, best)
        record_cost(span, refinement.cost)
    ledger = charge(state.ledger, refinement.cost)
    tracing.event("refinement", {
        "notes": refinement.notes,
        "added_keyframes": [round(k.t, 3) for k in refinement.add_keyframes],
        "new_seed": refinement.seed if refinement.seed is not None else -1,
    })
    if not refinement.changes_anything(state.prompt, [k.t for k in state.keyframe_specs]):
        decision = policy.converged(state.decision, refinement.notes)
        trace_decision(decision)
        return {"decision": decision, "ledger": ledger,
                "iterations": [this_round(state, decision, refinement)]}
    assert state.decision is not None
    return {
        "iterations": [this_round(state, state.decision, refinement)],
        "round": state.round + 1,
        "prompt": refinement.prompt,
        "keyframe_specs": merge_specs(state.keyframe_specs, refinement.add_keyframes),
        "seed": refinement.seed if refinement.seed is not None else state.seed,
        "candidates": [],
        "verdicts": [],
        "refinement": refinement,
        "ledger": ledger,
    }


def route_after_refine(state: RunState) -> Literal["keyframes", "finish"]:
    return "keyframes" if state.decision and state.decision.action == "continue" else "finish"
