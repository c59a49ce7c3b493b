"""The front door every entry point builds its request and Context through."""

from __future__ import annotations

import pytest

from agent.context import Context
from agent.intake import (
    budget_with,
    context_for,
    hosted_run,
    lowered,
    parse_option,
    parse_options,
    prepare,
)
from agent.state import Budget
from tools.errors import BadInputError


@pytest.mark.parametrize("text, parsed", [
    ("video.steps=30", ("video", "steps", 30)),
    ("video.guidance=5.5", ("video", "guidance", 5.5)),
    ("video.vae_tiling=true", ("video", "vae_tiling", True)),
    ("video.dtype=bfloat16", ("video", "dtype", "bfloat16")),
    ("judge.api_base=http://localhost:11434", ("judge", "api_base", "http://localhost:11434")),
    ('video.prices={"sora-2": 0.2}', ("video", "prices", {"sora-2": 0.2})),
    ("planner.temperature=null", ("planner", "temperature", None)),
])
def test_options_read_json_values_and_text(text, parsed):
    assert parse_option(text) == parsed


@pytest.mark.parametrize("text, words", [
    ("steps=30", "write ROLE.KEY=VALUE"),
    ("video.steps", "write ROLE.KEY=VALUE"),
    ("camera.zoom=2", "the role must be one of planner, keyframes, video, judge, refiner"),
])
def test_a_malformed_option_is_one_line(text, words):
    with pytest.raises(BadInputError, match=words):
        parse_option(text)


def test_later_options_win_and_merge_per_role():
    options = parse_options(["video.steps=10", "video.dtype=float16", "video.steps=30",
                             "judge.timeout_s=60"])
    assert options == {"video": {"steps": 30, "dtype": "float16"}, "judge": {"timeout_s": 60}}
    ctx = context_for(Context(options={"video": {"guidance": 5.0}}), options=options)
    assert ctx.options["video"] == {"guidance": 5.0, "steps": 30, "dtype": "float16"}


def test_caps_have_one_spelling_and_none_lifts_one():
    budget = budget_with(Budget(max_usd=1.0), max_generations=3, max_usd="none")
    assert (budget.max_generations, budget.max_usd) == (3, None)
    with pytest.raises(BadInputError, match="unknown budget cap 'usd'"):
        budget_with(None, usd=1.0)


def test_a_dict_of_caps_is_set_on_top_while_a_budget_replaces():
    base = Context(budget=Budget(max_usd=2.0, max_generations=8))
    on_top = context_for(base, budget={"max_generations": 3})
    assert (on_top.budget.max_usd, on_top.budget.max_generations) == (2.0, 3)
    replaced = context_for(base, budget=Budget(max_generations=3))
    assert (replaced.budget.max_usd, replaced.budget.max_generations) == (None, 3)


def test_a_client_may_lower_caps_but_not_raise_them():
    server = Budget(max_generations=4, max_usd=1.0)
    budget = lowered(server, {"max_generations": 9, "max_usd": 0.25, "max_seconds": 60})
    assert (budget.max_generations, budget.max_usd, budget.max_seconds) == (4, 0.25, 60)


def test_the_context_given_is_never_changed():
    given = Context()
    _, ctx = prepare("a ball falls", context=given, budget={"max_usd": 0.5},
                     options={"video": {"steps": 3}})
    assert given.budget.max_usd is None and given.options == {}
    assert ctx.budget.max_usd == 0.5 and ctx.options == {"video": {"steps": 3}}


def test_a_graphs_input_fills_in_the_graphs_defaults():
    request, ctx = hosted_run({"prompt": "a ball falls", "width": 320, "height": None,
                               "budget": {"max_generations": 2}},
                              {"duration_s": 1.5, "height": 200}, Context())
    assert (request.width, request.height, request.duration_s) == (320, 200, 1.5)
    assert ctx.budget.max_generations == 2
    with pytest.raises(BadInputError, match="needs a 'prompt'"):
        hosted_run({}, {}, Context())
    with pytest.raises(BadInputError, match="options must map a role"):
        hosted_run({"prompt": "a", "options": {"video": 3}}, {}, Context())
