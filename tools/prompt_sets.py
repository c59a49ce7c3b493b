"""Prompt sets on disk: the files a batch or a benchmark reads, in their published formats.

- text (`.txt`): one prompt a line; blank lines and lines starting with `#` are skipped
  (VBench-2.0's `prompt_<Dimension>.txt` files are this format).
- JSONL (`.jsonl`): one object a line with `prompt` and optionally `id`, `seed`, `budget`
  (Budget fields as an object, or a number meaning a USD cap) and `category`.
- CSV (`.csv`): a header with a `caption` (VideoPhy-2) or `prompt` column; `id`, `seed` and
  `category` columns are read when present.
- JSON (`.json`): PhyGenBench's `prompts.json` (objects with `caption`, `main_category`,
  `sub_category`, `physical_laws`) or VBench-2.0's `meta_info_<Dimension>.json` (objects with
  `prompt_en`, `dimension`, `auxiliary_info`).

Every other field of a row is kept as the item's `meta`, so a benchmark's own labels (physical laws,
check questions) travel with the item into the batch summary. Bad files fail with the line (or
entry) at fault, before anything runs.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tools.errors import BadInputError

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class PromptItem(BaseModel):
    """One prompt of a set, with what the file says about it."""

    id: str = Field(description="Unique in the set; names the item's folder.")
    prompt: str
    seed: int | None = Field(None, ge=0, description="Overrides the batch's seed.")
    budget: dict[str, Any] | None = Field(None, description="Budget fields for this item only.")
    category: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict, description="The row's other fields.")


def read_prompt_set(path: str | os.PathLike[str]) -> list[PromptItem]:
    """Reads a prompt file; the format comes from the extension (and, for `.json`, the content).

    Raises:
        BadInputError: the file is missing, empty, of an unknown format, or a row is invalid.
    """
    source = Path(path).expanduser()
    if not source.is_file():
        raise BadInputError(f"prompt file {str(source)!r} does not exist")
    read_rows = _reader_of(source)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadInputError(f"{str(source)!r} is not UTF-8 text") from None
    items = _with_ids(list(read_rows(text, source)), source)
    if not items:
        raise BadInputError(f"{str(source)!r} holds no prompts")
    return items


Row = tuple[str, dict[str, Any]]  # (where in the file, fields)


def _reader_of(source: Path) -> Callable[[str, Path], Iterable[Row]]:
    known = {".txt": _text_rows, ".jsonl": _jsonl_rows, ".csv": _csv_rows, ".json": _json_rows}
    reader = known.get(source.suffix.lower())
    if reader is None:
        raise BadInputError(f"cannot tell the format of {source.name!r} from its extension: use "
                            ".txt (one prompt a line), .jsonl, .csv (caption or prompt column) or "
                            ".json (PhyGenBench prompts.json, VBench-2.0 meta_info)")
    return reader


def _text_rows(text: str, source: Path) -> Iterable[Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield f"line {number}", {"prompt": line.strip()}


def _jsonl_rows(text: str, source: Path) -> Iterable[Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{source.name} {where} is not JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise BadInputError(f"{source.name} {where}: expected an object with a prompt")
        yield where, row


def _csv_rows(text: str, source: Path) -> Iterable[Row]:
    reader = csv.DictReader(text.splitlines())
    columns = [c for c in (reader.fieldnames or []) if c]
    column = next((c for c in ("prompt", "caption") if c in columns), None)
    if column is None:
        raise BadInputError(f"{source.name} has no 'caption' or 'prompt' column (it has: "
                            f"{', '.join(columns) or 'none'})")
    for number, row in enumerate(reader, start=2):
        fields = {k: v for k, v in row.items() if k and v not in (None, "")}
        fields["prompt"] = fields.pop(column, "")
        if "seed" in fields:
            fields["seed"] = _integer(fields["seed"], f"{source.name} line {number}")
        yield f"line {number}", fields


def _json_rows(text: str, source: Path) -> Iterable[Row]:
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{source.name} is not JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadInputError(f"{source.name}: expected a list of objects (PhyGenBench prompts.json "
                            "or a VBench-2.0 meta_info file)")
    for number, entry in enumerate(entries, start=1):
        where = f"entry {number}"
        fields = dict(entry)
        if "caption" in fields:  # PhyGenBench
            fields["prompt"] = fields.pop("caption")
            fields.setdefault("category", fields.get("main_category"))
        elif "prompt_en" in fields:  # VBench-2.0
            fields["prompt"] = fields.pop("prompt_en")
            fields.setdefault("category", fields.get("dimension"))
        else:
            raise BadInputError(f"{source.name} {where} has neither 'caption' (PhyGenBench) nor "
                                "'prompt_en' (VBench-2.0)")
        yield where, fields


def _integer(value: Any, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadInputError(f"{where}: seed {value!r} is not a whole number") from None


def _item(where: str, fields: dict[str, Any], source: Path) -> dict[str, Any]:
    """A row's fields as PromptItem fields; the rest goes to `meta`."""
    prompt = fields.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadInputError(f"{source.name} {where}: the prompt is empty or missing")
    budget = fields.get("budget")
    if isinstance(budget, int | float) and not isinstance(budget, bool):
        budget = {"max_usd": float(budget)}
    elif budget is not None and not isinstance(budget, dict):
        raise BadInputError(f"{source.name} {where}: budget must be an object of Budget fields "
                            "or a number of USD")
    seed = fields.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise BadInputError(f"{source.name} {where}: seed {seed!r} must be a whole number >= 0")
    category = fields.get("category")
    known = {"prompt", "id", "seed", "budget", "category"}
    return {"id": fields.get("id"), "prompt": prompt.strip(), "seed": seed, "budget": budget,
            "category": None if category is None else str(category),
            "meta": {k: v for k, v in fields.items() if k not in known}}


def _with_ids(rows: list[Row], source: Path) -> list[PromptItem]:
    """Items with their ids: the file's own, else the position and the prompt's first words."""
    width = max(3, len(str(len(rows))))
    items: list[PromptItem] = []
    seen: dict[str, str] = {}
    for index, (where, fields) in enumerate(rows, start=1):
        data = _item(where, fields, source)
        given = data["id"]
        if given is None:
            data["id"] = f"{index:0{width}d}-{slug(data['prompt'])}".rstrip("-")
        else:
            data["id"] = str(given)
            if not ID_PATTERN.match(data["id"]):
                raise BadInputError(f"{source.name} {where}: id {data['id']!r} cannot name a "
                                    "folder: use letters, digits, '.', '_' or '-'")
        if data["id"] in seen:
            raise BadInputError(f"{source.name} {where}: id {data['id']!r} repeats "
                                f"{seen[data['id']]}")
        seen[data["id"]] = where
        items.append(PromptItem.model_validate(data))
    return items


def slug(text: str, words: int = 5, limit: int = 32) -> str:
    """The first words of a prompt as a folder-safe name: 'a-red-ball-rolls-off'."""
    parts = re.findall(r"[a-z0-9]+", text.lower())[:words]
    return "-".join(parts)[:limit].rstrip("-")
