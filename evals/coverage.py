"""`python -m evals studio-coverage`: how much of the public physics prompt sets the studio covers.

Each prompt lands in one of three bins: the studio simulates it (the reader composes a scene),
the law knowledge base gives it laws and rules only, or nothing in the studio recognises it.
For every simulated prompt the studio's first-round video (its planned keyframes, the stand-in
generator, seed 0) is judged against the prompt it came from: `adherent` counts the videos with
no adherence check violated, so a scene that drifts from its prompt shows up here.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated

import typer

from tools.studio.describe import summary
from tools.studio.laws import laws_for
from tools.studio.reader import read_scene

VBENCH_SETS = ("Mechanics", "Material", "Thermotics")
DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"
BINS = ("simulated", "laws_only", "unrecognised")


def benchmark_prompts(root: Path) -> Iterator[tuple[str, str]]:
    """(set name, prompt) for the VBench-2.0 physics sets and Physics-IQ's unique descriptions."""
    for name in VBENCH_SETS:
        path = root / "vbench2" / f"prompt_{name}.txt"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield f"vbench2/{name}", line.strip()
    path = root / "physics-iq" / "descriptions.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        seen: set[str] = set()
        for row in csv.DictReader(handle):
            text = row["description"].strip()
            if text and text not in seen:
                seen.add(text)
                yield "physics-iq", text


def classify(prompt: str) -> tuple[str, str]:
    """The prompt's bin and what was found (the scene, or the first laws' ids)."""
    scene = read_scene(prompt)
    if scene is not None:
        return "simulated", summary(scene)
    laws = laws_for(prompt)
    if laws:
        return "laws_only", ", ".join(law.id for law in laws[:3])
    return "unrecognised", ""


@dataclass
class SetCoverage:
    """Counts per bin for one prompt set, with the first few examples of each bin."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BINS, 0))
    examples: dict[str, list[str]] = field(default_factory=lambda: {b: [] for b in BINS})
    judged: int = 0
    adherent: int = 0
    not_adherent: list[str] = field(default_factory=list)

    def add(self, prompt: str, where: str, found: str, keep: int) -> None:
        self.counts[where] += 1
        if len(self.examples[where]) < keep:
            self.examples[where].append(f"{prompt[:90]} -> {found}" if found else prompt[:90])


def coverage(root: Path, examples: int = 3, videos: bool = True,
             workers: int = 2) -> dict[str, SetCoverage]:
    """Coverage for each prompt set and in total ("total"); with `videos`, adherence too."""
    report: dict[str, SetCoverage] = {}
    simulated: list[tuple[str, str]] = []
    for set_name, prompt in benchmark_prompts(root):
        where, found = classify(prompt)
        for key in (set_name, "total"):
            report.setdefault(key, SetCoverage()).add(prompt, where, found, examples)
        if where == "simulated":
            simulated.append((set_name, prompt))
    if videos and simulated:
        with ProcessPoolExecutor(max(1, workers)) as pool:
            outcomes = pool.map(adherent_video, [p for _, p in simulated])
            for (set_name, prompt), (ok, why) in zip(simulated, outcomes, strict=True):
                for key in (set_name, "total"):
                    entry = report[key]
                    entry.judged += 1
                    entry.adherent += int(ok)
                    if not ok and len(entry.not_adherent) < examples:
                        entry.not_adherent.append(f"{prompt[:70]} -> {why}")
    return report


def adherent_video(prompt: str) -> tuple[bool, str]:
    """The studio's first-round video of a prompt, judged against that prompt's scene:
    (no adherence check violated, the violated checks' evidence)."""
    from tools.judges.kinematics import KinematicsJudge
    from tools.schema import GenerationJob, RunRequest
    from tools.studio.keyframes import StudioKeyframes
    from tools.studio.planner import StudioPlanner
    from tools.studio.standin import StudioVideo

    request = RunRequest(prompt=prompt, width=320, height=180, duration_s=3.0)
    plan = StudioPlanner().plan(request)
    with tempfile.TemporaryDirectory() as tmp:
        keys = StudioKeyframes().render(plan, plan.keyframes, request, Path(tmp))
        job = GenerationJob(prompt=plan.generator_prompt, keyframes=keys, scene=plan.scene,
                            duration_s=3.0, width=320, height=180)
        video = StudioVideo().generate(job, Path(tmp) / "clip.mp4")
        verdict = KinematicsJudge().judge(Path(video.video), plan)
    wrong = [c for c in verdict.adherence_checks if c.status == "violated"]
    return not wrong, "; ".join(f"{c.id}: {c.evidence[:80]}" for c in wrong)


def main(
    root: Annotated[Path, typer.Option(help="Folder holding vbench2/ and physics-iq/.")] =
    DEFAULT_ROOT,
    examples: Annotated[int, typer.Option(help="Examples shown per bin.")] = 3,
    videos: Annotated[bool, typer.Option(help="Make and judge each simulated prompt's first "
                                         "video (adherence).")] = True,
    workers: Annotated[int, typer.Option(help="Worker processes for the videos.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Count the benchmark prompts the studio simulates, knows laws for, or does not recognise,
    and how many simulated prompts' videos show their prompt (adherence)."""
    if not root.is_dir():
        raise typer.BadParameter(f"no benchmark folder at {root}: pass --root")
    report = coverage(root, examples, videos, workers)
    if as_json:
        typer.echo(json.dumps({k: asdict(v) for k, v in report.items()}, indent=2))
        return
    for name, entry in sorted(report.items(), key=lambda item: item[0] == "total"):
        counts = "  ".join(f"{b}={entry.counts[b]}" for b in BINS)
        adherent = f"  adherent={entry.adherent}/{entry.judged}" if videos else ""
        typer.echo(f"{name:<22} prompts={sum(entry.counts.values()):<4} {counts}{adherent}")
    for where in BINS:
        typer.echo(f"\n{where}:")
        for line in report["total"].examples[where]:
            typer.echo(f"  - {line}")
    if videos and report["total"].not_adherent:
        typer.echo("\nnot adherent:")
        for line in report["total"].not_adherent:
            typer.echo(f"  - {line}")


