"""Kinema on a LangGraph server, driven with `langgraph-sdk`: a run, then a run whose plan
waits for approval.

Start the server from the repository (`pip install 'kinema[server]'`):
    langgraph dev --no-browser            # serves `kinema` and `kinema_subgraph`
then, in another shell (offline, on the studio; a few seconds a run):
    python examples/langgraph_client.py --url http://127.0.0.1:2024 --out runs/examples

The input is narrow (`prompt`, and optionally `budget`, `options`, `init_image`, the video's
size and length); the output is `video`, `score`, `physics`, `adherence`, `stop_reason` and
`result_path`. The run's Context (backends, caps, out folder, `approve_plan`) is the run's
`context`. Paths are on the server's machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from langgraph_sdk import get_sync_client

SMALL = {"duration_s": 1.0, "width": 320, "height": 180}


def main(url: str, out_dir: Path) -> dict[str, Any]:
    client = get_sync_client(url=url)
    context = {"out_dir": str(out_dir.resolve()), "budget": {"max_generations": 2}}

    thread = client.threads.create()
    out = client.runs.wait(thread["thread_id"], "kinema",
                           input={"prompt": "a rubber ball falls and bounces", **SMALL},
                           context=context)
    print(f"kinema: score {out['score']}, {out['stop_reason']}, video {out['video']}")

    # The plan waits for a person: the run stops at an interrupt carrying it.
    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "kinema",
                     input={"prompt": "a steel ball rolls off a table", **SMALL},
                     context={**context, "approve_plan": True})
    (waiting,) = client.threads.get_state(thread["thread_id"])["interrupts"]
    plan = waiting["value"]["plan"]
    print(f"plan to approve: {', '.join(plan['phenomena'])}; "
          f"{len(plan['rules'])} rules; keyframes at {[k['t'] for k in plan['keyframes']]}")
    approved = client.runs.wait(thread["thread_id"], "kinema",
                                command={"resume": {"action": "approve"}},
                                context={**context, "approve_plan": True})
    print(f"approved: score {approved['score']}, video {approved['video']}")
    return {"first": out, "approved": approved}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:2024")
    parser.add_argument("--out", type=Path, default=Path("runs/examples"))
    args = parser.parse_args()
    main(args.url, args.out)
