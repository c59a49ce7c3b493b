"""Salvaging JSON from model answers: code fences, chatter around the object, truncation.

Models asked for JSON without a provider-enforced schema often wrap it in prose or Markdown fences,
leave a trailing comma, or stop mid-object when they hit their token limit. These repairs are
purely syntactic; whether the result means anything is decided by the pydantic model it is
validated against, never here.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json)?\s*(.*?)(?:```|$)", re.S | re.I)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def extract_json(text: str) -> Any:
    """The JSON value in `text`, repaired if needed.

    Raises:
        ValueError: when no JSON object can be recovered.
    """
    candidate = _strip_wrapping(text)
    for attempt in (candidate, _close_truncated(candidate)):
        try:
            return json.loads(_TRAILING_COMMA.sub(r"\1", attempt))
        except json.JSONDecodeError:
            continue
    raise ValueError(f"no JSON object in the answer (starts {text[:60]!r})")


def _strip_wrapping(text: str) -> str:
    """Drops Markdown fences and prose before the first `{` (or `[`)."""
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    starts = [i for i in (body.find("{"), body.find("[")) if i >= 0]
    if not starts:
        raise ValueError(f"no JSON object in the answer (starts {text[:60]!r})")
    body = body[min(starts):]
    end = max(body.rfind("}"), body.rfind("]"))
    complete = end >= 0 and _balanced(body[: end + 1])
    return body[: end + 1] if complete else body.strip()


def _balanced(text: str) -> bool:
    stack, in_string = _open_brackets(text)
    return not stack and not in_string


def _open_brackets(text: str) -> tuple[list[str], bool]:
    """The brackets still open at the end of `text`, and whether a string is still open."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]" and stack:
            stack.pop()
    return stack, in_string


def _close_truncated(text: str) -> str:
    """Closes what a cut-off answer left open, dropping a dangling key or partial value."""
    stack, in_string = _open_brackets(text)
    repaired = text + ('"' if in_string else "")
    repaired = re.sub(r',\s*"[^"]*"\s*:?\s*$', "", repaired)  # a key with no value
    repaired = re.sub(r"[,:]\s*$", "", repaired.rstrip())
    return repaired + "".join(reversed(stack))
