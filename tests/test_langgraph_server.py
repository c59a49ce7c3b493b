"""Kinema under a real LangGraph server: `langgraph dev` (langgraph-cli[inmem]) with the graphs
of `langgraph.json`, driven over HTTP by `langgraph-sdk`, plan approval included.

Slow (the server starts in a few seconds, each run on the studio takes a few more), so it is
left out of the default run: `make test-slow` (or `pytest -m slow tests/test_langgraph_server.py`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langgraph_api", reason="needs langgraph-cli[inmem] (kinema[server])")
from langgraph_sdk import get_sync_client

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
OUTPUT = {"video", "score", "physics", "adherence", "stop_reason", "result_path"}
SMALL = {"duration_s": 1.0, "width": 160, "height": 96, "fps": 12}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`langgraph dev` on a free port, from the repository (graph paths are relative to it);
    its in-memory state is kept in `.langgraph_api/` there (git-ignored)."""
    work = tmp_path_factory.mktemp("langgraph_dev")
    port = _free_port()
    cli = shutil.which("langgraph", path=str(Path(sys.executable).parent)) or "langgraph"
    log = (work / "server.log").open("w")
    proc = subprocess.Popen(
        [cli, "dev", "--config", str(ROOT / "langgraph.json"), "--port", str(port),
         "--host", "127.0.0.1", "--no-browser", "--no-reload"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "LANGGRAPH_NO_ANALYTICS": "1", "LANGSMITH_TRACING": "false"})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc, work / "server.log")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    client = get_sync_client(url=url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"langgraph dev exited:\n{log.read_text()[-3000:]}")
        try:
            client.assistants.search(limit=5)
            return
        except Exception:
            time.sleep(0.5)
    raise AssertionError(f"langgraph dev did not answer:\n{log.read_text()[-3000:]}")


def _context(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {"out_dir": str(tmp_path / "runs"), "budget": {"max_generations": 2}, **extra}


@pytest.mark.parametrize("graph", ["kinema", "kinema_subgraph"])
def test_both_graphs_take_a_prompt_and_return_the_video(server, tmp_path, graph):
    client = get_sync_client(url=server)
    (assistant,) = client.assistants.search(graph_id=graph)
    schemas = client.assistants.get_schemas(assistant["assistant_id"])
    assert set(schemas["input_schema"]["properties"]) >= {"prompt", "budget", "options",
                                                          "init_image"}
    assert set(schemas["output_schema"]["properties"]) == OUTPUT
    thread = client.threads.create()
    out = client.runs.wait(thread["thread_id"], graph,
                           input={"prompt": "a red rubber ball falls and bounces", **SMALL},
                           context=_context(tmp_path))
    assert isinstance(out, dict) and set(out) >= OUTPUT, out
    assert Path(out["video"]).is_file() and Path(out["result_path"]).is_file()
    assert out["score"] is not None and out["stop_reason"]
    # The run's folder is complete, its trace's root span closed.
    run_dir = Path(out["result_path"]).parent
    assert run_dir.parent == tmp_path / "runs" and (run_dir / "report.html").is_file()
    assert '"kinema.status"' in (run_dir / "trace.jsonl").read_text()


def test_plan_approval_through_the_server(server, tmp_path):
    client = get_sync_client(url=server)
    thread = client.threads.create()
    context = _context(tmp_path, approve_plan=True)
    paused = client.runs.wait(thread["thread_id"], "kinema",
                              input={"prompt": "a steel ball rolls off a table", **SMALL},
                              context=context)
    state = client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["approve"], (paused, state)
    (waiting,) = state["interrupts"]
    assert waiting["value"]["kind"] == "plan_approval"
    assert waiting["value"]["plan"]["phenomena"]
    assert not list((tmp_path / "runs").glob("*/rounds/*/*.mp4"))  # nothing paid yet
    out = client.runs.wait(thread["thread_id"], "kinema",
                           command={"resume": {"action": "approve"}}, context=context)
    assert isinstance(out, dict) and Path(out["video"]).is_file(), out
    assert client.threads.get_state(thread["thread_id"])["next"] == []


def test_the_readme_client_example_runs_against_the_server(server, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("langgraph_client",
                                                  ROOT / "examples" / "langgraph_client.py")
    assert spec and spec.loader
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    done = example.main(server, tmp_path / "runs")
    assert Path(done["first"]["video"]).is_file() and Path(done["approved"]["video"]).is_file()
