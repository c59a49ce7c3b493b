"""The messages every studio backend gives about what it cannot simulate."""

from __future__ import annotations

REAL_GENERATORS = (
    "--video diffusers:Wan-AI/Wan2.1-T2V-1.3B-Diffusers or --video litellm-video:sora-2"
)


def unsupported_message(prompt: str, ignored: list[str] | None = None) -> str:
    """Says what could not be simulated and what to run instead."""
    short = prompt if len(prompt) <= 80 else prompt[:77] + "..."
    what = (f" ({', '.join(ignored[:6])}: nothing the studio's rigid bodies can stand in for)"
            if ignored else "")
    return (
        f"the offline studio cannot simulate {short!r}{what}; a real generator makes it from the "
        f"text, e.g. {REAL_GENERATORS}"
    )


def ignored_note(ignored: list[str]) -> str:
    """The plan's note when the scene leaves words of the prompt out."""
    return ("the studio's scene leaves out: " + ", ".join(ignored)
            + " (a real generator sees them in the prompt)")
