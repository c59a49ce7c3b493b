"""Which backends can run here, and why not: `kinema backends` and the preflight of every run.

Checks are cheap and spend nothing: entry points are listed (not loaded), extras are found with
`importlib.util.find_spec` (torch is imported only to ask for a GPU when it is installed), API
keys are looked up by name through litellm (their values are never read out), models are looked
up in litellm's model table, and local servers (Ollama, an `api_base`) are asked whether they
answer with one short request that costs nothing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tools.base import registry, split_spec
from tools.llm import LOCAL_HINT, missing_keys, model_known, provider_of

OLLAMA_DEFAULT = "http://localhost:11434"
PROBE_TIMEOUT_S = 2.0
# Local servers are asked directly, never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# One example spec per family and role; `<...>` marks a part the user fills in.
FAMILIES: dict[str, list[str]] = {
    "planner": ["studio", "litellm:gpt-4o", "litellm:gemini/gemini-2.5-pro",
                "litellm:ollama/qwen3"],
    "refiner": ["studio", "litellm:gpt-4o", "litellm:gemini/gemini-2.5-pro",
                "litellm:ollama/qwen3"],
    "keyframes": ["studio", "none", "diffusers:<FLUX, SD3 or SDXL repo or folder>",
                  "litellm-image:gpt-image-1"],
    "video": ["studio", "diffusers:<Wan, LTX-Video or CogVideoX repo or folder>",
              "litellm-video:openai/sora-2", "litellm-video:gemini/veo-3.1-generate-preview"],
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


def check(role: str, spec: str, options: dict[str, Any] | None = None, *,
          for_run: bool = False) -> Availability:
    """Why `spec` cannot play `role` here ('' when it can).

    `for_run` is the preflight of an actual run: a diffusers model then needs no GPU (tiny
    pipelines run on a CPU), while `kinema backends` says whether the family is practical here.
    """
    scheme, model = split_spec(spec)
    if scheme not in registry.schemes(role):
        return Availability(role, spec, False, "not registered: reinstall kinema")
    reasons = _reasons(scheme, model or "", options or {}, for_run)
    return Availability(role, spec, not reasons, "; ".join(reasons))


def _reasons(scheme: str, model: str, options: dict[str, Any], for_run: bool) -> list[str]:
    if scheme == "ensemble":
        vlm_model = model.partition("+vlm:")[2]
        if not vlm_model:
            return ["an ensemble spec is '<judge>+vlm:<model>' (ensemble:kinematics+vlm:gpt-4o)"]
        return _reasons("vlm", vlm_model, options.get("vlm", {}), for_run)
    if scheme in LITELLM_SCHEMES:
        return _model_reasons(model, options)
    if scheme == "diffusers":
        missing = [m for m in ("torch", "diffusers", "transformers") if not _installed(m)]
        if missing:
            return [f"missing the local extra ({', '.join(missing)}): {LOCAL_HINT}"]
        if model and model[0] in "/.~" and not Path(model).expanduser().exists():
            return [f"no model folder at {model!r}"]
        if for_run or has_gpu():
            return []
        return ["no CUDA GPU visible (CPU runs only tiny test pipelines)"]
    return []


def _model_reasons(model: str, options: dict[str, Any]) -> list[str]:
    """A litellm model: named, its key set, known to litellm's table or its server answering."""
    if not model:
        return ["needs a model, e.g. litellm:gpt-4o"]
    keys = missing_keys(model)
    if keys:
        return [f"set {' or '.join(keys)}"]
    provider = provider_of(model)
    api_base = (options.get("api_base") or os.environ.get(f"{provider.upper()}_API_BASE")
                or os.environ.get(f"{provider.upper()}_BASE_URL"))
    if provider.startswith("ollama"):
        return _ollama_reasons(model, api_base or os.environ.get("OLLAMA_API_BASE")
                               or OLLAMA_DEFAULT)
    if api_base:
        return [] if _answers(str(api_base).rstrip("/") + "/models") else [
            f"no server answers at {api_base}: start it or fix the api_base option"]
    if provider == "unknown":
        return [f"litellm knows no provider for {model!r}: write it as provider/model"]
    if options.get("preflight", True) and not model_known(model):
        return [f"{model!r} is not in litellm's model table: check its name (for a model newer "
                "than the table, set the option preflight=false)"]
    return []


def _ollama_reasons(model: str, base: str) -> list[str]:
    """Ollama answers at `base` and has pulled `model`."""
    try:
        with _OPENER.open(base.rstrip("/") + "/api/tags", timeout=PROBE_TIMEOUT_S) as response:
            tags = json.loads(response.read() or b"{}")
    except (OSError, ValueError):
        return [f"no Ollama server answers at {base}: start `ollama serve` (or set "
                "OLLAMA_API_BASE)"]
    name = model.split("/", 1)[1] if "/" in model else model
    pulled = {str(m.get("name", "")) for m in tags.get("models", []) if isinstance(m, dict)}
    if name in pulled or f"{name}:latest" in pulled:
        return []
    return [f"Ollama at {base} has no model {name!r}: `ollama pull {name}`"]


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at `url` at all (any status counts: it is up)."""
    try:
        with _OPENER.open(url, timeout=PROBE_TIMEOUT_S):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@cache
def has_gpu() -> bool:
    if not _installed("torch"):
        return False
    import torch

    return bool(torch.cuda.is_available())
