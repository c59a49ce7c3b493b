"""The one formula that turns answered rules into a score, for physics and adherence alike.

Both columns of a verdict read their checks the same way, so a violation weighs the same in
either and `physics × adherence` compares like with like: followed checks count fully,
unclear ones a quarter and pull toward 0.5, and each violation multiplies the result by
(1 − c/2), so more followed checks never dilute a violation.
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.schema import RuleVerdict


def rules_score(rules: Sequence[RuleVerdict]) -> float:
    """Confidence-weighted score of answered rules; 0.5 when none says anything."""
    num = den = 0.0
    penalty = 1.0
    for rule in rules:
        if rule.status == "violated":
            penalty *= 1.0 - 0.5 * rule.confidence
        elif rule.status == "followed":
            num += rule.confidence
            den += rule.confidence
        else:
            num += 0.5 * 0.25 * rule.confidence
            den += 0.25 * rule.confidence
    return (num / den if den > 0 else 0.5) * penalty
