"""Multi-seed latent ensembling ("Chain-of-Steps") for diffusers pipelines.

A video's coarse motion is settled in the first denoising steps, and which motion comes out
depends on the seed: seed luck. Instead of paying for K full videos and picking one (best-of-K),
K seeds are denoised for the first M steps only, their latents are combined, and one trajectory is
finished from the combination: K*M + (N-M) steps instead of K*N, and the early structure is a
consensus of K seeds rather than the luck of one.

It uses only the pipelines' public `callback_on_step_end` hook, which can read and replace the
latents after every step (Wan, LTX-Video and CogVideoX all have it):
1. each scout seed (all but the first) runs the pipeline until step M, where the callback copies
   its latents and stops the run before any decoding;
2. the first seed runs the whole pipeline; at step M its callback returns the combination of its
   own latents and the scouts' in place of its own, and the pipeline finishes from there.
The combination is the mean, rescaled to the seeds' mean norm: averaging K independent latents
shrinks their norm by up to sqrt(K), which a denoiser trained on one noise level would misread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChainOfStepsOptions(BaseModel):
    """How many seeds share the first steps, and for how many steps."""

    model_config = ConfigDict(extra="forbid")

    seeds: int = Field(1, ge=1, le=16, description="K: seeds denoised together; 1 turns it off.")
    steps: int = Field(4, ge=1, description="M: steps before their latents are combined.")


class _ScoutDone(Exception):
    """Stops a scout's pipeline run once its latents at step M are taken."""


def combine(latents: Sequence[Any]) -> Any:
    """The mean of K latents, rescaled to their mean norm (see the module docstring)."""
    import torch

    stacked = torch.stack([lat.float() for lat in latents])
    mean = stacked.mean(dim=0)
    target_norm = torch.stack([lat.norm() for lat in stacked]).mean()
    scaled = mean * (target_norm / mean.norm().clamp_min(1e-12))
    return scaled.to(latents[0].dtype)


def _capture_at(step: int, sink: list[Any]) -> Callable[..., dict[str, Any]]:
    def callback(pipe: Any, index: int, timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        if index == step - 1:
            sink.append(kwargs["latents"].detach().clone())
            raise _ScoutDone
        return {}

    return callback


def _replace_at(step: int, scouts: list[Any]) -> Callable[..., dict[str, Any]]:
    def callback(pipe: Any, index: int, timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        if index == step - 1:
            return {"latents": combine([kwargs["latents"], *scouts])}
        return {}

    return callback


def ensemble_call(pipe: Any, kwargs: dict[str, Any], seeds: Sequence[int],
                  options: ChainOfStepsOptions, generator: Callable[[int], Any]) -> Any:
    """Calls `pipe(**kwargs)` with the first M steps shared by `seeds`; returns its output.

    Args:
        pipe: a diffusers pipeline with `callback_on_step_end`.
        kwargs: the call's arguments, without `generator` or callbacks.
        seeds: the K seeds; the first one's trajectory is finished.
        options: K and M (M is clipped to leave at least one step to finish).
        generator: makes the torch generator of a seed.
    """
    total = int(kwargs.get("num_inference_steps") or 50)
    step = min(options.steps, total - 1)
    if len(seeds) < 2 or step < 1:
        return pipe(**kwargs, generator=generator(seeds[0]))
    scouts: list[Any] = []
    for seed in seeds[1:]:
        with contextlib.suppress(_ScoutDone):  # the scout stopped itself at step M
            pipe(**kwargs, generator=generator(seed),
                 callback_on_step_end=_capture_at(step, scouts),
                 callback_on_step_end_tensor_inputs=["latents"])
    return pipe(**kwargs, generator=generator(seeds[0]),
                callback_on_step_end=_replace_at(step, scouts),
                callback_on_step_end_tensor_inputs=["latents"])


SCOUT_STRIDE = 1_000_003  # a prime far above any round's seeds, so scouts never reuse a seed


def ensemble_seeds(seed: int, options: ChainOfStepsOptions) -> list[int]:
    """The K seeds of a candidate: its own first (its trajectory is finished), then its scouts."""
    return [seed + i * SCOUT_STRIDE for i in range(options.seeds)]
