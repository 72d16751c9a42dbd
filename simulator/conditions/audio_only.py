"""audio_only (seeds/000): no meaningful image (uniform gray 128, or Gaussian noise); the clip of c
plays at a random point in view. Audio target = that point and a disk of the size bin's area."""
from __future__ import annotations

from .base import Cast, CastContext, CastSource, ConditionRule


class AudioOnly(ConditionRule):
    name = "audio_only"
    sized_is_planned_category = False  # no object at all: the sized region is a disk

    def cast(self, ctx: CastContext) -> Cast:
        image = ctx.option("image")
        return Cast(slots=[], sources=[CastSource(ctx.category, placement="point")], audio_targets=[0],
                    semantic_targets=[], image=image)
