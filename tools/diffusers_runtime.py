"""What every diffusers backend shares: the import guard, device and dtype, loading, GPU metering.

torch and diffusers are imported only inside these functions, so `import tools` (and `agent`)
stay light; a missing extra becomes a BackendUnavailable with the install hint.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.errors import BackendUnavailable, BadInputError
from tools.llm import LOCAL_HINT


class DiffusersOptions(BaseModel):
    """Options shared by the diffusers video and keyframe backends (`Context.options[role]`)."""

    model_config = ConfigDict(extra="forbid")

    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 on CUDA, float32 on CPU.")
    device: str | None = Field(None, description="cuda, cuda:1, mps or cpu; default: best here.")
    steps: int | None = Field(None, ge=1, description="Denoising steps; default: the family's.")
    guidance: float | None = Field(None, ge=0, description="CFG scale; default: the family's.")
    negative_prompt: str | None = Field(None, description="Default: the family's.")
    cpu_offload: Literal["none", "model", "sequential"] = Field(
        "none", description="model: whole models move to the GPU in turn; sequential: layers.")
    vae_tiling: bool = Field(False, description="Decode in tiles: less memory, a little slower.")
    max_sequence_length: int | None = Field(None, ge=8, description="Text tokens at most.")
    pipeline_class: str | None = Field(
        None, description="'module:Class' of a pipeline subclass to load instead of the detected "
                          "one (community or customised pipelines).")
    local_files_only: bool = Field(False, description="Never download: use the local cache.")


def import_diffusers() -> tuple[Any, Any]:
    """(torch, diffusers), or BackendUnavailable with the install hint."""
    try:
        import diffusers
        import torch
    except ImportError as exc:
        raise BackendUnavailable(
            f"diffusers backends need the local extra ({exc.name} is missing): {LOCAL_HINT}"
        ) from exc
    return torch, diffusers


def model_index(model: str, local_files_only: bool = False) -> dict[str, Any]:
    """The pipeline's `model_index.json` from a local folder or a Hub repo (a small download)."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        path = folder / "model_index.json"
        if not path.is_file():
            raise BadInputError(f"{model!r} has no model_index.json: pass a diffusers pipeline "
                                "folder (saved with save_pretrained) or a Hub repo id")
        return dict(json.loads(path.read_text(encoding="utf-8")))
    try:
        from huggingface_hub import hf_hub_download

        downloaded = hf_hub_download(model, "model_index.json", local_files_only=local_files_only)
    except Exception as exc:
        raise BackendUnavailable(f"cannot read model_index.json of {model!r} ({type(exc).__name__})"
                                 ": check the repo id, your network or HF_TOKEN") from exc
    return dict(json.loads(Path(downloaded).read_text(encoding="utf-8")))


def pick_device(requested: str | None) -> str:
    torch, _ = import_diffusers()
    if requested:
        if requested.startswith("cuda") and not torch.cuda.is_available():
            raise BackendUnavailable(f"device {requested!r} asked for, but no CUDA GPU is visible")
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(name: str, device: str) -> Any:
    torch, _ = import_diffusers()
    if name == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    return getattr(torch, name)


def import_class(target: str) -> Any:
    """`'module:Class'` -> the class (for the `pipeline_class` option)."""
    from importlib import import_module

    module_name, _, attr = target.partition(":")
    try:
        return getattr(import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise BadInputError(f"pipeline_class {target!r} cannot be imported: {exc}") from exc


def load_pipeline(cls: Any, model: str, options: DiffusersOptions) -> tuple[Any, str]:
    """Loads `cls` from `model`, placed and tuned as the options say; returns (pipe, device)."""
    device = pick_device(options.device)
    dtype = pick_dtype(options.dtype, device)
    from diffusers.utils import deprecation_utils

    # Newer diffusers name it `dtype` and deprecate `torch_dtype`; older ones know only that one.
    renamed = hasattr(deprecation_utils, "_TORCH_DTYPE_DEPRECATION_MESSAGE")
    dtype_arg = "dtype" if renamed else "torch_dtype"
    pipe = cls.from_pretrained(model, local_files_only=options.local_files_only,
                               **{dtype_arg: dtype})
    if options.cpu_offload == "model" and device.startswith("cuda"):
        pipe.enable_model_cpu_offload(device=device)
    elif options.cpu_offload == "sequential" and device.startswith("cuda"):
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
    if options.vae_tiling and hasattr(pipe.vae, "enable_tiling"):
        pipe.vae.enable_tiling()
    pipe.set_progress_bar_config(disable=True)
    return pipe, device


def load_named(class_name: str, model: str, options: DiffusersOptions) -> tuple[Any, str]:
    """Loads the pipeline class the options name, else diffusers' `class_name`; (pipe, device)."""
    _, diffusers = import_diffusers()
    cls = (import_class(options.pipeline_class) if options.pipeline_class
           else getattr(diffusers, class_name))
    return load_pipeline(cls, model, options)


@contextmanager
def metered(device: str) -> Iterator[Callable[[], tuple[float, float]]]:
    """Times a block; the callable returns (wall seconds, GPU seconds: wall when on CUDA, else 0).

    GPU time is the wall time of the call with the device synchronised at both ends, which is
    what a rented GPU bills; on a CPU nothing is metered as GPU time.
    """
    torch, _ = import_diffusers()
    on_gpu = device.startswith("cuda") and torch.cuda.is_available()
    if on_gpu:
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    result = [0.0, 0.0]
    yield lambda: (result[0], result[1])
    if on_gpu:
        torch.cuda.synchronize(device)
    result[0] = time.perf_counter() - started
    result[1] = result[0] if on_gpu else 0.0


def generator_for(device: str, seed: int) -> Any:
    torch, _ = import_diffusers()
    return torch.Generator(device="cpu" if device.startswith("mps") else device).manual_seed(seed)
