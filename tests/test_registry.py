from __future__ import annotations

import pytest

from tools.base import Judge, VideoGenerator, registry, split_spec
from tools.errors import UnknownBackendError


def test_split_spec_keeps_model_colons():
    assert split_spec("studio") == ("studio", None)
    assert split_spec("litellm:gemini/gemini-2.5-pro") == ("litellm", "gemini/gemini-2.5-pro")
    assert split_spec("ensemble:kinematics+vlm:gpt-4o") == ("ensemble", "kinematics+vlm:gpt-4o")


def test_builtins_come_from_entry_points():
    assert "studio" in registry.schemes("video")
    assert "kinematics" in registry.schemes("judge")
    assert isinstance(registry.resolve("judge", "kinematics"), Judge)
    assert isinstance(registry.resolve("video", "studio"), VideoGenerator)


def test_unknown_spec_names_the_known_ones():
    with pytest.raises(UnknownBackendError) as info:
        registry.resolve("video", "warp-drive:9000")
    assert "studio" in str(info.value) and "warp-drive" in str(info.value)


def test_resolve_loads_once_and_reuses():
    assert registry.resolve("judge", "kinematics") is registry.resolve("judge", "kinematics")


def test_third_party_registration_and_options():
    seen = []

    class Plugin:
        spec = "plugin"

        def __init__(self, model, **options):
            seen.append((model, options))

    registry.register("refiner", "plugin", Plugin)
    try:
        registry.resolve("refiner", "plugin:my-model", temperature=0.2)
        assert seen == [("my-model", {"temperature": 0.2})]
    finally:
        registry.unregister("refiner", "plugin")
    with pytest.raises(UnknownBackendError):
        registry.check("refiner", "plugin")
