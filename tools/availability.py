"""Which backend families can run here, and why not: the data behind `kinema backends`.

Checks are cheap and side-effect free: entry points are listed (not loaded), extras are found
with `importlib.util.find_spec` (torch is imported only to ask for a GPU when it is installed),
and API keys are looked up by name through litellm — their values are never read out.
"""

from __future__ import annotations

import importlib.util
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from tools.base import registry, split_spec
from tools.llm import LOCAL_HINT, missing_keys

# One example spec per family and role; `<...>` marks a part the user fills in.
FAMILIES: dict[str, list[str]] = {
    "planner": ["studio", "litellm:gpt-4o", "litellm:gemini/gemini-2.5-pro",
                "litellm:ollama/qwen3"],
    "refiner": ["studio", "litellm:gpt-4o", "litellm:gemini/gemini-2.5-pro",
                "litellm:ollama/qwen3"],
    "keyframes": ["studio", "none", "diffusers:<FLUX, SD3 or SDXL repo or folder>",
                  "litellm-image:gpt-image-1"],
    "video": ["studio", "diffusers:<Wan, LTX-Video or CogVideoX repo or folder>",
              "litellm-video:openai/sora-2", "litellm-video:gemini/veo-3.0-generate-preview"],
    "judge": ["kinematics", "vlm:gpt-4o", "vlm:gemini/gemini-2.5-flash",
              "ensemble:kinematics+vlm:gpt-4o"],
}
LITELLM_SCHEMES = {"litellm", "litellm-image", "litellm-video", "vlm"}


@dataclass(frozen=True)
class Availability:
    """Whether one family can run here; `reason` says what is missing when it cannot."""

    role: str
    spec: str
    usable: bool
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def availability() -> list[Availability]:
    """Every listed family of every role, checked against this machine."""
    return [check(role, spec) for role, specs in FAMILIES.items() for spec in specs]


def check(role: str, spec: str) -> Availability:
    """Why `spec` cannot play `role` here ('' when it can)."""
    scheme, model = split_spec(spec)
    if scheme not in registry.schemes(role):
        return Availability(role, spec, False, "not registered: reinstall kinema")
    reasons = _reasons(scheme, model or "")
    return Availability(role, spec, not reasons, "; ".join(reasons))


def _reasons(scheme: str, model: str) -> list[str]:
    if scheme == "ensemble":
        return _reasons("vlm", model.partition("+vlm:")[2])
    if scheme in LITELLM_SCHEMES:
        keys = missing_keys(model)
        return [f"set {' or '.join(keys)}"] if keys else []
    if scheme == "diffusers":
        missing = [m for m in ("torch", "diffusers", "transformers") if not _installed(m)]
        if missing:
            return [f"missing the local extra ({', '.join(missing)}): {LOCAL_HINT}"]
        return [] if has_gpu() else ["no CUDA GPU visible (CPU runs only tiny test pipelines)"]
    return []


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@cache
def has_gpu() -> bool:
    if not _installed("torch"):
        return False
    import torch

    return bool(torch.cuda.is_available())
