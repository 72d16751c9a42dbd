"""multi_instance (seeds/000 MultiInstLoc, seeds/002 multi-entity): 2 to 5 instances of c, the
clip of c at exactly one. Audio target = that instance; semantic targets = all instances of c."""
from __future__ import annotations

from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule


class MultiInstance(ConditionRule):
    name = "multi_instance"

    def cast(self, ctx: CastContext) -> Cast:
        k = int(ctx.option("instances"))
        target = CastSlot(ctx.category, role="target", sounding=True, size_bin=ctx.size_bin)
        twins = [CastSlot(ctx.category, role="instance") for _ in range(k - 1)]
        others = [CastSlot(c, role="distractor") for c in ctx.other_categories(ctx.count - k, {ctx.category})]
        slots = [target, *twins, *others]
        return Cast(slots=slots, sources=[CastSource(ctx.category, attach_to=0)], audio_targets=[0],
                    semantic_targets=list(range(k)))
