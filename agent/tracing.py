"""OpenTelemetry for runs, the host's way: one span per run, node, backend call and model call.

Where the spans go:
- an application that has set a global TracerProvider gets them (its sampler, exporters and
  resource), the run's root span nested under whatever span is current;
- otherwise Kinema's own provider, configured from the standard `OTEL_*` variables at every
  entry point (CLI, API, chat, MCP, tool, graphs): `OTEL_SERVICE_NAME`,
  `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`...;
- and in both cases each run's own spans are also written, as OTLP-JSON lines, to
  `RUN_DIR/trace.jsonl` (a `RunFiles` processor routes them), which `kinema trace` reads.

The root span follows the GenAI agent conventions (`invoke_agent kinema`); model calls are
GenAI spans made in `tools.telemetry`. Node spans are parented explicitly on the run's spans
rather than on whatever is current, because LangGraph may run nodes on worker threads.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import (
    NoOpTracerProvider,
    ProxyTracerProvider,
    Span,
    Status,
    StatusCode,
)

from tools import __version__
from tools.errors import BadInputError
from tools.redact import SECRET_KEY, redact_text
from tools.telemetry import use_provider

TRACE_FILE = "trace.jsonl"


def redact(key: str, value: Any) -> Any:
    """Hides secrets by key name, by known value or by the shape of well-known API keys."""
    if SECRET_KEY.search(key):
        return "[redacted]"
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list | tuple):
        return [redact_text(v) if isinstance(v, str) else v for v in value]
    return value


def _otlp_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return {"arrayValue": {"values": [_otlp_value(v) for v in value]}}
    return {"stringValue": str(value)}


def _otlp_attributes(attributes: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [{"key": k, "value": _otlp_value(redact(k, v))} for k, v in (attributes or {}).items()]


def span_to_otlp(span: ReadableSpan) -> dict[str, Any]:
    """One span as an OTLP-JSON `resourceSpans` record (hex ids, as the OTLP file format has)."""
    ctx = span.get_span_context()
    assert ctx is not None
    record: dict[str, Any] = {
        "traceId": f"{ctx.trace_id:032x}",
        "spanId": f"{ctx.span_id:016x}",
        "name": span.name,
        "kind": int(span.kind.value) + 1,
        "startTimeUnixNano": str(span.start_time),
        "endTimeUnixNano": str(span.end_time),
        "attributes": _otlp_attributes(span.attributes),
        "events": [
            {"timeUnixNano": str(e.timestamp), "name": e.name,
             "attributes": _otlp_attributes(e.attributes)}
            for e in span.events
        ],
        "status": {"code": int(span.status.status_code.value)},
    }
    if span.parent is not None:
        record["parentSpanId"] = f"{span.parent.span_id:016x}"
    if span.status.description:
        record["status"]["message"] = redact("", span.status.description)
    return {
        "resourceSpans": [{
            "resource": {"attributes": _otlp_attributes(span.resource.attributes)},
            "scopeSpans": [{"scope": {"name": _scope(span)}, "spans": [record]}],
        }]
    }


def _scope(span: ReadableSpan) -> str:
    scope = span.instrumentation_scope
    return scope.name if scope is not None else "kinema"


class JsonlSpanExporter(SpanExporter):
    """Appends each finished span to a file as one OTLP-JSON line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Appends whole lines or nothing: a full disk cuts the file back to its last line.

        A span that cannot be written is lost, not the run: the trace is a record of the run,
        and the run's own files say where it stands.
        """
        lines = "".join(json.dumps(span_to_otlp(s), separators=(",", ":")) + "\n" for s in spans)
        data = lines.encode("utf-8")
        with self._lock:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            except OSError:
                return SpanExportResult.FAILURE
            size = os.fstat(fd).st_size
            try:
                while data:
                    data = data[os.write(fd, data):]
            except OSError:
                os.ftruncate(fd, size)
                return SpanExportResult.FAILURE
            finally:
                os.close(fd)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


ROOT_SPAN = "invoke_agent kinema"


class RunFiles(SpanProcessor):
    """Routes each finished span to the processors of the run it belongs to.

    A span belongs to a run when it is the run's root (it carries `kinema.run_id`) or its parent
    belongs to it, so the spans of model calls made deep inside a backend reach the run's
    `trace.jsonl` too, while the application's own spans on the same provider do not.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: dict[int, str] = {}
        self._runs: dict[str, list[SpanProcessor]] = {}

    def add_run(self, run_id: str, processors: list[SpanProcessor]) -> None:
        with self._lock:
            self._runs[run_id] = processors

    def remove_run(self, run_id: str) -> None:
        with self._lock:
            processors = self._runs.pop(run_id, [])
            self._owner = {k: v for k, v in self._owner.items() if v != run_id}
        for processor in processors:
            processor.shutdown()

    def owner(self, span: Span) -> str | None:
        """The run a live span belongs to, if any."""
        with self._lock:
            return self._owner.get(span.get_span_context().span_id)

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        run_id = (span.attributes or {}).get("kinema.run_id")
        with self._lock:
            if run_id is None and span.parent is not None:
                run_id = self._owner.get(span.parent.span_id)
            if isinstance(run_id, str) and run_id in self._runs:
                self._owner[span.context.span_id] = run_id

    def on_end(self, span: ReadableSpan) -> None:
        context = span.get_span_context()
        with self._lock:
            run_id = self._owner.pop(context.span_id, None) if context else None
            processors = list(self._runs.get(run_id, [])) if run_id else []
        for processor in processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class _Tracing:
    """The provider spans go to, chosen the host's way, and the router of run files on it."""

    def __init__(self, provider: Any, files: RunFiles | None, owned: bool) -> None:
        self.provider, self.files, self.owned = provider, files, owned


_hosts: list[_Tracing] = []
_own: dict[tuple[tuple[str, str], ...], _Tracing] = {}
_choice_lock = threading.Lock()


def _choose() -> _Tracing:
    """The application's TracerProvider when it has set one, else Kinema's from `OTEL_*`.

    A provider set by the application gets one `RunFiles` processor (once), so runs still
    write their `trace.jsonl`; its sampler, exporters and resource are the application's. A
    provider without `add_span_processor` (not the SDK's) gets the spans but no run files.
    """
    current = trace.get_tracer_provider()
    with _choice_lock:
        if not isinstance(current, ProxyTracerProvider | NoOpTracerProvider):
            for known in _hosts:
                if known.provider is current:
                    return known
            files: RunFiles | None = None
            if hasattr(current, "add_span_processor"):
                files = RunFiles()
                current.add_span_processor(files)
            chosen = _Tracing(current, files, owned=False)
            _hosts.append(chosen)
            return chosen
        key = _otel_environment()
        if key not in _own:
            _own[key] = _own_tracing()
        return _own[key]


def _otel_environment() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("OTEL_")))


def _own_tracing() -> _Tracing:
    """Kinema's provider, configured from the standard variables like the SDK's own setup:
    `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` name the resource (service `kinema`
    unless they say otherwise), `OTEL_TRACES_EXPORTER` chooses exporters, and
    `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT` (with its headers, timeout and protocol variables)
    sends spans to a collector. Not made global: the application's choice stays its own."""
    resource = Resource.create()
    named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", "")
    if not named:
        resource = resource.merge(Resource({"service.name": "kinema"}))
    provider = TracerProvider(resource=resource)
    files = RunFiles()
    provider.add_span_processor(files)
    for exporter in _env_exporters():
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return _Tracing(provider, files, owned=True)


def _env_exporters() -> list[SpanExporter]:
    """What `OTEL_TRACES_EXPORTER` asks for; `otlp` by default only when an endpoint is set."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    endpoint = (os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
    chosen = os.environ.get("OTEL_TRACES_EXPORTER")
    names = ([n.strip().lower() for n in chosen.split(",") if n.strip()] if chosen
             else ["otlp"] if endpoint else [])
    exporters: list[SpanExporter] = []
    for name in names:
        if name == "otlp":
            exporters.append(_otlp_exporter())
        elif name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter())
        elif name != "none":
            raise BadInputError(f"OTEL_TRACES_EXPORTER={name!r} is not one Kinema can use: "
                                "choose otlp, console or none")
    return exporters


def _otlp_exporter(endpoint: str | None = None) -> SpanExporter:
    """OTLP over HTTP (the SDK reads endpoint, headers, timeout and compression from `OTEL_*`);
    over gRPC when `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL=grpc` and its exporter is installed."""
    protocol = (os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf")
    if protocol.strip().lower() == "grpc" and endpoint is None:
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                OTLPSpanExporter as GrpcExporter,
            )
        except ImportError:
            raise BadInputError("OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs `pip install "
                                "opentelemetry-exporter-otlp-proto-grpc` (or use "
                                "http/protobuf)") from None
        return GrpcExporter()  # type: ignore[no-any-return]
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if endpoint is None:
        return OTLPSpanExporter()
    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")


def _env_endpoint() -> str | None:
    return os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")


class RunTrace:
    """The spans of one run: a root span and children for nodes and backend calls.

    The root starts under whatever span is current (an application's request span, say), so
    a run nests in the application's trace.
    """

    def __init__(self, run_id: str, run_dir: Path, otlp_endpoint: str | None = None) -> None:
        self.run_id = run_id
        self.path = run_dir / TRACE_FILE
        self.tracing = _choose()
        processors: list[SpanProcessor] = [SimpleSpanProcessor(JsonlSpanExporter(self.path))]
        if otlp_endpoint and not (self.tracing.owned and otlp_endpoint == _env_endpoint()):
            processors.append(BatchSpanProcessor(_otlp_exporter(otlp_endpoint)))
        if self.tracing.files is not None:
            self.tracing.files.add_run(run_id, processors)
        use_provider(self.tracing.provider)
        self.tracer = self.tracing.provider.get_tracer("kinema", __version__)
        self.root: Span = self.tracer.start_span(ROOT_SPAN, attributes={
            "kinema.run_id": run_id, "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "kinema"})

    @contextmanager
    def span(self, name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[Span]:
        """A child span; nested under the current span when it belongs to this run."""
        current = trace.get_current_span()
        parent = current if self._belongs(current) else self.root
        ctx = trace.set_span_in_context(parent)
        attrs = {k: redact(k, v) for k, v in (attributes or {}).items()}
        with self.tracer.start_as_current_span(name, context=ctx, attributes=attrs) as span:
            yield span

    def _belongs(self, span: Span) -> bool:
        if span is self.root:
            return True
        if self.tracing.files is not None:
            return self.tracing.files.owner(span) == self.run_id
        ctx, root_ctx = span.get_span_context(), self.root.get_span_context()
        return bool(ctx.is_valid and ctx.trace_id == root_ctx.trace_id)

    def close(self, status: str, seconds: float | None = None) -> None:
        """Ends the root span; `seconds` is the run's duration as its ledger counts it."""
        self.root.set_attribute("kinema.status", status)
        if seconds is not None:
            self.root.set_attribute("kinema.seconds", round(seconds, 3))
        if status != "completed":
            self.root.set_status(Status(StatusCode.ERROR, status))
        self.root.end()
        if self.tracing.files is not None:
            self.tracing.files.remove_run(self.run_id)


_runs: dict[str, RunTrace] = {}
_runs_lock = threading.Lock()


def open_run(run_id: str, run_dir: Path, otlp_endpoint: str | None = None) -> RunTrace:
    """Starts (or returns) the trace of a run; safe to call from any node."""
    with _runs_lock:
        if run_id not in _runs:
            _runs[run_id] = RunTrace(run_id, run_dir, otlp_endpoint)
        return _runs[run_id]


def close_run(run_id: str, status: str, seconds: float | None = None) -> None:
    """Ends a run's trace (once; later calls do nothing)."""
    with _runs_lock:
        run = _runs.pop(run_id, None)
    if run is not None:
        run.close(status, seconds)


def flush(timeout_s: float = 10.0) -> bool:
    """Sends the spans Kinema's own provider still holds (for a short script before it exits;
    an application's provider is the application's to flush)."""
    with _choice_lock:
        owned = list(_own.values())
    return all(t.provider.force_flush(int(timeout_s * 1000)) for t in owned)


def event(name: str, attributes: Mapping[str, Any]) -> None:
    """Adds an event (a judgement, a decision) to the span in progress."""
    flat = {k: _flatten(v) for k, v in attributes.items()}
    trace.get_current_span().add_event(name, {k: redact(k, v) for k, v in flat.items()})


def _flatten(value: Any) -> Any:
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    return json.dumps(value, default=str, sort_keys=True)


def read_spans(run_dir: Path) -> list[dict[str, Any]]:
    """The spans of a run's trace file, flattened to plain dicts (for tests and `kinema trace`)."""
    spans: list[dict[str, Any]] = []
    path = run_dir / TRACE_FILE
    if not path.exists():
        return spans
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records = json.loads(line)["resourceSpans"]
        except (ValueError, KeyError, TypeError):
            continue  # a line another tool cut short; the rest of the trace still reads
        for rs in records:
            for ss in rs.get("scopeSpans", []):
                spans.extend(ss.get("spans", []))
    return spans


def attributes_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """Decodes OTLP attribute lists back to a dict."""
    out: dict[str, Any] = {}
    for item in record.get("attributes", []):
        out[item["key"]] = _plain(item["value"])
    return out


def _plain(value: Mapping[str, Any]) -> Any:
    if not value:
        return None
    kind, raw = next(iter(value.items()))
    if kind == "intValue":
        return int(raw)
    if kind == "arrayValue":
        return [_plain(v) for v in raw.get("values", [])]
    return raw
