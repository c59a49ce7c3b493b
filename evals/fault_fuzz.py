"""Bad input at every entry point, for the `fuzz` case of `python -m evals faults`.

Every input here is wrong in a way a user or a calling agent gets wrong: the wrong type, NaN,
infinity, a negative or absurd number, an empty or enormous prompt, bytes that are not UTF-8,
markup, a path that is a file or is missing, a corrupt run folder. What must come back is a
typed error: a `KinemaError` from the library, exit code 2 and one line from the CLI, an error
result (not a crash) from MCP, a validation error from the LangChain tool's schema.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

NAN, INF = float("nan"), float("inf")
LONG = "a ball falls " * 400  # 5200 characters
NOT_UTF8 = "a ball \udcff\udcfe falls"  # what Python makes of bytes 0xff 0xfe in argv
Result = tuple[str, bool, str]


def fuzz_entry_points(out: Path, rng: random.Random, fast: bool) -> Iterator[Result]:
    """(entry point and input, held, what happened) for every bad input."""
    files = _bad_files(out.parent / "inputs")
    yield from _api(out, files)
    yield from _cli(out, files)
    yield from _chat(out)
    yield from _mcp(out, files)
    yield from _tool_and_subgraph(out)
    yield from _argv_bytes(out)


def _bad_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / "notes.txt"
    text.write_text("not a video")
    empty = folder / "empty.mp4"
    empty.write_bytes(b"")
    run = folder / "20250101-000000-abcdef"
    run.mkdir(exist_ok=True)
    (run / "context.json").write_text("{\"planner\": ")
    (run / "result.json").write_text("[1, 2")
    (run / "trace.jsonl").write_text("{\"resourceSpans\": [\n")
    return {"text": text, "empty": empty, "corrupt_run": run, "missing": folder / "gone.mp4"}


def _typed(name: str, call: Callable[[], Any], kinds: tuple[type[BaseException], ...]) -> Result:
    from tools.errors import KinemaError

    kinds = kinds or (KinemaError,)
    try:
        call()
    except kinds as exc:
        return name, True, f"{type(exc).__name__}: {exc}"
    except BaseException as exc:  # anything else is the crash this suite looks for
        return name, False, f"{type(exc).__name__}: {exc}"
    return name, False, "accepted"


def _api(out: Path, files: dict[str, Path]) -> Iterator[Result]:
    from agent.api import generate, judge_video, stream

    calls: dict[str, Callable[[], Any]] = {
        "generate(42)": lambda: generate(42),  # type: ignore[arg-type]
        "generate(None)": lambda: generate(None),  # type: ignore[arg-type]
        "generate(b'bytes')": lambda: generate(b"a ball falls"),  # type: ignore[arg-type]
        "generate('')": lambda: generate("   "),
        "generate(5200 chars)": lambda: generate(LONG, out_dir=out),
        "generate(not UTF-8)": lambda: generate(NOT_UTF8, out_dir=out),
        "generate(context=dict)": lambda: generate("a", context={"video": "studio", "x": 1}),
        "generate(context=5)": lambda: generate("a", context=5),  # type: ignore[arg-type]
        "generate(budget=[])": lambda: generate("a", budget=[]),  # type: ignore[arg-type]
        "generate(max_generations=0)": lambda: generate("a", budget={"max_generations": 0}),
        "generate(max_usd=nan)": lambda: generate("a", budget={"max_usd": NAN}),
        "generate(duration nan)": lambda: generate("a", duration_s=NAN, out_dir=out),
        "generate(duration inf)": lambda: generate("a", duration_s=INF, out_dir=out),
        "generate(duration -1)": lambda: generate("a", duration_s=-1, out_dir=out),
        "generate(duration 'abc')": lambda: generate("a", duration_s="abc"),
        "generate(fps 10**9)": lambda: generate("a", fps=10**9),
        "generate(seed -1)": lambda: generate("a", seed=-1),
        "generate(unknown field)": lambda: generate("a", colour="red"),
        "generate(out_dir=42)": lambda: generate("a", out_dir=42),  # type: ignore[arg-type]
        "generate(target nan)": lambda: generate("a", context={"target": NAN}),
        "stream(42)": lambda: next(iter(stream(42))),  # type: ignore[arg-type]
        "judge_video(None)": lambda: judge_video(None),  # type: ignore[arg-type]
        "judge_video(42)": lambda: judge_video(42),  # type: ignore[arg-type]
        "judge_video('')": lambda: judge_video(""),
        "judge_video(missing)": lambda: judge_video(files["missing"]),
        "judge_video(text file)": lambda: judge_video(files["text"]),
        "judge_video(empty mp4)": lambda: judge_video(files["empty"]),
        "judge_video(folder)": lambda: judge_video(files["corrupt_run"]),
        "judge_video(judge=nope)": lambda: judge_video(files["text"], judge="nope"),
        "judge_video(prompt=42)": lambda: judge_video(files["text"], prompt=42),  # type: ignore
    }
    for name, call in calls.items():
        yield _typed(name, call, ())


CLI_CASES: list[tuple[str, list[str]]] = [
    ("run ''", ["run", ""]),
    ("run 5200 chars", ["run", LONG]),
    ("run not UTF-8", ["run", NOT_UTF8]),
    ("run [markup]", ["run", "[/bold] [red]", "--duration", "nan"]),
    ("run --duration nan", ["run", "a ball", "--duration", "nan"]),
    ("run --duration inf", ["run", "a ball", "--duration", "inf"]),
    ("run --duration -1", ["run", "a ball", "--duration", "-1"]),
    ("run --fps 0", ["run", "a ball", "--fps", "0"]),
    ("run --width 99999", ["run", "a ball", "--width", "99999"]),
    ("run --max-generations 0", ["run", "a ball", "--max-generations", "0"]),
    ("run --max-usd nan", ["run", "a ball", "--max-usd", "nan"]),
    ("run --target nan", ["run", "a ball", "--target", "nan"]),
    ("run --target 2", ["run", "a ball", "--target", "2"]),
    ("run --video nope", ["run", "a ball", "--video", "nope"]),
    ("run --judge 'ensemble:'", ["run", "a ball", "--judge", "ensemble:"]),
    ("run --planner litellm:", ["run", "a ball", "--planner", "litellm:"]),
    ("run --out /proc/nope", ["run", "a ball", "--out", "/proc/kinema-nope"]),
    ("chat --duration nan", ["chat", "--duration", "nan"]),
    ("mcp --allow missing", ["mcp", "--allow", "/kinema/no/such/folder"]),
    ("mcp --max-generations -5", ["mcp", "--max-generations", "-5"]),
]


def _cli(out: Path, files: dict[str, Path]) -> Iterator[Result]:
    from typer.testing import CliRunner

    from agent.cli import app

    runner = CliRunner()
    corrupt = str(files["corrupt_run"])
    cases = [*CLI_CASES,
             ("resume a file", ["resume", str(files["text"])]),
             ("resume missing", ["resume", str(files["missing"])]),
             ("resume no context", ["resume", str(files["text"].parent)]),
             ("resume corrupt context", ["resume", corrupt]),
             ("judge missing", ["judge", str(files["missing"])]),
             ("judge text file", ["judge", str(files["text"])]),
             ("judge empty mp4", ["judge", str(files["empty"])]),
             ("judge a folder", ["judge", corrupt]),
             ("judge --judge nope", ["judge", str(files["text"]), "--judge", "nope"]),
             ("report a file", ["report", str(files["text"])]),
             ("report corrupt result", ["report", corrupt]),
             ("trace corrupt trace", ["trace", corrupt]),
             ("trace missing", ["trace", str(files["missing"])])]
    for name, args in cases:
        if args[0] in ("run", "chat", "mcp") and "--out" not in args:
            args = [*args, "--out", str(out)]
        res = runner.invoke(app, args)
        lines = [line for line in res.stderr.strip().splitlines() if line.strip()]
        crash = _crash(res)
        ok = (res.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error:")
              and "Traceback" not in res.output and crash is None)
        yield (f"kinema {name}", ok,
               f"exit {res.exit_code}: {res.stderr.strip()[:160]!r} {crash!r}")


def _crash(res: Any) -> BaseException | None:
    """The exception a CLI invocation died of (a clean exit is not one)."""
    return None if res.exception is None or isinstance(res.exception, SystemExit) \
        else res.exception


def _chat(out: Path) -> Iterator[Result]:
    from typer.testing import CliRunner

    from agent.cli import app

    lines = [b"/budget max_usd=nan", b"/budget max_generations=-5", b"/use judge=nope",
             b"/judge /kinema/no/such.mp4", ("x" * 5000).encode(), b"a ball \xff\xfe falls",
             b"/unknown", b"/quit"]
    res = CliRunner().invoke(app, ["chat", "--out", str(out)], input=b"\n".join(lines) + b"\n")
    errors = res.output.count("error:")
    crash = _crash(res)
    ok = res.exit_code == 0 and errors == len(lines) - 1 and "Traceback" not in res.output
    yield ("kinema chat, piped bad lines", ok and crash is None,
           f"exit {res.exit_code}, {errors} errors shown, {crash!r}: {res.output[-300:]!r}")


def _mcp(out: Path, files: dict[str, Path]) -> Iterator[Result]:
    from mcp import Client

    from agent.context import Context
    from agent.mcp_server import build_server

    out.mkdir(parents=True, exist_ok=True)
    link = out / "link.mp4"
    if not link.exists():
        link.symlink_to("/etc/hostname")
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("generate_video prompt ''", "generate_video", {"prompt": ""}),
        ("generate_video 5200 chars", "generate_video", {"prompt": LONG}),
        ("generate_video prompt 42", "generate_video", {"prompt": 42}),
        ("generate_video max_generations 0", "generate_video",
         {"prompt": "a ball", "max_generations": 0}),
        ("generate_video max_generations -5", "generate_video",
         {"prompt": "a ball", "max_generations": -5}),
        ("generate_video max_generations 'many'", "generate_video",
         {"prompt": "a ball", "max_generations": "many"}),
        ("judge_video /etc/passwd", "judge_video", {"path": "/etc/passwd"}),
        ("judge_video a link out of the folder", "judge_video", {"path": str(link)}),
        ("judge_video ../ out of the folder", "judge_video",
         {"path": str(out / ".." / "inputs" / "notes.txt")}),
        ("judge_video allowed but not a video", "judge_video",
         {"path": str(files["text"])}),
        ("judge_video client-chosen judge", "judge_video",
         {"path": str(files["text"]), "judge": "vlm:openai/gpt-4o"}),
    ]

    async def session() -> list[Result]:
        server = build_server(Context(out_dir=str(out)), allow=[files["text"].parent])
        found: list[Result] = []
        async with Client(server) as client:
            for name, tool, arguments in calls:
                try:
                    res = await client.call_tool(tool, arguments)
                except Exception as exc:  # the client raising is not an error result
                    found.append((f"mcp {name}", False, f"{type(exc).__name__}: {exc}"))
                    continue
                text = " ".join(getattr(c, "text", "") for c in res.content)
                ok = res.is_error and "Traceback" not in text and bool(text.strip())
                found.append((f"mcp {name}", ok, text[:160]))
        return found

    yield from asyncio.run(session())


def _tool_and_subgraph(out: Path) -> Iterator[Result]:
    from agent.context import Context
    from agent.subgraph import build_subgraph
    from agent.tool import as_tool
    from tools.errors import KinemaError

    tool = as_tool(Context(out_dir=str(out)))
    for args in ({"prompt": ""}, {"prompt": 42}, {"prompt": LONG},
                 {"prompt": "a ball", "max_generations": 0}, {"max_generations": 2}):
        yield _typed(f"tool {json.dumps(args)[:60]}", partial(tool.invoke, args),
                     (ValidationError, KinemaError))
    graph = build_subgraph(Context(out_dir=str(out)))
    for state in ({}, {"prompt": 42}, {"prompt": NOT_UTF8},
                  {"prompt": "a ball", "budget": {"max_usd": NAN}},
                  {"prompt": "a ball", "budget": "lots"}):
        yield _typed(f"subgraph {state!r}"[:80], partial(graph.invoke, state), ())


def _argv_bytes(out: Path) -> Iterator[Result]:
    """A prompt with bytes that are not UTF-8, through a real process's argv."""
    args = [sys.executable.encode(), b"-m", b"agent.cli", b"run", b"a ball \xff\xfe falls",
            b"--out", str(out).encode()]
    done = subprocess.run(args, capture_output=True, timeout=120, check=False)
    err = done.stderr.decode("utf-8", "backslashreplace")
    lines = [line for line in err.strip().splitlines() if line.strip()]
    ok = done.returncode == 2 and len(lines) == 1 and "UTF-8" in err and "Traceback" not in err
    yield "kinema run <bytes 0xff 0xfe> (argv)", ok, f"exit {done.returncode}: {err[:160]!r}"
