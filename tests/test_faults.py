"""The fast cases of `python -m evals faults`, in the default test run: every one must hold.

Each case kills, corrupts, fills or fuzzes Kinema on purpose (see evals/faults.py); the slow
rest (more random kills, every corruption, a killed paid video job, hangs, partial bodies,
read-only folders, resource limits) runs with `python -m evals faults`.
"""

from __future__ import annotations

import pytest

from evals.faults import CASES, PROCESS_CASES, run_cases, table

FAST = [name for name, (_, fast) in CASES.items() if fast]


@pytest.mark.parametrize("case", [c for c in FAST if c not in PROCESS_CASES])
def test_fault_case_holds(case, tmp_path):
    (outcome,) = run_cases([case], fast=True, workdir=tmp_path)
    assert outcome.tried > 0 and outcome.failed == 0, table([outcome])


def test_killed_raced_corrupted_and_full_runs_hold(tmp_path):
    """The cases that kill and race real processes, side by side (they mostly wait)."""
    outcomes = run_cases([c for c in FAST if c in PROCESS_CASES], fast=True, workdir=tmp_path,
                         parallel=True)
    assert all(o.skipped or (o.tried > 0 and o.failed == 0) for o in outcomes), table(outcomes)
