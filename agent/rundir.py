"""The run directory on disk: its name, its creation, and `result.json`."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from agent.context import Context
from agent.state import BestRef, Iteration, RunResult
from tools.errors import BadInputError

RESULT_FILE = "result.json"
CONTEXT_FILE = "context.json"
CHECKPOINTS_FILE = "checkpoints.sqlite"
FINAL_VIDEO = "final.mp4"


def new_run_id() -> str:
    """Sortable by time, unique across concurrent runs in one process."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def create_run_dir(out_dir: str | os.PathLike[str]) -> tuple[str, Path]:
    """Makes `out_dir/<run_id>/`, failing with advice when the parent cannot be written."""
    parent = Path(out_dir).expanduser()
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(
            f"cannot create output folder {str(parent)!r} ({exc.strerror}): pass a writable --out"
        ) from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInputError(f"output folder {str(parent)!r} is not writable: pass a writable --out")
    while True:
        run_id = new_run_id()
        run_dir = parent / run_id
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        return run_id, run_dir


def round_dir(run_dir: str | os.PathLike[str], index: int) -> Path:
    return Path(run_dir) / "rounds" / f"{index:02d}"


def write_json_atomic(path: Path, payload: Any) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def best_of(iterations: list[Iteration]) -> BestRef | None:
    """The best candidate over all rounds; the earliest wins a tie."""
    best: BestRef | None = None
    for it in iterations:
        for cand, verdict in zip(it.candidates, it.verdicts, strict=False):
            if cand.error is None and (best is None or verdict.score > best.score):
                best = BestRef(round=it.index, candidate=cand.id, video=cand.video,
                               score=verdict.score)
    return best


def round_summary(it: Iteration) -> dict[str, Any]:
    """A round as `result.json` records it."""
    return {
        "index": it.index,
        "prompt": it.prompt,
        "keyframes": len(it.keyframes),
        "candidates": [
            {
                "id": c.id,
                "video": c.video,
                "seed": c.seed,
                "score": v.score if v else None,
                "physics": v.physics if v else None,
                "adherence": v.adherence if v else None,
                "violations": v.violations if v else [],
                "adherence_violations": v.adherence_violations if v else [],
                "error": c.error,
            }
            for c, v in zip(it.candidates, _pad(it.verdicts, len(it.candidates)), strict=True)
        ],
        "decision": (
            {"action": it.decision.action, "reason": it.decision.reason,
             "detail": it.decision.detail}
            if it.decision else None
        ),
        "refinement": it.refinement.notes if it.refinement else [],
    }


def _pad(items: list[Any], n: int) -> list[Any]:
    return list(items[:n]) + [None] * max(0, n - len(items))


def copy_final(run_dir: Path, best: BestRef | None) -> str | None:
    """Copies the best candidate to `final.mp4` (atomically)."""
    if best is None or not Path(best.video).is_file():
        return None
    target = run_dir / FINAL_VIDEO
    tmp = run_dir / f".tmp-{FINAL_VIDEO}"
    shutil.copyfile(best.video, tmp)
    os.replace(tmp, target)
    return str(target)


def write_result(run_dir: Path, result: RunResult) -> Path:
    path = run_dir / RESULT_FILE
    write_json_atomic(path, result.model_dump(mode="json"))
    return path


def read_result(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(run_dir) / RESULT_FILE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise BadInputError(f"{str(path)!r} does not exist: pass a run directory") from exc


def write_context(run_dir: Path, ctx: Context) -> Path:
    """Saves the run's Context, so `kinema resume` rebuilds the run exactly as it was started."""
    path = run_dir / CONTEXT_FILE
    write_json_atomic(path, ctx.model_dump(mode="json"))
    return path


def read_context(run_dir: str | os.PathLike[str]) -> Context:
    path = Path(run_dir) / CONTEXT_FILE
    try:
        return Context.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BadInputError(
            f"{str(path)!r} does not exist: pass the directory of a run started by `kinema run`"
        ) from exc
