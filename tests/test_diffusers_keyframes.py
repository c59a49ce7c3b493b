"""`diffusers:<path>` keyframes on a tiny random-weight FLUX pipeline, through the registry."""

from __future__ import annotations

import pytest

pytest.importorskip("diffusers")

from tests import tiny_pipelines
from tools.base import KeyframeGenerator, registry
from tools.errors import BadInputError
from tools.media import read_image, sha256_file
from tools.schema import KeyframeSpec, RunRequest, ShotPlan


@pytest.fixture(scope="session")
def tiny_flux(tmp_path_factory):
    return tiny_pipelines.flux(tmp_path_factory.mktemp("flux") / "flux")


def test_flux_renders_one_png_per_keyframe(tiny_flux, tmp_path):
    backend = registry.resolve("keyframes", f"diffusers:{tiny_flux}", steps=2,
                               max_sequence_length=16, guidance=1.0)
    assert isinstance(backend, KeyframeGenerator)
    plan = ShotPlan(prompt="a ball falls", generator_prompt="a red ball falls")
    specs = [KeyframeSpec(t=0.0, description="ball held"), KeyframeSpec(t=0.5, event="contact")]
    keys = backend.render(plan, specs, RunRequest(prompt="x", width=32, height=32), tmp_path)
    assert [k.t for k in keys] == [0.0, 0.5]
    assert all(read_image(k.image).shape == (32, 32, 3) for k in keys)
    assert keys[0].sha256 == sha256_file(keys[0].image) and keys[0].source.startswith("diffusers:")
    assert keys[0].cost.gpu_seconds == 0.0  # CPU


def test_video_pipelines_are_not_keyframe_models(tmp_path):
    tiny_pipelines.cogvideox(tmp_path / "cog")
    with pytest.raises(BadInputError, match="CogVideoXPipeline"):
        registry.resolve("keyframes", f"diffusers:{tmp_path / 'cog'}")
