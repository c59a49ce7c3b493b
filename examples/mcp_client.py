"""An MCP client session over stdio: start `kinema mcp`, list its tools, call both.

`generate_video` reports progress while it works (one notification per node of each round and
per verdict), and both tools return structured content matching their output schemas.

Any MCP host (Claude Desktop, an IDE, another agent) talks to Kinema the same way; its server
entry would be `{"command": "kinema", "args": ["mcp", "--out", "runs"]}`.

Run it (offline, on the studio; a few seconds):
    python examples/mcp_client.py --out runs/examples
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters


def server_command(out_dir: Path) -> StdioServerParameters:
    """`kinema mcp` through the current interpreter, making short, small clips."""
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "agent.cli", "mcp", "--out", str(out_dir), "--duration", "1",
              "--width", "320", "--height", "180", "--max-generations", "2"],
    )


async def session(out_dir: Path) -> dict[str, Any]:
    async with Client(server_command(out_dir)) as client:
        tools = await client.list_tools()
        names = sorted(t.name for t in tools.tools)
        print(f"tools: {', '.join(names)}")
        print(f"server: {client.server_info.name} {client.server_info.version}")

        async def progress(done: float, total: float | None, message: str | None) -> None:
            print(f"  progress {done:g}: {message}")

        made = await client.call_tool("generate_video", {"prompt": "a rubber ball bounces"},
                                      progress_callback=progress)
        if made.is_error:
            raise RuntimeError(f"generate_video failed: {made.content}")
        video = made.structured_content
        print(f"generate_video: score {video['score']}, video {video['video']}")
        judged = await client.call_tool("judge_video", {"path": video["video"],
                                                        "prompt": "a rubber ball bounces"})
        if judged.is_error:
            raise RuntimeError(f"judge_video failed: {judged.content}")
        verdict = judged.structured_content
        rules = {r["id"]: r["status"] for r in verdict["rules"]}
        print(f"judge_video: physics {verdict['physics']:.2f}, rules {json.dumps(rules)}")
        return {"tools": names, "video": video, "verdict": verdict}


def main(out_dir: Path) -> dict[str, Any]:
    return asyncio.run(session(out_dir))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/examples"))
    main(parser.parse_args().out)
