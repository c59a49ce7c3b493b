"""Video backend `litellm-video:<model>`: video APIs (Sora 2, Veo 3.x, Runway) through litellm.

A job is submitted (`litellm.video_generation`), polled with growing waits until it completes,
fails, or passes its deadline (`litellm.video_status`), and its MP4 is downloaded
(`litellm.video_content`). The provider's job id is saved beside the candidate
(`rounds/NN/<id>.job.json`) before the first poll, so a process killed while the job runs
re-attaches to it when the run is resumed instead of paying for a second job. A submission is
retried only when the provider surely refused it (rate limit, unavailable): one that timed out
may have created a paid job. A job that fails or times out raises `VideoJobFailed`: a generator
failing is data, so the graph records it on the candidate and the run goes on. A missing key or a
rejected request is the user's to fix and raises a KinemaError.

Cost = billed seconds x the model's price per second, from `DEFAULT_PRICES` (list prices when
written; they change) or the `prices` option, which overrides them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from tools.errors import BackendUnavailable, BadInputError, KinemaError
from tools.llm import (
    LLMOptions,
    _litellm,
    permanent_errors,
    provider_of,
    require_keys,
    with_retries,
)
from tools.media import sha256_file
from tools.redact import redact_text
from tools.schema import Candidate, GenerationJob, Ledger
from tools.telemetry import bare_model, model_call, provider_name

# USD per second of video, matched on the longest key contained in the model name.
DEFAULT_PRICES: dict[str, float] = {
    "sora-2-pro": 0.30,
    "sora-2": 0.10,
    "veo-3.1-fast": 0.15,
    "veo-3.1": 0.40,
    "veo-3.0-fast": 0.15,
    "veo-3": 0.40,
    "gen4_turbo": 0.05,
    "runway": 0.05,
}
PENDING = {"queued", "in_progress", "processing", "pending", "running"}


def _new_file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


# mkstemp makes 0600 files; a candidate gets the mode any new file (final.mp4) gets here.
_NEW_FILE_MODE = _new_file_mode()


class VideoJobFailed(Exception):
    """The provider's job failed or did not finish before its deadline."""


class LiteLLMVideoOptions(LLMOptions):
    """Options of `litellm-video:<model>`."""

    deadline_s: float = Field(900.0, gt=0, description="Give up on a job after this long.")
    poll_s: float = Field(5.0, ge=0, description="First wait between status checks.")
    poll_max_s: float = Field(30.0, ge=0, description="Longest wait between status checks.")
    seconds: int | None = Field(None, ge=1, description="Clip length asked for; default: job's.")
    size: str | None = Field(None, description="e.g. 1280x720; default: the job's size.")
    prices: dict[str, float] = Field(default_factory=dict, description="USD per second, by model.")
    first_keyframe: bool = Field(True, description="Send the first keyframe as input reference.")
    extra: dict[str, Any] = Field(default_factory=dict,
                                  description="More keyword arguments for litellm's video calls.")


class LiteLLMVideo:
    """Video backend `litellm-video:<model>`, e.g. `litellm-video:openai/sora-2`."""

    accepts_keyframes: ClassVar[bool] = True  # the first one, as the input reference
    parallel_ok: ClassVar[bool] = True  # remote jobs run side by side
    resumes_jobs: ClassVar[bool] = True  # a job cut short is collected on resume, not resubmitted

    def __init__(self, model: str | None = None, **options: Any) -> None:
        if not model:
            raise BadInputError("litellm-video needs a model, e.g. litellm-video:openai/sora-2")
        self.spec, self.model = f"litellm-video:{model}", model
        self.options = LiteLLMVideoOptions(**options)
        require_keys(model, "choose --video studio or a diffusers: model")

    def generate(self, job: GenerationJob, out_path: Path) -> Candidate:
        started = time.monotonic()
        seconds = self.options.seconds or max(1, round(job.duration_s))
        request = self._request(job, seconds)
        ticket = JobTicket(out_path, self.model, request)
        provider = provider_of(self.model)
        with model_call("generate_content", bare_model(self.model, provider),
                        provider_name(provider), attributes={
                            "gen_ai.output.type": "video", "kinema.video.seconds": seconds,
                            "kinema.video.size": request["size"]}) as span:
            video_id = ticket.load()
            if video_id is None or not self._still_known(video_id):
                video_id = self._submit(request)
                ticket.save(video_id)
            else:
                _span_event("reattach", {"video_id": video_id})
            span.set_attribute("gen_ai.response.id", video_id)
            self._wait(video_id, started)
            content = self._call("video_content", video_id=video_id)
            _write_bytes(out_path, bytes(content))
        usd = seconds * price_per_second(self.model, self.options.prices)
        return Candidate(id=job.candidate_id, round=job.round, video=str(out_path), seed=job.seed,
                         backend=self.spec, prompt=job.prompt, sha256=sha256_file(out_path),
                         cost=Ledger(usd=usd, generations=1,
                                     seconds=time.monotonic() - started))

    def _request(self, job: GenerationJob, seconds: int) -> dict[str, Any]:
        request: dict[str, Any] = {"prompt": job.prompt, "model": self.model,
                                   "seconds": str(seconds),
                                   "size": self.options.size or f"{job.width}x{job.height}"}
        reference = job.init_image or (job.keyframes[0].image if job.keyframes else None)
        if reference and self.options.first_keyframe:
            request["input_reference"] = Path(reference).read_bytes()
        return request

    def _submit(self, request: dict[str, Any]) -> str:
        litellm = _litellm()
        refused = (litellm.RateLimitError, litellm.ServiceUnavailableError)
        video = self._call("video_generation", retry_on=refused, **request)
        _raise_if_failed(video)
        return str(video.id)

    def _still_known(self, video_id: str) -> bool:
        """Whether the provider still has job `video_id` (jobs expire; a lost one is redone)."""
        try:
            self._call("video_status", video_id=video_id)
        except KinemaError as exc:
            if isinstance(exc.__cause__, _litellm().NotFoundError):
                return False
            raise
        return True

    def _wait(self, video_id: str, started: float) -> None:
        """Polls until the job completes; waits grow 1.5x from poll_s up to poll_max_s."""
        wait = self.options.poll_s
        while True:
            video = self._call("video_status", video_id=video_id)
            _raise_if_failed(video)
            if str(video.status) not in PENDING:
                return
            left = self.options.deadline_s - (time.monotonic() - started)
            if left <= 0:
                raise VideoJobFailed(f"{self.model} job {video_id} still {video.status} after "
                                     f"{self.options.deadline_s:g} s (deadline_s)")
            time.sleep(min(wait, left))
            wait = min(self.options.poll_max_s, wait * 1.5)

    def _call(self, name: str, retry_on: tuple[type[Exception], ...] | None = None,
              **kwargs: Any) -> Any:
        fn = getattr(_litellm(), name)
        extra = {"timeout": self.options.timeout_s, **self.options.extra}
        if self.options.api_base:
            extra["api_base"] = self.options.api_base
        try:
            return with_retries(self.options, fn, retry_on=retry_on, **kwargs, **extra)
        except permanent_errors() as exc:
            raise _user_error(self.model, exc) from exc


class JobTicket:
    """The provider's job id, saved beside the candidate before anyone waits on the job.

    It names the request it was made for (a hash), so a ticket for other inputs (a refined
    prompt under the same candidate id) is never re-attached.
    """

    def __init__(self, out_path: Path, model: str, request: dict[str, Any]) -> None:
        self.path = out_path.with_suffix(".job.json")
        plain = {k: (hashlib.sha256(v).hexdigest() if isinstance(v, bytes) else v)
                 for k, v in request.items()}
        self.request = hashlib.sha256(json.dumps([model, plain], sort_keys=True).encode()
                                      ).hexdigest()

    def load(self) -> str | None:
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(saved, dict) or saved.get("request") != self.request:
            return None
        return str(saved.get("video_id") or "") or None

    def save(self, video_id: str) -> None:
        _write_file(self.path, json.dumps({"video_id": video_id, "request": self.request,
                                           "submitted": time.time()}).encode("utf-8"))


def _span_event(name: str, attributes: dict[str, Any]) -> None:
    from opentelemetry import trace

    trace.get_current_span().add_event(name, attributes)


def price_per_second(model: str, overrides: dict[str, float]) -> float:
    """USD per second for `model`: the longest matching key, overrides first; 0 if unknown."""
    table = {**DEFAULT_PRICES, **overrides}
    matches = [k for k in table if k in model]
    return table[max(matches, key=len)] if matches else 0.0


def _raise_if_failed(video: Any) -> None:
    if str(video.status) == "failed":
        error = video.error or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise VideoJobFailed(redact_text(f"video job {video.id} failed: "
                                         f"{message or 'no reason given'}"))


def _user_error(model: str, exc: Exception) -> KinemaError:
    litellm = _litellm()
    if isinstance(exc, litellm.AuthenticationError | litellm.PermissionDeniedError):
        return BackendUnavailable(f"no valid API key for {model}: check the provider's key "
                                  "variable or choose --video studio")
    return KinemaError(f"{model} rejected the video request ({type(exc).__name__}): "
                       f"{redact_text(' '.join(str(exc).split()))[:300]}")


def _write_bytes(path: Path, data: bytes) -> None:
    if not data:
        raise VideoJobFailed("the provider returned an empty video")
    _write_file(path, data)


def _write_file(path: Path, data: bytes) -> None:
    """Written beside `path` and renamed into place, with the mode a new file gets here."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _NEW_FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
