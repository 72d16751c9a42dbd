"""congruent (seeds/000): one object of category c, no other instance of c; a clip of c at it."""
from __future__ import annotations

from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule, RecordCheck


class Congruent(ConditionRule):
    """Audio target = semantic target = the single object of the clip's category."""

    name = "congruent"

    def cast(self, ctx: CastContext) -> Cast:
        target = CastSlot(ctx.category, role="target", sounding=True, size_bin=ctx.size_bin)
        others = ctx.distractors(ctx.count - 1, {ctx.category})
        return Cast(slots=[target, *others], sources=[CastSource(ctx.category, attach_to=0)],
                    audio_targets=[0], semantic_targets=[0])

    def check(self, a: RecordCheck) -> None:
        """The condition's invariants on a sample's record (``simulate audit``)."""
        a.plain("congruent")
        got = a.one_object_target("congruent")
        if got is None:
            return
        src, obj = got
        same = a.of_category(src["category"])
        if same != [obj["id"]]:
            a.fail("congruent.instances", f"objects of the audio's category {src['category']!r}: {same} "
                   f"(expected exactly the sounding object {obj['id']})")
        if a.semantic != [obj["id"]]:
            a.fail("congruent.semantic", f"semantic targets {a.semantic}, expected [{obj['id']}]")
        a.sized("congruent", obj, "the audio target")
