"""generate: one candidate video per `Send` branch; a fan-out is several branches at once.

The controller sets how many candidates a round has (`state.candidates_per_round`) and
`route_candidates` sends one branch per candidate. Each branch is its own LangGraph task, so
with a checkpointer a finished candidate is saved the moment it is done and a resumed run never
generates it again.
Generators that cannot run side by side (`parallel_ok = False`, e.g. one GPU pipeline) take turns
through a lock, so a fan-out on them is a sequence of branches rather than a crowd.

A generator that fails at run time (a timeout, a crashed job) yields a candidate carrying the error
instead of stopping the run: the judge scores it zero and the stop rule and refiner see it.
Mistakes the user must fix (`KinemaError`, e.g. a scene the studio cannot simulate) propagate.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.types import Send

from agent import journal
from agent.backends import backend_call, record_cost, resolve
from agent.context import Context
from agent.costs import prior_cost
from agent.nodes.wrap import branch
from agent.rundir import FILE_MODE, round_dir
from agent.state import Candidate, CandidateTask, GenerationJob, Ledger, RunState
from tools.errors import KinemaError, is_storage_failure, storage_error
from tools.media import sha256_file
from tools.redact import redact_text

_turns: dict[str, threading.Lock] = {}
_turns_lock = threading.Lock()


def make_job(state: RunState, index: int) -> GenerationJob:
    """The job of candidate `index` of the current round; its seed is the round's seed + index."""
    req = state.req
    return GenerationJob(
        candidate_id=f"r{state.round:02d}c{index}",
        round=state.round,
        prompt=state.prompt,
        keyframes=state.keyframes,
        duration_s=req.duration_s,
        fps=req.fps,
        width=req.width,
        height=req.height,
        seed=state.seed + index,
        scene=state.plan.scene if state.plan else None,
        init_image=req.init_image,
    )


def route_candidates(state: RunState) -> list[Send]:
    """One `generate` branch per candidate of the round (JSON payloads keep checkpoints plain)."""
    return [
        Send("generate", CandidateTask(run_id=state.run_id, run_dir=state.run_dir,
                                       job=make_job(state, i),
                                       options=state.options).model_dump(mode="json"))
        for i in range(state.candidates_per_round)
    ]


def _failed(job: GenerationJob, spec: str, exc: Exception) -> Candidate:
    return Candidate(id=job.candidate_id, round=job.round, video="", seed=job.seed, backend=spec,
                     prompt=job.prompt, cost=Ledger(generations=1),
                     error=redact_text(f"{type(exc).__name__}: {exc}"))


@contextmanager
def _turn(video: Any) -> Iterator[None]:
    """Serialises calls to a backend that cannot generate two videos at once."""
    if getattr(video, "parallel_ok", False):
        yield
        return
    with _turns_lock:
        lock = _turns.setdefault(str(video.spec), threading.Lock())
    with lock:
        yield


def _settled(cand: Candidate, seconds: float) -> Candidate:
    """Stamps the branch's own wall time and the video's content hash on the candidate."""
    cost = cand.cost.model_copy(update={"seconds": max(cand.cost.seconds, seconds),
                                        "generations": max(1, cand.cost.generations)})
    digest = cand.sha256 or (sha256_file(cand.video) if cand.video and Path(cand.video).is_file()
                             else "")
    return cand.model_copy(update={"cost": cost, "sha256": digest})


@branch("generate")
def generate(task: CandidateTask, ctx: Context) -> dict[str, Any]:
    video = resolve(ctx, "video")
    job = task.job
    if not getattr(video, "accepts_keyframes", False):
        job = job.model_copy(update={"keyframes": []})
    out_path = round_dir(task.run_dir, job.round) / f"{job.candidate_id}.mp4"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    key = journal.key_of(video.spec, ctx.options.get("video", {}), job)
    attrs = {"kinema.candidate": job.candidate_id, "kinema.seed": job.seed}
    with _turn(video), backend_call(task, "video", video.spec, **attrs) as span:
        recorded = journal.finished(journal.read(task.run_dir, job.candidate_id, key), Candidate)
        if recorded is not None:  # made before a kill, and not yet in the checkpoint
            span.set_attribute("kinema.reused", True)
            return {"candidates": [recorded]}
        _keep_aside(out_path)
        before = journal.begin(task.run_dir, job.candidate_id, key)
        started = time.perf_counter()
        try:
            cand = video.generate(job, out_path)
        except KinemaError:
            journal.cancel(task.run_dir, job.candidate_id, key)
            raise
        except Exception as exc:  # a generator's failure is data for the loop
            if is_storage_failure(exc):
                raise storage_error(exc, str(out_path)) from None
            cand = _failed(job, video.spec, exc)
            span.set_attribute("kinema.error", cand.error or "")
        cand = _settled(cand, time.perf_counter() - started)
        cand = _with_lost_attempts(cand, _lost(before, video), prior_cost(video, job), span)
        _match_final_mode(cand)
        journal.finish(task.run_dir, job.candidate_id, key, cand, [cand.video])
        record_cost(span, cand.cost)
    return {"candidates": [cand]}


def _lost(before: journal.Entry, video: Any) -> int:
    """Earlier attempts at this candidate that were paid for and left nothing usable.

    A backend that re-attaches to its provider's job (`resumes_jobs`) pays for an attempt cut
    short only once, when it collects it; one that finished and whose file is gone was paid.
    """
    if getattr(video, "resumes_jobs", False) and before.result is None:
        return 0
    return before.attempts


def _with_lost_attempts(cand: Candidate, lost: int, price: Ledger, span: Any) -> Candidate:
    """Charges attempts lost to a kill at the backend's stated price: spent is spent."""
    if lost <= 0:
        return cand
    span.add_event("kinema.lost_attempts", {"count": lost, "usd_each": price.usd})
    extra = Ledger(usd=price.usd * lost, gpu_seconds=price.gpu_seconds * lost, generations=lost)
    return cand.model_copy(update={"cost": cand.cost + extra})


def _keep_aside(out_path: Path) -> None:
    """A finished video already at `out_path` that no journal entry vouches for is kept aside.

    It is complete (every backend writes beside the target and renames), was paid for, and
    belongs to a job with other inputs; it is renamed rather than overwritten.
    """
    if not out_path.is_file():
        return
    digest = sha256_file(out_path)[:12]
    os.replace(out_path, out_path.with_name(f"{out_path.stem}.{digest}{out_path.suffix}"))


def _match_final_mode(cand: Candidate) -> None:
    """Candidate files get the permissions `final.mp4` gets (some backends write them 0600)."""
    if cand.video and Path(cand.video).is_file():
        with contextlib.suppress(OSError):
            os.chmod(cand.video, FILE_MODE)
