"""`python -m evals bench-wan`: seconds per video and peak GPU memory of the diffusers backend.

Builds a random-weight pipeline with the *real* Wan 2.1 T2V 1.3B shapes (30-layer 1536-wide
transformer, UMT5-XXL text encoder, the Wan VAE), saves it, and generates through the same
`diffusers:<path>` backend the graph calls, with and without CPU offload. Random weights make the
pixels meaningless but the compute and memory real, and need no download. `--scale tiny` runs
the same path with toy shapes, to check it on a machine without a GPU.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

SHAPES: dict[str, dict[str, Any]] = {
    "full": {  # Wan-AI/Wan2.1-T2V-1.3B-Diffusers
        "transformer": dict(num_attention_heads=12, attention_head_dim=128, ffn_dim=8960,
                            num_layers=30, text_dim=4096, freq_dim=256, rope_max_seq_len=1024),
        "text": dict(vocab_size=256384, d_model=4096, d_kv=64, d_ff=10240, num_layers=24,
                     num_heads=64, relative_attention_num_buckets=32),
        "vae": dict(base_dim=96, z_dim=16),
    },
    "tiny": {
        "transformer": dict(num_attention_heads=2, attention_head_dim=12, ffn_dim=32,
                            num_layers=2, text_dim=32, freq_dim=256, rope_max_seq_len=32),
        "text": dict(vocab_size=64, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                     relative_attention_num_buckets=8),
        "vae": dict(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1),
    },
}
WORDS = ("a", "the", "ball", "dropped", "onto", "floor", "falls", "bounces", "red", "rubber",
         "table", "rolls", "off")


def _tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", model_max_length=512)


def build_wan(folder: Path, scale: str, device: str) -> Path:
    """Saves a random-weight Wan T2V pipeline of the given shapes into `folder`."""
    from importlib import import_module

    import torch

    # Typed as Any: diffusers' and transformers' dynamic classes confuse type checkers.
    d: Any = import_module("diffusers")
    tf: Any = import_module("transformers")

    shapes = SHAPES[scale]
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    with torch.device(device):  # initialise big weights where they fit and fast
        transformer = d.WanTransformer3DModel(
            patch_size=(1, 2, 2), in_channels=16, out_channels=16, cross_attn_norm=True,
            qk_norm="rms_norm_across_heads", **shapes["transformer"]).to(dtype)
        text = tf.UMT5EncoderModel(tf.UMT5Config(**shapes["text"])).to(dtype)
        vae = d.AutoencoderKLWan(temperal_downsample=[False, True, True], **shapes["vae"])
    d.WanPipeline(tokenizer=_tokenizer(), text_encoder=text, transformer=transformer, vae=vae,
                scheduler=d.FlowMatchEulerDiscreteScheduler(shift=3.0)).save_pretrained(folder)
    del transformer, text, vae
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return folder


def _generate_once(path: Path, offload: str, args: dict[str, Any], out: Path) -> dict[str, Any]:
    import torch

    from tools.base import registry
    from tools.schema import GenerationJob

    on_gpu = torch.cuda.is_available()
    backend = registry.resolve("video", f"diffusers:{path}", cpu_offload=offload,
                               steps=args["steps"], local_files_only=True)
    job = GenerationJob(prompt="a red rubber ball falls onto the floor and bounces",
                        duration_s=args["frames"] / args["fps"], fps=args["fps"],
                        width=args["width"], height=args["height"], seed=0)
    backend.generate(job, out / f"warmup-{offload}.mp4")  # loads the pipeline, warms kernels
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    cand = backend.generate(job, out / f"video-{offload}.mp4")
    seconds = time.perf_counter() - started
    peak = torch.cuda.max_memory_allocated() / 2**30 if on_gpu else None
    return {"cpu_offload": offload, "seconds_per_video": round(seconds, 2),
            "gpu_seconds": round(cand.cost.gpu_seconds, 2),
            "peak_gpu_memory_gib": None if peak is None else round(peak, 2)}


def main(
    scale: Annotated[str, typer.Option(help="full (real 1.3B shapes) or tiny.")] = "full",
    width: Annotated[int, typer.Option(help="Frame width.")] = 832,
    height: Annotated[int, typer.Option(help="Frame height.")] = 480,
    frames: Annotated[int, typer.Option(help="Frames per video (4k+1).")] = 33,
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 16,
    steps: Annotated[int, typer.Option(help="Denoising steps.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Time the diffusers video backend on a random-weight Wan 2.1 1.3B, offloaded or not."""
    import torch

    if scale not in SHAPES:
        raise typer.BadParameter(f"--scale must be one of {', '.join(SHAPES)}")
    on_gpu = torch.cuda.is_available()
    if scale == "full" and not on_gpu:
        typer.echo("bench-wan: no CUDA device here; the Wan 2.1 1.3B benchmark needs a GPU "
                   "(run with --scale tiny to check the code path on a CPU).")
        return
    args = {"width": width, "height": height, "frames": frames, "fps": fps, "steps": steps}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = build_wan(Path(tmp) / "wan", scale, "cuda" if on_gpu else "cpu")
        for offload in ("none", "model"):
            results.append(_generate_once(path, offload, args, Path(tmp)))
    report = {"device": torch.cuda.get_device_name() if on_gpu else "cpu", "scale": scale,
              **args, "runs": results}
    typer.echo(json.dumps(report, indent=2) if as_json else _table(report))


def _table(report: dict[str, Any]) -> str:
    head = (f"Wan 2.1 T2V ({report['scale']} shapes) on {report['device']}: "
            f"{report['frames']} frames {report['width']}x{report['height']}, "
            f"{report['steps']} steps")
    rows = [f"  cpu_offload={r['cpu_offload']:<6} {r['seconds_per_video']:>8.2f} s/video  "
            f"peak GPU memory {r['peak_gpu_memory_gib']} GiB" for r in report["runs"]]
    return "\n".join([head, *rows])
