"""Keyframe backend `diffusers:<repo-or-path>`: text-to-image pipelines (FLUX, SD3, SDXL, SD).

Each keyframe spec becomes one image from the plan's generator prompt plus the moment's
description, seeded per keyframe so reruns give the same frames. The pipeline class comes from
the model's `model_index.json`; it loads on first use and is reused across rounds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from tools.base import Resources
from tools.diffusers_runtime import (
    DiffusersOptions,
    generator_for,
    load_named,
    metered,
    model_index,
)
from tools.errors import BadInputError
from tools.media import sha256_file
from tools.schema import Keyframe, KeyframeSpec, Ledger, RunRequest, ShotPlan
from tools.telemetry import model_call

TEXT_TO_IMAGE = {"FluxPipeline", "StableDiffusion3Pipeline", "StableDiffusionXLPipeline",
                 "StableDiffusionPipeline"}


def keyframe_prompt(plan: ShotPlan, spec: KeyframeSpec) -> str:
    """The scene as a whole plus what this moment shows, so every keyframe is the same scene."""
    moment = spec.description or spec.event
    return f"{plan.generator_prompt} {f'Moment at {spec.t:.2f}s: {moment}.' if moment else ''}"


class DiffusersKeyframes:
    """Keyframe backend `diffusers:<repo-or-path>`, e.g. black-forest-labs/FLUX.1-schnell."""

    resources: ClassVar[Resources] = Resources(gpus=1, holds_model=True)

    def __init__(self, model: str | None = None, **options: Any) -> None:
        if not model:
            raise BadInputError("diffusers keyframes need a model, e.g. "
                                "diffusers:stabilityai/stable-diffusion-3.5-medium")
        self.spec, self.model = f"diffusers:{model}", model
        self.options = DiffusersOptions(**options)
        self.class_name = str(model_index(model, self.options.local_files_only).get("_class_name"))
        if self.class_name not in TEXT_TO_IMAGE and not self.options.pipeline_class:
            raise BadInputError(f"{model!r} is a {self.class_name} pipeline; diffusers keyframes "
                                f"run {', '.join(sorted(TEXT_TO_IMAGE))}")
        self._pipe: Any = None
        self._device = "cpu"

    @property
    def pipe(self) -> Any:
        if self._pipe is None:
            self._pipe, self._device = load_named(self.class_name, self.model, self.options)
        return self._pipe

    def render(self, plan: ShotPlan, specs: list[KeyframeSpec], request: RunRequest,
               out_dir: Path) -> list[Keyframe]:
        out_dir.mkdir(parents=True, exist_ok=True)
        return [self._render_one(plan, spec, request, index, out_dir)
                for index, spec in enumerate(specs)]

    def _render_one(self, plan: ShotPlan, spec: KeyframeSpec, request: RunRequest, index: int,
                    out_dir: Path) -> Keyframe:
        kwargs: dict[str, Any] = {
            "prompt": keyframe_prompt(plan, spec),
            "height": max(16, 16 * round(request.height / 16)),
            "width": max(16, 16 * round(request.width / 16)),
        }
        if self.options.steps:
            kwargs["num_inference_steps"] = self.options.steps
        if self.options.guidance is not None:
            kwargs["guidance_scale"] = self.options.guidance
        if self.options.max_sequence_length:
            kwargs["max_sequence_length"] = self.options.max_sequence_length
        pipe = self.pipe
        seed = request.seed + index
        with model_call("generate_content", self.model, "diffusers", remote=False, attributes={
                "gen_ai.output.type": "image", "gen_ai.request.seed": seed}), \
                metered(self._device) as spent:
            image = pipe(**kwargs, generator=generator_for(self._device, seed)).images[0]
        wall, gpu = spent()
        path = out_dir / f"kf_{spec.t:07.3f}.png"
        image.save(path, format="PNG")
        return Keyframe(t=spec.t, image=str(path), description=spec.description,
                        source=self.spec, sha256=sha256_file(path),
                        cost=Ledger(gpu_seconds=gpu, seconds=wall))
