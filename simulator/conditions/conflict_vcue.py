"""conflict_vcue (seeds/000): a silent object of c and an object of another category d; the clip
of c plays at the d object. Audio target = the d object; semantic target = the c object."""
from __future__ import annotations

from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule, RecordCheck


class ConflictVcue(ConditionRule):
    name = "conflict_vcue"
    sized_is_planned_category = False
    needs_other_category = True

    def cast(self, ctx: CastContext) -> Cast:
        d = ctx.sized_other_category({ctx.category})
        target = CastSlot(d, role="target", sounding=True, size_bin=ctx.size_bin)
        silent = CastSlot(ctx.category, role="semantic")
        others = ctx.distractors(ctx.count - 2, {ctx.category, d})
        return Cast(slots=[target, silent, *others], sources=[CastSource(ctx.category, attach_to=0)],
                    audio_targets=[0], semantic_targets=[1])

    def check(self, a: RecordCheck) -> None:
        """The condition's invariants on a sample's record (``simulate audit``)."""
        a.plain("conflict_vcue")
        got = a.one_object_target("conflict_vcue")
        if got is None:
            return
        src, obj = got
        c = src["category"]
        if obj["category"] == c:
            a.fail("conflict_vcue.target_category", f"the source sits on a {c!r}, the audio's own category")
        same = a.of_category(c)
        if len(same) != 1:
            a.fail("conflict_vcue.semantic_object", f"objects of the audio's category {c!r}: {same} (expected one)")
        loud = [i for i in same if a.objects[i].get("sounding")]
        if loud:
            a.fail("conflict_vcue.silent", f"object(s) {loud} of the audio's category are sounding")
        if sorted(a.semantic) != sorted(same) or not same:
            a.fail("conflict_vcue.semantic",
                   f"semantic targets {a.semantic}, expected the {c!r} object(s) {same}")
        a.sized("conflict_vcue", obj, "the audio target")
