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
from tools.redact import redact_text
from tools.schema import Ledger
from tools.telemetry import bare_model, model_call, provider_name, record_usage

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
    preflight: bool = Field(True, description="Before a run, require the model to be in "
                            "litellm's model table; turn off for a model newer than the table.")


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


def model_known(model: str) -> bool:
    """Whether litellm's model table (or a registered custom provider) knows `model`."""
    litellm = _litellm()
    custom = {str(p.get("provider")) for p in getattr(litellm, "custom_provider_map", []) or []}
    if model.split("/", 1)[0] in custom:
        return True
    table = litellm.model_cost
    if model in table or model.split("/", 1)[-1] in table:
        return True
    try:
        litellm.get_model_info(model)
    except Exception:  # litellm raises plain Exceptions for a model it does not know
        return False
    return True


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
            with self._model_call() as span:
                response = self._complete(messages, schema, spent)
                cost = usage_cost(response)
                record_usage(span, response, input_tokens=cost.input_tokens,
                             output_tokens=cost.output_tokens)
                span.set_attribute("kinema.cost.usd", cost.usd)
            spent = spent + cost
            text = answer_text(response)
            try:
                return parse_answer(schema, text), spent
            except ValueError as exc:
                if attempt == self.options.max_repairs:
                    raise MalformedAnswer(f"{self.model} gave no valid {schema.__name__}: "
                                          f"{_short(exc)}", spent) from exc
                _reask_event(attempt + 1, exc, spent)
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

    def _model_call(self) -> Any:
        """The GenAI span of one completion (its retries are events on it)."""
        return model_call("chat", bare_model(self.model, self.provider),
                          provider_name(self.provider), attributes={
                              "gen_ai.output.type": "json",
                              "gen_ai.request.temperature": self.options.temperature,
                              "gen_ai.request.max_tokens": self.options.max_tokens})


def with_retries(options: LLMOptions, fn: Any, *,
                 retry_on: tuple[type[Exception], ...] | None = None, **kwargs: Any) -> Any:
    """`fn(**kwargs)`, retried on transient errors with jittered exponential backoff, bounded.

    A server's `Retry-After` is honoured up to `backoff_max_s`. Each retry is an event on the
    span in progress (the backend call's): which attempt failed, with what error, and how long
    the wait before the next one is. The last transient error is re-raised once the attempts
    are spent; others pass at once. `retry_on` narrows what counts as transient (a job
    submission that timed out may have created a paid job, so it is not retried).
    """
    from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
    from tenacity import wait_random_exponential as jittered

    backoff = jittered(multiplier=options.backoff_s, max=options.backoff_max_s)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return min(max(backoff(state), retry_after_s(error) or 0.0), options.backoff_max_s)

    retrying = Retrying(
        stop=stop_after_attempt(options.max_retries + 1),
        wait=wait,
        retry=retry_if_exception_type(retry_on or transient_errors()),
        before_sleep=_retry_event(getattr(fn, "__name__", "call")),
        reraise=True,
    )
    return retrying(fn, **kwargs)


def _retry_event(call: str) -> Any:
    def record(state: Any) -> None:
        from opentelemetry import trace

        error = state.outcome.exception() if state.outcome else None
        wait_s = state.next_action.sleep if state.next_action else 0.0
        trace.get_current_span().add_event("retry", {
            "call": call,
            "attempt": state.attempt_number,
            "error.type": type(error).__name__ if error else "",
            "error.message": _short(error, 200) if error else "",
            "wait_s": round(float(wait_s), 3),
        })

    return record


def retry_after_s(error: BaseException | None) -> float | None:
    """Seconds a server asked to wait (`Retry-After`, in seconds), when the error carries it."""
    if error is None:
        return None
    response = getattr(error, "response", None)
    for headers in (getattr(error, "litellm_response_headers", None),
                    getattr(error, "headers", None), getattr(response, "headers", None)):
        try:
            value = headers.get("retry-after") if headers is not None else None
        except Exception:  # a mock response without real headers
            value = None
        if value is not None:
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


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


def answer_text(response: Any) -> str:
    """The text of a chat response; empty when a broken response has no choices or message."""
    try:
        return str(response.choices[0].message.content or "")
    except (AttributeError, IndexError, TypeError):
        return ""


def _reask_event(attempt: int, exc: Exception, spent: Ledger) -> None:
    """A re-ask is a paid retry: recorded on the span with what the run has paid so far."""
    from opentelemetry import trace

    trace.get_current_span().add_event("reask", {
        "attempt": attempt, "error.type": type(exc).__name__,
        "error.message": _short(exc, 200), "spent_usd": spent.usd,
        "spent_tokens": spent.input_tokens + spent.output_tokens})


def _reask(schema: type[BaseModel], exc: Exception) -> str:
    return (f"That answer is not a valid {schema.__name__} object ({_short(exc)}). Reply again "
            "with only the complete, corrected JSON object.")


def _short(exc: BaseException, limit: int = 300) -> str:
    """An error's text on one line, shortened, with secrets a provider echoed redacted."""
    text = redact_text(" ".join(str(exc).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
