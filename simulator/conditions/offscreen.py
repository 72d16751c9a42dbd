"""offscreen (seeds/002-004): objects in view, none of them emitting; the clip of c comes from
outside the field of view (behind, left, right or above). Negative: no target in the image.
The size bin controls the first object in view (so image statistics stay comparable)."""
from __future__ import annotations

from ..spec.fields import Field, enum, num
from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule, RecordCheck

#: Where an off-screen sound may come from (see the ``region`` option).
OFFSCREEN_REGIONS = ("behind", "left", "right", "above")


class Offscreen(ConditionRule):
    name = "offscreen"
    description = "offscreen: the sound comes from outside the field of view."
    options = {
        "region": Field(enum(*OFFSCREEN_REGIONS), {"choice": list(OFFSCREEN_REGIONS)},
                        "behind (|azimuth| > 120), left/right (beyond the horizontal field of view by "
                        "10 degrees or more, |azimuth| <= 120) or above (beyond the vertical field of "
                        "view by 10 degrees or more).", random=True),
        "distance_m": Field(num(0.3, 100.0), {"uniform": [1.0, 5.0]}, "Source distance, m.", random=True),
    }
    sized_is_planned_category = False
    needs_other_category = True

    def cast(self, ctx: CastContext) -> Cast:
        region = ctx.option("region")
        first = CastSlot(ctx.sized_other_category({ctx.category}), role="distractor", size_bin=ctx.size_bin)
        others = ctx.distractors(ctx.count - 1, {ctx.category})
        return Cast(slots=[first, *others], sources=[CastSource(ctx.category, placement="offscreen", region=region)],
                    audio_targets=[], semantic_targets=[], negative="offscreen")

    def check(self, a: RecordCheck) -> None:
        """The condition's invariants on a sample's record (``simulate audit``)."""
        r = a.r
        a.plain("offscreen", negative="offscreen")
        if r["audio"].get("content") != "rendered":
            a.fail("offscreen.audio", f"audio content {r['audio'].get('content')!r}, expected 'rendered'")
        loud = [o["id"] for o in r["objects"] if o.get("sounding")]
        if loud:
            a.fail("offscreen.sounding", f"object(s) {loud} are sounding")
        if a.audio_targets or a.semantic:
            a.fail("offscreen.targets", f"audio targets {[t.get('source_id') for t in a.audio_targets]} and "
                   f"semantic {a.semantic} (expected none)")
        if not r["sources"]:
            a.fail("offscreen.sources", "no source")
        present = {o["category"] for o in r["objects"]}
        for src in r["sources"]:
            if (src.get("placement") != "offscreen" or src.get("on_screen") is not False
                    or a.inside_image(src.get("pixel"))):
                a.fail("offscreen.source", f"source {src['id']} is not off-screen (placement "
                       f"{src.get('placement')!r}, on_screen={src.get('on_screen')}, pixel {src.get('pixel')})")
            if src.get("category") in present:
                a.fail("offscreen.category", f"source {src['id']} is a {src['category']!r}, which is in the image")
        a.sized("offscreen", a.objects.get(1), "the first object")
        if 1 not in a.objects:
            a.fail("offscreen.size_bin", "the sized first object (id 1) is missing")
