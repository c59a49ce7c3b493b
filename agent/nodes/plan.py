"""plan: the prompt becomes a ShotPlan (phenomena, laws, checkable rules, keyframe moments)."""

from __future__ import annotations

import time
from typing import Any

from agent import journal, tracing
from agent.backends import backend_call, charge, record_cost, resolve
from agent.context import Context
from agent.nodes.decide import first_round_candidates
from agent.nodes.wrap import node
from agent.state import RunState, ShotPlan
from tools.errors import StudioUnsupported
from tools.studio.unsupported import unsupported_message


@node("plan")
def plan(state: RunState, ctx: Context) -> dict[str, Any]:
    planner = resolve(ctx, "planner")
    key = journal.key_of(planner.spec, ctx.options.get("planner", {}), state.req)
    with backend_call(state, "planner", planner.spec) as span:
        shot, reused = journal.once(state.run_dir, "plan", key, ShotPlan,
                                    lambda: planner.plan(state.req))
        span.set_attribute("kinema.reused", reused)
        record_cost(span, shot.cost)
    if shot.scene is None and getattr(resolve(ctx, "video"), "needs_scene", False):
        # Nothing is paid yet: say what could not be simulated and what would make it.
        raise StudioUnsupported(next((n for n in shot.notes if "cannot simulate" in n),
                                     unsupported_message(shot.prompt)))
    tracing.event("plan", {
        "phenomena": shot.phenomena,
        "rules": [r.id for r in shot.rules],
        "keyframe_times": [round(k.t, 3) for k in shot.keyframes],
        "simulable": shot.scene is not None,
        "ignored": shot.scene.ignored if shot.scene else [],
    })
    update: dict[str, Any] = {
        "plan": shot,
        "prompt": shot.generator_prompt,
        "keyframe_specs": sorted(shot.keyframes, key=lambda k: k.t),
        "round": 1,
        "seed": state.req.seed,
        "ledger": charge(state.ledger, shot.cost),
        "started_at": time.time(),
        "strategy": "initial",
    }
    first = state.model_copy(update=update)
    update["candidates_per_round"] = first_round_candidates(first, ctx)
    update["round_start"] = update["ledger"]
    return update
