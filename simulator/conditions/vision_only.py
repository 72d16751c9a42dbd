"""vision_only (seeds/000): the image of a congruent sample, with silence or Gaussian noise as
audio. No audio target; semantic target = the object of c (the one that would sound)."""
from __future__ import annotations

from .base import Cast, CastContext, CastSlot, ConditionRule


class VisionOnly(ConditionRule):
    name = "vision_only"

    def cast(self, ctx: CastContext) -> Cast:
        audio = ctx.option("audio")
        target = CastSlot(ctx.category, role="semantic", size_bin=ctx.size_bin)
        others = [CastSlot(c, role="distractor") for c in ctx.other_categories(ctx.count - 1, {ctx.category})]
        return Cast(slots=[target, *others], sources=[], audio_targets=[], semantic_targets=[0],
                    negative=audio, audio=audio)
