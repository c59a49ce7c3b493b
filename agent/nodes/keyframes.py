"""keyframes: renders this round's keyframe specs, reusing those already rendered."""

from __future__ import annotations

from typing import Any

from agent import journal
from agent.backends import backend_call, charge, record_cost, resolve
from agent.context import Context
from agent.nodes.wrap import node
from agent.rundir import round_dir
from agent.state import Keyframe, Ledger, RunState


def _key(t: float) -> float:
    return round(t, 3)


@node("keyframes")
def keyframes(state: RunState, ctx: Context) -> dict[str, Any]:
    assert state.plan is not None, "keyframes runs after plan"
    known = {_key(k.t): k for k in state.keyframes}
    wanted = [s for s in state.keyframe_specs if s.t <= state.req.duration_s]
    missing = [s for s in wanted if _key(s.t) not in known]
    rendered: list[Keyframe] = []
    ledger = state.ledger
    if missing:
        generator = resolve(ctx, "keyframes")
        out_dir = round_dir(state.run_dir, state.round) / "keyframes"
        count = {"kinema.count": len(missing)}
        key = journal.key_of(generator.spec, ctx.options.get("keyframes", {}), state.plan,
                             missing, state.req, state.round)
        plan = state.plan
        with backend_call(state, "keyframes", generator.spec, **count) as s:
            rendered, reused = journal.once(
                state.run_dir, f"r{state.round:02d}-keyframes", key, list[Keyframe],
                lambda: generator.render(plan, missing, state.req, out_dir),
                files=lambda made: [k.image for k in made])
            s.set_attribute("kinema.reused", reused)
            cost = sum((k.cost for k in rendered), Ledger())
            record_cost(s, cost)
        ledger = charge(ledger, cost)
    known.update({_key(k.t): k for k in rendered})
    current = sorted((known[_key(s.t)] for s in wanted if _key(s.t) in known), key=lambda k: k.t)
    return {"keyframes": current, "ledger": ledger}
