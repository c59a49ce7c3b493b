from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from agent.context import Context
from tests.fakes import (
    BlankKeyframes,
    EchoRefiner,
    FixedPlanner,
    ScriptedJudge,
    ScriptedVideo,
)
from tools.base import registry

# The scripted litellm provider (`scripted_llm` fixture) used by the model-backend tests.
pytest_plugins = ["tests.llm_provider"]

FAKES: dict[str, tuple[str, Any]] = {
    "planner": ("fixed", FixedPlanner),
    "keyframes": ("blank", BlankKeyframes),
    "video": ("scripted", ScriptedVideo),
    "judge": ("scripted", ScriptedJudge),
    "refiner": ("echo", EchoRefiner),
}


@pytest.fixture
def fakes() -> Iterator[dict[str, Any]]:
    """Registers one fresh fake per role and returns the instances the graph will use."""
    instances = {}
    for role, (scheme, cls) in FAKES.items():
        instance = cls()
        registry.register(role, scheme, lambda model, _i=instance, **_: _i)
        instances[role] = instance
    yield instances
    for role, (scheme, _) in FAKES.items():
        registry.unregister(role, scheme)


@pytest.fixture
def fake_context(tmp_path: Any) -> Context:
    return Context(planner="fixed", keyframes="blank", video="scripted", judge="scripted",
                   refiner="echo", out_dir=str(tmp_path / "runs"), target=0.9)


class Spans:
    """An in-memory tracer provider that model-call spans (tools.telemetry) also use."""

    def __init__(self) -> None:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = self.provider.get_tracer("test")


@pytest.fixture
def spans() -> Iterator[Spans]:
    from tools import telemetry

    found = Spans()
    telemetry.use_provider(found.provider)
    yield found
    telemetry.use_provider(None)
