"""mixed (seeds/001 IS3 interactive, seeds/002 mixed-sound): K >= 2 sounding sources, of the same
or of different categories, some possibly off-screen; the mixture is written and each source
alone (stems), so interactive metrics (IIoU) can be computed. One audio target per on-screen
source; semantic targets = every object of a sounding category. The first source (category c)
sits on the sized object."""
from __future__ import annotations

from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule


class Mixed(ConditionRule):
    name = "mixed"

    def cast(self, ctx: CastContext) -> Cast:
        k = int(ctx.option("sources"))
        same = bool(ctx.rng.uniform() < float(ctx.option("same_category_probability")))
        slots = [CastSlot(ctx.category, role="target", sounding=True, size_bin=ctx.size_bin)]
        sources = [CastSource(ctx.category, attach_to=0)]
        used = {ctx.category}
        for _ in range(k - 1):
            if same:
                category = ctx.category
            else:
                pool = ctx.other_categories(1, used) or [ctx.category]
                category = pool[0]
            used.add(category)
            if ctx.rng.uniform() < float(ctx.option("offscreen_probability")):
                sources.append(CastSource(category, placement="offscreen", region=ctx.option("region")))
            else:
                slots.append(CastSlot(category, role="target", sounding=True))
                sources.append(CastSource(category, attach_to=len(slots) - 1))
        others = [CastSlot(c, role="distractor") for c in ctx.other_categories(ctx.count - len(slots), used)]
        slots.extend(others)
        audio_targets = [i for i, s in enumerate(sources) if s.placement == "object"]
        semantic = [i for i, s in enumerate(slots) if s.category in used]
        return Cast(slots=slots, sources=sources, audio_targets=audio_targets, semantic_targets=semantic)
