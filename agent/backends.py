"""Backends as the graph sees them: resolved from the Context and called inside a span."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from opentelemetry.trace import Span, Status, StatusCode

from agent import tracing
from agent.context import Context
from agent.state import Ledger
from tools.base import registry
from tools.errors import BackendUnavailable


class RunRef(Protocol):
    """Where a backend call belongs: the run state, or one generation branch's task."""

    @property
    def run_id(self) -> str: ...

    @property
    def run_dir(self) -> str: ...

    @property
    def round(self) -> int: ...


def resolve(ctx: Context, role: str) -> Any:
    """The backend playing `role`; loaded once per process and reused across rounds."""
    return registry.resolve(role, ctx.spec(role), **ctx.options.get(role, {}))


def validate_specs(ctx: Context, roles: tuple[str, ...] | None = None) -> None:
    """The preflight: every role's backend checked before anything is written or spent.

    A spec must name a registered backend (else `UnknownBackendError`), and the backend must be
    able to run here: its key set, its model known to litellm's table or its local server
    answering, its extra installed (else one `BackendUnavailable` naming every problem). So a
    missing judge key fails before the planner is paid, not after a video was generated. A
    role given options is also loaded, so an option its backend does not take is refused now.
    """
    from tools.availability import check

    problems = []
    for role, spec in ctx.specs().items():
        if roles is not None and role not in roles:
            continue
        registry.check(role, spec)
        found = check(role, spec, ctx.options.get(role, {}), for_run=True)
        if found.usable and ctx.options.get(role):
            resolve(ctx, role)  # an option the backend does not take fails here, by name
        if not found.usable:
            problems.append(f"{role} {spec}: {found.reason}")
    if problems:
        raise BackendUnavailable("cannot run " + "; ".join(problems) + " (or choose another "
                                 "backend: `kinema backends` lists them)")


preflight = validate_specs


@contextmanager
def backend_call(state: RunRef, role: str, spec: str, **attributes: Any) -> Iterator[Span]:
    """A span around one backend call, carrying the spec and the round."""
    run = tracing.open_run(state.run_id, Path(state.run_dir))
    attrs = {"kinema.role": role, "kinema.backend": spec, "kinema.round": state.round, **attributes}
    with run.span(f"backend.{role}", attrs) as span:
        try:
            yield span
        except Exception as exc:
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise


def record_cost(span: Span, cost: Ledger) -> None:
    for key, value in cost.model_dump().items():
        if value:
            span.set_attribute(f"kinema.cost.{key}", value)


def charge(ledger: Ledger, cost: Ledger) -> Ledger:
    """Adds a backend's cost to the run's ledger.

    Wall seconds are excluded: the node wrapper counts the run's wall time once, so a backend's
    own seconds would count twice.
    """
    return ledger.plus(cost.model_copy(update={"seconds": 0.0}))

