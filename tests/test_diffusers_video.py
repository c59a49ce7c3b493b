"""`diffusers:<path>` video backends on tiny random-weight pipelines, through the registry.

Each pipeline is built in code, saved with save_pretrained and loaded by the backend with
from_pretrained; generation goes through the same VideoGenerator protocol the graph calls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("diffusers")
pytest.importorskip("torch")

from tests import spy_pipelines, tiny_pipelines
from tools.base import VideoGenerator, registry
from tools.errors import BadInputError
from tools.media import read_video, sha256_file, write_png
from tools.schema import GenerationJob, Keyframe

TINY = {"steps": 2, "max_sequence_length": 16}


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pipelines")
    return {
        "wan": tiny_pipelines.wan(root / "wan"),
        "wan_i2v": tiny_pipelines.wan(root / "wan_i2v", image_to_video=True),
        "ltx": tiny_pipelines.ltx(root / "ltx"),
        "cogvideox": tiny_pipelines.cogvideox(root / "cogvideox"),
        "cogvideox_i2v": tiny_pipelines.cogvideox(root / "cogvideox_i2v", image_to_video=True),
    }


@pytest.fixture(scope="module")
def keyframes(tmp_path_factory) -> list[Keyframe]:
    folder = tmp_path_factory.mktemp("keys")
    return [Keyframe(t=t, image=str(write_png(np.full((32, 32, 3), v, np.uint8),
                                              folder / f"k{v}.png")), description="key")
            for t, v in ((0.0, 220), (0.2, 120), (0.33, 40))]


def job(keys: list[Keyframe] | None = None, **extra) -> GenerationJob:
    return GenerationJob(candidate_id="r01c0", prompt="a red ball falls", keyframes=keys or [],
                         duration_s=9 / 24, fps=24, width=32, height=32, seed=3, **extra)


def generate(spec: str, job_: GenerationJob, out: Path, **options):
    backend = registry.resolve("video", spec, **{**TINY, **options})
    assert isinstance(backend, VideoGenerator)
    return backend, backend.generate(job_, out)


@pytest.mark.parametrize("family, cls, takes_keys", [
    ("wan", "WanTextToVideo", False), ("wan_i2v", "WanImageToVideo", True),
    ("ltx", "LTXConditionVideo", True), ("cogvideox", "CogVideoXVideo", False),
    ("cogvideox_i2v", "CogVideoXImageToVideo", True)])
def test_each_family_is_detected_and_generates_a_video(tiny_models, keyframes, tmp_path, family,
                                                       cls, takes_keys):
    backend, cand = generate(f"diffusers:{tiny_models[family]}",
                             job(keyframes if takes_keys else None), tmp_path / "c.mp4")
    assert type(backend).__name__ == cls and backend.accepts_keyframes is takes_keys
    frames, _ = read_video(cand.video)
    assert frames.shape == (9, 32, 32, 3)
    assert cand.sha256 == sha256_file(cand.video) and cand.error is None
    assert cand.cost.generations == 1 and cand.cost.gpu_seconds == 0.0  # CPU: nothing metered


def test_ltx_keyframes_become_conditions_at_their_frame_index(tiny_models, keyframes, tmp_path):
    spy = spy_pipelines.SpyLTXConditionPipeline
    spy.calls.clear()
    generate(f"diffusers:{tiny_models['ltx']}", job(keyframes), tmp_path / "c.mp4",
             pipeline_class="tests.spy_pipelines:SpyLTXConditionPipeline", condition_strength=0.8)
    conditions = spy.calls[-1]["conditions"]
    assert [c.frame_index for c in conditions] == [0, 5, 8]  # round(t * 24), clamped to 8
    assert {c.strength for c in conditions} == {0.8}
    assert [c.image.getpixel((0, 0))[0] for c in conditions] == [220, 120, 40]
    assert spy.calls[-1]["frame_rate"] == 24


def test_wan_i2v_takes_first_and_last_keyframes(tiny_models, keyframes, tmp_path):
    spy = spy_pipelines.SpyWanImageToVideoPipeline
    spy.calls.clear()
    generate(f"diffusers:{tiny_models['wan_i2v']}", job(keyframes), tmp_path / "c.mp4",
             pipeline_class="tests.spy_pipelines:SpyWanImageToVideoPipeline")
    call = spy.calls[-1]
    assert call["image"].getpixel((0, 0))[0] == 220 and call["last_image"].getpixel((0, 0))[0] == 40
    assert call["num_frames"] == 9 and call["num_inference_steps"] == 2


def test_wan_i2v_without_any_frame_asks_for_keyframes(tiny_models, tmp_path):
    with pytest.raises(BadInputError, match="needs a first frame"):
        generate(f"diffusers:{tiny_models['wan_i2v']}", job(), tmp_path / "c.mp4")


def test_pipeline_loads_once_and_is_reused_across_rounds(tiny_models, tmp_path):
    spy = spy_pipelines.SpyWanPipeline
    spy.calls.clear()
    spec, opts = f"diffusers:{tiny_models['wan']}", {
        "pipeline_class": "tests.spy_pipelines:SpyWanPipeline", "guidance": 1.0}
    first, _ = generate(spec, job(), tmp_path / "a.mp4", **opts)
    pipe = first.pipe
    second, _ = generate(spec, job(), tmp_path / "b.mp4", **opts)
    assert second is first and second.pipe is pipe and len(spy.calls) == 2
    assert spy.calls[0]["guidance_scale"] == 1.0 and spy.calls[0]["height"] == 32


def test_folder_without_a_pipeline_is_rejected(tmp_path):
    with pytest.raises(BadInputError, match=r"model_index\.json"):
        registry.resolve("video", f"diffusers:{tmp_path}")


def test_unknown_options_are_rejected(tiny_models):
    from tools.errors import BadInputError

    with pytest.raises(BadInputError, match=r"invalid option video\.stepz"):
        registry.resolve("video", f"diffusers:{tiny_models['wan']}", stepz=3)
