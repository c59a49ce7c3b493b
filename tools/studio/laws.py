"""The law knowledge base: physical laws, what a correct video shows, and the rules that check it.

The records live in `laws.json` (package data), one per law: id, name, domain, trigger words,
the behaviour a correct video shows, and checkable rules, each naming the kinematics judge's rule
id that can measure it ("none" where no measurement exists yet). The heuristic planner matches
every prompt against the triggers; LLM planners receive `reference_text()` as context.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from tools.schema import PhysicsRule


@dataclass(frozen=True)
class LawRule:
    """One checkable statement; `check` is a judge rule id, or None when nothing measures it."""

    text: str
    check: str | None


@dataclass(frozen=True)
class Law:
    """One record of the knowledge base."""

    id: str
    name: str
    domain: str
    triggers: tuple[str, ...]
    behaviour: str
    rules: tuple[LawRule, ...]


@cache
def load_laws() -> dict[str, Law]:
    """All laws by id, read once from the packaged `laws.json`."""
    raw = json.loads(resources.files("tools.studio").joinpath("laws.json").read_text("utf-8"))
    return {
        item["id"]: Law(
            id=item["id"], name=item["name"], domain=item["domain"],
            triggers=tuple(item["triggers"]), behaviour=item["behaviour"],
            rules=tuple(LawRule(r["text"], None if r["check"] == "none" else r["check"])
                        for r in item["rules"]),
        )
        for item in raw["laws"]
    }


@cache
def _trigger_pattern(word: str) -> re.Pattern[str]:
    # Word-start boundary only, so "bounce" also matches "bounces" and "bouncing".
    return re.compile(r"(?<![a-z])" + re.escape(word.lower()))


def laws_for(prompt: str, extra: tuple[str, ...] = ()) -> list[Law]:
    """Laws whose trigger words occur in the prompt, plus the laws named in `extra` (ids), most
    triggers first, so the most relevant law leads the plan."""
    text = prompt.lower()
    table = load_laws()
    scored = []
    for law in table.values():
        hits = sum(1 for w in law.triggers if _trigger_pattern(w).search(text))
        if hits or law.id in extra:
            scored.append((-(hits + (2 if law.id in extra else 0)), law.id))
    return [table[law_id] for _, law_id in sorted(scored)]


def rules_for(laws: list[Law]) -> list[PhysicsRule]:
    """The laws' rules as plan rules. A measurable rule takes its judge check's id (the judge
    reports by that id), first law wins; unmeasurable ones keep a law-derived id."""
    rules: dict[str, PhysicsRule] = {}
    for law in laws:
        for k, rule in enumerate(law.rules, 1):
            rule_id = rule.check or f"{law.id}_{k}"
            rules.setdefault(rule_id, PhysicsRule(id=rule_id, text=rule.text, law=law.name,
                                                  check=rule.check))
    return list(rules.values())


def reference_text() -> str:
    """The whole knowledge base as compact text for an LLM planner's context."""
    lines = []
    for law in load_laws().values():
        checks = ", ".join(f"{r.text} [{r.check or 'none'}]" for r in law.rules)
        lines.append(f"- {law.name} ({law.domain}): {law.behaviour}. Rules: {checks}")
    return "\n".join(lines)
