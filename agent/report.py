"""`report.html`: one self-contained page per run, for a person deciding whether to trust it.

The page shows the prompt and plan, the keyframes, a filmstrip of every candidate, the rule
verdicts with their evidence, score and cumulative cost per round, every decision with its reason,
and the final video. Everything is inlined (base64 images and video, inline CSS) so the file can
be mailed or attached to an issue and still open offline.

`result.json` keeps only a summary of each round, so the report saves the full record it is built
from (the plan and every verdict) as `rounds/record.json`; `kinema report RUN_DIR` rebuilds the
page from that record. Heavy imports (matplotlib, PIL, PyAV) happen inside the functions that
need them so `import agent` stays light.
"""

from __future__ import annotations

import base64
import html
import io
import os
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from agent.rundir import (
    FINAL_VIDEO,
    load_result,
    read_json,
    relative_paths,
    resolve_paths,
    write_json_atomic,
    write_text_atomic,
)
from agent.state import Iteration, Ledger, RunResult, ShotPlan, Verdict
from tools.errors import BadInputError, VideoReadError
from tools.redact import redact_text
from tools.studio.describe import summary

REPORT_FILE = "report.html"
RECORD_FILE = Path("rounds") / "record.json"
EMBED_VIDEO_MAX_BYTES = 20 * 1024 * 1024
FILMSTRIP_FRAMES = 8
THUMB_HEIGHT = 96
KEYFRAME_WIDTH = 440


class RunRecord(BaseModel):
    """What the report needs beyond `result.json`: the plan and the full rounds."""

    plan: ShotPlan | None = None
    iterations: list[Iteration] = Field(default_factory=list)


def write_report(run_dir: str | os.PathLike[str], result: RunResult,
                 plan: ShotPlan | None) -> Path:
    """Saves the run's record and writes `report.html` from it; returns the page's path."""
    folder = Path(run_dir)
    record = RunRecord(plan=plan, iterations=result.iterations)
    (folder / RECORD_FILE).parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / RECORD_FILE,
                      relative_paths(record.model_dump(mode="json"), folder))
    return _write_page(folder, result, record)


def rebuild_report(run_dir: str | os.PathLike[str],
                   embed_video_max_bytes: int = EMBED_VIDEO_MAX_BYTES) -> Path:
    """Rewrites `report.html` of an existing run directory from what is on disk.

    Args:
        run_dir: the run directory.
        embed_video_max_bytes: a larger final video is linked instead of embedded.

    Raises:
        BadInputError: the folder holds no `result.json`.
    """
    folder = Path(run_dir)
    result = load_result(folder)
    path = folder / RECORD_FILE
    record = RunRecord()
    try:
        if path.is_file():
            record = RunRecord.model_validate(
                resolve_paths(read_json(path, "a run directory"), folder))
    except ValidationError as exc:
        raise BadInputError(f"the run in {str(folder)!r} is corrupt "
                            f"({' '.join(str(exc).split())[:160]})") from None
    return _write_page(folder, result, record, embed_video_max_bytes)


def _write_page(folder: Path, result: RunResult, record: RunRecord,
                embed_video_max_bytes: int = EMBED_VIDEO_MAX_BYTES) -> Path:
    body = "\n".join([
        _header(result),
        _final_video(folder, embed_video_max_bytes),
        _plan_section(record.plan),
        _plot_section(record.iterations, result),
        _decisions_section(record.iterations, result),
        _rounds_section(record.iterations, result),
    ])
    template = Template(resources.files("agent").joinpath("report_template.html").read_text(
        encoding="utf-8"))
    page = template.substitute(run_id=_e(result.run_id), body=body,
                               run_dir_name=_e(str(folder)))
    target = folder / REPORT_FILE
    write_text_atomic(target, redact_text(page))
    return target


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _header(result: RunResult) -> str:
    led, best = result.ledger, result.best
    stats = {
        "status": result.status,
        "stop reason": result.stop_reason,
        "best score": f"{best.score:.2f} (round {best.round}, {best.candidate})" if best else "-",
        "target": f"{result.target:.2f}" if result.target is not None else "-",
        "rounds": str(len(result.rounds)),
        "spent": f"{led.generations} generations · {led.seconds:.1f} s · "
                 f"{led.gpu_seconds:.1f} GPU s · ${led.usd:.4f}",
        "backends": ", ".join(f"{k}={v}" for k, v in result.backends.items()),
    }
    cells = "".join(f"<div><b>{_e(k)}</b>{_e(v)}</div>" for k, v in stats.items())
    error = f'<p class="violated">error: {_e(result.error)}</p>' if result.error else ""
    return (f'<h1>Kinema run <code>{_e(result.run_id)}</code></h1>'
            f'<div class="card"><div class="prompt">“{_e(result.prompt)}”</div>'
            f'<div class="stats">{cells}</div>{error}</div>')


def _final_video(folder: Path, max_bytes: int) -> str:
    video = folder / FINAL_VIDEO
    if not video.is_file():
        return '<h2>Final video</h2><p class="muted">No video was produced.</p>'
    size = video.stat().st_size
    if size > max_bytes:
        return (f'<h2>Final video</h2><p>{size / 1e6:.1f} MB is too large to embed: '
                f'<a href="{FINAL_VIDEO}">{FINAL_VIDEO}</a></p>')
    data = base64.b64encode(video.read_bytes()).decode("ascii")
    return (f'<h2>Final video</h2><div class="card"><video controls loop muted '
            f'src="data:video/mp4;base64,{data}"></video></div>')


def _plan_section(plan: ShotPlan | None) -> str:
    if plan is None:
        return '<h2>Plan</h2><p class="muted">The plan was not recorded.</p>'
    facts = {
        "subjects": ", ".join(plan.subjects) or "-",
        "phenomena": ", ".join(plan.phenomena) or "-",
        "laws": "; ".join(plan.laws) or "-",
        "environment": f"{plan.environment} (g = {plan.gravity_m_s2:g} m/s²)",
        "studio scene": summary(plan.scene) if plan.scene else "none (a real generator is needed)",
        "left out of the scene": ", ".join(plan.scene.ignored) if plan.scene and
        plan.scene.ignored else "-",
        "generator prompt": plan.generator_prompt,
    }
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts.items())
    rules = "".join(
        f"<tr><td><code>{_e(r.id)}</code></td><td>{_e(r.text)}</td><td>{_e(r.law)}</td>"
        f"<td>{_e(r.check or '-')}</td></tr>" for r in plan.rules)
    moments = "".join(f"<tr><td>{k.t:.2f} s</td><td>{_e(k.event)}</td><td>{_e(k.description)}"
                      f"</td></tr>" for k in plan.keyframes)
    notes = "".join(f"<li>{_e(n)}</li>" for n in plan.notes)
    return (f'<h2>Plan</h2><div class="card"><table>{rows}</table>'
            f'<h3>Rules</h3><table><tr><th>id</th><th>rule</th><th>law</th><th>measured by</th>'
            f'</tr>{rules}</table><h3>Keyframe moments</h3><table><tr><th>time</th>'
            f'<th>event</th><th>description</th></tr>{moments}</table>'
            + (f"<h3>Notes</h3><ul>{notes}</ul>" if notes else "") + "</div>")


def round_costs(iterations: list[Iteration]) -> list[Ledger]:
    """What each round's keyframes, candidates, judgements and refinement cost."""
    costs: list[Ledger] = []
    seen: set[str] = set()
    for it in iterations:
        if it.cost != Ledger():  # the controller records each round's spend
            costs.append(it.cost)
            continue
        new = [k for k in it.keyframes if k.image not in seen]  # later rounds reuse keyframes
        seen.update(k.image for k in new)
        spent = sum((k.cost for k in new), Ledger())
        spent = sum((c.cost for c in it.candidates), spent)
        spent = sum((v.cost for v in it.verdicts), spent)
        costs.append(spent + it.refinement.cost if it.refinement else spent)
    return costs


def _plot_section(iterations: list[Iteration], result: RunResult) -> str:
    if not iterations:
        return ""
    png = score_cost_plot(iterations, result.target)
    return (f'<h2>Score and cost per round</h2><div class="card"><img class="plot" '
            f'alt="score and cumulative cost per round" src="data:image/png;base64,{png}"></div>')


def score_cost_plot(iterations: list[Iteration], target: float | None) -> str:
    """A PNG (base64) of the best score per round, the best so far, and the cumulative cost.

    Uses matplotlib's object API (no pyplot) so concurrent runs in threads can each draw.
    """
    from matplotlib.figure import Figure

    rounds = [it.index for it in iterations]
    best = [max((v.score for v in it.verdicts), default=0.0) for it in iterations]
    so_far = [max(best[: i + 1]) for i in range(len(best))]
    costs = round_costs(iterations)
    use_usd = any(c.usd > 0 for c in costs)
    per_round = [c.usd if use_usd else float(c.generations) for c in costs]
    cumulative = [sum(per_round[: i + 1]) for i in range(len(per_round))]
    fig = Figure(figsize=(8, 3.2), dpi=110)
    ax = fig.add_subplot()
    ax.plot(rounds, best, "o-", color="#2f6fde", label="best score in round")
    ax.plot(rounds, so_far, "--", color="#1f7a3a", label="best so far")
    if target is not None:
        ax.axhline(target, color="#b3261e", lw=0.8, ls=":", label=f"target {target:.2f}")
    ax.set(xlabel="round", ylabel="score", ylim=(0, 1.05), xticks=rounds)
    cost_ax = ax.twinx()
    cost_ax.bar(rounds, cumulative, width=0.35, alpha=0.25, color="#8a6100",
                label="cumulative cost")
    cost_ax.set_ylabel("cumulative USD" if use_usd else "cumulative generations")
    ax.set_zorder(cost_ax.get_zorder() + 1)
    ax.patch.set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + cost_ax.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _decisions_section(iterations: list[Iteration], result: RunResult) -> str:
    items = []
    for it in iterations:
        if it.decision is None:
            continue
        d = it.decision
        numbers = " · ".join(f"{k}={_short(v)}" for k, v in d.numbers.items()
                             if v is not None)
        notes = "; ".join(it.refinement.notes) if it.refinement and it.refinement.notes else ""
        items.append(
            f'<li>after round {it.index}: <span class="{_e(d.action)}">{_e(d.action)}</span> '
            f'<code>{_e(d.reason)}</code> — {_e(d.detail)}'
            + (f'<div class="numbers">{_e(numbers)}</div>' if numbers else "")
            + (f'<div class="muted">refined: {_e(notes)}</div>' if notes else "") + "</li>")
    if not items:
        items.append(f"<li>{_e(result.stop_reason)}</li>")
    return f'<h2>Decisions</h2><div class="card"><ol class="decisions">{"".join(items)}</ol></div>'


def _short(value: Any) -> str:
    """Numbers to three significant digits; dicts without their empty entries."""
    if isinstance(value, dict):
        kept = {k: v for k, v in value.items() if v not in (None, 0, 0.0, [], {})}
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in kept.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _rounds_section(iterations: list[Iteration], result: RunResult) -> str:
    best_id = result.best.candidate if result.best else None
    parts = ["<h2>Rounds</h2>"]
    for it in iterations:
        parts.append(f'<div class="card"><h3>Round {it.index}</h3>'
                     f'<p class="muted">prompt: {_e(it.prompt)}</p>')
        parts.append(_keyframes_html(it))
        for cand, verdict in zip(it.candidates, _pad(it.verdicts, len(it.candidates)),
                                 strict=True):
            parts.append(_candidate_html(cand.id, cand.video, cand.error, verdict,
                                         cand.id == best_id))
        parts.append("</div>")
    if not iterations:
        parts.append('<p class="muted">No rounds were recorded.</p>')
    return "".join(parts)


def _pad(items: list[Verdict], n: int) -> list[Verdict | None]:
    return [*items[:n], *([None] * max(0, n - len(items)))]


def _keyframes_html(it: Iteration) -> str:
    if not it.keyframes:
        return '<p class="muted">no keyframes</p>'
    figures = []
    for k in it.keyframes:
        src = image_data_url(Path(k.image), KEYFRAME_WIDTH)
        img = f'<img alt="keyframe at {k.t:.2f} s" src="{src}">' if src else (
            '<div class="muted">(image unreadable)</div>')
        caption = f"{k.t:.2f} s" + (f" · {k.description}" if k.description else "")
        figures.append(f"<figure>{img}<figcaption>{_e(caption)}</figcaption></figure>")
    return f'<h3>Keyframes</h3><div class="keyframes">{"".join(figures)}</div>'


def _candidate_html(cid: str, video: str, error: str | None, verdict: Verdict | None,
                    is_best: bool) -> str:
    title = f"Candidate <code>{_e(cid)}</code>" + (" — best of the run" if is_best else "")
    score = (f" · score {verdict.score:.2f} · physics {verdict.physics:.2f}"
             + (f" · adherence {verdict.adherence:.2f}" if verdict.adherence is not None else "")
             if verdict else "")
    head = f'<div class="candidate{" best" if is_best else ""}"><b>{title}</b>{_e(score)}'
    if error:
        return head + f'<p class="violated">generation failed: {_e(error)}</p></div>'
    strip = filmstrip_data_url(Path(video))
    body = (f'<img class="filmstrip" alt="filmstrip of {_e(cid)}" src="{strip}">' if strip
            else '<p class="muted">(video unreadable)</p>')
    return head + body + (_rules_table(verdict) if verdict else "") + (
        _evidence_html(Path(video), verdict) if verdict else "") + "</div>"


def _evidence_html(video: Path, verdict: Verdict) -> str:
    """Each violated rule's stretches, drawn on the video (see `agent.evidence`)."""
    from agent.evidence import evidence_pictures

    blocks = []
    for rule in verdict.rules:
        if rule.status != "violated":
            continue
        pictures = evidence_pictures(video, verdict, rule)
        if pictures:
            images = "".join(f'<img class="evidence" alt="{_e(rule.id)} evidence" src="{p}">'
                             for p in pictures)
            blocks.append(f'<div><b>{_e(rule.id)}</b>: what the judge saw (tracked path in '
                          f'red over each flagged stretch)<br>{images}</div>')
    return "".join(blocks)


def _rules_table(verdict: Verdict) -> str:
    if not verdict.rules and not verdict.adherence_checks:
        return '<p class="muted">the judge checked no rules</p>'
    rows = "".join(
        f'<tr><td><code>{_e(r.id)}</code></td><td class="{_e(r.status)}">{_e(r.status)}</td>'
        f"<td>{r.confidence:.2f}</td>"
        f"<td>{f'{r.span[0]:.2f}–{r.span[1]:.2f} s' if r.span else '-'}</td>"
        f"<td>{_e(r.evidence or r.text)}</td></tr>"
        for r in [*verdict.rules, *verdict.adherence_checks])
    return ("<table><tr><th>rule</th><th>verdict</th><th>confidence</th><th>when</th>"
            f"<th>evidence</th></tr>{rows}</table>")


def image_data_url(path: Path, width: int) -> str | None:
    """A PNG/JPEG on disk as a downscaled JPEG data URL; None when it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            rgb = img.convert("RGB")
    except (OSError, UnidentifiedImageError):
        return None
    if rgb.width > width:
        rgb = rgb.resize((width, max(1, round(rgb.height * width / rgb.width))))
    return _jpeg_data_url(rgb)


def filmstrip_data_url(video: Path, frames: int = FILMSTRIP_FRAMES) -> str | None:
    """About `frames` evenly sampled frames of a video side by side, as a JPEG data URL."""
    from PIL import Image

    from tools.media import read_video

    try:
        clip, _ = read_video(video, max_frames=frames)
    except (VideoReadError, BadInputError):
        return None
    h, w = clip.shape[1:3]
    thumb_w = max(1, round(w * THUMB_HEIGHT / h))
    gap = 4
    strip = Image.new("RGB", (len(clip) * (thumb_w + gap) - gap, THUMB_HEIGHT), "white")
    for i, frame in enumerate(clip):
        thumb = Image.fromarray(frame).resize((thumb_w, THUMB_HEIGHT))
        strip.paste(thumb, (i * (thumb_w + gap), 0))
    return _jpeg_data_url(strip)


def _jpeg_data_url(image: Any) -> str:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=82)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
