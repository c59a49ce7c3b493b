from __future__ import annotations

import subprocess
import sys


def test_import_agent_needs_no_local_extra():
    """`import agent` and building the graph must not pull torch/diffusers/transformers."""
    code = (
        "import sys, agent\n"
        "from agent.graph import graph\n"
        "from agent.cli import app\n"
        "heavy = [m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_langgraph_json_names_the_module_graph():
    import json
    from pathlib import Path

    config = json.loads((Path(__file__).parents[1] / "langgraph.json").read_text())
    path, _, attr = config["graphs"]["kinema"].partition(":")
    assert path == "./agent/graph.py" and attr == "graph"
    from agent.graph import graph

    assert set(graph.get_graph().nodes) >= {"plan", "keyframes", "generate", "judge", "decide",
                                            "refine", "finish"}
