from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from typer.testing import CliRunner

from agent import tracing
from agent.api import generate
from agent.cli import app
from agent.graph import build_graph
from tests.llm_provider import PROVIDER


def test_secrets_never_reach_the_trace(tmp_path):
    run = tracing.RunTrace("r1", tmp_path)
    attrs = {"api_key": "abc", "kinema.prompt": "key sk-abcdefghijklmnop"}
    with run.span("backend.planner", attrs):
        tracing.event("note", {"authorization": "Bearer abcdefghijklmnopq", "text": "fine"})
    run.close("completed")
    text = (tmp_path / "trace.jsonl").read_text()
    assert "sk-abcdefghijklmnop" not in text and "abcdefghijklmnopq" not in text
    assert "abc\"" not in text and "[redacted]" in text and "fine" in text


def test_spans_are_otlp_json_with_hex_ids(tmp_path):
    run = tracing.RunTrace("r2", tmp_path)
    with run.span("node.plan", {"kinema.round": 1}):
        pass
    run.close("completed")
    spans = tracing.read_spans(tmp_path)
    assert {s["name"] for s in spans} == {"node.plan", tracing.ROOT_SPAN}
    child = next(s for s in spans if s["name"] == "node.plan")
    root = next(s for s in spans if s["name"] == tracing.ROOT_SPAN)
    assert len(child["traceId"]) == 32 and len(child["spanId"]) == 16
    assert child["parentSpanId"] == root["spanId"]
    assert tracing.attributes_of(child) == {"kinema.round": 1}


# ---- the host's way --------------------------------------------------------------------------

HOST_APP = """
import json, sys
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exporter = InMemorySpanExporter()
provider = TracerProvider(resource=Resource({"service.name": "storyboard-app"}))
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)

import agent
with trace.get_tracer("app").start_as_current_span("handle request") as request:
    result = agent.generate("a ball falls", out_dir=sys.argv[1], duration_s=1.0, width=160,
                            height=96, budget={"max_generations": 1})
spans = exporter.get_finished_spans()
print(json.dumps({
    "request": request.get_span_context().span_id,
    "run_dir": result.run_dir,
    "spans": [{"name": s.name, "id": s.context.span_id,
               "parent": s.parent.span_id if s.parent else None,
               "service": s.resource.attributes.get("service.name")} for s in spans],
}))
"""


def test_an_application_with_its_own_provider_sees_kinemas_spans(tmp_path):
    done = subprocess.run([sys.executable, "-c", HOST_APP, str(tmp_path / "runs")],
                          capture_output=True, text=True, timeout=240, check=False,
                          env={k: v for k, v in os.environ.items() if not k.startswith("OTEL_")})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    by_name = {s["name"]: s for s in seen["spans"]}
    root = by_name[tracing.ROOT_SPAN]
    assert root["parent"] == seen["request"]  # the run nests in the application's trace
    assert {"node.plan", "node.generate", "node.judge", "backend.video"} <= set(by_name)
    assert {s["service"] for s in seen["spans"]} == {"storyboard-app"}
    # ... and the run's own trace.jsonl still has the run's spans, and only those.
    written = {s["name"] for s in tracing.read_spans(Path(seen["run_dir"]))}
    assert tracing.ROOT_SPAN in written and "node.plan" in written
    assert "handle request" not in written


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def test_the_api_honours_otel_endpoint_and_service_name(fakes, fake_context, monkeypatch):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Collector.received = []
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "video-service")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
    try:
        generate("a ball falls", context=fake_context, duration_s=1.0)
        assert tracing.flush(5.0)
    finally:
        server.shutdown()
    names, services = set(), set()
    for body in _Collector.received:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            services |= {a.value.string_value for a in resource_spans.resource.attributes
                         if a.key == "service.name"}
            names |= {s.name for ss in resource_spans.scope_spans for s in ss.spans}
    assert services == {"video-service"}
    assert {tracing.ROOT_SPAN, "node.plan", "node.judge", "backend.video"} <= names


def test_a_graph_run_closes_its_root_span(fakes, fake_context):
    """Under `langgraph dev` or in a parent graph no runner closes the run: `finish` does."""
    out = build_graph(duration_s=1.0).invoke({"prompt": "a ball falls"}, context=fake_context)
    spans = tracing.read_spans(Path(out["result_path"]).parent)
    root = next(s for s in spans if s["name"] == tracing.ROOT_SPAN)
    assert tracing.attributes_of(root)["kinema.status"] == "completed"
    ids = {s["spanId"] for s in spans}
    assert all(s.get("parentSpanId") in ids for s in spans if s is not root)


def test_model_calls_are_genai_spans_in_the_run_trace(scripted_llm, fakes, fake_context):
    ctx = fake_context.model_copy(update={"planner": f"litellm:{PROVIDER}/structured",
                                          "options": {"planner": {"max_retries": 0}}})
    result = generate("a ball falls", context=ctx, duration_s=1.0)
    spans = tracing.read_spans(Path(result.run_dir))
    call = next(s for s in spans if s["name"] == "chat structured")
    backend = next(s for s in spans if s["name"] == "backend.planner")
    assert call["kind"] == 3 and call["parentSpanId"] == backend["spanId"]  # CLIENT
    attrs = tracing.attributes_of(call)
    assert (attrs["gen_ai.provider.name"], attrs["gen_ai.request.model"]) == (
        PROVIDER, "structured")
    assert attrs["gen_ai.usage.input_tokens"] > 0
    res = CliRunner().invoke(app, ["trace", result.run_dir])
    assert f"chat structured · {PROVIDER}" in res.stdout


def test_kinema_trace_keeps_lines_whole_when_piped(fakes, fake_context):
    result = generate("a ball falls " + "and keeps falling " * 12, context=fake_context,
                      duration_s=1.0)
    res = CliRunner().invoke(app, ["trace", result.run_dir])
    detail = result.iterations[-1].decision.detail  # type: ignore[union-attr]
    assert res.exit_code == 0 and detail in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) > 100
