"""keyframes: renders this round's keyframe specs, reusing those already rendered."""

from __future__ import annotations

from typing import Any

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
    wanted = [s for s in state.keyframe_specs if s.t <= state.request.duration_s]
    missing = [s for s in wanted if _key(s.t) not in known]
    rendered: list[Keyframe] = []
    ledger = state.ledger
    if missing:
        generator = resolve(ctx, "keyframes")
        out_dir = round_dir(state.run_dir, state.round) / "keyframes"
        count = {"kinema.count": len(missing)}
        with backend_call(state, "keyframes", generator.spec, **count) as s:
            rendered = generator.render(state.plan, missing, state.request, out_dir)
            cost = sum((k.cost for k in rendered), Ledger())
            record_cost(s, cost)
        ledger = charge(ledger, cost)
    known.update({_key(k.t): k for k in rendered})
    current = sorted((known[_key(s.t)] for s in wanted if _key(s.t) in known), key=lambda k: k.t)
    return {"keyframes": current, "ledger": ledger}
