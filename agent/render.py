"""How a run looks in a terminal: progress, plans, verdicts and summaries, for `run` and `chat`.

One module, so `kinema run`, `kinema resume`, `kinema judge` and `kinema chat` show a run the
same way. Progress is drawn from the typed events of `agent.events` (LangGraph's own stream);
summaries from the typed `RunResult`. Everything a user typed or a model wrote is escaped
before it reaches rich's markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.events import (
    CandidateReady,
    DecisionMade,
    EventTranslator,
    KeyframesReady,
    PlanReady,
    Refined,
    RunEvent,
    VerdictReady,
)
from agent.state import Budget, RoundSummary, RunResult, ShotPlan, Verdict
from tools.studio.describe import summary

STATUS_COLOUR = {"followed": "green", "violated": "red"}


def score_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def budget_text(budget: Budget) -> str:
    """The caps in their one spelling: `max_generations=6, max_usd=0.5`."""
    caps = budget.model_dump(exclude_none=True)
    return ", ".join(f"{k}={v}" for k, v in caps.items()) or "no caps"


def plan_line(plan: ShotPlan) -> str:
    """The plan in one line, for progress; what the scene leaves out on a second line."""
    left_out = plan.scene.ignored if plan.scene else []
    return (f"{escape(', '.join(plan.phenomena) or 'no known phenomena')}; "
            f"{len(plan.rules)} rules; keyframes at "
            + ", ".join(f"{k.t:.2f}s" for k in plan.keyframes)
            + (f"\n[yellow]left out[/] {escape(', '.join(left_out))} (not in the studio's scene)"
               if left_out else ""))


def score_parts(verdict: Verdict) -> str:
    """How the score was formed: physics, times adherence when the judge measured it."""
    if verdict.adherence is None:
        return f"physics {verdict.physics:.2f}"
    return f"physics {verdict.physics:.2f} × adherence {verdict.adherence:.2f}"


class Progress:
    """Prints a run as it goes, one line per event; feed it LangGraph's stream (`on_chunk`).

    Args:
        console: where the lines go (stderr for `kinema run`, the chat's console for chat).
        show_plan: print the plan's line (the chat shows the full plan for approval instead).
    """

    def __init__(self, console: Console, *, show_plan: bool = True) -> None:
        self.console, self.show_plan = console, show_plan
        self.translator = EventTranslator()

    def feed(self, mode: str, chunk: Any) -> None:
        for event in self.translator.feed(mode, chunk):
            line = self.line(event)
            if line:
                self.console.print(line)

    def line(self, event: RunEvent) -> str:
        tag = f"[bold]round {event.round}[/] "
        if isinstance(event, PlanReady):
            return f"[bold]plan[/]    {plan_line(event.plan)}" if self.show_plan else ""
        if isinstance(event, KeyframesReady):
            return tag + f"{len(event.keyframes)} keyframes"
        if isinstance(event, CandidateReady):
            c = event.candidate
            return tag + (f"{c.id} [red]failed[/]: {escape(c.error)}" if c.error
                          else f"{c.id} generated")
        if isinstance(event, VerdictReady):
            v = event.verdict
            wrong = v.violations + v.adherence_violations
            bad = f" · [red]violated: {escape(', '.join(wrong))}[/]" if wrong else ""
            return tag + f"{event.candidate_id} score {v.score:.2f} ({score_parts(v)}){bad}"
        if isinstance(event, DecisionMade):
            d = event.decision
            colour = "green" if d.action == "continue" else "cyan"
            return tag + f"[{colour}]{d.action}[/]: {escape(d.detail or d.reason)}"
        if isinstance(event, Refined):
            return tag + "refine: " + escape("; ".join(event.refinement.notes) or "new round")
        return ""


def show_plan(console: Console, plan: ShotPlan, budget: Budget) -> None:
    """The plan as a person reviews it before approving."""
    console.print("[bold underline]Plan[/]")
    console.print(f"[bold]phenomena[/]  {escape(', '.join(plan.phenomena) or '-')}")
    console.print(f"[bold]laws[/]       {escape('; '.join(plan.laws) or '-')}")
    console.print("[bold]rules[/]")
    for rule in plan.rules:
        console.print(f"  • {escape(rule.id)}: {escape(rule.text)}")
    console.print("[bold]keyframes[/]")
    for k in plan.keyframes:
        console.print(f"  • {k.t:5.2f}s {escape(k.event)} {escape(k.description)}".rstrip())
    if plan.scene is None:
        why = next((n for n in plan.notes if "cannot simulate" in n), "")
        console.print("[yellow]the studio cannot simulate this; a real generator can[/]"
                      + (f"\n  {escape(why)}" if why else ""))
    else:
        console.print(f"[bold]scene[/]      {escape(summary(plan.scene))}")
        if plan.scene.ignored:
            console.print(f"[yellow]left out[/]   {escape(', '.join(plan.scene.ignored))} "
                          "(the studio's scene does not show these)")
    console.print(f"[bold]budget[/]     {budget_text(budget)}")


def _decision_text(rnd: RoundSummary) -> str:
    """`continue`, or why the run stopped (`target_reached`, `no_gain`, ...)."""
    d = rnd.decision
    if d is None:
        return "-"
    return d.action if d.action == "continue" else d.reason


def show_summary(console: Console, result: RunResult, *, width: int | None = None) -> None:
    """Scores per round (the best candidate's), what was spent, why it stopped, where it is."""
    table = Table(title=f"run {result.run_id}", title_justify="left", width=width)
    for column, justify in (("round", "right"), ("keyframes", "right"), ("score", "right"),
                            ("physics", "right"), ("adherence", "right"),
                            ("violations", "left"), ("decision", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for rnd in result.rounds:
        best = rnd.best
        table.add_row(str(rnd.index), str(rnd.keyframes),
                      score_text(best.score if best else None),
                      score_text(best.physics if best else None),
                      score_text(best.adherence if best else None),
                      escape(", ".join(rnd.violations)) or "-", escape(_decision_text(rnd)))
    console.print(table)
    led, ref = result.ledger, result.best
    best_text = f"{ref.score:.2f} (round {ref.round}, {ref.candidate})" if ref else "-"
    console.print(f"best {best_text} · stop: {escape(result.stop_reason)}")
    console.print(f"spent {led.generations} generations, {led.seconds:.1f} s, "
                  f"{led.gpu_seconds:.1f} GPU s, ${led.usd:.4f}")
    run_dir = Path(result.run_dir)
    console.print(f"video:  {escape(str(result.final_video))}")
    console.print(f"report: {escape(str(run_dir / 'report.html'))}")
    console.print(f"result: {escape(str(run_dir / 'result.json'))}")


def show_verdict(console: Console, verdict: Verdict, title: str, *,
                 width: int | None = None) -> None:
    """A verdict as a table: each rule and adherence check with its status, confidence, time
    span and evidence; the title says how the score was formed."""
    checked = ("" if verdict.coverage is None
               else f", {100 * verdict.coverage:.0f}% of the motion checked")
    table = Table(title=f"{escape(title)}: score {verdict.score:.2f} = {score_parts(verdict)}"
                        f"{checked}", title_justify="left", width=width)
    for column in ("rule", "status", "confidence", "span", "evidence"):
        table.add_column(column)
    for r in [*verdict.rules, *verdict.adherence_checks]:
        span = f"{r.span[0]:.2f}-{r.span[1]:.2f}s" if r.span else "-"
        colour = STATUS_COLOUR.get(r.status, "yellow")
        table.add_row(escape(r.id), f"[{colour}]{r.status}[/]", f"{r.confidence:.2f}", span,
                      escape(r.evidence))
    console.print(table)
