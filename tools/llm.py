"""The litellm layer every model-backed role goes through: structured answers, cost, retries, spans.

One `LLMClient` per backend. `ask(schema, system, user, images)` returns a validated pydantic
object and the Ledger of everything the call cost (retries and re-asks included), or raises:
- `BackendUnavailable` / `KinemaError` for what the user must fix (no API key, unknown model,
  a request the provider rejects) — fast, no retries;
- `ModelCallFailed` (not a KinemaError: a model failing is data for the loop) once transient
  errors outlast the bounded retries, or `MalformedAnswer` when repairs and re-asks still do not
  give an object the schema accepts. Both carry the cost already spent.

Secrets never leave this module: keys are read by litellm from the environment, and neither
messages nor spans nor errors include them.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.errors import BackendUnavailable, KinemaError
from tools.jsonrepair import extract_json
from tools.schema import Ledger

# litellm fetches a remote price map at import unless told otherwise; tools may be used without
# `agent`, so this module sets it too (a user's own choice wins).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

T = TypeVar("T", bound=BaseModel)
ImageLike = str | Path | np.ndarray
LOCAL_HINT = "pip install 'kinema[local]'"


class LLMOptions(BaseModel):
    """Options shared by every litellm-backed role (`Context.options[role]`)."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(120.0, gt=0, description="Seconds one request may take.")
    max_retries: int = Field(3, ge=0, le=10, description="Retries of transient errors.")
    max_repairs: int = Field(1, ge=0, le=5, description="Re-asks after a malformed answer.")
    backoff_s: float = Field(1.0, ge=0, description="First retry wait; doubles, with jitter.")
    backoff_max_s: float = Field(30.0, ge=0, description="Longest wait between retries.")
    temperature: float | None = Field(0.2, ge=0, le=2)
    max_tokens: int | None = Field(4096, ge=1, description="Completion tokens per request.")
    api_base: str | None = Field(None, description="Endpoint, e.g. http://localhost:11434.")


class ModelCallFailed(Exception):
    """The model could not produce an answer (transient errors outlasted the retries)."""

    def __init__(self, message: str, cost: Ledger) -> None:
        super().__init__(message)
        self.cost = cost


class MalformedAnswer(ModelCallFailed):
    """The model answered, but not with an object the schema accepts, even after repair."""


def _litellm() -> Any:
    try:
        import litellm
    except ImportError as exc:  # a core dependency, but an install can still be broken
        raise BackendUnavailable(f"litellm is not installed: pip install kinema ({exc})") from exc
    litellm.suppress_debug_info = True
    return litellm


def provider_of(model: str) -> str:
    """The litellm provider of `model` ('openai', 'gemini', 'ollama', or a custom one)."""
    try:
        return str(_litellm().get_llm_provider(model)[1])
    except Exception:
        return model.split("/", 1)[0] if "/" in model else "unknown"


def missing_keys(model: str) -> list[str]:
    """Environment variables `model` needs and the environment lacks (empty: good to go).

    `*_API_BASE` variables are left out: providers such as Ollama have a usable local default.
    """
    try:
        report = _litellm().validate_environment(model)
    except Exception:
        return []
    return [k for k in report.get("missing_keys", []) if not k.endswith("_API_BASE")]


def require_keys(model: str, instead: str) -> None:
    """Fails fast, naming the variable to set, when `model`'s API key is missing."""
    keys = missing_keys(model)
    if keys:
        raise BackendUnavailable(f"no API key for {model}: set {' or '.join(keys)} or {instead}")


def image_part(image: ImageLike, max_side: int | None = None) -> dict[str, Any]:
    """An OpenAI-style image content part holding the image as a base64 data URL."""
    from PIL import Image

    pil = Image.open(image).convert("RGB") if isinstance(image, str | Path) else Image.fromarray(
        np.asarray(image, dtype=np.uint8))
    if max_side and max(pil.size) > max_side:
        pil.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    pil.save(buffer, format="JPEG", quality=90)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{data}"}}


def delimit(tag: str, text: str) -> str:
    """User text as data: inside `<tag>` delimiters it cannot close early."""
    safe = text.replace(f"</{tag}>", f"</ {tag}>")
    return f"<{tag}>\n{safe}\n</{tag}>"


def usage_cost(response: Any) -> Ledger:
    """Tokens and USD of one litellm response (USD 0 when litellm has no price for the model)."""
    usage = getattr(response, "usage", None)
    hidden = getattr(response, "_hidden_params", None) or {}
    try:
        usd = float(hidden.get("response_cost")
                    or _litellm().completion_cost(completion_response=response) or 0.0)
    except Exception:  # unpriced models (local, custom providers) cost what we know: nothing
        usd = 0.0
    return Ledger(
        usd=max(usd, 0.0),
        # chat responses count prompt/completion tokens; image responses input/output tokens
        input_tokens=int(getattr(usage, "prompt_tokens", 0) or getattr(usage, "input_tokens", 0)
                         or 0),
        output_tokens=int(getattr(usage, "completion_tokens", 0)
                          or getattr(usage, "output_tokens", 0) or 0),
    )


class LLMClient:
    """Structured calls to one litellm model with retries, repairs, cost and span attributes."""

    def __init__(self, model: str, options: LLMOptions, instead: str) -> None:
        """`instead` completes error messages: what the user can choose when this cannot run."""
        if not model:
            raise KinemaError(f"a litellm backend needs a model, e.g. litellm:gpt-4o ({instead})")
        self.model, self.options, self.instead = model, options, instead
        self.provider = provider_of(model)
        require_keys(model, instead)

    def ask(self, schema: type[T], system: str, user: str,
            images: Sequence[ImageLike] = (), max_side: int | None = None) -> tuple[T, Ledger]:
        """Asks for one `schema` object; see the module docstring for what it raises."""
        content: list[dict[str, Any]] = [{"type": "text", "text": user}]
        content += [image_part(i, max_side) for i in images]
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self._system(system, schema)},
            {"role": "user", "content": content if images else user},
        ]
        spent = Ledger()
        for attempt in range(self.options.max_repairs + 1):
            response = self._complete(messages, schema, spent)
            spent = spent + usage_cost(response)
            self._annotate_span(response, spent)
            text = response.choices[0].message.content or ""
            try:
                return parse_answer(schema, text), spent
            except ValueError as exc:
                if attempt == self.options.max_repairs:
                    raise MalformedAnswer(f"{self.model} gave no valid {schema.__name__}: "
                                          f"{_short(exc)}", spent) from exc
                messages += [{"role": "assistant", "content": text},
                             {"role": "user", "content": _reask(schema, exc)}]
        raise AssertionError("unreachable")

    def native_schema(self) -> bool:
        """Whether the provider enforces a JSON schema itself (`response_format`)."""
        try:
            return bool(_litellm().supports_response_schema(model=self.model))
        except Exception:
            return False

    def _system(self, system: str, schema: type[BaseModel]) -> str:
        if self.native_schema():
            return system
        import json

        return (f"{system}\n\nAnswer with one JSON object and nothing else, valid against this "
                f"JSON schema:\n{json.dumps(schema.model_json_schema())}")

    def _complete(self, messages: list[dict[str, Any]], schema: type[BaseModel],
                  spent: Ledger) -> Any:
        """One completion, retried on transient errors with jittered exponential backoff."""
        try:
            return with_retries(self.options, _litellm().completion,
                                **self._request(messages, schema))
        except transient_errors() as exc:
            raise ModelCallFailed(f"{self.model} failed after {self.options.max_retries + 1} "
                                  f"attempts: {type(exc).__name__}: {_short(exc)}", spent) from exc
        except permanent_errors() as exc:
            raise self._permanent(exc) from exc

    def _request(self, messages: list[dict[str, Any]], schema: type[BaseModel]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model, "messages": messages, "timeout": self.options.timeout_s,
            "num_retries": 0,  # tenacity retries, so attempts and waits are ours to bound
        }
        if self.native_schema():
            # Not strict: strict schemas forbid optional fields, and drafts have defaults.
            request["response_format"] = {"type": "json_schema", "json_schema": {
                "name": schema.__name__, "schema": schema.model_json_schema(), "strict": False}}
        if self.options.temperature is not None:
            request["temperature"] = self.options.temperature
        if self.options.max_tokens is not None:
            request["max_tokens"] = self.options.max_tokens
        if self.options.api_base:
            request["api_base"] = self.options.api_base
        return request

    def _permanent(self, exc: Exception) -> KinemaError:
        litellm = _litellm()
        if isinstance(exc, litellm.AuthenticationError | litellm.PermissionDeniedError):
            keys = missing_keys(self.model) or [f"{self.provider.upper()}_API_KEY"]
            return BackendUnavailable(f"no valid API key for {self.model}: set "
                                      f"{' or '.join(keys)} or {self.instead}")
        if isinstance(exc, litellm.NotFoundError):
            return BackendUnavailable(f"model {self.model!r} not found at {self.provider}: "
                                      f"check its name or {self.instead}")
        return KinemaError(f"{self.model} rejected the request ({type(exc).__name__}: "
                           f"{_short(exc)}): {self.instead}")

    def _annotate_span(self, response: Any, spent: Ledger) -> None:
        """GenAI semantic-convention attributes on the span the agent opened around the call."""
        from opentelemetry import trace

        span = trace.get_current_span()
        span.set_attributes({
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": self.provider,
            "gen_ai.request.model": self.model,
            "gen_ai.response.model": str(getattr(response, "model", "") or self.model),
            "gen_ai.usage.input_tokens": spent.input_tokens,
            "gen_ai.usage.output_tokens": spent.output_tokens,
            "kinema.cost.llm_usd": spent.usd,
        })


def with_retries(options: LLMOptions, fn: Any, **kwargs: Any) -> Any:
    """`fn(**kwargs)`, retried on transient errors with jittered exponential backoff, bounded.

    The last transient error is re-raised once the attempts are spent; others pass at once.
    """
    from tenacity import Retrying, retry_if_exception_type, stop_after_attempt
    from tenacity import wait_random_exponential as jittered

    retrying = Retrying(
        stop=stop_after_attempt(options.max_retries + 1),
        wait=jittered(multiplier=options.backoff_s, max=options.backoff_max_s),
        retry=retry_if_exception_type(transient_errors()),
        reraise=True,
    )
    return retrying(fn, **kwargs)


def parse_answer(schema: type[T], text: str) -> T:
    """Validates a model's text against `schema`, repairing JSON syntax first.

    Raises:
        ValueError: no JSON, or JSON the schema rejects (ValidationError is a ValueError).
    """
    try:
        return schema.model_validate_json(text)
    except ValidationError:
        pass
    return schema.model_validate(extract_json(text))


def transient_errors() -> tuple[type[Exception], ...]:
    """Errors worth retrying: the provider may answer next time."""
    litellm = _litellm()
    return (litellm.RateLimitError, litellm.Timeout, litellm.APIConnectionError,
            litellm.InternalServerError, litellm.ServiceUnavailableError,
            litellm.BadGatewayError)


def permanent_errors() -> tuple[type[Exception], ...]:
    """Errors a retry cannot fix: the user must change a key, a model name or the request."""
    litellm = _litellm()
    return (litellm.AuthenticationError, litellm.PermissionDeniedError, litellm.NotFoundError,
            litellm.BadRequestError, litellm.UnprocessableEntityError)


def _reask(schema: type[BaseModel], exc: Exception) -> str:
    return (f"That answer is not a valid {schema.__name__} object ({_short(exc)}). Reply again "
            "with only the complete, corrected JSON object.")


def _short(exc: Exception, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
