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

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command
from mcp import Client
from typing_extensions import TypedDict

from agent import __version__
from agent.context import Context
from agent.mcp_server import build_server
from agent.state import Budget
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


OUTPUT = {"video", "score", "physics", "adherence", "stop_reason", "result_path"}


def test_subgraph_has_a_narrow_interface(fakes, fake_context):
    graph = build_subgraph(fake_context, duration_s=1.0)
    out = graph.invoke({"prompt": "a ball falls", "budget": {"max_generations": 2}})
    assert set(out) == OUTPUT
    assert Path(out["video"]).is_file() and Path(out["result_path"]).is_file()
    assert json.loads(Path(out["result_path"]).read_text())["ledger"]["generations"] <= 2
    assert set(graph.get_input_jsonschema()["properties"]) == {
        "prompt", "init_image", "duration_s", "fps", "width", "height", "seed", "budget",
        "options"}
    assert set(graph.get_output_jsonschema()["properties"]) == OUTPUT


def test_parent_example_with_a_reducer_sees_nothing_doubled(fakes, fake_context, tmp_path, capsys):
    final = load_example("subgraph_parent.py").main(tmp_path / "runs", context=fake_context)
    assert len(final["log"]) == 3  # brief, shot, review: the subgraph adds none
    assert final["log"][1].startswith("shot: a red rubber ball")
    assert Path(final["video"]).is_file() and final["stop_reason"]
    out = capsys.readouterr().out
    assert "[kinema] judge" in out and "stop reason" in out


class ParentState(TypedDict, total=False):
    prompt: str
    video: str | None
    score: float | None
    stop_reason: str
    result_path: str


def _parent(subgraph: object, checkpointer: object = None) -> object:
    builder = StateGraph(ParentState, context_schema=Context)
    builder.add_node("video", subgraph)
    builder.add_edge(START, "video")
    builder.add_edge("video", END)
    return builder.compile(checkpointer=checkpointer)


def test_subgraph_nodes_show_in_the_parents_stream(fakes, fake_context):
    parent = _parent(build_subgraph(duration_s=1.0))
    chunks = list(parent.stream({"prompt": "a ball falls"}, context=fake_context,
                                stream_mode="updates", subgraphs=True))
    inner = [node for namespace, update in chunks if namespace for node in update]
    assert {"plan", "keyframes", "generate", "judge", "decide", "finish"} <= set(inner)
    assert chunks[-1][0] == () and chunks[-1][1]["video"]["score"] == 0.95


def test_a_parents_kinema_context_overrides_the_built_one(fakes, fake_context, tmp_path):
    ctx = fake_context.model_copy(update={"out_dir": str(tmp_path / "from_parent")})
    out = _parent(build_subgraph(Context(out_dir=str(tmp_path / "built")))).invoke(
        {"prompt": "a ball falls"}, context=ctx)
    assert Path(out["result_path"]).parent.parent == tmp_path / "from_parent"


def test_plan_approval_reaches_the_parents_caller_through_its_checkpointer(
        fakes, fake_context, caplog):
    saver = InMemorySaver()
    parent = _parent(build_subgraph(duration_s=1.0), saver)
    config = {"configurable": {"thread_id": "t"}}
    ctx = fake_context.model_copy(update={"approve_plan": True})
    paused = parent.invoke({"prompt": "a ball falls"}, config, context=ctx)
    assert paused["__interrupt__"][0].value["kind"] == "plan_approval"
    assert fakes["video"].jobs == []
    # The subgraph's progress is in the parent's checkpoint, under its namespace.
    checkpointed = {tuple(c.config["configurable"]["checkpoint_ns"].split(":")[:1])
                    for c in saver.list(None)}
    assert ("video",) in checkpointed
    done = parent.invoke(Command(resume={"action": "approve"}), config, context=ctx)
    assert done["stop_reason"] == "target_reached" and Path(done["video"]).is_file()
    assert "unregistered type" not in caplog.text


def test_tool_example_returns_content_and_artifact(fakes, fake_context, tmp_path):
    message = load_example("tool_call.py").main(tmp_path / "runs", context=fake_context)
    answer = json.loads(message.content)
    assert set(answer) >= {"video", "score", "stop_reason", "result_path"}
    assert message.artifact["run_id"] and message.tool_call_id == "call_1"


def test_tool_schema_and_async_call(fakes, fake_context):
    tool = as_tool(fake_context, duration_s=1.0)
    assert set(tool.tool_call_schema.model_json_schema()["properties"]) == {
        "prompt", "max_generations", "max_usd", "max_seconds", "max_gpu_seconds", "max_tokens"}
    content = asyncio.run(tool.ainvoke({"prompt": "a ball falls", "max_generations": 1}))
    assert json.loads(content)["score"] is not None


def test_a_tool_call_can_lower_the_budget_but_not_raise_it(fakes, fake_context):
    ctx = fake_context.model_copy(update={"budget": Budget(max_generations=2)})
    tool = as_tool(ctx, duration_s=1.0)
    message = tool.invoke({"type": "tool_call", "id": "c", "name": tool.name,
                           "args": {"prompt": "a ball falls", "max_generations": 9}})
    assert message.artifact["ledger"]["generations"] == 2
    assert message.artifact["budget"]["max_generations"] == 2


def test_mcp_server_lists_and_calls_both_tools_in_process(fakes, fake_context):
    progress: list[tuple[float, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, message))

    async def session():
        async with Client(build_server(fake_context, duration_s=1.0)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            made = await client.call_tool("generate_video", {"prompt": "a ball falls",
                                                             "max_generations": 1},
                                          progress_callback=on_progress)
            judged = await client.call_tool("judge_video", {"path": made.structured_content[
                "video"]})
            missing = await client.call_tool("judge_video", {"path": "/nope.mp4"})
            return client.server_info, tools, made, judged, missing

    info, tools, made, judged, missing = asyncio.run(session())
    assert sorted(tools) == ["generate_video", "judge_video"]
    assert info.name == "kinema" and info.version == __version__
    for tool in tools.values():
        assert all(p.get("description") for p in tool.input_schema["properties"].values())
    generate_schema = tools["generate_video"].output_schema["properties"]
    assert {"video", "score", "physics", "adherence", "stop_reason", "result_path",
            "run_id"} <= set(generate_schema)
    assert "rules" in tools["judge_video"].output_schema["properties"]
    assert set(tools["generate_video"].input_schema["properties"]) == {
        "prompt", "max_generations", "max_usd", "max_seconds", "max_gpu_seconds", "max_tokens"}
    assert not made.is_error and Path(made.structured_content["video"]).is_file()
    assert made.structured_content["generations"] == 1
    # Progress came while the video was made: each node of the round, then its verdict.
    messages = [m for _, m in progress]
    assert [d for d, _ in progress] == sorted(d for d, _ in progress) and len(progress) >= 6
    assert "round 1: generate done" in messages and any("score 0.40" in m for m in messages)
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


def test_otel_example_shows_kinemas_spans_in_the_applications_trace(tmp_path):
    out = _run_example("otel_host.py", tmp_path)
    assert "span 'invoke_agent kinema' (storyboard-app, internal)" in out
    assert "span 'node.judge' (storyboard-app" in out and "span 'make storyboard'" in out


def test_mcp_example_runs_offline_on_the_studio(tmp_path):
    out = _run_example("mcp_client.py", tmp_path)
    assert "tools: generate_video, judge_video" in out and "judge_video: physics" in out
    assert "server: kinema " in out and ": round 1: plan done" in out
    assert "progress 1: plan " in out and "score" in out


def test_kinema_mcp_rejects_an_unknown_backend(tmp_path):
    from typer.testing import CliRunner

    from agent.cli import app

    res = CliRunner().invoke(app, ["mcp", "--out", str(tmp_path), "--video", "nope"])
    assert res.exit_code == 2 and "unknown video backend" in res.stderr

