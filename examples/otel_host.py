"""An application with its own OpenTelemetry setup: Kinema's spans join its traces.

The application sets a global TracerProvider (its resource, its exporters; here one that prints
a one-line summary per span) and makes a video inside one of its own spans. Kinema finds the
provider and uses it: the run's root span (`invoke_agent kinema`) is a child of the
application's span, with nodes, backend calls and model calls (`chat gpt-4o`,
`generate_content sora-2`) beneath. Each run still writes its own `trace.jsonl` too.

Run it (offline, on the studio; a few seconds):
    python examples/otel_host.py --out runs/examples
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult


class PrintingExporter(SpanExporter):
    """Stands in for the application's real exporter (OTLP to a collector, Jaeger, ...)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for span in spans:
            self.names.append(span.name)
            service = span.resource.attributes.get("service.name")
            print(f"  span {span.name!r} ({service}, {span.kind.name.lower()})")
        return SpanExportResult.SUCCESS


def main(out_dir: Path) -> list[str]:
    exporter = PrintingExporter()
    provider = TracerProvider(resource=Resource({"service.name": "storyboard-app"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)

    import agent  # Kinema finds the provider set above; nothing to configure

    with trace.get_tracer("storyboard").start_as_current_span("make storyboard"):
        result = agent.generate("a red rubber ball falls and bounces", out_dir=out_dir,
                                duration_s=1.0, width=320, height=180,
                                budget={"max_generations": 2})
    print(f"video: {result.final_video}; trace file: {Path(result.run_dir) / 'trace.jsonl'}")
    return exporter.names


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/examples"))
    main(parser.parse_args().out)
