"""refine: the round's violations become the next round's prompt, keyframes and seed.

The controller's strategy decides how: `refine` and `fan_out` ask the refiner (a fan-out then
tries several seeds of the refined prompt), `reseed` keeps the prompt and keyframes and only moves
to seeds not tried yet, without paying for a refiner call.
"""

from __future__ import annotations

from typing import Any, Literal

from agent import journal, policy, tracing
from agent.backends import backend_call, charge, record_cost, resolve
from agent.context import Context
from agent.nodes.decide import this_round, trace_decision
from agent.nodes.wrap import node
from agent.state import Decision, KeyframeSpec, Refinement, RunState


def merge_specs(current: list[KeyframeSpec], added: list[KeyframeSpec]) -> list[KeyframeSpec]:
    by_time = {round(k.t, 3): k for k in current}
    for spec in added:
        by_time.setdefault(round(spec.t, 3), spec)
    return sorted(by_time.values(), key=lambda k: k.t)


def fresh_seed(state: RunState) -> int:
    """The first seed after every seed this run has tried."""
    seeds = [c.seed for it in state.iterations for c in it.candidates]
    seeds += [c.seed for c in state.candidates]
    return max([state.seed, *seeds]) + 1


def next_round(state: RunState, decision: Decision) -> dict[str, Any]:
    """The update that starts the next round; its cost is counted from here."""
    tracing.event("strategy", {"round": state.round + 1, "strategy": decision.strategy or "",
                               "candidates": decision.candidates})
    return {
        "round": state.round + 1,
        "round_start": state.ledger,
        "strategy": decision.strategy or policy.REFINE,
        "candidates_per_round": max(1, decision.candidates),
        "candidates": [],
        "verdicts": [],
    }


def reseed(state: RunState, decision: Decision) -> dict[str, Any]:
    """Same prompt and keyframes, new seeds: the verdicts blamed the seed, not the prompt."""
    seed = fresh_seed(state)
    tracing.event("reseed", {"seed": seed})
    return {**next_round(state, decision), "seed": seed, "refinement": None,
            "iterations": [this_round(state, decision)]}


@node("refine")
def refine(state: RunState, ctx: Context) -> dict[str, Any]:
    assert state.plan is not None and state.verdicts, "refine runs after a judged round"
    assert state.decision is not None, "refine runs after a decision"
    if state.decision.strategy == policy.RESEED:
        return reseed(state, state.decision)
    best = max(state.verdicts, key=lambda v: v.score)
    refiner = resolve(ctx, "refiner")
    key = journal.key_of(refiner.spec, ctx.options.get("refiner", {}), state.plan, state.prompt,
                         state.keyframe_specs, best)
    plan = state.plan
    with backend_call(state, "refiner", refiner.spec) as span:
        refinement, reused = journal.once(
            state.run_dir, f"r{state.round:02d}-refine", key, Refinement,
            lambda: refiner.refine(plan, state.prompt, state.keyframe_specs, best))
        span.set_attribute("kinema.reused", reused)
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
    if refinement.scene is not None:
        return {**rescene(state, refinement), "ledger": ledger}
    return {
        **next_round(state, state.decision),
        "iterations": [this_round(state, state.decision, refinement)],
        "prompt": refinement.prompt,
        "keyframe_specs": merge_specs(state.keyframe_specs, refinement.add_keyframes),
        "seed": refinement.seed if refinement.seed is not None else state.seed,
        "refinement": refinement,
        "ledger": ledger,
    }


def rescene(state: RunState, refinement: Refinement) -> dict[str, Any]:
    """The next round on a re-planned scene: a new simulation, so new keyframes throughout."""
    from tools.studio.planner import with_scene

    assert state.plan is not None and state.decision is not None
    assert refinement.scene is not None
    plan = with_scene(state.plan, refinement.scene, state.req)
    tracing.event("rescene", {"bodies": [b.name for b in plan.scene.bodies] if plan.scene
                              else []})
    return {
        **next_round(state, state.decision),
        "iterations": [this_round(state, state.decision, refinement)],
        "plan": plan,
        "prompt": refinement.prompt,
        "keyframe_specs": merge_specs(plan.keyframes, refinement.add_keyframes),
        "keyframes": [],
        "seed": refinement.seed if refinement.seed is not None else state.seed,
        "refinement": refinement,
    }


def route_after_refine(state: RunState) -> Literal["keyframes", "finish"]:
    return "keyframes" if state.decision and state.decision.action == "continue" else "finish"
