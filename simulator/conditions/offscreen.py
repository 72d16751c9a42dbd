"""offscreen (seeds/002-004): objects in view, none of them emitting; the clip of c comes from
outside the field of view (behind, left, right or above). Negative: no target in the image.
The size bin controls the first object in view (so image statistics stay comparable)."""
from __future__ import annotations

from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule


class Offscreen(ConditionRule):
    name = "offscreen"
    sized_is_planned_category = False
    needs_other_category = True

    def cast(self, ctx: CastContext) -> Cast:
        region = ctx.option("region")
        first = CastSlot(ctx.sized_other_category({ctx.category}), role="distractor", size_bin=ctx.size_bin)
        others = [CastSlot(c, role="distractor") for c in ctx.other_categories(ctx.count - 1, {ctx.category})]
        return Cast(slots=[first, *others], sources=[CastSource(ctx.category, placement="offscreen", region=region)],
                    audio_targets=[], semantic_targets=[], negative="offscreen")
