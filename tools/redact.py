"""One redaction layer for everything Kinema writes or prints.

Secrets reach Kinema from the environment (the API keys litellm reads) and come back where nobody
planned them: a provider that repeats the key in an error message, an exception printed with
KINEMA_DEBUG=1, a log line. Two nets catch them: the shapes of well-known keys (`sk-...`,
`AIza...`), and the exact values of secret-looking environment variables, because a provider's
key can have any shape. Every writer (results, reports, checkpoints, traces, chat history,
stderr, logs) passes what it writes through here; `tools` holds it so backends can use it too.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from typing import Any

MASK = "[redacted]"
# Keys of mappings whose values are secrets whatever they look like. Not "token": token *counts*
# (input_tokens, max_tokens) are everywhere in Kinema's own data.
SECRET_KEY = re.compile(
    r"(api[_-]?key|secret|password|passwd|authorization|bearer|credential|private[_-]?key)", re.I)
# Environment variables whose values are treated as secrets (names as providers spell them).
SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)", re.I)
SECRET_SHAPE = re.compile(
    r"(sk-[A-Za-z0-9_\-]{12,}|AIza[0-9A-Za-z_\-]{20,}|hf_[A-Za-z0-9]{20,}|xai-[A-Za-z0-9]{20,}"
    r"|r8_[A-Za-z0-9]{20,}|gsk_[A-Za-z0-9]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|AKIA[0-9A-Z]{16}"
    r"|xox[abpr]-[A-Za-z0-9\-]{10,}|Bearer\s+[A-Za-z0-9._\-]{12,})"
)
MIN_SECRET_CHARS = 8

_registered: set[str] = set()
_registered_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Adds a secret that did not come from the environment (an `api_key` option, say)."""
    if _plausible_secret(value):
        with _registered_lock:
            _registered.add(value)


def known_secrets() -> list[str]:
    """Secret values to hide: secret-named environment variables and registered values.

    Longest first, so a secret that contains another is hidden whole.
    """
    found = {v for k, v in os.environ.items() if SECRET_ENV.search(k) and _plausible_secret(v)}
    with _registered_lock:
        found |= _registered
    return sorted(found, key=len, reverse=True)


def _plausible_secret(value: str) -> bool:
    """Rules out values that are not keys (flags, numbers, paths, URLs) so paths stay readable."""
    if len(value) < MIN_SECRET_CHARS or any(c.isspace() for c in value):
        return False
    if value[0] in "/.~" or "://" in value or value.isdigit():
        return False
    return value.lower() not in {"true", "false", "none", "null"}


def redact_text(text: str) -> str:
    """`text` with every known secret value and key-shaped string replaced by `[redacted]`."""
    for secret in known_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    return SECRET_SHAPE.sub(MASK, text)


def redact(value: Any, key: str = "") -> Any:
    """A JSON-like value with secrets hidden: by key name, by known value, by shape.

    Mappings, lists and tuples are walked; other values pass through unchanged.
    """
    if key and SECRET_KEY.search(key) and value not in (None, "", [], {}):
        return MASK
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    return value


def redact_bytes(data: bytes) -> bytes:
    """`data` with secrets overwritten by as many `*`, so length-prefixed encodings stay valid.

    Used on checkpoint blobs (msgpack), where changing a string's length would corrupt them.
    """
    for secret in known_secrets():
        raw = secret.encode("utf-8", "surrogateescape")
        if raw in data:
            data = data.replace(raw, b"*" * len(raw))
    if SECRET_SHAPE.search(data.decode("latin-1")):
        text = data.decode("latin-1")
        text = SECRET_SHAPE.sub(lambda m: "*" * len(m.group(0)), text)
        data = text.encode("latin-1")
    return data


class _RedactingRecords:
    """A log record factory that hides secrets in every record's message, whoever logs it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        if record.args or isinstance(record.msg, str):
            try:
                message = record.getMessage()
            except Exception:  # a malformed log call is the caller's; keep it as it was
                return record
            record.msg, record.args = redact_text(message), None
        return record


def install_log_redaction() -> None:
    """Routes every log record of the process (litellm's, httpx's, ours) through redaction.

    Called by the entry points that own the process (the CLI, the MCP server); idempotent.
    """
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingRecords):
        logging.setLogRecordFactory(_RedactingRecords(factory))
