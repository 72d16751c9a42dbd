"""multi_instance (seeds/000 MultiInstLoc, seeds/002 multi-entity): 2 to 5 instances of c, the
clip of c at exactly one. Audio target = that instance; semantic targets = all instances of c."""
from __future__ import annotations

from ..spec.fields import Field, integer
from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule, RecordCheck


class MultiInstance(ConditionRule):
    name = "multi_instance"
    description = "multi_instance: several instances of c, one sounding."
    options = {
        "instances": Field(integer(2, 5), {"int": [2, 5]}, "Instances of c in the image.", random=True),
    }

    def cast(self, ctx: CastContext) -> Cast:
        k = int(ctx.option("instances"))
        target = CastSlot(ctx.category, role="target", sounding=True, size_bin=ctx.size_bin)
        twins = [CastSlot(ctx.category, role="instance") for _ in range(k - 1)]
        others = ctx.distractors(ctx.count - k, {ctx.category})
        slots = [target, *twins, *others]
        return Cast(slots=slots, sources=[CastSource(ctx.category, attach_to=0)], audio_targets=[0],
                    semantic_targets=list(range(k)))

    def check(self, a: RecordCheck) -> None:
        """The condition's invariants on a sample's record (``simulate audit``)."""
        a.plain("multi_instance")
        got = a.one_object_target("multi_instance")
        if got is None:
            return
        src, obj = got
        same = a.of_category(src["category"])
        if not 2 <= len(same) <= 5:
            a.fail("multi_instance.instances", f"{len(same)} instances of {src['category']!r} (expected 2 to 5)")
        if obj["id"] not in same:
            a.fail("multi_instance.target", f"the sounding object {obj['id']} is not an instance of "
                   f"{src['category']!r}")
        loud = [i for i in same if a.objects[i].get("sounding")]
        if loud != [obj["id"]]:
            a.fail("multi_instance.sounding", f"sounding instances {loud}, expected exactly [{obj['id']}]")
        if sorted(a.semantic) != sorted(same):
            a.fail("multi_instance.semantic", f"semantic targets {a.semantic}, expected all instances {same}")
        a.sized("multi_instance", obj, "the audio target")
