"""The one message every studio backend gives for a prompt it cannot simulate."""

from __future__ import annotations

REAL_GENERATORS = (
    "--video diffusers:Wan-AI/Wan2.1-T2V-1.3B-Diffusers or --video litellm-video:sora-2"
)


def unsupported_message(prompt: str) -> str:
    """Says what failed and what to run instead."""
    short = prompt if len(prompt) <= 80 else prompt[:77] + "..."
    return (
        f"the offline studio cannot simulate {short!r}; use a real generator, "
        f"e.g. {REAL_GENERATORS}"
    )
