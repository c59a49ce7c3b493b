"""`python -m evals judge-calibration`: how well the kinematics judge tells violations apart.

Renders clips with known injected violations and clean ones under nuisances (see
`evals.calibration_clips`), judges each, and reports per violation type:
- AUROC of the judge's evidence for that type against the clean clips; the evidence is the
  highest confidence among the type's rules (`TYPE_RULES`) that are violated, 0 when none is;
- accuracy over that type's clips and the clean clips, calling a clip violated when any of
  the type's rules is;
and the false-positive rate: the share of clean clips with any rule violated.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from multiprocessing import get_context
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from evals.calibration_clips import FPS, VIOLATIONS, ClipSpec, nuisance_specs, render_clip
from evals.realclips import REALCLIPS, format_realclips, run_realclips

TYPE_RULES: dict[str, tuple[str, ...]] = {
    "time_reversal": ("time_direction", "energy"),
    "gravity_zero": ("gravity",),
    "gravity_upward": ("gravity",),
    "gravity_low": ("gravity",),
    "teleport": ("continuity",),
    "vanishing": ("permanence",),
    "shrinking": ("rigidity",),
    "energy_gain": ("energy",),
    "frozen_frames": ("motion_present", "continuity"),
    "shuffled_frames": ("continuity",),
    "glide": ("gravity",),
    "hover": ("gravity", "motion_present"),  # a body that stops dead in mid-air freezes too
    "eased_rise": ("gravity",),
    "midair_bounce": ("gravity",),
    "morphing": ("rigidity",),
    "duplication": ("permanence",),
    "appearing": ("permanence",),
}


def judge_spec(spec: ClipSpec) -> dict[str, Any]:
    """Renders and judges one clip; returns the rule outcomes (picklable, for workers)."""
    from tools.judges.kinematics import judge_frames
    from tools.schema import ShotPlan

    frames, px_per_m = render_clip(spec)
    # No scene: the clips are drawn from their own analytic paths, which the studio's
    # simulation of a drop would not reproduce (the `trajectory` rule is checked elsewhere).
    plan = ShotPlan(prompt="a ball bounces", generator_prompt="a ball bounces",
                    phenomena=["free fall", "bounce"], px_per_m=px_per_m)
    verdict = judge_frames(frames, FPS, plan)
    return {
        "violation": spec.violation,
        "spec": {k: v for k, v in vars(spec).items() if k != "violation"},
        "physics": verdict.physics,
        "rules": {r.id: (r.status, r.confidence, r.evidence) for r in verdict.rules},
    }


def evidence(result: dict[str, Any], rules: Sequence[str]) -> float:
    """The judge's evidence for a violation type: the top confidence among its violated rules."""
    found = [result["rules"][r][1] for r in rules
             if r in result["rules"] and result["rules"][r][0] == "violated"]
    return max(found, default=0.0)


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    if not positives or not negatives:
        return float("nan")
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-type AUROC and accuracy, and the clean false-positive rate."""
    clean = [r for r in results if r["violation"] is None]
    flagged_clean = [any(s == "violated" for s, _, _ in r["rules"].values()) for r in clean]
    types: dict[str, dict[str, float]] = {}
    for name, rules in TYPE_RULES.items():
        pos = [evidence(r, rules) for r in results if r["violation"] == name]
        if not pos:
            continue
        neg = [evidence(r, rules) for r in clean]
        correct = sum(p > 0 for p in pos) + sum(n == 0 for n in neg)
        types[name] = {"auroc": round(auroc(pos, neg), 4),
                       "accuracy": round(correct / (len(pos) + len(neg)), 4),
                       "clips": len(pos)}
    rate = sum(flagged_clean) / len(clean) if clean else float("nan")
    return {"types": types, "clean_false_positive_rate": round(rate, 4), "clean_clips": len(clean)}


def run_suite(per_type: int, clean: int, seed: int = 0, workers: int = 2,
              only: Sequence[str] | None = None, executor: str = "local",
              ray_address: str | None = None) -> list[dict[str, Any]]:
    """Judges `per_type` clips of each violation type and `clean` clean clips."""
    specs = nuisance_specs(None, clean, seed)
    for k, name in enumerate(VIOLATIONS):
        if only and name not in only:
            continue
        specs += nuisance_specs(name, per_type, seed + 1 + k)
    if executor == "ray":
        from agent.executors import run_all

        return run_all(judge_spec, specs, kind="ray", workers=workers, ray_address=ray_address)
    if workers <= 1:
        return [judge_spec(s) for s in specs]
    with get_context("spawn").Pool(workers) as pool:
        return pool.map(judge_spec, specs, chunksize=2)


def format_table(summary: dict[str, Any]) -> str:
    lines = [f"{'violation':<18}{'clips':>6}{'AUROC':>8}{'accuracy':>10}"]
    for name, row in summary["types"].items():
        lines.append(f"{name:<18}{row['clips']:>6}{row['auroc']:>8.3f}{row['accuracy']:>10.3f}")
    lines.append(f"clean false-positive rate: {summary['clean_false_positive_rate']:.3f} "
                 f"over {summary['clean_clips']} clean clips")
    return "\n".join(lines)


def main(
    per_type: Annotated[int, typer.Option(help="Violated clips per type.")] = 16,
    clean: Annotated[int, typer.Option(help="Clean clips.")] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the clip specs.")] = 0,
    seeds: Annotated[int, typer.Option(
        help="Pool this many suites, seeds SEED, SEED+1, ...: a held-out check of thresholds "
             "chosen while looking at one seed.")] = 1,
    workers: Annotated[int, typer.Option(help="Worker processes (Ray: tasks at once).")] = 2,
    executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster to join.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    show_misses: Annotated[bool, typer.Option(help="List misjudged clips.")] = False,
    realclips: Annotated[Path, typer.Option(
        help="Folder of labelled real clips (labels.json) for the second table; skipped when "
             "it is missing.")] = REALCLIPS,
    only: Annotated[str | None, typer.Option(
        help="Comma-separated violation types to run (default: all).")] = None,
) -> None:
    """Calibrate the kinematics judge on clips with known, injected violations, then report
    each labelled real clip against its label."""
    if seeds < 1:
        raise typer.BadParameter("--seeds must be at least 1")
    if executor not in ("local", "ray"):
        raise typer.BadParameter("--executor must be local or ray")
    chosen = [name.strip() for name in only.split(",")] if only else None
    unknown = sorted(set(chosen or []) - set(TYPE_RULES))
    if unknown:
        raise typer.BadParameter(f"unknown violation types {unknown}: choose from "
                                 f"{', '.join(TYPE_RULES)}")
    results = [r for k in range(seeds)
               for r in run_suite(per_type, clean, seed + k, workers, chosen, executor,
                                  ray_address)]
    summary = summarise(results)
    clips = run_realclips(realclips)
    if as_json:  # one JSON object, the misses inside it
        typer.echo(json.dumps({"types": {k: {"auroc": v["auroc"], "accuracy": v["accuracy"],
                                             "clips": v["clips"]}
                                         for k, v in summary["types"].items()},
                               "clean_false_positive_rate": summary["clean_false_positive_rate"],
                               "clean_clips": summary["clean_clips"],
                               "realclips": clips,
                               **({"misses": misses(results)} if show_misses else {})}))
        return
    typer.echo(format_table(summary))
    typer.echo("")
    typer.echo(format_realclips(clips))
    if show_misses:
        for line in misses(results):
            typer.echo(line)


def misses(results: list[dict[str, Any]]) -> list[str]:
    """One line per misjudged clip: clean ones flagged, violated ones missed."""
    lines = []
    for r in results:
        name = r["violation"]
        if name is None:
            bad = [(k, v[2]) for k, v in r["rules"].items() if v[0] == "violated"]
            if bad:
                lines.append(f"clean {r['spec']}: {bad}")
        elif evidence(r, TYPE_RULES[name]) == 0:
            lines.append(f"{name} {r['spec']}: " + "; ".join(
                f"{k}={v[0]}" for k, v in r["rules"].items()))
    return lines
