"""mixed (seeds/001 IS3 interactive, seeds/002 mixed-sound): K >= 2 sounding sources, of the same
or of different categories, some possibly off-screen; the mixture is written and each source
alone (stems), so interactive metrics (IIoU) can be computed. One audio target per on-screen
source; semantic targets = every object of a sounding category. The first source (category c)
sits on the sized object."""
from __future__ import annotations

from ..spec.fields import Field, enum, integer, num
from .base import Cast, CastContext, CastSlot, CastSource, ConditionRule, RecordCheck
from .offscreen import OFFSCREEN_REGIONS


class Mixed(ConditionRule):
    name = "mixed"
    description = "mixed: several sounding sources; the mixture and each source alone are written."
    options = {
        "sources": Field(integer(2, 5), {"int": [2, 3]}, "Sounding sources per sample.", random=True),
        "same_category_probability": Field(num(0.0, 1.0), 0.25,
                                           "Probability that all sources share the category c."),
        "offscreen_probability": Field(num(0.0, 1.0), 0.0,
                                       "Probability that each source after the first is off-screen."),
        "region": Field(enum(*OFFSCREEN_REGIONS), {"choice": list(OFFSCREEN_REGIONS)},
                        "Region of off-screen sources (as offscreen.region).", random=True),
    }

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
        others = ctx.distractors(ctx.count - len(slots), used)
        slots.extend(others)
        audio_targets = [i for i, s in enumerate(sources) if s.placement == "object"]
        semantic = [i for i, s in enumerate(slots) if s.category in used]
        return Cast(slots=slots, sources=sources, audio_targets=audio_targets, semantic_targets=semantic)

    def check(self, a: RecordCheck) -> None:
        """The condition's invariants on a sample's record (``simulate audit``)."""
        r = a.r
        a.plain("mixed")
        srcs = r["sources"]
        if len(srcs) < 2:
            a.fail("mixed.sources", f"{len(srcs)} source(s), expected at least two")
        targets = {t.get("source_id") for t in a.audio_targets}
        carried = []
        for src in srcs:
            placement = src.get("placement")
            if placement not in ("object", "offscreen"):
                a.fail("mixed.source", f"source {src['id']} is placed {placement!r}")
            if src.get("on_screen") or placement == "object":
                obj = a.objects.get(src.get("object_id"))
                if placement != "object" or obj is None or not obj.get("sounding") or src["id"] not in targets:
                    a.fail("mixed.targets", f"on-screen source {src['id']} is not on a sounding object that is "
                           f"an audio target")
                carried.append(src.get("object_id"))
            elif src["id"] in targets:
                a.fail("mixed.targets", f"off-screen source {src['id']} is an audio target")
        if len(set(carried)) != len(carried):
            a.fail("mixed.targets", f"several sources share an object: {carried}")
        for src in srcs:
            if f"stem_s{src['id']}" not in r["files"]:
                a.fail("mixed.stems", f"no stem listed for source {src['id']}")
        sounding_cats = {s["category"] for s in srcs}
        expected = [o["id"] for o in r["objects"] if o["category"] in sounding_cats]
        if sorted(a.semantic) != sorted(expected):
            a.fail("mixed.semantic", f"semantic targets {a.semantic}, expected every object of a sounding "
                   f"category {expected}")
        if srcs:
            a.sized("mixed", a.objects.get(srcs[0].get("object_id")), "the first source's object")
