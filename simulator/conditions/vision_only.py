"""vision_only (seeds/000): the image of a congruent sample, with silence or Gaussian noise as
audio. No audio target; semantic target = the object of c (the one that would sound)."""
from __future__ import annotations

from ..spec.fields import Field, enum
from .base import Cast, CastContext, CastSlot, ConditionRule, RecordCheck


class VisionOnly(ConditionRule):
    name = "vision_only"
    description = "vision_only: a congruent image with silence or noise."
    options = {
        "audio": Field(enum("silence", "noise"), {"choice": ["silence", "noise"]},
                       "Silence, or Gaussian noise at audio.noise_rms_db.", random=True),
    }

    def cast(self, ctx: CastContext) -> Cast:
        audio = ctx.option("audio")
        target = CastSlot(ctx.category, role="semantic", size_bin=ctx.size_bin)
        others = ctx.distractors(ctx.count - 1, {ctx.category})
        return Cast(slots=[target, *others], sources=[], audio_targets=[], semantic_targets=[0],
                    negative=audio, audio=audio)

    def check(self, a: RecordCheck) -> None:
        """The condition's invariants on a sample's record (``simulate audit``)."""
        r = a.r
        if r["sources"] or a.audio_targets:
            a.fail("vision_only.audio_target", f"{len(r['sources'])} sources and {len(a.audio_targets)} "
                   f"audio targets (expected none)")
        content = r["audio"].get("content")
        if content not in ("silence", "noise"):
            a.fail("vision_only.audio", f"audio content {content!r}, expected silence or noise")
        if a.targets.get("negative") != content:
            a.fail("vision_only.negative",
                   f"negative label {a.targets.get('negative')!r} but audio is {content!r}")
        if r["image_content"] != "rendered":
            a.fail("vision_only.image", f"image_content {r['image_content']!r}, expected 'rendered'")
        loud = [o["id"] for o in r["objects"] if o.get("sounding")]
        if loud:
            a.fail("vision_only.sounding", f"object(s) {loud} are sounding in a silent/noise sample")
        if not a.semantic:
            a.fail("vision_only.semantic", "no semantic target")
            return
        cats = {a.objects[i]["category"] for i in a.semantic if i in a.objects}
        if len(cats) != 1:
            a.fail("vision_only.semantic", f"semantic targets {a.semantic} span categories {sorted(cats)}")
            return
        c = cats.pop()
        same = a.of_category(c)
        if sorted(same) != sorted(a.semantic):
            a.fail("vision_only.semantic", f"semantic targets {a.semantic} are not all the {c!r} objects {same}")
        if len(same) != 1:
            a.fail("vision_only.instances", f"objects of category {c!r}: {same} (expected one, as congruent)")
        a.sized("vision_only", a.objects.get(a.semantic[0]), "the semantic target")
