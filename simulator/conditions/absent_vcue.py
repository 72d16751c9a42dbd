"""absent_vcue (seeds/000): no object of c in the image; the clip of c plays at a randomly chosen
object of another category. Audio target = that object; no semantic target."""
from __future__ import annotations

from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule, RecordCheck


class AbsentVcue(ConditionRule):
    name = "absent_vcue"
    sized_is_planned_category = False
    needs_other_category = True

    def cast(self, ctx: CastContext) -> Cast:
        d = ctx.sized_other_category({ctx.category})
        target = CastSlot(d, role="target", sounding=True, size_bin=ctx.size_bin)
        others = ctx.distractors(ctx.count - 1, {ctx.category})
        return Cast(slots=[target, *others], sources=[CastSource(ctx.category, attach_to=0)],
                    audio_targets=[0], semantic_targets=[])

    def check(self, a: RecordCheck) -> None:
        """The condition's invariants on a sample's record (``simulate audit``)."""
        a.plain("absent_vcue")
        got = a.one_object_target("absent_vcue")
        if got is None:
            return
        src, obj = got
        same = a.of_category(src["category"])
        if same:
            a.fail("absent_vcue.absent", f"object(s) {same} of the audio's category {src['category']!r} are present")
        if a.semantic:
            a.fail("absent_vcue.semantic", f"semantic targets {a.semantic}, expected none")
        a.sized("absent_vcue", obj, "the audio target")
