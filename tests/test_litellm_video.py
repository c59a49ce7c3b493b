"""`litellm-video:<model>` through litellm's real video calls.

Failures and deadlines use litellm's own `mock_response` (passed through the backend's `extra`
option); the full submit → poll → download path runs against a local HTTP server that speaks
the OpenAI videos API, so litellm's real request and download code is exercised offline.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from tools.base import registry
from tools.media import read_video, write_png, write_video
from tools.schema import GenerationJob, Keyframe
from tools.video.litellm_video import VideoJobFailed, price_per_second

FAST = {"poll_s": 0.01, "poll_max_s": 0.02, "backoff_s": 0, "backoff_max_s": 0,
        "max_retries": 1}


class FakeVideoAPI(BaseHTTPRequestHandler):
    """POST /v1/videos, GET /v1/videos/<id>, GET /v1/videos/<id>/content."""

    polls = 0
    clip = b""
    submitted: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        type(self).submitted.append(self.rfile.read(int(self.headers["Content-Length"])))
        self._json({"id": "video_1", "object": "video", "status": "queued", "seconds": "2"})

    def do_GET(self) -> None:
        if self.path.endswith("/content"):
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(self.clip)))
            self.end_headers()
            self.wfile.write(self.clip)
            return
        type(self).polls += 1
        status = "completed" if self.polls >= 3 else "in_progress"
        self._json({"id": "video_1", "object": "video", "status": status, "progress": 50})

    def _json(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def video_api(tmp_path, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-secret")
    clip = write_video([np.full((32, 32, 3), 30 * i, np.uint8) for i in range(6)],
                       tmp_path / "clip.mp4", fps=6)
    FakeVideoAPI.clip, FakeVideoAPI.polls, FakeVideoAPI.submitted = clip.read_bytes(), 0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeVideoAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _job(tmp_path: Path) -> GenerationJob:
    key = write_png(np.full((32, 32, 3), 128, np.uint8), tmp_path / "k0.png")
    return GenerationJob(prompt="a ball falls", duration_s=2, width=32, height=32,
                         keyframes=[Keyframe(t=0, image=str(key))])


def test_submit_poll_download_and_cost(video_api, tmp_path):
    backend = registry.resolve("video", "litellm-video:openai/sora-2", api_base=video_api,
                               prices={"sora-2": 0.25}, **FAST)
    cand = backend.generate(_job(tmp_path), tmp_path / "out" / "c.mp4")
    frames, _ = read_video(cand.video)
    assert frames.shape[0] == 6 and FakeVideoAPI.polls == 3
    assert cand.cost.usd == pytest.approx(2 * 0.25) and cand.cost.generations == 1
    assert b"input_reference" in FakeVideoAPI.submitted[0]  # the first keyframe went along


def _mocked(status: str, **extra) -> dict:
    response = {"id": "video_9", "object": "video", "status": status, **extra}
    return {"extra": {"mock_response": response}, **FAST}


def test_failed_job_raises_for_the_candidate(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-secret")
    backend = registry.resolve("video", "litellm-video:openai/sora-2",
                               **_mocked("failed", error={"message": "moderation blocked"}))
    with pytest.raises(VideoJobFailed, match="moderation blocked"):
        backend.generate(_job(tmp_path), tmp_path / "c.mp4")
    assert not (tmp_path / "c.mp4").exists()


def test_job_that_never_finishes_stops_at_its_deadline(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-secret")
    backend = registry.resolve("video", "litellm-video:openai/sora-2", deadline_s=0.1,
                               **_mocked("in_progress"))
    with pytest.raises(VideoJobFailed, match="deadline_s"):
        backend.generate(_job(tmp_path), tmp_path / "c.mp4")


def test_missing_key_is_named(monkeypatch):
    from tools.errors import BackendUnavailable

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(BackendUnavailable, match="OPENAI_API_KEY"):
        registry.resolve("video", "litellm-video:openai/sora-2", deadline_s=5)


def test_prices_match_the_longest_name_and_can_be_overridden():
    assert price_per_second("openai/sora-2-pro", {}) == 0.30
    assert price_per_second("gemini/veo-3.1-fast-generate-preview", {}) == 0.15
    assert price_per_second("openai/sora-2", {"sora-2": 0.5}) == 0.5
    assert price_per_second("someone/else", {}) == 0.0


def test_a_job_cut_short_is_reattached_not_submitted_again(video_api, tmp_path):
    """The job id is saved before polling; the next attempt at the candidate collects it."""
    out = tmp_path / "out" / "r01c0.mp4"
    cut_short = registry.resolve("video", "litellm-video:openai/sora-2", api_base=video_api,
                                 **{**FAST, "deadline_s": 0.001})
    with pytest.raises(VideoJobFailed, match="deadline_s"):  # as a kill mid-poll would leave it
        cut_short.generate(_job(tmp_path), out)
    ticket = json.loads(out.with_suffix(".job.json").read_text())
    assert ticket["video_id"] and len(FakeVideoAPI.submitted) == 1
    backend = registry.resolve("video", "litellm-video:openai/sora-2", api_base=video_api,
                               **FAST)
    cand = backend.generate(_job(tmp_path), out)
    assert len(FakeVideoAPI.submitted) == 1 and Path(cand.video).is_file()
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode
    other = _job(tmp_path).model_copy(update={"prompt": "a different shot"})
    backend.generate(other, out)  # other inputs under the same name: a new job
    assert len(FakeVideoAPI.submitted) == 2
