"""The Wan benchmark measures the real 1.3B shapes; its code path runs here at toy size."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from evals.bench_wan import SHAPES
from evals.cli import app

pytest.importorskip("diffusers")


def test_full_shapes_are_wan_2_1_1_3b():
    import torch
    from diffusers import WanTransformer3DModel

    with torch.device("meta"):
        model = WanTransformer3DModel(patch_size=(1, 2, 2), in_channels=16, out_channels=16,
                                      cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                      **SHAPES["full"]["transformer"])
    params = sum(p.numel() for p in model.parameters())
    assert 1.3e9 < params < 1.5e9


def test_without_a_gpu_the_full_benchmark_says_so():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    res = CliRunner().invoke(app, ["bench-wan"])
    assert res.exit_code == 0 and "needs a GPU" in res.output


@pytest.mark.slow
def test_tiny_scale_runs_through_the_backend_with_and_without_offload():
    res = CliRunner().invoke(app, ["bench-wan", "--scale", "tiny", "--width", "64", "--height",
                                   "64", "--frames", "9", "--steps", "2", "--json"])
    assert res.exit_code == 0, res.output
    assert '"cpu_offload": "model"' in res.output
