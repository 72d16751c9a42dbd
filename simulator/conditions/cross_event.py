"""cross_event (seeds/002, AVATAR's Cross-event subset: "an off-screen woman is speaking until a
child within the frame begins speaking"; a clip condition): a sound of another category plays from
outside the field of view, then stops as the object of c in view starts to sound.

Cast: congruent's (one object of c, sized, the audio target and semantic target; no other instance
of c) plus an off-screen source of a category absent from the image (in ``region``, at
``conditions.offscreen.distance_m``, as offscreen's sources are placed).
Once the layout is settled, the switch time ``event_time`` x the clip's duration is drawn: the
off-screen source emits from the start until it, the object's source from it to the end
(``offset_s`` / ``onset_s``, simulator/activity.py, replacing any drawn by ``source.activity``).
The clip's event (``video.event``) is the switch; the audit checks every frame before it has the
off-screen source active and the object's silent, and every frame after it the reverse. Needs a
clip (``video.fps``).
"""
from __future__ import annotations

from ..core.scene import ClipEvent
from ..spec.fields import Field, enum, num
from .base import Cast, CastContext, CastSource, ClipCheck, ClipContext, RecordCheck
from .clip_timing import EVENT_TIME_DOC, check_event_frames
from .congruent import Congruent
from .offscreen import OFFSCREEN_REGIONS


class CrossEvent(Congruent):
    name = "cross_event"
    description = "cross_event (clips): an off-screen sound, then the object of c in view takes over."
    options = {
        "event_time": Field(num(0.05, 0.95), {"uniform": [0.25, 0.75]}, EVENT_TIME_DOC, random=True),
        "region": Field(enum(*OFFSCREEN_REGIONS), {"choice": list(OFFSCREEN_REGIONS)},
                        "Where the first sound comes from (as offscreen.region).", random=True),
    }
    needs_other_category = True
    temporal = True

    def cast(self, ctx: CastContext) -> Cast:
        cast = super().cast(ctx)
        other = ctx.other_categories(1, {s.category for s in cast.slots})
        if not other:
            raise ValueError(f"cross_event needs a category besides {ctx.category!r} and the objects in view")
        cast.sources.append(CastSource(other[0], placement="offscreen", region=ctx.option("region")))
        return cast

    def check(self, a: RecordCheck) -> None:
        """Congruent's invariants on the object's source, an off-screen second source of an absent
        category, and the switch: the object's onset is the off-screen source's offset."""
        r = a.r
        a.plain(self.name)
        on_object = [s for s in r["sources"] if s.get("placement") == "object"]
        away = [s for s in r["sources"] if s.get("placement") == "offscreen"]
        if len(on_object) != 1 or len(away) != 1 or len(r["sources"]) != 2:
            a.fail(f"{self.name}.sources", f"{len(on_object)} source(s) on objects and {len(away)} off-screen of "
                   f"{len(r['sources'])} (expected one of each)")
            return
        src, first = on_object[0], away[0]
        if [t.get("source_id") for t in a.audio_targets] != [src["id"]]:
            a.fail(f"{self.name}.target", f"audio targets {[t.get('source_id') for t in a.audio_targets]}, "
                   f"expected [{src['id']}]")
        obj = a.objects.get(src.get("object_id"))
        same = a.of_category(src["category"])
        if obj is None or same != [obj["id"]]:
            a.fail(f"{self.name}.instances", f"objects of {src['category']!r}: {same} (expected only the sounding one)")
        if a.semantic != ([obj["id"]] if obj else []):
            a.fail(f"{self.name}.semantic", f"semantic targets {a.semantic}")
        a.sized(self.name, obj, "the audio target")
        if first.get("on_screen") is not False or first["category"] in {o["category"] for o in r["objects"]}:
            a.fail(f"{self.name}.offscreen", f"source {first['id']} ({first['category']}) is on screen or of a "
                   "category in the image")
        onset, offset = src.get("onset_s"), first.get("offset_s")
        if onset is None or offset is None or onset != offset or src.get("offset_s") is not None \
                or first.get("onset_s") is not None:
            a.fail(f"{self.name}.switch", f"the object's source runs {src.get('onset_s')}..{src.get('offset_s')} s "
                   f"and the off-screen one {first.get('onset_s')}..{first.get('offset_s')} s (expected a switch)")

    def arrange(self, scene, ctx: ClipContext) -> None:
        src = scene.source_by_id(scene.targets.audio[0])
        first = next(s for s in scene.sources if s.placement == "offscreen")
        t_switch = float(ctx.option("event_time")) * ctx.duration_s
        src.onset_s, src.offset_s = t_switch, None
        first.onset_s, first.offset_s = None, t_switch
        scene.video.event = ClipEvent(self.name, src.id, t_switch)

    def check_clip(self, a: ClipCheck) -> None:
        """Before the switch only the off-screen source emits, after it only the object's."""
        check_event_frames(a, self.name, "active", False, True)
        event = a.event if isinstance(a.event, dict) else {}
        first = [s["id"] for s in a.r["sources"] if s["id"] != event.get("source_id")]
        if len(first) == 1:
            check_event_frames(a, self.name, "active", True, False, source_id=first[0])
