from __future__ import annotations

from agent import tracing


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
