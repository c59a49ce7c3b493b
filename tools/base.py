"""One contract per role, and the one registry that turns spec strings into backends.

A spec is `scheme[:model]` (`studio`, `litellm:gpt-4o`, `ensemble:kinematics+vlm:gpt-4o`). Built-in
backends are declared as entry points in the group `kinema.backends`, exactly like third-party
ones, with names `<role>.<scheme>` and values `module:factory`. A factory is called as
`factory(model, **options)` and returns the backend; loaded backends are cached per
(role, spec, options) so expensive pipelines load once per process and are reused across rounds.

A factory may declare the `Resources` its backend needs (a class attribute `resources`, or the
`needs` decorator on a function factory) so a scheduler can place runs without loading anything.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from tools.errors import BadInputError, KinemaError, UnknownBackendError
from tools.schema import (
    ROLES,
    Candidate,
    GenerationJob,
    Keyframe,
    KeyframeSpec,
    Refinement,
    RunRequest,
    ShotPlan,
    Verdict,
)

ENTRY_POINT_GROUP = "kinema.backends"


@dataclass(frozen=True)
class Resources:
    """What one backend instance needs from the machine that runs it, read before it loads.

    Attributes:
        gpus: accelerators it occupies while it works (a diffusers pipeline: 1; an API: 0).
        holds_model: it loads weights once and then serves many calls, so a scheduler should keep
            it in a long-lived worker (a Ray actor) instead of loading it again per item.
    """

    gpus: float = 0.0
    holds_model: bool = False

    def merge(self, other: Resources) -> Resources:
        """What two backends of one run need together; they take turns on the same GPU."""
        return Resources(gpus=max(self.gpus, other.gpus),
                         holds_model=self.holds_model or other.holds_model)


def needs(resources: Resources) -> Callable[[Any], Any]:
    """Declares what a function factory's backends need (classes set `resources` themselves)."""

    def declare(factory: Any) -> Any:
        factory.resources = resources
        return factory

    return declare


@runtime_checkable
class Planner(Protocol):
    """Reads a request into a ShotPlan."""

    spec: str

    def plan(self, request: RunRequest) -> ShotPlan: ...


@runtime_checkable
class KeyframeGenerator(Protocol):
    """Renders keyframe specs into images under `out_dir`."""

    spec: str

    def render(
        self, plan: ShotPlan, specs: list[KeyframeSpec], request: RunRequest, out_dir: Path
    ) -> list[Keyframe]: ...


@runtime_checkable
class VideoGenerator(Protocol):
    """Generates one candidate video at `out_path`."""

    spec: str
    accepts_keyframes: ClassVar[bool]
    parallel_ok: ClassVar[bool]

    def generate(self, job: GenerationJob, out_path: Path) -> Candidate: ...


@runtime_checkable
class Judge(Protocol):
    """Scores one video; `plan` carries the rules and the scale when known."""

    spec: str

    def judge(self, video: Path, plan: ShotPlan | None = None) -> Verdict: ...


@runtime_checkable
class Refiner(Protocol):
    """Turns a verdict into changes for the next round."""

    spec: str

    def refine(
        self, plan: ShotPlan, prompt: str, keyframes: list[KeyframeSpec], verdict: Verdict
    ) -> Refinement: ...


Factory = Callable[..., Any]
_ROLE_PROTOCOLS: dict[str, type] = {
    "planner": Planner,
    "keyframes": KeyframeGenerator,
    "video": VideoGenerator,
    "judge": Judge,
    "refiner": Refiner,
}


def split_spec(spec: str) -> tuple[str, str | None]:
    """`'litellm:gpt-4o'` -> `('litellm', 'gpt-4o')`; `'studio'` -> `('studio', None)`."""
    scheme, sep, model = spec.strip().partition(":")
    return scheme, (model if sep else None)


class Registry:
    """Maps (role, scheme) to factories, from entry points plus explicit registrations."""

    def __init__(self) -> None:
        self._factories: dict[tuple[str, str], Factory | str] = {}
        self._instances: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.RLock()
        self._loaded_entry_points = False

    def register(self, role: str, scheme: str, factory: Factory) -> None:
        """Adds or replaces a backend factory (tests and plugins without packaging use this)."""
        _check_role(role)
        with self._lock:
            self._factories[(role, scheme)] = factory
            self._instances = {k: v for k, v in self._instances.items() if k[:1] != (role,)}

    def unregister(self, role: str, scheme: str) -> None:
        with self._lock:
            self._factories.pop((role, scheme), None)
            self._instances = {k: v for k, v in self._instances.items() if k[:1] != (role,)}

    def schemes(self, role: str) -> list[str]:
        _check_role(role)
        self._load_entry_points()
        return sorted(s for r, s in self._factories if r == role)

    def resolve(self, role: str, spec: str, **options: Any) -> Any:
        """Returns the (cached) backend for `spec`, loading it on first use."""
        _check_role(role)
        self._load_entry_points()
        scheme, model = split_spec(spec)
        key = (role, spec.strip(), repr(sorted(options.items())))
        with self._lock:
            if key in self._instances:
                return self._instances[key]
            factory = self._factories.get((role, scheme))
            if factory is None:
                raise UnknownBackendError(role, spec, self.schemes(role))
            if isinstance(factory, str):
                factory = _import_factory(factory)
                self._factories[(role, scheme)] = factory
            backend = _construct(factory, role, spec, model, options)
            self._instances[key] = backend
            return backend

    def resources(self, role: str, spec: str) -> Resources:
        """What `spec`'s backend needs, from its factory's declaration, without loading it."""
        self.check(role, spec)
        scheme, _ = split_spec(spec)
        with self._lock:
            factory = self._factories[(role, scheme)]
            if isinstance(factory, str):
                factory = _import_factory(factory)
                self._factories[(role, scheme)] = factory
        declared = getattr(factory, "resources", None)
        return declared if isinstance(declared, Resources) else Resources()

    def check(self, role: str, spec: str) -> None:
        """Raises UnknownBackendError for a spec whose scheme is unknown, without loading it."""
        _check_role(role)
        self._load_entry_points()
        scheme, _ = split_spec(spec)
        if not scheme or (role, scheme) not in self._factories:
            raise UnknownBackendError(role, spec, self.schemes(role))

    def _load_entry_points(self) -> None:
        if self._loaded_entry_points:
            return
        with self._lock:
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                role, _, scheme = ep.name.partition(".")
                if role in ROLES and scheme and (role, scheme) not in self._factories:
                    self._factories[(role, scheme)] = ep.value
            self._loaded_entry_points = True


def _construct(factory: Factory, role: str, spec: str, model: str | None,
               options: dict[str, Any]) -> Any:
    """`factory(model, **options)`, an option it does not take refused by name."""
    from pydantic import ValidationError

    try:
        return factory(model, **options)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "?"
        message = str(first["msg"]).removeprefix("Value error, ")
        if first.get("type") == "extra_forbidden":
            message = "not an option of this backend"
        raise BadInputError(f"invalid option {role}.{key} for {role} backend {spec!r}: "
                            f"{message}") from None
    except TypeError as exc:
        unexpected = re.search(r"unexpected keyword argument '(\w+)'", str(exc))
        if unexpected is None:
            raise
        raise BadInputError(f"invalid option {role}.{unexpected[1]}: {role} backend {spec!r} "
                            "takes no such option") from None


def _check_role(role: str) -> None:
    if role not in _ROLE_PROTOCOLS:
        raise KinemaError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")


def _import_factory(target: str) -> Factory:
    from importlib import import_module

    module_name, _, attr = target.partition(":")
    obj: Any = import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj  # type: ignore[no-any-return]


registry = Registry()
