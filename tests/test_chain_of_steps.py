"""Chain-of-Steps latent ensembling: the protocol on a scripted pipeline, then a tiny real Wan."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

import torch

from tests import spy_pipelines, tiny_pipelines
from tools.base import registry
from tools.media import read_video
from tools.schema import GenerationJob
from tools.video.chain_of_steps import (
    SCOUT_STRIDE,
    ChainOfStepsOptions,
    combine,
    ensemble_call,
)


class ScriptedPipe:
    """A denoising loop in miniature: latents start at the seed and lose 1 per step."""

    def __init__(self) -> None:
        self.steps_run: list[tuple[int, int]] = []  # (seed, steps it ran)

    def __call__(self, num_inference_steps, generator, callback_on_step_end=None,
                 callback_on_step_end_tensor_inputs=()):
        seed = generator
        latents = torch.full((2, 2), float(seed))
        ran = 0
        try:
            for i in range(num_inference_steps):
                latents = latents - 1
                ran += 1
                if callback_on_step_end is not None:
                    out = callback_on_step_end(self, i, i, {"latents": latents})
                    latents = out.get("latents", latents)
        finally:
            self.steps_run.append((seed, ran))
        return latents


def test_scouts_stop_at_step_m_and_the_first_seed_finishes_from_the_combination():
    pipe = ScriptedPipe()
    out = ensemble_call(pipe, {"num_inference_steps": 5}, [10, 20, 30],
                        ChainOfStepsOptions(seeds=3, steps=2), generator=lambda s: s)
    assert pipe.steps_run == [(20, 2), (30, 2), (10, 5)]
    # After 2 steps the latents are 8, 18 and 28: their mean is 18 (same norm), then 3 more steps.
    assert torch.allclose(out, torch.full((2, 2), 15.0))


def test_one_seed_is_a_plain_call_and_m_leaves_a_step_to_finish():
    pipe = ScriptedPipe()
    out = ensemble_call(pipe, {"num_inference_steps": 3}, [7], ChainOfStepsOptions(seeds=1),
                        generator=lambda s: s)
    assert pipe.steps_run == [(7, 3)] and torch.allclose(out, torch.full((2, 2), 4.0))
    pipe = ScriptedPipe()
    ensemble_call(pipe, {"num_inference_steps": 3}, [7, 8], ChainOfStepsOptions(seeds=2, steps=9),
                  generator=lambda s: s)
    assert pipe.steps_run == [(8, 2), (7, 3)]


def test_combine_keeps_the_mean_norm_of_the_seeds():
    gen = torch.Generator().manual_seed(0)
    latents = [torch.randn(4, 8, generator=gen) for _ in range(4)]
    mixed = combine(latents)
    assert mixed.norm() == pytest.approx(float(torch.stack([x.norm() for x in latents]).mean()),
                                         rel=1e-5)
    assert torch.nn.functional.cosine_similarity(mixed.flatten(), torch.stack(latents).mean(0)
                                                 .flatten(), dim=0) > 0.999


@pytest.fixture(scope="module")
def tiny_wan(tmp_path_factory) -> Path:
    return tiny_pipelines.wan(tmp_path_factory.mktemp("cos") / "wan")


def test_tiny_wan_runs_k_seeds_through_the_real_callback_and_finishes_the_first(tiny_wan,
                                                                                 tmp_path):
    spy = spy_pipelines.SpyWanPipeline
    spy.calls.clear()
    backend = registry.resolve("video", f"diffusers:{tiny_wan}", steps=3, max_sequence_length=16,
                               pipeline_class="tests.spy_pipelines:SpyWanPipeline",
                               chain_of_steps={"seeds": 3, "steps": 1})
    job = GenerationJob(candidate_id="r01c0", prompt="a red ball falls", duration_s=9 / 24,
                        fps=24, width=32, height=32, seed=3)
    cand = backend.generate(job, tmp_path / "c.mp4")
    frames, _ = read_video(cand.video)
    assert cand.error is None and frames.shape == (9, 32, 32, 3)
    seeds = [call["generator"].initial_seed() for call in spy.calls]
    assert seeds == [3 + SCOUT_STRIDE, 3 + 2 * SCOUT_STRIDE, 3]  # two scouts, then the finish
    assert all(call["callback_on_step_end_tensor_inputs"] == ["latents"] for call in spy.calls)
