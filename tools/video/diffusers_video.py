"""Video backend `diffusers:<repo-or-path>`: Wan 2.1/2.2, LTX-Video and CogVideoX pipelines.

The family comes from the pipeline's own config (`model_index.json` `_class_name`), and decides
how keyframes reach the model:
- Wan text-to-video, CogVideoX text-to-video: no keyframes (`accepts_keyframes = False`);
- Wan image-to-video: the first keyframe (or the request's init image) is the `image`; with two
  or more keyframes the last one is `last_image` (first-last-frame, FLF2V);
- CogVideoX image-to-video: the first keyframe is the `image`;
- LTX-Video: every keyframe is an `LTXVideoCondition` at frame index round(t * fps).
The pipeline loads on the first `generate` and is reused across rounds (the registry caches the
backend). GPU seconds are metered into the candidate's cost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from tools.base import Resources, needs
from tools.diffusers_runtime import (
    DiffusersOptions,
    generator_for,
    import_class,
    load_named,
    metered,
    model_index,
)
from tools.errors import BadInputError
from tools.media import sha256_file, write_video
from tools.schema import Candidate, GenerationJob, Keyframe, Ledger
from tools.telemetry import model_call
from tools.video.chain_of_steps import ChainOfStepsOptions, ensemble_call, ensemble_seeds

WAN_NEGATIVE = "static, blurry, distorted, deformed, jittery, low quality, watermark, text"


class DiffusersVideoOptions(DiffusersOptions):
    """Options of `diffusers:` video backends."""

    condition_strength: float = 1.0
    last_frame: bool = True  # Wan I2V: use the last keyframe as `last_image` (FLF2V)
    # Multi-seed latent ensembling: e.g. {"seeds": 3, "steps": 4}; off with the default 1 seed.
    chain_of_steps: ChainOfStepsOptions = Field(default_factory=ChainOfStepsOptions)


class DiffusersVideo:
    """Shared loading and calling; subclasses say how a family takes its inputs."""

    accepts_keyframes: ClassVar[bool] = False
    parallel_ok: ClassVar[bool] = False  # one GPU, one pipeline: candidates run in turn
    resources: ClassVar[Resources] = Resources(gpus=1, holds_model=True)
    pipeline_name: ClassVar[str] = ""
    frame_step: ClassVar[int] = 4  # num_frames = frame_step * k + 1
    side_multiple: ClassVar[int] = 16
    default_steps: ClassVar[int] = 50
    default_guidance: ClassVar[float] = 5.0

    def __init__(self, model: str, options: DiffusersVideoOptions) -> None:
        self.spec = f"diffusers:{model}"
        self.model, self.options = model, options
        self._pipe: Any = None
        self._device = "cpu"

    @property
    def pipe(self) -> Any:
        """The pipeline, loaded on first use and kept for later rounds."""
        if self._pipe is None:
            self._pipe, self._device = load_named(self.pipeline_name, self.model, self.options)
        return self._pipe

    def generate(self, job: GenerationJob, out_path: Path) -> Candidate:
        kwargs = self.call_kwargs(job)
        kwargs.update(self.conditions(job, kwargs))
        pipe = self.pipe
        ensemble = self.options.chain_of_steps
        with model_call("generate_content", self.model, "diffusers", remote=False, attributes={
                "gen_ai.output.type": "video", "gen_ai.request.seed": job.seed,
                "kinema.pipeline": self.pipeline_name,
                "kinema.diffusers.steps": kwargs["num_inference_steps"]}), \
                metered(self._device) as spent:
            output = ensemble_call(pipe, kwargs, ensemble_seeds(job.seed, ensemble), ensemble,
                                   lambda seed: generator_for(self._device, seed))
        wall, gpu = spent()
        fps = job.fps
        write_video(to_uint8_frames(output.frames[0]), out_path, fps=fps)
        return Candidate(id=job.candidate_id, round=job.round, video=str(out_path), seed=job.seed,
                         backend=self.spec, prompt=job.prompt, sha256=sha256_file(out_path),
                         cost=Ledger(generations=1, gpu_seconds=gpu, seconds=wall))

    def call_kwargs(self, job: GenerationJob) -> dict[str, Any]:
        """Arguments every family takes, fitted to what its VAE and patching require."""
        opts = self.options
        kwargs: dict[str, Any] = {
            "prompt": job.prompt,
            "negative_prompt": opts.negative_prompt if opts.negative_prompt is not None
            else WAN_NEGATIVE,
            "height": fit_side(job.height, self.side_multiple),
            "width": fit_side(job.width, self.side_multiple),
            "num_frames": fit_frames(job.num_frames, self.frame_step),
            "num_inference_steps": opts.steps or self.default_steps,
            "guidance_scale": opts.guidance if opts.guidance is not None else self.default_guidance,
            "output_type": "np",
        }
        if opts.max_sequence_length:
            kwargs["max_sequence_length"] = opts.max_sequence_length
        return kwargs

    def conditions(self, job: GenerationJob, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Family-specific keyframe conditioning (none by default)."""
        return {}


class WanTextToVideo(DiffusersVideo):
    pipeline_name = "WanPipeline"


class WanImageToVideo(DiffusersVideo):
    accepts_keyframes = True
    pipeline_name = "WanImageToVideoPipeline"

    def conditions(self, job: GenerationJob, kwargs: dict[str, Any]) -> dict[str, Any]:
        size = (kwargs["width"], kwargs["height"])
        first, last = first_and_last(job)
        if first is None:
            raise BadInputError(f"{self.spec} is an image-to-video model and needs a first frame: "
                                "use keyframes (e.g. --keyframes studio) or an init image")
        extra = {"image": load_image(first, size)}
        if last is not None and self.options.last_frame:
            extra["last_image"] = load_image(last, size)
        return extra


class CogVideoXVideo(DiffusersVideo):
    pipeline_name = "CogVideoXPipeline"
    frame_step = 8
    default_guidance = 6.0


class CogVideoXImageToVideo(CogVideoXVideo):
    accepts_keyframes = True
    pipeline_name = "CogVideoXImageToVideoPipeline"

    def conditions(self, job: GenerationJob, kwargs: dict[str, Any]) -> dict[str, Any]:
        first, _ = first_and_last(job)
        if first is None:
            raise BadInputError(f"{self.spec} is an image-to-video model and needs a first frame: "
                                "use keyframes (e.g. --keyframes studio) or an init image")
        return {"image": load_image(first, (kwargs["width"], kwargs["height"]))}


class LTXConditionVideo(DiffusersVideo):
    accepts_keyframes = True
    pipeline_name = "LTXConditionPipeline"
    frame_step = 8
    side_multiple = 32
    default_guidance = 3.0

    def conditions(self, job: GenerationJob, kwargs: dict[str, Any]) -> dict[str, Any]:
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        size, last_index = (kwargs["width"], kwargs["height"]), kwargs["num_frames"] - 1
        keyframes = [(0.0, job.init_image)] if job.init_image else []
        keyframes += [(k.t, k.image) for k in job.keyframes]
        conditions = [LTXVideoCondition(image=load_image(path, size),
                                        frame_index=min(last_index, round(t * job.fps)),
                                        strength=self.options.condition_strength)
                      for t, path in keyframes]
        return {"conditions": conditions, "frame_rate": job.fps} if conditions else {
            "frame_rate": job.fps}


FAMILIES: dict[str, type[DiffusersVideo]] = {
    "WanPipeline": WanTextToVideo,
    "WanImageToVideoPipeline": WanImageToVideo,
    "LTXPipeline": LTXConditionVideo,
    "LTXImageToVideoPipeline": LTXConditionVideo,
    "LTXConditionPipeline": LTXConditionVideo,
    "CogVideoXPipeline": CogVideoXVideo,
    "CogVideoXImageToVideoPipeline": CogVideoXImageToVideo,
}


@needs(DiffusersVideo.resources)
def diffusers_video(model: str | None = None, **options: Any) -> DiffusersVideo:
    """Factory of `diffusers:<repo-or-path>`: the family's backend, detected from its config."""
    if not model:
        raise BadInputError(
            "diffusers needs a model: e.g. diffusers:Wan-AI/Wan2.1-T2V-1.3B-Diffusers")
    parsed = DiffusersVideoOptions(**options)
    class_name = str(model_index(model, parsed.local_files_only).get("_class_name", ""))
    if parsed.pipeline_class:
        bases = [c.__name__ for c in import_class(parsed.pipeline_class).__mro__]
        class_name = next((b for b in bases if b in FAMILIES), class_name)
    family = FAMILIES.get(class_name)
    if family is None:
        raise BadInputError(f"{model!r} is a {class_name or 'unknown'} pipeline; the diffusers "
                            f"video backend runs {', '.join(sorted(FAMILIES))}")
    return family(model, parsed)


def first_and_last(job: GenerationJob) -> tuple[str | None, str | None]:
    """The first frame (init image, else earliest keyframe) and the last keyframe, if distinct."""
    ordered: list[Keyframe] = sorted(job.keyframes, key=lambda k: k.t)
    first = job.init_image or (ordered[0].image if ordered else None)
    last = ordered[-1].image if len(ordered) >= 2 or (job.init_image and ordered) else None
    return first, last


def load_image(path: str, size: tuple[int, int]) -> Any:
    from PIL import Image

    with Image.open(path) as img:
        return img.convert("RGB").resize(size)


def fit_frames(count: int, step: int) -> int:
    """The nearest `step * k + 1` frame count (k >= 1) the VAE's temporal compression accepts."""
    return step * max(1, round((count - 1) / step)) + 1


def fit_side(pixels: int, multiple: int) -> int:
    return max(multiple, multiple * round(pixels / multiple))


def to_uint8_frames(frames: Any) -> list[np.ndarray]:
    """Pipeline frames (floats in [0, 1], uint8 arrays or PIL images) as RGB uint8 arrays."""
    out = []
    for frame in frames:
        array = np.asarray(frame)
        if array.dtype != np.uint8:
            array = (np.clip(array, 0.0, 1.0) * 255).round().astype(np.uint8)
        out.append(array)
    return out
