"""Kinema inside other agents: a LangGraph subgraph, a LangChain tool, an MCP server.

The in-process tests use the fakes; the example scripts run for real on the offline studio in a
subprocess, as a user would run them.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from langgraph.graph import END, START, StateGraph
from mcp import Client
from typing_extensions import TypedDict

from agent.context import Context
from agent.mcp_server import build_server
from agent.subgraph import build_subgraph
from agent.tool import as_tool

ROOT = Path(__file__).parents[1]


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / name)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # typing.get_type_hints looks the module up here
    spec.loader.exec_module(module)
    return module


def test_subgraph_has_a_narrow_interface(fakes, fake_context):
    graph = build_subgraph(fake_context, duration_s=1.0)
    out = graph.invoke({"prompt": "a ball falls", "budget": {"max_generations": 2}})
    assert set(out) == {"video", "score", "stop_reason", "result_path"}
    assert Path(out["video"]).is_file() and Path(out["result_path"]).is_file()
    assert json.loads(Path(out["result_path"]).read_text())["ledger"]["generations"] <= 2
    assert set(graph.get_input_jsonschema()["properties"]) == {"prompt", "budget", "image"}
    assert set(graph.get_output_jsonschema()["properties"]) == set(out)


def test_parent_example_with_a_reducer_sees_nothing_doubled(fakes, fake_context, tmp_path, capsys):
    final = load_example("subgraph_parent.py").main(tmp_path / "runs", context=fake_context)
    assert len(final["log"]) == 3  # brief, shot, review: the subgraph adds none
    assert final["log"][1].startswith("shot: a red rubber ball")
    assert Path(final["video"]).is_file() and final["stop_reason"]
    assert "stop reason" in capsys.readouterr().out


class ParentState(TypedDict, total=False):
    prompt: str
    video: str | None
    score: float | None
    stop_reason: str
    result_path: str


def test_subgraph_forwards_progress_to_the_parents_custom_stream(fakes, fake_context):
    builder = StateGraph(ParentState)
    builder.add_node("video", build_subgraph(fake_context, duration_s=1.0))
    builder.add_edge(START, "video")
    builder.add_edge("video", END)
    chunks = list(builder.compile().stream({"prompt": "a ball falls"}, stream_mode="custom",
                                           subgraphs=True))
    kinds = [chunk["kinema"]["kind"] for _, chunk in chunks]
    assert "plan_ready" in kinds and "verdict" in kinds and "decision" in kinds


def test_a_parents_kinema_context_overrides_the_built_one(fakes, fake_context, tmp_path):
    ctx = fake_context.model_copy(update={"out_dir": str(tmp_path / "from_parent")})
    builder = StateGraph(ParentState, context_schema=Context)
    builder.add_node("video", build_subgraph(Context(out_dir=str(tmp_path / "built"))))
    builder.add_edge(START, "video")
    out = builder.compile().invoke({"prompt": "a ball falls"}, context=ctx)
    assert Path(out["result_path"]).parent.parent == tmp_path / "from_parent"


def test_tool_example_returns_content_and_artifact(fakes, fake_context, tmp_path):
    message = load_example("tool_call.py").main(tmp_path / "runs", context=fake_context)
    answer = json.loads(message.content)
    assert set(answer) >= {"video", "score", "stop_reason", "result_path"}
    assert message.artifact["run_id"] and message.tool_call_id == "call_1"


def test_tool_schema_and_async_call(fakes, fake_context):
    tool = as_tool(fake_context, duration_s=1.0)
    assert set(tool.tool_call_schema.model_json_schema()["properties"]) == {
        "prompt", "max_generations"}
    content = asyncio.run(tool.ainvoke({"prompt": "a ball falls", "max_generations": 1}))
    assert json.loads(content)["score"] is not None


def test_mcp_server_lists_and_calls_both_tools_in_process(fakes, fake_context):
    async def session():
        async with Client(build_server(fake_context, duration_s=1.0)) as client:
            names = sorted(t.name for t in (await client.list_tools()).tools)
            made = await client.call_tool("generate_video", {"prompt": "a ball falls",
                                                             "max_generations": 1})
            judged = await client.call_tool("judge_video", {"path": made.structured_content[
                "video"]})
            missing = await client.call_tool("judge_video", {"path": "/nope.mp4"})
            return names, made, judged, missing

    names, made, judged, missing = asyncio.run(session())
    assert names == ["generate_video", "judge_video"]
    assert not made.is_error and Path(made.structured_content["video"]).is_file()
    assert not judged.is_error and judged.structured_content["rules"][0]["id"] == "gravity"
    assert missing.is_error and "outside the folders this server may read" in str(
        missing.content)


def test_langgraph_json_graphs_all_load():
    config = json.loads((ROOT / "langgraph.json").read_text())
    for name, target in config["graphs"].items():
        path, _, attr = target.partition(":")
        spec = importlib.util.spec_from_file_location(f"lg_{name}", ROOT / path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        assert getattr(module, attr).get_graph().nodes, name


def _run_example(name: str, tmp_path: Path) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / name), "--out",
                           str(tmp_path / "runs")], capture_output=True, text=True, cwd=ROOT,
                          timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_subgraph_example_runs_offline_on_the_studio(tmp_path):
    out = _run_example("subgraph_parent.py", tmp_path)
    assert "stop reason" in out and "scored" in out


def test_tool_example_runs_offline_on_the_studio(tmp_path):
    out = _run_example("tool_call.py", tmp_path)
    assert "tool answered: score" in out


def test_mcp_example_runs_offline_on_the_studio(tmp_path):
    out = _run_example("mcp_client.py", tmp_path)
    assert "tools: generate_video, judge_video" in out and "judge_video: physics" in out


def test_kinema_mcp_rejects_an_unknown_backend(tmp_path):
    from typer.testing import CliRunner

    from agent.cli import app

    res = CliRunner().invoke(app, ["mcp", "--out", str(tmp_path), "--video", "nope"])
    assert res.exit_code == 2 and "unknown video backend" in res.stderr

