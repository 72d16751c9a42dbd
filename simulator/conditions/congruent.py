"""congruent (seeds/000): one object of category c, no other instance of c; a clip of c at it."""
from __future__ import annotations

from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule


class Congruent(ConditionRule):
    """Audio target = semantic target = the single object of the clip's category."""

    name = "congruent"

    def cast(self, ctx: CastContext) -> Cast:
        target = CastSlot(ctx.category, role="target", sounding=True, size_bin=ctx.size_bin)
        others = [CastSlot(c, role="distractor") for c in ctx.other_categories(ctx.count - 1, {ctx.category})]
        return Cast(slots=[target, *others], sources=[CastSource(ctx.category, attach_to=0)],
                    audio_targets=[0], semantic_targets=[0])
