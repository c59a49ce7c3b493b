"""A batch's summary: `summary.json`, `summary.csv` and `summary.html`, rebuilt from disk.

Everything is read back from the batch folder (each item's `item.json` and its run's
`result.json` and `trace.jsonl`), so the summary is the same whichever session, worker or machine
ran an item, and rewriting it never changes a run. Per item it gives the best score with its
physics and adherence (adherence is empty where the judge did not measure it), the stop reason,
what was spent, and `video_calls`: the video-generator calls the run's trace records (the lost
attempts of a killed run included), which equal the ledger's `generations` when nothing was paid
twice.

The page is one self-contained file (inline CSS and SVG): the distribution of scores, of cost
and of stop reasons, the failures grouped by cause, and a table per category linking every run's
report.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import statistics
import time
from collections import Counter
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from agent.batch_item import item_folder, read_record
from agent.rundir import RESULT_FILE, write_json_atomic
from agent.tracing import attributes_of, read_spans
from tools.prompt_sets import PromptItem

SUMMARY_JSON = "summary.json"
SUMMARY_CSV = "summary.csv"
SUMMARY_HTML = "summary.html"
CSV_COLUMNS = ("id", "prompt", "category", "status", "score", "physics", "adherence",
               "stop_reason", "generations", "usd", "gpu_seconds", "seconds", "attempts",
               "video_calls", "run_dir", "error")


def item_row(out: Path, item: PromptItem) -> dict[str, Any]:
    """One item as the summary reports it; `status` is completed, failed, interrupted or pending."""
    record = read_record(item_folder(out, item.id))
    status = ("pending" if record is None else
              "interrupted" if record.status == "running" else record.status)
    run_dir = out / record.run_dir if record and record.run_dir else None
    result = _read_json(run_dir / RESULT_FILE) if run_dir else {}
    best = result.get("best") or {}
    chosen = _best_candidate(result, best)
    ledger = result.get("ledger") or {}
    report = run_dir / "report.html" if run_dir else None
    return {
        "id": item.id, "prompt": item.prompt, "category": item.category, "status": status,
        "score": best.get("score"), "physics": chosen.get("physics"),
        "adherence": chosen.get("adherence"),
        "stop_reason": result.get("stop_reason") or ("failed" if status == "failed" else None),
        "generations": ledger.get("generations", 0), "usd": ledger.get("usd", 0.0),
        "gpu_seconds": ledger.get("gpu_seconds", 0.0), "seconds": ledger.get("seconds", 0.0),
        "attempts": record.attempts if record else 0,
        "video_calls": _video_calls(run_dir) if run_dir else 0,
        "run_dir": record.run_dir if record else None,
        "report": os.path.relpath(report, out) if report and report.is_file() else None,
        "error": record.error if record else None,
        "meta": item.meta,
    }


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _best_candidate(result: dict[str, Any], best: dict[str, Any]) -> dict[str, Any]:
    """The best candidate's entry in `result.json`'s rounds (physics, adherence, ...)."""
    for rnd in result.get("rounds", []):
        if rnd.get("index") == best.get("round"):
            for cand in rnd.get("candidates", []):
                if cand.get("id") == best.get("candidate"):
                    return dict(cand)
    return {}


def _video_calls(run_dir: Path) -> int:
    """Video-generator calls the trace records: each call's span, plus the attempts a kill cut
    short that the next call recorded as lost (their own spans died with the process)."""
    calls = 0
    for span in read_spans(run_dir):
        calls += span.get("name") == "backend.video"
        calls += sum(int(attributes_of(e).get("count", 0)) for e in span.get("events", [])
                     if e.get("name") == "kinema.lost_attempts")
    return calls


def summarise(out: Path, items: list[PromptItem], manifest: dict[str, Any],
              stopped: str | None, session: dict[str, Any] | None = None) -> dict[str, Any]:
    """`summary.json`'s content: the batch's totals, one row per item, and totals per category."""
    rows = [item_row(out, item) for item in items]
    statuses = Counter(row["status"] for row in rows)
    scores = [row["score"] for row in rows if row["status"] == "completed" and row["score"]
              is not None]
    context = manifest.get("run", {}).get("context", {})
    batch = {
        "source": manifest.get("source"), "out_dir": str(out), "items": len(rows),
        **{status: statuses.get(status, 0)
           for status in ("completed", "failed", "interrupted", "pending")},
        "finished": statuses.get("pending", 0) + statuses.get("interrupted", 0) == 0,
        "stopped": stopped,
        "mean_score": round(statistics.fmean(scores), 4) if scores else None,
        **_totals(rows),
        "backends": {role: context.get(role) for role in
                     ("planner", "keyframes", "video", "judge", "refiner")},
        "request": manifest.get("run", {}).get("request", {}),
        "per_run_budget": context.get("budget"),
        "last_session": session,
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return {"batch": batch, "items": rows, "categories": _categories(rows)}


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "usd": round(sum(r["usd"] for r in rows), 6),
        "gpu_seconds": round(sum(r["gpu_seconds"] for r in rows), 3),
        "generations": sum(r["generations"] for r in rows),
        "video_calls": sum(r["video_calls"] for r in rows),
        "seconds": round(sum(r["seconds"] for r in rows), 3),
    }


def _categories(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["category"] or "all items" for r in rows):
        group = [r for r in rows if (r["category"] or "all items") == name]
        scores = [r["score"] for r in group if r["status"] == "completed" and r["score"]
                  is not None]
        out[name] = {"items": len(group),
                     "completed": sum(r["status"] == "completed" for r in group),
                     "failed": sum(r["status"] == "failed" for r in group),
                     "mean_score": round(statistics.fmean(scores), 4) if scores else None,
                     **_totals(group)}
    return out


def write_summaries(out: Path, items: list[PromptItem], manifest: dict[str, Any],
                    stopped: str | None = None,
                    session: dict[str, Any] | None = None) -> dict[str, Any]:
    """Writes the three summary files (each atomically) and returns `summary.json`'s content."""
    summary = summarise(out, items, manifest, stopped, session)
    write_json_atomic(out / SUMMARY_JSON, summary)
    _write_text(out / SUMMARY_CSV, _csv(summary["items"]))
    _write_text(out / SUMMARY_HTML, render_html(summary))
    return summary


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in CSV_COLUMNS})
    return buffer.getvalue()


# -- the page --------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def failure_cause(error: str | None) -> str:
    """An error without its particulars (quoted prompts, advice after ';'), to group failures."""
    text = re.sub(r"'[^']*'", "'…'", error or "failed")
    return text.split(";")[0].strip()[:160]


def render_html(summary: dict[str, Any]) -> str:
    batch, rows = summary["batch"], summary["items"]
    template = Template(resources.files("agent").joinpath("batch_template.html").read_text(
        encoding="utf-8"))
    body = "\n".join([_header(batch), _charts(rows), _failures(rows),
                      _category_tables(summary["categories"], rows)])
    return template.substitute(title=_e(Path(batch.get("source") or "batch").name), body=body)


def _header(batch: dict[str, Any]) -> str:
    state = ("finished" if batch["finished"] else
             f"not finished ({batch['stopped']})" if batch["stopped"] else
             "not finished: run the same command again to continue")
    stats = [("items", batch["items"]), ("completed", batch["completed"]),
             ("failed", batch["failed"]), ("pending", batch["pending"] + batch["interrupted"]),
             ("mean score", _num(batch["mean_score"])), ("USD", f"{batch['usd']:.4f}"),
             ("GPU seconds", f"{batch['gpu_seconds']:.1f}"),
             ("generations", batch["generations"]), ("video calls traced", batch["video_calls"]),
             ("run seconds", f"{batch['seconds']:.1f}")]
    backends = ", ".join(f"{role} <code>{_e(spec)}</code>"
                         for role, spec in batch["backends"].items() if spec)
    request = ", ".join(f"{_e(k)} {_e(v)}" for k, v in batch["request"].items())
    cells = "".join(f"<div><b>{_e(k)}</b>{_e(v)}</div>" for k, v in stats)
    session = batch.get("last_session") or {}
    pace = (f"<p class=\"muted\">last session: {_e(session.get('executor'))}, "
            f"{_e(session.get('workers'))} workers, {_e(session.get('items_settled'))} items "
            f"settled in {_e(session.get('seconds'))} s ({_e(session.get('items_per_minute'))} "
            "items/min)</p>" if session.get("executor") else "")
    return (f"<h1>Batch: {_e(Path(batch.get('source') or '').name)}</h1>"
            f"<p class=\"muted\">{_e(batch.get('source') or '')} · {_e(state)} · updated "
            f"{_e(batch['updated'])}</p>"
            f"<div class=\"card\"><div class=\"stats\">{cells}</div>"
            f"<p class=\"muted\">{backends}{'; ' + request if request else ''}</p>{pace}</div>")


def _charts(rows: list[dict[str, Any]]) -> str:
    done = [r for r in rows if r["status"] == "completed"]
    scores = [r["score"] for r in done if r["score"] is not None]
    score_chart = (histogram(scores, 0.0, 1.0, 10, "best score") if scores
                   else "<p class=\"muted\">No completed item yet.</p>")
    usd = [r["usd"] for r in rows if r["run_dir"]]
    if any(usd):
        cost_chart = histogram(usd, 0.0, max(usd), 8, "USD per run")
    else:
        gens = Counter(r["generations"] for r in rows if r["run_dir"])
        cost_chart = ("<p class=\"muted\">No USD spent (offline or self-hosted backends); "
                      "generations per run:</p>"
                      + bars([(f"{n} generations", count) for n, count in sorted(gens.items())]))
    reasons = Counter(r["stop_reason"] if r["status"] == "completed" else r["status"]
                      for r in rows)
    return ("<h2>Distributions</h2><div class=\"charts\">"
            f"<div class=\"card\"><h3>Scores of completed items</h3>{score_chart}</div>"
            f"<div class=\"card\"><h3>Cost</h3>{cost_chart}</div>"
            f"<div class=\"card\"><h3>Stop reasons</h3>{bars(reasons.most_common())}</div>"
            "</div>")


def histogram(values: list[float], low: float, high: float, bins: int, label: str) -> str:
    """An inline SVG histogram of `values` over [low, high]."""
    width, height, pad = 360, 150, 24
    span = (high - low) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - low) / span * bins)))] += 1
    top = max(counts) or 1
    bar_w = (width - 2 * pad) / bins
    parts = []
    for k, count in enumerate(counts):
        h = (height - 2 * pad) * count / top
        x, y = pad + k * bar_w, height - pad - h
        parts.append(f"<rect x=\"{x:.1f}\" y=\"{y:.1f}\" width=\"{bar_w - 2:.1f}\" "
                     f"height=\"{h:.1f}\" class=\"bar\"><title>{low + k * span / bins:.2f}–"
                     f"{low + (k + 1) * span / bins:.2f}: {count}</title></rect>")
        if count:
            parts.append(f"<text x=\"{x + bar_w / 2 - 1:.1f}\" y=\"{y - 3:.1f}\" "
                         f"class=\"count\">{count}</text>")
    axis = (f"<text x=\"{pad}\" y=\"{height - 6}\" class=\"axis\">{low:g}</text>"
            f"<text x=\"{width - pad}\" y=\"{height - 6}\" class=\"axis end\">{high:.3g}</text>"
            f"<text x=\"{width / 2}\" y=\"{height - 6}\" class=\"axis mid\">{_e(label)}</text>")
    return (f"<svg viewBox=\"0 0 {width} {height}\" class=\"chart\" role=\"img\" "
            f"aria-label=\"{_e(label)}\">{''.join(parts)}{axis}</svg>")


def bars(counts: list[tuple[str, int]]) -> str:
    """Horizontal bars, one per (label, count)."""
    if not counts:
        return "<p class=\"muted\">Nothing yet.</p>"
    top = max(c for _, c in counts) or 1
    rows = "".join(
        f"<div class=\"hbar\"><span class=\"label\">{_e(label)}</span>"
        f"<span class=\"fill\" style=\"width:{max(2, 100 * count / top):.0f}%\"></span>"
        f"<span class=\"value\">{count}</span></div>" for label, count in counts)
    return f"<div class=\"hbars\">{rows}</div>"


def _failures(rows: list[dict[str, Any]]) -> str:
    failed = [r for r in rows if r["status"] == "failed"]
    if not failed:
        return ""
    causes = Counter(failure_cause(r["error"]) for r in failed)
    items = "".join(
        f"<li><b>{count}</b> × {_e(cause)}<div class=\"muted small\">"
        + _e(_listed([r["id"] for r in failed if failure_cause(r["error"]) == cause]))
        + "</div></li>" for cause, count in causes.most_common())
    return f"<h2>Failures by cause</h2><div class=\"card\"><ul class=\"causes\">{items}</ul></div>"


def _listed(ids: list[str], shown: int = 10) -> str:
    more = f", and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


def _category_tables(categories: dict[str, dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    head = ("<tr><th>item</th><th>prompt</th><th>status</th><th>score</th><th>physics</th>"
            "<th>adherence</th><th>stop reason</th><th>gens</th><th>USD</th><th>seconds</th>"
            "<th>report</th></tr>")
    sections = ["<h2>Items by category</h2>"]
    for name, totals in categories.items():
        group = [r for r in rows if (r["category"] or "all items") == name]
        body = "".join(_item_row(r) for r in group)
        sections.append(
            f"<div class=\"card\"><h3>{_e(name)}</h3><p class=\"muted\">{totals['items']} items,"
            f" {totals['completed']} completed, {totals['failed']} failed, mean score "
            f"{_num(totals['mean_score'])}, ${totals['usd']:.4f}, {totals['generations']} "
            f"generations</p><table>{head}{body}</table></div>")
    return "\n".join(sections)


def _item_row(r: dict[str, Any]) -> str:
    link = (f"<a href=\"{_e(r['report'])}\">report</a>" if r["report"] else "–")
    reason = r["stop_reason"] or "–"
    if r["status"] == "failed":
        reason = f"<span title=\"{_e(r['error'] or '')}\">{_e(failure_cause(r['error']))}</span>"
    else:
        reason = _e(reason)
    return (f"<tr><td><code>{_e(r['id'])}</code></td><td class=\"prompt\">{_e(r['prompt'])}</td>"
            f"<td class=\"{_e(r['status'])}\">{_e(r['status'])}</td><td>{_num(r['score'])}</td>"
            f"<td>{_num(r['physics'])}</td><td>{_num(r['adherence'])}</td><td>{reason}</td>"
            f"<td>{r['generations']}</td><td>{r['usd']:.4f}</td><td>{r['seconds']:.1f}</td>"
            f"<td>{link}</td></tr>")
