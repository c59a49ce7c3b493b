"""Model-call spans, named and attributed by OpenTelemetry's GenAI semantic conventions.

Every call to a model (a chat completion, an image or a video job, a local diffusers pipeline)
is its own span: named `{gen_ai.operation.name} {gen_ai.request.model}` (`chat gpt-4o`,
`generate_content sora-2`), kind CLIENT for a remote model and INTERNAL for one running in
this process, with `gen_ai.provider.name` in the conventions' spelling (`openai`, `gcp.gemini`,
`aws.bedrock`) and the model without litellm's routing prefix (`gpt-4o`, not `openai/gpt-4o`).
Token usage, response ids and retries (span events) land on it, so any GenAI-aware tracing
backend reads Kinema's model calls like any other.

Spans start on the tracer provider the agent chose (`use_provider`: the application's own, or
Kinema's), else on the global one, so `tools` stays usable without `agent`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from tools.redact import redact_text

# litellm's provider names → the GenAI conventions' `gen_ai.provider.name` values.
PROVIDER_NAMES: dict[str, str] = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "azure": "azure.ai.openai",
    "azure_ai": "azure.ai.inference",
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "vertex_ai_beta": "gcp.vertex_ai",
    "anthropic": "anthropic",
    "bedrock": "aws.bedrock",
    "bedrock_converse": "aws.bedrock",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "mistral": "mistral_ai",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "x_ai",
    "perplexity": "perplexity",
    "watsonx": "ibm.watsonx.ai",
}

_provider: Any = None


def use_provider(provider: Any) -> None:
    """Where model-call spans start from now on (the agent sets the provider it traces with)."""
    global _provider
    _provider = provider


def tracer() -> trace.Tracer:
    from tools import __version__

    if _provider is not None:
        return _provider.get_tracer("kinema", __version__)
    return trace.get_tracer("kinema", __version__)


def provider_name(litellm_provider: str) -> str:
    """`gen_ai.provider.name` for a litellm provider (its own name when the conventions have
    none, e.g. `ollama`)."""
    return PROVIDER_NAMES.get(litellm_provider, litellm_provider or "unknown")


def bare_model(model: str, litellm_provider: str) -> str:
    """The model's name without litellm's routing prefix (`openai/gpt-4o` → `gpt-4o`)."""
    prefix = f"{litellm_provider}/"
    return model[len(prefix):] if litellm_provider and model.startswith(prefix) else model


@contextmanager
def model_call(operation: str, model: str, provider: str, *, remote: bool = True,
               attributes: Mapping[str, Any] | None = None) -> Iterator[Span]:
    """A span around one model call; an exception marks it failed (type and redacted text).

    Args:
        operation: `chat`, `generate_content`, ... (`gen_ai.operation.name`).
        model: the model as the provider names it (`gen_ai.request.model`).
        provider: `gen_ai.provider.name`.
        remote: CLIENT for a model behind an API, INTERNAL for one in this process.
        attributes: more attributes (`gen_ai.output.type`, `gen_ai.request.seed`, ...).
    """
    attrs: dict[str, Any] = {"gen_ai.operation.name": operation,
                             "gen_ai.provider.name": provider, "gen_ai.request.model": model}
    attrs.update({k: v for k, v in (attributes or {}).items() if v is not None})
    kind = SpanKind.CLIENT if remote else SpanKind.INTERNAL
    with tracer().start_as_current_span(f"{operation} {model}", kind=kind, attributes=attrs,
                                        record_exception=False,
                                        set_status_on_exception=False) as span:
        try:
            yield span
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__name__)
            span.set_status(Status(StatusCode.ERROR, redact_text(" ".join(str(exc).split()))[:300]))
            raise


def record_usage(span: Span, response: Any, *, input_tokens: int = 0,
                 output_tokens: int = 0) -> None:
    """Usage and response attributes of one model response on its span."""
    span.set_attribute("gen_ai.usage.input_tokens", int(input_tokens))
    span.set_attribute("gen_ai.usage.output_tokens", int(output_tokens))
    response_id = getattr(response, "id", None)
    if isinstance(response_id, str) and response_id:
        span.set_attribute("gen_ai.response.id", response_id)
    response_model = getattr(response, "model", None)
    if isinstance(response_model, str) and response_model:
        span.set_attribute("gen_ai.response.model", response_model)
    reasons = [str(getattr(c, "finish_reason", "") or "")
               for c in getattr(response, "choices", None) or []]
    if any(reasons):
        span.set_attribute("gen_ai.response.finish_reasons", [r for r in reasons if r])
