"""`kinema trace RUN_DIR`: a run's `trace.jsonl` as a decision tree in the terminal.

run → rounds → nodes, each node with its backend calls and the events it recorded (the plan,
every judgement with its score and violations, every decision with its reason and numbers, every
refinement). Built only from the OTLP-JSON spans, so it works for any finished or crashed run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.tree import Tree

from agent.tracing import ROOT_SPAN, attributes_of, read_spans
from tools.errors import BadInputError

Span = dict[str, Any]


def trace_tree(run_dir: str | Path) -> Tree:
    """The tree of a run directory's trace.

    Raises:
        BadInputError: the folder has no (or an empty) `trace.jsonl`.
    """
    spans = sorted(read_spans(Path(run_dir)), key=lambda s: int(s["startTimeUnixNano"]))
    if not spans:
        raise BadInputError(f"no spans in {str(Path(run_dir) / 'trace.jsonl')!r}: "
                            "pass a run directory")
    children: dict[str | None, list[Span]] = defaultdict(list)
    for span in spans:
        children[span.get("parentSpanId")].append(span)
    roots = [s for s in spans if _is_root(s)]
    # A resumed run has one root per session; the last one says how the run ended.
    root_span = max(roots, key=lambda s: int(s["endTimeUnixNano"]), default=None)
    tree = Tree(_run_label(root_span, spans))
    nodes = [s for s in spans if s["name"].startswith("node.")]
    rounds: dict[int, Tree] = {}
    for span in nodes:
        number = int(attributes_of(span).get("kinema.round", 1) or 1)
        if number not in rounds:
            rounds[number] = tree.add(f"[bold]round {number}[/]")
        _add_node(rounds[number], span, children)
    return tree


def _is_root(span: Span) -> bool:
    """A run's root span (named `invoke_agent kinema`; `kinema.run` before 0.2)."""
    return span["name"] in (ROOT_SPAN, "kinema.run") and "kinema.run_id" in attributes_of(span)


def _seconds(span: Span) -> float:
    return (int(span["endTimeUnixNano"]) - int(span["startTimeUnixNano"])) / 1e9


def _run_label(root: Span | None, spans: list[Span]) -> str:
    if root is None:
        return "[bold]run[/] (unfinished: no run span yet)"
    attrs = attributes_of(root)
    status = attrs.get("kinema.status", "?")
    colour = "green" if status == "completed" else "red"
    # The run's duration as its ledger counts it (what the CLI and the report show).
    seconds = attrs.get("kinema.seconds")
    seconds = float(seconds) if seconds is not None else _seconds(root)
    return (f"[bold]run {escape(str(attrs.get('kinema.run_id', '')))}[/] "
            f"[{colour}]{escape(str(status))}[/] · {seconds:.1f} s · {len(spans)} spans")


def _add_node(parent: Tree, span: Span, children: dict[str | None, list[Span]]) -> None:
    name = span["name"].removeprefix("node.")
    failed = span.get("status", {}).get("code") == 2
    branch = parent.add(f"[cyan]{escape(name)}[/] {_seconds(span):.2f} s"
                        + (" [red]failed[/]" if failed else ""))
    for child in children.get(span["spanId"], []):
        _add_call(branch, child, children)
    for event in span.get("events", []):
        _add_event(branch, event["name"], attributes_of(event))


def _add_call(parent: Tree, span: Span, children: dict[str | None, list[Span]]) -> None:
    """A backend call or a model call inside it, with its events (retries, re-asks, ...)."""
    leaf = parent.add(_backend_label(span) if span["name"].startswith("backend.")
                      else _model_label(span))
    for child in children.get(span["spanId"], []):
        _add_call(leaf, child, children)
    for event in span.get("events", []):
        leaf.add(_backend_event(event["name"], attributes_of(event)))


def _model_label(span: Span) -> str:
    """A GenAI model-call span: `chat gpt-4o · openai · 1.20 s · 812→95 tokens`."""
    attrs = attributes_of(span)
    parts = [f"[dim]{escape(span['name'])}[/]"]
    if attrs.get("gen_ai.provider.name"):
        parts.append(escape(str(attrs["gen_ai.provider.name"])))
    parts.append(f"{_seconds(span):.2f} s")
    if "gen_ai.usage.input_tokens" in attrs:
        parts.append(f"{attrs['gen_ai.usage.input_tokens']}→"
                     f"{attrs.get('gen_ai.usage.output_tokens', 0)} tokens")
    error = span.get("status", {}).get("message")
    label = " · ".join(parts)
    return label + (f" [red]{escape(str(error))}[/]" if error else "")


def _backend_label(span: Span) -> str:
    attrs = attributes_of(span)
    parts = [f"[dim]{escape(span['name'])}[/] {escape(str(attrs.get('kinema.backend', '')))}"]
    if "kinema.candidate" in attrs:
        parts.append(str(attrs["kinema.candidate"]))
    parts.append(f"{_seconds(span):.2f} s")
    if attrs.get("kinema.cost.usd"):
        parts.append(f"${float(attrs['kinema.cost.usd']):.4f}")
    if attrs.get("kinema.cost.gpu_seconds"):
        parts.append(f"{float(attrs['kinema.cost.gpu_seconds']):.1f} GPU s")
    if attrs.get("kinema.reused"):
        parts.append("[dim]reused from the journal, not paid again[/]")
    error = attrs.get("kinema.error") or span.get("status", {}).get("message")
    label = " · ".join(parts)
    return label + (f" [red]{escape(str(error))}[/]" if error else "")


def _backend_event(name: str, attrs: dict[str, Any]) -> str:
    """A backend call's own events: each retry (attempt, error, wait) and each re-ask."""
    error = f"{attrs.get('error.type', '')}: {attrs.get('error.message', '')}".strip(": ")
    if name == "retry":
        return (f"[yellow]retry[/] after attempt {attrs.get('attempt', '?')} "
                f"({escape(str(attrs.get('call', '')))}) failed: {escape(error)}; waited "
                f"{_num(attrs.get('wait_s'))} s")
    if name == "reask":
        return (f"[yellow]re-ask[/] after answer {attrs.get('attempt', '?')}: {escape(error)}; "
                f"paid so far ${_num(attrs.get('spent_usd'))}")
    return _event_label(name, attrs)


def _add_event(branch: Tree, name: str, attrs: dict[str, Any]) -> None:
    if name == "decision":
        action = str(attrs.get("action", ""))
        colour = "green" if action == "continue" else "red"
        leaf = branch.add(f"[bold {colour}]decision: {escape(action)}[/] "
                          f"({escape(str(attrs.get('reason', '')))}) "
                          f"{escape(str(attrs.get('detail', '')))}")
        numbers = _json(attrs.get("numbers"))
        if isinstance(numbers, dict):
            for key, value in numbers.items():
                if value is not None:
                    leaf.add(f"[dim]{escape(str(key))}: {escape(_compact(value))}[/]")
    else:
        branch.add(_event_label(name, attrs))


def _event_label(name: str, attrs: dict[str, Any]) -> str:
    if name == "judgement":
        violations = _json(attrs.get("violations")) or []
        text = (f"[bold]judgement[/] {escape(str(attrs.get('candidate', '')))}: score "
                f"{_num(attrs.get('score'))} · physics {_num(attrs.get('physics'))}")
        return text + (f" · [red]violated: {escape(', '.join(map(str, violations)))}[/]"
                       if violations else " · [green]no violations[/]")
    if name == "plan":
        return (f"[bold]plan[/] phenomena: {escape(_join(attrs.get('phenomena')))}; rules: "
                f"{escape(_join(attrs.get('rules')))}; keyframes at "
                f"{escape(_join(attrs.get('keyframe_times')))} s")
    if name == "refinement":
        return (f"[bold]refinement[/] {escape(_join(attrs.get('notes')) or 'no notes')}; "
                f"added keyframes: {escape(_join(attrs.get('added_keyframes')) or '-')}")
    if name == "finished":
        return (f"[bold]finished[/] stop: {escape(str(attrs.get('stop_reason', '')))}; best "
                f"{_num(attrs.get('best_score'))} ({escape(str(attrs.get('best_candidate', '')))}"
                f") after {attrs.get('rounds', '?')} rounds")
    shown = ", ".join(f"{k}={v}" for k, v in attrs.items())
    return f"[bold]{escape(name)}[/] {escape(shown)}"


def _compact(value: Any) -> str:
    """A number, or a dict of numbers without its empty entries, in one short line."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_num(v)}" for k, v in value.items() if v not in (None, 0, 0.0))
    return _num(value)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _join(value: Any) -> str:
    value = _json(value)
    if isinstance(value, list):
        return ", ".join(_num(v) for v in value)
    return "" if value is None else str(value)


def _num(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.3g}" if not number.is_integer() else str(int(number))
