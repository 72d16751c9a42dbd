"""``simulate audit`` for clips: the per-frame invariants of every record with a ``video`` entry
(docs/video.md), independent of how the labels were made.

Per clip: frame k is at k / fps; per frame, each object's RLE mask is its id in the frame's id
strip (``.frame_ids.png``) and its visible-pixel count the mask's area; each source's ``on_screen``
says whether its pixel lies inside the image, ``visible`` whether that pixel lies on its own
object's mask (every on-screen sounding source's pixel in its own mask, every frame), ``active``
whether its onset and offset (the record's ``onset_s`` / ``offset_s``) include the frame's time;
the frame's ``segment`` is the AVATAR segment kind its labels give
(simulator/conditions/segments.py); the SELD CSV has one row per 100 ms label frame and emitting
source, and none for a silent one. A temporal condition's record must be a clip, and its rule's
``check_clip`` states the per-frame course of its event (simulator/conditions/).
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .conditions import RULES
from .conditions.segments import frame_view, segment_of
from .core.masks import decode_rle
from .record_files import inside
from .video import label_frame_count, read_strip_png

#: Largest difference between a frame's time and k / fps, s.
TIME_TOL_S = 1e-9


@dataclass
class _Violation:
    check: str
    message: str


@dataclass
class ClipAudit:
    """Per-frame checks over a dataset's clips (:meth:`check` per record); the tallies feed the
    audit's summary: clips and frames checked, frames per segment kind, clips per event kind."""

    clips: int = 0
    frames: int = 0
    segments: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"clips": self.clips, "frames": self.frames, "segments": dict(sorted(self.segments.items())),
                "events": dict(sorted(self.events.items()))}

    def summary_lines(self) -> list[str]:
        if not self.clips:
            return []
        seg = ", ".join(f"{k} {v}" for k, v in sorted(self.segments.items()))
        ev = ", ".join(f"{k} {v}" for k, v in sorted(self.events.items())) or "none"
        return [f"  clips: {self.clips} clips, {self.frames} frames checked; segments: {seg}; events: {ev}"]

    def check(self, record: dict[str, Any], root: Path | None = None, violation=_Violation) -> list:
        """The violations of one record (``violation(check, message)`` builds each)."""
        rule = RULES.get(record.get("condition")) if record.get("condition") in RULES else None
        video = record.get("video")
        if not isinstance(video, dict):
            if rule is not None and rule.temporal:
                return [violation("clip.missing", f"{record['condition']} is a clip condition; the record has no "
                                  "video entry")]
            return []
        run = _ClipRun(record, video, root, violation)
        try:
            run.run()
            if rule is not None and rule.temporal:
                rule().check_clip(run)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            run.fail("clip.malformed", f"clip labels cannot be read: {type(exc).__name__}: {exc}")
        self.clips += 1
        self.frames += len(run.frames)
        self.segments.update(f.get("segment") for f in run.frames)
        if isinstance(run.event, dict):
            self.events[run.event.get("kind")] += 1
        return run.violations


class _ClipRun:
    """One clip under audit (the ClipCheck a temporal rule's ``check_clip`` gets)."""

    def __init__(self, record: dict[str, Any], video: dict[str, Any], root: Path | None, violation) -> None:
        self.r, self.video, self.root, self._violation = record, video, root, violation
        self.frames: list[dict[str, Any]] = list(video.get("frames") or [])
        self.event = video.get("event")
        self.violations: list = []

    def fail(self, check: str, message: str) -> None:
        self.violations.append(self._violation(check, message))

    def run(self) -> None:
        v, r = self.video, self.r
        fps, count = float(v["fps"]), int(v["frame_count"])
        if len(self.frames) != count or len(v["times_s"]) != count:
            self.fail("clip.frames", f"{len(self.frames)} frames and {len(v['times_s'])} times for frame_count {count}")
        cam = r["camera"]
        w, h = int(cam["width"]), int(cam["height"])
        ids = self._id_strip(h)
        if ids is not None and ids.shape[0] != len(self.frames):
            self.fail("clip.ids", f"the id strip holds {ids.shape[0]} frames, the labels {len(self.frames)}")
            ids = None
        categories = {o["id"]: o["category"] for o in r["objects"]}
        sources = {s["id"]: s for s in r["sources"]}
        for k, frame in enumerate(self.frames):
            t = float(frame["t_s"])
            if frame.get("k") != k or abs(t - k / fps) > TIME_TOL_S:
                self.fail("clip.time", f"frame {k} is labelled k={frame.get('k')} at {t} s (expected {k / fps} s)")
            masks = {}
            for obj in frame["objects"]:
                m = decode_rle(obj["mask"]).astype(bool)
                masks[obj["id"]] = m
                if int(m.sum()) != obj.get("visible_pixels"):
                    self.fail("clip.mask", f"frame {k} object {obj['id']}: {obj.get('visible_pixels')} visible pixels, "
                              f"its mask has {int(m.sum())}")
                if ids is not None and k < ids.shape[0] and not np.array_equal(m, ids[k] == obj["id"]):
                    self.fail("clip.ids", f"frame {k} object {obj['id']}: the mask is not its id in the id strip")
            for src in frame["sources"]:
                self._source(k, t, src, sources.get(src["id"]), masks, w, h)
            want = segment_of(frame_view(frame, categories))
            if "segment" in frame and frame["segment"] != want:  # (clips written before segments have none)
                self.fail("clip.segment", f"frame {k} is labelled {frame.get('segment')!r}, its labels make it {want!r}")
        self._seld(v, sources)

    def _source(self, k: int, t: float, src: dict, entry: dict | None, masks: dict, w: int, h: int) -> None:
        if entry is None:
            self.fail("clip.source", f"frame {k} labels source {src['id']}, which the record does not have")
            return
        px = src.get("pixel")
        inside_image = px is not None and 0.0 <= px[0] < w and 0.0 <= px[1] < h
        if bool(src.get("on_screen")) != inside_image:
            self.fail("clip.on_screen", f"frame {k} source {src['id']}: on_screen={src.get('on_screen')} but pixel {px}")
        oid = src.get("object_id")
        if oid is not None:
            on_mask = inside_image and oid in masks and bool(masks[oid][int(px[1]), int(px[0])])
            if src.get("visible") != on_mask:
                self.fail("clip.pixel_in_mask", f"frame {k} source {src['id']}: visible={src.get('visible')}, its "
                          f"pixel {px} is {'on' if on_mask else 'off'} object {oid}'s mask")
        emits = _emits(entry, t)
        if src.get("active", True) != emits:
            self.fail("clip.active", f"frame {k} (t = {t:.3f} s) source {src['id']}: active={src.get('active')}, "
                      f"its onset/offset {entry.get('onset_s')}..{entry.get('offset_s')} s say {emits}")

    def _id_strip(self, h: int) -> np.ndarray | None:
        rel = self.r.get("files", {}).get("frame_ids")
        if self.root is None or not isinstance(rel, str) or not inside(self.root, rel):
            return None
        path = self.root / rel
        return read_strip_png(path.read_bytes(), h) if path.is_file() else None

    def _seld(self, v: dict, sources: dict[int, dict]) -> None:
        rel = self.r.get("files", {}).get("seld")
        if self.root is None or not isinstance(rel, str) or not inside(self.root, rel) or not (self.root / rel).is_file():
            return
        rate = float(v["seld"]["rate_hz"])
        count = label_frame_count(v["duration_s"], rate)
        rows = {(int(row[0]), int(row[2])) for row in csv.reader(io.StringIO((self.root / rel).read_text())) if row}
        want = {(f, sid) for sid, s in sources.items() for f in range(count) if _emits(s, f / rate)}
        if rows != want:
            extra, missing = sorted(rows - want)[:3], sorted(want - rows)[:3]
            self.fail("clip.seld", f"SELD rows (frame, track) differ from the emitting sources: extra {extra}, "
                      f"missing {missing}")


def _emits(source: dict, t: float) -> bool:
    on, off = source.get("onset_s"), source.get("offset_s")
    return (on is None or t >= float(on)) and (off is None or t < float(off))


__all__ = ["ClipAudit", "TIME_TOL_S"]
