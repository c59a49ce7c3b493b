"""Kinema as a LangChain tool: the call an LLM agent would make, without the LLM.

`as_tool()` returns a `StructuredTool` whose content is a short JSON answer for the model and whose
artifact is the full RunResult for the program. An agent binds it with `llm.bind_tools([tool])`;
here a hand-written tool call stands in for the model's, so the example runs offline.

Run it (offline, on the studio; a few seconds):
    python examples/tool_call.py --out runs/examples
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from langchain_core.messages import ToolMessage

from agent import Context, as_tool


def main(out_dir: Path, context: Context | None = None) -> ToolMessage:
    ctx = (context or Context()).model_copy(update={"out_dir": str(out_dir)})
    tool = as_tool(ctx, duration_s=1.0, width=320, height=180)
    print(f"tool {tool.name}, arguments: {', '.join(tool.args)}")
    call: dict[str, Any] = {
        "type": "tool_call", "id": "call_1", "name": tool.name,
        "args": {"prompt": "a steel ball rolls off a table and falls", "max_generations": 2},
    }
    message: ToolMessage = tool.invoke(call)
    answer = json.loads(str(message.content))
    print(f"tool answered: score {answer['score']}, stop reason {answer['stop_reason']}")
    print(f"video: {answer['video']}")
    print(f"artifact: {len(message.artifact['rounds'])} rounds, run {message.artifact['run_id']}")
    return message


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/examples"))
    main(parser.parse_args().out)
