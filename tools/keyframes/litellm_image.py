"""Keyframe backend `litellm-image:<model>`: image APIs (gpt-image-1, Imagen, ...) via litellm.

Keyframes are made in time order. The first comes from text; with `sequential` (the default)
each later one is an edit of the one before (`litellm.image_edit`), as VChain does, so the scene,
the objects and the camera stay the same while the moment changes. Models without an edit
endpoint can set `sequential=False` to make each keyframe from text alone.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from tools.errors import BadInputError, KinemaError
from tools.keyframes.diffusers_image import keyframe_prompt
from tools.llm import (
    LLMOptions,
    _litellm,
    permanent_errors,
    provider_of,
    require_keys,
    usage_cost,
    with_retries,
)
from tools.media import sha256_file
from tools.schema import Keyframe, KeyframeSpec, RunRequest, ShotPlan
from tools.telemetry import bare_model, model_call, provider_name, record_usage


class LiteLLMImageOptions(LLMOptions):
    """Options of `litellm-image:<model>`."""

    sequential: bool = Field(True, description="Each later keyframe edits the previous one.")
    size: str | None = Field(None, description="e.g. 1536x1024; default: the provider's.")
    extra: dict[str, Any] = Field(default_factory=dict,
                                  description="More keyword arguments for litellm's image calls.")


class LiteLLMImageKeyframes:
    """Keyframe backend `litellm-image:<model>`, e.g. `litellm-image:openai/gpt-image-1`."""

    def __init__(self, model: str | None = None, **options: Any) -> None:
        if not model:
            raise BadInputError("litellm-image needs a model, e.g. litellm-image:gpt-image-1")
        self.spec, self.model = f"litellm-image:{model}", model
        self.options = LiteLLMImageOptions(**options)
        require_keys(model, "choose --keyframes studio or none")

    def render(self, plan: ShotPlan, specs: list[KeyframeSpec], request: RunRequest,
               out_dir: Path) -> list[Keyframe]:
        out_dir.mkdir(parents=True, exist_ok=True)
        keyframes: list[Keyframe] = []
        previous: Path | None = None
        for spec in sorted(specs, key=lambda s: s.t):
            started = time.monotonic()
            prompt = keyframe_prompt(plan, spec)
            with self._model_call() as span:
                if previous is not None and self.options.sequential:
                    prompt = f"Same scene, same objects and camera, a moment later. {prompt}"
                    response = self._call("image_edit", image=previous.read_bytes(),
                                          prompt=prompt)
                else:
                    response = self._call("image_generation", prompt=prompt)
                path = out_dir / f"kf_{spec.t:07.3f}.png"
                path.write_bytes(_image_bytes(response))
                cost = usage_cost(response).model_copy(
                    update={"seconds": time.monotonic() - started})
                record_usage(span, response, input_tokens=cost.input_tokens,
                             output_tokens=cost.output_tokens)
            keyframes.append(Keyframe(t=spec.t, image=str(path), description=spec.description,
                                      source=self.spec, sha256=sha256_file(path), cost=cost))
            previous = path
        return keyframes

    def _model_call(self) -> Any:
        """The GenAI span of one image request (its retries are events on it)."""
        provider = provider_of(self.model)
        return model_call("generate_content", bare_model(self.model, provider),
                          provider_name(provider), attributes={"gen_ai.output.type": "image"})

    def _call(self, name: str, **kwargs: Any) -> Any:
        extra: dict[str, Any] = {"model": self.model, "timeout": self.options.timeout_s,
                                 **self.options.extra}
        if self.options.size:
            extra["size"] = self.options.size
        if self.options.api_base:
            extra["api_base"] = self.options.api_base
        try:
            return with_retries(self.options, getattr(_litellm(), name), **kwargs, **extra)
        except permanent_errors() as exc:
            raise KinemaError(f"{self.model} rejected the image request ({type(exc).__name__}): "
                              f"{' '.join(str(exc).split())[:300]}") from exc


def _image_bytes(response: Any) -> bytes:
    """The first image of an ImageResponse, whether sent inline (b64_json) or by URL."""
    item = response.data[0]
    if getattr(item, "b64_json", None):
        return base64.b64decode(item.b64_json)
    url = getattr(item, "url", None)
    if not url:
        raise KinemaError("the image API returned neither image data nor a URL")
    import httpx

    return httpx.get(url, timeout=60).content

