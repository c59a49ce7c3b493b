"""Prompt templates, one file per role, shipped as package data."""

from __future__ import annotations

from importlib.resources import files
from string import Template


def load(name: str) -> Template:
    """The template `prompts/<name>.md`; placeholders are `$name` (string.Template)."""
    return Template(files(__package__).joinpath(f"{name}.md").read_text(encoding="utf-8"))
