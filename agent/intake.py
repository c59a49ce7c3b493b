"""The front door: every entry point builds its `RunRequest` and `Context` here.

The CLI (`run`, `chat`, `batch`, `mcp`), the chat's slash commands, the MCP server, the
LangChain tool, the exported graphs (`kinema`, `kinema_subgraph`) and the Python API all call
these functions, so a field has one name everywhere (the budget caps are `Budget`'s fields:
`max_generations`, `max_seconds`, `max_usd`, `max_gpu_seconds`, `max_tokens`; backend options
are `ROLE.KEY=VALUE`) and a bad value fails the same way everywhere: one `BadInputError`
naming the field.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agent.context import Context
from agent.state import Budget, RunRequest
from tools.errors import BadInputError, invalid_input
from tools.schema import ROLES

__all__ = [
    "BUDGET_CAPS",
    "REQUEST_FIELDS",
    "budget_with",
    "context_for",
    "hosted_run",
    "lowered",
    "merge_options",
    "parse_option",
    "parse_options",
    "prepare",
    "request_for",
    "valid",
]

M = TypeVar("M", bound=BaseModel)

# The one spelling of every cap, at every entry point.
BUDGET_CAPS: tuple[str, ...] = tuple(Budget.model_fields)
# What a caller may set on a request besides the prompt.
REQUEST_FIELDS: tuple[str, ...] = tuple(f for f in RunRequest.model_fields if f != "prompt")
_OPTION = re.compile(r"(?P<role>[a-z]+)\.(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)", re.S)


def valid(model: type[M], fields: Mapping[str, Any], what: str | None = None) -> M:
    """`model` built from `fields`, or one BadInputError naming the field at fault."""
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        raise invalid_input(exc, what or model.__name__) from None


def _model(model: type[M], value: Any, what: str) -> M:
    """A model given as itself (revalidated: fields may have been assigned) or as a dict."""
    if isinstance(value, model):
        return valid(model, value.model_dump(), what)
    if isinstance(value, Mapping):
        return valid(model, value, what)
    raise BadInputError(f"{what} must be a {model.__name__} or a dict of its fields, not "
                        f"{type(value).__name__}")


def request_for(prompt: Any, **fields: Any) -> RunRequest:
    """The request for `prompt`; unknown fields are refused by name."""
    if not isinstance(prompt, str):
        raise BadInputError(f"the prompt must be text (str), not {type(prompt).__name__}")
    if not prompt.strip():
        raise BadInputError("the prompt is empty: describe the video you want")
    request = valid(RunRequest, {"prompt": prompt, **fields}, "request")
    if request.init_image is not None and not os.path.isfile(request.init_image):
        raise BadInputError(f"init_image {request.init_image!r} is not a file: pass the path "
                            "of an image")
    return request


def _known_caps(caps: Mapping[str, Any]) -> None:
    unknown = sorted(set(caps) - set(BUDGET_CAPS))
    if unknown:
        raise BadInputError(f"unknown budget cap {unknown[0]!r}: use {', '.join(BUDGET_CAPS)}")


def budget_with(budget: Budget | Mapping[str, Any] | None, **caps: Any) -> Budget:
    """`budget` with the given caps replaced; a cap given as None is left as it was and one
    given as "none" is lifted (the chat's `/budget max_usd=none`)."""
    base = Budget() if budget is None else _model(Budget, budget, "budget")
    _known_caps(caps)
    update = {k: (None if isinstance(v, str) and v.lower() == "none" else v)
              for k, v in caps.items() if v is not None}
    return valid(Budget, {**base.model_dump(), **update}, "budget")


def lowered(budget: Budget, caps: Mapping[str, float | int | None]) -> Budget:
    """`budget` with a caller's caps applied only where they are lower (or it has none): how
    the MCP server and the LangChain tool take caps from a client, who may spend less than the
    operator allows but never more."""
    current = budget.model_dump()
    _known_caps(caps)
    tighter = {k: v for k, v in caps.items()
               if v is not None and (current[k] is None or v < current[k])}
    return budget_with(budget, **tighter)


def _caps_over(budget: Budget, caps: Mapping[str, Any]) -> Budget:
    """A dict of caps on top of `budget`: each named cap replaced, None lifting it."""
    _known_caps(caps)
    return valid(Budget, {**budget.model_dump(), **caps}, "budget")


def context_for(context: Context | Mapping[str, Any] | None = None, *,
                budget: Budget | Mapping[str, Any] | None = None,
                options: Mapping[str, Mapping[str, Any]] | None = None,
                out_dir: str | os.PathLike[str] | None = None,
                **settings: Any) -> Context:
    """A private copy of `context` with the given settings applied.

    Args:
        context: a `Context`, its fields as a dict, or None for the defaults.
        budget: a `Budget` replaces the Context's; a dict sets the caps it names on top of
            the Context's budget (a cap given as None or "none" is lifted).
        options: merged into the Context's options, per role and key.
        out_dir: replaces the Context's out folder.
        **settings: other Context fields (backend specs, target, candidates_per_round, ...);
            a field given as None keeps the Context's.
    """
    ctx = Context() if context is None else _model(Context, context, "context")
    update: dict[str, Any] = {k: v for k, v in settings.items() if v is not None}
    if isinstance(budget, Mapping):
        update["budget"] = _caps_over(ctx.budget, budget).model_dump()
    elif budget is not None:
        update["budget"] = _model(Budget, budget, "budget").model_dump()
    if options:
        update["options"] = merge_options(ctx.options, _options(options))
    if out_dir is not None:
        if not isinstance(out_dir, str | os.PathLike):
            raise BadInputError(f"out_dir must be a folder path, not {type(out_dir).__name__}")
        update["out_dir"] = os.fspath(out_dir)
    return valid(Context, {**ctx.model_dump(), **update}, "context")


def prepare(prompt: Any, *, budget: Budget | Mapping[str, Any] | None = None,
            context: Context | Mapping[str, Any] | None = None,
            options: Mapping[str, Mapping[str, Any]] | None = None,
            out_dir: str | os.PathLike[str] | None = None,
            **request: Any) -> tuple[RunRequest, Context]:
    """The request and a private copy of the Context for one run.

    Raises:
        BadInputError: an empty, too long or non-text prompt, a context or budget of the wrong
            kind, or an invalid field, with the field named.
    """
    ctx = context_for(context, budget=budget, options=options, out_dir=out_dir)
    return request_for(prompt, **request), ctx


def parse_option(text: str) -> tuple[str, str, Any]:
    """`ROLE.KEY=VALUE` as (role, key, value); the value is read as JSON when it is JSON.

    `video.steps=30` gives 30, `video.vae_tiling=true` True, `video.dtype=bfloat16` the text.
    """
    found = _OPTION.fullmatch(text.strip())
    if found is None:
        raise BadInputError(f"invalid option {text!r}: write ROLE.KEY=VALUE, e.g. "
                            "video.steps=30")
    role, key, raw = found["role"], found["key"], found["value"].strip()
    if role not in ROLES:
        raise BadInputError(f"invalid option {text!r}: the role must be one of "
                            f"{', '.join(ROLES)}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return role, key, value


def parse_options(items: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Every `ROLE.KEY=VALUE` of a command line, grouped by role (a later one wins)."""
    options: dict[str, dict[str, Any]] = {}
    for item in items:
        role, key, value = parse_option(item)
        options.setdefault(role, {})[key] = value
    return options


def merge_options(base: Mapping[str, Mapping[str, Any]],
                  extra: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """`base` with `extra`'s keys set on top, role by role."""
    merged = {role: dict(values) for role, values in base.items()}
    for role, values in extra.items():
        merged.setdefault(role, {}).update(values)
    return merged


def _options(options: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(options, Mapping) or not all(
            isinstance(v, Mapping) for v in options.values()):
        raise BadInputError("options must map a role to its options, e.g. "
                            "{'video': {'steps': 30}}")
    unknown = sorted(set(options) - set(ROLES))
    if unknown:
        raise BadInputError(f"unknown role {unknown[0]!r} in options: use {', '.join(ROLES)}")
    return {str(role): dict(values) for role, values in options.items()}


def hosted_run(values: Mapping[str, Any], defaults: Mapping[str, Any],
               context: Context) -> tuple[RunRequest, Context]:
    """The request and Context of a run started through an exported graph's narrow input.

    Args:
        values: the `KinemaInput` keys the host gave (`prompt`, `init_image`, video fields,
            `budget`, `options`).
        defaults: the graph's own request defaults (`build_graph(**request)`).
        context: the run's Context as the host passed it (or the graph's default).
    """
    fields = {k: v for k, v in defaults.items() if k in REQUEST_FIELDS}
    fields.update({k: v for k, v in values.items() if k in REQUEST_FIELDS and v is not None})
    prompt = values.get("prompt")
    if prompt is None:
        raise BadInputError("the graph's input needs a 'prompt': describe the video you want")
    ctx = context_for(context, budget=values.get("budget"), options=values.get("options"))
    return request_for(prompt, **fields), ctx
