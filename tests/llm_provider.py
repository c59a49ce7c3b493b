"""A litellm CustomLLM provider that plays the planner, the refiner and the VLM judge offline.

Registered through litellm's own `custom_provider_map`, priced through `litellm.register_model`,
so every model call goes through litellm's real completion, cost and error-mapping code. Models:
`kinema-test/structured` (the provider enforces JSON schemas: `response_format` path) and
`kinema-test/plain` (JSON instructions, repair and re-ask path).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from typing import Any

import litellm
import pytest
from litellm import CustomLLM, ModelResponse

PROVIDER = "kinema-test"
PRICES = {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "mode": "chat",
          "litellm_provider": PROVIDER, "supports_vision": True}

PLAN = {
    "subjects": ["ball"], "phenomena": ["free fall", "bouncing"],
    "laws": ["uniform gravitational acceleration"],
    "rules": [{"id": "gravity", "text": "The ball speeds up as it falls.", "law": "gravity",
               "check": "gravity"},
              {"id": "shadow", "text": "The shadow follows the ball.", "check": None}],
    "keyframes": [{"t": 0.0, "event": "release", "description": "ball held high"},
                  {"t": 0.4, "event": "contact", "description": "ball touches the floor"}],
    "generator_prompt": "A ball dropped onto the floor, accelerating as it falls.",
    "environment": "earth", "gravity_m_s2": 9.81,
}
# A plan whose scene the studio can simulate: a rubber ball dropped onto the floor.
PLAN_WITH_SCENE = {**PLAN, "scene": {
    "environment": "earth", "ignored": [],
    "bodies": [{"name": "ball", "kind": "ball", "material": "rubber", "colour": "red",
                "action": "dropped", "height_m": 1.0}]}}
REFINEMENT = {"prompt": "A ball dropped onto the floor; it must speed up as it falls, not fall "
                        "at a constant speed.",
              "add_keyframes": [{"t": 0.2, "event": "refine", "description": "ball mid-fall"}],
              "change_seed": False, "notes": ["named the constant-speed fall"]}
JUDGEMENT = {"semantic_adherence": 4, "physical_commonsense": 2,
             "rules": [{"id": "gravity", "status": "violated", "start_s": 0.1, "end_s": 0.3,
                        "evidence": "falls at constant speed", "confidence": 0.8}]}


def default_answer(system: str) -> str:
    """The well-formed answer for the role the system prompt asks the model to play."""
    if "planner of Kinema" in system:
        return json.dumps(PLAN)
    if "refiner of Kinema" in system:
        return json.dumps(REFINEMENT)
    return json.dumps(JUDGEMENT)


class ScriptedLLM(CustomLLM):
    """Answers from a queue (text, or an exception to raise), then with the role's default."""

    def __init__(self) -> None:
        super().__init__()
        self.queue: deque[str | Exception] = deque()
        self.requests: list[dict[str, Any]] = []

    def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> ModelResponse:
        self.requests.append({"model": model, "messages": messages,
                              "optional_params": kwargs.get("optional_params") or {}})
        item = self.queue.popleft() if self.queue else default_answer(_system(messages))
        if isinstance(item, Exception):
            raise item
        return ModelResponse(
            model=f"{PROVIDER}/{model}",
            choices=[{"index": 0, "finish_reason": "stop",
                      "message": {"role": "assistant", "content": item}}],
            usage={"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150})


def _system(messages: list[dict[str, Any]]) -> str:
    return next((str(m["content"]) for m in messages if m["role"] == "system"), "")


def rate_limited() -> Exception:
    return litellm.RateLimitError(message="slow down", llm_provider=PROVIDER, model="plain")


def timed_out() -> Exception:
    return litellm.Timeout(message="took too long", llm_provider=PROVIDER, model="plain")


@pytest.fixture
def scripted_llm() -> Iterator[ScriptedLLM]:
    """Registers a fresh ScriptedLLM as the `kinema-test` litellm provider for one test."""
    provider = ScriptedLLM()
    saved = list(litellm.custom_provider_map)
    litellm.custom_provider_map = [*saved, {"provider": PROVIDER, "custom_handler": provider}]
    litellm.register_model({f"{PROVIDER}/structured": {**PRICES, "supports_response_schema": True},
                            f"{PROVIDER}/plain": dict(PRICES)})
    yield provider
    litellm.custom_provider_map = saved
