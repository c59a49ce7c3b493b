"""`python -m evals adherence-calibration`: does the adherence judge tell a video's own prompt
from altered ones?

For every `= PROMPT` of a suite (`evals/suites/adherence_*.txt`), videos are made the way Kinema
makes them: the studio's simulation rendered frame by frame, and the stand-in generator's first
round (the planned keyframes, a seed-chosen temporal prior), each under nuisances (sensor noise,
H.264). Each video is judged against its own prompt (clean) and against the suite's altered
prompts: count changed, subject swapped, a named subject missing from the video, another event,
another place. Per alteration the table gives the AUROC of (1 - adherence) against the clean
judgements, the mean adherence of both, and the share of clean judgements with a violated
check.
"""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from evals.calibration import auroc

SUITES = Path(__file__).parent / "suites"
ALTERATIONS = ("count", "subject", "missing", "event", "environment")
SIZES = ((426, 240), (480, 270))
FPS = 24
DURATION_S = 4.0


@dataclass
class Base:
    """A prompt the videos are made from, and the altered prompts they are judged against."""

    prompt: str
    altered: list[tuple[str, str]] = field(default_factory=list)


def read_suite(path: Path) -> list[Base]:
    """`= PROMPT` starts a base; `TYPE: PROMPT` adds an alteration; `#` lines are comments."""
    bases: list[Base] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("="):
            bases.append(Base(line[1:].strip()))
            continue
        kind, sep, prompt = line.partition(":")
        if not sep or kind.strip() not in ALTERATIONS or not bases:
            raise typer.BadParameter(f"{path}:{number}: expected '= PROMPT' or one of "
                                     f"{', '.join(ALTERATIONS)} followed by ': PROMPT'")
        bases[-1].altered.append((kind.strip(), prompt.strip()))
    return bases


@dataclass(frozen=True)
class Job:
    base: int
    prompt: str
    altered: tuple[tuple[str, str], ...]
    source: str  # "simulation" or "standin"
    seed: int


def make_video(prompt: str, source: str, seed: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Frames of a prompt's video (see the module docstring), with the seed's nuisances."""
    from tools.media import read_video, write_video
    from tools.schema import GenerationJob, RunRequest
    from tools.studio.keyframes import StudioKeyframes
    from tools.studio.planner import StudioPlanner
    from tools.studio.render import Renderer
    from tools.studio.simulate import simulate_spec
    from tools.studio.standin import StudioVideo

    rng = np.random.default_rng(seed)
    width, height = SIZES[seed % len(SIZES)]
    request = RunRequest(prompt=prompt, width=width, height=height, duration_s=DURATION_S,
                         fps=FPS, seed=seed)
    plan = StudioPlanner().plan(request)
    if plan.scene is None:
        raise ValueError(f"the studio cannot simulate the suite prompt {prompt!r}")
    crf = int(rng.choice([18, 23, 28]))
    with tempfile.TemporaryDirectory() as tmp:
        if source == "standin":
            keys = StudioKeyframes().render(plan, plan.keyframes, request, Path(tmp))
            job = GenerationJob(prompt=plan.generator_prompt, keyframes=keys, scene=plan.scene,
                                duration_s=DURATION_S, fps=FPS, width=width, height=height,
                                seed=seed)
            path = Path(StudioVideo().generate(job, Path(tmp) / "clip.mp4").video)
            frames, _ = read_video(path)
        else:
            sim = simulate_spec(plan.scene)
            renderer = Renderer(sim.world, width, height)
            frames = np.stack([renderer.frame(sim.poses_at(i / FPS))
                               for i in range(round(DURATION_S * FPS))])
        noise = float(rng.choice([0.0, 2.0, 4.0]))
        if noise:
            frames = np.clip(frames + rng.normal(0, noise, frames.shape), 0, 255).astype(np.uint8)
        path = write_video(frames, Path(tmp) / "noisy.mp4", fps=FPS, crf=crf)
        frames, _ = read_video(path)
    return frames, (width, height)


def judge_job(job: Job) -> list[dict[str, Any]]:
    """One video against its own prompt and each altered one (run in a worker)."""
    from tools.judges.adherence import judge_adherence
    from tools.judges.adherence_tracking import observe, track_bodies
    from tools.schema import RunRequest
    from tools.studio.planner import StudioPlanner

    frames, size = make_video(job.prompt, job.source, job.seed)
    bodies, still = observe(frames, FPS)
    out = []
    for kind, prompt in (("clean", job.prompt), *job.altered):
        plan = StudioPlanner().plan(RunRequest(prompt=prompt, duration_s=DURATION_S))
        if plan.scene is None:
            out.append({"base": job.base, "type": kind, "prompt": prompt, "skipped": True})
            continue
        result = judge_adherence(plan.scene, bodies, size, FPS, len(frames) / FPS,
                                 track_bodies, still=still)
        out.append({"base": job.base, "video": job.prompt, "source": job.source,
                    "seed": job.seed, "type": kind, "prompt": prompt,
                    "adherence": round(result.score, 4),
                    "checks": {c.id: [c.status, c.confidence, c.evidence]
                               for c in result.checks}})
    return out


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per alteration: AUROC, counts and mean adherence; the clean judgements' flag rate."""
    judged = [r for r in records if not r.get("skipped")]
    clean = [r for r in judged if r["type"] == "clean"]
    negatives = [1 - r["adherence"] for r in clean]
    table: dict[str, Any] = {}
    for kind in ALTERATIONS:
        pos = [r for r in judged if r["type"] == kind]
        if not pos:
            continue
        table[kind] = {
            "auroc": round(auroc([1 - r["adherence"] for r in pos], negatives), 3),
            "pairs": len(pos),
            "mean_adherence": round(float(np.mean([r["adherence"] for r in pos])), 3),
            "flagged": round(float(np.mean([_flagged(r) for r in pos])), 3),
        }
    return {
        "alterations": table,
        "clean": {"videos": len(clean),
                  "mean_adherence": round(float(np.mean([r["adherence"] for r in clean])), 3)
                  if clean else None,
                  "flagged": round(float(np.mean([_flagged(r) for r in clean])), 3)
                  if clean else None},
        "skipped": sum(1 for r in records if r.get("skipped")),
    }


def _flagged(record: dict[str, Any]) -> bool:
    return any(status == "violated" for status, _, _ in record["checks"].values())


def run(suite: Path, seeds: list[int], workers: int,
        progress: Any = None) -> list[dict[str, Any]]:
    bases = read_suite(suite)
    jobs = [Job(i, b.prompt, tuple(b.altered), source, seed)
            for i, b in enumerate(bases) for seed in seeds for source in ("simulation",
                                                                         "standin")]
    records: list[dict[str, Any]] = []
    if workers <= 1:
        for k, job in enumerate(jobs, 1):
            records += judge_job(job)
            if progress:
                progress(k, len(jobs))
        return records
    with ProcessPoolExecutor(workers) as pool:
        for k, found in enumerate(pool.map(judge_job, jobs), 1):
            records += found
            if progress:
                progress(k, len(jobs))
    return records


def main(
    suite: Annotated[str, typer.Option(help="studied, heldout, or a suite file's path.")] =
    "studied",
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds (nuisances, priors).")] =
    "0,1",
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    records_out: Annotated[Path | None, typer.Option("--records",
                                                     help="Write every judgement here.")] = None,
) -> None:
    """AUROC of the adherence judge per prompt alteration (count, subject, missing, event,
    environment) against videos judged with their own prompt."""
    path = SUITES / f"adherence_{suite}.txt" if "/" not in suite and not suite.endswith(
        ".txt") else Path(suite)
    if not path.is_file():
        raise typer.BadParameter(f"no suite at {path}: use studied, heldout or a file path")
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"--seeds takes integers separated by commas, got {seeds!r}") from None
    from rich.console import Console

    err = Console(stderr=True)
    records = run(path, seed_list, workers,
                  None if as_json else lambda k, n: err.print(f"videos judged: {k}/{n}",
                                                              end="\r"))
    if records_out:
        records_out.write_text(json.dumps(records, indent=1), encoding="utf-8")
    report = summarise(records)
    report["suite"], report["seeds"] = path.name, seed_list
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(f"\nsuite {path.name}, seeds {seed_list}")
    typer.echo(f"{'alteration':<12} {'AUROC':>6} {'pairs':>6} {'adherence':>10} {'flagged':>8}")
    for kind, row in report["alterations"].items():
        typer.echo(f"{kind:<12} {row['auroc']:>6.3f} {row['pairs']:>6} "
                   f"{row['mean_adherence']:>10.3f} {row['flagged']:>8.3f}")
    c = report["clean"]
    typer.echo(f"{'clean':<12} {'':>6} {c['videos']:>6} {c['mean_adherence']:>10.3f} "
               f"{c['flagged']:>8.3f}")



