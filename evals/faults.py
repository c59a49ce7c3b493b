"""`python -m evals faults`: a user's bad day, on purpose, and whether Kinema held.

Each case does something that goes wrong in real use and checks what the issue promises:
0 candidates generated twice, 0 files lost, 0 secrets in any artefact, 0 tracebacks for bad
input (exit 2 and one line), 0 files written outside the out folder. Cases:

- `kill-resume`: SIGKILL at random moments of a run (and of its resumes), then resume.
- `two-resumes`: two `kinema resume` on one run folder at once.
- `corrupt-files`: a cancelled run whose checkpoint, result or context is garbage or gone.
- `api-job-reattach`: a run killed while its paid video job runs; resume collects that job.
- `llm-faults`: a loopback OpenAI-compatible server answering 500, 429 with Retry-After, hangs,
  malformed and partial JSON; retries and re-asks must show in the trace.
- `key-echo`: providers that repeat the API key in an error (chat 400, failed video job).
- `disk-full`: a small tmpfs fills up, then turns read-only, mid-run (root only; else skipped).
- `file-size-limit`: the same with RLIMIT_FSIZE, which needs no root.
- `fuzz`: bad values at every entry point (API, CLI, chat, MCP, LangChain tool, subgraph).
- `graph-paths`: graph input that tries to choose where the run is written.
- `preflight`: a missing key, an unknown model, no Ollama server: refused before anything runs.

Fast cases (`--fast`) also run in `make test` (tests/test_faults.py). Prints a table (tried,
held, failed) or `--json`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

ROOT = Path(__file__).resolve().parents[1]
SECRET = "sk-kinema-fault-7f3a9c2e1b5d4f60a8e2"  # shaped like a key, and set as the key
TINY = ["--duration", "1", "--width", "160", "--height", "96", "--fps", "12"]
PROMPT = "a ball falls"


@dataclass
class Outcome:
    """One case: how often it was tried, how often every promise held, and what broke."""

    case: str
    tried: int = 0
    held: int = 0
    failed: int = 0
    skipped: bool = False
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, ok: bool, note: str) -> bool:
        """Counts one try; `note` says what broke when it did not hold."""
        self.tried += 1
        if ok:
            self.held += 1
        else:
            self.failed += 1
            self.notes.append(note)
        return ok


Case = Callable[[Path, random.Random, bool], Outcome]


# ---- helpers: processes, run folders, artefacts ------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KINEMA_", "OPENAI_"))}
    env.update({"LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(ROOT)}, **extra)
    return env


def _worker(args: list[str], env: dict[str, str], cwd: Path, **popen: Any) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "evals.fault_worker", *args], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="backslashreplace", **popen)


def _finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _tiny_run(out: Path, generations: int = 4) -> list[str]:
    return ["run", PROMPT, "--out", str(out), *TINY, "--video", "faultlog",
            "--max-generations", str(generations), "--target", "0.99", "--json"]


def _one_line_error(code: int, err: str, words: str = "") -> bool:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    return (code == 2 and len(lines) == 1 and lines[0].startswith("error:")
            and "Traceback" not in err and words.lower() in err.lower())


def _only_run(out: Path, wait_s: float = 30) -> Path | None:
    """The run folder under `out`, once the process has made it."""
    deadline = time.monotonic() + wait_s
    while True:
        found = [p for p in out.iterdir() if p.is_dir()] if out.is_dir() else []
        if found or time.monotonic() >= deadline:
            return found[0] if found else None
        time.sleep(0.02)


def _logged(log: Path) -> list[str]:
    return log.read_text().split() if log.is_file() else []


def _twice(log: Path) -> list[str]:
    return sorted(k for k, n in Counter(_logged(log)).items() if n > 1)


def _paid_files(run_dir: Path) -> dict[str, str]:
    """Every candidate and keyframe on disk, by content hash."""
    from tools.media import sha256_file

    return {str(p): sha256_file(p) for p in sorted((run_dir / "rounds").rglob("*"))
            if p.suffix in (".mp4", ".png") and not p.name.startswith(".")}


def _lost(before: dict[str, str], run_dir: Path) -> list[str]:
    after = _paid_files(run_dir)
    return [p for p, digest in before.items() if after.get(p) != digest]


def _result(run_dir: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((run_dir / "result.json").read_text()))
    except (OSError, ValueError):
        return {}


def _candidates_intact(run_dir: Path) -> bool:
    """Every candidate the result names is on disk with the hash it was recorded with."""
    from tools.media import sha256_file

    for it in _record(run_dir):
        for cand in it.get("candidates", []):
            video = run_dir / cand["video"] if cand.get("video") else None  # run-relative
            if video and cand.get("sha256") and (
                    not video.is_file() or sha256_file(video) != cand["sha256"]):
                return False
    return True


def _record(run_dir: Path) -> list[dict[str, Any]]:
    try:
        return list(json.loads((run_dir / "rounds" / "record.json").read_text())["iterations"])
    except (OSError, ValueError, KeyError):
        return []


def _secret_in(folder: Path, *texts: str) -> list[str]:
    """Files under `folder` (and the given outputs) that hold the secret."""
    raw = SECRET.encode()
    hits = [str(p) for p in folder.rglob("*") if p.is_file() and raw in p.read_bytes()]
    return hits + [f"output #{i}" for i, t in enumerate(texts) if SECRET in t]


def _finished_first(code: int, err: str) -> int:
    """The exit code of a resume, with "already completed" read as success: the run it was to
    recover finished before its kill or stop landed, so nothing was left to recover."""
    return 0 if code == 2 and "already completed" in err else code


def _held_run(code: int, err: str, run_dir: Path | None) -> tuple[bool, str]:
    result = _result(run_dir) if run_dir else {}
    ok = code == 0 and result.get("status") == "completed"
    return ok, f"exit {code}, status {result.get('status')}: {err.strip()[-300:]}"


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def _killed_run(work: Path, log: Path, slow: str = "0.4", after_logged: int = 1,
                sig: int = signal.SIGKILL) -> Path:
    """A run stopped by `sig` while it generates, once `after_logged` candidates finished."""
    out = work / "runs"
    proc = _worker(_tiny_run(out), _env(KINEMA_FAULT_LOG=str(log), KINEMA_FAULT_SLOW=slow),
                   work)
    deadline = time.monotonic() + 60
    while len(_logged(log)) < after_logged and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(float(slow) / 2)
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    proc.communicate(timeout=60)
    run_dir = _only_run(out, 1)
    assert run_dir is not None, "the run made no folder"
    return run_dir


# ---- cases ---------------------------------------------------------------------------------


def kill_resume(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """SIGKILL a run at a random moment, then kill some resumes too, then resume to the end."""
    outcome = Outcome("kill-resume")
    for attempt in range(1 if fast else 8):
        here = work / f"try{attempt}"
        here.mkdir()
        log, out = here / "generated.log", here / "runs"
        env = _env(KINEMA_FAULT_LOG=str(log), KINEMA_FAULT_SLOW="0.3")
        proc = _worker(_tiny_run(out), env, here)
        run_dir = _only_run(out)
        time.sleep(rng.uniform(0.0, 2.5))
        _kill(proc)
        assert run_dir is not None
        before = _paid_files(run_dir)
        for _ in range(rng.randint(0 if fast else 1, 2)):  # resumes killed in turn
            resumed = _worker(["resume", str(run_dir), "--json"], env, here)
            time.sleep(rng.uniform(0.3, 2.0))
            _kill(resumed)
        code, _, err = _finish(_worker(["resume", str(run_dir), "--json"], env, here))
        ok, why = _held_run(_finished_first(code, err), err, run_dir)
        twice, lost = _twice(log), _lost(before, run_dir)
        outcome.check(ok and not twice and not lost and _candidates_intact(run_dir),
                      f"try {attempt}: {why}; generated twice {twice}; lost {lost}")
    return outcome


def two_resumes(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """Two `kinema resume` on one folder at once: one works, the other says who holds it."""
    outcome = Outcome("two-resumes")
    for attempt in range(1 if fast else 3):
        here = work / f"try{attempt}"
        here.mkdir()
        log = here / "generated.log"
        run_dir = _killed_run(here, log, slow="0.6")
        env = _env(KINEMA_FAULT_LOG=str(log), KINEMA_FAULT_SLOW="0.3")
        first = _worker(["resume", str(run_dir), "--json"], env, here)
        second = _worker(["resume", str(run_dir), "--json"], env, here)
        (c1, _, e1), (c2, _, e2) = _finish(first), _finish(second)
        codes = sorted([(c1, e1), (c2, e2)], key=lambda x: x[0])
        refused = _one_line_error(codes[1][0], codes[1][1], "in use by process")
        ok, why = _held_run(codes[0][0], codes[0][1], run_dir)
        outcome.check(ok and refused and not _twice(log),
                      f"try {attempt}: exits {c1}, {c2}; {why}; second said "
                      f"{codes[1][1].strip()[:200]!r}; twice {_twice(log)}")
    return outcome


def corrupt_files(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """A cancelled run whose files were damaged: recovered where it can be, else one line."""
    outcome = Outcome("corrupt-files")
    base_log = work / "base.log"
    (work / "base").mkdir()
    base = _killed_run(work / "base", base_log, slow="0.4", sig=signal.SIGINT)
    variants: dict[str, tuple[Callable[[Path], object], bool]] = {
        "garbage checkpoint": (lambda d: _garble(d / "checkpoints.sqlite"), True),
    }
    if not fast:  # tests/test_reliability.py checks these in-process
        variants |= {
            "corrupt context.json": (lambda d: _garble(d / "context.json"), False),
            "resume on a file": (lambda d: None, False),
            "missing checkpoint": (lambda d: (d / "checkpoints.sqlite").unlink(), True),
            "truncated checkpoint": (lambda d: _truncate(d / "checkpoints.sqlite"), True),
            "corrupt result.json": (lambda d: _garble(d / "result.json"), True),
            "garbage checkpoint, no request.json": (_garble_without_request, False),
        }
    for index, (name, (damage, recoverable)) in enumerate(variants.items()):
        here = work / f"v{index}"
        run_dir = here / "runs" / base.name
        shutil.copytree(base, run_dir)
        log = here / "generated.log"
        shutil.copy(base_log, log)
        damage(run_dir)
        files_before = {p.name for p in run_dir.iterdir()}
        paid = _paid_files(run_dir)
        target = run_dir / "result.json" if name == "resume on a file" else run_dir
        code, _, err = _finish(_worker(["resume", str(target), "--json"],
                                       _env(KINEMA_FAULT_LOG=str(log)), here))
        kept = files_before <= {p.name for p in run_dir.iterdir()} | {"checkpoints.sqlite"}
        if recoverable:
            ok, why = _held_run(_finished_first(code, err), err, run_dir)
            ok = ok and kept and not _twice(log) and not _lost(paid, run_dir)
        else:
            ok, why = _one_line_error(code, err) and kept, f"exit {code}: {err.strip()[:300]}"
        outcome.check(ok, f"{name}: {why}; files kept {kept}; twice {_twice(log)}")
    return outcome


def _garble(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _garble_without_request(run_dir: Path) -> None:
    _garble(run_dir / "checkpoints.sqlite")
    (run_dir / "request.json").unlink()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def api_job_reattach(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """Killed while the provider's job runs: resume collects that job instead of paying again."""
    from evals.fault_server import FaultServer

    outcome = Outcome("api-job-reattach")
    server = FaultServer(SECRET, clip=_clip(work), job_seconds=1.5)
    with server.running():
        for attempt in range(1 if fast else 3):
            here = work / f"try{attempt}"
            out = here / "runs"
            ctx = _video_api_context(out, server.url)
            env = _env(OPENAI_API_KEY=SECRET)
            here.mkdir()
            before = len(server.submissions)
            proc = _worker(["fault-run", PROMPT, "--context-json", ctx], env, here)
            deadline = time.monotonic() + 60
            while len(server.submissions) == before and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.1, 0.8))
            _kill(proc)
            run_dir = _only_run(out, 1)
            assert run_dir is not None
            code, out_text, err = _finish(_worker(["resume", str(run_dir), "--json"], env, here))
            ok, why = _held_run(code, err, run_dir)
            result = _result(run_dir)
            made = sum(len(r["candidates"]) for r in result.get("rounds", []))
            paid = len(server.submissions) - before
            usd = result.get("ledger", {}).get("usd", -1)
            outcome.check(ok and paid == made and math.isclose(usd, 0.1 * made)
                          and not _secret_in(here, out_text, err),
                          f"try {attempt}: {why}; {paid} jobs submitted for {made} candidates, "
                          f"ledger ${usd}")
    return outcome


def _video_api_context(out: Path, url: str, generations: int = 2) -> str:
    from agent.context import Context
    from agent.state import Budget

    return Context(video="litellm-video:openai/sora-2", target=0.99, out_dir=str(out),
                   budget=Budget(max_generations=generations),
                   options={"video": {"api_base": url, "poll_s": 0.05, "poll_max_s": 0.1,
                                      "backoff_s": 0.01, "backoff_max_s": 0.05,
                                      "timeout_s": 10, "seconds": 1}}).model_dump_json()


def _clip(work: Path) -> bytes:
    """A small real MP4 of a falling ball, the provider's 'generated' video."""
    import numpy as np

    from tools.media import write_video

    frames = []
    for i in range(12):
        frame = np.full((96, 160, 3), 200, np.uint8)
        y = int(10 + 0.5 * 9.8 * (i / 12) ** 2 * 120)
        frame[y:y + 10, 75:85] = (200, 30, 30)
        frames.append(frame)
    return write_video(frames, work / "served.mp4", fps=12).read_bytes()


LLM_SCRIPTS: dict[str, tuple[list[str], bool]] = {
    # name: (what the server does to the refiner's requests, in the fast set)
    "500 twice": (["500", "500"], True),
    "429 Retry-After": (["429:0.4"], True),
    "malformed answer": (["malformed"], True),
    "hang past timeout": (["hang:2.5"], False),
    "partial JSON answer": (["partial"], False),
    "partial JSON body": (["partial-body"], False),
}


def llm_faults(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """Transient provider failures are retried (and traced); malformed answers re-asked."""
    from evals.fault_server import FaultServer

    outcome = Outcome("llm-faults")
    server = FaultServer(SECRET)
    with server.running(), _env_set(OPENAI_API_KEY=SECRET):
        for name, (script, in_fast) in LLM_SCRIPTS.items():
            if fast and not in_fast:
                continue
            server.script.extend(script)
            run_dir, error = _refiner_run(work / name.replace(" ", "-"), server.url)
            events = _span_events(run_dir) if run_dir else []
            ok = error is None and _result(run_dir or work).get("status") == "completed"
            ok = ok and _expected_events(name, events) and not _secret_in(run_dir or work)
            outcome.check(ok, f"{name}: error {error}; events "
                              f"{[(e['name'], e.get('error.type')) for e in events]}")
    return outcome


def _refiner_run(here: Path, url: str) -> tuple[Path | None, str | None]:
    from agent.context import Context
    from agent.runner import run
    from agent.state import Budget, RunRequest
    from tools.errors import KinemaError

    ctx = Context(refiner="litellm:openai/fault-model", target=0.99, out_dir=str(here),
                  budget=Budget(max_generations=2),
                  options={"refiner": {"api_base": url, "timeout_s": 1.0, "backoff_s": 0.05,
                                       "backoff_max_s": 1.0, "max_retries": 3}})
    request = RunRequest(prompt=PROMPT, duration_s=1, width=160, height=96, fps=12)
    try:
        result = run(request, ctx)
    except KinemaError as exc:
        return _only_run(here, 0), str(exc)
    return Path(result.run_dir), None


def _span_events(run_dir: Path) -> list[dict[str, Any]]:
    from agent import tracing

    spans = tracing.read_spans(run_dir)
    refiner = {s["spanId"] for s in spans if s["name"] == "backend.refiner"}
    # Re-asks are events on the backend call, retries on its model calls (`chat <model>`).
    return [{"name": e["name"], **tracing.attributes_of(e)}
            for s in spans if s["spanId"] in refiner or s.get("parentSpanId") in refiner
            for e in s.get("events", [])]


def _expected_events(name: str, events: list[dict[str, Any]]) -> bool:
    retries = [e for e in events if e["name"] == "retry"]
    if name == "500 twice":
        return [e["error.type"] for e in retries] == ["InternalServerError"] * 2
    if name == "429 Retry-After":
        return len(retries) == 1 and retries[0]["error.type"] == "RateLimitError" \
            and float(retries[0]["wait_s"]) >= 0.4
    if name == "hang past timeout":
        return len(retries) == 1 and retries[0]["error.type"] == "Timeout"
    if name == "malformed answer":
        return [e["name"] for e in events] == ["reask"]
    return True  # partial JSON: repaired, re-asked or retried; the run must simply go on


@contextlib.contextmanager
def _env_set(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def key_echo(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """A provider repeating the API key in its errors: it reaches no file and no output.

    The fast set drives the CLI in this process (Typer's runner); the full set also runs it as
    a process of its own, with and without KINEMA_DEBUG, as a user would.
    """
    from agent.runner import run
    from agent.state import RunRequest
    from evals.fault_server import FaultServer

    outcome = Outcome("key-echo")
    server = FaultServer(SECRET, clip=_clip(work))
    with server.running():
        for debug in ("", "1"):
            here = work / f"cli{debug}"
            server.script.append("echo-key")
            env = {"OPENAI_API_KEY": SECRET, "OPENAI_API_BASE": server.url,
                   "KINEMA_DEBUG": debug or None}
            code, out, err = _cli(["run", PROMPT, "--out", str(here), *TINY, "--target",
                                   "0.99", "--max-generations", "2", "--json", "--refiner",
                                   "litellm:openai/fault-model"], env)
            _check_echo(outcome, f"chat 400 in the CLI (KINEMA_DEBUG={debug!r})", here, code,
                        out, err, debug)
        if not fast:
            for debug in ("", "1"):
                here = work / f"process{debug}"
                here.mkdir()
                server.script.append("echo-key")
                process_env = _env(OPENAI_API_KEY=SECRET, OPENAI_API_BASE=server.url,
                               **({"KINEMA_DEBUG": debug} if debug else {}))
                code, out, err = _finish(_worker(
                    ["run", PROMPT, "--out", str(here / "runs"), *TINY, "--target", "0.99",
                     "--max-generations", "2", "--json", "--refiner",
                     "litellm:openai/fault-model"], process_env, here))
                _check_echo(outcome, f"chat 400, kinema process (KINEMA_DEBUG={debug!r})",
                            here / "runs", code, out, err, debug)
        here = work / "video"
        server.fail_jobs_with_key = True
        from agent.context import Context

        ctx = Context.model_validate_json(_video_api_context(here, server.url, generations=1))
        with _env_set(OPENAI_API_KEY=SECRET):
            result = run(RunRequest(prompt=PROMPT, duration_s=1, width=160, height=96, fps=12),
                         ctx)
        hits = _secret_in(here)
        shown = "[redacted]" in json.dumps(_result(Path(result.run_dir)))
        outcome.check(shown and not hits, f"failed video job: redacted error recorded {shown}, "
                                          f"secret in {hits}")
    return outcome


def _cli(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from agent.cli import app

    res = CliRunner().invoke(app, args, env=env)
    return res.exit_code, res.stdout, res.stderr


def _check_echo(outcome: Outcome, name: str, out: Path, code: int, stdout: str, err: str,
                debug: str) -> None:
    run_dir = _only_run(out, 0)
    hits = _secret_in(out, stdout, err)
    said = _one_line_error(code, err, "rejected") if not debug else (
        code == 2 and "Traceback" in err and "[redacted]" in err)
    outcome.check(said and run_dir is not None and not hits
                  and _result(run_dir).get("status") == "failed",
                  f"{name}: exit {code}, {err.strip()[-200:]!r}, secret in {hits}")


def disk_full(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """A small tmpfs fills up mid-run, then turns read-only: one line, exit 2, resumable."""
    outcome = Outcome("disk-full")
    mount = work / "small"
    mount.mkdir()
    if os.geteuid() != 0 or not _mount(["-t", "tmpfs", "-o", "size=320k", "tmpfs", str(mount)]):
        outcome.skipped = True
        outcome.notes.append("needs root and tmpfs (run as root to include it)")
        return outcome
    try:
        log = work / "full.log"
        out = mount / "runs"
        env = _env(KINEMA_FAULT_LOG=str(log))
        code, _, err = _finish(_worker(_tiny_run(out), env, work))
        run_dir = _only_run(out, 0)
        _check_stopped(outcome, "full disk", code, err, run_dir, "cannot write")
        _mount(["-o", "remount,size=64m", str(mount)])
        _check_resumed(outcome, "after room was made", run_dir, env, work, log)
        if not fast:
            _read_only_mid_run(outcome, work)
    finally:
        subprocess.run(["umount", str(mount)], check=False, capture_output=True)
    return outcome


def _read_only_mid_run(outcome: Outcome, work: Path) -> None:
    """Round 2's folder turns read-only while round 1 runs (a read-only tmpfs laid over it).

    Root ignores file modes, so a read-only mount is how root makes a folder unwritable.
    """
    log, out = work / "ro.log", work / "ro"
    env = _env(KINEMA_FAULT_LOG=str(log), KINEMA_FAULT_SLOW="0.5")
    proc = _worker(_tiny_run(out), env, work)
    run_dir = _only_run(out)
    assert run_dir is not None
    round_two = run_dir / "rounds" / "02"
    round_two.mkdir(parents=True)
    mounted = _mount(["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(round_two)])
    code, _, err = _finish(proc)
    if mounted:
        subprocess.run(["umount", str(round_two)], check=False, capture_output=True)
    _check_stopped(outcome, "read-only mid-run", code, err, run_dir, "not writable")
    _check_resumed(outcome, "once writable again", run_dir, env, work, log)


def _mount(args: list[str]) -> bool:
    return subprocess.run(["mount", *args], check=False, capture_output=True).returncode == 0


def _check_stopped(outcome: Outcome, name: str, code: int, err: str, run_dir: Path | None,
                   words: str) -> None:
    halves = [str(p) for p in run_dir.rglob(".tmp-*")] if run_dir else []
    result = (run_dir / "result.json") if run_dir else None
    whole = result is None or not result.exists() or bool(_result(run_dir or Path()))
    outcome.check(_one_line_error(code, err, words) and not halves and whole,
                  f"{name}: exit {code}, {err.strip()[:200]!r}, half-written {halves}, "
                  f"result.json whole {whole}")


def _check_resumed(outcome: Outcome, name: str, run_dir: Path | None, env: dict[str, str],
                   cwd: Path, log: Path) -> None:
    if run_dir is None:
        outcome.check(False, f"{name}: no run folder to resume")
        return
    code, _, err = _finish(_worker(["resume", str(run_dir), "--json"], env, cwd))
    ok, why = _held_run(code, err, run_dir)
    outcome.check(ok and not _twice(log), f"resumed {name}: {why}; twice {_twice(log)}")


def file_size_limit(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """RLIMIT_FSIZE makes big writes fail (EFBIG) as a full disk would; no root needed."""
    import resource

    outcome = Outcome("file-size-limit")
    log = work / "generated.log"
    env = _env(KINEMA_FAULT_LOG=str(log))

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    proc = _worker(_tiny_run(work / "runs"), env, work, preexec_fn=limited)
    code, _, err = _finish(proc)
    run_dir = _only_run(work / "runs", 0)
    _check_stopped(outcome, "file size limit", code, err, run_dir, "cannot write")
    _check_resumed(outcome, "without the limit", run_dir, env, work, log)
    return outcome


def graph_paths(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """The graph's input cannot choose where a run is written.

    The exported graph takes a narrow input (`prompt`, ...): run folders, run ids and state
    smuggled in beside it are ignored, and the run is written in the out folder. Only Kinema's
    runner graph takes a run id, and only for a folder its process has locked.
    """
    from agent.context import Context
    from agent.graph import build_graph, runner_graph
    from tools.errors import BadInputError

    outcome = Outcome("graph-paths")
    out, elsewhere = work / "out", work / "elsewhere"
    ctx = Context(out_dir=str(out), target=0.5, budget={"max_generations": 1})
    request = {"prompt": PROMPT, "duration_s": 1, "width": 160, "height": 96, "fps": 12}
    hosted, runner = build_graph(), runner_graph()
    tries: list[tuple[str, Any, dict[str, Any], bool]] = [
        ("run_dir elsewhere", hosted, {**request, "run_dir": str(elsewhere)}, True),
        ("run_id of a folder not ours", hosted, {**request, "run_id": "taken"}, True),
        ("run_id climbing out", hosted, {**request, "run_id": "../../escape"}, True),
        ("state smuggled in", hosted, {**request, "candidates": [{
            "id": "r01c0", "round": 1, "video": "/etc/hostname", "seed": 0, "backend": "x",
            "prompt": "x"}], "keyframes": [{"t": 0, "image": "/etc/hostname"}]}, True),
        ("runner graph, run_id not ours", runner, {"request": request, "run_id": "taken"},
         False),
        ("runner graph, run_id climbing out", runner,
         {"request": request, "run_id": "../../escape"}, False),
    ]
    for name, graph, payload, runs in tries:
        before = {p for p in work.rglob("*") if not p.is_relative_to(out)}
        try:
            graph.invoke(payload, context=ctx)
            error = None
        except BadInputError as exc:
            error = str(exc)
        outside = {p for p in work.rglob("*") if not p.is_relative_to(out)} - before
        outcome.check(not outside and (error is None) == runs,
                      f"{name}: error {error!r}; written outside the out folder: {outside}")
    return outcome


def preflight(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """Backends that cannot run are refused before anything is written or spent."""
    from typer.testing import CliRunner

    from agent.cli import app

    outcome = Outcome("preflight")
    closed = f"http://127.0.0.1:{_closed_port()}"
    cases = [
        ("judge key missing", ["--judge", "vlm:openai/gpt-4o"], {}, "OPENAI_API_KEY"),
        ("unknown model", ["--video", "litellm-video:openai/sora-9-imaginary"],
         {"OPENAI_API_KEY": SECRET}, "model table"),
        ("no Ollama server", ["--refiner", "litellm:ollama/qwen3"],
         {"OLLAMA_API_BASE": closed}, "Ollama"),
        ("unknown backend", ["--video", "nope"], {}, "unknown video backend"),
    ]
    runner = CliRunner()
    for name, args, env, words in cases:
        out = work / name.replace(" ", "-")
        clean = {k: None for k in ("OPENAI_API_KEY", "OLLAMA_API_BASE")}
        res = runner.invoke(app, ["run", PROMPT, "--out", str(out), *TINY, *args],
                            env={**clean, **env})
        made = list(out.rglob("*")) if out.exists() else []
        outcome.check(_one_line_error(res.exit_code, res.stderr, words) and not made
                      and not _secret_in(work, res.stdout, res.stderr),
                      f"{name}: exit {res.exit_code}, {res.stderr.strip()[:200]!r}, made {made}")
    res = runner.invoke(app, ["backends", "--json"], env={"OLLAMA_API_BASE": closed})
    rows = json.loads(res.stdout) if res.exit_code == 0 else []
    ollama = [r for r in rows if "ollama" in r["spec"]]
    outcome.check(bool(ollama) and not any(r["usable"] for r in ollama),
                  f"kinema backends calls Ollama usable with no server: {ollama}")
    return outcome


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fuzz(work: Path, rng: random.Random, fast: bool) -> Outcome:
    """Bad values at every entry point: a typed error (one line, exit 2 at the CLI), no crash."""
    from evals.fault_fuzz import fuzz_entry_points

    outcome = Outcome("fuzz")
    cwd = work / "cwd"
    cwd.mkdir()
    before = set(work.rglob("*"))
    with _chdir(cwd):
        for name, ok, detail in fuzz_entry_points(cwd / "out", rng, fast):
            outcome.check(ok, f"{name}: {detail}")
    mine = (cwd / "out", cwd / "inputs")  # the out folder, and the suite's own bad files
    outside = {p for p in set(work.rglob("*")) - before
               if not any(p.is_relative_to(m) for m in mine)}
    outcome.check(not outside, f"files written outside the out folder: {sorted(outside)[:5]}")
    return outcome


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


# Cases that only drive other processes (and a loopback server thread): they can run side by
# side, while the rest change this process's working folder or environment as they go.
PROCESS_CASES = {"kill-resume", "two-resumes", "corrupt-files", "api-job-reattach", "disk-full",
                 "file-size-limit"}

CASES: dict[str, tuple[Case, bool]] = {
    # name: (case, in the fast set that `make test` runs)
    "fuzz": (fuzz, True),
    "preflight": (preflight, True),
    "graph-paths": (graph_paths, True),
    "llm-faults": (llm_faults, True),
    "key-echo": (key_echo, True),
    "kill-resume": (kill_resume, True),
    "two-resumes": (two_resumes, True),
    "corrupt-files": (corrupt_files, True),
    "api-job-reattach": (api_job_reattach, False),  # re-attach itself: test_litellm_video
    "disk-full": (disk_full, True),
    "file-size-limit": (file_size_limit, False),
}


def run_cases(names: list[str] | None = None, *, fast: bool = False, seed: int = 0,
              workdir: Path | None = None, parallel: bool = False) -> list[Outcome]:
    """Runs the chosen cases (all, or the fast set) in fresh folders; returns their outcomes.

    With `parallel`, the cases that only drive other processes run side by side (they mostly
    wait on those processes); the others run one after another first.
    """
    from concurrent.futures import ThreadPoolExecutor

    chosen = [n for n, (_, in_fast) in CASES.items()
              if (names is None or n in names) and (in_fast or not fast)]
    together = [n for n in chosen if parallel and n in PROCESS_CASES]
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        outcomes = {n: _run_case(n, Path(tmp), seed, fast) for n in chosen if n not in together}
        if together:
            with ThreadPoolExecutor(len(together)) as pool:
                done = pool.map(lambda n: _run_case(n, Path(tmp), seed, fast), together)
                outcomes.update(zip(together, done, strict=True))
    return [outcomes[n] for n in chosen]


def _run_case(name: str, tmp: Path, seed: int, fast: bool) -> Outcome:
    case, _ = CASES[name]
    work = tmp / name
    work.mkdir()
    rng = random.Random(f"{seed}-{name}")
    started = time.perf_counter()
    try:
        outcome = case(work, rng, fast)
    except Exception as exc:  # a case that crashed is a case that did not hold
        outcome = Outcome(name, tried=1, failed=1,
                          notes=[f"the case crashed: {type(exc).__name__}: {exc}"])
    outcome.seconds = round(time.perf_counter() - started, 1)
    return outcome


def table(outcomes: list[Outcome]) -> str:
    lines = [f"{'case':<18} {'tried':>5} {'held':>5} {'failed':>6} {'seconds':>8}  notes"]
    for o in outcomes:
        note = "skipped: " + "; ".join(o.notes) if o.skipped else "; ".join(o.notes)[:200]
        lines.append(f"{o.case:<18} {o.tried:>5} {o.held:>5} {o.failed:>6} {o.seconds:>8.1f}  "
                     f"{note}")
    total = [sum(getattr(o, k) for o in outcomes) for k in ("tried", "held", "failed")]
    lines.append(f"{'all':<18} {total[0]:>5} {total[1]:>5} {total[2]:>6}")
    return "\n".join(lines)


def main(
    only: Annotated[list[str] | None, typer.Option(help="Run only these cases.")] = None,
    fast: Annotated[bool, typer.Option("--fast", help="Only the fast cases (as make test).")
                    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the random kill moments and inputs.")] = 0,
    parallel: Annotated[bool, typer.Option(
        "--parallel", help="Run the cases that only drive processes side by side.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Kill, corrupt, fill and fuzz Kinema on purpose; print what held (exit 1 if not all)."""
    unknown = sorted(set(only or []) - set(CASES))
    if unknown:
        raise typer.BadParameter(f"unknown case {unknown[0]!r}: choose from {', '.join(CASES)}")
    outcomes = run_cases(only, fast=fast, seed=seed, parallel=parallel)
    if as_json:
        typer.echo(json.dumps([asdict(o) for o in outcomes], indent=2))
    else:
        typer.echo(table(outcomes))
    if any(o.failed for o in outcomes):
        raise typer.Exit(1)
