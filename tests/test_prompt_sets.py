"""Prompt files in the formats benchmarks publish, and the line at fault when one is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.errors import BadInputError
from tools.prompt_sets import read_prompt_set

BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
needs_benchmarks = pytest.mark.skipif(not BENCHMARKS.is_dir(),
                                      reason="../shared/benchmarks is not beside the repository")


@needs_benchmarks
def test_vbench_prompt_file_gives_its_57_mechanics_prompts():
    items = read_prompt_set(BENCHMARKS / "vbench2" / "prompt_Mechanics.txt")
    assert len(items) == 57 and len({i.id for i in items}) == 57
    assert items[0].id == "001-a-bowl-of-soup-is" and items[0].prompt.startswith("A bowl of soup")


@needs_benchmarks
def test_vbench_meta_info_gives_category_and_check_questions():
    items = read_prompt_set(BENCHMARKS / "vbench2" / "meta_info_Mechanics.json")
    assert len(items) == 57 and {i.category for i in items} == {"Mechanics"}
    assert len(items[0].meta["auxiliary_info"]) == 2


@needs_benchmarks
def test_videophy2_csv_reads_the_caption_column():
    items = read_prompt_set(BENCHMARKS / "videophy2" / "VIDEOPHY2_examples_sa_pc.csv")
    assert len(items) == 10 and items[0].prompt.startswith("A jetski")
    assert "videopath" in items[0].meta


def test_phygenbench_prompts_json(tmp_path):
    path = tmp_path / "prompts.json"
    path.write_text(json.dumps([
        {"caption": "A stone is gently placed on the surface of a pool filled with water.",
         "physical_laws": "Due to buoyancy, the stone will sink", "sub_category": "Buoyancy",
         "main_category": "Force"}]))
    (item,) = read_prompt_set(path)
    assert item.prompt.startswith("A stone") and item.category == "Force"
    assert item.meta["physical_laws"].startswith("Due to buoyancy")


def test_jsonl_keeps_ids_seeds_budgets_and_categories(tmp_path):
    path = tmp_path / "queue.jsonl"
    path.write_text('{"id": "shot-1", "prompt": "a ball falls", "seed": 7, "budget": 0.5}\n\n'
                    '{"prompt": "a block slides", "budget": {"max_generations": 2}, '
                    '"category": "friction", "client": "acme"}\n')
    first, second = read_prompt_set(path)
    assert (first.id, first.seed, first.budget) == ("shot-1", 7, {"max_usd": 0.5})
    assert second.id == "002-a-block-slides" and second.budget == {"max_generations": 2}
    assert second.category == "friction" and second.meta == {"client": "acme"}


def test_text_skips_blank_lines_and_comments(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("# a comment\n\na ball falls\n  \na block slides\n")
    assert [i.prompt for i in read_prompt_set(path)] == ["a ball falls", "a block slides"]


@pytest.mark.parametrize(("name", "text", "message"), [
    ("p.jsonl", '{"prompt": "a"}\n{oops\n', "line 2 is not JSON"),
    ("p.jsonl", '{"id": "x", "prompt": "a"}\n{"id": "x", "prompt": "b"}\n', "repeats line 1"),
    ("p.jsonl", '{"id": "../x", "prompt": "a"}\n', "cannot name a folder"),
    ("p.jsonl", '{"prompt": "a", "seed": -1}\n', "seed -1"),
    ("p.jsonl", '{"text": "a"}\n', "prompt is empty or missing"),
    ("p.csv", "title,url\na,b\n", "no 'caption' or 'prompt' column"),
    ("p.json", '{"caption": "a"}', "list of objects"),
    ("p.json", '[{"text": "a"}]', "neither 'caption'"),
    ("p.txt", "# only a comment\n", "holds no prompts"),
    ("p.yaml", "- a\n", "cannot tell the format"),
])
def test_bad_files_name_what_is_wrong_and_where(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(BadInputError, match=message):
        read_prompt_set(path)


def test_missing_file(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        read_prompt_set(tmp_path / "nope.txt")
