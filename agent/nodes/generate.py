"""generate: one or more candidate videos from the round's prompt and keyframes.

A generator that fails at run time (a timeout, a crashed job) yields a candidate carrying the error
instead of stopping the run: the judge scores it zero and the stop rule and refiner see it.
Mistakes the user must fix (`KinemaError`, e.g. a scene the studio cannot simulate) propagate.
"""

from __future__ import annotations

from typing import Any

from agent.backends import backend_call, charge, record_cost, resolve
from agent.context import Context
from agent.nodes.wrap import node
from agent.rundir import round_dir
from agent.state import Candidate, GenerationJob, Ledger, RunState
from tools.errors import KinemaError


def make_job(state: RunState, index: int, accepts_keyframes: bool) -> GenerationJob:
    req = state.request
    return GenerationJob(
        candidate_id=f"r{state.round:02d}c{index}",
        round=state.round,
        prompt=state.prompt,
        keyframes=state.keyframes if accepts_keyframes else [],
        duration_s=req.duration_s,
        fps=req.fps,
        width=req.width,
        height=req.height,
        seed=state.seed + index,
        scene=state.plan.scene if state.plan else None,
        init_image=req.init_image,
    )


def _failed(job: GenerationJob, spec: str, exc: Exception) -> Candidate:
    return Candidate(id=job.candidate_id, round=job.round, video="", seed=job.seed, backend=spec,
                     prompt=job.prompt, cost=Ledger(generations=1),
                     error=f"{type(exc).__name__}: {exc}")


@node("generate")
def generate(state: RunState, ctx: Context) -> dict[str, Any]:
    video = resolve(ctx, "video")
    out_dir = round_dir(state.run_dir, state.round)
    candidates: list[Candidate] = []
    ledger = state.ledger
    for index in range(ctx.candidates_per_round):
        job = make_job(state, index, bool(getattr(video, "accepts_keyframes", False)))
        attrs = {"kinema.candidate": job.candidate_id, "kinema.seed": job.seed}
        with backend_call(state, "video", video.spec, **attrs) as span:
            try:
                cand = video.generate(job, out_dir / f"{job.candidate_id}.mp4")
            except KinemaError:
                raise
            except Exception as exc:  # a generator's failure is data for the loop
                cand = _failed(job, video.spec, exc)
                span.set_attribute("kinema.error", cand.error or "")
            record_cost(span, cand.cost)
        ledger = charge(ledger, cand.cost)
        candidates.append(cand)
    return {"candidates": candidates, "verdicts": [], "ledger": ledger}
