"""audio_only (seeds/000): no meaningful image (uniform gray 128, or Gaussian noise); the clip of c
plays at a random point in view. Audio target = that point and a disk of the size bin's area."""
from __future__ import annotations

from ..spec.fields import Field, enum, num
from .base import Cast, CastContext, CastSource, ConditionRule, RecordCheck


class AudioOnly(ConditionRule):
    name = "audio_only"
    description = "audio_only: no meaningful image; a clip at a random point in view."
    options = {
        "image": Field(enum("gray", "noise"), {"choice": ["gray", "noise"]},
                       "Uniform gray (image.gray_level) or Gaussian noise (image.noise_std).", random=True),
        "point_distance_m": Field(num(0.3, 100.0), {"uniform": [1.0, 4.0]},
                                  "Distance of the sounding point from the head, m.", random=True),
    }
    sized_is_planned_category = False  # no object at all: the sized region is a disk

    def cast(self, ctx: CastContext) -> Cast:
        image = ctx.option("image")
        return Cast(slots=[], sources=[CastSource(ctx.category, placement="point")], audio_targets=[0],
                    semantic_targets=[], image=image)

    def check(self, a: RecordCheck) -> None:
        """The condition's invariants on a sample's record (``simulate audit``)."""
        r = a.r
        if r["objects"]:
            a.fail("audio_only.objects", f"{len(r['objects'])} objects in an audio_only sample")
        if r["image_content"] not in ("gray", "noise"):
            a.fail("audio_only.image", f"image_content {r['image_content']!r}, expected gray or noise")
        if r["audio"].get("content") != "rendered":
            a.fail("audio_only.audio", f"audio content {r['audio'].get('content')!r}, expected 'rendered'")
        if a.targets.get("negative") is not None or a.semantic:
            a.fail("audio_only.labels", f"negative {a.targets.get('negative')!r} and semantic {a.semantic}")
        srcs = r["sources"]
        if len(srcs) != 1 or len(a.audio_targets) != 1:
            a.fail("audio_only.sources", f"{len(srcs)} sources and {len(a.audio_targets)} audio targets")
            return
        src, t = srcs[0], a.audio_targets[0]
        if src.get("placement") != "point" or t.get("source_id") != src["id"]:
            a.fail("audio_only.source", f"source placed {src.get('placement')!r}, audio target source "
                   f"{t.get('source_id')} (expected the point source)")
        if "disk" not in t:
            a.fail("audio_only.disk", "the point target has no disk")
            return
        if t.get("size_bin") != r["size_bin"]:
            a.fail("audio_only.size_bin", f"disk area {t.get('area_fraction')} is in {t.get('size_bin')!r}, the "
                   f"sample's size bin is {r['size_bin']!r}")
        if not a.inside_image(t.get("pixel")) or not src.get("on_screen"):
            a.fail("audio_only.pixel", f"the point's pixel {t.get('pixel')} is not inside the image")
