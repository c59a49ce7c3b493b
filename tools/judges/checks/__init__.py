"""The kinematics judge's rule checks, one module per rule, run in this order."""

from __future__ import annotations

from collections.abc import Callable

from tools.judges.checks.base import RULE_TEXT, Scene, TrackMotion, verdict
from tools.judges.checks.continuity import check_continuity
from tools.judges.checks.energy import check_energy
from tools.judges.checks.gravity import check_gravity
from tools.judges.checks.motion_present import check_motion_present, frozen_video
from tools.judges.checks.penetration import check_penetration
from tools.judges.checks.permanence import check_permanence
from tools.judges.checks.rigidity import check_rigidity
from tools.judges.checks.time_direction import check_time_direction
from tools.judges.checks.trajectory import check_trajectory, has_reference
from tools.schema import RuleVerdict

Check = Callable[[Scene], RuleVerdict]

CHECKS: dict[str, Check] = {
    "gravity": check_gravity,
    "continuity": check_continuity,
    "permanence": check_permanence,
    "rigidity": check_rigidity,
    "energy": check_energy,
    "time_direction": check_time_direction,
    "penetration": check_penetration,
    "motion_present": check_motion_present,
    "trajectory": check_trajectory,
}

__all__ = [
    "CHECKS",
    "RULE_TEXT",
    "Check",
    "Scene",
    "TrackMotion",
    "frozen_video",
    "has_reference",
    "verdict",
]
