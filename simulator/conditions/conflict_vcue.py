"""conflict_vcue (seeds/000): a silent object of c and an object of another category d; the clip
of c plays at the d object. Audio target = the d object; semantic target = the c object."""
from __future__ import annotations

from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule


class ConflictVcue(ConditionRule):
    name = "conflict_vcue"
    sized_is_planned_category = False
    needs_other_category = True

    def cast(self, ctx: CastContext) -> Cast:
        d = ctx.sized_other_category({ctx.category})
        target = CastSlot(d, role="target", sounding=True, size_bin=ctx.size_bin)
        silent = CastSlot(ctx.category, role="semantic")
        others = [CastSlot(c, role="distractor")
                  for c in ctx.other_categories(ctx.count - 2, {ctx.category, d})]
        return Cast(slots=[target, silent, *others], sources=[CastSource(ctx.category, attach_to=0)],
                    audio_targets=[0], semantic_targets=[1])
