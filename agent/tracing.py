"""OpenTelemetry for runs: one span per run, per node and per backend call, written as OTLP-JSON.

Each run owns its TracerProvider (not the process-global one) so several runs in one process write
to their own `trace.jsonl` without mixing. Spans are parented explicitly on the run span rather than
through thread-local context, because LangGraph may run nodes on worker threads.
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
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Span, Status, StatusCode

from tools.redact import SECRET_KEY, redact_text

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
            "scopeSpans": [{"scope": {"name": "kinema"}, "spans": [record]}],
        }]
    }


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


class RunTrace:
    """The spans of one run: a root span and children for nodes and backend calls."""

    def __init__(self, run_id: str, run_dir: Path, otlp_endpoint: str | None = None) -> None:
        self.run_id = run_id
        self.path = run_dir / TRACE_FILE
        resource = Resource.create({"service.name": "kinema", "kinema.run_id": run_id})
        self.provider = TracerProvider(resource=resource)
        self.provider.add_span_processor(SimpleSpanProcessor(JsonlSpanExporter(self.path)))
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=otlp_endpoint.rstrip("/") + "/v1/traces")
            self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self.tracer = self.provider.get_tracer("kinema")
        self.root: Span = self.tracer.start_span("kinema.run", attributes={"kinema.run_id": run_id})

    @contextmanager
    def span(self, name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[Span]:
        """A child span; nested under the current span when it belongs to this run."""
        current = trace.get_current_span()
        parent = current if _belongs_to(current, self.root) else self.root
        ctx = trace.set_span_in_context(parent)
        attrs = {k: redact(k, v) for k, v in (attributes or {}).items()}
        with self.tracer.start_as_current_span(name, context=ctx, attributes=attrs) as span:
            yield span

    def close(self, status: str) -> None:
        self.root.set_attribute("kinema.status", status)
        if status != "completed":
            self.root.set_status(Status(StatusCode.ERROR, status))
        self.root.end()
        self.provider.shutdown()


def _belongs_to(span: Span, root: Span) -> bool:
    ctx, root_ctx = span.get_span_context(), root.get_span_context()
    return bool(ctx.is_valid and ctx.trace_id == root_ctx.trace_id)


_runs: dict[str, RunTrace] = {}
_runs_lock = threading.Lock()


def open_run(run_id: str, run_dir: Path, otlp_endpoint: str | None = None) -> RunTrace:
    """Starts (or returns) the trace of a run; safe to call from any node."""
    with _runs_lock:
        if run_id not in _runs:
            _runs[run_id] = RunTrace(run_id, run_dir, otlp_endpoint)
        return _runs[run_id]


def close_run(run_id: str, status: str) -> None:
    with _runs_lock:
        run = _runs.pop(run_id, None)
    if run is not None:
        run.close(status)


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
