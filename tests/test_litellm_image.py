"""`litellm-image:<model>` keyframes: text for the first, edits of the previous for the rest.

Runs against a local HTTP server speaking the OpenAI images API, so litellm's real generation and
edit requests are exercised offline.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image

from tools.base import registry
from tools.media import read_image
from tools.schema import KeyframeSpec, RunRequest, ShotPlan


def _png(value: int) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), value, np.uint8)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


class FakeImageAPI(BaseHTTPRequestHandler):
    paths: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).paths.append(self.path)
        value = 10 * len(self.paths)
        body = json.dumps({"created": 1, "data": [{"b64_json": _png(value)}],
                           "usage": {"input_tokens": 50, "output_tokens": 100,
                                     "input_tokens_details": {"text_tokens": 50, "image_tokens": 0},
                                     "total_tokens": 150}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def image_api(monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-secret")
    FakeImageAPI.paths = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeImageAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_later_keyframes_are_edits_of_the_previous_one(image_api, tmp_path):
    backend = registry.resolve("keyframes", "litellm-image:openai/gpt-image-1",
                               api_base=image_api, max_retries=0)
    plan = ShotPlan(prompt="a ball falls", generator_prompt="a red ball falls")
    specs = [KeyframeSpec(t=0.5, description="contact"), KeyframeSpec(t=0.0, description="held")]
    keys = backend.render(plan, specs, RunRequest(prompt="x"), tmp_path)
    assert [k.t for k in keys] == [0.0, 0.5]
    assert [p.rsplit("/", 1)[-1] for p in FakeImageAPI.paths] == ["generations", "edits"]
    assert [int(read_image(k.image)[0, 0, 0]) for k in keys] == [10, 20]
    assert all(k.source == "litellm-image:openai/gpt-image-1" and k.sha256 for k in keys)
    assert keys[0].cost.input_tokens == 50 and keys[0].cost.output_tokens == 100


def test_independent_keyframes_when_not_sequential(image_api, tmp_path):
    backend = registry.resolve("keyframes", "litellm-image:openai/gpt-image-1",
                               api_base=image_api, sequential=False, max_retries=0)
    plan = ShotPlan(prompt="a", generator_prompt="a")
    backend.render(plan, [KeyframeSpec(t=0), KeyframeSpec(t=1)], RunRequest(prompt="x"), tmp_path)
    assert [p.rsplit("/", 1)[-1] for p in FakeImageAPI.paths] == ["generations", "generations"]
