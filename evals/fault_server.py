"""A loopback OpenAI-compatible server that fails on cue, for `python -m evals faults`.

It speaks the two APIs Kinema's litellm backends call — chat completions and the videos API
(submit, status, content) — so litellm's real request, error-mapping and retry paths run
against it. Each chat request takes the next action from a script: answer, fail with 500,
429 with `Retry-After`, hang past the client's timeout, answer malformed or partial JSON, or
reject with a 400 that repeats the caller's API key (as some providers do). Video jobs finish a
set time after they are submitted, and every submission is counted: a second submission for
one candidate is a job paid twice.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# What the refiner model answers when the script says "ok".
REFINEMENT = {"prompt": "A ball dropped onto the floor; it must speed up as it falls.",
              "add_keyframes": [{"t": 0.25, "event": "refine", "description": "mid-fall"}],
              "change_seed": False, "notes": ["named the constant-speed fall"]}
USAGE = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}


class FaultServer:
    """The server's state: the chat script, the video jobs, and what was asked of it."""

    def __init__(self, secret: str, clip: bytes = b"", job_seconds: float = 0.0) -> None:
        self.secret, self.clip, self.job_seconds = secret, clip, job_seconds
        self.script: deque[str] = deque()
        self.chat_requests = 0
        self.submissions: list[str] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self.fail_jobs_with_key = False
        self.lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._http is not None, "start the server first"
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    @contextmanager
    def running(self) -> Iterator[FaultServer]:
        handler = type("Handler", (_Handler,), {"state": self})
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._http.daemon_threads = True
        thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._http.shutdown()
            self._http.server_close()

    def next_action(self) -> str:
        with self.lock:
            self.chat_requests += 1
            return self.script.popleft() if self.script else "ok"

    def submit(self) -> dict[str, Any]:
        with self.lock:
            job_id = f"video_{len(self.submissions) + 1}"
            self.submissions.append(job_id)
            self.jobs[job_id] = {"at": time.monotonic()}
        return self.job(job_id) or {}

    def job(self, job_id: str) -> dict[str, Any] | None:
        found = self.jobs.get(job_id)
        if found is None:
            return None
        done = time.monotonic() - found["at"] >= self.job_seconds
        payload: dict[str, Any] = {"id": job_id, "object": "video", "seconds": "1",
                                   "status": "completed" if done else "in_progress"}
        if done and self.fail_jobs_with_key:
            payload["status"] = "failed"
            payload["error"] = {"message": f"invalid request for key {self.secret}"}
        return payload


class _Handler(BaseHTTPRequestHandler):
    state: FaultServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/chat/completions"):
            self._chat(json.loads(body or b"{}"))
        elif self.path.rstrip("/").endswith("/videos"):
            self._json(200, self.state.submit())
        else:
            self._json(404, {"error": {"message": "no such endpoint"}})

    def do_GET(self) -> None:
        parts = self.path.rstrip("/").split("/")
        if parts[-1] == "models":
            self._json(200, {"object": "list", "data": [{"id": "fault-model"}]})
        elif parts[-1] == "content" and self.state.job(parts[-2]):
            self._bytes(200, self.state.clip, "video/mp4")
        elif len(parts) >= 2 and parts[-2] == "videos" and self.state.job(parts[-1]):
            self._json(200, self.state.job(parts[-1]) or {})
        else:
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def _chat(self, request: dict[str, Any]) -> None:
        action = self.state.next_action()
        kind, _, arg = action.partition(":")
        if kind == "500":
            self._json(500, {"error": {"message": "internal error", "type": "server_error"}})
        elif kind == "429":
            self._json(429, {"error": {"message": "slow down", "type": "rate_limit_error"}},
                       {"Retry-After": arg or "1"})
        elif kind == "hang":
            time.sleep(float(arg or 5))
            self._json(200, _completion(request, json.dumps(REFINEMENT)))
        elif kind == "malformed":
            self._json(200, _completion(request, "Sure! Here is the refinement you asked for."))
        elif kind == "partial":  # the answer's JSON cut off mid-object
            self._json(200, _completion(request, json.dumps(REFINEMENT)[:40]))
        elif kind == "partial-body":  # the HTTP body itself cut off
            body = json.dumps(_completion(request, json.dumps(REFINEMENT))).encode()
            self._bytes(200, body[: len(body) // 2], "application/json")
        elif kind == "echo-key":
            self._json(400, {"error": {"message": f"Incorrect API key provided: "
                                                  f"{self.state.secret}", "type":
                                       "invalid_request_error"}})
        else:
            self._json(200, _completion(request, json.dumps(REFINEMENT)))

    def _json(self, status: int, payload: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        self._bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _bytes(self, status: int, body: bytes, kind: str,
               headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (a hang past its timeout)
            self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        return None


def _completion(request: dict[str, Any], content: str) -> dict[str, Any]:
    return {"id": "chatcmpl-fault", "object": "chat.completion", "created": int(time.time()),
            "model": str(request.get("model", "fault-model")),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": USAGE}
