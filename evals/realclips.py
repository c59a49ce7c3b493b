"""The kinematics judge on labelled real clips: camera footage and public generators' output.

`../shared/benchmarks/realclips/labels.json` labels each clip `physical` (no rule should be
reported violated) or `violation` with the rules a correct judge reports. A clip passes when a
physical one gets no violated rule, and a violation one gets at least one of its rules. This is
a development set: the numbers say how the judge does on footage no renderer of this project
drew; they do not say how it does on clips it was not studied on.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

REALCLIPS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "realclips"


def judge_clip(path: Path, label: dict[str, Any]) -> dict[str, Any]:
    """One clip's verdict against its label (picklable, for workers)."""
    from tools.judges.kinematics import KinematicsJudge

    started = time.perf_counter()
    verdict = KinematicsJudge().judge(path)
    seconds = time.perf_counter() - started
    violated = sorted(verdict.violations)
    wanted = list(label.get("violated_rules", []))
    physical = label.get("label") == "physical"
    passed = not violated if physical else bool(set(violated) & set(wanted))
    return {
        "clip": path.name,
        "kind": label.get("kind", ""),
        "label": label.get("label", ""),
        "wanted": wanted,
        "violated": violated,
        "passed": passed,
        "coverage": verdict.coverage,
        "evidence": {r.id: r.evidence for r in verdict.rules if r.status == "violated"},
        "judge_s": round(seconds, 3),
        "ratio_to_duration": round(seconds / max(float(label.get("duration_s", 1.0)), 1e-6), 3),
    }


def run_realclips(root: Path = REALCLIPS) -> list[dict[str, Any]]:
    """Every labelled clip in `root`, judged; [] when the folder or its labels are missing."""
    labels_file = root / "labels.json"
    if not labels_file.is_file():
        return []
    labels = json.loads(labels_file.read_text())
    return [judge_clip(root / name, label) for name, label in labels.items()
            if (root / name).is_file()]


def format_realclips(rows: list[dict[str, Any]]) -> str:
    """The per-clip table, and how many passed."""
    if not rows:
        return "realclips: no labelled clips found"
    lines = [f"{'clip':<44}{'label':<10}{'wanted':<22}{'violated':<30}{'cov':>5}  ok"]
    for r in rows:
        lines.append(f"{r['clip'][:43]:<44}{r['label']:<10}{','.join(r['wanted']) or '-':<22}"
                     f"{','.join(r['violated']) or '-':<30}"
                     f"{(r['coverage'] or 0.0):>5.2f}  {'yes' if r['passed'] else 'NO'}")
    passed = sum(r["passed"] for r in rows)
    lines.append(f"realclips: {passed} of {len(rows)} clips judged as labelled")
    return "\n".join(lines)
