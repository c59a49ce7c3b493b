"""Pipeline subclasses that record their call arguments, loaded through the `pipeline_class` option.

They are real pipelines (same weights, same `__call__`), so a test sees exactly what the backend
handed the model, keyframe conditions included, without patching anything.
"""

from __future__ import annotations

from typing import Any, ClassVar

from diffusers import LTXConditionPipeline, WanImageToVideoPipeline, WanPipeline


class SpyWanPipeline(WanPipeline):
    calls: ClassVar[list[dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        type(self).calls.append(kwargs)
        return super().__call__(*args, **kwargs)


class SpyWanImageToVideoPipeline(WanImageToVideoPipeline):
    calls: ClassVar[list[dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        type(self).calls.append(kwargs)
        return super().__call__(*args, **kwargs)


class SpyLTXConditionPipeline(LTXConditionPipeline):
    calls: ClassVar[list[dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        type(self).calls.append(kwargs)
        return super().__call__(*args, **kwargs)
